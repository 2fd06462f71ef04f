"""Benchmark: from commit to receipt, webhooks delivered by 1 and 2 workers.

    .venv/bin/python bench/events.py [--database postgresql|sqlite] [--rate 200] [--seconds 20]

Builds a throwaway database with Kon Tum, a team and a commune officer who owns one
webhook endpoint pointing at a receiver on loopback, then for
each run starts ``cnscd worker`` processes (their default settings: polling every 0.2 s,
4 sends at once) and commits team edits at ``--rate`` a second, each an ordinary write
with its audit event, once a first event has gone through (the workers have started).
Each event's latency is the time from its transaction's commit to
its arrival at the receiver (a process of its own). It reports p50, p95 and max per run,
checks that every event arrived exactly once, and writes
``bench/results/events-<database>-<date>.txt``. SQLite runs one worker only (its
deployments run one).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from harness import (
    ROOT,
    machine_line,
    percentile,
    save_report,
    server_env,
    table,
    throwaway_database,
)

DRAIN_SECONDS = 60.0
WRITERS = 8


class Arrivals:
    """When each webhook-id first arrived, and how often, read from the receiver's log."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.times: dict[str, float] = {}
        self.count: Counter[str] = Counter()

    def refresh(self) -> None:
        self.times.clear()
        self.count.clear()
        for line in self.log.read_text().splitlines():
            webhook_id, _, moment = line.partition(" ")
            self.times.setdefault(webhook_id, float(moment))
            self.count[webhook_id] += 1


def serve_receiver(log: str, ready: Any) -> None:
    """The receiver, in a process of its own (so that neither the writers nor the
    workers share its interpreter): logs ``<webhook-id> <arrival time>`` per request."""
    out = open(log, "a", buffering=1)  # noqa: SIM115 -- open for the process's life

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            moment = time.time()
            self.rfile.read(int(self.headers.get("content-length", "0")))
            out.write(f"{self.headers['webhook-id']} {moment}\n")
            self.send_response(204)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    ready.put(server.server_address[1])
    server.serve_forever()


@contextmanager
def receiver(log: Path) -> Iterator[str]:
    context = multiprocessing.get_context("spawn")
    ready = context.Queue()
    process = context.Process(target=serve_receiver, args=(str(log), ready), daemon=True)
    process.start()
    try:
        yield f"http://127.0.0.1:{ready.get(timeout=60)}/hooks"
    finally:
        process.terminate()
        process.join()


def prepare(url: str, hook_url: str) -> Any:
    """Migrate, seed Kon Tum, teams and their commune officer's endpoint."""
    from tests.databases import migrated_engine, settings_for
    from tests.factories import make_team, make_user, unit_by_code

    from cnscd_api.auth import service as auth_service
    from cnscd_api.core.permissions import PrincipalKind
    from cnscd_api.db import Database
    from cnscd_api.models import Role, UnitLevel
    from cnscd_api.units.seed import seed_units
    from cnscd_api.webhooks import service as webhook_service
    from cnscd_api.webhooks.schemas import WebhookEndpointCreate

    engine = migrated_engine(url)
    database = Database(engine)
    settings = settings_for(url).model_copy(update={"webhook_allow_loopback": True})
    with database.transaction() as session:
        seed_units(session, {62})
        commune = unit_by_code(session, UnitLevel.COMMUNE, "23353")
        officer = make_user(session, Role.COMMUNE_OFFICER, commune)
        # As many teams as writers and more: two writers never edit one team at once.
        team_id = [make_team(session, commune, f"Tổ đo {n}").id for n in range(4 * WRITERS)]
        path = commune.path
        owner = auth_service.account_principal(session, PrincipalKind.USER, officer.id)
        assert owner is not None
        webhook_service.create_endpoint(
            session, owner, WebhookEndpointCreate(url=hook_url), settings
        )
    return database, team_id, path


def write(database: Any, team_id: Any, path: str, number: int) -> tuple[str, float]:
    """One team edit, committed with its audit event; the event's id and commit time."""
    from cnscd_api.core import audit
    from cnscd_api.core.concurrency import update_versioned
    from cnscd_api.models import Team

    with database.session(write=True) as session:
        team = session.get(Team, team_id[number % len(team_id)], with_for_update=True)
        before = audit.snapshot(team)
        update_versioned(session, team, {"note": f"lần {number}"})
        audit.updated(session, None, team, before, path, actor_name="bench")
        event_id = session.info[audit.PENDING][-1]["id"]
        session.commit()
        return str(event_id), time.time()


def start_workers(url: str, count: int) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, **server_env(url), "CNSCD_WEBHOOK_ALLOW_LOOPBACK": "true"}
    cnscd = str(Path(sys.executable).parent / "cnscd")
    return [
        subprocess.Popen(  # noqa: S603 -- our own console script
            [cnscd, "worker"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL
        )
        for _ in range(count)
    ]


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for process in workers:
        process.send_signal(signal.SIGTERM)
    for process in workers:
        process.wait(timeout=60)


def warm_up(database: Any, team_id: Any, path: str, arrivals: Arrivals) -> None:
    """One event through, so that the workers have started (imports, connections)
    before the measured run: a start-up is not a delivery's latency."""
    event_id, _ = write(database, team_id, path, -1)
    deadline = time.monotonic() + DRAIN_SECONDS
    while event_id not in arrivals.times:
        assert time.monotonic() < deadline, "the workers never delivered the warm-up event"
        time.sleep(0.1)
        arrivals.refresh()


def run(
    database: Any, team_id: Any, path: str, arrivals: Arrivals, rate: float, seconds: float
) -> dict[str, float]:
    """Write at ``rate`` for ``seconds``; wait for every event; the latencies' figures."""
    committed: dict[str, float] = {}
    total = int(rate * seconds)
    start = time.monotonic()
    # Writers in parallel, as requests are: one alone could not commit 200 a second here.
    with ThreadPoolExecutor(WRITERS) as writers:
        pending = []
        for number in range(total):
            pause = start + number / rate - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            pending.append(writers.submit(write, database, team_id, path, number))
        for done in pending:
            event_id, moment = done.result()
            committed[event_id] = moment
    achieved = total / (time.monotonic() - start)
    deadline = time.monotonic() + DRAIN_SECONDS
    arrivals.refresh()
    while time.monotonic() < deadline and not all(e in arrivals.times for e in committed):
        time.sleep(0.2)
        arrivals.refresh()
    latencies = sorted(arrivals.times[e] - committed[e] for e in committed if e in arrivals.times)
    return {
        "events": total,
        "rate": achieved,
        "arrived": len(latencies),
        "repeats": sum(arrivals.count[e] - 1 for e in committed if arrivals.count[e] > 1),
        "p50": 1000 * percentile(latencies, 0.5) if latencies else 0,
        "p95": 1000 * percentile(latencies, 0.95) if latencies else 0,
        "max": 1000 * latencies[-1] if latencies else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--rate", type=float, default=200.0, help="events committed a second")
    parser.add_argument("--seconds", type=float, default=20.0, help="per run")
    args = parser.parse_args()
    worker_counts = [1, 2] if args.database == "postgresql" else [1]
    rows: list[dict[str, Any]] = []
    with (
        tempfile.TemporaryDirectory() as workdir,
        throwaway_database(args.database, Path(workdir)) as url,
        receiver(Path(workdir) / "arrivals.log") as hook_url,
    ):
        arrivals = Arrivals(Path(workdir) / "arrivals.log")
        database, team_id, path = prepare(url, hook_url)
        try:
            for count in worker_counts:
                workers = start_workers(url, count)
                try:
                    warm_up(database, team_id, path, arrivals)
                    figures = run(database, team_id, path, arrivals, args.rate, args.seconds)
                finally:
                    stop_workers(workers)
                rows.append({"workers": count, **figures})
        finally:
            database.dispose()
    report = "\n".join(
        [
            f"bench/events.py --database {args.database} --rate {args.rate:g} "
            f"--seconds {args.seconds:g}",
            machine_line(),
            "",
            table(
                rows,
                [
                    ("workers", "workers", "d"),
                    ("events", "events", "d"),
                    ("rate", "events/s", ".0f"),
                    ("arrived", "arrived", "d"),
                    ("repeats", "repeats", "d"),
                    ("p50", "p50 ms", ".0f"),
                    ("p95", "p95 ms", ".0f"),
                    ("max", "max ms", ".0f"),
                ],
            ),
        ]
    )
    print(report)
    print(f"written to {save_report(f'events-{args.database}', report)}")


if __name__ == "__main__":
    main()
