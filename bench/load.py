"""Load test: a mixed workload against PostgreSQL on two uvicorn workers.

    .venv/bin/python bench/load.py [--clients 32] [--seconds 300] [--database-url URL]

Builds a throwaway PostgreSQL database at CNSCD_TEST_POSTGRES_URL (or reuses
``--database-url``), brings it to the newest migration, seeds Kon Tum and its demo
(``alembic upgrade head``, ``cnscd seed --province-code 62``, ``cnscd demo``) and creates
one officer account per client, a third each at the province (Kon Tum), district (Đắk
Glei) and commune (Đắk Pék) scope. Then ``--clients`` virtual users, each with its own
keep-alive connection (httpx), send for ``--seconds``:

- 55 % dashboard reads: overview, campaign progress and completeness, time series and
  team ranking, at the user's scope unit or one of its children;
- 25 % list pages (teams, members, activities, units; ``limit=50`` with filters);
- 15 % activity writes: a single ``POST /api/v1/activities`` or a batch of 20–100, each
  with an ``Idempotency-Key`` and client-chosen UUIDs; a quarter of the accepted ones are
  sent again with the same key and body (the answer must be the same status and body,
  marked ``Idempotent-Replayed: true``); a few are invalid on purpose (the single write
  is refused with a 422, a batch item answers ``invalid``); writes that got a 5xx or no
  answer are retried once, with the same key, a second later;
- 5 % logins (password grant) and refreshes (refresh grant).

It reports requests, p50/p95/p99 latency and requests/s per endpoint and per kind,
answers by status, and the server workers' CPU milliseconds per request (both workers'
user + system time from ``/proc``, before and after). Pass criteria: no 5xx; every
replayed answer identical; and, counted in the database afterwards, every activity
answered 2xx is there and none answered only 4xx/5xx is. The report goes to
``bench/results/load-<date>.txt``; the exit status is 1 when a criterion fails.

``bench/faults.sh`` drives the same code with ``--events`` (every request and a
``/readyz`` probe as JSON lines), ``--outage`` (503s expected while PostgreSQL is down)
and ``--check-outage`` (judges the events), and runs ``--kill-test`` (kill -9 of a worker
in the middle of a member import and of a 500-activity batch).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import io
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from harness import (
    ROOT,
    SECRET,
    DatabaseCpu,
    Server,
    cpu_seconds,
    machine_line,
    percentile,
    save_report,
    serve,
    server_env,
    table,
    throwaway_database,
)

PASSWORD = "Tai-tai-kiem-thu-2026!"
API = "/api/v1"
PROVINCE, DISTRICT, COMMUNE = "62", "610", "23353"  # Kon Tum, Đắk Glei, Đắk Pék
SCOPES = (("province", PROVINCE), ("district", DISTRICT), ("commune", COMMUNE))
ROLE_OF_SCOPE = {
    "province": "province_admin",
    "district": "district_officer",
    "commune": "commune_officer",
}
CAMPAIGN_DAYS = [f"2024-10-{day:02d}" for day in range(1, 11)]
CATEGORIES = ["vneid", "online_public_services", "cashless_payment"]
INDICATORS = ["people_guided", "households_visited"]
MIX = {"dashboard": 55, "list": 25, "write": 15, "auth": 5}
RETRY_SHARE = 0.25
INVALID_SHARE = 0.03
TIMEOUT_S = 30.0
PROBLEM_JSON = "application/problem+json"


# --- a small helper the harness lacks: a multi-worker server's CPU -------------------


def worker_pids(supervisor: int) -> list[int]:
    """The uvicorn workers under ``supervisor``: its children that run ``spawn_main``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == supervisor and b"spawn_main" in cmdline:
            pids.append(int(entry.name))
    return sorted(pids)


def wait_for_workers(supervisor: int, count: int, timeout: float = 30.0) -> list[int]:
    """The workers' pids once ``count`` of them answer, or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = worker_pids(supervisor)
        if len(pids) == count:
            return pids
        time.sleep(0.1)
    raise RuntimeError(
        f"expected {count} workers under {supervisor}, found {worker_pids(supervisor)}"
    )


@contextlib.contextmanager
def serve_workers(
    url: str, log: Path, workers: int = 2, start_timeout: float = 120.0
) -> Iterator[Server]:
    """The harness's ``serve`` with ``workers``, waiting up to ``start_timeout`` for every
    worker to answer ``/healthz`` (a busy shared machine starts them slowly)."""
    app = "cnscd_api.main:create_app"
    env = server_env(url)
    with serve(app, env, workers, log=log, start_timeout=start_timeout) as server:
        wait_for_workers(server.process.pid, workers, start_timeout)
        deadline = time.monotonic() + start_timeout
        while True:
            try:
                # Both workers listen on the port: several answers make both likely up.
                for _ in range(4 * workers):
                    httpx.get(f"{server.base_url}/healthz", timeout=5).raise_for_status()
                break
            except httpx.HTTPError:
                if server.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.2)
        yield server


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


# --- the database ------------------------------------------------------------------


@dataclass
class Scope:
    name: str
    unit_id: str
    children: list[str]
    teams: list[str]


@dataclass
class Fixture:
    url: str
    campaign_id: str
    scopes: dict[str, Scope]
    usernames: list[str]


def run_command(command: list[str], url: str) -> None:
    """One of the project's commands on ``url``, as an operator would run it."""
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 -- our own virtualenv's commands
        command,
        check=True,
        cwd=ROOT,
        env={**os.environ, **server_env(url)},
        stdout=subprocess.DEVNULL,
    )
    shown = " ".join([Path(command[0]).name, *command[1:]])
    print(f"  {shown} ({time.perf_counter() - started:.1f} s)", flush=True)


def engine_for(url: str) -> Any:
    from sqlalchemy import create_engine

    from cnscd_api.db import normalise_url

    return create_engine(normalise_url(url), connect_args={"connect_timeout": 5})


def query(session: Any, sql: str, **params: Any) -> list[str]:
    """The first column of a query's rows, as text."""
    from sqlalchemy import text

    return [str(row[0]) for row in session.connection().execute(text(sql), params)]


def prepare(url: str, clients: int) -> Fixture:
    """Migrate, seed Kon Tum and its demo, create one officer per client (idempotent)."""
    bin_dir = Path(sys.executable).parent
    run_command([str(bin_dir / "alembic"), "upgrade", "head"], url)
    run_command([str(bin_dir / "cnscd"), "seed", "--province-code", "62"], url)
    run_command([str(bin_dir / "cnscd"), "demo"], url)

    from pydantic import SecretStr

    from cnscd_api.config import Environment, Settings
    from cnscd_api.db import Database, create_db_engine
    from cnscd_api.models import Role, Unit, UnitLevel
    from cnscd_api.users import repository as user_repository
    from cnscd_api.users import service as user_service

    settings = Settings(
        environment=Environment.TEST, database_url=url, secret_key=SecretStr(SECRET)
    )
    database = Database(create_db_engine(settings))
    levels = {
        "province": UnitLevel.PROVINCE,
        "district": UnitLevel.DISTRICT,
        "commune": UnitLevel.COMMUNE,
    }
    usernames = [f"load.{SCOPES[k % 3][0]}.{k:02d}" for k in range(clients)]
    scopes: dict[str, Scope] = {}
    with database.transaction() as session:
        units: dict[str, Unit] = {}
        for name, code in SCOPES:
            (unit_id,) = query(
                session,
                "SELECT id FROM unit WHERE level = :level AND code = :code AND valid_to IS NULL",
                level=levels[name].value,
                code=code,
            )
            units[name] = session.get_one(Unit, unit_id)
        for name, unit in units.items():
            children = query(
                session,
                "SELECT id FROM unit WHERE parent_id = :id AND valid_to IS NULL ORDER BY path",
                id=unit.id,
            )
            teams = query(
                session,
                "SELECT team.id FROM team JOIN unit ON unit.id = team.unit_id "
                "WHERE unit.path LIKE :prefix AND team.status = 'active' "
                "ORDER BY team.name, team.id",
                prefix=unit.path + "%",
            )
            scopes[name] = Scope(name, str(unit.id), children, teams)
        for k, username in enumerate(usernames):
            if user_repository.username_exists(session, username):
                continue
            scope_name = SCOPES[k % 3][0]
            user_service.create_account(
                session,
                username=username,
                full_name=f"Kiểm thử tải {k:02d}",
                role=Role(ROLE_OF_SCOPE[scope_name]),
                unit=units[scope_name],
                password=PASSWORD,
            )
        (campaign,) = query(session, "SELECT id FROM campaign ORDER BY starts_on LIMIT 1")
    database.dispose()
    for scope in scopes.values():
        if not scope.teams:
            raise RuntimeError(f"no active team in the {scope.name} scope")
    return Fixture(url, campaign, scopes, usernames)


def count_rows(url: str, table_name: str) -> int:
    from sqlalchemy import text

    engine = engine_for(url)
    try:
        with engine.connect() as connection:
            query = text(f"SELECT count(*) FROM {table_name}")  # noqa: S608 -- our tables
            total: int = connection.execute(query).scalar_one()
    finally:
        engine.dispose()
    return total


def stored_activity_ids(url: str, ids: list[str]) -> set[str]:
    """Which of ``ids`` are activities in the database."""
    from sqlalchemy import bindparam, text

    found: set[str] = set()
    engine = engine_for(url)
    statement = text("SELECT id FROM activity WHERE id IN :ids").bindparams(
        bindparam("ids", expanding=True)
    )
    try:
        with engine.connect() as connection:
            for start in range(0, len(ids), 1000):
                chunk = [uuid.UUID(i) for i in ids[start : start + 1000]]
                found.update(str(row[0]) for row in connection.execute(statement, {"ids": chunk}))
    finally:
        engine.dispose()
    return found


# --- what the clients record ---------------------------------------------------------


@dataclass
class Sample:
    kind: str
    label: str
    at: float  # wall clock (epoch seconds) when the request was sent
    latency: float
    status: int  # 0: no answer (connection error or client timeout)
    problem: bool  # answered application/problem+json


@dataclass
class Ledger:
    """What the clients were told about each activity they chose the id of."""

    accepted: set[str] = field(default_factory=set)
    refused: set[str] = field(default_factory=set)
    unanswered: set[str] = field(default_factory=set)
    replays: int = 0
    replay_mismatches: list[str] = field(default_factory=list)
    conflicts: int = 0

    def settle(self) -> tuple[set[str], set[str], set[str]]:
        """Accepted if any answer accepted it; refused if answered and never accepted."""
        accepted = self.accepted
        refused = self.refused - accepted
        unanswered = self.unanswered - accepted - refused
        return accepted, refused, unanswered


@dataclass
class Tokens:
    access: str = ""
    refresh: str = ""


class VirtualUser:
    """One client: one account, one keep-alive connection, its own random stream."""

    def __init__(
        self,
        number: int,
        fixture: Fixture,
        base_url: str,
        samples: list[Sample],
        ledger: Ledger,
        seed: int,
    ) -> None:
        self.number = number
        self.username = fixture.usernames[number]
        self.scope = fixture.scopes[SCOPES[number % 3][0]]
        self.campaign_id = fixture.campaign_id
        self.rng = random.Random(seed * 1000 + number)
        self.samples = samples
        self.ledger = ledger
        self.tokens = Tokens()
        self.http = httpx.AsyncClient(
            base_url=base_url,
            timeout=TIMEOUT_S,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        )

    # -- sending

    async def send(
        self,
        kind: str,
        label: str,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        data: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        authorised: bool = True,
    ) -> httpx.Response | None:
        all_headers = dict(headers or {})
        if authorised:
            all_headers["Authorization"] = f"Bearer {self.tokens.access}"
        content = None
        if json_body is not None:
            content = json.dumps(json_body).encode()
            all_headers["Content-Type"] = "application/json"
        at = time.time()
        started = time.perf_counter()
        try:
            response = await self.http.request(
                method, path, params=params, content=content, data=data, headers=all_headers
            )
        except httpx.HTTPError:
            self.samples.append(Sample(kind, label, at, time.perf_counter() - started, 0, False))
            return None
        problem = response.headers.get("content-type", "").startswith(PROBLEM_JSON)
        self.samples.append(
            Sample(kind, label, at, time.perf_counter() - started, response.status_code, problem)
        )
        return response

    async def login(self) -> bool:
        response = await self.send(
            "auth",
            "login",
            "POST",
            f"{API}/auth/token",
            data={"grant_type": "password", "username": self.username, "password": PASSWORD},
            authorised=False,
        )
        if response is None or response.status_code != 200:
            return False
        body = response.json()
        self.tokens = Tokens(body["access_token"], body["refresh_token"])
        return True

    async def refresh(self) -> None:
        response = await self.send(
            "auth",
            "refresh",
            "POST",
            f"{API}/auth/refresh",
            json_body={"refresh_token": self.tokens.refresh},
            authorised=False,
        )
        if response is not None and response.status_code == 200:
            body = response.json()
            self.tokens = Tokens(body["access_token"], body["refresh_token"])

    # -- the mix

    def some_unit(self) -> str | None:
        """The scope unit (by default, or named), or one of its children."""
        roll = self.rng.random()
        if roll < 0.4 or not self.scope.children:
            return None
        if roll < 0.5:
            return self.scope.unit_id
        return self.rng.choice(self.scope.children)

    @staticmethod
    def with_unit(params: dict[str, Any], unit: str | None) -> dict[str, Any]:
        return {**params, "unit_id": unit} if unit else params

    async def dashboard(self) -> None:
        rng, unit = self.rng, self.some_unit()
        choice = rng.randrange(5)
        if choice == 0:
            params: dict[str, Any] = {}
            if rng.random() < 0.5:
                params["campaign_id"] = self.campaign_id
            elif rng.random() < 0.5:
                params.update({"from": "2024-10-01", "to": "2024-10-31"})
            await self.read(
                "dashboard", "overview", "/stats/overview", self.with_unit(params, unit)
            )
        elif choice == 1:
            await self.read(
                "dashboard",
                "progress",
                f"/stats/campaigns/{self.campaign_id}/progress",
                self.with_unit({}, unit),
            )
        elif choice == 2:
            params = {"date": rng.choice(CAMPAIGN_DAYS)}
            await self.read(
                "dashboard",
                "completeness",
                f"/stats/campaigns/{self.campaign_id}/completeness",
                self.with_unit(params, unit),
            )
        elif choice == 3:
            params = {
                "indicator": rng.choice(INDICATORS),
                "interval": rng.choice(["day", "week", "month"]),
            }
            if rng.random() < 0.5:
                params["campaign_id"] = self.campaign_id
            else:
                params.update({"from": "2024-09-01", "to": "2024-11-30"})
            await self.read(
                "dashboard", "timeseries", "/stats/timeseries", self.with_unit(params, unit)
            )
        else:
            params = {"indicator": rng.choice(INDICATORS), "limit": rng.choice([20, 50])}
            if rng.random() < 0.5:
                params["campaign_id"] = self.campaign_id
            await self.read(
                "dashboard", "ranking", "/stats/teams/ranking", self.with_unit(params, unit)
            )

    async def listing(self) -> None:
        rng, unit = self.rng, self.some_unit()
        choice = rng.randrange(4)
        page = {"limit": 50, "offset": rng.choice([0, 0, 50])}
        if choice == 0:
            params = self.with_unit({**page, "status": "active"}, unit)
            await self.read("list", "teams", "/teams", params)
        elif choice == 1:
            if rng.random() < 0.5:
                params = {"limit": 50, "team_id": rng.choice(self.scope.teams), "active": "true"}
            else:
                params = self.with_unit({**page, "active": "true"}, unit)
            await self.read("list", "members", "/members", params)
        elif choice == 2:
            day = rng.choice(CAMPAIGN_DAYS)
            params = {
                **page,
                "from": day,
                "to": day,
                "status": rng.choice(["submitted", "approved"]),
            }
            await self.read("list", "activities", "/activities", self.with_unit(params, unit))
        else:
            params = {"limit": 50, "parent_id": unit or self.scope.unit_id}
            await self.read("list", "units", "/units", params)

    async def read(self, kind: str, label: str, path: str, params: dict[str, Any]) -> None:
        response = await self.send(kind, label, "GET", API + path, params=params)
        if response is not None and response.status_code == 401:
            await self.login()

    def activity(self, invalid: bool = False) -> dict[str, Any]:
        rng = self.rng
        item: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "team_id": rng.choice(self.scope.teams),
            "activity_date": rng.choice(CAMPAIGN_DAYS),
            "categories": sorted(rng.sample(CATEGORIES, rng.randint(1, 2))),
            "values": {
                "people_guided": rng.randint(5, 60),
                "households_visited": rng.randint(2, 30),
            },
        }
        if invalid:
            # An indicator outside the activity's categories: refused by validation.
            item["categories"] = ["cashless_payment"]
            item["values"] = {"vneid_level2_activated": 4}
        return item

    async def write(self) -> None:
        if self.rng.random() < 0.5:
            invalid = self.rng.random() < INVALID_SHARE
            item = self.activity(invalid)
            await self.post_write("single", f"{API}/activities", item, [item["id"]])
        else:
            items = [self.activity() for _ in range(self.rng.randint(20, 100))]
            if self.rng.random() < 0.1:
                items[self.rng.randrange(len(items))] = self.activity(invalid=True)
            await self.post_write(
                "batch", f"{API}/activities/batch", {"activities": items}, [i["id"] for i in items]
            )

    async def post_write(self, label: str, path: str, body: Any, ids: list[str]) -> None:
        key = str(uuid.uuid4())
        headers = {"Idempotency-Key": key}
        response = await self.send("write", label, "POST", path, json_body=body, headers=headers)
        self.settle(response, ids)
        if response is None or response.status_code >= 500:
            # A phone that got no answer, or a 5xx, sends the same request again.
            await asyncio.sleep(1.0)
            retry = await self.send("write", "retry", "POST", path, json_body=body, headers=headers)
            self.settle(retry, ids)
            return
        if response.status_code == 401:
            await self.login()
            return
        if response.is_success and self.rng.random() < RETRY_SHARE:
            replay = await self.send(
                "write", "replay", "POST", path, json_body=body, headers=headers
            )
            self.check_replay(key, response, replay)
            self.settle(replay, ids)

    def check_replay(self, key: str, first: httpx.Response, replay: httpx.Response | None) -> None:
        if replay is None:
            return
        if replay.status_code >= 500:
            return  # an outage: not a replay at all
        self.ledger.replays += 1
        same = (
            replay.status_code == first.status_code
            and replay.content == first.content
            and replay.headers.get("idempotent-replayed") == "true"
            and all(
                replay.headers.get(name) == first.headers.get(name)
                for name in ("content-type", "etag", "location")
            )
        )
        if not same:
            self.ledger.replay_mismatches.append(
                f"{key}: {first.status_code} then {replay.status_code} "
                f"replayed={replay.headers.get('idempotent-replayed')}"
            )

    def settle(self, response: httpx.Response | None, ids: list[str]) -> None:
        ledger = self.ledger
        if response is None:
            ledger.unanswered.update(ids)
            return
        if not response.is_success:
            ledger.refused.update(ids)
            return
        items = response.json().get("items") if response.status_code == 200 else None
        if items is None:  # a single write: its one id
            ledger.accepted.update(ids)
            return
        for item in items:
            if item["status"] in ("created", "unchanged"):
                ledger.accepted.add(item["id"])
            elif item["status"] == "invalid":
                ledger.refused.add(item["id"])
            else:
                ledger.conflicts += 1

    async def auth(self) -> None:
        if self.rng.random() < 0.4 or not self.tokens.refresh:
            await self.login()
        else:
            await self.refresh()

    async def first_login(self, attempts: int = 30) -> None:
        for _ in range(attempts):
            if await self.login():
                return
            await asyncio.sleep(1.0)
        raise RuntimeError(f"{self.username} could not log in")

    async def run(self, stop_at: float) -> None:
        kinds, weights = list(MIX), list(MIX.values())
        actions = {
            "dashboard": self.dashboard,
            "list": self.listing,
            "write": self.write,
            "auth": self.auth,
        }
        while time.monotonic() < stop_at:
            await actions[self.rng.choices(kinds, weights)[0]]()

    async def close(self) -> None:
        await self.http.aclose()


async def probe_readyz(base_url: str, samples: list[Sample], stop_at: float) -> None:
    """``/readyz`` every quarter second, on a connection of its own."""
    async with httpx.AsyncClient(base_url=base_url, timeout=TIMEOUT_S) as http:
        while time.monotonic() < stop_at:
            at, started = time.time(), time.perf_counter()
            try:
                response = await http.get("/readyz")
                status = response.status_code
                problem = response.headers.get("content-type", "").startswith(PROBLEM_JSON)
            except httpx.HTTPError:
                status, problem = 0, False
            samples.append(
                Sample("probe", "readyz", at, time.perf_counter() - started, status, problem)
            )
            await asyncio.sleep(0.25)


async def run_clients(
    fixture: Fixture,
    base_url: str,
    clients: int,
    seconds: float,
    seed: int,
    probe: bool,
    on_start: Callable[[], None] = lambda: None,
) -> tuple[list[Sample], Ledger, list[Sample]]:
    """Every client logs in once (not measured), then ``on_start`` is called and the
    clients send for ``seconds``."""
    samples: list[Sample] = []
    probes: list[Sample] = []
    ledger = Ledger()
    logins: list[Sample] = []
    users = [VirtualUser(k, fixture, base_url, logins, ledger, seed) for k in range(clients)]
    try:
        await asyncio.gather(*(user.first_login() for user in users))
        for user in users:
            user.samples = samples
        on_start()
        stop_at = time.monotonic() + seconds
        tasks = [user.run(stop_at) for user in users]
        if probe:
            tasks.append(probe_readyz(base_url, probes, stop_at))
        await asyncio.gather(*tasks)
    finally:
        for user in users:
            await user.close()
    return samples, ledger, probes


# --- the report ---------------------------------------------------------------------


def summary_row(name: str, samples: list[Sample], elapsed: float) -> dict[str, Any]:
    latencies = sorted(s.latency for s in samples)
    return {
        "name": name,
        "requests": len(samples),
        "rps": len(samples) / elapsed if elapsed else 0.0,
        "p50": 1000 * percentile(latencies, 0.50),
        "p95": 1000 * percentile(latencies, 0.95),
        "p99": 1000 * percentile(latencies, 0.99),
        "non2xx": sum(1 for s in samples if not 200 <= s.status < 300),
    }


COLUMNS = [
    ("name", "kind / endpoint ", ""),
    ("requests", "requests", ",d"),
    ("rps", "  req/s", ".1f"),
    ("p50", "  p50 ms", ",.0f"),
    ("p95", "  p95 ms", ",.0f"),
    ("p99", "  p99 ms", ",.0f"),
    ("non2xx", "non-2xx", ",d"),
]


def versions(url: str) -> str:
    """The client's and server's versions beside the harness's machine line."""
    import psycopg
    import uvicorn
    from sqlalchemy import text

    engine = engine_for(url)
    try:
        with engine.connect() as connection:
            server: str = connection.execute(text("SHOW server_version")).scalar_one()
    finally:
        engine.dispose()
    return (
        f"uvicorn {uvicorn.__version__} · httpx {httpx.__version__} · "
        f"psycopg {psycopg.__version__} · PostgreSQL {server.split()[0]}"
    )


# --- the load run -------------------------------------------------------------------


@dataclass
class LoadOutcome:
    passed: bool
    report: str


def load_run(args: argparse.Namespace, url: str) -> LoadOutcome:
    print(f"preparing the database ({args.clients} accounts) …", flush=True)
    fixture = prepare(url, args.clients)
    print(f"serving on 2 workers; {args.clients} clients for {args.seconds:g} s …", flush=True)
    server_log = Path(tempfile.gettempdir()) / f"cnscd-load-server-{os.getpid()}.log"
    with serve_workers(url, server_log) as server:
        workers = wait_for_workers(server.process.pid, 2)
        # Warm up: every worker imports lazily and fills its pool on first use.
        asyncio.run(
            run_clients(fixture, server.base_url, min(4, args.clients), 3, args.seed + 1, False)
        )
        activities_before = count_rows(url, "activity")
        start: dict[str, Any] = {}
        database_cpu = DatabaseCpu(url)

        def on_start() -> None:
            """The measured part begins: every client has logged in."""
            start["load"] = load_average()
            start["cpu"] = {pid: cpu_seconds(pid) for pid in workers}
            start["db_cpu"] = database_cpu.sample()
            start["at"] = time.perf_counter()
            if args.ready_file:
                args.ready_file.write_text(
                    json.dumps({"base_url": server.base_url, "workers": workers}) + "\n"
                )

        samples, ledger, probes = asyncio.run(
            run_clients(
                fixture,
                server.base_url,
                args.clients,
                args.seconds,
                args.seed,
                bool(args.events),
                on_start,
            )
        )
        elapsed = time.perf_counter() - start["at"]
        load_before: str = start["load"]
        cpu_before: dict[int, float] = start["cpu"]
        workers_after = worker_pids(server.process.pid)
        cpu_used = sum(cpu_seconds(pid) - cpu_before.get(pid, 0.0) for pid in workers_after)
        db_cpu_used = DatabaseCpu.used(start["db_cpu"], database_cpu.sample())
        load_after = load_average()
    if args.events:
        with args.events.open("w") as events:
            for sample in [*samples, *probes]:
                events.write(json.dumps(sample.__dict__) + "\n")

    accepted, refused, unanswered = ledger.settle()
    found = stored_activity_ids(url, sorted(accepted | refused | unanswered))
    missing = accepted - found
    stray = refused & found
    activities_after = count_rows(url, "activity")
    created = activities_after - activities_before
    stored_unanswered = len(unanswered & found)

    rows: list[dict[str, Any]] = []
    by_kind: dict[str, list[Sample]] = defaultdict(list)
    by_label: dict[tuple[str, str], list[Sample]] = defaultdict(list)
    for sample in samples:
        by_kind[sample.kind].append(sample)
        by_label[(sample.kind, sample.label)].append(sample)
    rows.append(summary_row("all", samples, elapsed))
    for kind in MIX:
        rows.append(summary_row(kind, by_kind[kind], elapsed))
        for (owner, label), group in sorted(by_label.items()):
            if owner == kind:
                rows.append(summary_row(f"  {label}", group, elapsed))
    statuses = Counter(s.status for s in samples)
    errors = ", ".join(
        f"{'no answer' if status == 0 else status}: {n:,}"
        for status, n in sorted(statuses.items())
        if not 200 <= status < 300
    )
    errors_by_label = Counter(
        f"{s.label} {s.status or 'no answer'}" for s in samples if not 200 <= s.status < 300
    )
    server_errors = sum(n for status, n in statuses.items() if status >= 500 or status == 0)
    cpu_ms = 1000 * cpu_used / len(samples) if samples else float("nan")
    db_cpu_ms = 1000 * db_cpu_used / len(samples) if samples else float("nan")

    checks: list[tuple[str, bool, str]] = []
    if args.outage:
        unexpected = sum(
            n for status, n in statuses.items() if (status >= 500 and status != 503) or status == 0
        )
        checks.append(("no 5xx other than 503 (outage run)", unexpected == 0, f"{unexpected:,}"))
    else:
        checks.append(
            ("no 5xx and no unanswered request", server_errors == 0, f"{server_errors:,}")
        )
    checks += [
        (
            "every activity answered 2xx is in the database",
            not missing,
            f"{len(accepted):,} accepted, {len(missing):,} missing",
        ),
        (
            "no activity answered only 4xx/5xx is in the database",
            not stray,
            f"{len(refused):,} refused, {len(stray):,} stored",
        ),
        (
            "nothing created twice (activities added = accepted)",
            created == len(accepted) + stored_unanswered,
            f"{created:,} added, {len(accepted):,} accepted"
            + (f", {stored_unanswered:,} of the unanswered stored" if stored_unanswered else ""),
        ),
        (
            "every replay answered identically",
            not ledger.replay_mismatches and ledger.conflicts == 0,
            f"{ledger.replays:,} replays, {len(ledger.replay_mismatches):,} different, "
            f"{ledger.conflicts:,} batch conflicts",
        ),
    ]
    passed = all(ok for _, ok, _ in checks)
    lines = [
        f"bench/load.py --clients {args.clients} --seconds {args.seconds:g} --seed {args.seed}"
        + (" --outage" if args.outage else ""),
        machine_line(),
        versions(url),
        f"load average before {load_before}, after {load_after} (1, 5, 15 min)",
        f"2 uvicorn workers (pids {', '.join(map(str, workers))}), PostgreSQL, {args.clients} "
        f"keep-alive clients (httpx), mix {', '.join(f'{k} {v}%' for k, v in MIX.items())}",
        "",
        table(rows, COLUMNS),
        "",
        f"elapsed {elapsed:.1f} s (from when every client had logged in once); "
        f"{len(samples):,} requests, {len(samples) / elapsed:.1f}/s",
        f"server workers' CPU: {cpu_used:.1f} s, {cpu_ms:.2f} ms per request "
        f"({100 * cpu_used / elapsed:.0f}% of one core)",
        f"PostgreSQL backends' CPU: {db_cpu_used:.1f} s, {db_cpu_ms:.2f} ms per request "
        f"({100 * db_cpu_used / elapsed:.0f}% of one core)",
        f"answers other than 2xx: {errors or 'none'}",
    ]
    logged = server_log.read_text(errors="replace").splitlines() if server_log.exists() else []
    logged_errors = sum(1 for line in logged if '"level": "ERROR"' in line)
    lines.append(f"server log: {logged_errors:,} errors in {len(logged):,} lines ({server_log})")
    if errors_by_label:
        lines.append(
            "  by endpoint: "
            + ", ".join(f"{name}: {n:,}" for name, n in sorted(errors_by_label.items()))
        )
        if any(s.status == 422 for s in samples):
            lines.append("  (the 422s are the deliberately invalid single writes)")
    lines.append(
        f"activities: {len(accepted):,} accepted, {len(refused):,} refused, "
        f"{len(unanswered):,} never answered; table {activities_before:,} → {activities_after:,}"
    )
    lines.append("")
    for name, ok, detail in checks:
        lines.append(f"{'PASS' if ok else 'FAIL'}  {name} ({detail})")
    for mismatch in ledger.replay_mismatches[:10]:
        lines.append(f"  replay differs: {mismatch}")
    lines.append(f"{'PASS' if passed else 'FAIL'}  load")
    return LoadOutcome(passed, "\n".join(lines))


# --- faults: judging an outage -------------------------------------------------------


def check_outage(events: Path, down_at: float, start_at: float, up_at: float) -> bool:
    """Judge an outage from the events of a load run: PostgreSQL was down from ``down_at``
    (the stop command returned) to ``start_at`` (the start command was issued), and up
    again at ``up_at`` (the start command returned); epoch seconds. While it is down,
    every request is answered 503 problem+json within 5 s and /readyz is 503; within 5 s
    of it coming back the service answers normally, and stays so."""
    samples = [Sample(**json.loads(line)) for line in events.read_text().splitlines()]
    requests = [s for s in samples if s.kind != "probe"]
    probes = [s for s in samples if s.kind == "probe"]
    # Sent while it was down (answered whenever), and of those the ones answered before
    # the start was issued: those must be 503s.
    sent_down = [s for s in requests if down_at <= s.at < start_at]
    down = [s for s in sent_down if s.at + s.latency <= start_at]
    down_probes = [s for s in probes if down_at <= s.at and s.at + s.latency <= start_at]
    after = [s for s in requests if s.at >= up_at + 5]
    after_probes = [s for s in probes if s.at >= up_at + 5]
    first_ok = min(
        (s.at + s.latency for s in requests if s.at >= up_at and 200 <= s.status < 300),
        default=float("inf"),
    )
    first_ready = min(
        (s.at + s.latency for s in probes if s.at >= up_at and s.status == 200),
        default=float("inf"),
    )
    answered_503 = [s for s in down if s.status == 503 and s.problem]
    not_503 = Counter(s.status for s in down if not (s.status == 503 and s.problem))
    slow = [s for s in sent_down if s.latency > 5]
    after_bad = Counter(s.status for s in after if s.status >= 500 or s.status == 0)
    # A request already running when it stopped may end any way but by hanging.
    straddling = [s for s in requests if s.at < down_at < s.at + s.latency]
    checks = [
        (
            "while down, every request answered 503 problem+json",
            bool(down) and len(answered_503) == len(down),
            f"{len(answered_503):,} of {len(down):,}"
            + (f"; others {dict(not_503)}" if not_503 else ""),
        ),
        (
            "while down, every answer within 5 s (no hanging)",
            bool(sent_down) and not slow and all(s.latency <= 5 for s in straddling),
            f"{len(sent_down):,} sent, slowest "
            f"{max((s.latency for s in sent_down), default=0):.2f} s; "
            f"{len(straddling)} in flight at the stop, slowest "
            f"{max((s.latency for s in straddling), default=0):.2f} s",
        ),
        (
            "while down, /readyz 503",
            bool(down_probes) and all(s.status == 503 for s in down_probes),
            f"{sum(s.status == 503 for s in down_probes)} of {len(down_probes)} probes",
        ),
        (
            "within 5 s of the start a request answers 2xx",
            first_ok - up_at <= 5,
            f"after {first_ok - up_at:.2f} s",
        ),
        (
            "within 5 s of the start /readyz 200",
            first_ready - up_at <= 5,
            f"after {first_ready - up_at:.2f} s",
        ),
        (
            "from 5 s after the start, no 5xx and no unanswered request",
            bool(after) and not after_bad and all(s.status == 200 for s in after_probes),
            f"{len(after):,} requests" + (f"; {dict(after_bad)}" if after_bad else ""),
        ),
    ]
    for name, ok, detail in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {name} ({detail})")
    return all(ok for _, ok, _ in checks)


# --- faults: kill -9 of a worker mid-request -----------------------------------------


def backend_pid_of_port(port: int) -> int | None:
    """The process holding the local TCP socket ``127.0.0.1:port`` (a worker's
    connection to PostgreSQL), found through /proc/net/tcp and the processes' fds."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        parts = line.split()
        local_port = int(parts[1].split(":")[1], 16)
        if local_port == port:
            inode = parts[9]
            break
    if inode is None:
        return None
    target = f"socket:[{inode}]"
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in (entry / "fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) == target:
                        return int(entry.name)
    return None


def writing_worker(url: str, table_name: str, workers: list[int], timeout: float) -> int | None:
    """Wait until a connection of ours is inside a transaction that has begun inserting
    into ``table_name``; the worker that holds it, or None after ``timeout``."""
    import psycopg
    from sqlalchemy.engine import make_url

    from cnscd_api.db import normalise_url

    conninfo = make_url(normalise_url(url)).set(drivername="postgresql")
    deadline = time.monotonic() + timeout
    with psycopg.connect(
        conninfo.render_as_string(hide_password=False), autocommit=True
    ) as connection:
        while time.monotonic() < deadline:
            rows = connection.execute(
                "SELECT client_port FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL "
                "AND query ILIKE %s",
                (f"%INSERT INTO {table_name}%",),
            ).fetchall()
            for (port,) in rows:
                if port is None:
                    continue
                pid = backend_pid_of_port(int(port))
                if pid in workers:
                    return pid
            time.sleep(0.005)
    return None


@dataclass
class Attempt:
    response: httpx.Response | None = None
    error: str = ""


def post_in_thread(http: httpx.Client, attempt: Attempt, **request: Any) -> threading.Thread:
    def send() -> None:
        try:
            attempt.response = http.post(**request)
        except httpx.HTTPError as error:
            attempt.error = type(error).__name__

    thread = threading.Thread(target=send)
    thread.start()
    return thread


def kill_mid_write(
    database_url: str, supervisor: int, table_name: str, http: httpx.Client, **request: Any
) -> tuple[bool, Attempt, float]:
    """Send ``request``, kill -9 the worker once it is writing into ``table_name``;
    whether the kill landed mid-transaction, the client's attempt, and the seconds until
    two workers serve again."""
    workers = wait_for_workers(supervisor, 2)
    attempt = Attempt()
    thread = post_in_thread(http, attempt, **request)
    victim = writing_worker(database_url, table_name, workers, timeout=120)
    landed = victim is not None and thread.is_alive()
    if victim is not None:
        os.kill(victim, signal.SIGKILL)
        print(f"  kill -9 {victim} while it was inserting into {table_name}", flush=True)
    else:
        print(f"  never saw an insert into {table_name} in progress", flush=True)
    thread.join()
    started = time.monotonic()
    with contextlib.suppress(RuntimeError):
        wait_for_workers(supervisor, 2, timeout=60)
    return landed, attempt, time.monotonic() - started


def members_csv(team_ids: list[str], rows: int, first_phone: int) -> bytes:
    """A CSV of ``rows`` new members, phones numbered from ``first_phone``."""
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
    for i in range(rows):
        writer.writerow(
            [
                f"Trần Thị Tải {i}",
                "Nữ",
                1985 + i % 20,
                f"038{(first_phone + i) % 10**7:07d}",
                "Đoàn Thanh niên",
                "Thành viên",
                team_ids[i % len(team_ids)],
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")


def kill_test(url: str, import_rows: int, batch_size: int) -> bool:
    print("preparing the database …", flush=True)
    fixture = prepare(url, 1)
    province = fixture.scopes["province"]
    results: list[tuple[str, bool, str]] = []
    server_log = Path(tempfile.gettempdir()) / f"cnscd-kill-server-{os.getpid()}.log"
    print(f"server log: {server_log}", flush=True)
    with serve_workers(url, server_log) as server:
        supervisor = server.process.pid
        wait_for_workers(supervisor, 2)
        http = httpx.Client(base_url=server.base_url, timeout=300)
        token = http.post(
            f"{API}/auth/token",
            data={"grant_type": "password", "username": fixture.usernames[0], "password": PASSWORD},
        ).json()["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"

        # 1. A member import of import_rows rows.
        before = count_rows(url, "member")
        content = members_csv(province.teams, import_rows, first_phone=before)
        files = {"file": ("members.csv", content, "text/csv")}
        # A dry run tells how many rows the whole import creates (writing nothing).
        dry = http.post(f"{API}/members/import", params={"dry_run": "true"}, files=files)
        whole = dry.json()["created"] if dry.status_code == 200 else import_rows
        print(f"member import of {import_rows:,} rows ({len(content) / 1e6:.1f} MB) …", flush=True)
        landed, attempt, restart = kill_mid_write(
            url, supervisor, "member", http, url=f"{API}/members/import", files=files
        )
        after_kill = count_rows(url, "member")
        answered = attempt.response.status_code if attempt.response else attempt.error
        results.append(
            (
                "kill -9 mid-import: the kill landed inside the import's transaction",
                landed,
                f"client saw {answered}",
            )
        )
        results.append(
            (
                "kill -9 mid-import: no partial import",
                after_kill in (before, before + whole),
                f"members {before:,} → {after_kill:,}; the whole import creates {whole:,}",
            )
        )
        results.append(
            ("kill -9: uvicorn has two workers again within 60 s", restart < 60, f"{restart:.1f} s")
        )
        retry = http.post(f"{API}/members/import", files=files)
        after_retry = count_rows(url, "member")
        created = retry.json().get("created", -1) if retry.status_code == 200 else -1
        results.append(
            (
                "the import sent again completes, each row once",
                retry.status_code == 200 and after_retry == before + whole,
                f"{retry.status_code}, {created:,} created, members {after_kill:,} → "
                f"{after_retry:,}",
            )
        )

        # 2. A batch of batch_size activities with an Idempotency-Key.
        rng = random.Random(11)
        items: list[dict[str, Any]] = [
            {
                "id": str(uuid.uuid4()),
                "team_id": rng.choice(province.teams),
                "activity_date": rng.choice(CAMPAIGN_DAYS),
                "categories": ["vneid"],
                "values": {"people_guided": rng.randint(5, 60)},
            }
            for _ in range(batch_size)
        ]
        ids = [item["id"] for item in items]
        body = json.dumps({"activities": items}).encode()
        headers = {"Idempotency-Key": str(uuid.uuid4()), "Content-Type": "application/json"}
        request: dict[str, Any] = {
            "url": f"{API}/activities/batch",
            "content": body,
            "headers": headers,
        }
        activities_before = count_rows(url, "activity")
        print(f"activity batch of {batch_size} …", flush=True)
        landed, attempt, restart = kill_mid_write(url, supervisor, "activity", http, **request)
        stored = len(stored_activity_ids(url, ids))
        answered = attempt.response.status_code if attempt.response else attempt.error
        results.append(
            (
                "kill -9 mid-batch: the kill landed inside the batch's transaction",
                landed,
                f"client saw {answered}",
            )
        )
        results.append(
            (
                "kill -9 mid-batch: all or nothing stored",
                stored in (0, batch_size),
                f"{stored} of {batch_size} stored",
            )
        )
        # The dead worker's claim on the key lapses after a minute: retry until then.
        started = time.monotonic()
        statuses: list[int] = []
        final: httpx.Response | None = None
        while time.monotonic() - started < 180:
            final = http.post(**request)
            statuses.append(final.status_code)
            if final.status_code != 409:
                break
            time.sleep(float(final.headers.get("retry-after", "1")))
        assert final is not None
        outcome = final.json() if final.status_code == 200 else {}
        stored = len(stored_activity_ids(url, ids))
        added = count_rows(url, "activity") - activities_before
        results.append(
            (
                "the retried batch (same key and body) completes",
                final.status_code == 200
                and outcome.get("created", 0) + outcome.get("unchanged", 0) == batch_size,
                f"after {time.monotonic() - started:.0f} s, answers "
                f"{', '.join(f'{s}×{n}' for s, n in Counter(statuses).items())}; "
                f"created {outcome.get('created')}, unchanged {outcome.get('unchanged')}",
            )
        )
        results.append(
            (
                "the retried batch: nothing twice",
                stored == batch_size and added == batch_size,
                f"{stored} of the ids stored, activities +{added}",
            )
        )
        replay = http.post(**request)
        results.append(
            (
                "sent once more, the batch is replayed identically",
                replay.status_code == final.status_code
                and replay.content == final.content
                and replay.headers.get("idempotent-replayed") == "true"
                and count_rows(url, "activity") - activities_before == batch_size,
                f"{replay.status_code}, replayed={replay.headers.get('idempotent-replayed')}",
            )
        )
        http.close()
    for name, ok, detail in results:
        print(f"{'PASS' if ok else 'FAIL'}  {name} ({detail})")
    return all(ok for _, ok, _ in results)


# --- main ---------------------------------------------------------------------------


@contextlib.contextmanager
def database(args: argparse.Namespace) -> Iterator[str]:
    if args.database_url:
        yield args.database_url
        return
    with (
        tempfile.TemporaryDirectory() as workdir,
        throwaway_database("postgresql", Path(workdir)) as url,
    ):
        yield url


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--database-url", help="reuse this PostgreSQL database instead of a throwaway one"
    )
    parser.add_argument("--events", type=Path, help="write every request as a JSON line here")
    parser.add_argument("--ready-file", type=Path, help="written once the measured load starts")
    parser.add_argument(
        "--outage", action="store_true", help="PostgreSQL will be stopped: 503s are expected"
    )
    parser.add_argument(
        "--check-outage",
        nargs=3,
        type=float,
        metavar=("DOWN_AT", "START_AT", "UP_AT"),
        help="judge --events: epoch seconds when the stop command returned, the start "
        "command was issued and when it returned",
    )
    parser.add_argument("--kill-test", action="store_true", help="kill -9 a worker mid-write")
    parser.add_argument("--import-rows", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args()

    if args.check_outage:
        if not args.events:
            parser.error("--check-outage needs --events")
        sys.exit(0 if check_outage(args.events, *args.check_outage) else 1)
    with database(args) as url:
        if args.kill_test:
            passed = kill_test(url, args.import_rows, args.batch_size)
        else:
            outcome = load_run(args, url)
            print(outcome.report)
            print(f"written to {save_report('load', outcome.report)}")
            passed = outcome.passed
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
