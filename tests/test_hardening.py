"""Inputs found by review and fuzzing that once produced a 500 or leaked data."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

from fastapi.testclient import TestClient
from sqlmodel import Session

from cnscd_api.config import Settings
from cnscd_api.models import Role
from tests.factories import Tree, bearer, make_team, make_user

MEMBERS = "/api/v1/members"


def test_control_characters_are_refused_not_stored(
    admin_client: TestClient, session: Session, tree: Tree
) -> None:
    team = make_team(session, tree.dak_pek_village)
    session.commit()
    response = admin_client.post(
        MEMBERS, json={"team_id": str(team.id), "full_name": "A\u0001B", "affiliation": "police"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.full_name"
    note = admin_client.patch(f"/api/v1/teams/{team.id}", json={"note": "dòng 1\ndòng 2\tx"})
    assert note.status_code == 200
    export = admin_client.get("/api/v1/teams/export", params={"format": "xlsx"})
    assert export.status_code == 200
    assert len(export.content) > 0


def test_chunked_bodies_past_the_limit_are_413(admin_client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(12):
            yield b"x" * (1024 * 1024)

    response = admin_client.post(
        "/api/v1/members/import",
        content=chunks(),
        headers={"Content-Type": "multipart/form-data; boundary=abc"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


def test_a_zip_bomb_is_refused_before_it_is_unpacked(admin_client: TestClient) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/sharedStrings.xml", "a" * (120 * 1024 * 1024))
    response = admin_client.post(
        "/api/v1/members/import",
        files={"file": ("bomb.xlsx", buffer.getvalue(), "application/zip")},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "import_unreadable"


def test_a_truncated_workbook_is_unreadable_not_a_crash(admin_client: TestClient) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook><sheets><sheet")
    response = admin_client.post(
        "/api/v1/members/import",
        files={"file": ("broken.xlsx", buffer.getvalue(), "application/zip")},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "import_unreadable"


def test_calendar_extremes_in_audit_filters(admin_client: TestClient) -> None:
    for params in ({"from": "9999-12-31T23:59:59-14:00"}, {"to": "0001-01-01T00:00:00+14:00"}):
        assert admin_client.get("/api/v1/audit-events", params=params).status_code == 200


def test_unicode_digits_in_a_birth_year_are_a_row_error(
    admin_client: TestClient, session: Session, tree: Tree
) -> None:
    team = make_team(session, tree.dak_pek_village)
    session.commit()
    content = f"Họ và tên,Năm sinh,Thành phần,Mã tổ\nA Tút,²⁰⁰⁰,Công an,{team.id}\n".encode()
    response = admin_client.post(
        "/api/v1/members/import", files={"file": ("m.csv", content, "text/csv")}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["column"] == "Năm sinh"


def test_a_member_who_left_returns_only_by_joining(
    admin_client: TestClient, session: Session, tree: Tree
) -> None:
    team = make_team(session, tree.dak_pek_village)
    session.commit()
    member = admin_client.post(
        MEMBERS, json={"team_id": str(team.id), "full_name": "Y Blin", "affiliation": "other"}
    ).json()
    url = f"{MEMBERS}/{member['id']}"
    assert admin_client.patch(url, json={"left_on": member["joined_on"]}).status_code == 200
    promoted = admin_client.patch(url, json={"role": "deputy"})
    assert promoted.status_code == 409
    assert admin_client.get(url).json()["active"] is False


def test_history_does_not_name_teams_outside_the_scope(
    admin_client: TestClient, client: TestClient, session: Session, settings: Settings, tree: Tree
) -> None:
    secret = make_team(session, tree.dak_pek_village, "Tổ bí mật Đắk Pék")
    here = make_team(session, tree.dak_man, "Tổ xã Đắk Man")
    officer = make_user(session, Role.COMMUNE_OFFICER, tree.dak_man)
    session.commit()
    member = admin_client.post(
        MEMBERS, json={"team_id": str(secret.id), "full_name": "A Sang", "affiliation": "police"}
    ).json()
    moved = admin_client.patch(f"{MEMBERS}/{member['id']}", json={"team_id": str(here.id)})
    assert moved.status_code == 200, moved.text
    seen = client.get(f"{MEMBERS}/{member['id']}", headers=bearer(settings, officer)).json()
    assert [period["team_name"] for period in seen["memberships"]] == [None, "Tổ xã Đắk Man"]
    assert "bí mật" not in str(seen)
