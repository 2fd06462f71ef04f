"""Benchmark data: the whole country's network (or Kon Tum's) with a year of reports.

    .venv/bin/python bench/generate.py \\
        --database-url postgresql://postgres@127.0.0.1:5432/cnscd_bench [--replace]
    .venv/bin/python bench/generate.py --scale kontum \\
        --database-url sqlite:///var/bench-kontum.db [--replace]

``--scale national`` (the default): 63 provinces, 696 districts and 10,051 communes from
``vietnam-provinces``, about 80,000 villages, 90,000 teams, 450,000 members and their
memberships, 5,000,000 activities over one year with 1–4 indicator values each;
``--scale kontum``: Kon Tum's 102 communes, 869 villages, 566 teams, 2,519 members and
100,000 activities. ``--activities N`` changes the number of activities only.

What is made:

- one team per commune plus the rest on villages drawn at random (so some villages
  have two teams and some none); 97 % active, the rest suspended or dissolved; 3 % of
  the active teams never report;
- members with a leader per team (a deputy in teams of five or more), names, phones,
  affiliations and skills drawn like the demo's, one membership each;
- the national campaign. No unit stands for the whole country and a campaign belongs to
  a province or a district (``core/scope.py``, ``campaigns``), so it is one campaign per
  province with the same name and days, tracking every category and indicator; its
  targets are the province's (about what the year achieves, give or take 40 %) split
  among districts, communes and villages in proportion to households, each tier keeping
  a 5 % reserve (the demo campaign's rule);
- activities in date order, more on weekdays and in the October peak, from teams of
  uneven activity; 1–3 categories each and 1–4 indicators belonging to them; 90 %
  count for the campaign; 85 % approved (by their commune, or district for commune
  reports), 12 % submitted, 3 % rejected; no member lists (the dashboards do not read
  them);
- users, all with the password ``--password``: ``bench.province``, the province admin
  of ``--province-code`` (default Hà Nội, 01; Kon Tum, 62, at Kon Tum scale), and
  ``bench.commune``, the commune officer of that province's commune with the most
  teams; ``bench.national``, a national viewer (no scope unit: the whole country).

The year ends the day before ``--end-date`` (default today in Vietnam); the campaign runs
over that year and takes reports for 60 days more, so reports can still be approved.
The same ``--seed`` and ``--end-date`` give the same data (units' own ids come from the
project's seed and differ between runs).

PostgreSQL: the database is created on the server of the URL (``--replace`` drops an
existing one first) and migrated; rows go in with binary ``COPY``, the big tables'
secondary indexes, keys and foreign keys dropped first and rebuilt afterwards (which
validates every foreign key). There is no sequence to move on: every key is a UUID (the
one serial, ``audit_sequence.id``, is not written here). SQLite: multi-row inserts in one
transaction per group of tables. Then statistics are gathered (``ANALYZE``: the rebuild's
plans need them), the stats aggregates are rebuilt (``cnscd stats rebuild``; skipped with
a notice while ``cnscd_api.stats`` does not exist), the tables vacuumed and analysed again
(``VACUUM (ANALYZE)`` or ``ANALYZE``), and the time of every step is printed
and written to ``bench/results/generate-<scale>-<database>-<date>.txt``.
"""

from __future__ import annotations

import argparse
import bisect
import functools
import hashlib
import importlib.util
import itertools
import os
import random
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as time_of_day
from pathlib import Path
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from harness import ROOT, machine_line, save_report

T = TypeVar("T")
Row = dict[str, Any]
Write = Callable[[Row], None]

DEFAULT_PASSWORD = "Bench-password-2026"
PROVINCE_USER, COMMUNE_USER = "bench.province", "bench.commune"
NATIONAL_USER = "bench.national"
CAMPAIGN_NAME = "Chuyển đổi số cộng đồng cả năm"
GRACE_DAYS = 60
# Tables whose keys, indexes and foreign keys wait until the load is over on PostgreSQL:
# the big ones (COPY should not maintain indexes row by row) and those streamed at the
# same time as their parents (whose rows are not committed yet).
DEFERRED_TABLES = (
    "member",
    "membership",
    "campaign_category",
    "campaign_indicator",
    "campaign_target_set",
    "campaign_target",
    "activity",
    "activity_category",
    "activity_value",
)
SQLITE_CHUNK = 20_000

TEAM_STATUS_WEIGHTS = {"active": 97.0, "suspended": 2.0, "dissolved": 1.0}
SILENT_SHARE = 0.03  # active teams that never report
CAMPAIGN_SHARE = 0.9  # activities that count for the campaign
STATUS_WEIGHTS = {"approved": 85.0, "submitted": 12.0, "rejected": 3.0}
COMMUNE_RECORDED = 0.1  # recorded by a commune officer instead of the team leader
# (recorder's role, reviewer's role) for team leaders' reports and commune officers'
RECORDERS = {
    False: ("team_leader", "commune_officer"),
    True: ("commune_officer", "district_officer"),
}
REVIEWER_NAMES = {"commune_officer": "Cán bộ xã", "district_officer": "Cán bộ huyện"}
RECORDED_AT = time_of_day(10)  # 17:00 in Vietnam
REJECTION = "Số liệu chưa khớp với danh sách ký nhận"
# Indicators the demo campaign does not count, with their usual range per report.
MORE_COUNTS = {
    "ewallets_activated": (0, 6),
    "businesses_onboarded": (0, 2),
    "people_certified_digital_skills": (0, 5),
}
ACTIVITY_CONSTANTS: dict[str, Any] = {
    "organisation": None,
    "partner_staff": None,
    "support_request_id": None,
    "description": None,
    "recorded_by_user_id": None,
    "recorded_by_client_id": None,
    "reviewed_by_user_id": None,
    "is_demo": False,
    "version": 1,
}
ORGANISATIONS = ["VNPT", "Viettel", "MobiFone"]


@dataclass(frozen=True)
class Scale:
    provinces: frozenset[int] | None  # GSO codes, None for all
    villages: int
    teams: int
    members: int
    activities: int
    province_code: str  # the province of the benchmark's province and commune users


SCALES = {
    "national": Scale(None, 80_000, 90_000, 450_000, 5_000_000, "01"),
    "kontum": Scale(frozenset({62}), 869, 566, 2_519, 100_000, "62"),
}


# --- steps, timed -------------------------------------------------------------------


@dataclass
class Step:
    name: str
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # this process's (the database server's are not counted)
    detail: str = ""


class Steps:
    """Runs named steps, printing and keeping how long each took, in wall time and in
    CPU time of this process (on a shared machine the first also counts others' work)."""

    def __init__(self) -> None:
        self.done: list[Step] = []

    @contextmanager
    def step(self, name: str) -> Iterator[Step]:
        step = Step(name)
        print(f"{name} …", flush=True)
        started, cpu_started = time.perf_counter(), time.process_time()
        yield step
        step.seconds = time.perf_counter() - started
        step.cpu_seconds = time.process_time() - cpu_started
        self.done.append(step)
        print(f"{name}: {step.seconds:.1f} s {step.detail}".rstrip(), flush=True)

    def report(self) -> str:
        width = max(len(step.name) for step in self.done)
        lines = [f"{'step':<{width}}  {'wall s':>8}  {'CPU s':>8}"]
        lines += [
            f"{s.name:<{width}}  {s.seconds:8.1f}  {s.cpu_seconds:8.1f}  {s.detail}"
            for s in self.done
        ]
        wall = sum(step.seconds for step in self.done)
        cpu = sum(step.cpu_seconds for step in self.done)
        return "\n".join([*lines, f"{'total':<{width}}  {wall:8.1f}  {cpu:8.1f}"])


# --- the database -------------------------------------------------------------------


def create_database(url: str, replace: bool) -> None:
    """A new empty database: a PostgreSQL database on the URL's server, or a SQLite file."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        if path.exists() and not replace:
            sys.exit(f"{path} exists: pass --replace to start it again")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    from cnscd_api.db import normalise_url

    name = parsed.database
    server = sa.create_engine(
        make_url(normalise_url(url)).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with server.connect() as connection:
        exists = connection.scalar(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        )
        if exists and not replace:
            sys.exit(f"database {name} exists: pass --replace to drop it and start again")
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    server.dispose()


def migrated(url: str) -> Engine:
    from tests.databases import migrated_engine

    return migrated_engine(url)


@dataclass(frozen=True)
class Deferred:
    """A constraint or index of a bulk table, dropped for the load and rebuilt after."""

    table: str
    name: str
    create: str  # the statement that rebuilds it
    order: int  # keys first, then indexes, then foreign keys (which need the keys)


def drop_for_load(engine: Engine) -> list[Deferred]:
    """Drop the bulk tables' indexes, keys and the foreign keys from or to them."""
    deferred: list[Deferred] = []
    with engine.begin() as connection:
        for table, name, kind, definition in connection.execute(
            sa.text(
                "SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE contype IN ('p', 'u', 'f') AND "
                "(conrelid::regclass::text = ANY(:tables) "
                " OR (contype = 'f' AND confrelid::regclass::text = ANY(:tables)))"
            ),
            {"tables": list(DEFERRED_TABLES)},
        ):
            create = f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}'
            deferred.append(Deferred(table, name, create, 2 if kind == "f" else 0))
        for table, name, definition in connection.execute(
            sa.text(
                "SELECT tablename, indexname, indexdef FROM pg_indexes "
                "WHERE schemaname = current_schema() AND tablename = ANY(:tables) "
                "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
            ),
            {"tables": list(DEFERRED_TABLES)},
        ):
            deferred.append(Deferred(table, name, definition, 1))
        for item in sorted(deferred, key=lambda d: -d.order):
            if item.order == 1:
                connection.execute(sa.text(f'DROP INDEX "{item.name}"'))
            else:
                connection.execute(
                    sa.text(f'ALTER TABLE "{item.table}" DROP CONSTRAINT "{item.name}"')
                )
    return deferred


def rebuild_after_load(engine: Engine, deferred: list[Deferred]) -> None:
    with engine.begin() as connection:
        connection.execute(sa.text("SET LOCAL maintenance_work_mem = '1GB'"))
        for item in sorted(deferred, key=lambda d: d.order):
            connection.execute(sa.text(item.create))


class Loader:
    """Writes rows of several tables at once: ``COPY`` on PostgreSQL (one connection per
    table, all streaming together), multi-row inserts in one transaction on SQLite
    (parents flushed before children, so foreign keys hold)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"

    @contextmanager
    def open(self, *models: Any) -> Iterator[list[Write]]:
        if self.postgres:
            with self._copy(models) as writers:
                yield writers
        else:
            with self._insert(models) as writers:
                yield writers

    @contextmanager
    def _copy(self, models: tuple[Any, ...]) -> Iterator[list[Write]]:
        """Binary ``COPY``: about half the client's CPU of the text format per row, since
        UUIDs, dates and numbers go as they are instead of being formatted as text."""
        import psycopg
        from psycopg.types.json import Json

        url = self.engine.url.set(drivername="postgresql")
        conninfo = url.render_as_string(hide_password=False)
        with ExitStack() as stack:
            writers: list[Write] = []
            for model in models:
                table: sa.Table = model.__table__
                columns = [column.name for column in table.columns]
                json = [c.name for c in table.columns if isinstance(c.type, sa.JSON)]
                # "VARCHAR(64)" → "varchar", "TIMESTAMP WITH TIME ZONE" as it is
                types = [
                    c.type.compile(dialect=self.engine.dialect).split("(")[0].lower()
                    for c in table.columns
                ]
                connection = stack.enter_context(psycopg.connect(conninfo))
                connection.execute("SET synchronous_commit = off")
                copy = stack.enter_context(
                    connection.cursor().copy(
                        f'COPY "{table.name}" ({", ".join(columns)}) FROM STDIN (FORMAT BINARY)'
                    )
                )
                copy.set_types(types)

                def write(
                    row: Row,
                    write_row: Callable[[Any], None] = copy.write_row,
                    columns: list[str] = columns,
                    json: list[str] = json,
                ) -> None:
                    for name in json:
                        row[name] = Json(row[name])
                    write_row([row[name] for name in columns])

                writers.append(write)
            yield writers

    @contextmanager
    def _insert(self, models: tuple[Any, ...]) -> Iterator[list[Write]]:
        buffers: list[list[Row]] = [[] for _ in models]
        with self.engine.begin() as connection:

            def flush() -> None:
                for model, buffer in zip(models, buffers, strict=True):
                    if buffer:
                        connection.execute(sa.insert(model), buffer)
                        buffer.clear()

            def writer(buffer: list[Row]) -> Write:
                def write(row: Row) -> None:
                    buffer.append(row)
                    if len(buffer) >= SQLITE_CHUNK:
                        flush()

                return write

            yield [writer(buffer) for buffer in buffers]
            flush()


# --- the data -----------------------------------------------------------------------


@dataclass
class Place:
    """A unit as the generator needs it."""

    id: uuid.UUID
    level: str
    name: str
    path: str
    names: list[str]
    parent_id: uuid.UUID | None
    code: str | None = None
    division_type: str = ""
    households: int = 0
    children: list[Place] = field(default_factory=list)

    @property
    def province_id(self) -> uuid.UUID:
        return uuid.UUID(hex=self.path.split("/")[1])


@dataclass
class TeamInfo:
    """An active team as its reports need it: where it works, its province's campaign
    and who leads it (the recorder's name)."""

    id: uuid.UUID
    unit: Place
    commune: Place
    campaign_id: uuid.UUID
    leader: str = ""


@functools.cache
def folded(text: str) -> str:
    """``core.text.fold``, remembered: names repeat (a few thousand of them for 450,000
    members), and folding is most of what generating a member costs."""
    from cnscd_api.core.text import fold

    return fold(text)


@functools.cache
def sort_key(text: str) -> bytes:
    """``core.text.collation_key``, remembered like ``folded``."""
    from cnscd_api.core.text import collation_key

    return collation_key(text)


def new_id(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


class Weighted(Generic[T]):
    """Draws one of ``items`` in proportion to its weight (``random.choices`` without
    rebuilding its tables at every draw)."""

    def __init__(self, rng: random.Random, items: list[T], weights: list[float]) -> None:
        self.random = rng.random
        self.items = items
        self.bounds = list(itertools.accumulate(weights))

    @classmethod
    def of(cls, rng: random.Random, weights: dict[T, float]) -> Weighted[T]:
        return cls(rng, list(weights), list(weights.values()))

    def __call__(self) -> T:
        return self.items[bisect.bisect(self.bounds, self.random() * self.bounds[-1])]


def apportion(total: int, weights: list[float]) -> list[int]:
    """Whole numbers in proportion to ``weights`` adding up to exactly ``total``."""
    whole = sum(weights)
    shares = [total * weight / whole for weight in weights]
    counts = [int(share) for share in shares]
    by_remainder = sorted(range(len(shares)), key=lambda i: counts[i] - shares[i])
    for index in by_remainder[: total - sum(counts)]:
        counts[index] += 1
    return counts


@dataclass
class Generator:
    """Generates the data set step by step, keeping what later steps need: the tree, the
    active teams, the campaigns and the approved totals the targets are set from."""

    scale: Scale
    activities: int
    seed: int
    end: date  # the day after the year of reports
    loader: Loader
    exact_hashes: bool = False
    now: datetime = field(init=False)
    first_day: date = field(init=False)
    provinces: list[Place] = field(default_factory=list)
    communes: list[Place] = field(default_factory=list)
    teams: list[TeamInfo] = field(default_factory=list)
    campaigns: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)  # province → campaign
    categories: dict[str, uuid.UUID] = field(default_factory=dict)
    indicators: dict[str, uuid.UUID] = field(default_factory=dict)
    links: dict[str, list[str]] = field(default_factory=dict)  # category → indicator codes
    # approved totals per (campaign, indicator code), from which the targets are set
    achieved: Counter[tuple[uuid.UUID, str]] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.first_day = self.end - timedelta(days=365)
        self.now = datetime.combine(self.end, datetime.min.time(), tzinfo=UTC)

    def rng(self, purpose: str) -> random.Random:
        """An independent stream per purpose: more activities leave the teams unchanged."""
        return random.Random(f"{self.seed}:{purpose}")

    def read_tree(self, engine: Engine) -> None:
        """The seeded provinces, districts and communes, and the catalogue."""
        from cnscd_api.models import ContentCategory, Indicator, IndicatorCategory, Unit

        with engine.connect() as connection:
            places: dict[uuid.UUID, Place] = {}
            rows = connection.execute(
                sa.select(
                    Unit.id,  # type: ignore[call-overload]
                    Unit.level,
                    Unit.name,
                    Unit.path,
                    Unit.path_names,
                    Unit.parent_id,
                    Unit.code,
                    Unit.division_type,
                ).order_by(Unit.code)
            )
            for unit_id, level, name, path, names, parent_id, code, kind in rows:
                places[unit_id] = Place(
                    unit_id, level, name, path, names, parent_id, code, kind.value
                )
            for place in places.values():
                if place.parent_id is not None:
                    places[place.parent_id].children.append(place)
            self.provinces = [p for p in places.values() if p.level == "province"]
            self.communes = [p for p in places.values() if p.level == "commune"]
            self.categories = dict(
                connection.execute(sa.select(ContentCategory.code, ContentCategory.id)).all()  # type: ignore[call-overload]
            )
            self.indicators = dict(
                connection.execute(sa.select(Indicator.code, Indicator.id)).all()  # type: ignore[call-overload]
            )
            links = connection.execute(
                sa.select(ContentCategory.code, Indicator.code)  # type: ignore[call-overload]
                .join(IndicatorCategory, IndicatorCategory.category_id == ContentCategory.id)
                .join(Indicator, Indicator.id == IndicatorCategory.indicator_id)
                .order_by(ContentCategory.code, Indicator.code)
            )
            for category, indicator in links:
                self.links.setdefault(category, []).append(indicator)

    def villages(self) -> int:
        from cnscd_api.models import Unit

        rng = self.rng("villages")
        counts = apportion(self.scale.villages, [1 + rng.random() for _ in self.communes])
        with self.loader.open(Unit) as (write,):
            for commune, count in zip(self.communes, counts, strict=True):
                urban = commune.division_type in ("phuong", "thi_tran")
                for number in range(1, count + 1):
                    name, kind = (
                        (f"Tổ dân phố {number}", "to_dan_pho")
                        if urban
                        else (f"Thôn {number}", "thon")
                    )
                    village = Place(
                        new_id(rng),
                        "village",
                        name,
                        "",
                        [*commune.names, name],
                        commune.id,
                        division_type=kind,
                        households=rng.randrange(60, 420),
                    )
                    village.path = f"{commune.path}{village.id.hex}/"
                    commune.children.append(village)
                    write(
                        {
                            "id": village.id,
                            "code": None,
                            "name": name,
                            "search_name": folded(name),
                            "name_key": sort_key(name),
                            "level": "village",
                            "division_type": kind,
                            "parent_id": commune.id,
                            "path": village.path,
                            "path_names": village.names,
                            "valid_from": None,
                            "valid_to": None,
                            "households": village.households,
                            "rollup_path": None,
                            "is_demo": False,
                            "version": 1,
                            "created_at": self.now,
                            "updated_at": self.now,
                        }
                    )
        return sum(counts)

    def teams_and_members(self) -> tuple[int, int]:
        from cnscd_api.demo_data import AFFILIATION_WEIGHTS, SKILL_WEIGHTS, _People
        from cnscd_api.models import Member, Membership, Team

        rng = self.rng("teams")
        villages = [v for commune in self.communes for v in commune.children]
        commune_of = {v.id: c for c in self.communes for v in c.children}
        served = [*self.communes]
        served += sorted(
            (rng.choice(villages) for _ in range(self.scale.teams - len(self.communes))),
            key=lambda village: village.path,
        )
        sizes = apportion(self.scale.members, [rng.randint(3, 8) for _ in served])
        status_drawn = Weighted.of(rng, TEAM_STATUS_WEIGHTS)
        statuses = [status_drawn() for _ in served]
        people = _People(rng)
        affiliations = Weighted.of(rng, {a.value: w for a, w in AFFILIATION_WEIGHTS.items()})
        skills = Weighted.of(rng, {s.value: w for s, w in SKILL_WEIGHTS.items()})
        names_in_unit: Counter[uuid.UUID] = Counter()
        with self.loader.open(Team, Member, Membership) as (write_team, write_member, write_period):
            for number, (unit, size, status) in enumerate(
                zip(served, sizes, statuses, strict=True), start=1
            ):
                names_in_unit[unit.id] += 1
                name = f"Tổ CNSCĐ {unit.name}"
                if unit.level == "village":
                    name = f"{name}, {unit.names[-2]}"
                if names_in_unit[unit.id] > 1:
                    name = f"{name} ({names_in_unit[unit.id]})"
                decided = self.first_day - timedelta(days=rng.randrange(30, 900))
                team = TeamInfo(
                    new_id(rng),
                    unit,
                    commune_of.get(unit.id, unit),
                    self.campaigns[unit.province_id],
                )
                write_team(
                    {
                        "id": team.id,
                        "unit_id": unit.id,
                        "name": name,
                        "search_name": folded(name),
                        "name_key": sort_key(name),
                        "decision_number": f"{number}/QĐ-UBND",
                        "decision_date": decided,
                        "status": status,
                        "note": None,
                        "is_demo": False,
                        "version": 1,
                        "created_at": self.now,
                        "updated_at": self.now,
                    }
                )
                for position in range(size):
                    role = (
                        "leader"
                        if position == 0
                        else "deputy"
                        if position == 1 and size > 4
                        else "member"
                    )
                    female = rng.random() < 0.45
                    full_name = people.name(female)
                    if position == 0:
                        team.leader = full_name
                    affiliation = affiliations()
                    member_id = new_id(rng)
                    write_member(
                        {
                            "id": member_id,
                            "full_name": full_name,
                            "search_name": folded(full_name),
                            "name_key": sort_key(full_name),
                            "gender": "female" if female else "male",
                            "birth_year": rng.randrange(1965, 2007),
                            "phone": people.phone(),
                            "email": None,
                            "affiliation": affiliation,
                            "organisation": rng.choice(ORGANISATIONS)
                            if affiliation == "it_enterprise"
                            else None,
                            "skill_level": skills(),
                            "team_id": team.id,
                            "role": role,
                            "joined_on": decided,
                            "left_on": None,
                            "is_demo": False,
                            "version": 1,
                            "created_at": self.now,
                            "updated_at": self.now,
                        }
                    )
                    write_period(
                        {
                            "id": new_id(rng),
                            "member_id": member_id,
                            "team_id": team.id,
                            "role": role,
                            "joined_on": decided,
                            "left_on": None,
                            "created_at": self.now,
                        }
                    )
                if status == "active":
                    self.teams.append(team)
        return len(served), sum(sizes)

    def campaigns_opened(self) -> None:
        """One campaign per province over the year, with every category."""
        from cnscd_api.models import Campaign, CampaignCategory

        rng = self.rng("campaigns")
        last_day = self.end - timedelta(days=1)
        with self.loader.open(Campaign, CampaignCategory) as (write_campaign, write_category):
            for province in self.provinces:
                campaign_id = new_id(rng)
                self.campaigns[province.id] = campaign_id
                write_campaign(
                    {
                        "id": campaign_id,
                        "code": f"bench-{self.first_day.year}-{province.code}",
                        "name": CAMPAIGN_NAME,
                        "search_name": folded(CAMPAIGN_NAME),
                        "name_key": sort_key(CAMPAIGN_NAME),
                        "description": f"{province.name}: {CAMPAIGN_NAME.lower()}",
                        "scope_unit_id": province.id,
                        "starts_on": self.first_day,
                        "ends_on": last_day,
                        "grace_days": GRACE_DAYS,
                        "reporting_until": last_day + timedelta(days=GRACE_DAYS),
                        "reopened_until": None,
                        "closed_at": None,
                        "closed_reason": None,
                        "is_demo": False,
                        "version": 1,
                        "created_at": self.now,
                        "updated_at": self.now,
                    }
                )
                for category_id in self.categories.values():
                    write_category({"campaign_id": campaign_id, "category_id": category_id})

    def reports(self) -> int:
        """The year's activities with their categories and values, in date order."""
        from cnscd_api.demo_campaign import CATEGORIES, COUNTS
        from cnscd_api.models import Activity, ActivityCategory, ActivityValue

        rng = self.rng("activities")
        random_, randint, sample = rng.random, rng.randint, rng.sample
        ranges = {**COUNTS, **MORE_COUNTS}
        days = [self.first_day + timedelta(days=n) for n in range(365)]
        per_day = apportion(self.activities, [day_weight(day) for day in days])
        team_drawn = Weighted(
            rng,
            self.teams,
            [0.0 if random_() < SILENT_SHARE else rng.lognormvariate(0, 0.6) for _ in self.teams],
        )
        # The six contents of the yearly peak are what most reports are about.
        category_drawn = Weighted.of(
            rng, {code: 3.0 if code in CATEGORIES else 1.0 for code in sorted(self.categories)}
        )
        status_drawn = Weighted.of(rng, STATUS_WEIGHTS)
        indicators_of: dict[tuple[str, ...], list[str]] = {}
        with self.loader.open(Activity, ActivityCategory, ActivityValue) as writers:
            write_activity, write_category, write_value = writers
            for day, count in zip(days, per_day, strict=True):
                recorded_at = datetime.combine(day, RECORDED_AT, tzinfo=UTC)
                reviewed_at = recorded_at + timedelta(days=1)
                for _ in range(count):
                    team = team_drawn()
                    place = team.unit
                    if place.children and random_() < 0.5:  # a commune's team in a village
                        place = place.children[int(random_() * len(place.children))]
                    wanted = randint(1, 3)
                    chosen: set[str] = set()
                    while len(chosen) < wanted:
                        chosen.add(category_drawn())
                    categories = tuple(sorted(chosen))
                    available = indicators_of.get(categories)
                    if available is None:
                        available = sorted({i for c in categories for i in self.links[c]})
                        indicators_of[categories] = available
                    values = {
                        code: randint(*ranges[code])
                        for code in sample(available, randint(1, min(4, len(available))))
                    }
                    campaign_id = team.campaign_id if random_() < CAMPAIGN_SHARE else None
                    status = status_drawn()
                    reviewed = status != "submitted"
                    # a report a commune officer recorded is reviewed by the district
                    by_commune = random_() < COMMUNE_RECORDED
                    recorder, reviewer = RECORDERS[by_commune]
                    activity_id = new_id(rng)
                    write_activity(
                        {
                            **ACTIVITY_CONSTANTS,
                            "id": activity_id,
                            "team_id": team.id,
                            "unit_id": place.id,
                            "activity_date": day,
                            "campaign_id": campaign_id,
                            "status": status,
                            "rejection_reason": REJECTION if status == "rejected" else None,
                            "recorded_by_name": team.leader
                            if recorder == "team_leader"
                            else "Cán bộ xã",
                            "recorded_role": recorder,
                            "reviewed_by_name": REVIEWER_NAMES[reviewer] if reviewed else None,
                            "reviewed_role": reviewer if reviewed else None,
                            "reviewed_at": reviewed_at if reviewed else None,
                            "content_hash": self.fingerprint(
                                activity_id, team, place, day, categories, values, campaign_id
                            ),
                            "created_at": recorded_at,
                            "updated_at": reviewed_at if reviewed else recorded_at,
                        }
                    )
                    for code in categories:
                        write_category(
                            {"activity_id": activity_id, "category_id": self.categories[code]}
                        )
                    for code, value in values.items():
                        write_value(
                            {
                                "activity_id": activity_id,
                                "indicator_id": self.indicators[code],
                                "value": value,
                            }
                        )
                        if campaign_id is not None and status == "approved":
                            self.achieved[(campaign_id, code)] += value
        return sum(per_day)

    def fingerprint(
        self,
        activity_id: uuid.UUID,
        team: TeamInfo,
        place: Place,
        day: date,
        categories: tuple[str, ...],
        values: dict[str, int],
        campaign_id: uuid.UUID | None,
    ) -> str:
        """The report's ``content_hash``: with ``--exact-hashes`` the API's fingerprint of
        what it says (0.1 ms a report, eight minutes for five million); else a stand-in
        unique per report, which only matters if a phone re-sends the report by its id."""
        if not self.exact_hashes:
            return hashlib.sha256(activity_id.bytes).hexdigest()
        from cnscd_api.activities.checks import content_hash

        return content_hash(
            team_id=team.id,
            unit_id=place.id,
            activity_date=day,
            categories=list(categories),
            member_ids=[],
            values=values,
            campaign_id=campaign_id,
            organisation=None,
            partner_staff=None,
            description=None,
        )

    def targets(self) -> int:
        """Each province's targets (its year's approved totals, give or take 40 %), split
        down the tiers in proportion to households, each tier keeping a reserve."""
        from cnscd_api.demo_campaign import _split
        from cnscd_api.models import CampaignIndicator, CampaignTarget, CampaignTargetSet

        rng = self.rng("targets")
        written = 0
        with self.loader.open(CampaignIndicator, CampaignTargetSet, CampaignTarget) as writers:
            write_indicator, write_set, write_target = writers
            for province in self.provinces:
                campaign_id = self.campaigns[province.id]
                own = {
                    code: int(self.achieved[(campaign_id, code)] * rng.uniform(0.8, 1.4))
                    for code in sorted(self.indicators)
                }
                for code, target in own.items():
                    write_indicator(
                        {
                            "campaign_id": campaign_id,
                            "indicator_id": self.indicators[code],
                            "target": target,
                        }
                    )
                limits = {province.id: own}
                parents = [province]
                while parents:
                    parent = parents.pop()
                    if not parent.children:
                        continue
                    write_set(
                        {
                            "campaign_id": campaign_id,
                            "parent_unit_id": parent.id,
                            "version": 1,
                            "updated_at": self.now,
                        }
                    )
                    weights = {child.id: households(child) or 1 for child in parent.children}
                    for code, total in limits[parent.id].items():
                        for child_id, value in _split(total, weights).items():
                            limits.setdefault(child_id, {})[code] = value
                            write_target(
                                {
                                    "campaign_id": campaign_id,
                                    "unit_id": child_id,
                                    "indicator_id": self.indicators[code],
                                    "parent_unit_id": parent.id,
                                    "value": value,
                                }
                            )
                            written += 1
                    parents += parent.children
        return written


def day_weight(day: date) -> float:
    """How busy a day is: three times as busy in the October peak, less at weekends."""
    from cnscd_api.demo_campaign import ENDS_ON, STARTS_ON

    peak = STARTS_ON.replace(year=day.year) <= day <= ENDS_ON.replace(year=day.year)
    return (3.0 if peak else 1.0) * (0.6 if day.weekday() >= 5 else 1.0)


def households(place: Place) -> int:
    """The households of a unit's villages."""
    if place.level == "village":
        return place.households
    return sum(households(child) for child in place.children)


# --- users, aggregates, statistics --------------------------------------------------


def create_users(engine: Engine, province_code: str, commune_id: uuid.UUID, password: str) -> str:
    from cnscd_api.db import Database
    from cnscd_api.models import Role, Unit, UnitLevel
    from cnscd_api.units import repository as unit_repository
    from cnscd_api.users import service as user_service

    with Database(engine).transaction() as session:
        province = unit_repository.current_unit_by_code(session, UnitLevel.PROVINCE, province_code)
        commune = session.get(Unit, commune_id)
        assert province is not None
        assert commune is not None
        for username, role, unit in (
            (NATIONAL_USER, Role.VIEWER, None),
            (PROVINCE_USER, Role.PROVINCE_ADMIN, province),
            (COMMUNE_USER, Role.COMMUNE_OFFICER, commune),
        ):
            user_service.create_account(
                session,
                username=username,
                full_name=f"Benchmark {role.value}",
                role=role,
                unit=unit,
                password=password,
            )
        return (
            f"{NATIONAL_USER} (the whole country), {PROVINCE_USER} ({province.name}), "
            f"{COMMUNE_USER} ({', '.join(commune.path_names)})"
        )


def rebuild_stats(url: str) -> str:
    """The dashboards' aggregates from the raw rows, by the project's own command."""
    if importlib.util.find_spec("cnscd_api.stats") is None:
        return (
            "skipped: cnscd_api.stats does not exist yet (run `cnscd stats rebuild` once it does)"
        )
    subprocess.run(
        [sys.executable, "-m", "cnscd_api.cli", "stats", "rebuild"],
        env={**os.environ, "CNSCD_DATABASE_URL": url, "CNSCD_ENVIRONMENT": "development"},
        cwd=ROOT,
        check=True,
    )
    return "cnscd stats rebuild"


def analyze(engine: Engine, *, vacuum: bool = True) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if engine.dialect.name == "postgresql" and vacuum:
            connection.execute(sa.text("VACUUM (ANALYZE)"))
        else:
            connection.execute(sa.text("ANALYZE"))


def summary(engine: Engine) -> str:
    tables = ["unit", "team", "member", "membership", "campaign", "campaign_target"]
    tables += ["activity", "activity_category", "activity_value", "user_account"]
    with engine.connect() as connection:
        counts = [
            f"{name} {connection.scalar(sa.select(sa.func.count()).select_from(sa.table(name))):,}"
            for name in tables
        ]
        if engine.dialect.name == "postgresql":
            size = connection.scalar(sa.text("SELECT pg_database_size(current_database())"))
        else:
            size = Path(engine.url.database or "").stat().st_size
    return f"rows: {'; '.join(counts)}\nsize: {size / 2**30:.2f} GiB"


# --- the command --------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--scale", choices=sorted(SCALES), default="national")
    parser.add_argument("--activities", type=int, help="instead of the scale's number")
    parser.add_argument("--seed", type=int, default=20251010)
    parser.add_argument(
        "--end-date", type=date.fromisoformat, help="the year ends the day before (default today)"
    )
    parser.add_argument("--province-code", help="the benchmark users' province (GSO code)")
    parser.add_argument("--password", default=DEFAULT_PASSWORD, help="of the benchmark users")
    parser.add_argument(
        "--exact-hashes", action="store_true", help="content_hash as the API computes it (slow)"
    )
    parser.add_argument("--replace", action="store_true", help="drop an existing database first")
    args = parser.parse_args()

    from cnscd_api.core.clock import today
    from cnscd_api.db import Database
    from cnscd_api.units.seed import seed_units

    scale = SCALES[args.scale]
    province_code = (args.province_code or scale.province_code).zfill(2)
    url = args.database_url
    steps = Steps()
    with steps.step("create and migrate the database"):
        create_database(url, args.replace)
        engine = migrated(url)
    loader = Loader(engine)
    generator = Generator(
        scale,
        args.activities if args.activities is not None else scale.activities,
        args.seed,
        args.end_date or today(),
        loader,
        args.exact_hashes,
    )
    with steps.step("provinces, districts, communes") as step:
        with Database(engine).transaction() as session:
            created = seed_units(session, set(scale.provinces or ()) or None).created
            step.detail = f"{created:,} units"
        generator.read_tree(engine)
    deferred = drop_for_load(engine) if loader.postgres else []
    with steps.step("villages") as step:
        step.detail = f"{generator.villages():,}"
    with steps.step("campaigns") as step:
        generator.campaigns_opened()
        step.detail = f"{len(generator.campaigns)} (one per province)"
    with steps.step("teams, members, memberships") as step:
        teams, members = generator.teams_and_members()
        step.detail = f"{teams:,} teams, {members:,} members"
    with steps.step("activities, categories, values") as step:
        started = time.perf_counter()
        count = generator.reports()
        step.detail = (
            f"{count:,} activities from {generator.first_day} to "
            f"{generator.end - timedelta(days=1)} "
            f"({count / (time.perf_counter() - started):,.0f}/s)"
        )
    with steps.step("campaign targets") as step:
        step.detail = f"{generator.targets():,} targets"
    if deferred:
        with steps.step("indexes, keys, foreign keys") as step:
            rebuild_after_load(engine, deferred)
            step.detail = f"{len(deferred)} rebuilt"
    with steps.step("users") as step:
        province = next(p for p in generator.provinces if p.code == province_code)
        busiest = Counter(
            team.commune.id
            for team in generator.teams
            if team.commune.path.startswith(province.path)
        )
        commune_id = min(busiest, key=lambda c: (-busiest[c], c))
        step.detail = create_users(engine, province_code, commune_id, args.password)
    # Statistics first: the rebuild's plans rest on them (without, PostgreSQL took the
    # 90,000 teams for a few dozen and ran a nested loop over them per village).
    with steps.step("ANALYZE"):
        analyze(engine, vacuum=False)
    with steps.step("stats aggregates") as step:
        step.detail = rebuild_stats(url)
    with steps.step("VACUUM ANALYZE" if loader.postgres else "ANALYZE"):
        analyze(engine)
    facts = summary(engine)
    engine.dispose()
    report = "\n".join(
        [
            "bench/generate.py " + " ".join(sys.argv[1:]).replace(args.password, "…"),
            machine_line(),
            "",
            steps.report(),
            "",
            facts,
            f"users: {PROVINCE_USER}, {COMMUNE_USER} (password given with --password, "
            f"default {DEFAULT_PASSWORD})",
        ]
    )
    print()
    print(report)
    database = "postgresql" if loader.postgres else "sqlite"
    save_report(f"generate-{args.scale}-{database}", report)


if __name__ == "__main__":
    main()
