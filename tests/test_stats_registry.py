"""The registry's figures of the overview (teams by status, members by field, open and
served communes and villages) are kept as aggregates: after any sequence of team, member
and unit writes through the API (creates, moves, status changes, departures, erasures,
deletions, a file import, new villages, closings and reopenings), every row equals a
recount from the raw rows, rebuilding a subtree or the country changes nothing, and the
overview reads them, or counts for today while a unit has a date still ahead."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from cnscd_api.config import Settings
from cnscd_api.core import clock
from cnscd_api.core.scope import ancestor_ids
from cnscd_api.db import Database
from cnscd_api.models import Role, Team, TeamStatus, Unit
from cnscd_api.models.stats import NATION
from cnscd_api.stats.aggregates import REGISTRY
from cnscd_api.stats.rebuild import rebuild
from tests.databases import seeded_database
from tests.factories import (
    Tree,
    bearer,
    make_member,
    make_team,
    make_tree,
    make_user,
    make_village,
)
from tests.test_member_import import csv_bytes, good_rows

TEAMS, MEMBERS, UNITS = "/api/v1/teams", "/api/v1/members", "/api/v1/units"


def stored(session: Session) -> Counter[tuple[str, str]]:
    rows = session.execute(sa.select(REGISTRY).where(REGISTRY.c.count != 0))
    return Counter({(str(unit), item): int(count) for unit, item, count in rows})


def recounted(session: Session) -> Counter[tuple[str, str]]:
    """Teams and current members counted here from the raw rows."""
    found: Counter[tuple[str, str]] = Counter()

    def spread(path: str, item: str) -> None:
        for unit in [NATION, *ancestor_ids(path)]:
            found[(str(unit), item)] += 1

    for path, status in session.execute(
        sa.text("SELECT unit.path, team.status FROM team JOIN unit ON unit.id = team.unit_id")
    ):
        spread(path, f"team.status:{status}")
    for path, *values in session.execute(
        sa.text(
            "SELECT unit.path, member.affiliation, member.gender, member.skill_level, "
            "member.role FROM member JOIN team ON team.id = member.team_id "
            "JOIN unit ON unit.id = team.unit_id WHERE member.left_on IS NULL"
        )
    ):
        for name, value in zip(
            ("affiliation", "gender", "skill_level", "role"), values, strict=True
        ):
            spread(path, f"member.{name}:{value or 'unknown'}")
    units = {
        str(unit_id): (path, level, str(parent_id), valid_to is None)
        for unit_id, path, level, parent_id, valid_to in session.execute(
            sa.text("SELECT id, path, level, parent_id, valid_to FROM unit")
        )
    }
    served: set[str] = set()
    for (unit_id,) in session.execute(sa.text("SELECT unit_id FROM team WHERE status = 'active'")):
        path, level, parent_id, is_open = units[str(unit_id)]
        if is_open:  # a team of a closed place serves nobody
            served.add(str(unit_id))
            if level == "village":
                served.add(parent_id)  # the village's commune
    for unit_id, (path, level, _, is_open) in units.items():
        if level in ("commune", "village"):
            if is_open:
                spread(path, f"unit.level:{level}")
            if unit_id in served:
                spread(path, f"coverage.served:{level}")
    return found


def assert_exact(session: Session, tree: Tree) -> None:
    session.expire_all()
    maintained = stored(session)
    assert maintained == recounted(session)
    rebuild(session, session.get(Unit, tree.dak_pek.id))
    assert stored(session) == maintained
    rebuild(session, None)
    assert stored(session) == maintained
    session.commit()


@pytest.fixture
def admin(session: Session, settings: Settings, tree: Tree) -> dict[str, str]:
    user = make_user(session, Role.PROVINCE_ADMIN, tree.kon_tum)
    session.commit()
    return bearer(settings, user)


@pytest.fixture
def teams(session: Session, tree: Tree) -> list[Team]:
    made = [
        make_team(session, tree.dak_pek_village, "Tổ thôn Đắk Ung"),
        make_team(session, tree.dak_pek, "Tổ xã Đắk Pék"),
        make_team(session, tree.dak_man, "Tổ xã Đắk Man"),
    ]
    session.commit()
    return made


OPS = st.lists(
    st.one_of(
        st.tuples(
            st.just("member"),
            st.integers(0, 2),
            st.sampled_from(["youth_union", "police", "womens_union"]),
            st.sampled_from([None, "male", "female"]),
            st.sampled_from(["basic", "advanced"]),
        ),
        st.tuples(st.just("team"), st.integers(0, 2)),
        st.tuples(
            st.sampled_from(["leave", "erase", "transfer", "skill"]),
            st.integers(0, 20),
            st.integers(0, 2),
        ),
        st.tuples(
            st.sampled_from(["suspend", "move", "delete_team"]),
            st.integers(0, 20),
            st.integers(0, 20),
        ),
        st.tuples(st.just("village"), st.integers(0, 1)),
        st.tuples(st.sampled_from(["close", "reopen"]), st.integers(0, 20)),
    ),
    min_size=1,
    max_size=10,
)


def _write(
    client: TestClient,
    headers: dict[str, str],
    units: list[uuid.UUID],
    team_ids: list[str],
    member_ids: list[str],
    op: tuple[Any, ...],
) -> Any:
    kind = op[0]
    if kind == "member":
        body = {
            "full_name": "Nguyễn Văn An",
            "affiliation": op[2],
            "skill_level": op[4],
            "team_id": team_ids[op[1] % len(team_ids)],
        }
        if op[3] is not None:
            body["gender"] = op[3]
        response = client.post(MEMBERS, json=body, headers=headers)
        if response.status_code == 201:
            member_ids.append(response.json()["id"])
        return response
    if kind == "team":
        body = {"unit_id": str(units[op[1]]), "name": f"Tổ mới {len(team_ids)}"}
        response = client.post(TEAMS, json=body, headers=headers)
        if response.status_code == 201:
            team_ids.append(response.json()["id"])
        return response
    if kind == "village":  # under Đắk Pék or Đắk Man; teams may then be moved there
        body = {"parent_id": str(units[1 + op[1]]), "name": f"Thôn Mới {len(units)}"}
        response = client.post(UNITS, json=body, headers=headers)
        if response.status_code == 201:
            units.append(uuid.UUID(response.json()["id"]))
        return response
    if kind in ("close", "reopen"):  # a village or a commune, its teams kept
        url = f"{UNITS}/{units[op[1] % len(units)]}"
        current = client.get(url, headers=headers)
        body = {"valid_to": "2026-01-31" if kind == "close" else None}
        match_ = {**headers, "If-Match": current.headers["etag"]}
        return client.patch(url, json=body, headers=match_)
    ids = member_ids if kind in ("leave", "erase", "transfer", "skill") else team_ids
    if not ids:
        return None
    url = f"{MEMBERS if ids is member_ids else TEAMS}/{ids[op[1] % len(ids)]}"
    current = client.get(url, headers=headers)
    if current.status_code == 404:
        return None
    match_ = {**headers, "If-Match": current.headers["etag"]}
    match kind:
        case "leave":
            return client.patch(url, json={"left_on": "2026-01-15"}, headers=match_)
        case "erase" | "delete_team":
            return client.delete(url, headers=match_)
        case "transfer":
            body = {"team_id": team_ids[op[2] % len(team_ids)]}
            return client.patch(url, json=body, headers=match_)
        case "skill":
            return client.patch(url, json={"skill_level": "intermediate"}, headers=match_)
        case "suspend":  # or make active again
            status = "active" if current.json()["status"] == "suspended" else "suspended"
            return client.patch(url, json={"status": status}, headers=match_)
        case _:
            unit = units[op[2] % len(units)]
            return client.patch(url, json={"unit_id": str(unit)}, headers=match_)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS)
def test_random_team_and_member_writes_keep_the_registry_exact(
    client: TestClient,
    session: Session,
    tree: Tree,
    admin: dict[str, str],
    teams: list[Team],
    ops: list[tuple[Any, ...]],
) -> None:
    units = [tree.dak_pek_village.id, tree.dak_pek.id, tree.dak_man.id]
    # The teams' ids without loading them: an earlier example may have deleted one.
    team_ids = [str(sa.inspect(team).identity[0]) for team in teams]
    member_ids = list[str]()
    for op in ops:
        response = _write(client, admin, units, team_ids, member_ids, op)
        # Refusals (a team with history cannot be deleted…) are part of the game.
        assert response is None or response.status_code < 500, response.text
    assert_exact(session, tree)


def test_an_import_counts_its_members_and_the_overview_reads_them(
    client: TestClient, session: Session, tree: Tree, admin: dict[str, str], teams: list[Team]
) -> None:
    content = csv_bytes(good_rows(teams[0], teams[1]))
    response = client.post(
        f"{MEMBERS}/import", files={"file": ("m.csv", content, "text/csv")}, headers=admin
    )
    assert response.status_code == 200, response.text
    assert_exact(session, tree)
    overview = client.get(
        "/api/v1/stats/overview", params={"unit_id": str(tree.dak_pek.id)}, headers=admin
    )
    assert overview.status_code == 200, overview.text
    members = overview.json()["members"]
    assert members["total"] == 3
    assert members["by_gender"] == {"male": 1, "female": 1, "other": 0, "unknown": 1}
    assert members["by_role"]["leader"] == 1
    # The village's team and the commune's: Đắk Man's lies outside.
    assert overview.json()["teams"]["by_status"]["active"] == 2


def test_a_flush_that_fails_moves_nothing(session: Session, tree: Tree, teams: list[Team]) -> None:
    """A refused write inside a savepoint counts nothing, and the writes after it count
    once (what the failed flush had read is not carried over)."""
    make_member(session, teams[0], "Trước")
    session.commit()

    def refused() -> None:
        with session.begin_nested():
            teams[1].status = TeamStatus.SUSPENDED
            nowhere = Team(
                id=uuid.uuid4(), unit_id=tree.dak_man.id, name="-", search_name="-", name_key=b"-"
            )
            make_member(session, nowhere, "Không có tổ")  # a team never stored

    with pytest.raises(sa.exc.IntegrityError):
        refused()
    make_village(session, tree.dak_man, "Thôn Mới")  # a flush that touches no team
    make_member(session, teams[2], "Sau")
    session.commit()
    assert_exact(session, tree)
    assert stored(session)[(str(NATION), "member.role:member")] == 2
    assert stored(session)[(str(NATION), "team.status:suspended")] == 0


def test_coverage_follows_teams_and_places_and_a_date_still_ahead(
    client: TestClient, session: Session, tree: Tree, admin: dict[str, str], teams: list[Team]
) -> None:
    """Đắk Pék is served by its own team and by its village's: it stays served while
    either serves, not once its own team is suspended and its village closed; a village
    that closes later than today still exists today, so the overview counts it (the
    aggregates, which keep open units, do not: the overview then counts for today)."""

    def coverage() -> dict[str, Any]:
        params = {"unit_id": str(tree.dak_glei.id)}
        response = client.get("/api/v1/stats/overview", params=params, headers=admin)
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()["coverage"]
        return found

    def patch(url: str, body: dict[str, Any]) -> None:
        etag = client.get(url, headers=admin).headers["etag"]
        response = client.patch(url, json=body, headers={**admin, "If-Match": etag})
        assert response.status_code == 200, response.text

    village = f"{UNITS}/{tree.dak_pek_village.id}"
    base = coverage()
    assert (base["communes_with_team"], base["villages_with_team"]) == (2, 1)
    patch(f"{TEAMS}/{teams[1].id}", {"status": "suspended"})
    assert coverage() == base  # the village's team still serves Đắk Pék
    patch(village, {"valid_to": "2026-01-31"})
    closed = coverage()
    assert (closed["villages"], closed["villages_with_team"]) == (base["villages"] - 1, 0)
    assert closed["communes_with_team"] == 1  # only Đắk Man now
    assert_exact(session, tree)
    patch(village, {"valid_to": None})
    assert coverage() == base
    ahead = (clock.today() + timedelta(days=30)).isoformat()
    patch(village, {"valid_to": ahead})
    assert coverage() == base  # the village exists until then
    kept = stored(session)[(str(tree.dak_glei.id), "unit.level:village")]
    assert kept == base["villages"] - 1  # what the aggregates keep: open villages
    assert_exact(session, tree)


def test_two_first_teams_of_a_village_at_once_count_it_served_once(
    backend: str, tmp_path: Path
) -> None:
    """Two officers create the first teams of one village at the same moment, on a real
    committed PostgreSQL database: the village and its commune count as served once.
    (Each writer counts the place before and after its own team: without a lock on the
    place both counted it unserved before, and both added it.)"""
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers: the race needs PostgreSQL")
    with seeded_database(backend, tmp_path) as (_, engine):
        database = Database(engine)
        with database.transaction() as session:
            village_id = make_village(session, make_tree(session).dak_pek, "Thôn Thử").id
        first, second = database.session(write=True), database.session(write=True)
        place = first.get(Unit, village_id)
        assert place is not None
        make_team(first, place, "Tổ A")  # flushed, not committed

        def other() -> None:
            same = second.get(Unit, village_id)
            assert same is not None
            make_team(second, same, "Tổ B")  # waits for the first
            second.commit()
            second.close()

        thread = threading.Thread(target=other)
        thread.start()
        time.sleep(0.5)
        first.commit()
        first.close()
        thread.join()
        with database.session() as session:
            assert stored(session) == recounted(session)
            served = stored(session)[(str(village_id), "coverage.served:village")]
            assert served == 1
