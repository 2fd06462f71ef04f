"""What every table shares: the naming convention, UTC timestamps, enum columns, and the
``Versioned`` mixin of objects edited through the API."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from cnscd_api.collation import collation_key

# Set before any table exists, so every constraint gets a predictable name in migrations.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on both databases (SQLite keeps no zone itself)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def enum_column(enum: type[StrEnum], **kwargs: Any) -> sa.Column[Any]:
    """A VARCHAR column holding the enum's values (no native PostgreSQL enum to migrate)."""
    return sa.Column(
        sa.Enum(
            enum,
            native_enum=False,
            create_constraint=False,
            length=max(len(member.value) for member in enum),
            values_callable=lambda members: [member.value for member in members],
            validate_strings=True,
        ),
        **kwargs,
    )


def collation_key_column(source: str) -> sa.Column[Any]:
    """A sort key of the column ``source`` (``core.text.collation_key``: Vietnamese
    alphabetical order as bytes), beside it. An insert that does not give it (ORM or Core)
    computes it from the value inserted; ``update_versioned`` sets it with every change of
    ``source`` (the model names the pair in ``__collation_keys__``)."""

    def from_source(context: Any) -> bytes:
        return collation_key(context.get_current_parameters()[source])

    # The empty server default let the migration add the column to filled tables without
    # copying them; every insert gives the key.
    return sa.Column(
        sa.LargeBinary(), nullable=False, default=from_source, server_default=sa.text("''")
    )


def timestamp_column(**kwargs: Any) -> sa.Column[Any]:
    return sa.Column(UTCDateTime(), nullable=False, **kwargs)


class Versioned(SQLModel):
    """``version``, ``created_at`` and ``updated_at`` of an object edited through the API.

    Every update is a conditional ``UPDATE … WHERE version = :seen`` that also bumps the
    version (``core.concurrency``): that is what ETags, ``If-Match`` and concurrent edits
    rest on. ``__audited__`` names the fields whose changes the audit log keeps.
    """

    __audited__: ClassVar[tuple[str, ...]] = ()
    # Sort keys kept beside their source: {key column: source column}.
    __collation_keys__: ClassVar[dict[str, str]] = {}

    version: int = Field(default=1, sa_column_kwargs={"nullable": False})
    created_at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, sa_column_kwargs={"nullable": False}
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, sa_column_kwargs={"nullable": False}
    )
