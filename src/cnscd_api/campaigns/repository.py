"""Campaign queries. Reads start from ``core.scope``: campaigns whose scope unit lies in
the caller's subtree or above it (a province campaign is read in all of its communes)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, case, delete, func, insert, literal, or_, update
from sqlmodel import Session, col, select

from cnscd_api.campaigns.schemas import CampaignFilters, CampaignSort
from cnscd_api.core.pagination import PageParams, Sorting, fetch_page
from cnscd_api.core.permissions import Principal
from cnscd_api.core.scope import (
    Lock,
    ancestor_ids,
    locked,
    path_in_subtree,
    scoped_columns,
    unscoped,
)
from cnscd_api.core.text import search_clause
from cnscd_api.models import (
    Activity,
    ActivityCategory,
    ActivityValue,
    Campaign,
    CampaignCategory,
    CampaignIndicator,
    CampaignStatus,
    CampaignTarget,
    CampaignTargetSet,
    ContentCategory,
    Indicator,
    Unit,
    utcnow,
)

SORTING = Sorting(
    CampaignSort,
    {
        "starts_on": col(Campaign.starts_on),
        "name": col(Campaign.name_key),
        "created_at": col(Campaign.created_at),
    },
    default=(col(Campaign.starts_on).desc(),),
    tiebreaker=col(Campaign.id),
)


def status_clause(status: CampaignStatus, today: date) -> ColumnElement[bool]:
    """Campaigns with ``status`` on ``today`` (see ``CampaignStatus``)."""
    open_ = col(Campaign.closed_at).is_(None)
    if status is CampaignStatus.PLANNED:
        return and_(open_, col(Campaign.starts_on) > today)
    if status is CampaignStatus.ACTIVE:
        return and_(open_, col(Campaign.starts_on) <= today, col(Campaign.reporting_until) >= today)
    return or_(col(Campaign.closed_at).is_not(None), col(Campaign.reporting_until) < today)


def status_column(today: date) -> Any:
    return case(
        (col(Campaign.closed_at).is_not(None), literal(CampaignStatus.CLOSED.value)),
        (col(Campaign.starts_on) > today, literal(CampaignStatus.PLANNED.value)),
        (col(Campaign.reporting_until) >= today, literal(CampaignStatus.ACTIVE.value)),
        else_=literal(CampaignStatus.CLOSED.value),
    ).label("status")


def summary_columns(today: date) -> tuple[Any, ...]:
    return (
        Campaign.id,
        Campaign.code,
        Campaign.name,
        Campaign.scope_unit_id,
        Unit.path_names.label("scope_unit_path_names"),  # type: ignore[attr-defined]
        Campaign.starts_on,
        Campaign.ends_on,
        Campaign.grace_days,
        Campaign.reporting_until,
        status_column(today),
        Campaign.version,
        Campaign.created_at,
        Campaign.updated_at,
    )


def list_campaigns(
    session: Session,
    principal: Principal,
    filters: CampaignFilters,
    unit_path: str | None,
    page: PageParams,
    sort: CampaignSort | None,
    today: date,
) -> tuple[list[Row[Any]], int]:
    statement = scoped_columns(principal, Campaign, *summary_columns(today))
    if filters.status is not None:
        statement = statement.where(status_clause(filters.status, today))
    if filters.active_on is not None:
        statement = statement.where(
            col(Campaign.starts_on) <= filters.active_on, col(Campaign.ends_on) >= filters.active_on
        )
    if unit_path is not None:
        # The scope contains the unit (it is one of the unit's ancestors, or the unit) or
        # lies inside it.
        statement = statement.where(
            or_(
                path_in_subtree(Unit.path, unit_path),
                col(Unit.id).in_(ancestor_ids(unit_path)),
            )
        )
    if filters.q:
        # A campaign's code is ASCII and never changes: lowercased, it is its folded form.
        statement = statement.where(
            search_clause(col(Campaign.search_name), filters.q, func.lower(col(Campaign.code)))
        )
    return fetch_page(session, statement, page, SORTING.order(sort))


@unscoped("the campaign an activity the caller reached counts for")
def campaign_by_id(
    session: Session, campaign_id: uuid.UUID, *, lock: Lock | None = None
) -> Campaign:
    """Without ``lock``, read once per session (reports share campaigns); with it, read
    as it stands once the lock is granted."""
    if lock is None:
        campaign = session.get(Campaign, campaign_id)
    else:
        statement = select(Campaign).where(col(Campaign.id) == campaign_id)
        campaign = session.exec(locked(statement, Campaign, lock)).first()
    assert campaign is not None  # the activity's foreign key
    return campaign


@unscoped("the campaign the caller already reached, locked while what relies on it is checked")
def lock_campaign(session: Session, campaign_id: uuid.UUID, *, against_reports: bool) -> None:
    """Hold the campaign's row until the transaction ends (SQLite's writers hold the
    database). Every write that checks a limit against the targets below it — a target
    set, the campaign's own targets — takes it first, so a parent's limit and its
    children's sum are read and written by one writer at a time: ``FOR NO KEY UPDATE``,
    which reports naming the campaign (a key-share lock) do not wait for. An edit of what
    reports rely on (``against_reports``: days, categories, indicators) takes ``FOR
    UPDATE``, which waits for the reports being written (they hold the row while they
    are checked) and makes later ones wait and read the new campaign."""
    statement = select(Campaign.id).where(col(Campaign.id) == campaign_id)
    session.execute(statement.with_for_update(key_share=not against_reports))


@unscoped("official codes of campaigns are unique across the whole system")
def code_taken(session: Session, code: str) -> bool:
    return session.exec(select(Campaign.id).where(col(Campaign.code) == code)).first() is not None


def add(session: Session, campaign: Campaign) -> None:
    session.add(campaign)
    session.flush()


def categories_of(session: Session, campaign_id: uuid.UUID) -> list[ContentCategory]:
    statement = (
        select(ContentCategory)
        .join(CampaignCategory, col(CampaignCategory.category_id) == col(ContentCategory.id))
        .where(col(CampaignCategory.campaign_id) == campaign_id)
        .order_by(col(ContentCategory.position), col(ContentCategory.code))
    )
    return list(session.exec(statement).all())


def indicators_of(session: Session, campaign_id: uuid.UUID) -> list[tuple[Indicator, int | None]]:
    statement = (
        select(Indicator, CampaignIndicator.target)
        .join(CampaignIndicator, col(CampaignIndicator.indicator_id) == col(Indicator.id))
        .where(col(CampaignIndicator.campaign_id) == campaign_id)
        .order_by(col(Indicator.position), col(Indicator.code))
    )
    return [(indicator, target) for indicator, target in session.exec(statement).all()]


def set_categories(session: Session, campaign_id: uuid.UUID, category_ids: list[uuid.UUID]) -> None:
    session.execute(
        delete(CampaignCategory).where(col(CampaignCategory.campaign_id) == campaign_id)
    )
    session.execute(
        insert(CampaignCategory),
        [{"campaign_id": campaign_id, "category_id": c} for c in category_ids],
    )


def set_indicators(
    session: Session, campaign_id: uuid.UUID, targets: dict[uuid.UUID, int | None]
) -> None:
    session.execute(
        delete(CampaignIndicator).where(col(CampaignIndicator.campaign_id) == campaign_id)
    )
    session.execute(
        insert(CampaignIndicator),
        [
            {"campaign_id": campaign_id, "indicator_id": indicator_id, "target": target}
            for indicator_id, target in targets.items()
        ],
    )


# --- the reports that count for a campaign --------------------------------------------------


@unscoped("a campaign the caller may edit: every report that counts for it stands in the way")
def reports_outside(
    session: Session, campaign_id: uuid.UUID, starts_on: date, ends_on: date
) -> int:
    """How many of the campaign's reports are dated outside ``starts_on``…``ends_on``."""
    statement = (
        select(func.count())
        .select_from(Activity)
        .where(
            col(Activity.campaign_id) == campaign_id,
            or_(col(Activity.activity_date) < starts_on, col(Activity.activity_date) > ends_on),
        )
    )
    return int(session.exec(statement).one())


def reports_in_categories(
    session: Session, campaign_id: uuid.UUID, category_ids: set[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """Per category among ``category_ids``: how many of the campaign's reports are in it."""
    return _reports_per(
        session,
        campaign_id,
        ActivityCategory.category_id,
        ActivityCategory.activity_id,
        category_ids,
    )


def reports_counting(
    session: Session, campaign_id: uuid.UUID, indicator_ids: set[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """Per indicator among ``indicator_ids``: how many of the campaign's reports count it."""
    return _reports_per(
        session, campaign_id, ActivityValue.indicator_id, ActivityValue.activity_id, indicator_ids
    )


@unscoped("a campaign the caller may edit: every report that counts for it stands in the way")
def _reports_per(
    session: Session, campaign_id: uuid.UUID, key: Any, activity_id: Any, ids: set[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """Per ``key`` among ``ids`` (a category or an indicator of a report's parts, whose
    report is ``activity_id``): how many of the campaign's reports have it."""
    if not ids:
        return {}
    rows = session.execute(
        select(col(key), func.count())
        .join(Activity, col(Activity.id) == col(activity_id))
        .where(col(Activity.campaign_id) == campaign_id, col(key).in_(ids))
        .group_by(col(key))
    ).all()
    return {found: int(count) for found, count in rows}


# --- targets ----------------------------------------------------------------------------


@unscoped("the children of a unit the caller already reached")
def current_children(session: Session, parent_id: uuid.UUID, today: date) -> list[Unit]:
    """The units directly under ``parent_id`` that exist on ``today``."""
    statement = (
        select(Unit)
        .where(
            col(Unit.parent_id) == parent_id,
            or_(col(Unit.valid_to).is_(None), col(Unit.valid_to) >= today),
        )
        .order_by(col(Unit.code).asc().nulls_last(), col(Unit.name))
    )
    return list(session.exec(statement).all())


def targets_of_units(
    session: Session, campaign_id: uuid.UUID, unit_ids: list[uuid.UUID]
) -> dict[tuple[uuid.UUID, uuid.UUID], int]:
    """(unit, indicator) → target, for units given targets by their parent."""
    if not unit_ids:
        return {}
    rows = session.exec(
        select(CampaignTarget.unit_id, CampaignTarget.indicator_id, CampaignTarget.value).where(
            col(CampaignTarget.campaign_id) == campaign_id,
            col(CampaignTarget.unit_id).in_(unit_ids),
        )
    ).all()
    return {(unit_id, indicator_id): value for unit_id, indicator_id, value in rows}


def children_sums(
    session: Session, campaign_id: uuid.UUID, parent_ids: list[uuid.UUID]
) -> dict[tuple[uuid.UUID, uuid.UUID], int]:
    """(parent, indicator) → the sum of the targets that parent gave its children."""
    if not parent_ids:
        return {}
    rows = session.exec(
        select(
            CampaignTarget.parent_unit_id,
            CampaignTarget.indicator_id,
            func.sum(CampaignTarget.value),
        )
        .where(
            col(CampaignTarget.campaign_id) == campaign_id,
            col(CampaignTarget.parent_unit_id).in_(parent_ids),
        )
        .group_by(col(CampaignTarget.parent_unit_id), col(CampaignTarget.indicator_id))
    ).all()
    return {(parent, indicator): int(total) for parent, indicator, total in rows}


def target_set_version(session: Session, campaign_id: uuid.UUID, parent_id: uuid.UUID) -> int:
    version = session.exec(
        select(CampaignTargetSet.version).where(
            col(CampaignTargetSet.campaign_id) == campaign_id,
            col(CampaignTargetSet.parent_unit_id) == parent_id,
        )
    ).first()
    return version or 0


def replace_target_set(
    session: Session,
    campaign_id: uuid.UUID,
    parent_id: uuid.UUID,
    seen_version: int,
    targets: list[tuple[uuid.UUID, uuid.UUID, int]],
) -> int | None:
    """Replace the set (children's (unit, indicator, value)) if it is still at
    ``seen_version``; returns the new version, or None when someone got there first."""
    now = utcnow()
    if seen_version == 0:
        session.execute(
            insert(CampaignTargetSet).values(
                campaign_id=campaign_id, parent_unit_id=parent_id, version=1, updated_at=now
            )
        )
    else:
        result = session.execute(
            update(CampaignTargetSet)
            .where(
                col(CampaignTargetSet.campaign_id) == campaign_id,
                col(CampaignTargetSet.parent_unit_id) == parent_id,
                col(CampaignTargetSet.version) == seen_version,
            )
            .values(version=seen_version + 1, updated_at=now)
        )
        if getattr(result, "rowcount", 0) != 1:
            return None
    session.execute(
        delete(CampaignTarget).where(
            col(CampaignTarget.campaign_id) == campaign_id,
            col(CampaignTarget.parent_unit_id) == parent_id,
        )
    )
    if targets:
        session.execute(
            insert(CampaignTarget),
            [
                {
                    "campaign_id": campaign_id,
                    "parent_unit_id": parent_id,
                    "unit_id": unit_id,
                    "indicator_id": indicator_id,
                    "value": value,
                }
                for unit_id, indicator_id, value in targets
            ],
        )
    return seen_version + 1


def indicators_with_targets(session: Session, campaign_id: uuid.UUID) -> set[uuid.UUID]:
    rows = session.exec(
        select(CampaignTarget.indicator_id)
        .where(col(CampaignTarget.campaign_id) == campaign_id)
        .distinct()
    ).all()
    return set(rows)
