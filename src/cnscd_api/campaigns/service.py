"""Campaign rules.

- A campaign is province-wide or district-wide; the province admin creates either in its
  province, a district officer only its district's. Everyone in scope reads it (a
  commune officer reads the campaigns of its district and province).
- Status follows the dates (``CampaignStatus``); closing early and reopening are
  explicit and audited; a closed campaign's dates, categories and indicators stay as
  they were (409 ``campaign_closed``).
- Targets cascade: every tier splits its own target among its direct children, and the
  children's sum for an indicator may not exceed the parent's, nor a parent's be lowered
  below what its children were given.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Row
from sqlmodel import Session

from cnscd_api.campaigns import repository
from cnscd_api.campaigns.schemas import (
    CampaignClose,
    CampaignCreate,
    CampaignFilters,
    CampaignRead,
    CampaignReopen,
    CampaignSort,
    CampaignUpdate,
    CategoryRef,
    ChildTargets,
    IndicatorRef,
    TargetSetRead,
    TargetSetWrite,
    TrackedIndicator,
)
from cnscd_api.catalogue import service as catalogue_service
from cnscd_api.core import audit, clock, scope
from cnscd_api.core.concurrency import ExpectedVersion, update_versioned
from cnscd_api.core.errors import Conflict, FieldError, PreconditionFailed, Unprocessable
from cnscd_api.core.i18n import Language
from cnscd_api.core.pagination import PageParams
from cnscd_api.core.permissions import Permission, Principal
from cnscd_api.core.scope import path_in_subtree_text
from cnscd_api.core.text import fold
from cnscd_api.models import (
    AuditAction,
    AuditEntity,
    Campaign,
    CampaignStatus,
    ContentCategory,
    Indicator,
    Unit,
    UnitLevel,
    utcnow,
)
from cnscd_api.units import service as unit_service

SCOPE_LEVELS = frozenset({UnitLevel.PROVINCE, UnitLevel.DISTRICT})


# --- reading ----------------------------------------------------------------------------


def status_of(campaign: Campaign) -> CampaignStatus:
    today = clock.today()
    if campaign.closed_at is not None:
        return CampaignStatus.CLOSED
    if today < campaign.starts_on:
        return CampaignStatus.PLANNED
    if today <= campaign.reporting_until:
        return CampaignStatus.ACTIVE
    return CampaignStatus.CLOSED


def get_campaign(
    session: Session, actor: Principal, campaign_id: uuid.UUID, *, lock: scope.Lock | None = None
) -> Campaign:
    """A campaign the caller may read: its scope is in, or above, the caller's (``lock``:
    a report relying on its days and categories takes ``KEY_SHARE``)."""
    return scope.get_or_404(session, actor, Campaign, campaign_id, lock=lock)


def get_campaign_for_write(session: Session, actor: Principal, campaign_id: uuid.UUID) -> Campaign:
    """A campaign the caller may edit: readable (else 404), of a unit that still exists,
    and scoped inside the caller's own subtree — a district officer reads the province's
    campaign but may not edit it.

    A campaign whose scope unit a reorganisation closed (the 2024 peak of Tỉnh Kon Tum,
    read by Quảng Ngãi's admin) is history: nobody edits, closes, reopens it or changes
    its targets (409 ``campaign_scope_closed``), as nobody writes what its closed units
    hold; a campaign for today's map is created on today's units."""
    campaign = get_campaign(session, actor, campaign_id)
    unit = unit_service.unit_by_id(session, campaign.scope_unit_id)
    if unit.valid_to is not None and unit.valid_to < clock.today():
        raise Conflict("campaign_scope_closed", unit=unit.name, closed_on=unit.valid_to)
    if not path_in_subtree_text(unit.path, actor.scope_path):
        raise audit.denied(session, actor, Permission.CAMPAIGNS_WRITE, "campaign_not_yours")
    return campaign


def campaign_of_record(
    session: Session, campaign_id: uuid.UUID, *, lock: scope.Lock | None = None
) -> Campaign:
    """The campaign an object the caller already reached points at (an activity's)."""
    return repository.campaign_by_id(session, campaign_id, lock=lock)


def categories_of(session: Session, campaign: Campaign) -> list[ContentCategory]:
    return repository.categories_of(session, campaign.id)


def list_campaigns(
    session: Session,
    actor: Principal,
    filters: CampaignFilters,
    page: PageParams,
    sort: CampaignSort | None,
) -> tuple[list[Row[Any]], int]:
    unit_path = None
    if filters.unit_id is not None:
        unit_path = unit_service.get_unit(session, actor, filters.unit_id).path
    return repository.list_campaigns(session, actor, filters, unit_path, page, sort, clock.today())


def read_campaign(session: Session, campaign: Campaign, language: Language) -> CampaignRead:
    vietnamese = language == "vi"
    _, scope_names = unit_service.unit_names(session, campaign.scope_unit_id)
    categories = [
        CategoryRef(
            code=c.code,
            name=c.name_vi if vietnamese else c.name_en,
            name_vi=c.name_vi,
            name_en=c.name_en,
        )
        for c in repository.categories_of(session, campaign.id)
    ]
    indicators = [
        IndicatorRef(
            code=i.code,
            name=i.name_vi if vietnamese else i.name_en,
            name_vi=i.name_vi,
            name_en=i.name_en,
            unit=i.unit_vi if vietnamese else i.unit_en,
            target=target,
        )
        for i, target in repository.indicators_of(session, campaign.id)
    ]
    return CampaignRead(
        **campaign.model_dump(exclude={"search_name", "is_demo", "reopened_until"}),
        scope_unit_path_names=scope_names,
        status=status_of(campaign),
        categories=categories,
        indicators=indicators,
    )


# --- writing the campaign ------------------------------------------------------------------


def _no_duplicates(codes: Sequence[str], field: str) -> None:
    seen: set[str] = set()
    errors = []
    for index, code in enumerate(codes):
        if code in seen:
            errors.append(FieldError.of(f"{field}.{index}", "duplicate_code", code_value=code))
        seen.add(code)
    if errors:
        raise Unprocessable(errors=errors)


def _catalogue_choice(
    session: Session, categories: Sequence[str], indicators: Sequence[TrackedIndicator]
) -> tuple[list[ContentCategory], list[tuple[Indicator, int | None]]]:
    """The categories and indicators a campaign names: known, not retired, no duplicates,
    and each indicator reportable under one of the campaign's categories."""
    indicator_codes = [i.code for i in indicators]
    _no_duplicates(categories, "body.categories")
    _no_duplicates(indicator_codes, "body.indicators")
    found_categories = catalogue_service.resolve_categories(session, categories, "body.categories")
    found_indicators = catalogue_service.resolve_indicators(
        session, indicator_codes, "body.indicators"
    )
    errors = [
        FieldError.of(f"body.categories.{index}", "catalogue_entry_retired", code_value=code)
        for index, code in enumerate(categories)
        if found_categories[code].retired
    ]
    chosen = set(categories)
    links = catalogue_service.category_codes_of(session, [i.id for i in found_indicators.values()])
    for index, code in enumerate(indicator_codes):
        indicator = found_indicators[code]
        if indicator.retired:
            errors.append(
                FieldError.of(
                    f"body.indicators.{index}", "catalogue_entry_retired", code_value=code
                )
            )
        elif not chosen.intersection(links[indicator.id]):
            errors.append(
                FieldError.of(
                    f"body.indicators.{index}.code",
                    "indicator_outside_categories",
                    code_value=code,
                )
            )
    if errors:
        raise Unprocessable(errors=errors)
    return (
        [found_categories[code] for code in categories],
        [(found_indicators[i.code], i.target) for i in indicators],
    )


def _check_dates(starts_on: Any, ends_on: Any) -> None:
    if ends_on < starts_on:
        raise Unprocessable(
            errors=[
                FieldError.of("body.ends_on", "ends_before_start", starts_on=starts_on.isoformat())
            ]
        )


def _reporting_until(campaign_values: dict[str, Any]) -> Any:
    natural = campaign_values["ends_on"] + timedelta(days=campaign_values["grace_days"])
    reopened = campaign_values.get("reopened_until")
    return max(natural, reopened) if reopened is not None else natural


def create_campaign(session: Session, actor: Principal, data: CampaignCreate) -> Campaign:
    scope_unit = unit_service.get_unit_for_write(session, actor, data.scope_unit_id)
    if scope_unit.level not in SCOPE_LEVELS:
        raise Unprocessable(errors=[FieldError.of("body.scope_unit_id", "campaign_scope_level")])
    _check_dates(data.starts_on, data.ends_on)
    if repository.code_taken(session, data.code):
        raise Conflict("campaign_code_taken", code_value=data.code)
    categories, indicators = _catalogue_choice(session, data.categories, data.indicators)
    values = data.model_dump(exclude={"categories", "indicators"})
    campaign = Campaign(
        **values,
        search_name=fold(data.name),
        reporting_until=_reporting_until(values),
    )
    repository.add(session, campaign)
    repository.set_categories(session, campaign.id, [c.id for c in categories])
    repository.set_indicators(session, campaign.id, {i.id: t for i, t in indicators})
    audit.created(
        session,
        actor,
        campaign,
        scope_unit.path,
        extra={
            "categories": [c.code for c in categories],
            "indicators": {i.code: t for i, t in indicators},
        },
    )
    return campaign


def update_campaign(
    session: Session,
    actor: Principal,
    campaign: Campaign,
    data: CampaignUpdate,
    expected: ExpectedVersion,
) -> Campaign:
    expected.check(campaign.version)
    requested = data.model_dump(exclude_unset=True)
    if {"starts_on", "ends_on", "categories", "indicators"} & set(requested):
        # What reports rely on (their days, categories and indicators) and the cascade of
        # targets are checked by one writer at a time, after the reports being written.
        repository.lock_campaign(session, campaign.id, against_reports=True)
    categories = requested.pop("categories", None)
    indicators = data.indicators if "indicators" in requested else None
    requested.pop("indicators", None)
    values = {k: v for k, v in requested.items() if v is not None or k == "description"}
    frozen = {"starts_on", "ends_on", "grace_days"} & set(values)
    if status_of(campaign) is CampaignStatus.CLOSED and (
        frozen or categories is not None or indicators is not None
    ):
        raise Conflict("campaign_closed")
    merged = {**campaign.model_dump(), **values}
    _check_dates(merged["starts_on"], merged["ends_on"])
    if {"starts_on", "ends_on"} & set(values):
        _check_reports_within(session, campaign, merged["starts_on"], merged["ends_on"])
    values["reporting_until"] = _reporting_until(merged)
    if "name" in values:
        values["search_name"] = fold(values["name"])
    scope_path = unit_service.unit_path(session, campaign.scope_unit_id)
    extra_before: dict[str, Any] = {}
    extra_after: dict[str, Any] = {}
    if categories is not None or indicators is not None:
        kept_categories = repository.categories_of(session, campaign.id)
        old_categories = [c.code for c in kept_categories]
        old_indicators = repository.indicators_of(session, campaign.id)
        chosen_categories, chosen_indicators = _catalogue_choice(
            session,
            categories if categories is not None else old_categories,
            indicators
            if indicators is not None
            else [TrackedIndicator(code=i.code, target=t) for i, t in old_indicators],
        )
        chosen_ids = {c.id for c in chosen_categories} | {i.id for i, _ in chosen_indicators}
        _check_reports_kept(
            session,
            campaign,
            [c for c in kept_categories if c.id not in chosen_ids],
            [i for i, _ in old_indicators if i.id not in chosen_ids],
        )
        _check_own_targets(session, campaign, chosen_indicators)
        repository.set_categories(session, campaign.id, [c.id for c in chosen_categories])
        repository.set_indicators(session, campaign.id, {i.id: t for i, t in chosen_indicators})
        extra_before = {
            "categories": old_categories,
            "indicators": {i.code: t for i, t in old_indicators},
        }
        extra_after = {
            "categories": [c.code for c in chosen_categories],
            "indicators": {i.code: t for i, t in chosen_indicators},
        }
    before = audit.snapshot(campaign)
    update_versioned(session, campaign, values)
    audit.updated(
        session,
        actor,
        campaign,
        before,
        scope_path,
        extra_before=extra_before,
        extra_after=extra_after,
    )
    return campaign


def _check_reports_within(
    session: Session, campaign: Campaign, starts_on: Any, ends_on: Any
) -> None:
    """New days may not leave out a report of the campaign (409, counting them): it would
    still count in the dashboards and no longer be editable (its date outside the days)."""
    outside = repository.reports_outside(session, campaign.id, starts_on, ends_on)
    if outside:
        raise Conflict(
            "campaign_reports_outside",
            count=outside,
            starts_on=starts_on.isoformat(),
            ends_on=ends_on.isoformat(),
        )


def _check_reports_kept(
    session: Session,
    campaign: Campaign,
    dropped_categories: list[ContentCategory],
    dropped_indicators: list[Indicator],
) -> None:
    """A category the campaign's reports are in, or an indicator they count, stays in the
    campaign (409, counting the reports): the reports could no longer be edited, or
    their counts would drop out of the campaign's progress."""
    in_categories = repository.reports_in_categories(
        session, campaign.id, {c.id for c in dropped_categories}
    )
    for category in sorted(dropped_categories, key=lambda c: c.code):
        if in_categories.get(category.id):
            raise Conflict(
                "campaign_category_in_use",
                count=in_categories[category.id],
                code_value=category.code,
            )
    counting = repository.reports_counting(session, campaign.id, {i.id for i in dropped_indicators})
    for indicator in sorted(dropped_indicators, key=lambda i: i.code):
        if counting.get(indicator.id):
            raise Conflict(
                "campaign_indicator_in_use", count=counting[indicator.id], code_value=indicator.code
            )


def _check_own_targets(
    session: Session, campaign: Campaign, indicators: list[tuple[Indicator, int | None]]
) -> None:
    """The campaign's own targets are its scope unit's: they may not fall below what the
    scope unit gave its children, and an indicator with targets below stays tracked."""
    sums = repository.children_sums(session, campaign.id, [campaign.scope_unit_id])
    by_id = {i.id: (i, target) for i, target in indicators}
    errors = []
    for (_, indicator_id), total in sums.items():
        found = by_id.get(indicator_id)
        if found is None:
            dropped = session.get(Indicator, indicator_id)
            code = dropped.code if dropped is not None else str(indicator_id)
            errors.append(FieldError.of("body.indicators", "indicator_has_targets", indicator=code))
            continue
        indicator, target = found
        if target is None or target < total:
            errors.append(
                FieldError.of(
                    "body.indicators",
                    "target_below_children",
                    unit=unit_service.unit_names(session, campaign.scope_unit_id)[0],
                    indicator=indicator.code,
                    total=total,
                    value=target if target is not None else 0,
                )
            )
    if errors:
        raise Unprocessable(errors=errors)


def close_campaign(
    session: Session, actor: Principal, campaign: Campaign, data: CampaignClose
) -> Campaign:
    # After the reports being written or reviewed under it (they hold its row), before
    # the next ones, which then read it closed.
    repository.lock_campaign(session, campaign.id, against_reports=True)
    session.refresh(campaign)
    if status_of(campaign) is CampaignStatus.CLOSED:
        raise Conflict("campaign_closed")
    before = audit.snapshot(campaign)
    update_versioned(session, campaign, {"closed_at": utcnow(), "closed_reason": data.reason})
    audit.updated(
        session,
        actor,
        campaign,
        before,
        unit_service.unit_path(session, campaign.scope_unit_id),
        action=AuditAction.CLOSE,
    )
    return campaign


def reopen_campaign(
    session: Session, actor: Principal, campaign: Campaign, data: CampaignReopen
) -> Campaign:
    """Reopen a closed campaign; when its own reporting days are over, until ``until``."""
    if status_of(campaign) is not CampaignStatus.CLOSED:
        raise Conflict("campaign_not_closed")
    today = clock.today()
    natural = campaign.ends_on + timedelta(days=campaign.grace_days)
    values: dict[str, Any] = {"closed_at": None, "closed_reason": None}
    if data.until is not None:
        if data.until < today:
            raise Unprocessable(
                errors=[FieldError.of("body.until", "reopen_until_past", today=today.isoformat())]
            )
        values["reopened_until"] = data.until
    elif natural < today:
        raise Unprocessable(errors=[FieldError.of("body.until", "reopen_needs_until")])
    values["reporting_until"] = _reporting_until({**campaign.model_dump(), **values})
    before = audit.snapshot(campaign)
    update_versioned(session, campaign, values)
    audit.updated(
        session,
        actor,
        campaign,
        before,
        unit_service.unit_path(session, campaign.scope_unit_id),
        action=AuditAction.REOPEN,
        extra_after={"reason": data.reason},
    )
    return campaign


# --- targets ----------------------------------------------------------------------------


def _parent_unit(
    session: Session, actor: Principal, campaign: Campaign, unit_id: uuid.UUID | None, write: bool
) -> Unit:
    """The unit whose split of targets is asked for: inside the campaign's scope, and
    reached by the caller (for writing, inside the caller's own subtree). Without one, the
    campaign's scope unit, or the caller's own unit when the campaign's lies above it (a
    commune officer reading a province campaign sees its commune's targets)."""
    wanted = unit_id or campaign.scope_unit_id
    if unit_id is None:
        scope_path = unit_service.unit_path(session, campaign.scope_unit_id)
        if not path_in_subtree_text(scope_path, actor.scope_path):
            wanted = actor.scope_unit_id or wanted
    unit = (
        unit_service.get_unit_for_write(session, actor, wanted)
        if write
        else unit_service.get_unit(session, actor, wanted)
    )
    scope_path = unit_service.unit_path(session, campaign.scope_unit_id)
    if not path_in_subtree_text(unit.path, scope_path):
        raise Unprocessable(errors=[FieldError.of("unit_id", "unit_outside_campaign")])
    return unit


def _limits(session: Session, campaign: Campaign, unit: Unit) -> dict[uuid.UUID, int]:
    """The unit's own target per indicator: the campaign's for its scope unit, else what
    the unit's parent gave it."""
    if unit.id == campaign.scope_unit_id:
        return {
            indicator.id: target
            for indicator, target in repository.indicators_of(session, campaign.id)
            if target is not None
        }
    return {
        indicator_id: value
        for (_, indicator_id), value in repository.targets_of_units(
            session, campaign.id, [unit.id]
        ).items()
    }


def read_targets(
    session: Session, actor: Principal, campaign: Campaign, unit_id: uuid.UUID | None
) -> TargetSetRead:
    parent = _parent_unit(session, actor, campaign, unit_id, write=False)
    codes = {i.id: i.code for i, _ in repository.indicators_of(session, campaign.id)}
    children = repository.current_children(session, parent.id, clock.today())
    given = repository.targets_of_units(session, campaign.id, [c.id for c in children])
    return TargetSetRead(
        campaign_id=campaign.id,
        unit_id=parent.id,
        unit_name=parent.name,
        version=repository.target_set_version(session, campaign.id, parent.id),
        limits={
            codes[i]: value for i, value in _limits(session, campaign, parent).items() if i in codes
        },
        children=[
            ChildTargets(
                unit_id=child.id,
                unit_name=child.name,
                targets={
                    codes[indicator_id]: value
                    for (unit, indicator_id), value in given.items()
                    if unit == child.id and indicator_id in codes
                },
            )
            for child in children
        ],
    )


def write_targets(
    session: Session,
    actor: Principal,
    campaign: Campaign,
    data: TargetSetWrite,
    expected: ExpectedVersion,
) -> TargetSetRead:
    """Replace the targets a unit gives its direct children, after checking the cascade."""
    if status_of(campaign) is CampaignStatus.CLOSED:
        raise Conflict("campaign_closed")
    parent = _parent_unit(session, actor, campaign, data.unit_id, write=True)
    # The parent's limit and the sums below are read under the campaign's lock, which
    # every write of the cascade takes first: no two of them check against each other's
    # stale figures (a province lowering a district while the district splits more).
    repository.lock_campaign(session, campaign.id, against_reports=False)
    seen = repository.target_set_version(session, campaign.id, parent.id)
    expected.check(seen)
    tracked = {i.code: i for i, _ in repository.indicators_of(session, campaign.id)}
    children = {c.id: c for c in repository.current_children(session, parent.id, clock.today())}
    errors: list[FieldError] = []
    chosen: list[tuple[uuid.UUID, uuid.UUID, int]] = []
    for index, target in enumerate(data.targets):
        if target.unit_id not in children:
            errors.append(FieldError.of(f"body.targets.{index}.unit_id", "not_a_child"))
        if target.indicator not in tracked:
            errors.append(
                FieldError.of(
                    f"body.targets.{index}.indicator",
                    "indicator_not_tracked",
                    code_value=target.indicator,
                )
            )
        if not errors:
            chosen.append((target.unit_id, tracked[target.indicator].id, target.value))
    if errors:
        raise Unprocessable(errors=errors)
    errors = _cascade_errors(session, campaign, parent, children, tracked, chosen)
    if errors:
        raise Unprocessable("targets_invalid", errors=errors)
    before = _as_audit(repository.targets_of_units(session, campaign.id, list(children)), tracked)
    if repository.replace_target_set(session, campaign.id, parent.id, seen, chosen) is None:
        raise PreconditionFailed()
    audit.record(
        session,
        actor=actor,
        action=AuditAction.UPDATE,
        entity=AuditEntity.CAMPAIGN_TARGETS,
        entity_id=campaign.id,
        unit_path=parent.path,
        before=before,
        after=_as_audit({(u, i): v for u, i, v in chosen}, tracked),
    )
    return read_targets(session, actor, campaign, parent.id)


def _as_audit(
    targets: dict[tuple[uuid.UUID, uuid.UUID], int], tracked: dict[str, Indicator]
) -> dict[str, int]:
    codes = {i.id: code for code, i in tracked.items()}
    return {f"{unit}/{codes.get(i, i)}": value for (unit, i), value in targets.items()}


def _cascade_errors(
    session: Session,
    campaign: Campaign,
    parent: Unit,
    children: dict[uuid.UUID, Unit],
    tracked: dict[str, Indicator],
    chosen: list[tuple[uuid.UUID, uuid.UUID, int]],
) -> list[FieldError]:
    codes = {i.id: code for code, i in tracked.items()}
    errors: list[FieldError] = []
    # Up: the children's sum may not exceed the parent's own target.
    limits = _limits(session, campaign, parent)
    sums: dict[uuid.UUID, int] = {}
    for _, indicator_id, value in chosen:
        sums[indicator_id] = sums.get(indicator_id, 0) + value
    for indicator_id, total in sums.items():
        limit = limits.get(indicator_id)
        if limit is None:
            errors.append(
                FieldError.of(
                    "body.targets",
                    "parent_target_missing",
                    unit=parent.name,
                    indicator=codes[indicator_id],
                )
            )
        elif total > limit:
            errors.append(
                FieldError.of(
                    "body.targets",
                    "target_exceeds_parent",
                    unit=parent.name,
                    indicator=codes[indicator_id],
                    total=total,
                    limit=limit,
                )
            )
    # Down: a child's new target may not fall below what that child gave its own children.
    new_values = {(unit_id, indicator_id): value for unit_id, indicator_id, value in chosen}
    below = repository.children_sums(session, campaign.id, list(children))
    for (child_id, indicator_id), total in below.items():
        given = new_values.get((child_id, indicator_id))
        if given is None or given < total:
            errors.append(
                FieldError.of(
                    "body.targets",
                    "target_below_children",
                    unit=children[child_id].name,
                    indicator=codes.get(indicator_id, str(indicator_id)),
                    total=total,
                    value=given if given is not None else 0,
                )
            )
    return errors
