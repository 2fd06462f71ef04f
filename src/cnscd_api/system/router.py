"""``/healthz`` (the process is up), ``/readyz`` (the database answers) and ``/metrics``."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from cnscd_api.core.errors import ServiceUnavailable, problem_responses
from cnscd_api.core.metrics import PROMETHEUS_CONTENT_TYPE, Metrics
from cnscd_api.core.routing import ContractRoute
from cnscd_api.dependencies import DatabaseDep

router = APIRouter(route_class=ContractRoute, tags=["service"])
logger = logging.getLogger("cnscd_api.readiness")


class Status(BaseModel):
    status: str


HEALTHY = b'{"status":"ok"}'


@router.get("/healthz", response_model=Status, summary="Liveness: the process is up")
async def healthz() -> Response:
    """Answers from the event loop itself: no database, no thread pool, no session, so a
    busy or unreachable database never makes the process look dead."""
    return Response(HEALTHY, media_type="application/json")


@router.get(
    "/readyz",
    response_model=Status,
    summary="Readiness: the database answers",
    responses=problem_responses(503),
)
def readyz(database: DatabaseDep) -> Status:
    """200 while the database answers, 503 (with `Retry-After`) while it does not."""
    try:
        with database.session() as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        logger.warning("database not reachable", extra={"error": type(exc).__name__})
        raise ServiceUnavailable() from exc
    return Status(status="ready")


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def metrics(request: Request) -> Response:
    """Prometheus text format: `cnscd_http_requests_total` and
    `cnscd_http_request_duration_seconds` by method, route template and status."""
    registry: Metrics = request.app.state.metrics
    return Response(registry.render(), media_type=PROMETHEUS_CONTENT_TYPE)
