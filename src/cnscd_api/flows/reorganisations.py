"""A province admin's dated list of operations on the map (merge, split, rename, move),
checked in full and applied at once by the reorganiser, in the request's transaction.

Every unit named must be in the caller's own subtree (404 otherwise, like any object out
of reach), current, and older than the effective date; the caller must hold
``units:reorganise`` (403). A unit takes part in one operation at most. Nothing is
edited in place: renamed and moved units are closed and replaced (``reorganise.py``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

from sqlmodel import Session

from cnscd_api.core import audit, clock
from cnscd_api.core.errors import Conflict, NotFound, Unprocessable
from cnscd_api.core.permissions import Permission, Principal
from cnscd_api.flows.reorganise import Outcome, Reorganiser, UnitRef
from cnscd_api.models import DivisionType, LineageKind, Unit, UnitLevel
from cnscd_api.units import repository, service
from cnscd_api.units.levels import ALLOWED_PARENTS
from cnscd_api.units.naming import division_type_for, division_type_from_name
from cnscd_api.units.schemas import (
    LineageRead,
    MergeOperation,
    MoveOperation,
    NewUnit,
    RehomedRead,
    RenameOperation,
    ReorganisationCreate,
    ReorganisationRead,
    SplitOperation,
    UnitBrief,
)

# The day before the earliest date must exist (date.min has none); older changes are not
# a use of this system.
EARLIEST = date(1900, 1, 1)
REORGANISABLE = frozenset({UnitLevel.DISTRICT, UnitLevel.COMMUNE, UnitLevel.VILLAGE})


class _Checker:
    """Loads the units an operation names, in the caller's subtree, and keeps the rules
    that span operations (one operation per unit)."""

    def __init__(
        self, session: Session, data: ReorganisationCreate, reached: dict[uuid.UUID, Unit]
    ) -> None:
        self.session = session
        self.effective_date = data.effective_date
        self.reached = reached  # every unit the operations name, read at once
        self.taken: set[uuid.UUID] = set()

    def unit(self, unit_id: uuid.UUID, field: str, *, closes: bool = False) -> Unit:
        unit = self.reached[unit_id]
        if unit.level not in REORGANISABLE:
            raise Unprocessable.at(field, "unit_not_reorganisable", level=unit.level.value)
        if unit.id in self.taken:
            raise Unprocessable.at(field, "unit_listed_twice", name=unit.name)
        starts = unit.valid_from
        if unit.valid_to is not None or (starts is not None and starts >= self.effective_date):
            raise Unprocessable.at(
                field,
                "unit_not_current",
                name=unit.name,
                date=self.effective_date.isoformat(),
            )
        if closes:
            self.taken.add(unit.id)
        return unit

    def parent(self, parent_id: uuid.UUID, level: UnitLevel, field: str) -> Unit:
        parent = self.reached[parent_id]
        if parent.valid_to is not None or parent.id in self.taken:
            raise Unprocessable.at(
                field, "unit_not_current", name=parent.name, date=self.effective_date.isoformat()
            )
        if parent.level not in ALLOWED_PARENTS.get(level, frozenset()):
            raise Unprocessable.at(
                field, "invalid_parent", level=level.value, parent_level=parent.level.value
            )
        return parent

    def same_level(self, units: Iterable[Unit], level: UnitLevel, field: str) -> None:
        for unit in units:
            if unit.level is not level:
                raise Unprocessable.at(
                    field, "level_mismatch", level=unit.level.value, expected=level.value
                )


def _permission(session: Session, actor: Principal) -> None:
    if not actor.can(Permission.UNITS_REORGANISE):
        raise audit.denied(session, actor, Permission.UNITS_REORGANISE)


def _new_unit(
    reorganiser: Reorganiser,
    checker: _Checker,
    spec: NewUnit,
    *,
    level: UnitLevel,
    default_parent: Unit | None,
    field: str,
) -> Unit:
    if spec.parent_id is not None:
        parent = checker.parent(spec.parent_id, level, f"{field}.parent_id")
    else:
        assert default_parent is not None  # only provinces have none, never reorganised
        parent = default_parent
    division_type = division_type_for(spec.name, spec.division_type, f"{field}.division_type")
    return _create(reorganiser, parent, spec.name, level, spec.code, division_type, spec.households)


def _create(
    reorganiser: Reorganiser,
    parent: Unit,
    name: str,
    level: UnitLevel,
    code: str | None,
    division_type: DivisionType,
    households: int | None = None,
) -> Unit:
    reorganiser.session.flush()
    if code and repository.code_taken(reorganiser.session, level, code):
        raise Conflict("code_taken")
    return reorganiser.create(
        parent,
        name=name,
        level=level,
        code=code,
        division_type=division_type,
        households=households,
    )


def _parent_of(session: Session, unit: Unit) -> Unit:
    assert unit.parent_id is not None
    parent = repository.unit_by_id(session, unit.parent_id)
    assert parent is not None
    return parent


def _merge(r: Reorganiser, c: _Checker, op: MergeOperation, field: str) -> None:
    sources = [
        c.unit(unit_id, f"{field}.unit_ids.{index}", closes=True)
        for index, unit_id in enumerate(op.unit_ids)
    ]
    level = sources[0].level
    c.same_level(sources, level, f"{field}.unit_ids")
    if (op.into_id is None) == (op.new is None):
        raise Unprocessable.at(f"{field}.into_id", "merge_target_required")
    for source in sources:
        r.close(source)
    if op.into_id is not None:
        target = r.reuse(c.unit(op.into_id, f"{field}.into_id"))
        c.same_level([target], level, f"{field}.into_id")
        c.taken.add(target.id)
    else:
        assert op.new is not None
        target = _new_unit(
            r,
            c,
            op.new,
            level=level,
            default_parent=_parent_of(c.session, sources[0]),
            field=f"{field}.new",
        )
    for source in sources:
        r.link(source, target, LineageKind.MERGED_INTO)


def _split(r: Reorganiser, c: _Checker, op: SplitOperation, field: str) -> None:
    source = c.unit(op.unit_id, f"{field}.unit_id", closes=True)
    if sum(1 for target in op.into if target.default) != 1:
        raise Unprocessable.at(f"{field}.into", "split_default_required")
    villages = {child.id: child for child in repository.current_children(c.session, source.id)}
    r.close(source)
    parent = _parent_of(c.session, source)
    for index, spec in enumerate(op.into):
        place = f"{field}.into.{index}"
        if (spec.unit_id is None) == (spec.new is None):
            raise Unprocessable.at(f"{place}.unit_id", "split_target_required")
        if spec.unit_id is not None:
            target = r.reuse(c.unit(spec.unit_id, f"{place}.unit_id"))
            c.same_level([target], source.level, f"{place}.unit_id")
            c.taken.add(target.id)
        else:
            assert spec.new is not None
            target = _new_unit(
                r, c, spec.new, level=source.level, default_parent=parent, field=f"{place}.new"
            )
        for position, village_id in enumerate(spec.village_ids):
            village = villages.get(village_id)
            if village is None:
                raise Unprocessable.at(
                    f"{place}.village_ids.{position}", "not_a_village_of", name=source.name
                )
            r.hand_over(village, target)
        r.link(source, target, LineageKind.SPLIT_FROM, default=spec.default)


def _rename(r: Reorganiser, c: _Checker, op: RenameOperation, field: str) -> None:
    unit = c.unit(op.unit_id, f"{field}.unit_id", closes=True)
    division_type = op.division_type or division_type_from_name(op.name) or unit.division_type
    r.close(unit)
    new = _create(
        r,
        _parent_of(c.session, unit),
        op.name,
        unit.level,
        op.code or unit.code,
        division_type,
        unit.households,
    )
    r.link(unit, new, LineageKind.RENAMED)


def _move(r: Reorganiser, c: _Checker, op: MoveOperation, field: str) -> None:
    unit = c.unit(op.unit_id, f"{field}.unit_id", closes=True)
    parent = c.parent(op.parent_id, unit.level, f"{field}.parent_id")
    if parent.path.startswith(unit.path) or parent.id == unit.parent_id:
        raise Unprocessable.at(f"{field}.parent_id", "move_target_invalid", name=unit.name)
    r.close(unit)
    new = _create(r, parent, unit.name, unit.level, unit.code, unit.division_type, unit.households)
    r.link(unit, new, LineageKind.MOVED)


def reorganise(
    session: Session, actor: Principal, data: ReorganisationCreate
) -> ReorganisationRead:
    if not EARLIEST <= data.effective_date <= clock.today():
        raise Unprocessable.at("body.effective_date", "effective_date_out_of_range")
    # Every unit is looked up, at once, before anything changes: out of reach is a 404 for
    # everyone, then a role without the permission gets its 403.
    named = {unit_id for operation in data.operations for unit_id in _named(operation)}
    reached = service.units_for_write(session, actor, named)
    if len(reached) < len(named):
        raise NotFound(resource="unit")
    _permission(session, actor)
    checker = _Checker(session, data, reached)
    reorganiser = Reorganiser(
        session,
        effective_date=data.effective_date,
        legal_act=data.legal_act,
        note=data.note,
        source="api",
        actor=actor,
    )
    for index, operation in enumerate(data.operations):
        field = f"body.operations.{index}"
        if isinstance(operation, MergeOperation):
            _merge(reorganiser, checker, operation, field)
        elif isinstance(operation, SplitOperation):
            _split(reorganiser, checker, operation, field)
        elif isinstance(operation, RenameOperation):
            _rename(reorganiser, checker, operation, field)
        else:
            _move(reorganiser, checker, operation, field)
    return _read(session, reorganiser.finish(), data)


def _named(operation: object) -> list[uuid.UUID]:
    """The ids of existing units an operation names."""
    if isinstance(operation, MergeOperation):
        extra = [operation.into_id] if operation.into_id else []
        parents = [operation.new.parent_id] if operation.new and operation.new.parent_id else []
        return [*operation.unit_ids, *extra, *parents]
    if isinstance(operation, SplitOperation):
        ids = [operation.unit_id]
        for target in operation.into:
            ids += [target.unit_id] if target.unit_id else []
            ids += [target.new.parent_id] if target.new and target.new.parent_id else []
        return ids
    if isinstance(operation, MoveOperation):
        return [operation.unit_id, operation.parent_id]
    assert isinstance(operation, RenameOperation)
    return [operation.unit_id]


def _read(session: Session, outcome: Outcome, data: ReorganisationCreate) -> ReorganisationRead:
    ids = {u.id for u in outcome.created + outcome.closed}
    ids |= {link.predecessor.id for link in outcome.links} | {
        link.successor.id for link in outcome.links
    }
    ids |= {item.from_unit.id for item in outcome.rehomed}
    ids |= {item.to_unit.id for item in outcome.rehomed if item.to_unit}
    session.flush()
    units = repository.units_by_id(session, ids)

    def brief(unit: UnitRef) -> UnitBrief:
        return UnitBrief.model_validate(units[unit.id])

    return ReorganisationRead(
        id=outcome.reorganisation_id,
        effective_date=outcome.effective_date,
        legal_act=data.legal_act,
        created=[brief(u) for u in outcome.created],
        closed=[brief(u) for u in outcome.closed],
        lineage=[
            LineageRead(
                kind=link.kind,
                predecessor=brief(link.predecessor),
                successor=brief(link.successor),
                effective_date=outcome.effective_date,
                legal_act=data.legal_act,
                is_default=link.is_default,
                reorganisation_id=outcome.reorganisation_id,
            )
            for link in outcome.links
        ],
        moved_units=len(outcome.moved_units),
        rehomed=[
            RehomedRead(
                entity=item.entity,
                id=item.id,
                name=item.name,
                from_unit=brief(item.from_unit),
                to_unit=brief(item.to_unit) if item.to_unit else None,
                action=item.action,
                review=item.review,
                role_before=item.role_before,
                role_after=item.role_after,
            )
            for item in outcome.rehomed
        ],
    )
