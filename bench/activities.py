"""Benchmark: sustained activity writes through the HTTP API.

    .venv/bin/python bench/activities.py [--database postgresql|sqlite] [--seconds 20]
                                         [--workers 1]

Builds a throwaway database with the Kon Tum demo (566 teams), starts uvicorn with
``--workers`` workers and records activities as team leaders' phones would: single
``POST /api/v1/activities`` (each with its own ``Idempotency-Key``) from 1 and 16 clients,
then ``POST /api/v1/activities/batch`` with 100 activities a batch from 1 and 4 clients,
then a second province admin approves the single reports one by one
(``POST /api/v1/activities/{id}/approve``) from 1 and 16 clients. It reports
activities/s, p50/p95 latency per request and the CPU milliseconds per activity of the
server (all its workers) and (on PostgreSQL) of the database's backends, each measured
before and after a run and divided by the activities the answers say were created or
approved (a 201, a batch's ``created``, an approval's 200: an item answered ``unchanged`` or
``invalid`` created nothing). On PostgreSQL it samples ``pg_stat_activity`` every 100 ms
during each run and reports the share of the active backends' samples spent waiting on a
lock (``wait_event_type = 'Lock'``: row and transaction locks) and on lightweight locks
and I/O (WAL flushes). It checks that every activity answered as created is in the
database afterwards, and writes the table to
``bench/results/activities-<database>-<date>.txt``.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from harness import (
    SECRET,
    Request,
    Result,
    drive,
    machine_line,
    save_report,
    serve,
    server_env,
    table,
    throwaway_database,
)

BATCH = 100
CATEGORIES = ["vneid", "online_public_services", "cashless_payment"]


def prepare(url: str) -> tuple[str, str, list[str]]:
    """Migrate, seed Kon Tum and its demo; the tokens of a recording and an approving
    province admin (nobody approves their own report) and the demo teams' ids."""
    from sqlmodel import col, select
    from tests.databases import migrated_engine, settings_for
    from tests.factories import make_user, unit_by_code

    from cnscd_api.core.security import create_access_token
    from cnscd_api.db import Database
    from cnscd_api.demo_data import seed_demo_data
    from cnscd_api.models import Role, Team, UnitLevel
    from cnscd_api.units.seed import seed_units

    engine = migrated_engine(url)
    with Database(engine).transaction() as session:
        seed_units(session, {62})
        seed_demo_data(session)
        admin = make_user(
            session, Role.PROVINCE_ADMIN, unit_by_code(session, UnitLevel.PROVINCE, "62")
        )
        admin_id = admin.id
        reviewer_id = make_user(
            session, Role.PROVINCE_ADMIN, unit_by_code(session, UnitLevel.PROVINCE, "62")
        ).id
        teams = [str(t) for t in session.exec(select(Team.id).order_by(col(Team.name))).all()]
    engine.dispose()
    settings = settings_for(url).model_copy(update={"secret_key": SecretStr(SECRET)})
    token, _ = create_access_token(settings, f"user:{admin_id}")
    reviewer, _ = create_access_token(settings, f"user:{reviewer_id}")
    return token, reviewer, teams


def count_activities(url: str) -> int:
    from sqlalchemy import func
    from sqlmodel import select
    from tests.databases import settings_for

    from cnscd_api.db import Database, create_db_engine
    from cnscd_api.models import Activity

    database = Database(create_db_engine(settings_for(url)))
    with database.session() as session:
        total: int = session.exec(select(func.count()).select_from(Activity)).one()
    database.dispose()
    return total


@contextmanager
def lock_waits(url: str) -> Iterator[Counter[str]]:
    """Samples every 100 ms, until the block ends, what the database's active client
    backends wait on: ``Lock`` (row, tuple and transaction locks), ``LWLock``, ``IO``,
    ``Client``… and ``CPU`` for none; nothing on SQLite."""
    samples: Counter[str] = Counter()
    if not url.startswith("postgresql"):
        yield samples
        return
    from sqlalchemy import create_engine, text

    from cnscd_api.db import normalise_url

    engine = create_engine(normalise_url(url), pool_size=1)
    stop = threading.Event()

    def sample() -> None:
        with engine.connect() as connection:
            while not stop.wait(0.1):
                rows = connection.execute(
                    text(
                        "SELECT coalesce(wait_event_type, 'CPU') FROM pg_stat_activity "
                        "WHERE datname = current_database() AND state = 'active' "
                        "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
                    )
                ).scalars()
                samples.update(rows)
                connection.rollback()

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield samples
    finally:
        stop.set()
        sampler.join()
        engine.dispose()


def share(samples: Counter[str], *kinds: str) -> float | str:
    total = sum(samples.values())
    return "" if not total else 100 * sum(samples[kind] for kind in kinds) / total


def activity(teams: list[str], rng: random.Random) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "team_id": rng.choice(teams),
        "activity_date": "2024-10-0" + str(rng.randint(1, 9)),
        "categories": sorted(rng.sample(CATEGORIES, rng.randint(1, 2))),
        "values": {"people_guided": rng.randint(5, 60), "households_visited": rng.randint(2, 30)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--seconds", type=float, default=20.0, help="per run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before the runs")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers")
    args = parser.parse_args()
    rng = random.Random(7)
    rows: list[dict[str, Any]] = []
    with (
        tempfile.TemporaryDirectory() as workdir,
        throwaway_database(args.database, Path(workdir)) as url,
    ):
        token, reviewer, teams = prepare(url)
        env = server_env(url)
        auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        accepted = 0

        def single() -> Request:
            body = json.dumps(activity(teams, rng)).encode()
            headers = {**auth, "Idempotency-Key": uuid.uuid4().hex}
            return Request("POST", "/api/v1/activities", headers, body)

        recorded: list[str] = []  # single reports created, to approve

        def approve() -> Request | None:
            if not recorded:  # every report recorded above is approved: the run ends early
                return None
            headers = {"Authorization": f"Bearer {reviewer}"}
            return Request("POST", f"/api/v1/activities/{recorded.pop()}/approve", headers, b"")

        def batch() -> Request:
            items = [activity(teams, rng) for _ in range(BATCH)]
            body = json.dumps({"activities": items}).encode()
            return Request("POST", "/api/v1/activities/batch", auth, body)

        created = [0]  # activities the answers of the current run say were created

        def check(request: Request, status: int, body: bytes) -> None:
            if status == 201:
                created[0] += 1
                recorded.append(json.loads(request.body)["id"])
            elif status == 200 and request.path.endswith("/approve"):
                created[0] += 1
            elif status == 200 and request.path.endswith("/batch"):
                created[0] += json.loads(body)["created"]

        runs: list[tuple[str, int, Any]] = [
            ("single POST", 1, single),
            ("single POST", 16, single),
            (f"batch of {BATCH}", 1, batch),
            (f"batch of {BATCH}", 4, batch),
            ("approve", 1, approve),
            ("approve", 16, approve),
        ]
        with serve("cnscd_api.main:create_app", env, workers=args.workers) as server:
            drive(server, single, concurrency=4, seconds=args.warmup, check=check)
            for name, concurrency, make in runs:
                accepted, created[0] = accepted + created[0], 0
                with lock_waits(url) as waits:
                    result: Result = drive(
                        server, make, concurrency=concurrency, seconds=args.seconds, check=check
                    )
                activities = created[0]
                if make is approve:
                    accepted -= activities  # approvals create nothing
                db_cpu = (
                    ""
                    if result.db_cpu_seconds is None
                    else 1000 * result.db_cpu_seconds / activities
                    if activities
                    else 0
                )
                rows.append(
                    {
                        "run": name,
                        "c": concurrency,
                        "requests": result.count,
                        "acts": activities / result.elapsed,
                        "p50": 1000 * result.median,
                        "p95": 1000 * result.percentile(0.95),
                        "cpu": 1000 * result.cpu_seconds / activities if activities else 0,
                        "db_cpu": db_cpu,
                        "errors": sum(n for status, n in result.statuses.items() if status >= 300),
                        "lock": share(waits, "Lock"),
                        "lwlock_io": share(waits, "LWLock", "IO"),
                    }
                )
        accepted += created[0]
        stored = count_activities(url)
    report = "\n".join(
        [
            f"bench/activities.py --database {args.database} --seconds {args.seconds:g} "
            f"--warmup {args.warmup:g} --workers {args.workers}",
            machine_line(),
            "",
            table(
                rows,
                [
                    ("run", "run            ", ""),
                    ("c", "clients", "d"),
                    ("requests", "requests", ",d"),
                    ("acts", "activities/s", ",.0f"),
                    ("p50", "p50 ms", ".1f"),
                    ("p95", "p95 ms", ".1f"),
                    ("cpu", "API CPU ms/activity", ".3f"),
                    ("db_cpu", "DB CPU ms/activity", ".3f"),
                    ("errors", "non-2xx", "d"),
                    ("lock", "lock wait %", ".0f"),
                    ("lwlock_io", "LWLock+IO %", ".0f"),
                ],
            ),
            "",
            f"activities answered as created: {accepted:,}; in the database afterwards: "
            f"{stored:,}" + (" (all there)" if stored == accepted else " (MISMATCH)"),
            "lock wait %: share of the active database backends' samples (every 100 ms) "
            "spent waiting on row or transaction locks; LWLock+IO %: on lightweight locks "
            "and I/O (WAL flushes among them)",
        ]
    )
    print(report)
    save_report(f"activities-{args.database}", report)


if __name__ == "__main__":
    main()
