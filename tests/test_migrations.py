"""Migrations: the models never run ahead of them, and they go down and up cleanly."""

from __future__ import annotations

import importlib.util
import re
from datetime import date
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

from cnscd_api.db import Database
from cnscd_api.flows.reform2025 import apply_reform
from cnscd_api.models import ActivityStatus, Role
from cnscd_api.stats.rebuild import rebuild
from cnscd_api.units.seed import seed_units
from tests.databases import (
    ROOT,
    alembic_config,
    fresh_database,
    migrated_engine,
    run_alembic,
    seeded_database,
)
from tests.factories import (
    make_activity,
    make_campaign,
    make_team,
    make_tree,
    make_user,
    make_village,
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


AGGREGATES = ("stat_unit_day", "stat_unit_day_history", "stat_team_total", "stat_team_day")


def _migration(name: str) -> Any:
    """A migration file as a module (its name, starting with a date, cannot be imported)."""
    spec = importlib.util.spec_from_file_location(name[:-3], ROOT / "migrations/versions" / name)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _read_model(engine: Engine) -> dict[str, list[tuple[str, ...]]]:
    with engine.connect() as connection:
        return {
            table: sorted(
                tuple(str(value) for value in row)
                for row in connection.execute(text(f"SELECT * FROM {table}"))  # noqa: S608
                if row[-1]
            )
            for table in ("stat_unit_campaign", "stat_registry", "unit_heritage")
        }


def aggregate_rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every aggregate row that counts something, and every closed unit's rollup path."""
    with engine.connect() as connection:
        found = {
            table: sorted(
                tuple(str(value) for value in row)
                for row in connection.execute(text(f"SELECT * FROM {table}"))  # noqa: S608
                if any(row[-2:] if table != "stat_team_day" else row[-1:])
            )
            for table in (*AGGREGATES, "stat_reporting")
        }
        found["rollup_path"] = sorted(
            tuple(str(value) for value in row)
            for row in connection.execute(text("SELECT id, rollup_path FROM unit"))
        )
    return found


def test_the_map_s_history_counts_stored_reports_as_the_application_does(
    backend: str, tmp_path: Path
) -> None:
    """The data step of 2026-11-29-1430 is a frozen copy (it imports no application code):
    run on a database holding reports and a reorganisation, as it stood before that
    revision, it computes the aggregates the application's own rebuild computes."""
    with fresh_database(backend, tmp_path) as url:
        engine = migrated_engine(url)
        try:
            with Database(engine).transaction() as session:
                seed_units(session, {62, 64})
                tree = make_tree(session)
                admin = make_user(session, Role.PROVINCE_ADMIN, tree.kon_tum)
                campaign = make_campaign(session, tree.kon_tum, categories=("vneid",))
                teams = [
                    make_team(session, tree.dak_pek, "Tổ xã"),
                    make_team(session, tree.dak_pek_village, "Tổ thôn"),
                    make_team(session, make_village(session, tree.dak_man, "Thôn Bên Kia")),
                ]
                for index, team in enumerate(teams):
                    for day, status in (
                        (1, ActivityStatus.APPROVED),
                        (4, ActivityStatus.SUBMITTED),
                    ):
                        make_activity(
                            session,
                            team,
                            admin,
                            day=date(2024, 10, day + index),
                            values={"people_guided": 10 * day + index},
                            campaign=campaign if day == 1 else None,
                            status=status,
                        )
                apply_reform(session, "62")  # closes and moves units, rebuilds the aggregates
                rebuild(session, None)
            expected = aggregate_rows(engine)
            assert expected["stat_unit_day_history"], "the reform moved reports between maps"

            # The state the migration met: no rollup path, no aggregates; then its data step.
            data_step = _migration("2026-11-29-1430_history_of_the_map.py")
            with engine.begin() as connection:
                connection.execute(text("UPDATE unit SET rollup_path = NULL"))
                for table in (*AGGREGATES, "stat_reporting"):
                    connection.execute(text(f"DELETE FROM {table}"))  # noqa: S608
                data_step._refresh_rollup_paths(connection)
                data_step._rebuild(connection)

            assert aggregate_rows(engine) == expected

            # The campaign-grain rows of the read model, filled from the day rows.
            # and the registry's, counted from teams and members, and the coverage, from
            # units and teams (a later revision); who inherits closed units.
            read_model = _read_model(engine)
            assert all(read_model.values()), "reports, teams, members and heirs are counted"
            assert any("coverage.served:village" in row for row in read_model["stat_registry"])
            national = _migration("2026-12-05-0100_national_read_model.py")
            coverage = _migration("2026-12-05-2200_coverage_aggregates.py")
            with engine.begin() as connection:
                connection.execute(text("DELETE FROM stat_unit_campaign"))
                connection.execute(text("DELETE FROM stat_registry"))
                connection.execute(text("DELETE FROM unit_heritage"))
                connection.execute(text(national.FILL_HERITAGE))
                connection.execute(text(national.FILL_UNIT_CAMPAIGN))
                national.fill_registry(connection)
                coverage.fill_coverage(connection)
            assert _read_model(engine) == read_model
        finally:
            engine.dispose()


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
        run_alembic(engine, "downgrade", "f50f9df1f793")
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
