"""Migrations: the models never run ahead of them, and they go down and up cleanly."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from tests.databases import (
    alembic_config,
    fresh_database,
    migrated_engine,
    run_alembic,
    seeded_database,
)


def test_models_match_migrations(connection: Connection) -> None:
    """``alembic check``: autogenerate would produce nothing against a migrated database."""
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    assert compare_metadata(context, SQLModel.metadata) == []


def test_downgrade_to_base_and_upgrade_again(backend: str, tmp_path: Path) -> None:
    with fresh_database(backend, tmp_path) as url:
        engine = migrated_engine(url)
        try:
            assert {"unit", "unit_lineage", "alembic_version"} <= set(
                inspect(engine).get_table_names()
            )
            run_alembic(engine, "downgrade", "base")
            assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
            run_alembic(engine, "upgrade", "head")
            assert {"unit", "unit_lineage"} <= set(inspect(engine).get_table_names())
        finally:
            engine.dispose()


def test_migration_files_follow_the_naming_scheme() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    heads = script.get_heads()
    assert len(heads) == 1, f"migrations have several heads: {heads}"
    for revision in script.walk_revisions():
        assert revision.path is not None
        name = Path(revision.path).name
        # YYYY-MM-DD-HHMM_slug.py
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}-\d{4}_[a-z0-9_]+\.py", name), name


def test_sort_keys_are_filled_for_the_names_already_stored(backend: str, tmp_path: Path) -> None:
    """The migration that adds the Vietnamese sort keys computes them for every row
    (with its own frozen copy of the key), equal to what the application writes."""
    from sqlmodel import Session, select

    from cnscd_api.core.text import collation_key
    from cnscd_api.models import Campaign, Member, Team, Unit, User
    from cnscd_api.models import Role as UserRole
    from tests.factories import make_campaign, make_member, make_team, make_tree, make_user

    with seeded_database(backend, tmp_path) as (_, engine):
        with Session(engine) as session:
            tree = make_tree(session)
            team = make_team(session, tree.dak_pek_village, "Tổ CNSCĐ thôn Đắk Ung")
            make_member(session, team, "Đinh Thị Ánh")
            make_user(session, UserRole.COMMUNE_OFFICER, tree.dak_pek)
            make_campaign(session, tree.kon_tum)
            session.commit()
        run_alembic(engine, "downgrade", "5c1e0b7d9a42")
        assert "name_key" not in {c["name"] for c in inspect(engine).get_columns("team")}
        run_alembic(engine, "upgrade", "head")
        sources: tuple[tuple[Any, str], ...] = (
            (Unit, "name"),
            (Team, "name"),
            (Campaign, "name"),
            (Member, "full_name"),
            (User, "full_name"),
        )
        with Session(engine) as session:
            for model, source in sources:
                rows = session.exec(select(model)).all()
                assert rows, model
                for row in rows:
                    assert row.name_key == collation_key(getattr(row, source)), row
