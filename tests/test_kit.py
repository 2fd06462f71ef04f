"""The shared kit every feature uses: numbered audit events, versioned writes of units
and users, stored unit names, and sort options that cannot drift from their columns."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from cnscd_api.config import Settings
from cnscd_api.core import audit
from cnscd_api.core.pagination import Sorting
from cnscd_api.db import Database
from cnscd_api.main import create_app
from cnscd_api.models import AuditAction, AuditEntity, AuditEvent, Role, Team, UnitLevel
from cnscd_api.units.seed import seed_units
from tests.databases import fresh_database, migrated_engine, settings_for
from tests.factories import Tree, bearer, make_team, make_user, make_village, unit_by_code

AUDIT = "/api/v1/audit-events"


def audit_page(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    response = client.get(AUDIT, params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


# --- audit sequence -------------------------------------------------------------------


def test_events_are_numbered_in_order_and_read_incrementally(
    admin_client: TestClient, tree: Tree, backend: str
) -> None:
    start = max([e["sequence"] for e in audit_page(admin_client)] or [0])
    for name in ("Thôn Một", "Thôn Hai", "Thôn Ba"):
        made = admin_client.post(
            "/api/v1/units", json={"parent_id": str(tree.dak_pek.id), "name": name}
        )
        assert made.status_code == 201, made.text
    # A refused request writes nothing and takes no number.
    refused = admin_client.post("/api/v1/units", json={"parent_id": str(uuid.uuid4()), "name": "X"})
    assert refused.status_code in (404, 422)
    admin_client.post("/api/v1/units", json={"parent_id": str(tree.dak_pek.id), "name": "Thôn Bốn"})

    newer = audit_page(admin_client, after_sequence=start)
    numbers = [e["sequence"] for e in newer]
    assert [e["changes"]["name"]["after"] for e in newer] == [
        "Thôn Một",
        "Thôn Hai",
        "Thôn Ba",
        "Thôn Bốn",
    ]
    assert numbers == sorted(numbers)
    assert numbers[0] > start
    if backend == "sqlite":
        # One writer at a time takes the next number of one row: no gaps.
        assert numbers == list(range(numbers[0], numbers[0] + 4))
    # (PostgreSQL's sequence is not rolled back with a transaction: the suite's earlier
    # rolled-back tests took numbers before these, and a failed commit leaves a gap.)
    # Reading on from the last number seen gives only what came after it.
    assert audit_page(admin_client, after_sequence=numbers[-1]) == []
    assert [e["sequence"] for e in audit_page(admin_client, after_sequence=numbers[1])] == [
        numbers[2],
        numbers[3],
    ]


def test_a_number_that_belongs_to_no_event_is_not_found(admin_client: TestClient) -> None:
    last = max([e["sequence"] for e in audit_page(admin_client)] or [0])
    for missing in (last + 1_000_000, 4611686018427387903):
        response = admin_client.get(AUDIT, params={"after_sequence": missing})
        assert response.status_code == 404, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "unknown_sequence"
    # 0 reads from the beginning.
    assert admin_client.get(AUDIT, params={"after_sequence": 0}).status_code == 200


def test_after_sequence_is_validated(admin_client: TestClient) -> None:
    for bad in ("-1", "x", "1.5"):
        response = admin_client.get(AUDIT, params={"after_sequence": bad})
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "query.after_sequence"


@pytest.fixture
def committed(backend: str, tmp_path: Path) -> Iterator[tuple[Database, Settings]]:
    """A real database where every request commits (threads see each other's work)."""
    with fresh_database(backend, tmp_path) as url:
        engine = migrated_engine(url)
        database = Database(engine)
        with database.transaction() as session:
            seed_units(session, {62})
        try:
            yield database, settings_for(url)
        finally:
            engine.dispose()


def test_concurrent_writers_get_distinct_consecutive_numbers(
    committed: tuple[Database, Settings],
) -> None:
    database, settings = committed
    writers = 8
    with database.transaction() as session:
        commune = unit_by_code(session, UnitLevel.COMMUNE, "23353")
        officer = make_user(session, Role.COMMUNE_OFFICER, commune)
        headers = bearer(settings, officer)
        commune_id = str(commune.id)
    app = create_app(settings, database)
    barrier = threading.Barrier(writers)
    statuses: list[int] = []

    def create_village(index: int) -> None:
        with TestClient(app) as client:
            barrier.wait()
            response = client.post(
                "/api/v1/units",
                json={"parent_id": commune_id, "name": f"Thôn Song Song {index}"},
                headers=headers,
            )
            statuses.append(response.status_code)

    threads = [threading.Thread(target=create_village, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [201] * writers
    with database.session() as session:
        numbers = sorted(session.exec(select(AuditEvent.sequence)).all())
    assert numbers == list(range(1, len(numbers) + 1))
    assert len(numbers) >= writers


def test_a_transaction_numbered_first_but_committed_last_is_not_skipped(
    backend: str, committed: tuple[Database, Settings]
) -> None:
    """PostgreSQL numbers events without a shared lock, so a transaction may hold a
    smaller number than one that committed before it. The feed waits for it instead of
    letting a reader go past its number. (SQLite's writers hold the write lock from their
    first statement, so there the second writer would wait for the first.)"""
    if backend != "postgresql":
        pytest.skip("only PostgreSQL takes numbers in parallel")
    database, settings = committed
    with database.transaction() as session:
        commune = unit_by_code(session, UnitLevel.COMMUNE, "23353")
        province = unit_by_code(session, UnitLevel.PROVINCE, "62")
        admin = make_user(session, Role.PROVINCE_ADMIN, province)
        headers, commune_id, admin_name = bearer(settings, admin), str(commune.id), admin.username
    app = create_app(settings, database)
    with TestClient(app) as client:
        client.headers.update(headers)
        start = max([e["sequence"] for e in audit_page(client)] or [0])
        with database.session(write=True) as slow_session:
            # A transaction that writes first, then takes its number and stalls.
            audit.record(
                slow_session,
                actor=None,
                action=AuditAction.CREATE,
                entity=AuditEntity.UNIT,
                unit_path=commune.path,
                actor_name="slow writer",
            )
            slow_session.connection().execute(
                audit.POSTGRES_INSERT, slow_session.info.pop(audit.PENDING)
            )
            made = client.post(
                "/api/v1/units", json={"parent_id": commune_id, "name": "Thôn Nhanh"}
            )
            assert made.status_code == 201
            # The later transaction has committed, but the earlier one may still commit.
            assert audit_page(client, after_sequence=start) == []
            slow_session.commit()
        listed = audit_page(client, after_sequence=start)
    assert [e["actor_name"] for e in listed] == ["slow writer", admin_name]
    assert listed[1]["changes"]["name"]["after"] == "Thôn Nhanh"
    assert listed[0]["sequence"] < listed[1]["sequence"]


def test_a_reader_following_the_feed_sees_every_event_once_while_writers_race(
    committed: tuple[Database, Settings],
) -> None:
    database, settings = committed
    writers, writes = 6, 8
    with database.transaction() as session:
        commune = unit_by_code(session, UnitLevel.COMMUNE, "23353")
        province = unit_by_code(session, UnitLevel.PROVINCE, "62")
        officers = [
            bearer(settings, make_user(session, Role.COMMUNE_OFFICER, commune))
            for _ in range(writers)
        ]
        reader = bearer(settings, make_user(session, Role.PROVINCE_ADMIN, province))
        commune_id = str(commune.id)
    app = create_app(settings, database)
    done = threading.Event()
    seen: list[int] = []
    failures: list[int] = []

    def write(index: int) -> None:
        with TestClient(app) as client:
            for number in range(writes):
                response = client.post(
                    "/api/v1/units",
                    json={"parent_id": commune_id, "name": f"Thôn Đua {index}-{number}"},
                    headers=officers[index],
                )
                if response.status_code != 201:
                    failures.append(response.status_code)

    def read_on(client: TestClient) -> None:
        cursor = seen[-1] if seen else 0
        seen.extend(e["sequence"] for e in audit_page(client, after_sequence=cursor))

    def follow() -> None:
        with TestClient(app) as client:
            client.headers.update(reader)
            while not done.is_set():
                read_on(client)
            read_on(client)

    follower = threading.Thread(target=follow)
    follower.start()
    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    follower.join()
    assert failures == []
    with database.session() as session:
        stored = session.exec(select(AuditEvent.sequence)).all()
    assert len(seen) == len(set(seen)), "an event was read twice"
    assert sorted(seen) == sorted(stored), "an event was skipped"
    assert len(stored) >= writers * writes


# --- versioned writes of units, users and API clients ----------------------------------


@pytest.mark.parametrize("kind", ["unit", "user"])
def test_units_and_users_answer_etags_and_refuse_stale_writes(
    admin_client: TestClient, session: Session, tree: Tree, kind: str
) -> None:
    edit: dict[str, Any]
    if kind == "unit":
        village = make_village(session, tree.dak_pek, "Thôn Sửa Đổi")
        path, edit = f"/api/v1/units/{village.id}", {"households": 120}
    else:
        user = make_user(session, Role.VIEWER, tree.dak_pek)
        path, edit = f"/api/v1/users/{user.id}", {"full_name": "Lê Thị Sửa"}
    session.commit()
    read = admin_client.get(path)
    assert read.status_code == 200
    etag = read.headers["etag"]
    assert etag == f'"{read.json()["version"]}"'

    changed = admin_client.patch(path, json=edit, headers={"If-Match": etag})
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] != etag
    stale = admin_client.patch(path, json=edit, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition_failed"
    assert admin_client.get(path).json()["version"] == changed.json()["version"]
    if kind == "user":
        assert admin_client.delete(path, headers={"If-Match": etag}).status_code == 412
        assert (
            admin_client.delete(path, headers={"If-Match": changed.headers["etag"]}).status_code
            == 204
        )


def test_revoking_an_api_client_honours_if_match(admin_client: TestClient, tree: Tree) -> None:
    made = admin_client.post(
        "/api/v1/api-clients",
        json={"name": "Sync", "organisation": "Viettel", "scope_unit_id": str(tree.dak_glei.id)},
    )
    assert made.status_code == 201
    client_id = made.json()["id"]
    etag = made.headers["etag"]
    rotated = admin_client.post(f"/api/v1/api-clients/{client_id}/rotate-secret")
    assert rotated.headers["etag"] != etag
    stale = admin_client.delete(f"/api/v1/api-clients/{client_id}", headers={"If-Match": etag})
    assert stale.status_code == 412
    fresh = admin_client.delete(
        f"/api/v1/api-clients/{client_id}", headers={"If-Match": rotated.headers["etag"]}
    )
    assert fresh.status_code == 204


# --- stored unit names -------------------------------------------------------------------


def test_renaming_a_commune_renames_it_in_the_lists_below(
    admin_client: TestClient, session: Session, tree: Tree
) -> None:
    village = make_village(session, tree.dak_pek, "Thôn Đổi Tên")
    team = make_team(session, village, "Tổ CNSCĐ thôn Đổi Tên")
    session.commit()
    renamed = admin_client.patch(
        f"/api/v1/units/{tree.dak_pek.id}", json={"name": "Xã Đắk Pék Mới"}
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["path_names"] == ["Tỉnh Kon Tum", "Huyện Đắk Glei", "Xã Đắk Pék Mới"]
    listed = admin_client.get("/api/v1/teams", params={"q": "doi ten"}).json()["items"]
    assert [t["unit_path_names"] for t in listed if t["id"] == str(team.id)] == [
        ["Tỉnh Kon Tum", "Huyện Đắk Glei", "Xã Đắk Pék Mới", "Thôn Đổi Tên"]
    ]
    child = admin_client.get(f"/api/v1/units/{village.id}").json()
    assert child["path_names"][2] == "Xã Đắk Pék Mới"
    # Siblings keep their names.
    other = admin_client.get(f"/api/v1/units/{tree.dak_man.id}").json()
    assert other["path_names"] == ["Tỉnh Kon Tum", "Huyện Đắk Glei", "Xã Đắk Man"]


# --- sorting ------------------------------------------------------------------------------


class Fruit(StrEnum):
    NAME = "name"
    NAME_DESC = "-name"
    SIZE = "size"  # offered without a column, and without its descending twin


def test_sort_options_that_drift_from_their_columns_fail_at_import() -> None:
    with pytest.raises(TypeError, match="Fruit offers"):
        Sorting(Fruit, {"name": col(Team.name)}, default=(), tiebreaker=col(Team.id))


def test_sort_orders_and_tiebreaks(admin_client: TestClient, session: Session, tree: Tree) -> None:
    for name in ("Tổ B", "Tổ A", "Tổ C"):
        make_team(session, tree.dak_pek_village, name)
    session.commit()
    names = [
        t["name"]
        for t in admin_client.get(
            "/api/v1/teams", params={"unit_id": str(tree.dak_pek_village.id), "sort": "-name"}
        ).json()["items"]
    ]
    assert names == ["Tổ C", "Tổ B", "Tổ A"]
