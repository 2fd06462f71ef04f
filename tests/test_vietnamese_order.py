"""Lists sorted by name follow Vietnamese alphabetical order on both databases: Ă and Â
are letters after A, Đ comes after D (it used to come after X, by code point), tones
after the letters in the dictionary's order. Names written through the API, renamed
through the API and made by the factories all get their sort key."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from cnscd_api.models import Role, Team
from tests.factories import Tree, make_member, make_team, make_user, make_village

# Vietnamese order, as a dictionary has it; shuffled when stored.
NAMES = ["Anh", "Ánh", "Ăn", "Ân", "Bình", "Dung", "Đào", "Đặng", "Em", "Êm", "Ơn", "Xuân"]
STORED = ["Xuân", "Đào", "Anh", "Ơn", "Ân", "Dung", "Ăn", "Em", "Đặng", "Bình", "Êm", "Ánh"]


def listed(client: TestClient, path: str, field: str, **params: Any) -> list[str]:
    response = client.get(path, params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    return [item[field] for item in response.json()["items"]]


def test_units_sort_by_name_in_vietnamese_order(admin_client: TestClient, tree: Tree) -> None:
    for name in STORED:
        created = admin_client.post(
            "/api/v1/units",
            json={"name": f"Thôn {name}", "level": "village", "parent_id": str(tree.dak_pek.id)},
        )
        assert created.status_code == 201, created.text
    villages = [f"Thôn {name}" for name in NAMES]
    found = listed(admin_client, "/api/v1/units", "name", parent_id=tree.dak_pek.id, sort="name")
    assert [name for name in found if name in villages] == villages
    backwards = listed(
        admin_client, "/api/v1/units", "name", parent_id=tree.dak_pek.id, sort="-name"
    )
    assert [name for name in backwards if name in villages] == villages[::-1]


@pytest.fixture
def team(session: Session, tree: Tree) -> Team:
    made = make_team(session, tree.dak_pek_village, "Tổ sắp xếp")
    session.commit()
    return made


def test_teams_sort_by_name_by_default_and_on_request(
    admin_client: TestClient, session: Session, tree: Tree
) -> None:
    village = make_village(session, tree.dak_man, "Thôn Sắp Xếp")
    for name in STORED[:6]:
        make_team(session, village, f"Tổ {name}")
    session.commit()
    for name in STORED[6:]:
        created = admin_client.post(
            "/api/v1/teams", json={"unit_id": str(village.id), "name": f"Tổ {name}"}
        )
        assert created.status_code == 201, created.text
    teams = [f"Tổ {name}" for name in NAMES]
    assert listed(admin_client, "/api/v1/teams", "name", unit_id=village.id) == teams
    assert listed(admin_client, "/api/v1/teams", "name", unit_id=village.id, sort="name") == teams
    assert (
        listed(admin_client, "/api/v1/teams", "name", unit_id=village.id, sort="-name")
        == teams[::-1]
    )
    export = admin_client.get(
        "/api/v1/teams/export", params={"format": "csv", "unit_id": str(village.id)}
    )
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    name_column = rows[0].index("Tên tổ")
    assert [row[name_column] for row in rows[1:]] == teams


def test_a_renamed_team_moves_to_its_new_place(
    admin_client: TestClient, session: Session, tree: Tree
) -> None:
    village = make_village(session, tree.dak_man, "Thôn Đổi Tên")
    first, _ = make_team(session, village, "Tổ Anh"), make_team(session, village, "Tổ Bình")
    session.commit()
    renamed = admin_client.patch(f"/api/v1/teams/{first.id}", json={"name": "Tổ Đào"})
    assert renamed.status_code == 200, renamed.text
    assert listed(admin_client, "/api/v1/teams", "name", unit_id=village.id) == [
        "Tổ Bình",
        "Tổ Đào",
    ]


def test_members_sort_by_full_name(admin_client: TestClient, session: Session, team: Team) -> None:
    for name in STORED[:6]:
        make_member(session, team, f"Nguyễn Văn {name}")
    session.commit()
    for name in STORED[6:]:
        created = admin_client.post(
            "/api/v1/members",
            json={
                "full_name": f"Nguyễn Văn {name}",
                "affiliation": "youth_union",
                "team_id": str(team.id),
            },
        )
        assert created.status_code == 201, created.text
    members = [f"Nguyễn Văn {name}" for name in NAMES]
    path = "/api/v1/members"
    assert listed(admin_client, path, "full_name", team_id=team.id) == members
    assert (
        listed(admin_client, path, "full_name", team_id=team.id, sort="-full_name")
        == (members[::-1])
    )
    export = admin_client.get(path + "/export", params={"format": "csv", "team_id": str(team.id)})
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    name_column = rows[0].index("Họ và tên")
    assert [row[name_column] for row in rows[1:]] == members


def test_campaigns_sort_by_name(admin_client: TestClient, tree: Tree) -> None:
    for name in STORED:
        created = admin_client.post(
            "/api/v1/campaigns",
            json={
                "code": f"cd-{uuid.uuid4().hex[:8]}",
                "name": f"Cao điểm {name}",
                "scope_unit_id": str(tree.kon_tum.id),
                "starts_on": "2030-10-01",
                "ends_on": "2030-10-10",
                "categories": ["vneid"],
                "indicators": [{"code": "people_guided"}],
            },
        )
        assert created.status_code == 201, created.text
    campaigns = [f"Cao điểm {name}" for name in NAMES]
    assert listed(admin_client, "/api/v1/campaigns", "name", sort="name") == campaigns


def test_users_sort_by_full_name_also_after_a_rename(
    admin_client: TestClient, session: Session, tree: Tree
) -> None:
    users = [make_user(session, Role.VIEWER, tree.dak_pek) for _ in STORED]
    session.commit()
    for user, name in zip(users, STORED, strict=True):
        renamed = admin_client.patch(f"/api/v1/users/{user.id}", json={"full_name": f"Lê {name}"})
        assert renamed.status_code == 200, renamed.text
    found = listed(admin_client, "/api/v1/users", "full_name", sort="full_name")
    expected = [f"Lê {name}" for name in NAMES]
    assert [name for name in found if name in expected] == expected
