"""``cnscd worker``: delivering events to webhook endpoints, at least once.

Each round the worker
1. *dispatches*: for every enabled endpoint, reads the feed after the endpoint's cursor
   as the endpoint's owner (scope, permissions, event types), writes one pending delivery
   per event and moves the cursor, in one transaction. The feed (``core.feed``) never
   lists an event before one that commits later with a smaller number, so the cursor
   never passes an event that is yet to come;
2. *claims* the deliveries that are due, taking a lease on each (``leased_until``) in a
   short transaction; on PostgreSQL the rows are read ``FOR UPDATE SKIP LOCKED``, so
   several workers take different deliveries and none waits for another;
3. *sends* them outside any transaction (``httpx``, bounded timeouts, no redirects, the
   URL's addresses checked again), signed as Standard Webhooks says, and
4. *records* the answers in one transaction, where the lease is still its own: 2xx
   delivered; 410 failed and the endpoint disabled; anything else retried after the next
   step of ``webhook_retry_schedule`` (±20 % jitter) until the schedule ends, then failed.

A worker that dies mid-delivery leaves a lease that runs out: the delivery is then
claimed again and sent with the same ``webhook-id`` (the event's id). On SQLite run one
worker (the database has one writer anyway).
"""

from __future__ import annotations

import json
import logging
import random
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import httpx
from sqlalchemy import case, insert, or_, select, update
from sqlmodel import Session, col
from standardwebhooks.webhooks import Webhook

from cnscd_api.auth import service as auth_service
from cnscd_api.config import Settings
from cnscd_api.core import audit
from cnscd_api.core.concurrency import update_versioned
from cnscd_api.core.errors import Unprocessable
from cnscd_api.core.events import event_body, event_type, known_types
from cnscd_api.core.feed import UnknownPosition
from cnscd_api.core.permissions import PrincipalKind
from cnscd_api.core.scope import unscoped
from cnscd_api.db import Database
from cnscd_api.events import repository as event_repository
from cnscd_api.models import (
    AuditEvent,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    utcnow,
)
from cnscd_api.webhooks.urls import check_url

logger = logging.getLogger("cnscd.webhooks")
WORKER_NAME = "webhook worker"
GONE = 410
USER_AGENT = "cnscd-api-webhooks/1"


@dataclass(frozen=True)
class Job:
    """A claimed delivery: everything needed to send it without the database."""

    delivery_id: uuid.UUID
    lease_id: uuid.UUID
    endpoint_id: uuid.UUID
    url: str
    secrets: tuple[str, ...]
    event_id: uuid.UUID
    body: bytes


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


# --- 1. dispatch ----------------------------------------------------------------------------


def dispatch(database: Database, settings: Settings) -> int:
    """Write the deliveries of the events committed since each endpoint's cursor; how many."""
    written = 0
    with database.session(write=True) as session:
        endpoints = session.execute(
            select(WebhookEndpoint)
            .where(col(WebhookEndpoint.enabled))
            .order_by(col(WebhookEndpoint.id))
            .with_for_update(skip_locked=True)
        ).scalars()
        for endpoint in list(endpoints):
            written += _dispatch_endpoint(session, endpoint, settings.webhook_batch_size)
        session.commit()
    return written


@unscoped("the worker reads as each endpoint's owner, loaded here")
def _dispatch_endpoint(session: Session, endpoint: WebhookEndpoint, batch: int) -> int:
    kind = PrincipalKind.USER if endpoint.owner_user_id else PrincipalKind.CLIENT
    owner_id = endpoint.owner_user_id or endpoint.owner_client_id
    assert owner_id is not None
    owner = auth_service.account_principal(session, kind, owner_id)
    if owner is None:
        return 0  # deactivated or revoked: nothing is read in its name
    wanted = None if endpoint.event_types is None else known_types(endpoint.event_types)
    try:
        rows = event_repository.events_after(session, owner, endpoint.cursor, batch, wanted)
    except UnknownPosition:
        # The cursor's event is gone (a restored database): go on from the feed's end.
        _move_cursor(session, endpoint.id, event_repository.head(session))
        return 0
    if not rows:
        return 0
    now = utcnow()
    session.execute(
        insert(WebhookDelivery),
        [
            {
                "id": uuid.uuid4(),
                "endpoint_id": endpoint.id,
                "event_id": row.id,
                "event_sequence": row.sequence,
                "event_type": event_type(row.entity, row.action),
                "status": DeliveryStatus.PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for row in rows
        ],
    )
    _move_cursor(session, endpoint.id, rows[-1].sequence)
    return len(rows)


def _move_cursor(session: Session, endpoint_id: uuid.UUID, cursor: int) -> None:
    session.execute(
        update(WebhookEndpoint).where(col(WebhookEndpoint.id) == endpoint_id).values(cursor=cursor)
    )


# --- 2. claim -------------------------------------------------------------------------------


@unscoped("the worker delivers every endpoint's events; the owner's scope was applied at dispatch")
def claim(database: Database, settings: Settings) -> list[Job]:
    """Lease up to ``webhook_batch_size`` due deliveries of enabled endpoints."""
    now = utcnow()
    lease_until = now + timedelta(seconds=settings.webhook_lease_seconds)
    with database.session(write=True) as session:
        due = session.execute(
            select(col(WebhookDelivery.id))
            .join(WebhookEndpoint, col(WebhookEndpoint.id) == col(WebhookDelivery.endpoint_id))
            .where(
                col(WebhookDelivery.status) == DeliveryStatus.PENDING,
                col(WebhookDelivery.next_attempt_at) <= now,
                or_(
                    col(WebhookDelivery.leased_until).is_(None),
                    col(WebhookDelivery.leased_until) < now,
                ),
                col(WebhookEndpoint.enabled),
            )
            .order_by(col(WebhookDelivery.next_attempt_at))
            .limit(settings.webhook_batch_size)
            .with_for_update(of=WebhookDelivery, skip_locked=True)
        ).scalars()
        # One lease for the batch: the answers are recorded only while it is still ours.
        lease_id = uuid.uuid4()
        leases = dict.fromkeys(due, lease_id)
        if leases:
            session.execute(
                update(WebhookDelivery)
                .where(col(WebhookDelivery.id).in_(list(leases)))
                .values(leased_until=lease_until, lease_id=lease_id)
            )
        jobs = _jobs(session, leases, now) if leases else []
        session.commit()
    return jobs


@unscoped("the events of deliveries already dispatched within their owner's scope")
def _jobs(session: Session, leases: dict[uuid.UUID, uuid.UUID], now: datetime) -> list[Job]:
    rows = session.execute(
        select(
            col(WebhookDelivery.id).label("delivery_id"),
            col(WebhookEndpoint.id).label("endpoint_id"),
            col(WebhookEndpoint.url),
            col(WebhookEndpoint.secret),
            col(WebhookEndpoint.previous_secret),
            col(WebhookEndpoint.previous_secret_until),
            col(AuditEvent.id),
            col(AuditEvent.entity),
            col(AuditEvent.action),
            col(AuditEvent.entity_id),
            col(AuditEvent.unit_path),
            col(AuditEvent.occurred_at),
            col(AuditEvent.changes),
        )
        .join(WebhookEndpoint, col(WebhookEndpoint.id) == col(WebhookDelivery.endpoint_id))
        .join(AuditEvent, col(AuditEvent.id) == col(WebhookDelivery.event_id))
        .where(col(WebhookDelivery.id).in_(list(leases)))
        .order_by(col(WebhookDelivery.event_sequence))
    ).all()
    jobs = []
    for row in rows:
        secrets = [row.secret]
        if row.previous_secret and row.previous_secret_until and row.previous_secret_until > now:
            secrets.append(row.previous_secret)
        body = event_body(
            event_id=row.id,
            entity=row.entity,
            action=row.action,
            entity_id=row.entity_id,
            unit_path=row.unit_path,
            occurred_at=row.occurred_at,
            changes=row.changes,
        )
        jobs.append(
            Job(
                delivery_id=row.delivery_id,
                lease_id=leases[row.delivery_id],
                endpoint_id=row.endpoint_id,
                url=row.url,
                secrets=tuple(secrets),
                event_id=row.id,
                body=json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(),
            )
        )
    return jobs


# --- 3. send --------------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def _signer(secret: str) -> Webhook:
    return Webhook(secret)


def signed_headers(job: Job, moment: datetime) -> dict[str, str]:
    """The Standard Webhooks headers: one signature per secret that signs."""
    message_id = str(job.event_id)
    signatures = [
        _signer(secret).sign(msg_id=message_id, timestamp=moment, data=job.body)
        for secret in job.secrets
    ]
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": " ".join(signatures),
    }


def refusal(url: str, settings: Settings) -> Outcome | None:
    """The outcome of an attempt to a URL that now leads somewhere forbidden, or None."""
    try:
        check_url(url, settings)
    except Unprocessable as refused:
        return Outcome(
            None, f"refused: {refused.code} {' '.join(map(str, refused.params.values()))}"
        )
    return None


def send(job: Job, settings: Settings, client: httpx.Client) -> Outcome:
    """One attempt (its URL checked just before, ``refusal``); never raises."""
    try:
        with client.stream(
            "POST", job.url, content=job.body, headers=signed_headers(job, utcnow())
        ) as response:
            return Outcome(response.status_code)
    except httpx.TimeoutException:
        return Outcome(None, "timeout")
    except httpx.HTTPError as exc:
        return Outcome(None, f"{type(exc).__name__}: {exc}"[:500])


# --- 4. record ------------------------------------------------------------------------------


def retry_delay(settings: Settings, attempts: int) -> timedelta | None:
    """How long after the ``attempts``-th failed attempt to try again (None: give up)."""
    schedule = settings.webhook_retry_schedule
    if attempts > len(schedule):
        return None
    return timedelta(seconds=schedule[attempts - 1] * random.uniform(0.8, 1.2))  # noqa: S311


@unscoped("the worker records the answers to deliveries it holds the lease of")
def record(database: Database, settings: Settings, answered: list[tuple[Job, Outcome]]) -> None:
    """Write the answers of one round in one transaction: the deliveries still leased to
    this worker (one redelivered meanwhile, or whose lease ran out, is another's now)."""
    if not answered:
        return
    now = utcnow()
    with database.session(write=True) as session:
        delivered = [job for job, outcome in answered if outcome.delivered]
        if delivered:
            session.execute(
                update(WebhookDelivery)
                .where(
                    col(WebhookDelivery.id).in_([job.delivery_id for job in delivered]),
                    col(WebhookDelivery.lease_id) == delivered[0].lease_id,
                )
                .values(
                    status=DeliveryStatus.DELIVERED,
                    attempts=col(WebhookDelivery.attempts) + 1,
                    last_attempt_at=now,
                    delivered_at=now,
                    last_status_code=_status_of(answered, delivered),
                    last_error=None,
                    leased_until=None,
                    lease_id=None,
                )
            )
        for job, outcome in answered:
            if not outcome.delivered:
                _record_failure(session, settings, job, outcome, now)
        session.commit()


def _status_of(answered: list[tuple[Job, Outcome]], delivered: list[Job]) -> Any:
    """The status code each delivered job got (most often all 200: one value)."""
    codes = {job.delivery_id: outcome.status_code for job, outcome in answered}
    if len({codes[job.delivery_id] for job in delivered}) == 1:
        return codes[delivered[0].delivery_id]
    return case(
        *((col(WebhookDelivery.id) == job.delivery_id, codes[job.delivery_id]) for job in delivered)
    )


def _record_failure(
    session: Session, settings: Settings, job: Job, outcome: Outcome, now: datetime
) -> None:
    delivery = session.execute(
        select(WebhookDelivery)
        .where(
            col(WebhookDelivery.id) == job.delivery_id,
            col(WebhookDelivery.lease_id) == job.lease_id,
        )
        .with_for_update()
    ).scalar_one_or_none()
    if delivery is None:
        return  # sent again meanwhile (redelivered, or the lease ran out): theirs now
    attempts = delivery.attempts + 1
    values: dict[str, Any] = {
        "attempts": attempts,
        "last_attempt_at": now,
        "last_status_code": outcome.status_code,
        "last_error": outcome.error,
        "leased_until": None,
        "lease_id": None,
    }
    if outcome.status_code == GONE:
        values["status"] = DeliveryStatus.FAILED
        _disable(session, job.endpoint_id)
    elif (delay := retry_delay(settings, attempts)) is None:
        values["status"] = DeliveryStatus.FAILED
    else:
        values["next_attempt_at"] = now + delay
    session.execute(
        update(WebhookDelivery).where(col(WebhookDelivery.id) == delivery.id).values(**values)
    )


def _disable(session: Session, endpoint_id: uuid.UUID) -> None:
    """The receiver said 410 Gone: no more deliveries until its owner enables it."""
    endpoint = session.execute(
        select(WebhookEndpoint).where(col(WebhookEndpoint.id) == endpoint_id).with_for_update()
    ).scalar_one_or_none()
    if endpoint is None or not endpoint.enabled:
        return
    before = audit.snapshot(endpoint)
    update_versioned(session, endpoint, {"enabled": False, "disabled_reason": "gone"})
    audit.updated(session, None, endpoint, before, endpoint.unit_path, actor_name=WORKER_NAME)


# --- the loop -------------------------------------------------------------------------------


def work_once(
    database: Database, settings: Settings, client: httpx.Client, pool: ThreadPoolExecutor
) -> int:
    """One round: dispatch, claim, send and record; how much was done."""
    dispatched = dispatch(database, settings)
    jobs = claim(database, settings)

    # Each URL checked once for the round, just before its attempts.
    refused = {url: refusal(url, settings) for url in {job.url for job in jobs}}

    def attempt(job: Job) -> Outcome:
        return refused[job.url] or send(job, settings, client)

    outcomes = list(pool.map(attempt, jobs))
    record(database, settings, list(zip(jobs, outcomes, strict=True)))
    return dispatched + len(jobs)


def http_client(settings: Settings) -> httpx.Client:
    return httpx.Client(
        timeout=httpx.Timeout(settings.webhook_timeout_seconds),
        follow_redirects=False,
        trust_env=False,
    )


def run(
    database: Database,
    settings: Settings,
    stop: threading.Event,
    *,
    once: bool = False,
) -> None:
    """Work until ``stop`` is set (``once``: until nothing is left to do now)."""
    with (
        http_client(settings) as client,
        ThreadPoolExecutor(settings.webhook_concurrency) as pool,
    ):
        while not stop.is_set():
            try:
                busy = work_once(database, settings, client, pool)
            except Exception:
                # The database restarting, a lost connection: try again after a pause.
                logger.exception("webhook round failed")
                busy = 0
            if once and not busy:
                return
            if not busy:
                stop.wait(settings.webhook_poll_seconds)
