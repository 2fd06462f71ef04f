"""PostgreSQL plans every statement for its own values: a subtree's ``path LIKE :prefix``
kept as one generic plan (psycopg prepares statements on the server from their fifth
run) would scan every unit instead of reading the path index."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from cnscd_api.db import create_db_engine
from tests.databases import settings_for


@pytest.mark.parametrize("serving", [True, False])
def test_every_postgresql_session_plans_for_its_own_values(
    backend: str, engine: Engine, serving: bool
) -> None:
    if backend != "postgresql":
        pytest.skip("plan caching is PostgreSQL's")
    settings = settings_for(engine.url.render_as_string(hide_password=False))
    made = create_db_engine(settings, serving=serving)
    try:
        with made.connect() as connection:
            for _ in range(8):  # past psycopg's prepare threshold
                plan = connection.execute(
                    text("EXPLAIN SELECT id FROM unit WHERE path LIKE :prefix"),
                    {"prefix": "/0123456789abcdef0123456789abcdef/%"},
                ).scalars()
            assert "ix_unit_path" in " ".join(plan)
            mode = connection.execute(text("SHOW plan_cache_mode")).scalar_one()
            assert mode == "force_custom_plan"
    finally:
        made.dispose()
