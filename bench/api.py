"""Benchmark: the cost of the list path and of liveness, per request, on one worker.

    .venv/bin/python bench/api.py [--database postgresql|sqlite] [--seconds 10]

Builds a throwaway database with the Kon Tum demo (566 teams, 2,519 members), starts
one uvicorn worker (uvloop, httptools) and drives each route for a fixed time at 1 and
16 concurrent keep-alive clients. For each it prints requests/s, p50/p95/p99 latency and
the server's CPU milliseconds per request (its CPU time before and after the run,
divided by the requests answered). ``/bench/floor`` serves the same 50 teams as the
teams list from memory through the same response model (see ``bench/apps.py``); the
last column is each route's throughput as a share of the floor's in the same run.
Results are also written to ``bench/results/api-<database>-<date>.txt``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from harness import (
    FIGURE_COLUMNS,
    SECRET,
    Request,
    drive,
    machine_line,
    save_report,
    serve,
    server_env,
    table,
    throwaway_database,
)

ROUTES = {
    "healthz": "/healthz",
    "floor (50 teams from memory)": "/bench/floor",
    "teams list (50)": "/api/v1/teams?limit=50",
    "members list (50)": "/api/v1/members?limit=50",
}


def prepare(url: str) -> str:
    """Migrate, seed Kon Tum and its demo, add the benchmark's admin; returns its token."""
    from tests.databases import migrated_engine, settings_for
    from tests.factories import make_user, unit_by_code

    from cnscd_api.core.security import create_access_token
    from cnscd_api.db import Database
    from cnscd_api.demo_data import seed_demo_data
    from cnscd_api.models import Role, UnitLevel
    from cnscd_api.units.seed import seed_units

    from apps import BENCH_USERNAME

    engine = migrated_engine(url)
    with Database(engine).transaction() as session:
        seed_units(session, {62})
        seed_demo_data(session)
        admin = make_user(
            session,
            Role.PROVINCE_ADMIN,
            unit_by_code(session, UnitLevel.PROVINCE, "62"),
            username=BENCH_USERNAME,
        )
        admin_id = admin.id
    engine.dispose()
    settings = settings_for(url).model_copy(update={"secret_key": SecretStr(SECRET)})
    token, _ = create_access_token(settings, f"user:{admin_id}")
    return token


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--seconds", type=float, default=10.0, help="per route and concurrency")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16])
    args = parser.parse_args()

    rows: list[dict[str, Any]] = []
    with (
        tempfile.TemporaryDirectory() as workdir,
        throwaway_database(args.database, Path(workdir)) as url,
    ):
        token = prepare(url)
        env = server_env(url)
        headers = {"Authorization": f"Bearer {token}"}
        with serve("bench.apps:with_floor", env) as server:
            for concurrency in args.concurrency:
                results = {}
                for name, path in ROUTES.items():
                    request = Request("GET", path, headers)

                    def same(request: Request = request) -> Request:
                        return request

                    drive(server, same, concurrency=concurrency, seconds=2)
                    results[name] = drive(
                        server, same, concurrency=concurrency, seconds=args.seconds
                    )
                floor = results["floor (50 teams from memory)"].throughput
                for name, result in results.items():
                    rows.append(
                        {
                            "route": name,
                            "c": concurrency,
                            **result.figures(),
                            "floor": 100 * result.throughput / floor if floor else 0,
                        }
                    )
    report = "\n".join(
        [
            f"bench/api.py --database {args.database} --seconds {args.seconds:g}",
            machine_line(),
            "",
            table(
                rows,
                [
                    ("route", "route                        ", ""),
                    ("c", "clients", "d"),
                    *FIGURE_COLUMNS,
                    ("floor", "% of floor", ".0f"),
                ],
            ),
        ]
    )
    print(report)
    save_report(f"api-{args.database}", report)


if __name__ == "__main__":
    main()
