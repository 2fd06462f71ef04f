"""Benchmark: import 20,000 members, then export 22,519 and 100,000 members.

    .venv/bin/python bench/import_export.py [--database sqlite|postgresql]

Each phase runs in a process of its own, so that its peak resident memory is its own;
the script prints rows per second and peak memory per phase (exports: the median of
three runs, and the highest peak). The import runs once: a second run would only update.
It builds a throwaway database (a temporary SQLite file, or a PostgreSQL database it
creates and drops at CNSCD_TEST_POSTGRES_URL) and never touches var/.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

IMPORT_ROWS = 20_000
REPEATS = 3
# After the import there are 2,519 demo + 20,000 imported members; then 100,000.
EXPORT_SIZES = (22_519, 100_000)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def prepare(url: str) -> None:
    """Migrate, seed Kon Tum with its demo teams, and add the benchmark's admin."""
    from tests.databases import migrated_engine
    from tests.factories import make_user, unit_by_code

    from cnscd_api.db import Database
    from cnscd_api.demo_data import seed_demo_data
    from cnscd_api.models import Role, UnitLevel
    from cnscd_api.units.seed import seed_units

    engine = migrated_engine(url)
    with Database(engine).transaction() as session:
        seed_units(session, {62})
        seed_demo_data(session)
        make_user(
            session,
            Role.PROVINCE_ADMIN,
            unit_by_code(session, UnitLevel.PROVINCE, "62"),
            username="bench.admin",
        )
    engine.dispose()


def _client(url: str) -> Any:
    from fastapi.testclient import TestClient
    from sqlmodel import select
    from tests.databases import settings_for
    from tests.factories import bearer

    from cnscd_api.db import Database, create_db_engine
    from cnscd_api.main import create_app
    from cnscd_api.models import User

    settings = settings_for(url)
    database = Database(create_db_engine(settings))
    with database.session() as session:
        admin = session.exec(select(User).where(User.username == "bench.admin")).one()
    client = TestClient(create_app(settings, database))
    client.headers.update(bearer(settings, admin))
    return client, database


def import_file(url: str) -> dict[str, Any]:
    from sqlmodel import select

    from cnscd_api.models import Team

    client, database = _client(url)
    with database.session() as session:
        team_ids = [str(t) for t in session.exec(select(Team.id).order_by(Team.name)).all()]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            "Họ và tên",
            "Giới tính",
            "Năm sinh",
            "Số điện thoại",
            "Thành phần",
            "Vai trò trong tổ",
            "Mã tổ",
        ]
    )
    for i in range(IMPORT_ROWS):
        writer.writerow(
            [
                f"Nguyễn Văn Bench {i}",
                "Nam",
                1990 + i % 15,
                f"039{i:07d}",
                "Đoàn Thanh niên",
                "Thành viên",
                team_ids[i % len(team_ids)],
            ]
        )
    content = buffer.getvalue().encode("utf-8-sig")
    baseline = peak_rss_mb()
    started = time.perf_counter()
    response = client.post(
        "/api/v1/members/import", files={"file": ("members.csv", content, "text/csv")}
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text[:500]
    assert response.json()["created"] == IMPORT_ROWS, response.json()
    return {
        "phase": f"import {IMPORT_ROWS:,} rows (CSV, {len(content) / 1e6:.1f} MB)",
        "seconds": elapsed,
        "rows_per_s": IMPORT_ROWS / elapsed,
        "peak_mb": peak_rss_mb(),
        "baseline_mb": baseline,
    }


def fill_members(url: str, total: int) -> None:
    """Bulk-insert members until there are ``total``."""
    from datetime import date

    from sqlalchemy import func, insert
    from sqlmodel import select
    from tests.databases import settings_for

    from cnscd_api.db import Database, create_db_engine
    from cnscd_api.models import Affiliation, Member, SkillLevel, Team, TeamRole, utcnow

    database = Database(create_db_engine(settings_for(url)))
    with database.transaction() as session:
        have = session.exec(select(func.count()).select_from(Member)).one()
        team_ids = list(session.exec(select(Team.id)).all())
        now = utcnow()
        rows = [
            {
                "id": uuid.uuid4(),
                "full_name": f"Trần Thị Fill {i}",
                "search_name": f"tran thi fill {i}",
                "gender": None,
                "birth_year": 1995,
                "phone": f"098{i:07d}",
                "email": None,
                "affiliation": Affiliation.YOUTH_UNION,
                "organisation": None,
                "skill_level": SkillLevel.BASIC,
                "team_id": team_ids[i % len(team_ids)],
                "role": TeamRole.MEMBER,
                "joined_on": date(2024, 10, 1),
                "left_on": None,
                "is_demo": False,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for i in range(max(0, total - have))
        ]
        for start in range(0, len(rows), 5000):
            session.execute(insert(Member), rows[start : start + 5000])
    database.dispose()


def export(url: str, fmt: str, expected: int) -> dict[str, Any]:
    client, _ = _client(url)
    baseline = peak_rss_mb()
    started = time.perf_counter()
    size = 0
    with client.stream("GET", f"/api/v1/members/export?format={fmt}") as response:
        assert response.status_code == 200
        for chunk in response.iter_bytes():
            size += len(chunk)
    elapsed = time.perf_counter() - started
    return {
        "phase": f"export {expected:,} members ({fmt}, {size / 1e6:.1f} MB)",
        "seconds": elapsed,
        "rows_per_s": expected / elapsed,
        "peak_mb": peak_rss_mb(),
        "baseline_mb": baseline,
    }


def run_phase(args: list[str]) -> dict[str, Any]:
    command = [sys.executable, __file__, "--phase", *args]  # our own script, our own arguments
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout  # noqa: S603
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def database_url(kind: str, workdir: Path) -> tuple[str, Any]:
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'bench.db'}", None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from tests.databases import POSTGRES_ADMIN_URL

    from cnscd_api.db import normalise_url

    name = f"cnscd_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalise_url(POSTGRES_ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    url = make_url(normalise_url(POSTGRES_ADMIN_URL)).set(database=name)
    return url.render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("CNSCD_LOG_LEVEL", "WARNING")
    if args.phase:
        name, url, *rest = args.phase
        if name == "prepare":
            prepare(url)
            result: dict[str, Any] = {}
        elif name == "import":
            result = import_file(url)
        elif name == "fill":
            fill_members(url, int(rest[0]))
            result = {}
        else:
            result = export(url, rest[0], int(rest[1]))
        print(json.dumps(result))
        return
    with tempfile.TemporaryDirectory() as workdir:
        url, cleanup = database_url(args.database, Path(workdir))
        try:
            run_phase(["prepare", url])
            results = [run_phase(["import", url])]
            for size in EXPORT_SIZES:
                run_phase(["fill", url, str(size)])
                for fmt in ("csv", "xlsx"):
                    # Exports change nothing, so each is repeated and the median kept.
                    runs = [run_phase(["export", url, fmt, str(size)]) for _ in range(REPEATS)]
                    runs.sort(key=lambda run: run["seconds"])
                    median = runs[len(runs) // 2]
                    median["peak_mb"] = max(run["peak_mb"] for run in runs)
                    median["phase"] += f", median of {REPEATS}"
                    results.append(median)
        finally:
            if cleanup:
                cleanup()
    print(f"database: {args.database}")
    print(f"{'phase':<60} {'seconds':>8} {'rows/s':>9} {'peak MB':>8} {'start MB':>9}")
    for r in results:
        print(
            f"{r['phase']:<60} {r['seconds']:>8.2f} {r['rows_per_s']:>9,.0f} "
            f"{r['peak_mb']:>8.0f} {r['baseline_mb']:>9.0f}"
        )


if __name__ == "__main__":
    main()
