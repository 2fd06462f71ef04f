"""Benchmark: the dashboards, the teams list and approvals on a generated data set.

    .venv/bin/python bench/run.py --database-url postgresql://postgres@127.0.0.1:5432/cnscd_bench
    .venv/bin/python bench/run.py --database-url sqlite:///var/bench-kontum.db --seconds 5

Runs against a database made by ``bench/generate.py`` (it reads the benchmark users and
the campaign from it, and writes only through the API: the approvals). Starts one
uvicorn worker (uvloop, httptools) on that database, logs the benchmark users in, and
for every case of ``CASES`` and every scope it applies to sends one request first (a
404 means the route or its data is not there: the case is reported ``unavailable``, so
stats cases wait for the stats endpoints), then warms up and drives the case for
``--seconds`` at each concurrency (1 and 16 keep-alive clients by default). Each row
gives requests/s, p50/p95/p99 latency and the server process's CPU milliseconds per
request (its CPU time before and after the run, divided by the requests answered).

Scopes: ``national`` is ``bench.national``, a national viewer (no ``unit_id``: the
whole country; its campaign is the first province's, as there is no national campaign);
``province`` is ``bench.province``, the
province admin of the generated province; ``commune`` is ``bench.commune``. Approvals
are the province admin's, one submitted report of the province per request (the
province admin reviews anything), with ``If-Match`` of the report's version.

The table is printed and written to ``bench/results/run-<label>-<database>-<date>.txt``
with the machine's CPU count, versions, the data set's size and the date.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from harness import (
    FIGURE_COLUMNS,
    Request,
    Result,
    Server,
    drive,
    machine_line,
    save_report,
    serve,
    server_env,
    table,
)

DEFAULT_PASSWORD = "Bench-password-2026"  # generate.py's default
INDICATOR = "people_guided"
APPROVALS_WANTED = 50_000  # submitted reports read for the approval case, at most


@dataclass(frozen=True)
class Case:
    """One measured request. ``path`` may name ``{unit}`` (the caller's scope unit),
    ``{campaign}`` (the campaign of the caller's province), ``{indicator}`` and
    ``{activity}`` (a submitted report, a new one for every request)."""

    name: str
    path: str
    scopes: tuple[str, ...] = ("national", "province", "commune")
    method: str = "GET"


CASES = (
    Case("stats overview", "/api/v1/stats/overview?unit_id={unit}&campaign_id={campaign}"),
    Case("stats progress", "/api/v1/stats/campaigns/{campaign}/progress?unit_id={unit}"),
    Case("stats completeness", "/api/v1/stats/campaigns/{campaign}/completeness?unit_id={unit}"),
    Case(
        "stats timeseries (day)",
        "/api/v1/stats/timeseries?indicator={indicator}&unit_id={unit}&interval=day",
    ),
    Case(
        "stats ranking (20)",
        "/api/v1/stats/teams/ranking?campaign_id={campaign}&unit_id={unit}"
        "&indicator={indicator}&limit=20",
    ),
    Case("teams list (50)", "/api/v1/teams?limit=50", ("province", "commune")),
    Case("approve a report", "/api/v1/activities/{activity}/approve", ("province",), "POST"),
    Case("healthz", "/healthz", ("none",)),
)


@dataclass
class Caller:
    """Who asks for one scope, and what the cases' paths need of it."""

    scope: str
    username: str | None
    unit: str = ""
    campaign: str = ""
    headers: dict[str, str] | None = None  # None: cannot log in (no such caller)
    missing: str = ""


# --- what the database holds --------------------------------------------------------


def read_callers(engine: sa.Engine, usernames: dict[str, str | None]) -> list[Caller]:
    """Each scope's user, scope unit and the campaign of its province."""
    from cnscd_api.core.scope import ancestor_ids
    from cnscd_api.models import Campaign, Unit, User

    callers = [Caller("none", None, headers={})]
    with engine.connect() as connection:
        for scope, username in usernames.items():
            caller = Caller(scope, username)
            callers.append(caller)
            if username is None:
                caller.missing = "no caller: no role sees the whole country"
                continue
            found = connection.execute(
                sa.select(User.scope_unit_id, Unit.path)  # type: ignore[call-overload]
                .outerjoin(Unit, Unit.id == User.scope_unit_id)
                .where(User.username == username)
            ).first()
            if found is None:
                caller.missing = f"no user {username}"
                continue
            # A national viewer has no unit; its campaign is the first province's (there
            # is no national campaign: campaigns belong to a province or a district).
            caller.unit = str(found.scope_unit_id) if found.scope_unit_id else ""
            province = (
                ancestor_ids(found.path)[0]
                if found.path
                else connection.scalar(
                    sa.select(Campaign.scope_unit_id)  # type: ignore[call-overload]
                    .order_by(Campaign.code)
                    .limit(1)
                )
            )
            campaign = connection.scalar(
                sa.select(Campaign.id)  # type: ignore[call-overload]
                .where(Campaign.scope_unit_id == province)
                .order_by(col(Campaign.starts_on).desc(), Campaign.code)
                .limit(1)
            )
            caller.campaign = str(campaign) if campaign else ""
    return callers


def submitted_reports(engine: sa.Engine, caller: Caller) -> deque[tuple[str, int]]:
    """Reports waiting for review in the caller's subtree: (id, version)."""
    from cnscd_api.core.scope import path_in_subtree
    from cnscd_api.models import Activity, ActivityStatus, Unit

    with engine.connect() as connection:
        path: str = connection.execute(
            sa.select(Unit.path).where(Unit.id == uuid.UUID(caller.unit))  # type: ignore[call-overload]
        ).scalar_one()
        rows = connection.execute(
            sa.select(Activity.id, Activity.version)  # type: ignore[call-overload]
            .join(Unit, Unit.id == Activity.unit_id)
            .where(Activity.status == ActivityStatus.SUBMITTED, path_in_subtree(Unit.path, path))
            .order_by(Activity.id)
            .limit(APPROVALS_WANTED)
        ).all()
    return deque((str(activity_id), version) for activity_id, version in rows)


def data_set(engine: sa.Engine) -> str:
    with engine.connect() as connection:
        counts = {
            plural: connection.scalar(sa.select(sa.func.count()).select_from(sa.table(name)))
            for name, plural in (
                ("unit", "units"),
                ("team", "teams"),
                ("member", "members"),
                ("activity", "activities"),
            )
        }
        if engine.dialect.name == "postgresql":
            version = connection.scalar(sa.text("SHOW server_version"))
        else:
            version = connection.scalar(sa.text("SELECT sqlite_version()"))
    sizes = ", ".join(f"{count:,} {name}" for name, count in counts.items())
    return f"{engine.dialect.name} {version}; {sizes}"


# --- talking to the server ----------------------------------------------------------


def call(server: Server, request: Request) -> tuple[int, bytes]:
    """One request outside the load generator (logins, probes)."""
    outgoing = urllib.request.Request(  # noqa: S310 -- our own server on 127.0.0.1
        server.base_url + request.path,
        data=request.body if request.method != "GET" else None,
        headers=request.headers,
        method=request.method,
    )
    try:
        with urllib.request.urlopen(outgoing, timeout=60) as answer:  # noqa: S310
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def log_in(server: Server, caller: Caller, password: str) -> None:
    assert caller.username is not None
    form = {"grant_type": "password", "username": caller.username, "password": password}
    status, body = call(
        server,
        Request(
            "POST",
            "/api/v1/auth/token",
            {"Content-Type": "application/x-www-form-urlencoded"},
            urllib.parse.urlencode(form).encode(),
        ),
    )
    if status != 200:
        caller.missing = f"login of {caller.username} answered {status}"
        return
    caller.headers = {"Authorization": f"Bearer {json.loads(body)['access_token']}"}


def requests_of(
    case: Case, caller: Caller, reports: deque[tuple[str, int]]
) -> Callable[[], Request]:
    """The case's next request: the same one, or one per submitted report."""
    assert caller.headers is not None
    fields = {"unit": caller.unit, "campaign": caller.campaign, "indicator": INDICATOR}
    if "{activity}" not in case.path:
        path = case.path.format(**fields)
        if not caller.unit:  # a national viewer: no unit_id is the whole country
            path = path.replace("unit_id=&", "").replace("&unit_id=", "").replace("?unit_id=", "?")
        request = Request(case.method, path, caller.headers)
        return lambda: request
    last: list[tuple[str, int]] = []

    def next_report() -> Request:
        if reports:  # when they run out the last one is sent again (answered 409)
            last[:] = [reports.popleft()]
        activity_id, version = last[0]
        headers = {**(caller.headers or {}), "If-Match": f'"{version}"'}
        return Request(case.method, case.path.format(activity=activity_id, **fields), headers)

    return next_report


def probe(server: Server, make: Callable[[], Request]) -> str:
    """Why the case cannot be measured, or "" when its first answer is a success."""
    status, body = call(server, make())
    if status < 300:
        return ""
    try:
        code = json.loads(body).get("code", "")
    except ValueError:
        code = ""
    return f"{'unavailable' if status == 404 else 'refused'} ({status} {code})".replace(" )", ")")


# --- the run ------------------------------------------------------------------------


def row(case: Case, scope: str, concurrency: int | str, result: Result | None) -> dict[str, Any]:
    if result is None:
        return {"case": case.name, "scope": scope, "c": concurrency}
    return {
        "case": case.name,
        "scope": scope,
        "c": concurrency,
        **result.figures(),
        "note": ", ".join(
            f"{n} × {status}" for status, n in sorted(result.statuses.items()) if status >= 300
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seconds", type=float, default=10.0, help="per case and concurrency")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before each run")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--password", default=DEFAULT_PASSWORD)
    parser.add_argument("--national-user", default="bench.national", help="a national viewer")
    parser.add_argument("--province-user", default="bench.province")
    parser.add_argument("--commune-user", default="bench.commune")
    parser.add_argument("--label", default="", help="names the results file (e.g. national)")
    parser.add_argument(
        "--only", nargs="+", metavar="WORD", help="the cases whose name has one of these words"
    )
    args = parser.parse_args()

    from cnscd_api.db import normalise_url

    engine = sa.create_engine(normalise_url(args.database_url))
    callers = read_callers(
        engine,
        {
            "national": args.national_user,
            "province": args.province_user,
            "commune": args.commune_user,
        },
    )
    by_scope = {caller.scope: caller for caller in callers}
    reports = submitted_reports(engine, by_scope["province"])
    facts = data_set(engine)
    engine.dispose()
    print(facts)
    print(f"{len(reports):,} submitted reports to approve", flush=True)

    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    with serve("cnscd_api.main:create_app", server_env(args.database_url)) as server:
        for caller in callers:
            if caller.username and not caller.missing:
                log_in(server, caller, args.password)
        for case in CASES:
            if args.only and not any(word in case.name for word in args.only):
                continue
            for scope in case.scopes:
                caller = by_scope[scope]
                if caller.headers is None:
                    rows.append(row(case, scope, "-", None) | {"note": caller.missing})
                    continue
                make = requests_of(case, caller, reports)
                why = probe(server, make)
                if why:
                    rows.append(row(case, scope, "-", None) | {"note": why})
                    continue
                for concurrency in args.concurrency:
                    print(f"{case.name}, {scope}, {concurrency} clients …", flush=True)
                    drive(server, make, concurrency=concurrency, seconds=args.warmup)
                    result = drive(server, make, concurrency=concurrency, seconds=args.seconds)
                    rows.append(row(case, scope, concurrency, result))
    if any("{activity}" in case.path for case in CASES) and not reports:
        notes.append("the submitted reports ran out: later approvals answered 409")

    command = " ".join(["bench/run.py", *("…" if a == args.password else a for a in sys.argv[1:])])
    report = "\n".join(
        [
            command,
            machine_line(),
            f"data: {facts}",
            "",
            table(
                rows,
                [
                    ("case", "case                  ", ""),
                    ("scope", "scope   ", ""),
                    ("c", "clients", ""),
                    *FIGURE_COLUMNS,
                    ("note", "note", ""),
                ],
            ),
            *notes,
        ]
    )
    print()
    print(report)
    database = "sqlite" if args.database_url.startswith("sqlite") else "postgresql"
    save_report("-".join(part for part in ("run", args.label, database) if part), report)


if __name__ == "__main__":
    main()
