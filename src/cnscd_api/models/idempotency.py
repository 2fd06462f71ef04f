"""Idempotency keys: a POST's answer kept so that a retry gets it again, not a second effect.

One row per (caller, key). It is claimed in a transaction of its own before the request
runs (so that concurrent duplicates see it), and completed — with the answer — in the
request's own transaction, together with the effect: a crash between the two leaves
neither the effect nor a completed key.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from cnscd_api.models.base import enum_column, timestamp_column


class IdempotencyState(StrEnum):
    IN_PROGRESS = "in_progress"
    DONE = "done"


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_record"

    caller: str = Field(primary_key=True, max_length=200, description="user:<id>, client:<id> …")
    key: str = Field(primary_key=True, max_length=200)
    request_hash: str = Field(max_length=64)
    state: IdempotencyState = Field(sa_column=enum_column(IdempotencyState, nullable=False))
    # While in progress: until when the claim holds (a crashed holder's claim expires).
    locked_until: datetime = Field(sa_column=timestamp_column())
    expires_at: datetime = Field(sa_column=timestamp_column(index=True))
    status_code: int | None = None
    headers: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(sa.JSON()))
    # The answer's body, encrypted (it may hold personal data or a token).
    body: bytes | None = Field(default=None, sa_column=sa.Column(sa.LargeBinary()))
