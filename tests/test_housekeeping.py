"""``cnscd housekeeping`` deletes exactly the rows that can no longer matter, in batches;
requests never delete anything of the kind themselves."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from cnscd_api import housekeeping
from cnscd_api.cli import app as cli
from cnscd_api.config import Settings
from cnscd_api.db import Database
from cnscd_api.models import (
    IdempotencyRecord,
    IdempotencyState,
    LoginAddressBudget,
    LoginThrottle,
    RefreshToken,
    Role,
    User,
    utcnow,
)
from tests.databases import migrated_engine
from tests.factories import Tree, make_team, make_user
from tests.test_idempotency import ACTIVITIES, activity_body


def _token(user: User, expires_in: timedelta) -> RefreshToken:
    return RefreshToken(
        user_id=user.id,
        family_id=uuid.uuid4(),
        token_hash=uuid.uuid4().hex + uuid.uuid4().hex,
        expires_at=utcnow() + expires_in,
    )


def _record(caller: str, expires_in: timedelta) -> IdempotencyRecord:
    now = utcnow()
    return IdempotencyRecord(
        caller=caller,
        key=uuid.uuid4().hex,
        request_hash="0" * 64,
        state=IdempotencyState.DONE,
        locked_until=now,
        expires_at=now + expires_in,
        status_code=201,
    )


def test_housekeeping_deletes_the_expired_rows_and_keeps_the_live_ones(
    session: Session, database: Database, settings: Settings, tree: Tree
) -> None:
    now = utcnow()
    window = timedelta(seconds=settings.login_window_seconds)
    user = make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek)
    hour, day = timedelta(hours=1), timedelta(days=1)
    expired_tokens = [_token(user, -day) for _ in range(5)]
    live_tokens = [_token(user, day), _token(user, timedelta(seconds=5))]
    throttles = {
        # window, lock and credit all over: expired
        "user:old": LoginThrottle(key="user:old", failures=3, window_started_at=now - 2 * window),
        "user:old-lock": LoginThrottle(
            key="user:old-lock",
            failures=5,
            window_started_at=now - 3 * window,
            locked_until=now - hour,
            credited_at=now - 2 * window,
        ),
        # still counting, still locked, or credited in the current window: live
        "user:counting": LoginThrottle(key="user:counting", failures=1, window_started_at=now),
        "user:locked": LoginThrottle(
            key="user:locked",
            failures=6,
            window_started_at=now - 2 * window,
            locked_until=now + hour,
        ),
        "user:credited": LoginThrottle(
            key="user:credited",
            failures=0,
            window_started_at=now - 2 * window,
            credited_at=now - window / 2,
        ),
    }
    budgets = [
        LoginAddressBudget(address="198.51.100.1", debt_until=(now - hour).timestamp()),
        LoginAddressBudget(address="198.51.100.2", debt_until=(now - day).timestamp()),
        LoginAddressBudget(address="198.51.100.3", debt_until=(now + hour).timestamp()),
    ]
    records = [_record("user:a", -hour), _record("user:b", -day), _record("user:a", hour)]
    session.add_all([*expired_tokens, *live_tokens, *throttles.values(), *budgets, *records])
    session.commit()

    deleted = housekeeping.run(database, settings, batch=2)

    assert deleted == {
        "refresh_token": 5,
        "login_throttle": 2,
        "login_address_budget": 2,
        "idempotency_record": 2,
        "webhook_delivery": 0,
        "device_referral": 0,
    }
    session.expire_all()
    assert set(session.exec(select(RefreshToken.id)).all()) == {t.id for t in live_tokens}
    assert set(session.exec(select(LoginThrottle.key)).all()) == {
        "user:counting",
        "user:locked",
        "user:credited",
    }
    assert session.exec(select(LoginAddressBudget.address)).all() == ["198.51.100.3"]
    assert session.exec(select(IdempotencyRecord.key)).all() == [records[2].key]
    assert housekeeping.run(database, settings) == dict.fromkeys(deleted, 0)


def test_a_request_never_purges_expired_keys(
    admin_client: TestClient,
    session: Session,
    tree: Tree,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Deleting is the command's job: a keyed POST (even one whose dice would once have
    said "purge") leaves other callers' expired keys where they are."""
    expired = _record("client:someone-else", -timedelta(days=2))
    team = make_team(session, tree.dak_pek_village)
    session.add(expired)
    session.commit()
    monkeypatch.setattr(random, "random", lambda: 0.0)
    for _ in range(3):
        response = admin_client.post(
            ACTIVITIES, json=activity_body(team), headers={"Idempotency-Key": str(uuid.uuid4())}
        )
        assert response.status_code == 201, response.text
    session.expire_all()
    assert session.exec(
        select(IdempotencyRecord.key).where(col(IdempotencyRecord.caller) == expired.caller)
    ).all() == [expired.key]


def test_the_command_reports_what_it_deleted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'housekeeping.db'}"
    engine = migrated_engine(url)
    with Database(engine).transaction() as session:
        session.add_all(
            [_record("user:a", -timedelta(days=1)), _record("user:a", timedelta(hours=1))]
        )
    engine.dispose()
    monkeypatch.setenv("CNSCD_DATABASE_URL", url)
    result = CliRunner().invoke(cli, ["housekeeping", "--batch-size", "1"])
    assert result.exit_code == 0, result.output
    assert "idempotency_record: 1 expired rows deleted" in result.output
    assert "refresh_token: 0 expired rows deleted" in result.output
    assert CliRunner().invoke(cli, ["housekeeping", "--batch-size", "0"]).exit_code == 2
