"""/members as officers, team leaders, partners and viewers meet it: Vietnamese phone
numbers stored in one form, membership history that is kept when people move or leave,
one leader per team, personal data masked for partners and viewers everywhere (reads,
lists, exports, the audit log), Vietnamese search, filters, and ETags."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session

from cnscd_api.config import Settings
from cnscd_api.core import clock
from cnscd_api.models import (
    Affiliation,
    Member,
    Role,
    SkillLevel,
    Team,
    TeamRole,
    User,
)
from tests.factories import Tree, bearer, make_member, make_team, make_user, make_village

MEMBERS = "/api/v1/members"
TEAMS = "/api/v1/teams"
AUDIT = "/api/v1/audit-events"
PHONE = "0912345678"
MASKED_PHONE = "09******78"
EMAIL = "an.nguyen@kontum.gov.vn"
MASKED_EMAIL = "a***@kontum.gov.vn"


def member_body(team: Team, **fields: Any) -> dict[str, Any]:
    return {
        "full_name": "Nguyễn Văn An",
        "affiliation": "youth_union",
        "team_id": str(team.id),
        **fields,
    }


def listed(client: TestClient, url: str = MEMBERS, **params: Any) -> list[dict[str, Any]]:
    response = client.get(url, params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    assert response.json()["total"] == len(items)
    return items


def names(items: list[dict[str, Any]]) -> set[str]:
    return {item["full_name"] for item in items}


@pytest.fixture
def team(session: Session, tree: Tree) -> Team:
    team = make_team(session, tree.dak_pek_village, "Tổ CNSCĐ thôn Đắk Ung")
    session.commit()
    return team


@pytest.fixture
def other_team(session: Session, tree: Tree) -> Team:
    team = make_team(session, tree.dak_man, "Tổ CNSCĐ xã Đắk Man")
    session.commit()
    return team


# --- creating -----------------------------------------------------------------------


def test_create_member_normalises_the_phone(admin_client: TestClient, team: Team) -> None:
    response = admin_client.post(
        MEMBERS,
        json=member_body(
            team,
            gender="male",
            birth_year=1998,
            phone="+84 912 345 678",
            email=EMAIL,
            organisation="Đoàn xã Đắk Pék",
            skill_level="intermediate",
            joined_on="2024-09-01",
        ),
    )
    assert response.status_code == 201, response.text
    assert response.headers["ETag"] == '"1"'
    member = response.json()
    assert member["phone"] == PHONE
    assert member["email"] == EMAIL
    assert member["birth_year"] == 1998
    assert member["team_name"] == "Tổ CNSCĐ thôn Đắk Ung"
    assert member["role"] == "member"
    assert member["active"] is True
    assert member["personal_data_masked"] is False
    assert member["memberships"] == [
        {
            "team_id": str(team.id),
            "team_name": "Tổ CNSCĐ thôn Đắk Ung",
            "role": "member",
            "joined_on": "2024-09-01",
            "left_on": None,
        }
    ]
    assert admin_client.get(f"{MEMBERS}/{member['id']}").json() == member
    team_read = admin_client.get(f"{TEAMS}/{team.id}").json()
    assert team_read["member_count"] == 1


@pytest.mark.parametrize(
    "phone",
    ["0123", "+1 202 555 0123", "024 3825 1234", "phone", "+2-02 3-0 55.21", "0912\u200b345678"],
)
def test_invalid_phone_is_a_422_naming_the_field(
    admin_client: TestClient, team: Team, phone: str
) -> None:
    """One code for a phone that is not a Vietnamese mobile number, as the README says,
    whether its form or its range is wrong (it was `value_error` or
    `string_pattern_mismatch`)."""
    response = admin_client.post(MEMBERS, json=member_body(team, phone=phone))
    assert response.status_code == 422, response.text
    errors = [(error["field"], error["code"]) for error in response.json()["errors"]]
    assert errors == [("body.phone", "phone_invalid")]
    assert listed(admin_client) == []
    imported = admin_client.post(
        f"{MEMBERS}/import",
        files={
            "file": (
                "m.csv",
                f"Họ và tên,Thành phần,Số điện thoại,Mã tổ\nA,Công an,{phone},{team.id}\n".encode(),
            )
        },
    )
    assert imported.status_code == 422, imported.text
    assert [e["code"] for e in imported.json()["errors"]] == ["phone_invalid"]


ACCEPTED_PHONES = [
    "0912345678",
    "0912 345 678",
    "091.234.5678",
    "091-234-5678",
    "+84912345678",
    "+84 912 345 678",
    "84912345678",
    "+84 0912 345 678",
    "912345678",
    "0312345678",
]


def test_the_published_phone_pattern_states_what_the_server_accepts(
    admin_client: TestClient, team: Team
) -> None:
    """The pattern used to take "+2-02 3-0 55.21" (any 9 to 12 digits), which the server
    refuses. Now every form it takes is one the server accepts, and the forms people
    write match it."""
    schema = admin_client.get("/openapi.json").json()["components"]["schemas"]
    pattern = schema["MemberCreate"]["properties"]["phone"]["anyOf"][0]["pattern"]
    assert re.fullmatch(pattern, "+2-02 3-0 55.21") is None
    for phone in ACCEPTED_PHONES:
        assert re.fullmatch(pattern, phone), phone
        response = admin_client.post(
            MEMBERS, json=member_body(team, full_name=f"Người {phone}", phone=phone)
        )
        assert response.status_code == 201, (phone, response.text)
        admin_client.delete(f"{MEMBERS}/{response.json()['id']}")


def test_unknown_affiliation_is_a_422(admin_client: TestClient, team: Team) -> None:
    response = admin_client.post(MEMBERS, json=member_body(team, affiliation="student_union"))
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == ["body.affiliation"]


def test_same_phone_twice_in_one_team_is_a_conflict(admin_client: TestClient, team: Team) -> None:
    first = admin_client.post(MEMBERS, json=member_body(team, phone=PHONE))
    assert first.status_code == 201, first.text
    again = admin_client.post(
        MEMBERS, json=member_body(team, full_name="Người Khác", phone="84912345678")
    )
    assert again.status_code == 409, again.text
    assert again.json()["code"] == "member_phone_exists"


def test_team_outside_the_scope_is_not_found(
    client: TestClient, session: Session, settings: Settings, tree: Tree, other_team: Team
) -> None:
    officer = make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek)
    session.commit()
    response = client.post(MEMBERS, json=member_body(other_team), headers=bearer(settings, officer))
    assert response.status_code == 404, response.text


# --- membership history -------------------------------------------------------------


def test_moving_to_another_team_keeps_the_first_membership(
    admin_client: TestClient, team: Team, other_team: Team
) -> None:
    created = admin_client.post(
        MEMBERS, json=member_body(team, phone=PHONE, joined_on="2024-03-01")
    ).json()
    url = f"{MEMBERS}/{created['id']}"

    moved = admin_client.patch(url, json={"team_id": str(other_team.id)})
    assert moved.status_code == 200, moved.text
    assert moved.json()["team_id"] == str(other_team.id)
    assert moved.json()["active"] is True

    history = admin_client.get(url).json()["memberships"]
    today = clock.today().isoformat()
    assert history == [
        {
            "team_id": str(team.id),
            "team_name": "Tổ CNSCĐ thôn Đắk Ung",
            "role": "member",
            "joined_on": "2024-03-01",
            "left_on": today,
        },
        {
            "team_id": str(other_team.id),
            "team_name": "Tổ CNSCĐ xã Đắk Man",
            "role": "member",
            "joined_on": today,
            "left_on": None,
        },
    ]
    assert names(listed(admin_client, team_id=str(team.id))) == set()
    assert names(listed(admin_client, team_id=str(other_team.id))) == {"Nguyễn Văn An"}
    assert admin_client.get(f"{TEAMS}/{team.id}").json()["member_count"] == 0
    assert admin_client.get(f"{TEAMS}/{other_team.id}").json()["member_count"] == 1


def test_marking_left_closes_the_membership(admin_client: TestClient, team: Team) -> None:
    created = admin_client.post(MEMBERS, json=member_body(team, joined_on="2024-03-01")).json()
    staying = admin_client.post(MEMBERS, json=member_body(team, full_name="Y Thị Hoa")).json()
    url = f"{MEMBERS}/{created['id']}"

    left = admin_client.patch(url, json={"left_on": "2025-01-15"})
    assert left.status_code == 200, left.text
    assert left.json()["active"] is False
    assert left.json()["left_on"] == "2025-01-15"
    assert left.json()["memberships"] == [
        {
            "team_id": str(team.id),
            "team_name": "Tổ CNSCĐ thôn Đắk Ung",
            "role": "member",
            "joined_on": "2024-03-01",
            "left_on": "2025-01-15",
        }
    ]

    assert names(listed(admin_client, active="true")) == {staying["full_name"]}
    assert names(listed(admin_client, active="false")) == {"Nguyễn Văn An"}
    assert names(listed(admin_client)) == {"Nguyễn Văn An", "Y Thị Hoa"}
    team_members = f"{TEAMS}/{team.id}/members"
    assert names(listed(admin_client, team_members, active="true")) == {"Y Thị Hoa"}
    assert names(listed(admin_client, team_members)) == {"Nguyễn Văn An", "Y Thị Hoa"}
    assert admin_client.get(f"{TEAMS}/{team.id}").json()["member_count"] == 1

    # Leaving before joining would make a history that makes no sense.
    other = admin_client.get(f"{MEMBERS}/{staying['id']}")
    early = admin_client.patch(f"{MEMBERS}/{staying['id']}", json={"left_on": "2000-01-01"})
    assert early.status_code == 422, early.text
    assert [error["field"] for error in early.json()["errors"]] == ["body.left_on"]
    assert admin_client.get(f"{MEMBERS}/{staying['id']}").json() == other.json()

    again = admin_client.patch(url, json={"left_on": "2025-02-01"})
    assert again.status_code == 409, again.text
    assert again.json()["code"] == "member_already_left"


def test_second_leader_needs_replace_leader(admin_client: TestClient, team: Team) -> None:
    first = admin_client.post(MEMBERS, json=member_body(team, full_name="A Văn Lâm", role="leader"))
    assert first.status_code == 201, first.text
    old_leader = first.json()

    refused = admin_client.post(
        MEMBERS, json=member_body(team, full_name="Y Thị Hoa", role="leader")
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "leader_exists"
    assert names(listed(admin_client)) == {"A Văn Lâm"}  # nothing was written

    second = admin_client.post(MEMBERS, json=member_body(team, full_name="Y Thị Hoa")).json()
    promote = admin_client.patch(f"{MEMBERS}/{second['id']}", json={"role": "leader"})
    assert promote.status_code == 409, promote.text
    assert promote.json()["code"] == "leader_exists"
    assert admin_client.get(f"{MEMBERS}/{second['id']}").json()["role"] == "member"

    replaced = admin_client.patch(
        f"{MEMBERS}/{second['id']}", json={"role": "leader", "replace_leader": True}
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["role"] == "leader"
    assert [m["role"] for m in replaced.json()["memberships"]] == ["member", "leader"]

    stepped_down = admin_client.get(f"{MEMBERS}/{old_leader['id']}").json()
    assert stepped_down["role"] == "member"
    assert stepped_down["active"] is True
    history = stepped_down["memberships"]
    assert [(m["role"], m["left_on"] is None) for m in history] == [
        ("leader", False),
        ("member", True),
    ]
    team_read = admin_client.get(f"{TEAMS}/{team.id}").json()
    assert team_read["leader"] == {"member_id": second["id"], "full_name": "Y Thị Hoa"}
    assert names(listed(admin_client, role="leader")) == {"Y Thị Hoa"}


def test_new_member_can_replace_the_leader(admin_client: TestClient, team: Team) -> None:
    old = admin_client.post(
        MEMBERS, json=member_body(team, full_name="A Văn Lâm", role="leader")
    ).json()
    new = admin_client.post(
        MEMBERS,
        json=member_body(team, full_name="Y Thị Hoa", role="leader", replace_leader=True),
    )
    assert new.status_code == 201, new.text
    assert admin_client.get(f"{MEMBERS}/{old['id']}").json()["role"] == "member"
    assert admin_client.get(f"{TEAMS}/{team.id}").json()["leader"]["full_name"] == "Y Thị Hoa"


# --- personal data masking ----------------------------------------------------------


@pytest.fixture
def masked_fixture(session: Session, team: Team) -> Member:
    member = make_member(session, team, "Nguyễn Văn An", phone=PHONE, email=EMAIL, birth_year=1998)
    session.commit()
    return member


def readers(session: Session, tree: Tree) -> dict[str, User]:
    users = {
        "viewer": make_user(session, Role.VIEWER, tree.dak_glei),
        "partner": make_user(session, Role.PARTNER, tree.dak_glei, organisation="VNPT Kon Tum"),
        "commune_officer": make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek),
    }
    session.commit()
    return users


@pytest.mark.parametrize("role", ["viewer", "partner"])
def test_viewers_and_partners_see_personal_data_masked(
    client: TestClient,
    session: Session,
    settings: Settings,
    tree: Tree,
    masked_fixture: Member,
    role: str,
) -> None:
    headers = bearer(settings, readers(session, tree)[role])

    def check(item: dict[str, Any]) -> None:
        assert item["full_name"] == "Nguyễn Văn An"
        assert item["phone"] == MASKED_PHONE
        assert item["email"] == MASKED_EMAIL
        assert item["birth_year"] is None
        assert item["personal_data_masked"] is True

    read = client.get(f"{MEMBERS}/{masked_fixture.id}", headers=headers)
    assert read.status_code == 200, read.text
    check(read.json())
    for url in (MEMBERS, f"{TEAMS}/{masked_fixture.team_id}/members"):
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.text
        [item] = response.json()["items"]
        check(item)
    for response in (read, client.get(MEMBERS, headers=headers)):
        assert PHONE not in response.text
        assert EMAIL not in response.text

    export = client.get(f"{MEMBERS}/export", params={"format": "csv"}, headers=headers)
    assert export.status_code == 200, export.text
    text = export.content.decode("utf-8-sig")
    assert PHONE not in text
    assert EMAIL not in text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 1
    assert rows[0]["Họ và tên"] == "Nguyễn Văn An"
    assert rows[0]["Số điện thoại"] == MASKED_PHONE
    assert rows[0]["Email"] == MASKED_EMAIL
    assert rows[0]["Năm sinh"] == ""

    # Viewers and partners do not write.
    assert (
        client.patch(
            f"{MEMBERS}/{masked_fixture.id}", json={"full_name": "Khác"}, headers=headers
        ).status_code
        == 403
    )


def test_commune_officer_sees_personal_data(
    client: TestClient, session: Session, settings: Settings, tree: Tree, masked_fixture: Member
) -> None:
    headers = bearer(settings, readers(session, tree)["commune_officer"])
    read = client.get(f"{MEMBERS}/{masked_fixture.id}", headers=headers).json()
    assert (read["phone"], read["email"], read["birth_year"]) == (PHONE, EMAIL, 1998)
    assert read["personal_data_masked"] is False
    [item] = client.get(MEMBERS, headers=headers).json()["items"]
    assert (item["phone"], item["email"], item["birth_year"]) == (PHONE, EMAIL, 1998)

    export = client.get(f"{MEMBERS}/export", params={"format": "csv"}, headers=headers)
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert [(r["Số điện thoại"], r["Email"], r["Năm sinh"]) for r in rows] == [
        (PHONE, EMAIL, "1998")
    ]
    assert rows[0]["Thành phần"] == "Đoàn Thanh niên"
    assert rows[0]["Tên tổ"] == "Tổ CNSCĐ thôn Đắk Ung"


@pytest.mark.parametrize("role", ["commune_officer", "viewer"])
def test_xlsx_export_masks_per_role(
    client: TestClient,
    session: Session,
    settings: Settings,
    tree: Tree,
    masked_fixture: Member,
    role: str,
) -> None:
    headers = bearer(settings, readers(session, tree)[role])
    export = client.get(f"{MEMBERS}/export", params={"format": "xlsx"}, headers=headers)
    assert export.status_code == 200, export.text
    rows = list(load_workbook(io.BytesIO(export.content)).worksheets[0].iter_rows(values_only=True))
    header, data = list(rows[0]), rows[1:]
    assert header[:6] == [
        "Mã thành viên",
        "Họ và tên",
        "Giới tính",
        "Năm sinh",
        "Số điện thoại",
        "Email",
    ]
    [row] = [dict(zip(header, r, strict=True)) for r in data]
    if role == "viewer":
        assert (row["Năm sinh"], row["Số điện thoại"], row["Email"]) == (
            None,
            MASKED_PHONE,
            MASKED_EMAIL,
        )
    else:
        assert (row["Năm sinh"], row["Số điện thoại"], row["Email"]) == (1998, PHONE, EMAIL)


# --- search and filters -------------------------------------------------------------


@pytest.fixture
def people(session: Session, tree: Tree, team: Team, other_team: Team) -> dict[str, Member]:
    result = {
        "an": make_member(
            session,
            team,
            "Nguyễn Văn An",
            phone=PHONE,
            role=TeamRole.LEADER,
            skill_level=SkillLevel.ADVANCED,
        ),
        "binh": make_member(
            session,
            team,
            "Nguyễn Thị Bình",
            phone="0987654321",
            affiliation=Affiliation.WOMENS_UNION,
        ),
        "hung": make_member(
            session,
            other_team,
            "A Văn Hùng",
            affiliation=Affiliation.POLICE,
            role=TeamRole.DEPUTY,
            skill_level=SkillLevel.INTERMEDIATE,
        ),
        "left": make_member(
            session, team, "Đinh Văn Rời", left_on=date(2024, 12, 1), phone="0355123456"
        ),
    }
    session.commit()
    return result


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("nguyen van", {"Nguyễn Văn An"}),
        ("Nguyễn Văn", {"Nguyễn Văn An"}),
        ("NGUYEN", {"Nguyễn Văn An", "Nguyễn Thị Bình"}),
        ("dinh", {"Đinh Văn Rời"}),
        ("van", {"Nguyễn Văn An", "A Văn Hùng", "Đinh Văn Rời"}),
        ("0912345", {"Nguyễn Văn An"}),
        ("+84 912 345 678", {"Nguyễn Văn An"}),
        ("654321", {"Nguyễn Thị Bình"}),
        ("nobody", set()),
    ],
)
def test_officer_search_by_name_and_phone(
    admin_client: TestClient, people: dict[str, Member], query: str, expected: set[str]
) -> None:
    assert names(listed(admin_client, q=query)) == expected


def test_viewer_cannot_search_by_phone(
    client: TestClient, session: Session, settings: Settings, tree: Tree, people: Any
) -> None:
    headers = bearer(settings, make_user(session, Role.VIEWER, tree.kon_tum))
    session.commit()
    by_phone = client.get(MEMBERS, params={"q": "0912345"}, headers=headers)
    assert by_phone.status_code == 200, by_phone.text
    assert by_phone.json()["items"] == []
    by_name = client.get(MEMBERS, params={"q": "nguyen van"}, headers=headers)
    assert names(by_name.json()["items"]) == {"Nguyễn Văn An"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"team_id": "team"}, {"an", "binh", "left"}),
        ({"team_id": "other_team"}, {"hung"}),
        ({"unit_id": "dak_pek_village"}, {"an", "binh", "left"}),
        ({"unit_id": "dak_pek"}, {"an", "binh", "left"}),
        ({"unit_id": "dak_man"}, {"hung"}),
        ({"unit_id": "dak_glei"}, {"an", "binh", "hung", "left"}),
        ({"unit_id": "ngoc_hoi"}, set()),
        ({"affiliation": "womens_union"}, {"binh"}),
        ({"affiliation": "police"}, {"hung"}),
        ({"role": "leader"}, {"an"}),
        ({"role": "deputy"}, {"hung"}),
        ({"skill_level": "advanced"}, {"an"}),
        ({"skill_level": "basic"}, {"binh", "left"}),
        ({"active": "true"}, {"an", "binh", "hung"}),
        ({"active": "false"}, {"left"}),
        ({"team_id": "team", "active": "true", "affiliation": "youth_union"}, {"an"}),
    ],
)
def test_filters(
    admin_client: TestClient,
    tree: Tree,
    team: Team,
    other_team: Team,
    people: dict[str, Member],
    params: dict[str, str],
    expected: set[str],
) -> None:
    teams = {"team": team, "other_team": other_team}
    resolved = dict(params)
    if "team_id" in params:
        resolved["team_id"] = str(teams[params["team_id"]].id)
    if "unit_id" in params:
        resolved["unit_id"] = str(getattr(tree, params["unit_id"]).id)
    assert names(listed(admin_client, **resolved)) == {people[key].full_name for key in expected}


def test_invalid_filter_values_are_422(admin_client: TestClient) -> None:
    for params in ({"affiliation": "student_union"}, {"role": "boss"}, {"active": "maybe"}):
        response = admin_client.get(MEMBERS, params=params)
        assert response.status_code == 422, response.text


# --- concurrency and deletion -------------------------------------------------------


def test_patch_and_delete_with_a_stale_etag_change_nothing(
    admin_client: TestClient, team: Team
) -> None:
    created = admin_client.post(MEMBERS, json=member_body(team, phone=PHONE))
    url = f"{MEMBERS}/{created.json()['id']}"
    seen = admin_client.get(url).headers["ETag"]
    assert seen == created.headers["ETag"]

    edited = admin_client.patch(url, json={"organisation": "VNPT Kon Tum"})
    assert edited.status_code == 200, edited.text
    assert edited.headers["ETag"] != seen

    stale_patch = admin_client.patch(url, json={"full_name": "Tên Sai"}, headers={"If-Match": seen})
    assert stale_patch.status_code == 412, stale_patch.text
    stale_delete = admin_client.delete(url, headers={"If-Match": seen})
    assert stale_delete.status_code == 412, stale_delete.text
    current = admin_client.get(url)
    assert current.status_code == 200
    assert current.json()["full_name"] == "Nguyễn Văn An"
    assert current.json()["organisation"] == "VNPT Kon Tum"

    fresh = admin_client.patch(
        url, json={"full_name": "Nguyễn Văn Ân"}, headers={"If-Match": current.headers["ETag"]}
    )
    assert fresh.status_code == 200, fresh.text
    assert fresh.json()["full_name"] == "Nguyễn Văn Ân"
    assert fresh.headers["ETag"] != current.headers["ETag"]


def test_delete_erases_the_member_and_audits_without_the_phone(
    admin_client: TestClient, team: Team
) -> None:
    created = admin_client.post(MEMBERS, json=member_body(team, phone=PHONE, email=EMAIL))
    member_id = created.json()["id"]
    url = f"{MEMBERS}/{member_id}"

    deleted = admin_client.delete(url, headers={"If-Match": created.headers["ETag"]})
    assert deleted.status_code == 204, deleted.text
    assert admin_client.get(url).status_code == 404
    assert listed(admin_client) == []
    assert admin_client.get(f"{TEAMS}/{team.id}").json()["member_count"] == 0

    events = admin_client.get(AUDIT, params={"entity": "member", "entity_id": member_id})
    assert events.status_code == 200, events.text
    actions = [event["action"] for event in events.json()["items"]]
    assert sorted(actions) == ["create", "delete"]
    assert PHONE not in events.text
    assert EMAIL not in events.text
    [delete_event] = [e for e in events.json()["items"] if e["action"] == "delete"]
    assert delete_event["changes"]["phone"]["before"] == MASKED_PHONE
    assert delete_event["changes"]["full_name"]["before"] == "Nguyễn Văn An"
    assert PHONE not in json.dumps(delete_event)


# --- team leaders -------------------------------------------------------------------


def test_team_leader_sees_own_team_only(
    client: TestClient, session: Session, settings: Settings, tree: Tree, team: Team
) -> None:
    own = make_member(session, team, "Nguyễn Văn An", phone=PHONE, email=EMAIL, birth_year=1998)
    neighbour_team = make_team(session, tree.dak_pek_village, "Tổ thứ hai thôn Đắk Ung")
    neighbour = make_member(session, neighbour_team, "Y Thị Hoa")
    commune_team = make_team(session, tree.dak_pek, "Tổ xã Đắk Pék")
    commune_member = make_member(session, commune_team, "A Văn Hùng")
    other_village_team = make_team(
        session, make_village(session, tree.dak_pek, "Thôn Kon Riêng"), "Tổ Kon Riêng"
    )
    other_village_member = make_member(session, other_village_team, "Đinh Văn Tuấn")
    leader = make_user(session, Role.TEAM_LEADER, tree.dak_pek_village, team_id=team.id)
    session.commit()
    headers = bearer(settings, leader)

    read = client.get(f"{MEMBERS}/{own.id}", headers=headers)
    assert read.status_code == 200, read.text
    assert (read.json()["phone"], read.json()["email"], read.json()["birth_year"]) == (
        PHONE,
        EMAIL,
        1998,
    )
    assert read.json()["personal_data_masked"] is False

    listing = client.get(MEMBERS, headers=headers)
    assert names(listing.json()["items"]) == {"Nguyễn Văn An"}
    assert listing.json()["items"][0]["phone"] == PHONE
    team_members = client.get(f"{TEAMS}/{team.id}/members", headers=headers)
    assert names(team_members.json()["items"]) == {"Nguyễn Văn An"}

    for stranger in (neighbour, commune_member, other_village_member):
        response = client.get(f"{MEMBERS}/{stranger.id}", headers=headers)
        assert response.status_code == 404, response.text
    assert client.get(f"{TEAMS}/{neighbour_team.id}/members", headers=headers).status_code == 404
    # A filter naming a team outside the scope is a 404 too, not an empty page.
    filtered = client.get(MEMBERS, params={"team_id": str(neighbour_team.id)}, headers=headers)
    assert filtered.status_code == 404

    export = client.get(f"{MEMBERS}/export", params={"format": "csv"}, headers=headers)
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert [(r["Họ và tên"], r["Số điện thoại"]) for r in rows] == [("Nguyễn Văn An", PHONE)]

    # Reading is all a team leader does with members.
    assert (
        client.patch(f"{MEMBERS}/{own.id}", json={"full_name": "Khác"}, headers=headers).status_code
        == 403
    )


def test_leaving_and_moving_in_one_request_is_refused(
    admin_client: TestClient, session: Session, tree: Tree
) -> None:
    first = make_team(session, tree.dak_pek_village, "Tổ một")
    second = make_team(session, tree.dak_pek, "Tổ hai")
    session.commit()
    created = admin_client.post(
        MEMBERS,
        json={"team_id": str(first.id), "full_name": "A Tút", "affiliation": "police"},
    ).json()
    both = admin_client.patch(
        f"{MEMBERS}/{created['id']}",
        json={"left_on": "2024-12-01", "team_id": str(second.id)},
    )
    assert both.status_code == 422
    future = admin_client.patch(f"{MEMBERS}/{created['id']}", json={"left_on": "2999-01-01"})
    assert future.status_code == 422
    assert [e["field"] for e in future.json()["errors"]] == ["body.left_on"]
    after = admin_client.get(f"{MEMBERS}/{created['id']}").json()
    assert after["team_id"] == str(first.id)
    assert after["active"] is True


def test_joining_in_the_future_is_refused(
    admin_client: TestClient, session: Session, tree: Tree
) -> None:
    team = make_team(session, tree.dak_pek_village, "Tổ ba")
    session.commit()
    response = admin_client.post(
        MEMBERS,
        json={
            "team_id": str(team.id),
            "full_name": "Y Dim",
            "affiliation": "womens_union",
            "joined_on": "2099-01-01",
        },
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["body.joined_on"]


def test_leaving_with_a_move_names_left_on(
    admin_client: TestClient, session: Session, tree: Tree
) -> None:
    member = make_member(session, make_team(session, tree.dak_pek_village))
    session.commit()
    response = admin_client.patch(
        f"/api/v1/members/{member.id}",
        json={"left_on": "2024-10-01", "team_id": str(uuid.uuid4())},
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["body.left_on"]


# --- Vietnam's calendar ---------------------------------------------------------------


@pytest.fixture
def vietnam_ahead_of_the_server(monkeypatch: pytest.MonkeyPatch) -> date:
    """01:00 in Vietnam on a server kept in UTC: Vietnam's date is already the next day
    (the clock the system speaks), the server's is still the day before."""
    tomorrow = date.today() + timedelta(days=1)  # noqa: DTZ011 -- the server's own date
    monkeypatch.setattr(clock, "today", lambda: tomorrow)
    return tomorrow


def test_joining_on_vietnam_s_today_is_accepted_while_the_server_is_still_on_yesterday(
    admin_client: TestClient, team: Team, vietnam_ahead_of_the_server: date
) -> None:
    today = vietnam_ahead_of_the_server.isoformat()
    joined = admin_client.post(MEMBERS, json=member_body(team, joined_on=today))
    assert joined.status_code == 201, joined.text
    assert joined.json()["joined_on"] == today
    defaulted = admin_client.post(MEMBERS, json=member_body(team, full_name="Y Thị Mai"))
    assert defaulted.status_code == 201, defaulted.text
    assert defaulted.json()["joined_on"] == today
    tomorrow = (vietnam_ahead_of_the_server + timedelta(days=1)).isoformat()
    future = admin_client.post(MEMBERS, json=member_body(team, joined_on=tomorrow))
    assert future.status_code == 422
    assert future.json()["errors"][0]["field"] == "body.joined_on"
