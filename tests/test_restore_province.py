"""The documented restore of one province (docs/operations.md), scripted as
``scripts/restore-province.sh``, run on PostgreSQL: what an accident deleted comes back,
the other province's newer rows stay, and the dashboards' aggregates are right again."""

from __future__ import annotations

import os
import subprocess
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from cnscd_api.db import Database
from cnscd_api.models import ActivityStatus, Role, Unit, UnitLevel
from cnscd_api.stats.rebuild import rebuild
from cnscd_api.units.seed import seed_units
from tests.databases import (
    IN_CI,
    ROOT,
    TEST_SECRET,
    fresh_database,
    migrated_engine,
    postgres_reachable,
)
from tests.factories import make_activity, make_campaign, make_team, make_tree, make_user
from tests.test_migrations import aggregate_rows

SCRIPT = ROOT / "scripts" / "restore-province.sh"


def _count(engine: Engine, sql: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(sql)).scalar_one())


def _rebuilt(engine: Engine) -> dict[str, object]:
    """The aggregates a full rebuild computes from the rows as they are (rolled back)."""
    with engine.connect() as connection:
        transaction = connection.begin()
        with Database(connection).session() as session:
            rebuild(session, None)
            session.flush()
            rows: dict[str, object] = {
                table: sorted(
                    tuple(str(v) for v in row)
                    for row in connection.execute(text(f"SELECT * FROM {table}"))  # noqa: S608
                )
                for table in ("stat_unit_day", "stat_team_total", "stat_reporting")
            }
        transaction.rollback()
    return rows


def _stored(engine: Engine) -> dict[str, object]:
    with engine.connect() as connection:
        return {
            table: sorted(
                tuple(str(v) for v in row)
                for row in connection.execute(text(f"SELECT * FROM {table}"))  # noqa: S608
            )
            for table in ("stat_unit_day", "stat_team_total", "stat_reporting")
        }


def test_a_province_s_deleted_rows_come_back_with_its_dashboards(tmp_path: Path) -> None:
    problem = postgres_reachable()
    if problem is not None:
        if IN_CI:
            pytest.fail(f"CI=true and PostgreSQL is not reachable: {problem}")
        pytest.skip(f"the procedure is PostgreSQL's and PostgreSQL is not reachable: {problem}")
    with fresh_database("postgresql", tmp_path) as url:
        engine = migrated_engine(url)
        try:
            with Database(engine).transaction() as session:
                seed_units(session, {62, 64})
                tree = make_tree(session)
                admin = make_user(session, Role.PROVINCE_ADMIN, tree.kon_tum)
                campaign = make_campaign(session, tree.kon_tum, categories=("vneid",))
                kon_tum_team = make_team(session, tree.dak_pek_village, "Tổ thôn Đắk Ung")
                gia_lai_commune = session.exec(
                    select(Unit).where(
                        col(Unit.level) == UnitLevel.COMMUNE,
                        col(Unit.path).startswith(tree.gia_lai.path),
                    )
                ).first()
                assert gia_lai_commune is not None
                gia_lai_team = make_team(session, gia_lai_commune, "Tổ Gia Lai")
                for day in range(1, 6):
                    make_activity(
                        session,
                        kon_tum_team,
                        admin,
                        day=date(2024, 10, day),
                        values={"people_guided": 10 * day},
                        campaign=campaign,
                        status=ActivityStatus.APPROVED,
                    )
                make_activity(session, gia_lai_team, admin, day=date(2024, 10, 2))
                rebuild(session, None)
            before = aggregate_rows(engine)
            plain_url = url.replace("postgresql+psycopg://", "postgresql://")
            backup = tmp_path / "cnscd.dump"
            subprocess.run(  # noqa: S603 -- the PostgreSQL client, fixed arguments
                ["pg_dump", "--format=custom", f"--file={backup}", plain_url],  # noqa: S607
                check=True,
            )

            # The accident, after the backup: Kon Tum's team's reports are deleted (the
            # aggregates follow, as the API keeps them); Gia Lai records a new report.
            with Database(engine).transaction() as session:
                session.execute(
                    text("DELETE FROM activity WHERE team_id = :team"), {"team": kon_tum_team.id}
                )
                make_activity(session, gia_lai_team, admin, day=date(2024, 10, 3))
                rebuild(session, None)
            assert _count(engine, "SELECT count(*) FROM activity") == 2

            done = subprocess.run(  # noqa: S603 -- our own script, fixed arguments
                [
                    str(SCRIPT),
                    "--backup",
                    str(backup),
                    "--province-code",
                    "62",
                    "--database-url",
                    plain_url,
                ],
                env={
                    **os.environ,
                    "CNSCD_ENVIRONMENT": "test",
                    "CNSCD_SECRET_KEY": TEST_SECRET,
                    "CNSCD_LOG_LEVEL": "WARNING",
                },
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            assert done.returncode == 0, (done.stdout, done.stderr)
            assert "rebuilt the aggregates of Tỉnh Kon Tum" in done.stdout

            assert _count(engine, "SELECT count(*) FROM activity") == 5 + 2
            assert _count(engine, "SELECT count(*) FROM activity_value") == 5 + 2
            # The dashboards read what the rows say, Kon Tum's figures those of the backup.
            assert _stored(engine) == _rebuilt(engine)
            after = aggregate_rows(engine)
            kon_tum = str(tree.kon_tum.id)
            assert [r for r in after["stat_unit_day"] if r[0] == kon_tum] == [
                r for r in before["stat_unit_day"] if r[0] == kon_tum
            ]
            # Nothing of the restore is left behind.
            assert (
                _count(
                    engine,
                    "SELECT count(*) FROM information_schema.schemata "
                    "WHERE schema_name = 'restore'",
                )
                == 0
            )
        finally:
            engine.dispose()
