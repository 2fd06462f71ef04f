"""A national viewer (ministry dashboards) reads the whole country and changes nothing;
it exists only through the command line, out of every API caller's reach."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from cnscd_api.cli import app as cli
from cnscd_api.config import Settings
from cnscd_api.models import Role, Unit, UnitLevel, User
from tests.databases import migrated_engine
from tests.factories import Tree, bearer, make_team, make_user


def test_a_national_viewer_reads_every_province_and_writes_nothing(
    client: TestClient, session: Session, settings: Settings, tree: Tree, province_admin: User
) -> None:
    make_team(session, tree.dak_pek, "Tổ Đắk Pék")
    gia_lai_commune = session.exec(
        select(Unit).where(
            Unit.level == UnitLevel.COMMUNE, col(Unit.path).startswith(tree.gia_lai.path)
        )
    ).first()
    assert gia_lai_commune is not None
    make_team(session, gia_lai_commune, "Tổ Gia Lai")
    viewer = make_user(session, Role.VIEWER, None, "bo.viewer")
    session.commit()
    headers = bearer(settings, viewer)
    me = client.get("/api/v1/auth/me", headers=headers)
    assert me.status_code == 200, me.text
    assert me.json()["scope_unit"] is None
    assert me.json()["role"] == "viewer"
    provinces = client.get("/api/v1/units?level=province&limit=100", headers=headers).json()
    names = {unit["name"] for unit in provinces["items"]}
    assert {"Tỉnh Kon Tum", "Tỉnh Gia Lai"} <= names
    teams = client.get("/api/v1/teams?limit=100", headers=headers).json()["items"]
    assert {team["unit_path_names"][0] for team in teams} == {"Tỉnh Kon Tum", "Tỉnh Gia Lai"}
    refused = client.post(
        "/api/v1/teams", json={"unit_id": str(tree.dak_pek.id), "name": "Tổ mới"}, headers=headers
    )
    assert refused.status_code == 403
    # No province admin sees (or can change) the national account.
    listed = client.get("/api/v1/users?limit=100", headers=bearer(settings, province_admin))
    assert "bo.viewer" not in {user["username"] for user in listed.json()["items"]}
    hidden = client.get(f"/api/v1/users/{viewer.id}", headers=bearer(settings, province_admin))
    assert hidden.status_code == 404


def test_only_a_viewer_may_be_national(session: Session, tree: Tree) -> None:
    with pytest.raises(sa.exc.IntegrityError), session.begin_nested():
        make_user(session, Role.PROVINCE_ADMIN, None, "not.national")


def test_the_command_line_creates_national_and_province_viewers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'viewer.db'}"
    migrated_engine(url).dispose()
    monkeypatch.setenv("CNSCD_DATABASE_URL", url)
    runner = CliRunner()
    assert runner.invoke(cli, ["seed", "--province-code", "62"]).exit_code == 0
    both = runner.invoke(
        cli, ["create-viewer", "x.viewer", "--national", "--unit-code", "62", "--password", "p"]
    )
    assert both.exit_code == 2
    national = runner.invoke(
        cli, ["create-viewer", "Bo.Viewer", "--national", "--password", "Strong-pass-2024"]
    )
    assert national.exit_code == 0, national.output
    assert "created viewer bo.viewer for the whole country" in national.output
    province = runner.invoke(
        cli, ["create-viewer", "tinh.viewer", "--unit-code", "62", "--password", "Strong-pass-2024"]
    )
    assert "created viewer tinh.viewer for Tỉnh Kon Tum" in province.output


def test_a_national_viewer_s_dashboards_count_the_whole_country(
    client: TestClient, session: Session, settings: Settings, tree: Tree
) -> None:
    viewer = make_user(session, Role.VIEWER, None, "bo.dashboards")
    make_team(session, tree.dak_pek, "Tổ Đắk Pék")
    session.commit()
    overview = client.get("/api/v1/stats/overview", headers=bearer(settings, viewer))
    assert overview.status_code == 200, overview.text
    body = overview.json()
    assert body["area"]["unit_id"] is None
    assert body["teams"]["total"] >= 1
