"""/teams as an officer meets it: teams serve communes and villages in the caller's
scope, lists that filter, search and sort Vietnamese names and carry each team's unit
path, size and leader without a query per row, ETags that stop lost updates, teams with
history that are dissolved rather than deleted, and CSV/XLSX exports."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from cnscd_api.config import Settings
from cnscd_api.models import (
    Role,
    Team,
    TeamRole,
    TeamStatus,
    Unit,
    UnitLevel,
)
from tests.factories import Tree, bearer, make_member, make_team, make_user, make_village

TEAMS = "/api/v1/teams"
MEMBERS = "/api/v1/members"
EXPORT_HEADERS = [
    "Mã tổ",
    "Tên tổ",
    "Đơn vị phục vụ",
    "Tỉnh",
    "Huyện",
    "Xã",
    "Thôn",
    "Số quyết định thành lập",
    "Ngày quyết định",
    "Trạng thái",
    "Số thành viên",
    "Tổ trưởng",
    "Ghi chú",
]


def gia_lai_commune(session: Session, tree: Tree) -> Unit:
    unit = session.exec(
        select(Unit)
        .where(
            col(Unit.level) == UnitLevel.COMMUNE,
            col(Unit.path).like(f"{tree.gia_lai.path}%"),
        )
        .order_by(col(Unit.code))
    ).first()
    assert unit is not None
    return unit


def listed(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    response = client.get(TEAMS, params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    assert response.json()["total"] == len(items)
    return items


def names(items: list[dict[str, Any]]) -> list[str]:
    return [item["name"] for item in items]


# --- creating a team ----------------------------------------------------------------


def test_team_created_under_a_village_carries_its_unit_path(
    admin_client: TestClient, tree: Tree
) -> None:
    response = admin_client.post(
        TEAMS,
        json={
            "unit_id": str(tree.dak_pek_village.id),
            "name": "  Tổ CNSCĐ thôn Đắk Ung ",
            "decision_number": "125/QĐ-UBND",
            "decision_date": "2024-03-15",
            "note": "Thành lập theo Kế hoạch 45/KH-UBND",
        },
    )
    assert response.status_code == 201, response.text
    assert response.headers["ETag"] == '"1"'
    team = response.json()
    assert team["name"] == "Tổ CNSCĐ thôn Đắk Ung"
    assert team["unit_id"] == str(tree.dak_pek_village.id)
    assert team["unit_name"] == "Thôn Đắk Ung"
    assert team["unit_path_names"] == [
        "Tỉnh Kon Tum",
        "Huyện Đắk Glei",
        "Xã Đắk Pék",
        "Thôn Đắk Ung",
    ]
    assert team["decision_number"] == "125/QĐ-UBND"
    assert team["decision_date"] == "2024-03-15"
    assert team["status"] == "active"
    assert team["member_count"] == 0
    assert team["leader"] is None

    fetched = admin_client.get(f"{TEAMS}/{team['id']}")
    assert fetched.status_code == 200, fetched.text
    assert fetched.json() == team


def test_team_created_under_a_commune(admin_client: TestClient, tree: Tree) -> None:
    response = admin_client.post(
        TEAMS, json={"unit_id": str(tree.dak_pek.id), "name": "Tổ CNSCĐ xã Đắk Pék"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["unit_path_names"] == ["Tỉnh Kon Tum", "Huyện Đắk Glei", "Xã Đắk Pék"]


@pytest.mark.parametrize("unit", ["dak_glei", "kon_tum"])
def test_team_cannot_serve_a_district_or_province(
    admin_client: TestClient, session: Session, tree: Tree, unit: str
) -> None:
    target: Unit = getattr(tree, unit)
    response = admin_client.post(TEAMS, json={"unit_id": str(target.id), "name": "Tổ huyện"})
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "team_unit_level"
    assert session.exec(select(Team).where(col(Team.unit_id) == target.id)).first() is None


def test_team_outside_the_scope_is_not_found(
    client: TestClient, session: Session, settings: Settings, tree: Tree
) -> None:
    officer = make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek)
    admin = make_user(session, Role.PROVINCE_ADMIN, tree.kon_tum)
    outside_province = gia_lai_commune(session, tree)
    session.commit()

    sibling = client.post(
        TEAMS,
        json={"unit_id": str(tree.dak_man.id), "name": "Tổ xã bên"},
        headers=bearer(settings, officer),
    )
    assert sibling.status_code == 404, sibling.text
    other_province = client.post(
        TEAMS,
        json={"unit_id": str(outside_province.id), "name": "Tổ Gia Lai"},
        headers=bearer(settings, admin),
    )
    assert other_province.status_code == 404, other_province.text
    created = session.exec(
        select(Team).where(col(Team.unit_id).in_([tree.dak_man.id, outside_province.id]))
    ).all()
    assert created == []


# --- lists: filters, search, sorting ------------------------------------------------


def test_unit_filter_covers_the_whole_subtree(
    admin_client: TestClient, session: Session, tree: Tree
) -> None:
    make_team(session, tree.dak_pek_village, "Tổ thôn Đắk Ung")
    make_team(session, tree.dak_pek, "Tổ xã Đắk Pék")
    make_team(session, tree.dak_man, "Tổ xã Đắk Man")
    make_team(session, make_village(session, tree.dak_man, "Làng Đắk Xú"), "Tổ làng Đắk Xú")
    session.commit()

    assert names(listed(admin_client, unit_id=str(tree.dak_pek_village.id))) == ["Tổ thôn Đắk Ung"]
    assert set(names(listed(admin_client, unit_id=str(tree.dak_pek.id)))) == {
        "Tổ thôn Đắk Ung",
        "Tổ xã Đắk Pék",
    }
    assert set(names(listed(admin_client, unit_id=str(tree.dak_glei.id)))) == {
        "Tổ thôn Đắk Ung",
        "Tổ xã Đắk Pék",
        "Tổ xã Đắk Man",
        "Tổ làng Đắk Xú",
    }
    assert listed(admin_client, unit_id=str(tree.ngoc_hoi.id)) == []


def test_unit_filter_outside_the_scope_is_not_found(
    client: TestClient, session: Session, settings: Settings, tree: Tree
) -> None:
    officer = make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek)
    make_team(session, tree.dak_man, "Tổ xã Đắk Man")
    session.commit()
    response = client.get(
        TEAMS, params={"unit_id": str(tree.dak_man.id)}, headers=bearer(settings, officer)
    )
    assert response.status_code == 404, response.text


def test_status_filter(admin_client: TestClient, session: Session, tree: Tree) -> None:
    make_team(session, tree.dak_pek_village, "Tổ đang hoạt động")
    make_team(session, tree.dak_pek_village, "Tổ tạm dừng", status=TeamStatus.SUSPENDED)
    make_team(session, tree.dak_pek_village, "Tổ đã giải thể", status=TeamStatus.DISSOLVED)
    session.commit()

    assert names(listed(admin_client, status="active")) == ["Tổ đang hoạt động"]
    assert names(listed(admin_client, status="suspended")) == ["Tổ tạm dừng"]
    assert names(listed(admin_client, status="dissolved")) == ["Tổ đã giải thể"]
    assert len(listed(admin_client)) == 3
    assert admin_client.get(TEAMS, params={"status": "closed"}).status_code == 422


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("dak ung", {"Tổ số 1"}),  # the village's name, typed without accents
        ("Đắk Ung", {"Tổ số 1"}),
        ("THÔN ĐẮK UNG", {"Tổ số 1"}),
        ("lang moi", {"Tổ CNSCĐ Làng Mới"}),  # the team's name
        ("so 1 ung", {"Tổ số 1"}),  # words may come from the team's and the unit's names
        ("kon rieng", {"Tổ CNSCĐ Làng Mới", "Tổ số 2"}),
        # The commune a team serves, directly or through one of its villages.
        ("dak pek", {"Tổ số 1", "Tổ số 2", "Tổ CNSCĐ Làng Mới", "Tổ xã Đắk Pék"}),
        ("xa dak pek", {"Tổ số 1", "Tổ số 2", "Tổ CNSCĐ Làng Mới", "Tổ xã Đắk Pék"}),
        ("dak pek kon rieng", {"Tổ CNSCĐ Làng Mới", "Tổ số 2"}),
        ("dak man", {"Tổ Đắk Man"}),
        ("dak glei", set()),  # a district is not where a team serves
        ("kon tum", set()),
        ("nowhere", set()),
    ],
)
def test_search_is_accent_insensitive_on_team_and_unit_names(
    admin_client: TestClient, session: Session, tree: Tree, query: str, expected: set[str]
) -> None:
    kon_rieng = make_village(session, tree.dak_pek, "Thôn Kon Riêng")
    make_team(session, tree.dak_pek_village, "Tổ số 1")
    make_team(session, kon_rieng, "Tổ số 2")
    make_team(session, kon_rieng, "Tổ CNSCĐ Làng Mới")
    make_team(session, tree.dak_pek, "Tổ xã Đắk Pék")
    make_team(session, make_village(session, tree.dak_man, "Thôn Đắk Ga"), "Tổ Đắk Man")
    session.commit()
    assert set(names(listed(admin_client, q=query))) == expected


def test_search_follows_a_renamed_commune(
    admin_client: TestClient, session: Session, tree: Tree
) -> None:
    make_team(session, tree.dak_pek_village, "Tổ số 1")
    session.commit()
    renamed = admin_client.patch(
        f"/api/v1/units/{tree.dak_pek.id}", json={"name": "Xã Đắk Pék Mới"}
    )
    assert renamed.status_code == 200, renamed.text
    assert names(listed(admin_client, q="pek moi")) == ["Tổ số 1"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (None, ["Tổ An Phú", "Tổ Bình Minh", "Tổ Cẩm Thành"]),
        ("name", ["Tổ An Phú", "Tổ Bình Minh", "Tổ Cẩm Thành"]),
        ("-name", ["Tổ Cẩm Thành", "Tổ Bình Minh", "Tổ An Phú"]),
        ("member_count", ["Tổ Bình Minh", "Tổ Cẩm Thành", "Tổ An Phú"]),
        ("-member_count", ["Tổ An Phú", "Tổ Cẩm Thành", "Tổ Bình Minh"]),
        ("created_at", ["Tổ Cẩm Thành", "Tổ An Phú", "Tổ Bình Minh"]),
        ("-created_at", ["Tổ Bình Minh", "Tổ An Phú", "Tổ Cẩm Thành"]),
    ],
)
def test_sort(
    admin_client: TestClient, session: Session, tree: Tree, sort: str | None, expected: list[str]
) -> None:
    an_phu = make_team(
        session, tree.dak_pek_village, "Tổ An Phú", created_at=datetime(2024, 2, 1, tzinfo=UTC)
    )
    make_team(
        session, tree.dak_pek_village, "Tổ Bình Minh", created_at=datetime(2024, 3, 1, tzinfo=UTC)
    )
    cam_thanh = make_team(
        session, tree.dak_pek_village, "Tổ Cẩm Thành", created_at=datetime(2024, 1, 1, tzinfo=UTC)
    )
    for _ in range(3):
        make_member(session, an_phu)
    make_member(session, an_phu, left_on=date(2024, 10, 1))  # left: not counted
    make_member(session, cam_thanh)
    session.commit()

    params = {} if sort is None else {"sort": sort}
    assert names(listed(admin_client, **params)) == expected


def test_unknown_sort_is_rejected(admin_client: TestClient) -> None:
    response = admin_client.get(TEAMS, params={"sort": "unit_id"})
    assert response.status_code == 422, response.text


def test_list_items_carry_unit_path_member_count_and_leader(
    admin_client: TestClient, session: Session, tree: Tree
) -> None:
    team = make_team(session, tree.dak_pek_village, "Tổ CNSCĐ thôn Đắk Ung")
    leader = make_member(session, team, "A Văn Lâm", role=TeamRole.LEADER)
    make_member(session, team, "Y Thị Hoa")
    make_member(session, team, "Đinh Văn Tuấn", role=TeamRole.DEPUTY)
    make_member(session, team, "Người Đã Rời", left_on=date(2024, 12, 1))
    make_team(session, tree.dak_man, "Tổ xã Đắk Man")
    session.commit()

    items = {item["name"]: item for item in listed(admin_client)}
    village_team = items["Tổ CNSCĐ thôn Đắk Ung"]
    assert village_team["unit_name"] == "Thôn Đắk Ung"
    assert village_team["unit_path_names"] == [
        "Tỉnh Kon Tum",
        "Huyện Đắk Glei",
        "Xã Đắk Pék",
        "Thôn Đắk Ung",
    ]
    assert village_team["member_count"] == 3
    assert village_team["leader"] == {"member_id": str(leader.id), "full_name": "A Văn Lâm"}

    commune_team = items["Tổ xã Đắk Man"]
    assert commune_team["unit_name"] == "Xã Đắk Man"
    assert commune_team["unit_path_names"] == ["Tỉnh Kon Tum", "Huyện Đắk Glei", "Xã Đắk Man"]
    assert commune_team["member_count"] == 0
    assert commune_team["leader"] is None


def count_statements(connection: Connection, call: Callable[[], None]) -> int:
    statements: list[str] = []

    def before_cursor_execute(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(connection, "before_cursor_execute", before_cursor_execute)
    try:
        call()
    finally:
        event.remove(connection, "before_cursor_execute", before_cursor_execute)
    return len(statements)


def test_list_makes_the_same_number_of_queries_for_5_or_40_teams(
    admin_client: TestClient, session: Session, tree: Tree, connection: Connection
) -> None:
    villages = [make_village(session, tree.dak_pek, f"Thôn Số {n}") for n in range(8)]

    def add_teams(start: int, stop: int) -> None:
        for n in range(start, stop):
            team = make_team(session, villages[n % len(villages)], f"Tổ số {n:02d}")
            make_member(session, team, f"Tổ Trưởng {n:02d}", role=TeamRole.LEADER)
            make_member(session, team, f"Thành Viên {n:02d}")
        session.commit()

    def list_page(expected: int) -> Callable[[], None]:
        def call() -> None:
            items = listed(admin_client, unit_id=str(tree.dak_pek.id))
            assert len(items) == expected
            assert all(item["leader"] and item["member_count"] == 2 for item in items)
            assert all(len(item["unit_path_names"]) == 4 for item in items)

        return call

    add_teams(0, 5)
    list_page(5)()  # warm-up: anything done once per process is not counted
    five = count_statements(connection, list_page(5))
    add_teams(5, 40)
    forty = count_statements(connection, list_page(40))
    assert five > 0
    assert forty == five


# --- reading and writing one team ---------------------------------------------------


def test_get_returns_an_etag_and_patch_honours_if_match(
    admin_client: TestClient, session: Session, tree: Tree
) -> None:
    team = make_team(session, tree.dak_pek_village, "Tổ cũ")
    session.commit()
    url = f"{TEAMS}/{team.id}"

    read = admin_client.get(url)
    assert read.status_code == 200, read.text
    seen = read.headers["ETag"]
    assert seen == '"1"'

    # Another officer edits first (without If-Match: still allowed, applies to the latest).
    other = admin_client.patch(url, json={"name": "Tổ của người khác"})
    assert other.status_code == 200, other.text
    assert other.json()["name"] == "Tổ của người khác"
    assert other.headers["ETag"] != seen

    stale = admin_client.patch(url, json={"name": "Tổ của tôi"}, headers={"If-Match": seen})
    assert stale.status_code == 412, stale.text
    assert stale.json()["code"] == "precondition_failed"
    after_stale = admin_client.get(url)
    assert after_stale.json()["name"] == "Tổ của người khác"
    assert after_stale.headers["ETag"] == other.headers["ETag"]

    current = after_stale.headers["ETag"]
    fresh = admin_client.patch(
        url, json={"name": "Tổ của tôi", "note": "Đã cập nhật"}, headers={"If-Match": current}
    )
    assert fresh.status_code == 200, fresh.text
    assert fresh.json()["name"] == "Tổ của tôi"
    assert fresh.json()["note"] == "Đã cập nhật"
    assert fresh.headers["ETag"] not in {seen, current}
    assert admin_client.get(url).headers["ETag"] == fresh.headers["ETag"]
    # The new name is searchable.
    assert names(listed(admin_client, q="to cua toi")) == ["Tổ của tôi"]


def test_delete_with_a_stale_etag_keeps_the_team(
    admin_client: TestClient, session: Session, tree: Tree
) -> None:
    team = make_team(session, tree.dak_pek_village, "Tổ trống")
    session.commit()
    url = f"{TEAMS}/{team.id}"
    seen = admin_client.get(url).headers["ETag"]
    assert admin_client.patch(url, json={"note": "sửa"}).status_code == 200

    stale = admin_client.delete(url, headers={"If-Match": seen})
    assert stale.status_code == 412, stale.text
    assert admin_client.get(url).status_code == 200


def test_moving_a_team_to_a_district_is_rejected(
    admin_client: TestClient, session: Session, tree: Tree
) -> None:
    team = make_team(session, tree.dak_pek_village, "Tổ thôn")
    session.commit()
    url = f"{TEAMS}/{team.id}"
    response = admin_client.patch(url, json={"unit_id": str(tree.dak_glei.id)})
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "team_unit_level"
    assert admin_client.get(url).json()["unit_id"] == str(tree.dak_pek_village.id)

    moved = admin_client.patch(url, json={"unit_id": str(tree.dak_man.id)})
    assert moved.status_code == 200, moved.text
    assert moved.json()["unit_path_names"] == ["Tỉnh Kon Tum", "Huyện Đắk Glei", "Xã Đắk Man"]


def test_team_that_had_members_cannot_be_deleted_but_an_empty_one_can(
    admin_client: TestClient, session: Session, tree: Tree
) -> None:
    with_history = make_team(session, tree.dak_pek_village, "Tổ có lịch sử")
    make_member(session, with_history, "Người Đã Rời", left_on=date(2024, 12, 1))
    empty = make_team(session, tree.dak_pek_village, "Tổ trống")
    session.commit()

    refused = admin_client.delete(f"{TEAMS}/{with_history.id}")
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "team_has_history"
    assert admin_client.get(f"{TEAMS}/{with_history.id}").status_code == 200

    etag = admin_client.get(f"{TEAMS}/{empty.id}").headers["ETag"]
    deleted = admin_client.delete(f"{TEAMS}/{empty.id}", headers={"If-Match": etag})
    assert deleted.status_code == 204, deleted.text
    assert deleted.content == b""
    assert admin_client.get(f"{TEAMS}/{empty.id}").status_code == 404
    assert names(listed(admin_client)) == ["Tổ có lịch sử"]


def test_dissolving_keeps_the_members_records(
    admin_client: TestClient, session: Session, tree: Tree
) -> None:
    team = make_team(session, tree.dak_pek_village, "Tổ sắp giải thể")
    leader = make_member(session, team, "A Văn Lâm", role=TeamRole.LEADER)
    member = make_member(session, team, "Y Thị Hoa")
    session.commit()

    dissolved = admin_client.patch(f"{TEAMS}/{team.id}", json={"status": "dissolved"})
    assert dissolved.status_code == 200, dissolved.text
    assert dissolved.json()["status"] == "dissolved"

    assert admin_client.get(f"{TEAMS}/{team.id}").json()["status"] == "dissolved"
    for person in (leader, member):
        read = admin_client.get(f"{MEMBERS}/{person.id}")
        assert read.status_code == 200, read.text
        assert read.json()["full_name"] == person.full_name
        assert read.json()["team_name"] == "Tổ sắp giải thể"
        assert read.json()["phone"] == person.phone
    team_members = admin_client.get(f"{TEAMS}/{team.id}/members")
    assert team_members.status_code == 200, team_members.text
    assert {m["full_name"] for m in team_members.json()["items"]} == {"A Văn Lâm", "Y Thị Hoa"}
    # Nobody joins a dissolved team, and it still cannot be deleted.
    joining = admin_client.post(
        MEMBERS,
        json={"full_name": "Người Mới", "affiliation": "youth_union", "team_id": str(team.id)},
    )
    assert joining.status_code == 409, joining.text
    assert joining.json()["code"] == "team_not_open"
    assert admin_client.delete(f"{TEAMS}/{team.id}").status_code == 409


# --- export ---------------------------------------------------------------------------


def export_fixture(session: Session, tree: Tree) -> None:
    team = make_team(session, tree.dak_pek_village, "Tổ CNSCĐ thôn Đắk Ung")
    team.decision_number = "125/QĐ-UBND"
    team.decision_date = date(2024, 3, 15)
    make_member(session, team, "A Văn Lâm", role=TeamRole.LEADER)
    make_member(session, team, "Y Thị Hoa")
    make_team(session, tree.dak_man, "Tổ CNSCĐ xã Đắk Man", status=TeamStatus.SUSPENDED)
    make_team(session, gia_lai_commune(session, tree), "Tổ ở Gia Lai")
    session.commit()


def test_csv_export_has_vietnamese_headers_and_the_teams_in_scope(
    admin_client: TestClient, session: Session, tree: Tree
) -> None:
    export_fixture(session, tree)
    response = admin_client.get(f"{TEAMS}/export", params={"format": "csv"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "teams.csv" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == EXPORT_HEADERS
    data = {row[1]: dict(zip(EXPORT_HEADERS, row, strict=True)) for row in rows[1:]}
    assert len(rows) == 3
    assert set(data) == {"Tổ CNSCĐ thôn Đắk Ung", "Tổ CNSCĐ xã Đắk Man"}  # not Gia Lai's
    village = data["Tổ CNSCĐ thôn Đắk Ung"]
    assert village["Đơn vị phục vụ"] == "Thôn Đắk Ung"
    assert (village["Tỉnh"], village["Huyện"], village["Xã"], village["Thôn"]) == (
        "Tỉnh Kon Tum",
        "Huyện Đắk Glei",
        "Xã Đắk Pék",
        "Thôn Đắk Ung",
    )
    assert village["Số quyết định thành lập"] == "125/QĐ-UBND"
    assert village["Ngày quyết định"] == "2024-03-15"
    assert village["Trạng thái"] == "Đang hoạt động"
    assert village["Số thành viên"] == "2"
    assert village["Tổ trưởng"] == "A Văn Lâm"
    assert uuid.UUID(village["Mã tổ"])
    assert data["Tổ CNSCĐ xã Đắk Man"]["Trạng thái"] == "Tạm dừng"
    assert data["Tổ CNSCĐ xã Đắk Man"]["Thôn"] == ""


def test_csv_export_of_a_commune_officer_and_with_filters(
    client: TestClient, session: Session, settings: Settings, tree: Tree
) -> None:
    export_fixture(session, tree)
    officer = make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek)
    admin = make_user(session, Role.PROVINCE_ADMIN, tree.kon_tum)
    session.commit()

    own = client.get(f"{TEAMS}/export", params={"format": "csv"}, headers=bearer(settings, officer))
    assert own.status_code == 200, own.text
    rows = list(csv.reader(io.StringIO(own.content.decode("utf-8-sig"))))
    assert [row[1] for row in rows[1:]] == ["Tổ CNSCĐ thôn Đắk Ung"]

    filtered = client.get(
        f"{TEAMS}/export",
        params={"format": "csv", "status": "suspended"},
        headers=bearer(settings, admin),
    )
    rows = list(csv.reader(io.StringIO(filtered.content.decode("utf-8-sig"))))
    assert [row[1] for row in rows[1:]] == ["Tổ CNSCĐ xã Đắk Man"]


def test_xlsx_export_opens_with_the_same_headers(
    admin_client: TestClient, session: Session, tree: Tree
) -> None:
    export_fixture(session, tree)
    response = admin_client.get(f"{TEAMS}/export", params={"format": "xlsx"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert list(rows[0]) == EXPORT_HEADERS
    assert sorted(str(row[1]) for row in rows[1:]) == [
        "Tổ CNSCĐ thôn Đắk Ung",
        "Tổ CNSCĐ xã Đắk Man",
    ]
    by_name = {row[1]: row for row in rows[1:]}
    assert by_name["Tổ CNSCĐ thôn Đắk Ung"][10] == 2  # a number, not text
    assert by_name["Tổ CNSCĐ thôn Đắk Ung"][11] == "A Văn Lâm"


def test_xlsx_export_keeps_text_that_looks_like_a_formula_as_text(
    admin_client: TestClient, session: Session, tree: Tree
) -> None:
    """A note typed as "=> …" must neither run as a formula nor break the workbook."""
    team = make_team(session, tree.dak_pek_village, '=HYPERLINK("http://example.com")')
    team.note = "=> chuyển sang xã Đắk Man từ 01/07/2025"
    session.commit()
    response = admin_client.get(f"{TEAMS}/export", params={"format": "xlsx"})
    assert response.status_code == 200, response.text
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    name, note = sheet.cell(row=2, column=2), sheet.cell(row=2, column=13)
    assert (name.value, name.data_type) == ('=HYPERLINK("http://example.com")', "s")
    assert (note.value, note.data_type) == ("=> chuyển sang xã Đắk Man từ 01/07/2025", "s")


def test_csv_export_does_not_hand_excel_a_formula(
    admin_client: TestClient, session: Session, tree: Tree
) -> None:
    team = admin_client.post(
        "/api/v1/teams",
        json={"unit_id": str(tree.dak_pek_village.id), "name": '=HYPERLINK("http://x")'},
    )
    assert team.status_code == 201, team.text
    export = admin_client.get(
        "/api/v1/teams/export", params={"format": "csv", "unit_id": str(tree.dak_pek_village.id)}
    )
    text = export.content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    assert "\n=HYPERLINK" not in text
    assert ",=HYPERLINK" not in text


def test_if_match_uses_the_strong_comparison(
    admin_client: TestClient, session: Session, tree: Tree
) -> None:
    created = admin_client.post(
        "/api/v1/teams", json={"unit_id": str(tree.dak_pek_village.id), "name": "Tổ so khớp"}
    )
    url = f"/api/v1/teams/{created.json()['id']}"
    etag = admin_client.get(url).headers["etag"]
    weak = admin_client.patch(url, json={"note": "a"}, headers={"If-Match": f"W/{etag}"})
    assert weak.status_code == 412
    listed = admin_client.patch(url, json={"note": "b"}, headers={"If-Match": f'"999", {etag}'})
    assert listed.status_code == 200
    anything = admin_client.patch(url, json={"note": "c"}, headers={"If-Match": "*"})
    assert anything.status_code == 200
    assert admin_client.get(url).json()["note"] == "c"


def test_team_leader_follows_the_team_when_it_moves(
    admin_client: TestClient, client: TestClient, session: Session, settings: Settings, tree: Tree
) -> None:
    other_village = make_village(session, tree.dak_pek, "Thôn Kon Pia")
    leader = make_user(session, Role.TEAM_LEADER, tree.dak_pek_village)
    session.commit()
    team_url = f"/api/v1/teams/{leader.team_id}"
    moved = admin_client.patch(team_url, json={"unit_id": str(other_village.id)})
    assert moved.status_code == 200, moved.text
    headers = bearer(settings, leader)
    me = client.get("/api/v1/auth/me", headers=headers).json()
    assert me["scope_unit"]["id"] == str(other_village.id)
    assert client.get(team_url, headers=headers).status_code == 200
    account = admin_client.get(f"/api/v1/users/{leader.id}").json()
    assert account["scope_unit_id"] == str(other_village.id)
