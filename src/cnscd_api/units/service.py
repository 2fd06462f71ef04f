"""Unit rules: reads limited to what the caller may see; villages are created and edited
by officers in scope, districts and communes by the province admin only."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session

from cnscd_api.core import audit
from cnscd_api.core.errors import Conflict, FieldError, NotFound, Unprocessable
from cnscd_api.core.pagination import PageParams
from cnscd_api.core.permissions import Permission, Principal
from cnscd_api.core.text import fold
from cnscd_api.models import Unit, UnitLevel, utcnow
from cnscd_api.units import repository
from cnscd_api.units.naming import division_type_from_name
from cnscd_api.units.schemas import UnitCreate, UnitSort, UnitUpdate

# Which parents each level may hang under (a commune may hang directly under a province).
ALLOWED_PARENTS: dict[UnitLevel, frozenset[UnitLevel]] = {
    UnitLevel.DISTRICT: frozenset({UnitLevel.PROVINCE}),
    UnitLevel.COMMUNE: frozenset({UnitLevel.DISTRICT, UnitLevel.PROVINCE}),
    UnitLevel.VILLAGE: frozenset({UnitLevel.COMMUNE}),
}
LEVEL_BELOW = {
    UnitLevel.PROVINCE: UnitLevel.DISTRICT,
    UnitLevel.DISTRICT: UnitLevel.COMMUNE,
    UnitLevel.COMMUNE: UnitLevel.VILLAGE,
}
AUDITED_FIELDS = ("name", "code", "division_type", "households", "valid_from", "valid_to")


def _snapshot(unit: Unit) -> dict[str, Any]:
    return {name: getattr(unit, name) for name in AUDITED_FIELDS}


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
        raise audit.denied(session, actor, f"units:write:{level.value}")


def get_unit(session: Session, actor: Principal, unit_id: uuid.UUID) -> Unit:
    unit = repository.get_unit(session, actor, unit_id)
    if unit is None:
        raise NotFound(resource="unit")
    return unit


def get_unit_for_write(session: Session, actor: Principal, unit_id: uuid.UUID) -> Unit:
    unit = repository.get_unit_in_subtree(session, actor, unit_id)
    if unit is None:
        raise NotFound(resource="unit")
    return unit


def list_units(
    session: Session,
    actor: Principal,
    page: PageParams,
    *,
    level: UnitLevel | None,
    parent_id: uuid.UUID | None,
    query: str | None,
    sort: UnitSort | None,
) -> tuple[list[Unit], int]:
    return repository.list_units(
        session, actor, page, level=level, parent_id=parent_id, query=query, sort=sort
    )


def list_children(
    session: Session,
    actor: Principal,
    unit: Unit,
    page: PageParams,
    *,
    query: str | None,
    sort: UnitSort | None,
) -> tuple[list[Unit], int]:
    return repository.list_units(session, actor, page, parent_id=unit.id, query=query, sort=sort)


def _division_type(name: str, given: object) -> Any:
    division_type = given or division_type_from_name(name)
    if division_type is None:
        raise Unprocessable("division_type_unknown")
    return division_type


def create_unit(session: Session, actor: Principal, data: UnitCreate) -> Unit:
    parent = get_unit_for_write(session, actor, data.parent_id)
    level = data.level or LEVEL_BELOW.get(parent.level)
    if level is None or parent.level not in ALLOWED_PARENTS.get(level, frozenset()):
        raise Unprocessable(
            "invalid_parent", level=(level or parent.level).value, parent_level=parent.level.value
        )
    _check_may_write(session, actor, level)
    if data.code and repository.code_taken(session, level, data.code):
        raise Conflict("code_taken")
    unit_id = uuid.uuid4()
    unit = Unit(
        id=unit_id,
        code=data.code,
        name=data.name,
        search_name=fold(data.name),
        level=level,
        division_type=_division_type(data.name, data.division_type),
        parent_id=parent.id,
        path=f"{parent.path}{unit_id.hex}/",
        households=data.households,
        valid_from=data.valid_from,
    )
    repository.add(session, unit)
    audit.record(
        session,
        actor=actor,
        action="create",
        entity="unit",
        entity_id=unit.id,
        unit_path=unit.path,
        after=_snapshot(unit),
    )
    return unit


def update_unit(session: Session, actor: Principal, unit: Unit, data: UnitUpdate) -> Unit:
    _check_may_write(session, actor, unit.level)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("code") and repository.code_taken(
        session, unit.level, changes["code"], exclude=unit.id
    ):
        raise Conflict("code_taken")
    before = _snapshot(unit)
    for name, value in changes.items():
        if name in {"name", "division_type"} and value is None:
            continue
        setattr(unit, name, value)
    if changes.get("name"):
        unit.search_name = fold(unit.name)
        if "division_type" not in changes:
            unit.division_type = division_type_from_name(unit.name) or unit.division_type
    if (
        unit.valid_to is not None
        and unit.valid_from is not None
        and unit.valid_to < unit.valid_from
    ):
        raise Unprocessable(
            errors=[
                FieldError.of(
                    "body.valid_to",
                    "valid_to_before_valid_from",
                    valid_from=unit.valid_from.isoformat(),
                )
            ]
        )
    unit.updated_at = utcnow()
    session.add(unit)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="update",
        entity="unit",
        entity_id=unit.id,
        unit_path=unit.path,
        before=before,
        after=_snapshot(unit),
    )
    return unit


def unit_path(session: Session, unit_id: uuid.UUID) -> str:
    """The materialised path of a unit the caller already reached through a scoped query."""
    path = repository.path_of(session, unit_id)
    assert path is not None  # foreign keys guarantee the unit exists
    return path
