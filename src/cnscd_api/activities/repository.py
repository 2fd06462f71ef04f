"""Activity queries. Reads start from ``core.scope``: activities held in the caller's
subtree (a team leader: their team's; a partner: its own organisation's)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, delete, exists, func, insert, or_
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from cnscd_api.activities.schemas import ActivityFilters, ActivitySort
from cnscd_api.core.pagination import PageParams, Sorting, fetch_page
from cnscd_api.core.permissions import Principal
from cnscd_api.core.scope import path_in_subtree, scoped_columns, unscoped
from cnscd_api.models import (
    Activity,
    ActivityCategory,
    ActivityMember,
    ActivityStatus,
    ActivityValue,
    ContentCategory,
    Indicator,
    Member,
    Membership,
    Team,
    Unit,
    UnitMove,
)

SORTING = Sorting(
    ActivitySort,
    {"activity_date": col(Activity.activity_date), "created_at": col(Activity.created_at)},
    default=(col(Activity.activity_date).desc(), col(Activity.created_at).desc()),
    tiebreaker=col(Activity.id),
)
READ_COLUMNS: tuple[Any, ...] = (
    Activity.id,
    Activity.team_id,
    Team.name.label("team_name"),  # type: ignore[attr-defined]
    Activity.unit_id,
    Unit.name.label("unit_name"),  # type: ignore[attr-defined]
    Unit.path_names.label("unit_path_names"),  # type: ignore[attr-defined]
    Activity.activity_date,
    Activity.campaign_id,
    Activity.organisation,
    Activity.partner_staff,
    Activity.support_request_id,
    Activity.description,
    Activity.status,
    Activity.rejection_reason,
    Activity.recorded_by_user_id,
    Activity.recorded_by_client_id,
    Activity.recorded_by_name,
    Activity.recorded_role,
    Activity.reviewed_by_user_id,
    Activity.reviewed_by_name,
    Activity.reviewed_role,
    Activity.reviewed_at,
    Activity.version,
    Activity.created_at,
    Activity.updated_at,
)


def _read_statement(principal: Principal) -> Select[Any]:
    return scoped_columns(principal, Activity, *READ_COLUMNS).join(
        Team, col(Team.id) == col(Activity.team_id)
    )


@dataclass(frozen=True)
class UnitFilter:
    """The unit a list is filtered on, and which of the map's changes reach its subtree."""

    path: str
    rolled_in: bool = False  # closed units count their reports in it (on today's map)
    moved_out: bool = False  # units left it by a move (their past reports were in it)


@unscoped("whether a reorganisation touched a subtree, to choose a list's filter clauses")
def unit_filter(session: Session, unit_path: str) -> UnitFilter:
    rolled_in = session.exec(
        select(Unit.id).where(path_in_subtree(col(Unit.rollup_path), unit_path)).limit(1)
    ).first()
    moved_out = session.exec(
        select(UnitMove.id)
        .join(_LEFT, col(_LEFT.id) == col(UnitMove.from_parent_id))
        .where(path_in_subtree(col(_LEFT.path), unit_path))
        .limit(1)
    ).first()
    return UnitFilter(unit_path, rolled_in is not None, moved_out is not None)


_LEFT = aliased(Unit, name="left_parent")
_MOVED = aliased(Unit, name="moved_unit")
_DEEPER = aliased(Unit, name="deeper_unit")
_FIRST = aliased(UnitMove, name="first_move")
_EARLIER = aliased(UnitMove, name="earlier_move")
_DEEPER_MOVE = aliased(UnitMove, name="deeper_move")


def _placed_in(unit: UnitFilter) -> ColumnElement[bool]:
    """Reports made in the subtree: their place (the joined ``Unit``) lies there, or, once
    a reorganisation touched the subtree, its reports count there on today's map (a closed
    place's default successors do), or it lay there on the report's day (the place, or the
    deepest unit above it that moved since, left a unit of the subtree by its first move
    after that day, the rule of ``stats.placement.PathsOn`` followed one move up)."""
    clauses = [path_in_subtree(Unit.path, unit.path)]
    if unit.rolled_in:
        clauses.append(path_in_subtree(col(Unit.rollup_path), unit.path))
    if unit.moved_out:
        after_the_day = col(Activity.activity_date)
        clauses.append(
            exists().where(
                col(Unit.path).startswith(col(_MOVED.path)),
                col(_FIRST.unit_id) == col(_MOVED.id),
                col(_FIRST.effective_date) > after_the_day,
                ~exists().where(
                    col(_EARLIER.unit_id) == col(_FIRST.unit_id),
                    col(_EARLIER.effective_date) > after_the_day,
                    col(_EARLIER.effective_date) < col(_FIRST.effective_date),
                ),
                ~exists().where(
                    col(Unit.path).startswith(col(_DEEPER.path)),
                    func.length(_DEEPER.path) > func.length(_MOVED.path),
                    col(_DEEPER_MOVE.unit_id) == col(_DEEPER.id),
                    col(_DEEPER_MOVE.effective_date) > after_the_day,
                ),
                col(_FIRST.from_parent_id) == col(_LEFT.id),
                path_in_subtree(col(_LEFT.path), unit.path),
            )
        )
    return or_(*clauses) if len(clauses) > 1 else clauses[0]


def filtered(
    principal: Principal,
    filters: ActivityFilters,
    *,
    unit: UnitFilter | None,
    category_id: uuid.UUID | None,
    indicator_id: uuid.UUID | None,
) -> Select[Any]:
    statement = _read_statement(principal)
    conditions: list[ColumnElement[bool]] = []
    if filters.team_id is not None:
        conditions.append(col(Activity.team_id) == filters.team_id)
    if unit is not None:
        conditions.append(_placed_in(unit))
    if filters.campaign_id is not None:
        conditions.append(col(Activity.campaign_id) == filters.campaign_id)
    if category_id is not None:
        conditions.append(
            exists().where(
                col(ActivityCategory.activity_id) == col(Activity.id),
                col(ActivityCategory.category_id) == category_id,
            )
        )
    if indicator_id is not None:
        conditions.append(
            exists().where(
                col(ActivityValue.activity_id) == col(Activity.id),
                col(ActivityValue.indicator_id) == indicator_id,
            )
        )
    if filters.status is not None:
        conditions.append(col(Activity.status) == filters.status)
    if filters.recorded_by is not None:
        conditions.append(
            or_(
                col(Activity.recorded_by_user_id) == filters.recorded_by,
                col(Activity.recorded_by_client_id) == filters.recorded_by,
            )
        )
    if filters.organisation is not None:
        conditions.append(col(Activity.organisation) == filters.organisation)
    if filters.date_from is not None:
        conditions.append(col(Activity.activity_date) >= filters.date_from)
    if filters.date_to is not None:
        conditions.append(col(Activity.activity_date) <= filters.date_to)
    return statement.where(*conditions)


def list_activities(
    session: Session, statement: Select[Any], page: PageParams, sort: ActivitySort | None
) -> tuple[list[Row[Any]], int]:
    return fetch_page(session, statement, page, SORTING.order(sort))


def read_row(session: Session, principal: Principal, activity_id: uuid.UUID) -> Row[Any]:
    statement = _read_statement(principal).where(col(Activity.id) == activity_id)
    return session.execute(statement).one()


def stream_activities(session: Session, statement: Select[Any]) -> Iterator[Row[Any]]:
    ordered = statement.order_by(col(Activity.activity_date), col(Activity.id))
    yield from session.execute(ordered.execution_options(yield_per=1000))


def details(
    session: Session, activity_ids: list[uuid.UUID]
) -> tuple[
    dict[uuid.UUID, list[str]], dict[uuid.UUID, dict[str, int]], dict[uuid.UUID, list[uuid.UUID]]
]:
    """Categories (codes), values (code → count) and member ids of each activity."""
    categories: dict[uuid.UUID, list[str]] = defaultdict(list)
    values: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
    members: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    if not activity_ids:
        return categories, values, members
    for activity_id, code in session.execute(
        select(ActivityCategory.activity_id, ContentCategory.code)
        .join(ContentCategory, col(ContentCategory.id) == col(ActivityCategory.category_id))
        .where(col(ActivityCategory.activity_id).in_(activity_ids))
        .order_by(col(ContentCategory.position))
    ).all():
        categories[activity_id].append(code)
    for activity_id, code, value in session.execute(
        select(ActivityValue.activity_id, Indicator.code, ActivityValue.value)
        .join(Indicator, col(Indicator.id) == col(ActivityValue.indicator_id))
        .where(col(ActivityValue.activity_id).in_(activity_ids))
        .order_by(col(Indicator.position))
    ).all():
        values[activity_id][code] = value
    for activity_id, member_id in session.execute(
        select(ActivityMember.activity_id, ActivityMember.member_id)
        .where(col(ActivityMember.activity_id).in_(activity_ids))
        .order_by(col(ActivityMember.member_id))
    ).all():
        members[activity_id].append(member_id)
    return categories, values, members


@unscoped("re-sent ids: whether they exist at all, before telling unchanged from conflict")
def existing(session: Session, activity_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    ids = list(activity_ids)
    if not ids:
        return set()
    return set(session.exec(select(Activity.id).where(col(Activity.id).in_(ids))).all())


@unscoped("whether members an activity the caller reached names still exist (erased or not)")
def existing_members(session: Session, member_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    ids = list(member_ids)
    if not ids:
        return set()
    return set(session.exec(select(Member.id).where(col(Member.id).in_(ids))).all())


@unscoped("memberships of teams the caller already reached")
def members_on(
    session: Session, team_member_dates: Iterable[tuple[uuid.UUID, uuid.UUID, date]]
) -> set[tuple[uuid.UUID, uuid.UUID, date]]:
    """Which (team, member, day) triples are real: the member belonged to the team that
    day (a membership period covering it)."""
    wanted = set(team_member_dates)
    if not wanted:
        return set()
    member_ids = {member_id for _, member_id, _ in wanted}
    periods = session.exec(
        select(
            col(Membership.team_id),
            col(Membership.member_id),
            col(Membership.joined_on),
            col(Membership.left_on),
        ).where(col(Membership.member_id).in_(member_ids))
    ).all()
    by_member: dict[tuple[uuid.UUID, uuid.UUID], list[tuple[date, date | None]]] = defaultdict(list)
    for team_id, member_id, joined_on, left_on in periods:
        by_member[(team_id, member_id)].append((joined_on, left_on))
    return {
        (team_id, member_id, day)
        for team_id, member_id, day in wanted
        if any(
            joined <= day and (left is None or day <= left)
            for joined, left in by_member.get((team_id, member_id), [])
        )
    }


def insert_new(session: Session, activities: list[dict[str, Any]]) -> set[uuid.UUID]:
    """Insert the activities whose id is not taken; the ids inserted. A race between two
    writers of one id is decided by the primary key, not by a read before the write."""
    if not activities:
        return set()
    connection = session.connection()
    insert_into = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    table: Any = Activity.__table__  # type: ignore[attr-defined]
    statement = (
        insert_into(table).on_conflict_do_nothing(index_elements=[table.c.id]).returning(table.c.id)
    )
    return set(connection.execute(statement, activities).scalars())


def insert_parts(
    session: Session,
    categories: list[dict[str, Any]],
    members: list[dict[str, Any]],
    values: list[dict[str, Any]],
) -> None:
    """Activities' categories, members and values: plain Core INSERTs on the session's
    connection, one cached statement with many parameter sets each."""
    connection = session.connection()
    parts: tuple[tuple[Any, list[dict[str, Any]]], ...] = (
        (ActivityCategory, categories),
        (ActivityMember, members),
        (ActivityValue, values),
    )
    for model, rows in parts:
        if rows:
            connection.execute(insert(model.__table__), rows)


def replace_parts(
    session: Session,
    activity_id: uuid.UUID,
    categories: list[uuid.UUID],
    members: list[uuid.UUID],
    values: dict[uuid.UUID, int],
) -> None:
    delete_parts(session, activity_id)
    insert_parts(
        session,
        [{"activity_id": activity_id, "category_id": c} for c in categories],
        [{"activity_id": activity_id, "member_id": m} for m in members],
        [{"activity_id": activity_id, "indicator_id": i, "value": v} for i, v in values.items()],
    )


def delete_parts(session: Session, activity_id: uuid.UUID) -> None:
    session.execute(
        delete(ActivityCategory).where(col(ActivityCategory.activity_id) == activity_id)
    )
    session.execute(delete(ActivityMember).where(col(ActivityMember.activity_id) == activity_id))
    session.execute(delete(ActivityValue).where(col(ActivityValue.activity_id) == activity_id))


def assisted_rows(
    session: Session, principal: Principal, indicator_id: uuid.UUID | None
) -> list[Row[Any]]:
    """The reports a partner supported with staff (an organisation, and staff or a
    support request named), not rejected, that the caller reaches: organisation, status,
    place paths, and how many people they guided (``indicator_id``)."""
    people = (
        select(func.coalesce(func.sum(ActivityValue.value), 0))
        .where(
            col(ActivityValue.activity_id) == col(Activity.id),
            col(ActivityValue.indicator_id) == indicator_id,
        )
        .scalar_subquery()
    )
    statement = scoped_columns(
        principal,
        Activity,
        Activity.organisation,
        Activity.status,
        col(Unit.path).label("path"),
        col(Unit.rollup_path).label("rollup_path"),
        people.label("people"),
    ).where(
        col(Activity.organisation).is_not(None),
        or_(col(Activity.partner_staff) > 0, col(Activity.support_request_id).is_not(None)),
        col(Activity.status) != ActivityStatus.REJECTED,
    )
    return list(session.execute(statement).all())
