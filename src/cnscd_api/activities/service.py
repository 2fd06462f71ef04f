"""Activity rules.

- Team leaders record and edit their own team's activities, officers those of teams in
  their scope, partners support activities for teams in their scope (attributed to their
  organisation; they read only their own organisation's reports).
- Review goes up the tiers: a commune officer approves what team leaders and partners
  recorded in the commune, a district officer what was recorded at commune level or
  below, the province admin anything; nobody reviews their own report. An approved
  report is frozen (409 ``activity_approved``) until its approver or a higher tier
  reopens it. A closed campaign takes no new or changed reports (409 ``campaign_closed``).
- Every write is conditional on the version read, audited, and (``stats``) counted.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Row, Select
from sqlmodel import Session

from cnscd_api.activities import repository
from cnscd_api.activities.checks import Checked, Checker, as_field_errors, content_hash
from cnscd_api.activities.schemas import (
    MAX_BATCH,
    ActivityBatchItem,
    ActivityCreate,
    ActivityFields,
    ActivityFilters,
    ActivityRead,
    ActivitySort,
    ActivityUpdate,
    ApproveManyResult,
    ApproveResult,
    BatchItemResult,
    BatchItemStatus,
    BatchResult,
    Person,
)
from cnscd_api.allowances import closure
from cnscd_api.campaigns import service as campaign_service
from cnscd_api.catalogue import repository as catalogue_repository
from cnscd_api.catalogue import service as catalogue_service
from cnscd_api.catalogue.service import CatalogueNames
from cnscd_api.core import audit, scope
from cnscd_api.core.concurrency import ExpectedVersion, delete_versioned, update_versioned
from cnscd_api.core.errors import (
    Conflict,
    FieldError,
    NotFound,
    PayloadTooLarge,
    ProblemError,
    Unprocessable,
    field_errors,
)
from cnscd_api.core.i18n import LIST_SEPARATOR, Language
from cnscd_api.core.pagination import PageParams
from cnscd_api.core.permissions import RANK, Permission, Principal, PrincipalKind
from cnscd_api.db import Database
from cnscd_api.models import (
    Activity,
    ActivityStatus,
    AuditAction,
    AuditEntity,
    Campaign,
    CampaignStatus,
    Role,
    utcnow,
)
from cnscd_api.stats import aggregates
from cnscd_api.teams import service as team_service
from cnscd_api.units import service as unit_service

# Partners record at the same tier as team leaders: commune officers review both.
RECORDING_RANK = {**RANK, Role.PARTNER: RANK[Role.TEAM_LEADER]}
ITEM = TypeAdapter(ActivityBatchItem)


# --- reading ----------------------------------------------------------------------------------


def get_activity(session: Session, actor: Principal, activity_id: uuid.UUID) -> Activity:
    """An activity the caller reaches (a team leader: its team's; a partner: its
    organisation's), else 404."""
    return scope.get_or_404(session, actor, Activity, activity_id)


def get_activity_for_write(session: Session, actor: Principal, activity_id: uuid.UUID) -> Activity:
    """An activity the caller may change, else 404: the scope rule for writes on
    activities (``core.scope``: its place in the caller's subtree, or a closed place whose
    successors lie there), the same for every route that changes a report. The row stays
    locked until the request ends, so a concurrent write of the same report waits and
    then finds it changed (412, 409) or gone (404)."""
    return scope.get_or_404(
        session, actor, Activity, activity_id, write=True, lock=scope.Lock.UPDATE
    )


def _via(
    session: Session, actor: Principal, unit_id: uuid.UUID, unit_path: str
) -> uuid.UUID | None:
    """The successor through which the caller reached a report of a closed place (for its
    audit event), or None for a report of the caller's own units."""
    return scope.reached_through(session, actor, unit_id, unit_path)


def filtered_statement(session: Session, actor: Principal, filters: ActivityFilters) -> Select[Any]:
    """The scoped query with the filters; a team, unit or campaign the caller cannot reach
    is a 404, an unknown category or indicator code a 422."""
    if filters.team_id is not None:
        team_service.get_team(session, actor, filters.team_id)
    if filters.campaign_id is not None:
        campaign_service.get_campaign(session, actor, filters.campaign_id)
    unit = None
    if filters.unit_id is not None:
        unit_path = unit_service.get_unit(session, actor, filters.unit_id).path
        unit = repository.unit_filter(session, unit_path)
    category_id = indicator_id = None
    if filters.category is not None:
        found = catalogue_repository.categories_by_code(session, [filters.category])
        if filters.category not in found:
            error = FieldError.of("query.category", "unknown_category", code_value=filters.category)
            raise Unprocessable(errors=[error])
        category_id = found[filters.category].id
    if filters.indicator is not None:
        indicators = catalogue_repository.indicators_by_code(session, [filters.indicator])
        if filters.indicator not in indicators:
            error = FieldError.of(
                "query.indicator", "unknown_indicator", code_value=filters.indicator
            )
            raise Unprocessable(errors=[error])
        indicator_id = indicators[filters.indicator].id
    return repository.filtered(
        actor, filters, unit=unit, category_id=category_id, indicator_id=indicator_id
    )


def present(session: Session, rows: list[Row[Any]]) -> list[ActivityRead]:
    """Activities with their categories, values and members (three queries a page)."""
    categories, values, members = repository.details(session, [row.id for row in rows])
    return [_read(row, categories, values, members) for row in rows]


def _read(
    row: Row[Any],
    categories: dict[uuid.UUID, list[str]],
    values: dict[uuid.UUID, dict[str, int]],
    members: dict[uuid.UUID, list[uuid.UUID]],
) -> ActivityRead:
    recorder = row.recorded_by_user_id or row.recorded_by_client_id
    reviewer = (
        Person(id=row.reviewed_by_user_id, name=row.reviewed_by_name, role=row.reviewed_role)
        if row.reviewed_role is not None
        else None
    )
    return ActivityRead(
        id=row.id,
        team_id=row.team_id,
        team_name=row.team_name,
        unit_id=row.unit_id,
        unit_name=row.unit_name,
        unit_path_names=row.unit_path_names,
        activity_date=row.activity_date,
        categories=categories.get(row.id, []),
        member_ids=members.get(row.id, []),
        values=values.get(row.id, {}),
        campaign_id=row.campaign_id,
        organisation=row.organisation,
        partner_staff=row.partner_staff,
        support_request_id=row.support_request_id,
        description=row.description,
        status=row.status,
        rejection_reason=row.rejection_reason,
        recorded_by=Person(id=recorder, name=row.recorded_by_name, role=row.recorded_role),
        reviewed_by=reviewer,
        reviewed_at=row.reviewed_at,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def list_activities(
    session: Session,
    actor: Principal,
    filters: ActivityFilters,
    page: PageParams,
    sort: ActivitySort | None,
) -> tuple[list[ActivityRead], int]:
    statement = filtered_statement(session, actor, filters)
    rows, total = repository.list_activities(session, statement, page, sort)
    return present(session, rows), total


def read_activity(session: Session, actor: Principal, activity_id: uuid.UUID) -> ActivityRead:
    return present(session, [repository.read_row(session, actor, activity_id)])[0]


# --- recording --------------------------------------------------------------------------------


def _recorder(actor: Principal) -> dict[str, Any]:
    return {
        "recorded_by_user_id": actor.id if actor.kind is PrincipalKind.USER else None,
        "recorded_by_client_id": actor.id if actor.kind is PrincipalKind.CLIENT else None,
        "recorded_by_name": actor.name,
        "recorded_role": actor.role,
    }


def _rows(activity_id: uuid.UUID, checked: Checked, actor: Principal) -> dict[str, Any]:
    now = utcnow()
    return {
        "id": activity_id,
        "team_id": checked.team.id,
        "unit_id": checked.place.id,
        "activity_date": checked.activity_date,
        "campaign_id": checked.campaign.id if checked.campaign else None,
        "organisation": checked.organisation,
        "partner_staff": checked.partner_staff,
        "support_request_id": checked.support_request_id,
        "description": checked.description,
        "status": ActivityStatus.SUBMITTED,
        "rejection_reason": None,
        **_recorder(actor),
        "reviewed_by_user_id": None,
        "reviewed_by_name": None,
        "reviewed_role": None,
        "reviewed_at": None,
        "content_hash": checked.content_hash,
        "is_demo": False,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }


def _snapshot(checked: Checked, status: ActivityStatus) -> dict[str, Any]:
    return {
        "team_id": checked.team.id,
        "unit_id": checked.place.id,
        "activity_date": checked.activity_date,
        "campaign_id": checked.campaign.id if checked.campaign else None,
        "organisation": checked.organisation,
        "partner_staff": checked.partner_staff,
        "support_request_id": checked.support_request_id,
        "description": checked.description,
        "status": status,
        "values": {str(i): v for i, v in checked.values.items()},
    }


def _facts(checked: Checked, status: ActivityStatus) -> aggregates.Facts:
    """What a checked report counts for in the dashboards."""
    place = checked.place  # a unit closed since counts where its successors lead
    return aggregates.Facts(
        team_id=checked.team.id,
        team_path=checked.home.path,
        place_path=place.rollup_path or place.path,
        own_path=place.path if place.rollup_path else None,
        day=checked.activity_date,
        campaign_id=checked.campaign.id if checked.campaign else None,
        status=status,
        values=dict(checked.values),
    )


def _insert(
    session: Session, actor: Principal, entries: list[tuple[uuid.UUID, Checked]]
) -> set[uuid.UUID]:
    """Write the activities whose id is new, with their parts, audited and counted; the
    ids that were taken already (by another writer, perhaps a moment ago)."""
    inserted = repository.insert_new(
        session, [_rows(activity_id, checked, actor) for activity_id, checked in entries]
    )
    written = [
        (activity_id, checked) for activity_id, checked in entries if activity_id in inserted
    ]
    categories, members, values, events = [], [], [], []
    for activity_id, checked in written:
        categories += [{"activity_id": activity_id, "category_id": c} for c in checked.category_ids]
        members += [{"activity_id": activity_id, "member_id": m} for m in checked.member_ids]
        values += [
            {"activity_id": activity_id, "indicator_id": i, "value": v}
            for i, v in checked.values.items()
        ]
        events.append(
            audit.event_row(
                actor=actor,
                action=AuditAction.CREATE,
                entity=AuditEntity.ACTIVITY,
                entity_id=activity_id,
                unit_path=checked.place.path,
                after=_snapshot(checked, ActivityStatus.SUBMITTED),
            )
        )
    repository.insert_parts(session, categories, members, values)
    audit.add_rows(session, events)
    aggregates.change(
        session, [], [_facts(checked, ActivityStatus.SUBMITTED) for _, checked in written]
    )
    return {activity_id for activity_id, _ in entries} - inserted


def record_activity(session: Session, actor: Principal, data: ActivityCreate) -> ActivityRead:
    checker = Checker(session, actor)
    activity_id = data.id or uuid.uuid4()
    checked = checker.check(data, data.team_id)
    if _insert(session, actor, [(activity_id, checked)]):
        raise Conflict("activity_exists")
    return _recorded(activity_id, checked, data, actor)


def _recorded(
    activity_id: uuid.UUID, checked: Checked, data: ActivityFields, actor: Principal
) -> ActivityRead:
    """The new activity as a read would show it, from what was just checked and written
    (no second trip to the database)."""
    now = utcnow()
    return ActivityRead(
        id=activity_id,
        team_id=checked.team.id,
        team_name=checked.team.name,
        unit_id=checked.place.id,
        unit_name=checked.place.name,
        unit_path_names=checked.place.path_names,
        activity_date=checked.activity_date,
        categories=sorted(dict.fromkeys(data.categories), key=data.categories.index),
        member_ids=checked.member_ids,
        values=dict(data.values),
        campaign_id=checked.campaign.id if checked.campaign else None,
        organisation=checked.organisation,
        partner_staff=checked.partner_staff,
        support_request_id=checked.support_request_id,
        description=checked.description,
        status=ActivityStatus.SUBMITTED,
        rejection_reason=None,
        recorded_by=Person(id=actor.id, name=actor.name, role=actor.role),
        reviewed_by=None,
        reviewed_at=None,
        version=1,
        created_at=now,
        updated_at=now,
    )


def record_batch(session: Session, actor: Principal, items: list[dict[str, Any]]) -> BatchResult:
    """Record what phones kept while offline: each item on its own (``created``,
    ``unchanged``, ``conflict`` or ``invalid``); re-sending creates nothing twice."""
    if len(items) > MAX_BATCH:
        raise PayloadTooLarge("batch_too_large", limit=MAX_BATCH)
    results: list[BatchItemResult | None] = [None] * len(items)
    parsed: list[tuple[int, ActivityBatchItem]] = []
    for index, raw in enumerate(items):
        try:
            parsed.append((index, ITEM.validate_python(raw)))
        except ValidationError as error:
            located = [
                {**e, "loc": ("body", "activities", index, *e.get("loc", ()))}
                for e in error.errors()
            ]
            results[index] = _invalid(index, raw, field_errors(located))
    checker = Checker(session, actor)
    checker.prefetch(
        {item.team_id for _, item in parsed},
        {item.unit_id for _, item in parsed if item.unit_id is not None},
    )
    checker.prefetch_memberships(
        [(item.team_id, m, item.activity_date) for _, item in parsed for m in item.member_ids]
    )
    stored = repository.existing(session, [item.id for _, item in parsed])
    new: list[tuple[int, ActivityBatchItem, Checked]] = []
    resent: list[tuple[int, ActivityBatchItem]] = []
    seen: set[uuid.UUID] = set()
    for index, item in parsed:
        if item.id in seen:
            results[index] = BatchItemResult(
                index=index,
                id=item.id,
                status=BatchItemStatus.INVALID,
                errors=[FieldError.of(f"body.activities.{index}.id", "duplicate_id")],
            )
            continue
        seen.add(item.id)
        if item.id in stored:
            resent.append((index, item))
            continue
        try:
            checked = checker.check(item, item.team_id, f"body.activities.{index}")
        except ProblemError as problem:
            results[index] = BatchItemResult(
                index=index,
                id=item.id,
                status=BatchItemStatus.INVALID,
                errors=as_field_errors(problem, f"body.activities.{index}"),
            )
            continue
        new.append((index, item, checked))
        results[index] = BatchItemResult(
            index=index, id=item.id, status=BatchItemStatus.CREATED, version=1
        )
    taken = _insert(session, actor, [(item.id, checked) for _, item, checked in new])
    # Written by another request since ``existing`` was read: answered like the others.
    resent += [(index, item) for index, item, _ in new if item.id in taken]
    reached = scope.get_many(session, actor, Activity, [item.id for _, item in resent], write=True)
    for index, item in resent:
        results[index] = _resent(checker, index, item, reached.get(item.id))
    done = [result for result in results if result is not None]
    counts = dict.fromkeys(BatchItemStatus, 0)
    for result in done:
        counts[result.status] += 1
    return BatchResult(
        created=counts[BatchItemStatus.CREATED],
        unchanged=counts[BatchItemStatus.UNCHANGED],
        conflict=counts[BatchItemStatus.CONFLICT],
        invalid=counts[BatchItemStatus.INVALID],
        items=done,
    )


def _invalid(index: int, raw: Any, errors: list[FieldError]) -> BatchItemResult:
    raw_id = raw.get("id") if isinstance(raw, dict) else None
    try:
        item_id = uuid.UUID(str(raw_id)) if raw_id is not None else None
    except ValueError:
        item_id = None
    return BatchItemResult(index=index, id=item_id, status=BatchItemStatus.INVALID, errors=errors)


def _resent(
    checker: Checker, index: int, item: ActivityBatchItem, reachable: Activity | None
) -> BatchItemResult:
    """An id already stored: the same report sent again (unchanged), or another one
    (conflict, with the stored version when the caller may see it: ``reachable``)."""
    if reachable is None:
        return BatchItemResult(index=index, id=item.id, status=BatchItemStatus.CONFLICT)
    try:
        team = checker.team(item.team_id)
        same = (
            content_hash(
                team_id=item.team_id,
                unit_id=item.unit_id or team.unit_id,
                activity_date=item.activity_date,
                categories=item.categories,
                member_ids=item.member_ids,
                values=item.values,
                campaign_id=item.campaign_id,
                organisation=checker.organisation(item.organisation),
                partner_staff=item.partner_staff,
                description=item.description,
                support_request_id=item.support_request_id,
            )
            == reachable.content_hash
        )
    except ProblemError:
        same = False
    status = BatchItemStatus.UNCHANGED if same else BatchItemStatus.CONFLICT
    return BatchItemResult(index=index, id=item.id, status=status, version=reachable.version)


# --- editing ----------------------------------------------------------------------------------


def _counted(session: Session, activity: Activity, batch: Review | None = None) -> aggregates.Facts:
    """What the stored report counts for (read with the others of a batch)."""
    if batch is not None:
        return batch.counted[activity.id]
    return aggregates.facts_of(session, [activity.id])[activity.id]


def _check_open(
    session: Session,
    activity: Activity,
    counted: aggregates.Facts,
    batch: Review | None = None,
) -> None:
    if activity.status is ActivityStatus.APPROVED:
        raise Conflict("activity_approved")
    campaign_open(session, activity, batch.campaigns if batch else None)
    month = (activity.unit_id, closure.first_of_month(activity.activity_date))
    if batch is None or month not in batch.open_months:
        closure.ensure_month_open(session, activity.activity_date, counted.stored_path)
        if batch is not None:
            batch.open_months.add(month)


def _fields_of(session: Session, activity: Activity) -> dict[str, Any]:
    categories, values, members = repository.details(session, [activity.id])
    return {
        "activity_date": activity.activity_date,
        "unit_id": activity.unit_id,
        "categories": categories.get(activity.id, []),
        "member_ids": members.get(activity.id, []),
        "values": values.get(activity.id, {}),
        "campaign_id": activity.campaign_id,
        "organisation": activity.organisation,
        "partner_staff": activity.partner_staff,
        "support_request_id": activity.support_request_id,
        "description": activity.description,
    }


def update_activity(
    session: Session,
    actor: Principal,
    activity: Activity,
    data: ActivityUpdate,
    expected: ExpectedVersion,
) -> Activity:
    """Change a report that is not approved; a rejected one is submitted again."""
    expected.check(activity.version)
    counted = _counted(session, activity)
    _check_open(session, activity, counted)
    current = _fields_of(session, activity)
    requested = data.model_dump(exclude_unset=True)
    _keep_attribution(activity, requested)
    nullable = {
        "campaign_id",
        "organisation",
        "partner_staff",
        "support_request_id",
        "description",
        "unit_id",
    }
    merged = {
        **current,
        **{k: v for k, v in requested.items() if v is not None or k in nullable},
    }
    checker = Checker(session, actor)
    checker.keep_recorded(activity.unit_id, current["member_ids"])
    checked = checker.check(ActivityFields(**merged), activity.team_id)
    before = audit.snapshot(activity)
    repository.replace_parts(
        session, activity.id, checked.category_ids, checked.member_ids, checked.values
    )
    update_versioned(
        session,
        activity,
        {
            "unit_id": checked.place.id,
            "activity_date": checked.activity_date,
            "campaign_id": checked.campaign.id if checked.campaign else None,
            "organisation": checked.organisation,
            "partner_staff": checked.partner_staff,
            "support_request_id": checked.support_request_id,
            "description": checked.description,
            "content_hash": checked.content_hash,
            "status": ActivityStatus.SUBMITTED,
            "rejection_reason": None,
            "reviewed_by_user_id": None,
            "reviewed_by_name": None,
            "reviewed_role": None,
            "reviewed_at": None,
        },
    )
    audit.updated(
        session,
        actor,
        activity,
        before,
        checked.place.path,
        extra_before={"parts": _parts(current)},
        extra_after={"parts": _parts(merged)},  # as checked and stored: no second read
        via_unit_id=_via(session, actor, checked.place.id, checked.place.path),
    )
    aggregates.change(session, [counted], [_facts(checked, ActivityStatus.SUBMITTED)])
    return activity


def _keep_attribution(activity: Activity, requested: dict[str, Any]) -> None:
    """Who recorded a report, and for which organisation a partner recorded it, is
    attribution: fixed for good (``recorded_by`` is never written after recording; a
    partner's organisation neither). A report recorded by a user names its supporting
    partner freely while it is editable."""
    if (
        activity.recorded_role is Role.PARTNER
        and "organisation" in requested
        and requested["organisation"] != activity.organisation
    ):
        raise Unprocessable.at(
            "body.organisation", "attribution_fixed", organisation=activity.organisation
        )


def _parts(fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "categories": sorted(fields["categories"]),
        "member_ids": sorted(str(m) for m in fields["member_ids"]),
        "values": dict(sorted(fields["values"].items())),
    }


def delete_activity(
    session: Session, actor: Principal, activity: Activity, expected: ExpectedVersion
) -> None:
    expected.check(activity.version)
    counted = _counted(session, activity)
    _check_open(session, activity, counted)
    before, activity_id = audit.snapshot(activity), activity.id
    repository.delete_parts(session, activity.id)
    delete_versioned(session, activity)
    via = _via(session, actor, before["unit_id"], counted.stored_path)
    audit.deleted(
        session, actor, Activity, activity_id, before, counted.stored_path, via_unit_id=via
    )
    aggregates.change(session, [counted], [])


# --- review -------------------------------------------------------------------------------------


def _may_review(session: Session, actor: Principal, activity: Activity) -> None:
    """Above the recorder's tier, and not the recorder."""
    if actor.kind is PrincipalKind.USER and activity.recorded_by_user_id == actor.id:
        raise audit.denied(session, actor, Permission.ACTIVITIES_APPROVE, "own_report")
    if actor.role is Role.PROVINCE_ADMIN:
        return
    if RANK.get(actor.role, 0) <= RECORDING_RANK[activity.recorded_role]:
        raise audit.denied(session, actor, Permission.ACTIVITIES_APPROVE, "review_tier")


@dataclass
class Review:
    """Reports reviewed together: what each counted, read at once, and the aggregates'
    change, written once for all."""

    counted: dict[uuid.UUID, aggregates.Facts]
    delta: aggregates.Delta = field(default_factory=aggregates.Delta)
    campaigns: dict[uuid.UUID, Campaign] = field(default_factory=dict)
    # (place, month) found open by the allowance statements' check.
    open_months: set[tuple[uuid.UUID, date]] = field(default_factory=set)


def _review(
    session: Session,
    actor: Principal,
    activity: Activity,
    counted: aggregates.Facts,
    status: ActivityStatus,
    action: AuditAction,
    reason: str | None = None,
    batch: Review | None = None,
) -> Activity:
    before = audit.snapshot(activity)
    reviewed = status is not ActivityStatus.SUBMITTED
    update_versioned(
        session,
        activity,
        {
            "status": status,
            "rejection_reason": reason,
            "reviewed_by_user_id": actor.id
            if reviewed and actor.kind is PrincipalKind.USER
            else None,
            "reviewed_by_name": actor.name if reviewed else None,
            "reviewed_role": actor.role if reviewed else None,
            "reviewed_at": utcnow() if reviewed else None,
        },
    )
    audit.updated(
        session,
        actor,
        activity,
        before,
        counted.stored_path,
        action=action,
        via_unit_id=_via(session, actor, activity.unit_id, counted.stored_path),
    )
    delta = batch.delta if batch else aggregates.Delta()
    delta.add(counted, -1)
    delta.add(replace(counted, status=status), +1)
    if batch is None:
        aggregates.apply(session, delta)
    return activity


def approve(
    session: Session, actor: Principal, activity: Activity, batch: Review | None = None
) -> Activity:
    _may_review(session, actor, activity)
    if activity.status is ActivityStatus.APPROVED:
        raise Conflict("activity_approved")
    if activity.status is ActivityStatus.REJECTED:
        raise Conflict("activity_rejected")
    counted = _counted(session, activity, batch)
    _check_open(session, activity, counted, batch)
    return _review(
        session,
        actor,
        activity,
        counted,
        ActivityStatus.APPROVED,
        AuditAction.APPROVE,
        batch=batch,
    )


def reject(session: Session, actor: Principal, activity: Activity, reason: str) -> Activity:
    _may_review(session, actor, activity)
    if activity.status is ActivityStatus.APPROVED:
        raise Conflict("activity_approved")
    if activity.status is ActivityStatus.REJECTED:
        raise Conflict("activity_rejected")
    counted = _counted(session, activity)
    _check_open(session, activity, counted)
    return _review(
        session, actor, activity, counted, ActivityStatus.REJECTED, AuditAction.REJECT, reason
    )


def reopen(session: Session, actor: Principal, activity: Activity) -> Activity:
    """Back to submitted: by its approver, or a tier above the approver's."""
    if activity.status is not ActivityStatus.APPROVED:
        raise Conflict("activity_not_approved")
    if actor.kind is PrincipalKind.USER and activity.recorded_by_user_id == actor.id:
        raise audit.denied(session, actor, Permission.ACTIVITIES_APPROVE, "own_report")
    approver = activity.reviewed_by_user_id == actor.id
    above = actor.role is Role.PROVINCE_ADMIN or RANK.get(actor.role, 0) > RANK.get(
        activity.reviewed_role or Role.PROVINCE_ADMIN, 0
    )
    if not (approver or above):
        raise audit.denied(session, actor, Permission.ACTIVITIES_APPROVE, "review_tier")
    campaign_open(session, activity)
    counted = _counted(session, activity)
    closure.ensure_month_open(session, activity.activity_date, counted.stored_path)
    return _review(session, actor, activity, counted, ActivityStatus.SUBMITTED, AuditAction.REOPEN)


def campaign_open(
    session: Session, activity: Activity, known: dict[uuid.UUID, Campaign] | None = None
) -> None:
    """409 when the activity counts for a campaign that is closed (``known``: campaigns
    already read for other reports of a list). The campaign's row is held (key share)
    until the write ends, so closing it waits for the write, or the write reads it
    closed."""
    if activity.campaign_id is not None:
        campaign = (known or {}).get(activity.campaign_id)
        if campaign is None:
            campaign = campaign_service.campaign_of_record(
                session, activity.campaign_id, lock=scope.Lock.KEY_SHARE
            )
            if known is not None:
                known[campaign.id] = campaign
        if campaign_service.status_of(campaign) is CampaignStatus.CLOSED:
            raise Conflict("campaign_closed")


def approve_many(
    session: Session, actor: Principal, activity_ids: list[uuid.UUID]
) -> ApproveManyResult:
    """Approve a list at once (a commune officer's day of reports); each id answers on its
    own, and one that cannot be approved does not hold back the others."""
    wanted = list(dict.fromkeys(activity_ids))
    reached = scope.get_many(session, actor, Activity, wanted, write=True, lock=scope.Lock.UPDATE)
    batch = Review(aggregates.facts_of(session, list(reached)))
    results: list[ApproveResult] = []
    for activity_id in wanted:
        try:
            activity = reached.get(activity_id)
            if activity is None:
                raise NotFound(resource="activity")
            approve(session, actor, activity, batch)
            results.append(
                ApproveResult(id=activity_id, status="approved", version=activity.version)
            )
        except ProblemError as problem:
            results.append(ApproveResult(id=activity_id, status=problem.code))
    aggregates.apply(session, batch.delta)
    approved = sum(1 for result in results if result.status == "approved")
    return ApproveManyResult(approved=approved, items=results)


# --- export -------------------------------------------------------------------------------------


# The export speaks the caller's language (``Accept-Language``), headers, contents,
# indicators and statuses alike; lists in a cell are joined by `` | `` (names hold commas).
EXPORT_HEADERS: dict[Language, tuple[str, ...]] = {
    "vi": (
        "Mã hoạt động",
        "Ngày",
        "Tổ",
        "Địa điểm",
        "Tỉnh",
        "Huyện",
        "Xã",
        "Thôn",
        "Nội dung",
        "Số liệu",
        "Số thành viên tham gia",
        "Đơn vị hỗ trợ",
        "Số cán bộ hỗ trợ",
        "Mô tả",
        "Trạng thái",
        "Lý do trả lại",
        "Người ghi nhận",
        "Người duyệt",
    ),
    "en": (
        "Activity id",
        "Date",
        "Team",
        "Place",
        "Province",
        "District",
        "Commune",
        "Village",
        "Contents",
        "Figures",
        "Members taking part",
        "Supporting partner",
        "Partner staff",
        "Description",
        "Status",
        "Reason for rejection",
        "Recorded by",
        "Reviewed by",
    ),
}
STATUS_NAMES: dict[Language, dict[ActivityStatus, str]] = {
    "vi": {
        ActivityStatus.SUBMITTED: "Chờ duyệt",
        ActivityStatus.APPROVED: "Đã duyệt",
        ActivityStatus.REJECTED: "Trả lại",
    },
    "en": {
        ActivityStatus.SUBMITTED: "Submitted",
        ActivityStatus.APPROVED: "Approved",
        ActivityStatus.REJECTED: "Rejected",
    },
}


def export_rows(
    database: Database, statement: Select[Any], language: Language
) -> Iterator[list[Any]]:
    """Rows of the activities export, read in batches on a session of their own."""
    with database.session() as session:
        names = catalogue_service.names(session, language)
        batch: list[Row[Any]] = []
        for row in repository.stream_activities(session, statement):
            batch.append(row)
            if len(batch) == 1000:
                yield from _export_batch(session, batch, names, language)
                batch = []
        yield from _export_batch(session, batch, names, language)


def _export_batch(
    session: Session, rows: list[Row[Any]], names: CatalogueNames, language: Language
) -> Iterable[list[Any]]:
    for activity in present(session, rows):
        places = [*activity.unit_path_names, "", "", "", ""]
        yield [
            str(activity.id),
            activity.activity_date.isoformat(),
            activity.team_name,
            activity.unit_name,
            places[0],
            places[1],
            places[2],
            places[3],
            LIST_SEPARATOR.join(names.category(code) for code in activity.categories),
            LIST_SEPARATOR.join(
                f"{names.indicator(code)}: {value}" for code, value in activity.values.items()
            ),
            len(activity.member_ids),
            activity.organisation,
            activity.partner_staff,
            activity.description,
            STATUS_NAMES[language][activity.status],
            activity.rejection_reason,
            activity.recorded_by.name,
            activity.reviewed_by.name if activity.reviewed_by else None,
        ]


def assisted_rows(
    session: Session, actor: Principal, indicator_id: uuid.UUID | None
) -> list[Row[Any]]:
    """Reports made with partner staff that the caller reaches (dashboards)."""
    return repository.assisted_rows(session, actor, indicator_id)
