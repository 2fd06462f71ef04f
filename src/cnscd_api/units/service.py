"""Unit rules: reads limited to what the caller may see; villages are created and edited
by officers in scope, districts and communes by the province admin only."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row
from sqlmodel import Session

from cnscd_api.core import audit, clock, scope
from cnscd_api.core.concurrency import ExpectedVersion, update_versioned
from cnscd_api.core.errors import Conflict, FieldError, Unprocessable
from cnscd_api.core.pagination import PageParams
from cnscd_api.core.permissions import Permission, Principal
from cnscd_api.core.text import fold
from cnscd_api.models import Unit, UnitLevel
from cnscd_api.units import repository
from cnscd_api.units.levels import ALLOWED_PARENTS
from cnscd_api.units.naming import division_type_for, division_type_from_name, new_unit
from cnscd_api.units.schemas import (
    LineageRead,
    UnitBrief,
    UnitCreate,
    UnitFilters,
    UnitLineageRead,
    UnitSort,
    UnitUpdate,
)

LEVEL_BELOW = {
    UnitLevel.PROVINCE: UnitLevel.DISTRICT,
    UnitLevel.DISTRICT: UnitLevel.COMMUNE,
    UnitLevel.COMMUNE: UnitLevel.VILLAGE,
}


def write_permission(level: UnitLevel) -> Permission | None:
    """What editing a unit of ``level`` takes; provinces are not edited through the API."""
    if level is UnitLevel.VILLAGE:
        return Permission.VILLAGES_WRITE
    if level in (UnitLevel.DISTRICT, UnitLevel.COMMUNE):
        return Permission.UPPER_UNITS_WRITE
    return None


def _check_may_write(session: Session, actor: Principal, level: UnitLevel) -> None:
    permission = write_permission(level)
    if permission is None or not actor.can(permission):
        needed = permission or Permission.UPPER_UNITS_WRITE
        raise audit.denied(session, actor, needed, detail=level.value)


def get_unit(session: Session, actor: Principal, unit_id: uuid.UUID) -> Unit:
    """A unit the caller may read (404 otherwise)."""
    return scope.get_or_404(session, actor, Unit, unit_id)


def get_unit_for_write(
    session: Session, actor: Principal, unit_id: uuid.UUID, *, lock: scope.Lock | None = None
) -> Unit:
    """A unit in the caller's own subtree: what writes and grants may refer to (``lock``:
    a report relying on its place's dates takes ``KEY_SHARE``)."""
    return scope.get_or_404(session, actor, Unit, unit_id, write=True, lock=lock)


def units_for_write(
    session: Session,
    actor: Principal,
    unit_ids: set[uuid.UUID],
    *,
    lock: scope.Lock | None = None,
) -> dict[uuid.UUID, Unit]:
    """``get_unit_for_write`` for many at once: those out of reach are left out."""
    return scope.get_many(session, actor, Unit, list(unit_ids), write=True, lock=lock)


def place_of_record(session: Session, unit_id: uuid.UUID) -> Unit:
    """The place of a report the caller reached, held (``KEY_SHARE``) while the report is
    checked against its dates: a change of its validity waits for the report's write."""
    unit = repository.held_unit(session, unit_id)
    assert unit is not None  # the report's foreign key
    return unit


def list_units(
    session: Session,
    actor: Principal,
    page: PageParams,
    filters: UnitFilters,
    sort: UnitSort | None,
    *,
    parent: Unit | None = None,
) -> tuple[list[Row[Any]], int]:
    today = clock.today()
    return repository.list_units(
        session,
        actor,
        page,
        filters,
        sort,
        on=filters.valid_on or today,
        today=today,
        parent_id=parent.id if parent else None,
    )


def create_unit(session: Session, actor: Principal, data: UnitCreate) -> Unit:
    parent = get_unit_for_write(session, actor, data.parent_id)
    if parent.valid_to is not None:
        raise Conflict("unit_closed", name=parent.name, date=parent.valid_to.isoformat())
    level = data.level or LEVEL_BELOW.get(parent.level)
    if level is None or parent.level not in ALLOWED_PARENTS.get(level, frozenset()):
        raise Unprocessable.at(
            "body.parent_id",
            "invalid_parent",
            level=(level or parent.level).value,
            parent_level=parent.level.value,
        )
    _check_may_write(session, actor, level)
    if data.code and repository.code_taken(session, level, data.code):
        raise Conflict("code_taken")
    unit = new_unit(
        parent,
        name=data.name,
        level=level,
        division_type=division_type_for(data.name, data.division_type, "body.division_type"),
        code=data.code,
        households=data.households,
        valid_from=data.valid_from,
    )
    repository.add(session, unit)
    audit.created(session, actor, unit, unit.path)
    return unit


def update_unit(
    session: Session, actor: Principal, unit: Unit, data: UnitUpdate, expected: ExpectedVersion
) -> Unit:
    _check_may_write(session, actor, unit.level)
    expected.check(unit.version)
    changes = {
        name: value
        for name, value in data.model_dump(exclude_unset=True).items()
        if value is not None or name not in {"name", "division_type"}
    }
    if changes.get("code") and repository.code_taken(
        session, unit.level, changes["code"], exclude=unit.id
    ):
        raise Conflict("code_taken")
    if unit.rollup_path is not None and changes.get("valid_to", unit.valid_to) != unit.valid_to:
        # Closed by a reorganisation: its reports count for its successors, so its last
        # day is the reorganisation's to keep (409, like any write to a closed unit).
        assert unit.valid_to is not None  # a rollup path is a closed unit's
        raise Conflict("unit_closed", name=unit.name, date=unit.valid_to.isoformat())
    valid_from = changes.get("valid_from", unit.valid_from)
    valid_to = changes.get("valid_to", unit.valid_to)
    if valid_from is not None and valid_to is not None and valid_to < valid_from:
        raise Unprocessable(
            errors=[
                FieldError.of(
                    "body.valid_to", "valid_to_before_valid_from", valid_from=valid_from.isoformat()
                )
            ]
        )
    if {"valid_from", "valid_to"} & set(changes):
        # Reports being written there hold the unit (KEY_SHARE) while they check its
        # dates: wait for them, and make later ones wait, before counting.
        repository.lock_against_reports(session, unit.id)
        _check_reports_within(session, unit, changes, valid_from, valid_to)
    renamed = "name" in changes and changes["name"] != unit.name
    if renamed:
        changes["search_name"] = fold(changes["name"])
        if "division_type" not in changes:
            changes["division_type"] = division_type_from_name(changes["name"]) or (
                unit.division_type
            )
    before = audit.snapshot(unit)
    update_versioned(session, unit, changes)
    if renamed:
        repository.rename_in_subtree(session, unit, unit.name)
        session.refresh(unit)
    audit.updated(session, actor, unit, before, unit.path)
    return unit


def _check_reports_within(
    session: Session, unit: Unit, changes: dict[str, Any], valid_from: Any, valid_to: Any
) -> None:
    """Validity may not shrink past a report (409, counting them): a report's place must
    be valid on its date, so a report left outside could no longer be edited. Closing
    counts the reports placed anywhere below the unit (a commune closed before its
    villages' reports); starting later, those placed at the unit itself (what the check
    of a report's place reads)."""
    if (
        "valid_to" in changes
        and valid_to is not None
        and (unit.valid_to is None or valid_to < unit.valid_to)
    ):
        later = repository.reports_after(session, unit.path, valid_to)
        if later:
            raise Conflict(
                "unit_has_later_reports", count=later, name=unit.name, date=valid_to.isoformat()
            )
    if (
        "valid_from" in changes
        and valid_from is not None
        and (unit.valid_from is None or valid_from > unit.valid_from)
    ):
        earlier = repository.reports_before(session, unit.id, valid_from)
        if earlier:
            raise Conflict(
                "unit_has_earlier_reports",
                count=earlier,
                name=unit.name,
                date=valid_from.isoformat(),
            )


def unit_names(session: Session, unit_id: uuid.UUID) -> tuple[str, list[str]]:
    """The name, and the names from the province down, of a unit the caller already
    reached through another object (a campaign's scope unit)."""
    return repository.names_of(session, unit_id)


def unit_by_id(session: Session, unit_id: uuid.UUID) -> Unit:
    """A unit the caller already reached through a scoped query (a campaign's scope unit)."""
    unit = repository.unit_by_id(session, unit_id)
    assert unit is not None  # foreign keys guarantee the unit exists
    return unit


def unit_path(session: Session, unit_id: uuid.UUID) -> str:
    """The materialised path of a unit the caller already reached through a scoped query."""
    path = repository.path_of(session, unit_id)
    assert path is not None  # foreign keys guarantee the unit exists
    return path


def unit_lineage(session: Session, actor: Principal, unit: Unit) -> UnitLineageRead:
    """Where a unit came from and what it became, naming the units the caller may read."""
    predecessors: list[LineageRead] = []
    successors: list[LineageRead] = []
    for link, old, new in repository.lineage_of(session, actor, unit.id):
        read = LineageRead(
            kind=link.kind,
            predecessor=UnitBrief.model_validate(old),
            successor=UnitBrief.model_validate(new),
            effective_date=link.effective_date,
            legal_act=link.legal_act,
            is_default=link.is_default,
            reorganisation_id=link.reorganisation_id,
        )
        (predecessors if new.id == unit.id else successors).append(read)
    return UnitLineageRead(
        unit=UnitBrief.model_validate(unit), predecessors=predecessors, successors=successors
    )
