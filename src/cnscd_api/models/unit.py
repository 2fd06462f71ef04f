"""Administrative units (province → district → commune → village) and their lineage.

Units carry a surrogate UUID and the official GSO code as an attribute, because codes
are reused after reorganisations. ``path`` is the materialised path of ids from the
province down to the unit itself (``/<hex>/<hex>/``): a subtree is ``path LIKE prefix%``.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from cnscd_api.models.base import (
    Versioned,
    collation_key_column,
    enum_column,
    timestamp_column,
    utcnow,
)


class UnitLevel(StrEnum):
    PROVINCE = "province"
    DISTRICT = "district"
    COMMUNE = "commune"
    VILLAGE = "village"


class DivisionType(StrEnum):
    """The official kind of unit, read from the prefix of its official name."""

    TINH = "tinh"  # Tỉnh
    THANH_PHO = "thanh_pho"  # Thành phố (centrally governed city or provincial city)
    QUAN = "quan"  # Quận
    HUYEN = "huyen"  # Huyện
    THI_XA = "thi_xa"  # Thị xã
    PHUONG = "phuong"  # Phường
    XA = "xa"  # Xã
    THI_TRAN = "thi_tran"  # Thị trấn
    THON = "thon"  # Thôn
    LANG = "lang"  # Làng
    TO_DAN_PHO = "to_dan_pho"  # Tổ dân phố
    BUON = "buon"  # Buôn
    BAN = "ban"  # Bản
    AP = "ap"  # Ấp
    KHU_PHO = "khu_pho"  # Khu phố
    DAC_KHU = "dac_khu"  # Đặc khu: an island commune-level unit since 1 July 2025


class LineageKind(StrEnum):
    MERGED_INTO = "merged_into"
    SPLIT_FROM = "split_from"
    MOVED = "moved"
    RENAMED = "renamed"


class Unit(Versioned, table=True):
    __tablename__ = "unit"
    __audited__ = ("name", "code", "division_type", "households", "valid_from", "valid_to")
    __collation_keys__: ClassVar[dict[str, str]] = {"name_key": "name"}
    __table_args__ = (
        sa.Index("ix_unit_path", "path", unique=True, postgresql_ops={"path": "text_pattern_ops"}),
        # Closed units by where their reports count today (a subtree's rebuild, lists).
        sa.Index(
            "ix_unit_rollup_path",
            "rollup_path",
            postgresql_ops={"rollup_path": "text_pattern_ops"},
            postgresql_where=sa.text("rollup_path IS NOT NULL"),
            sqlite_where=sa.text("rollup_path IS NOT NULL"),
        ),
        # An official code identifies one unit per level among the units valid today.
        sa.Index(
            "uq_unit_level_code_current",
            "level",
            "code",
            unique=True,
            sqlite_where=sa.text("valid_to IS NULL"),
            postgresql_where=sa.text("valid_to IS NULL"),
        ),
        # Whether a subtree has a date still ahead (the overview's coverage, ``stats``).
        sa.Index("ix_unit_valid_from", "valid_from"),
        sa.Index("ix_unit_valid_to", "valid_to"),
        sa.CheckConstraint("households IS NULL OR households >= 0", name="households_not_negative"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    code: str | None = Field(default=None, max_length=16, index=True)
    name: str = Field(max_length=200)
    search_name: str = Field(max_length=200)
    name_key: bytes = Field(sa_column=collation_key_column("name"))
    level: UnitLevel = Field(sa_column=enum_column(UnitLevel, nullable=False, index=True))
    division_type: DivisionType = Field(sa_column=enum_column(DivisionType, nullable=False))
    parent_id: uuid.UUID | None = Field(
        default=None, foreign_key="unit.id", index=True, ondelete="RESTRICT"
    )
    path: str = Field(max_length=200)
    # Of a closed unit: the path of the unit alive today that its default successors lead
    # to (NULL for units alive today, and for a closed unit without successor). Dashboards
    # of today's map count a report made in a closed unit there (``stats/placement.py``).
    rollup_path: str | None = Field(default=None, max_length=200)
    # Names from the province down to the unit itself, kept with every write of the tree
    # so that lists show where a team is without reading its ancestors.
    path_names: list[str] = Field(sa_column=sa.Column(sa.JSON(), nullable=False))
    valid_from: date | None = None
    valid_to: date | None = None
    households: int | None = None
    is_demo: bool = False


class UnitReorganisation(SQLModel, table=True):
    """One dated change of the map, with its legal act: the 2025 reform of a province,
    or a province admin's list of operations. Lineage rows and moves point at it."""

    __tablename__ = "unit_reorganisation"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    effective_date: date
    legal_act: str = Field(max_length=300)
    note: str | None = Field(default=None, max_length=1000)
    # "reform-2025:62" for the command, "api" for the endpoint.
    source: str = Field(max_length=64)
    actor_name: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


class UnitLineage(SQLModel, table=True):
    """One step in a unit's history, from the closed unit (``predecessor``) to a unit valid
    from ``effective_date`` (``successor``): merged into, split from, moved or renamed.

    Rows always point old → new, so a roll-up follows them forward from a report's unit to
    today's. When a unit goes to several successors (a divided commune), ``is_default``
    marks the one that received its teams and villages."""

    __tablename__ = "unit_lineage"
    __table_args__ = (
        sa.UniqueConstraint("predecessor_id", "successor_id"),
        sa.CheckConstraint("predecessor_id <> successor_id", name="not_self"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: LineageKind = Field(sa_column=enum_column(LineageKind, nullable=False))
    predecessor_id: uuid.UUID = Field(foreign_key="unit.id", index=True, ondelete="RESTRICT")
    successor_id: uuid.UUID = Field(foreign_key="unit.id", index=True, ondelete="RESTRICT")
    effective_date: date
    legal_act: str = Field(
        max_length=300, description="The resolution or decision, e.g. 1365/NQ-UBTVQH15."
    )
    note: str | None = Field(default=None, max_length=1000)
    is_default: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean(), nullable=False, server_default=sa.false())
    )
    reorganisation_id: uuid.UUID | None = Field(
        default=None, foreign_key="unit_reorganisation.id", index=True, ondelete="RESTRICT"
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


class UnitMove(SQLModel, table=True):
    """A unit that kept its id and changed parent (a village whose commune was merged):
    where it hung before ``effective_date``, so that the tree of an earlier date and a
    roll-up of earlier reports can still place it."""

    __tablename__ = "unit_move"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    unit_id: uuid.UUID = Field(foreign_key="unit.id", index=True, ondelete="RESTRICT")
    from_parent_id: uuid.UUID = Field(foreign_key="unit.id", ondelete="RESTRICT")
    to_parent_id: uuid.UUID = Field(foreign_key="unit.id", ondelete="RESTRICT")
    effective_date: date
    reorganisation_id: uuid.UUID = Field(
        foreign_key="unit_reorganisation.id", index=True, ondelete="RESTRICT"
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


class UnitHeritage(SQLModel, table=True):
    """Who inherits a closed unit, materialised: one row per closed unit and per unit its
    lineage leads to (forward, through any number of reorganisations), with that unit's
    path. The officers of a subtree read the closed units whose heirs lie in it
    (``core.scope``'s heritage rule) with one index range scan on ``heir_path`` instead of
    a recursive query per request. Refreshed after every reorganisation, which is what
    writes lineage and moves units (``stats.placement.refresh_rollup_paths``)."""

    __tablename__ = "unit_heritage"
    __table_args__ = (
        sa.Index(
            "ix_unit_heritage_heir_path",
            "heir_path",
            "unit_id",
            postgresql_ops={"heir_path": "text_pattern_ops"},
        ),
    )

    heir_path: str = Field(primary_key=True, max_length=200)
    unit_id: uuid.UUID = Field(primary_key=True, foreign_key="unit.id", ondelete="CASCADE")
