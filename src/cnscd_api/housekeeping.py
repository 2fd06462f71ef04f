"""``cnscd housekeeping``: deleting the rows of shared state that can no longer matter.

Six tables grow with use and are never trimmed by a request: a refresh token per
refresh, a throttle row per username ever tried (invented ones included), a budget row
per client address that failed a login, an idempotency key per keyed ``POST``, a
delivery per event and webhook endpoint, and the households handed to an operator
(personal data kept for a limited time). Each has a rule that says when a row is as good
as absent (the code that reads it treats it so), and an index that finds those rows.
They are deleted in batches, each batch in a transaction of its own, so a large backlog
never holds a long lock or a long transaction while the API serves. Retention per
table: ``docs/operations.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel

from cnscd_api.config import Settings
from cnscd_api.core import clock
from cnscd_api.db import Database
from cnscd_api.models import utcnow

DEFAULT_BATCH = 1000


@dataclass(frozen=True)
class Rule:
    table: str
    # The rows that no longer matter, given the settings and the time now.
    expired: Callable[[Any, Settings, datetime], Any]


def _throttle_expired(table: Any, settings: Settings, now: datetime) -> Any:
    """Its failure window, its lock and its once-per-window credit all lie in the past:
    the row counts for nothing a fresh one would not."""
    window_start = now - timedelta(seconds=settings.login_window_seconds)
    return sa.and_(
        table.c.window_started_at < window_start,
        sa.or_(table.c.locked_until.is_(None), table.c.locked_until < now),
        sa.or_(table.c.credited_at.is_(None), table.c.credited_at < window_start),
    )


RULES = (
    # A refresh token past its expiry refreshes nothing (nor does its reuse revoke anything).
    Rule("refresh_token", lambda table, _, now: table.c.expires_at < now),
    Rule("login_throttle", _throttle_expired),
    # An address whose failures have all drained owes nothing: the same as no row.
    Rule("login_address_budget", lambda table, _, now: table.c.debt_until < now.timestamp()),
    # A key past its retention is replaced by the next request that uses it.
    Rule("idempotency_record", lambda table, _, now: table.c.expires_at < now),
    # A finished delivery (delivered or given up) older than the retention: the event
    # stays in the feed, and a pending one is never deleted.
    Rule(
        "webhook_delivery",
        lambda table, settings, now: sa.and_(
            table.c.status != "pending",
            table.c.created_at < now - timedelta(days=settings.webhook_retention_days),
        ),
    ),
    # A household handed to an operator is personal data kept for a limited time (Law
    # 91/2025): past its ``retain_until`` the referral is deleted, whatever its state.
    Rule(
        "device_referral",
        lambda table, _, now: table.c.retain_until < now.astimezone(clock.VIETNAM).date(),
    ),
)


def _delete_batch(database: Database, table: Any, where: Any, batch: int) -> int:
    keys = list(table.primary_key.columns)
    chosen = sa.select(*keys).where(where).limit(batch)
    target = keys[0].in_(chosen) if len(keys) == 1 else sa.tuple_(*keys).in_(chosen)
    with database.session(write=True) as session:
        deleted: int = session.connection().execute(sa.delete(table).where(target)).rowcount
        session.commit()
    return max(deleted, 0)


def run(
    database: Database,
    settings: Settings,
    *,
    batch: int = DEFAULT_BATCH,
    now: datetime | None = None,
) -> dict[str, int]:
    """Delete every expired row of each table, ``batch`` rows per transaction; how many
    rows each table lost."""
    now = now or utcnow()
    deleted: dict[str, int] = {}
    for rule in RULES:
        table = SQLModel.metadata.tables[rule.table]
        where = rule.expired(table, settings, now)
        total = 0
        while True:
            done = _delete_batch(database, table, where, batch)
            total += done
            if done < batch:
                break
        deleted[rule.table] = total
    return deleted
