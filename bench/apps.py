"""App factories used only by the benchmarks (``uvicorn --factory bench.apps:…``).

``with_floor`` is the real app plus ``GET /bench/floor``: the first 50 teams of the
teams list, read once at start and then served from memory through the same response
model. It costs what the framework, the middleware and serialisation cost, without the
database or authentication: the floor that list routes are compared with.
"""

from __future__ import annotations

from fastapi import FastAPI
from sqlmodel import col, select

from cnscd_api.auth.service import load_principal
from cnscd_api.core.pagination import Page, PageParams
from cnscd_api.core.permissions import PrincipalKind
from cnscd_api.main import create_app
from cnscd_api.models import User
from cnscd_api.teams import service as team_service
from cnscd_api.teams.schemas import TeamFilters, TeamRead

BENCH_USERNAME = "bench.admin"


def with_floor() -> FastAPI:
    app = create_app()
    with app.state.database.session() as session:
        user = session.exec(select(User).where(col(User.username) == BENCH_USERNAME)).one()
        principal = load_principal(session, PrincipalKind.USER, user.id, user.token_generation)
        assert principal is not None
        page = PageParams(limit=50, offset=0)
        rows, total = team_service.list_teams(session, principal, TeamFilters(), page, None)
        floor = page.page(TeamRead, rows, total)

    @app.get("/bench/floor", response_model=Page[TeamRead], include_in_schema=False)
    def bench_floor() -> Page[TeamRead]:
        return floor

    return app
