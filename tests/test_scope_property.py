"""Property: on any unit tree, a caller reaches a unit exactly when it lies in the
subtree of the caller's scope unit."""

from __future__ import annotations

import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from cnscd_api.core.errors import NotFound
from cnscd_api.core.permissions import Principal, PrincipalKind, permissions_for
from cnscd_api.core.scope import get_or_404, scoped
from cnscd_api.core.text import collation_key, fold
from cnscd_api.models import DivisionType, Role, Unit, UnitLevel

LEVELS = [UnitLevel.PROVINCE, UnitLevel.DISTRICT, UnitLevel.COMMUNE, UnitLevel.VILLAGE]

# A tree as a list of parent indexes: node i hangs under node parents[i] (< i), or is a
# root (None). Depth is capped at four levels, like the administrative tree.
trees = st.integers(min_value=1, max_value=25).flatmap(
    lambda size: st.tuples(
        *[st.just(None)] + [st.one_of(st.none(), st.integers(0, i - 1)) for i in range(1, size)]
    )
)


def build(session: Session, parents: tuple[int | None, ...]) -> list[Unit]:
    units: list[Unit] = []
    depths: list[int] = []
    for index, parent_index in enumerate(parents):
        if parent_index is not None and depths[parent_index] >= 3:
            parent_index = None
        parent = units[parent_index] if parent_index is not None else None
        depth = depths[parent_index] + 1 if parent_index is not None else 0
        unit_id = uuid.uuid4()
        name = f"Prop unit {index}"
        unit = Unit(
            id=unit_id,
            name=name,
            search_name=fold(name),
            name_key=collation_key(name),
            level=LEVELS[depth],
            division_type=DivisionType.THON,
            parent_id=parent.id if parent else None,
            path=f"{parent.path if parent else '/'}{unit_id.hex}/",
            path_names=[*(parent.path_names if parent else []), name],
        )
        session.add(unit)
        units.append(unit)
        depths.append(depth)
    session.flush()
    return units


def viewer_of(unit: Unit, role: Role = Role.VIEWER) -> Principal:
    return Principal(
        kind=PrincipalKind.USER,
        id=uuid.uuid4(),
        name="prop",
        role=role,
        scope_unit_id=unit.id,
        scope_path=unit.path,
        permissions=permissions_for(role),
    )


def is_descendant_or_self(units: list[Unit], unit: Unit, ancestor: Unit) -> bool:
    by_id = {u.id: u for u in units}
    current: Unit | None = unit
    while current is not None:
        if current.id == ancestor.id:
            return True
        current = by_id.get(current.parent_id) if current.parent_id else None
    return False


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(parents=trees, data=st.data())
def test_access_is_exactly_the_subtree(
    session: Session, parents: tuple[int | None, ...], data: st.DataObject
) -> None:
    savepoint = session.begin_nested()
    try:
        units = build(session, parents)
        scope = data.draw(st.sampled_from(units), label="scope")
        target = data.draw(st.sampled_from(units), label="target")
        caller = viewer_of(scope)
        try:
            found: Unit | None = get_or_404(session, caller, Unit, target.id)
        except NotFound:
            found = None
        assert (found is not None) == is_descendant_or_self(units, target, scope)
        # Lists agree with lookups: exactly the subtree among these units.
        ids = {u.id for u in units}
        listed = {u.id for u in session.exec(scoped(caller, Unit)).all() if u.id in ids}
        assert listed == {u.id for u in units if is_descendant_or_self(units, u, scope)}
    finally:
        savepoint.rollback()
