"""Aggregates behind the dashboards, kept exact in the transaction of every activity write.

Four tables, each a sum that a write moves by a signed delta (``INSERT … ON CONFLICT DO
UPDATE SET n = n + excluded.n``), so that reading a dashboard never groups raw reports:

- ``StatUnitDay``: per unit on the place's path (and the whole country, ``NATION``) ×
  day × campaign × indicator × status, the indicator total and how many activities
  counted it; the row with indicator ``ALL`` counts activities whatever they reported.
- ``StatUnitDayHistory``: the same measures, the difference between the map of a
  report's day and today's: a report counts in ``StatUnitDay`` for the units above where
  its place lies today (a closed place: where its successors lie), and here +1 for the
  units it lay under on its day that it no longer lies under, −1 for the reverse. Empty
  until a reorganisation moves or closes units; historical figures add both tables.
- ``StatUnitCampaign``: the same per unit × campaign × indicator × status without the
  day (``StatUnitDay`` summed over days), moved by the same deltas: what an overview or
  a campaign's progress reads, a few rows per unit where the day rows are hundreds.
  Periods and day views (time series, completeness) read ``StatUnitDay``.
- ``StatTeamTotal``: per team × campaign × indicator × status, for rankings.
- ``StatTeamDay``: per team × day × campaign, how many activities the team recorded
  (any status): a team "reported" that day when it is above zero.
- ``StatReporting``: per unit on the team's path (and ``NATION``) × day × campaign, how
  many teams reported; moved when a team's day count leaves or reaches zero.

The rows of the country, the provinces and the level below them in ``StatUnitDay``,
``StatUnitCampaign`` and ``StatReporting`` are spread over ``SLOTS`` rows per key
(``slot``, chosen by the report's place or the team's unit), which a reader sums: every
report of a campaign moves them, and each write holds the rows it moved until it
commits, so one row per key let one writer at a time through.

"No campaign" is the key ``NONE``, not NULL, so that every key is a primary key. Rows
that fall back to zero stay (a dashboard sums them as nothing); ``cnscd stats rebuild``
recomputes a subtree from the raw rows and drops them.
"""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from cnscd_api.models.activity import ActivityStatus
from cnscd_api.models.base import enum_column

NATION = uuid.UUID(int=0)  # the unit key of the whole country
NONE = uuid.UUID(int=0)  # the campaign key of activities outside any campaign
ALL = uuid.UUID(int=0)  # the indicator key of the rows that count activities
SLOTS = 16  # rows per key of the units every write of a province moves (``slot``)


def slot_column() -> sa.Column[int]:
    return sa.Column(
        sa.SmallInteger(), primary_key=True, nullable=False, server_default=sa.text("0")
    )


class StatUnitDay(SQLModel, table=True):
    __tablename__ = "stat_unit_day"

    unit_key: uuid.UUID = Field(primary_key=True)
    campaign_key: uuid.UUID = Field(primary_key=True)
    indicator_key: uuid.UUID = Field(primary_key=True)
    day: date = Field(primary_key=True)
    status: ActivityStatus = Field(
        sa_column=enum_column(ActivityStatus, nullable=False, primary_key=True)
    )
    slot: int = Field(default=0, sa_column=slot_column())
    total: int = Field(default=0, sa_column=sa.Column(sa.BigInteger(), nullable=False))
    activities: int = Field(default=0, sa_column=sa.Column(sa.BigInteger(), nullable=False))


class StatUnitCampaign(SQLModel, table=True):
    __tablename__ = "stat_unit_campaign"

    unit_key: uuid.UUID = Field(primary_key=True)
    campaign_key: uuid.UUID = Field(primary_key=True)
    indicator_key: uuid.UUID = Field(primary_key=True)
    status: ActivityStatus = Field(
        sa_column=enum_column(ActivityStatus, nullable=False, primary_key=True)
    )
    slot: int = Field(default=0, sa_column=slot_column())
    total: int = Field(default=0, sa_column=sa.Column(sa.BigInteger(), nullable=False))
    activities: int = Field(default=0, sa_column=sa.Column(sa.BigInteger(), nullable=False))


class StatTeamTotal(SQLModel, table=True):
    __tablename__ = "stat_team_total"
    __table_args__ = (
        # The ranking reads a campaign's totals from the index alone on PostgreSQL (its
        # heap rows lie all over the table: 7,363 pages for a province's 8,433 rows).
        sa.Index(
            "ix_stat_team_total_ranking",
            "campaign_key",
            "indicator_key",
            "status",
            postgresql_include=["team_id", "total"],
        ),
    )

    team_id: uuid.UUID = Field(primary_key=True)
    campaign_key: uuid.UUID = Field(primary_key=True)
    indicator_key: uuid.UUID = Field(primary_key=True)
    status: ActivityStatus = Field(
        sa_column=enum_column(ActivityStatus, nullable=False, primary_key=True)
    )
    total: int = Field(default=0, sa_column=sa.Column(sa.BigInteger(), nullable=False))
    activities: int = Field(default=0, sa_column=sa.Column(sa.BigInteger(), nullable=False))


class StatTeamDay(SQLModel, table=True):
    __tablename__ = "stat_team_day"

    team_id: uuid.UUID = Field(primary_key=True)
    campaign_key: uuid.UUID = Field(primary_key=True)
    day: date = Field(primary_key=True)
    activities: int = Field(default=0, sa_column=sa.Column(sa.BigInteger(), nullable=False))


class StatReporting(SQLModel, table=True):
    __tablename__ = "stat_reporting"

    unit_key: uuid.UUID = Field(primary_key=True)
    campaign_key: uuid.UUID = Field(primary_key=True)
    day: date = Field(primary_key=True)
    slot: int = Field(default=0, sa_column=slot_column())
    teams: int = Field(default=0, sa_column=sa.Column(sa.BigInteger(), nullable=False))


class StatRegistry(SQLModel, table=True):
    """The registry's figures of the overview per unit on the team's path (and
    ``NATION``): ``item`` is ``team.status:<status>`` (teams) or ``member.<field>:<value>``
    (current members by affiliation, gender — ``unknown`` when not given —, skill level
    and role; each member counts once per field). Moved by every write of teams and
    members (``stats/registry.py``), recomputed by ``cnscd stats rebuild``."""

    __tablename__ = "stat_registry"

    unit_key: uuid.UUID = Field(primary_key=True)
    item: str = Field(primary_key=True, max_length=64)
    count: int = Field(default=0, sa_column=sa.Column(sa.BigInteger(), nullable=False))


# The same columns as ``StatUnitDay``, holding the difference between the map of each
# report's day and today's (a Core table: nothing reads it as objects).
STAT_UNIT_DAY_HISTORY: sa.Table = StatUnitDay.__table__.to_metadata(  # type: ignore[attr-defined]
    SQLModel.metadata, name="stat_unit_day_history"
)
STAT_UNIT_DAY_HISTORY.primary_key.name = "pk_stat_unit_day_history"  # not the copied name
