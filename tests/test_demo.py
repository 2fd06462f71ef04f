"""The Kon Tum demo: its sizes, its rules, and that it is the same every time."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, func, select
from typer.testing import CliRunner

from cnscd_api.cli import app as cli
from cnscd_api.core.phone import normalise_mobile
from cnscd_api.demo_campaign import seed_demo_activities, seed_demo_campaign
from cnscd_api.demo_data import seed_demo_data
from cnscd_api.demo_partners import seed_demo_partners
from cnscd_api.models import (
    Activity,
    DeviceNeed,
    Member,
    SupportRequest,
    Team,
    TeamRole,
    Unit,
    UnitLevel,
)


def snapshot(session: Session) -> list[tuple[str, str | None, str]]:
    rows = session.exec(
        select(Member.full_name, Member.phone, Team.name)
        .join(Team, col(Team.id) == col(Member.team_id))
        .where(col(Member.is_demo))
        .order_by(col(Team.name), col(Member.phone))
    ).all()
    return [(name, phone, team) for name, phone, team in rows]


def test_demo_has_the_sizes_of_kon_tum(session: Session) -> None:
    result = seed_demo_data(session)
    assert (result.villages, result.teams, result.members) == (869, 566, 2519)
    villages = session.exec(
        select(func.count()).where(col(Unit.level) == UnitLevel.VILLAGE, col(Unit.is_demo))
    ).one()
    assert villages == 869
    leaders = Counter(
        session.exec(select(Member.team_id).where(col(Member.role) == TeamRole.LEADER)).all()
    )
    assert len(leaders) == 566
    assert set(leaders.values()) == {1}
    affiliations = Counter(
        session.exec(select(Member.affiliation).where(col(Member.is_demo))).all()
    )
    assert affiliations.most_common(1)[0][0] == "youth_union"
    phones = session.exec(select(Member.phone).where(col(Member.is_demo))).all()
    assert all(phone is not None and normalise_mobile(phone) == phone for phone in phones)
    assert len(set(phones)) == len(phones)


def test_demo_is_deterministic_and_idempotent(session: Session) -> None:
    first = session.begin_nested()
    seed_demo_data(session)
    once = snapshot(session)
    first.rollback()
    seed_demo_data(session)
    assert snapshot(session) == once
    again = seed_demo_data(session)
    assert again.skipped
    assert len(snapshot(session)) == 2519


def test_demo_is_refused_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CNSCD_ENVIRONMENT", "production")
    monkeypatch.setenv("CNSCD_SECRET_KEY", "p" * 20 + "0123456789abcdefXYZ")
    result = CliRunner().invoke(cli, ["demo"])
    assert result.exit_code == 2
    assert "refused" in result.output


def test_demo_users_cannot_log_in_in_production(
    session: Session, database: object, engine: object
) -> None:
    from fastapi.testclient import TestClient
    from pydantic import SecretStr

    from cnscd_api.config import Environment, Settings
    from cnscd_api.demo import DEMO_PASSWORD, seed_demo_users
    from cnscd_api.main import create_app

    seed_demo_users(session)
    session.commit()
    form = {"grant_type": "password", "username": "xa.dakpek", "password": DEMO_PASSWORD}
    for environment, expected in ((Environment.DEVELOPMENT, 200), (Environment.PRODUCTION, 401)):
        settings = Settings(
            environment=environment,
            database_url="sqlite://",
            secret_key=SecretStr("s" * 20 + "0123456789abcdefXYZ"),
            _env_file=None,
        )
        with TestClient(create_app(settings, database)) as client:  # type: ignore[arg-type]
            assert client.post("/api/v1/auth/token", data=form).status_code == expected


def readme_figure(pattern: str) -> int:
    from tests.databases import ROOT

    found = re.search(pattern, (ROOT / "README.md").read_text(encoding="utf-8"))
    assert found is not None, pattern
    return int(found.group(1).replace(",", ""))


def demo_fingerprint(session: Session) -> str:
    """What the demo's reports say, without their random ids: per report its team's unit
    and name, day, status, contents, values and how many took part (a hash of it)."""
    import hashlib

    from cnscd_api.models import (
        Activity,
        ActivityCategory,
        ActivityMember,
        ActivityValue,
        ContentCategory,
        Indicator,
    )

    def by_activity(rows: Any) -> dict[Any, list[Any]]:
        found: dict[Any, list[Any]] = {}
        for activity_id, value in rows:
            found.setdefault(activity_id, []).append(value)
        return found

    categories = by_activity(
        session.exec(
            select(ActivityCategory.activity_id, ContentCategory.code).join(
                ContentCategory, col(ContentCategory.id) == col(ActivityCategory.category_id)
            )
        ).all()
    )
    values = by_activity(
        (activity_id, f"{code}:{value}")
        for activity_id, code, value in session.exec(
            select(ActivityValue.activity_id, Indicator.code, ActivityValue.value).join(
                Indicator, col(Indicator.id) == col(ActivityValue.indicator_id)
            )
        ).all()
    )
    members = Counter(session.exec(select(ActivityMember.activity_id)).all())
    reports = sorted(
        (
            "/".join(path_names),
            name,
            day.isoformat(),
            str(status),
            ",".join(sorted(categories.get(activity_id, []))),
            ",".join(sorted(values.get(activity_id, []))),
            members[activity_id],
        )
        for activity_id, path_names, name, day, status in session.execute(
            sa.select(
                col(Activity.id),
                col(Unit.path_names),
                col(Team.name),
                col(Activity.activity_date),
                col(Activity.status),
            )
            .join(Team, col(Team.id) == col(Activity.team_id))
            .join(Unit, col(Unit.id) == col(Team.unit_id))
        ).all()
    )
    return hashlib.sha256(repr(reports).encode()).hexdigest()


DEMO_FINGERPRINT = "bf3e9ad72fe43226cc7de28baa8194413154587835df6b5d6c30938d1ea52adf"


def test_the_2024_peak_has_targets_and_most_teams_reporting_on_most_days(
    session: Session,
) -> None:
    from datetime import date

    from cnscd_api.demo_campaign import seed_demo_activities, seed_demo_campaign
    from cnscd_api.models import Activity, ActivityStatus, CampaignTarget

    seed_demo_data(session)
    assert seed_demo_campaign(session)
    reports = seed_demo_activities(session)
    # 566 teams over ten days, about four in five reporting each day; the same reports on
    # SQLite and PostgreSQL (this test runs on both), as many as the README says.
    assert 566 * 10 * 0.75 < reports < 566 * 10 * 0.85
    assert reports == readme_figure(r"The demo has ([\d,]+) reports of the October 2024 peak")
    assert demo_fingerprint(session) == DEMO_FINGERPRINT, demo_fingerprint(session)
    days = session.exec(
        select(func.min(Activity.activity_date), func.max(Activity.activity_date))
    ).one()
    assert days == (date(2024, 10, 1), date(2024, 10, 10))
    statuses = Counter(session.exec(select(Activity.status)).all())
    assert statuses[ActivityStatus.APPROVED] > 0.8 * reports
    assert 0 < statuses[ActivityStatus.REJECTED] < statuses[ActivityStatus.SUBMITTED]
    # Targets reach every district and commune; running again adds nothing.
    targeted = session.exec(select(func.count(func.distinct(CampaignTarget.unit_id)))).one()
    assert targeted == 10 + 102
    assert not seed_demo_campaign(session)
    assert seed_demo_activities(session) == 0
    # The allowances of October 2024: the same figures on both databases, as the README
    # says; Đắk Glei's statement is left for the walkthrough, and a second run adds nothing.
    from cnscd_api.demo_allowances import seed_demo_allowances
    from cnscd_api.models import AllowanceStatement

    allowances = seed_demo_allowances(session)
    assert allowances.statements == readme_figure(r"\(([\d,]+) statements, [\d,]+ VND in all\)")
    assert allowances.total_amount == readme_figure(r"statements, ([\d,]+) VND in all\)")
    districts = session.exec(
        select(Unit.code).join(AllowanceStatement, col(AllowanceStatement.unit_id) == Unit.id)
    ).all()
    assert len(districts) == allowances.statements
    assert "610" not in districts
    assert not seed_demo_allowances(session).created


def test_reset_restores_a_deleted_demo_user_with_the_demo_password(
    session: Session, client: object, settings: object
) -> None:
    """An officer deleted a demo user and changed another's password: the reset gives
    both back, and the demo password logs in again."""
    from fastapi.testclient import TestClient

    from cnscd_api.config import Settings
    from cnscd_api.demo import DEMO_PASSWORD, reset_demo_users, seed_demo_users
    from cnscd_api.models import User
    from tests.factories import bearer

    assert isinstance(client, TestClient)
    assert isinstance(settings, Settings)
    seed_demo_users(session)
    session.commit()
    admin = session.exec(select(User).where(col(User.username) == "tinh.kontum")).one()
    officer = session.exec(select(User).where(col(User.username) == "xa.dakpek")).one()
    client.headers.update(bearer(settings, admin))
    assert client.delete(f"/api/v1/users/{officer.id}").status_code == 204
    assert (
        client.patch(f"/api/v1/users/{officer.id}", json={"full_name": "Đã xoá"}).status_code == 404
    )
    form = {"grant_type": "password", "username": "xa.dakpek", "password": DEMO_PASSWORD}
    assert client.post("/api/v1/auth/token", data=form).status_code == 401

    assert sorted(reset_demo_users(session)) == ["huyen.dakglei", "tinh.kontum", "xa.dakpek"]
    session.commit()
    assert seed_demo_users(session) == []
    assert client.post("/api/v1/auth/token", data=form).status_code == 200


def test_reset_lets_a_locked_out_demo_user_log_in_again(
    session: Session, client: object, settings: object
) -> None:
    """Someone typed a demo user's password wrong until the username locked (429): the
    reset ends the lock, and the demo password logs in at once."""
    from fastapi.testclient import TestClient

    from cnscd_api.config import Settings
    from cnscd_api.demo import DEMO_PASSWORD, reset_demo_users, seed_demo_users

    assert isinstance(client, TestClient)
    assert isinstance(settings, Settings)
    seed_demo_users(session)
    session.commit()
    wrong = {"grant_type": "password", "username": "huyen.dakglei", "password": "Wrong-guess-1"}
    for _ in range(settings.login_max_failures):
        assert client.post("/api/v1/auth/token", data=wrong).status_code == 401
    form = {**wrong, "password": DEMO_PASSWORD}
    locked = client.post("/api/v1/auth/token", data=form)
    assert locked.status_code == 429
    assert locked.json()["code"] == "too_many_failed_logins"

    reset_demo_users(session)
    session.commit()
    assert client.post("/api/v1/auth/token", data=form).status_code == 200


def test_reset_after_the_reform_puts_the_demo_users_on_today_s_units(
    session: Session, client: object
) -> None:
    """After ``cnscd units reform-2025`` the 2024 units are closed: the reset gives the
    demo users back their access on the units those became, with the role the level
    allows, instead of failing on a closed unit."""
    from fastapi.testclient import TestClient

    from cnscd_api.demo import DEMO_PASSWORD, demo_logins, reset_demo_users, seed_demo_users
    from cnscd_api.flows.reform2025 import apply_reform

    assert isinstance(client, TestClient)
    seed_demo_users(session)
    apply_reform(session, "62")
    session.commit()
    # The reform deactivated the officers whose reach would grow (pending review).
    assert [login[0] for login in demo_logins(session)] == ["tinh.kontum"]

    assert sorted(reset_demo_users(session)) == ["huyen.dakglei", "tinh.kontum", "xa.dakpek"]
    session.commit()
    assert demo_logins(session) == [
        ("tinh.kontum", "province_admin", "Tỉnh Quảng Ngãi"),
        ("huyen.dakglei", "viewer", "Tỉnh Quảng Ngãi"),
        ("xa.dakpek", "commune_officer", "Xã Đăk Pék"),
    ]
    form = {"grant_type": "password", "username": "xa.dakpek", "password": DEMO_PASSWORD}
    token = client.post("/api/v1/auth/token", data=form)
    assert token.status_code == 200, token.text
    me = client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"}
    )
    assert me.status_code == 200, me.text
    assert me.json()["role"] == "commune_officer"


def partner_snapshot(session: Session) -> list[tuple[str, ...]]:
    requests = session.execute(
        sa.select(
            col(SupportRequest.organisation),
            col(SupportRequest.status),
            col(SupportRequest.expected_people),
            col(SupportRequest.created_at),
            col(Unit.name),
        )
        .join(Unit, col(Unit.id) == col(SupportRequest.unit_id))
        .where(col(SupportRequest.is_demo))
    ).all()
    needs = session.execute(
        sa.select(
            col(DeviceNeed.households_without_smartphone), col(DeviceNeed.poor), col(Unit.name)
        )
        .join(Unit, col(Unit.id) == col(DeviceNeed.unit_id))
        .where(col(DeviceNeed.is_demo))
    ).all()
    return sorted(tuple(str(value) for value in row) for row in [*requests, *needs])


def test_demo_partners_are_plausible_deterministic_and_idempotent(session: Session) -> None:
    seed_demo_data(session)
    seed_demo_campaign(session)
    seed_demo_activities(session)
    first = session.begin_nested()
    made = seed_demo_partners(session)
    once = partner_snapshot(session)
    first.rollback()
    again = seed_demo_partners(session)
    assert partner_snapshot(session) == once
    assert (again.requests, again.needs) == (made.requests, made.needs)
    assert seed_demo_partners(session).skipped
    assert 20 <= made.requests <= 60
    assert made.needs > 50
    states = Counter(
        session.exec(select(SupportRequest.status).where(col(SupportRequest.is_demo))).all()
    )
    assert set(states) == {"requested", "accepted", "done", "declined"}
    assert states["done"] > states["declined"]
    # The reports of the requests done name them, made with the partner's staff.
    served = session.exec(
        select(Activity).where(col(Activity.support_request_id).is_not(None))
    ).all()
    assert 0 < len(served) <= states["done"]
    assert all(a.organisation and a.partner_staff for a in served)
    needs = session.exec(select(DeviceNeed).where(col(DeviceNeed.is_demo))).all()
    assert all(0 < n.poor + n.near_poor <= n.households_without_smartphone for n in needs)
