"""The application factory: ``uvicorn --factory cnscd_api.main:create_app``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from cnscd_api import __version__
from cnscd_api.activities.router import router as activities_router
from cnscd_api.allowances.router import router as allowance_statements_router
from cnscd_api.allowances.router import rules_router as allowance_rules_router
from cnscd_api.api_clients.router import router as api_clients_router
from cnscd_api.audit.router import router as audit_router
from cnscd_api.auth import service as auth_service
from cnscd_api.auth.router import router as auth_router
from cnscd_api.campaigns.router import router as campaigns_router
from cnscd_api.catalogue.router import router as catalogue_router
from cnscd_api.config import Settings, get_settings
from cnscd_api.core.cors import ProblemCORSMiddleware
from cnscd_api.core.errors import install_error_handlers
from cnscd_api.core.idempotency import IdempotencyMiddleware
from cnscd_api.core.logging import configure_logging
from cnscd_api.core.metrics import Metrics
from cnscd_api.core.middleware import RequestMiddleware
from cnscd_api.core.routing import API_PREFIX
from cnscd_api.dashboard import DASHBOARD_PATH, dashboard_files
from cnscd_api.db import Database, create_db_engine
from cnscd_api.devices.router import needs_router as device_needs_router
from cnscd_api.devices.router import referrals_router as device_referrals_router
from cnscd_api.events.router import router as events_router
from cnscd_api.flows.router import router as flows_router
from cnscd_api.members.router import router as members_router
from cnscd_api.members.router import team_router as team_members_router
from cnscd_api.openapi import build_openapi, operation_id, render_openapi
from cnscd_api.partner_stats.router import router as partner_stats_router
from cnscd_api.stats.router import router as stats_router
from cnscd_api.support_requests.router import router as support_requests_router
from cnscd_api.system.docs import install_docs
from cnscd_api.system.router import router as system_router
from cnscd_api.teams.router import router as teams_router
from cnscd_api.units.router import router as units_router
from cnscd_api.users.router import router as users_router
from cnscd_api.webhooks.router import router as webhooks_router
from cnscd_api.workload.router import router as workload_router

DESCRIPTION = """\
REST/JSON API of the Community Digital Technology Teams (Tổ công nghệ số cộng đồng):
the administrative unit tree, teams and members, campaigns and reported activities.

Errors are `application/problem+json` (RFC 9457) with a stable `code`; send
`Accept-Language: vi` for Vietnamese messages. Lists take `limit` (≤ 500) and `offset`
and answer `{items, total, limit, offset}`.
"""


def api_router() -> APIRouter:
    router = APIRouter(prefix=API_PREFIX)
    for feature_router in (
        auth_router,
        users_router,
        api_clients_router,
        units_router,
        flows_router,
        teams_router,
        team_members_router,
        members_router,
        catalogue_router,
        campaigns_router,
        activities_router,
        support_requests_router,
        device_needs_router,
        device_referrals_router,
        allowance_rules_router,
        allowance_statements_router,
        stats_router,
        partner_stats_router,
        workload_router,
        audit_router,
        events_router,
        webhooks_router,
    ):
        router.include_router(feature_router)
    return router


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    database = database or Database(create_db_engine(settings, serving=True))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.database.dispose()

    # The document and the docs pages are ``system/docs.py``'s, served offline.
    app = FastAPI(
        title="cnscd-api",
        version=__version__,
        description=DESCRIPTION,
        generate_unique_id_function=operation_id,
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.database = database
    app.state.metrics = metrics = Metrics()

    install_error_handlers(app)
    install_docs(app, render_openapi)
    app.include_router(system_router)
    app.include_router(api_router())
    app.mount(DASHBOARD_PATH, dashboard_files(), name="dashboard")
    app.openapi = lambda: build_openapi(app)  # type: ignore[method-assign]

    # Innermost: it holds an idempotent POST's answer back until it is stored.
    app.add_middleware(IdempotencyMiddleware, authenticate=auth_service.principal_from_token)
    app.add_middleware(
        ProblemCORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=[
            "Authorization",
            "Content-Type",
            "If-Match",
            "Idempotency-Key",
            "X-Request-ID",
            "Accept-Language",
            "If-None-Match",
        ],
        expose_headers=["X-Request-ID", "ETag", "Retry-After", "Idempotent-Replayed"],
    )
    # Added last, so it wraps everything else, CORS included.
    app.add_middleware(RequestMiddleware, metrics=metrics)
    return app
