"""The one place that decides what a caller can reach: the subtree of their scope unit.

Every scoped table has a rule here: how its rows reach a unit path, and whether a team
leader is further limited to their own team. Repositories start every read of such a
table from ``scoped`` (or ``scoped_columns``), and services load single objects through
``get_or_404``, so an object outside the subtree is simply not found (404), exactly like
one that does not exist. A query on a scoped table that does not go through here must
say why with ``@unscoped("…")``; ``tests/test_scope_rules.py`` fails the build otherwise.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, exists, literal, or_, select
from sqlalchemy import types as sa_types
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlmodel import Session, col
from sqlmodel import select as select_entity
from sqlmodel.sql.expression import SelectOfScalar

from cnscd_api.core.errors import NotFound
from cnscd_api.core.permissions import Principal
from cnscd_api.core.text import LIKE_ESCAPE, escape_like
from cnscd_api.models import (
    Activity,
    AllowanceRule,
    AllowanceStatement,
    ApiClient,
    AuditEvent,
    Campaign,
    DeviceNeed,
    DeviceReferral,
    Member,
    Role,
    SupportRequest,
    Team,
    Unit,
    UnitHeritage,
    UnitLineage,
    User,
)

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


class Lock(Enum):
    """A row lock a scoped read takes until the transaction ends, on the rows of the model
    read only (PostgreSQL; SQLite's writers hold the whole database). The row is read as
    it stands once the lock is granted, even when the session had it already."""

    # The caller will change the row: two writers of one object run one after the other,
    # and the second reads what the first left, or nothing.
    UPDATE = "update"
    # The caller relies on the row as read (a report on its place's dates, its campaign's
    # days): ordinary edits of the row go on, but a change of such a rule, which locks
    # the row FOR UPDATE before checking what relies on it, waits, or is waited for.
    KEY_SHARE = "key_share"


def locked(statement: Any, model: type[Any], lock: Lock | None) -> Any:
    """``statement`` (a read of ``model``) taking ``lock`` on the rows of ``model``."""
    if lock is None:
        return statement
    shared = lock is Lock.KEY_SHARE
    return statement.with_for_update(of=model, read=shared, key_share=shared).execution_options(
        populate_existing=True
    )


def path_in_subtree(path_column: Any, subtree_path: str) -> ColumnElement[bool]:
    """``path_column`` lies at or below the unit whose path is ``subtree_path``."""
    return col(path_column).like(f"{escape_like(subtree_path)}%", escape=LIKE_ESCAPE)


def path_in_subtree_text(path: str, subtree_path: str) -> bool:
    """``path_in_subtree`` for a path already read: the unit lies at or below the other."""
    return path.startswith(subtree_path)


def ancestor_ids(path: str) -> list[uuid.UUID]:
    """The ids on a materialised path, from the province down to the unit itself."""
    return [uuid.UUID(hex=part) for part in path.strip("/").split("/") if part]


@dataclass(frozen=True)
class ScopeRule:
    """How rows of one table reach the unit that decides who may see them."""

    resource: str  # names the object in a 404 ("team")
    path: Any  # the unit path column that is matched against the caller's subtree
    joins: tuple[tuple[Any, Any], ...] = ()  # (table, on clause) to reach that column
    team: Any = None  # the row's team: a team leader reaches only their own team's rows
    # Who also reads the rows above the scope unit: "team_leader" (the names of the units
    # above a team), or "everyone" (a province campaign, read in all of its communes).
    ancestors_readable: str | None = None
    live: Any = None  # rows that exist for the API at all (users not deleted)
    organisation: Any = None  # the row's partner: a partner reaches only its own's rows
    # Rows of closed units are read by whoever holds their successors today (history of
    # the territory now in the scope): the row's unit is ``Unit``. ``heritage_writes``:
    # written by them too, under the same rules as the rows of their own units.
    heritage: bool = False
    heritage_writes: bool = False
    # The same for rows that carry a unit's path instead of a join to it (audit events):
    # rows whose path lies at or below a closed unit the caller's units succeeded.
    heritage_paths: bool = False


RULES: dict[type[Any], ScopeRule] = {
    Unit: ScopeRule("unit", Unit.path, ancestors_readable="team_leader", heritage=True),
    Team: ScopeRule("team", Unit.path, ((Unit, Unit.id == Team.unit_id),), team=Team.id),
    Member: ScopeRule(
        "member",
        Unit.path,
        ((Team, Team.id == Member.team_id), (Unit, Unit.id == Team.unit_id)),
        team=Member.team_id,
    ),
    User: ScopeRule(
        "user",
        Unit.path,
        ((Unit, Unit.id == User.scope_unit_id),),
        live=col(User.deleted_at).is_(None),
    ),
    ApiClient: ScopeRule("api_client", Unit.path, ((Unit, Unit.id == ApiClient.scope_unit_id),)),
    # The history of the reports a successor's officers took over is theirs to read too.
    AuditEvent: ScopeRule("audit_event", AuditEvent.unit_path, heritage_paths=True),
    Activity: ScopeRule(
        "activity",
        Unit.path,
        ((Unit, Unit.id == Activity.unit_id),),
        team=Activity.team_id,
        organisation=Activity.organisation,
        # Reports pending when their place closed are taken over by the officers of its
        # successors (the officers of the closed unit are moved or deactivated): approved,
        # rejected, edited or deleted like their own units' reports, never left stuck.
        heritage=True,
        heritage_writes=True,
    ),
    Campaign: ScopeRule(
        "campaign",
        Unit.path,
        ((Unit, Unit.id == Campaign.scope_unit_id),),
        ancestors_readable="everyone",
        heritage=True,
    ),
    # A request is read in its place's subtree; a team leader reads their own team's, a
    # partner those addressed to its organisation (never a rival's, nor their contacts).
    SupportRequest: ScopeRule(
        "support_request",
        Unit.path,
        ((Unit, Unit.id == SupportRequest.unit_id),),
        team=SupportRequest.team_id,
        organisation=SupportRequest.organisation,
    ),
    DeviceNeed: ScopeRule(
        "device_need", Unit.path, ((Unit, Unit.id == DeviceNeed.unit_id),), heritage=True
    ),
    DeviceReferral: ScopeRule(
        "device_referral",
        Unit.path,
        ((Unit, Unit.id == DeviceReferral.unit_id),),
        organisation=DeviceReferral.organisation,
    ),
    # A province's allowance rules are read by everyone below it (they say what is paid).
    AllowanceRule: ScopeRule(
        "allowance_rule",
        Unit.path,
        ((Unit, Unit.id == AllowanceRule.province_id),),
        ancestors_readable="everyone",
    ),
    # Statements of closed units are read by the officers of their successors, as they
    # were approved; nobody writes them through the heritage rule.
    AllowanceStatement: ScopeRule(
        "allowance_statement",
        Unit.path,
        ((Unit, Unit.id == AllowanceStatement.unit_id),),
        heritage=True,
    ),
}


def heritage_ids(subtree_path: str) -> Select[Any]:
    """The ids of closed units whose successors, following lineage forward through any
    number of reorganisations, lie in the subtree: the units the territory was made of
    before. One recursive query (both databases)."""
    successor = aliased(Unit)
    start = (
        select(col(UnitLineage.predecessor_id).label("id"))
        .join(successor, col(successor.id) == col(UnitLineage.successor_id))
        .where(path_in_subtree(successor.path, subtree_path))
        .cte("heritage", recursive=True)
    )
    earlier = select(col(UnitLineage.predecessor_id)).join(
        start, col(UnitLineage.successor_id) == start.c.id
    )
    found = start.union(earlier)
    return select(found.c.id)


def heirs_in(subtree_path: str) -> Select[Any]:
    """``heritage_ids`` read from its materialisation (``UnitHeritage``, refreshed after
    every reorganisation): one index range scan on the heirs' paths, no recursion."""
    return select(col(UnitHeritage.unit_id)).where(
        path_in_subtree(UnitHeritage.heir_path, subtree_path)
    )


def below_heirs(path_column: Any, subtree_path: str) -> ColumnElement[bool]:
    """``path_column`` lies at or below a closed unit whose successors lie in the subtree
    (rows filed under a closed place's path, or a village's from before it moved on).
    Paths are ids joined by "/": no LIKE wildcard can occur in them."""
    closed = aliased(Unit)
    return exists().where(
        _AmongIds(col(closed.id), heirs_in(subtree_path)),
        col(path_column).like(col(closed.path) + "%"),
    )


def reached_through(
    session: Session, principal: Principal, unit_id: uuid.UUID, unit_path: str
) -> uuid.UUID | None:
    """The unit of the caller's subtree through which they reach a row of the closed
    unit ``unit_id`` (the heritage rule): its nearest successor, following lineage
    forward, that lies in the subtree (a default successor before the others). None when
    the unit itself lies in the subtree, which costs no query."""
    if path_in_subtree_text(unit_path, principal.scope_path):
        return None
    start = (
        select(
            col(UnitLineage.successor_id).label("id"),
            literal(1).label("depth"),
            col(UnitLineage.is_default).label("is_default"),
        )
        .where(col(UnitLineage.predecessor_id) == unit_id)
        .cte("forward", recursive=True)
    )
    later = select(
        col(UnitLineage.successor_id), start.c.depth + 1, col(UnitLineage.is_default)
    ).join(start, col(UnitLineage.predecessor_id) == start.c.id)
    forward = start.union_all(later)  # lineage runs old → new: it has no cycles
    statement = (
        select(col(Unit.id))
        .join(forward, col(Unit.id) == forward.c.id)
        .where(path_in_subtree(Unit.path, principal.scope_path))
        .order_by(forward.c.depth, forward.c.is_default.desc(), col(Unit.name), col(Unit.id))
        .limit(1)
    )
    found: uuid.UUID | None = session.execute(statement).scalar()
    return found


class _AmongIds(ColumnElement[bool]):
    """``column IN (ids)`` for a subquery of ids, written so that PostgreSQL runs the
    subquery once and still combines the index on ``column`` with the other side of an
    OR (``column = ANY(ARRAY(subquery))``: an ``IN (subquery)`` there becomes a filter
    over every row of the table)."""

    inherit_cache = True
    type = sa_types.Boolean()

    def __init__(self, column: Any, ids: Any) -> None:
        self.column, self.ids = column, ids


def among_ids(column: Any, ids: Any) -> ColumnElement[bool]:
    """``column IN (ids)``, run as ``column = ANY(ARRAY(ids))`` on PostgreSQL: the
    subquery once, then one index descent per id (a column after the first of an index
    is then sought, not filtered)."""
    return _AmongIds(column, ids)


@compiles(_AmongIds)
def _among_ids(element: _AmongIds, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    ids = compiler.process(element.ids, **kw)
    return f"{column} IN ({ids})"


@compiles(_AmongIds, "postgresql")
def _among_ids_postgresql(element: _AmongIds, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    ids = compiler.process(element.ids, **kw)
    return f"{column} = ANY(ARRAY({ids}))"


def reach(principal: Principal, model: type[Any], *, write: bool = False) -> ColumnElement[bool]:
    """The WHERE clause of the rows of ``model`` the caller may read (or, ``write``,
    change): the scope subtree, and the rows of closed units whose successors lie in it
    (``heritage``; for writes ``heritage_writes``); for a team leader their own team's
    rows, for a partner its own organisation's (where rows name one); and when
    reading units also the ancestors of their team's unit (PERMISSIONS.md: names); and
    when reading campaigns, those of the units above the caller too."""
    rule = RULES[model]
    clause = path_in_subtree(rule.path, principal.scope_path)
    inherits = rule.heritage_writes if write else rule.heritage
    if inherits and principal.scope_path != "/":
        # The national scope already holds every unit, closed ones included.
        clause = or_(clause, _AmongIds(col(Unit.id), heirs_in(principal.scope_path)))
    if rule.heritage_paths and not write and principal.scope_path != "/":
        clause = or_(clause, below_heirs(rule.path, principal.scope_path))
    leader = principal.role is Role.TEAM_LEADER
    if leader and rule.team is not None:
        clause = clause & (col(rule.team) == principal.team_id)
    if principal.role is Role.PARTNER and rule.organisation is not None:
        clause = clause & (col(rule.organisation) == principal.organisation)
    if not write and (
        rule.ancestors_readable == "everyone"
        or (rule.ancestors_readable == "team_leader" and leader)
    ):
        clause = or_(clause, col(Unit.id).in_(ancestor_ids(principal.scope_path)))
    if rule.live is not None:
        clause = clause & rule.live
    return clause


def ancestor_paths(path: str) -> list[str]:
    """The paths of the units above the one whose path is ``path``."""
    parts = [part for part in path.strip("/").split("/") if part]
    return ["/" + "".join(f"{part}/" for part in parts[:depth]) for depth in range(1, len(parts))]


def scoped_events(
    principal: Principal,
    kinds: Mapping[str, Any],
    *columns: Any,
    wanted: list[tuple[str, str | None]] | None = None,
) -> Select[Any]:
    """``SELECT columns FROM audit_event`` limited to the events the caller reads
    (``core.events``): for each readable entity (``kinds``: entity → ``EventKind``), its
    rows whose unit lies in the subtree, or above it where the object is read from
    below, or is a closed unit whose successors lie in it, as the objects' own rules
    say (at or below it: its villages moved on); for a partner, an organisation's
    objects only when they are its own. ``wanted``:
    (entity, action or None for any) pairs the caller asked for. Of each entity only the
    actions its kind names make events (a denial or a read is no change)."""
    above = ancestor_paths(principal.scope_path)
    inherited = below_heirs(AuditEvent.unit_path, principal.scope_path)
    subtree = path_in_subtree(AuditEvent.unit_path, principal.scope_path)
    unit_path = col(AuditEvent.unit_path)
    clauses = []
    for entity, kind in kinds.items():
        reached: Any = subtree
        if kind.ancestors_readable and above:
            reached = or_(reached, unit_path.in_(above))
        if kind.heritage and principal.scope_path != "/":
            reached = or_(reached, inherited)
        clause = (
            (col(AuditEvent.entity) == entity)
            & col(AuditEvent.action).in_(list(kind.actions))
            & reached
        )
        if kind.organisation and principal.role is Role.PARTNER:
            clause = clause & (col(AuditEvent.organisation) == principal.organisation)
        clauses.append(clause)
    statement = select(*columns).select_from(AuditEvent)
    statement = statement.where(or_(*clauses) if clauses else literal(False))
    if wanted is not None:
        statement = statement.where(
            or_(
                *(
                    (col(AuditEvent.entity) == entity)
                    & (literal(True) if action is None else col(AuditEvent.action) == action)
                    for entity, action in wanted
                ),
                literal(False),
            )
        )
    return statement


def _joined(statement: Any, rule: ScopeRule) -> Any:
    for target, on in rule.joins:
        statement = statement.join(target, on)
    return statement


def scoped(
    principal: Principal, model: type[T], *, write: bool = False, lock: Lock | None = None
) -> SelectOfScalar[T]:
    """``SELECT model`` limited to what the caller reaches, taking ``lock`` on the rows
    found."""
    rule = RULES[model]
    statement: SelectOfScalar[T] = _joined(select_entity(model), rule)
    return locked(statement.where(reach(principal, model, write=write)), model, lock)  # type: ignore[no-any-return]


def scoped_columns(
    principal: Principal, model: type[Any], *columns: Any, write: bool = False
) -> Select[Any]:
    """``SELECT columns FROM model …`` limited to what the caller reaches: list pages
    read columns straight into response models, without ORM objects."""
    rule = RULES[model]
    statement = _joined(select(*columns).select_from(model), rule)
    return statement.where(reach(principal, model, write=write))  # type: ignore[no-any-return]


def get_or_404(
    session: Session,
    principal: Principal,
    model: type[T],
    object_id: uuid.UUID,
    *,
    write: bool = False,
    lock: Lock | None = None,
) -> T:
    """The object with ``object_id`` if the caller reaches it, else 404 (a missing object
    and one outside the scope answer the same); ``lock``: see ``Lock``."""
    statement = scoped(principal, model, write=write, lock=lock).where(
        col(model.id) == object_id  # type: ignore[attr-defined]
    )
    found = session.exec(statement).one_or_none()
    if found is None:
        raise NotFound(resource=RULES[model].resource)
    return found


def get_many(
    session: Session,
    principal: Principal,
    model: type[T],
    object_ids: list[uuid.UUID],
    *,
    write: bool = False,
    lock: Lock | None = None,
) -> dict[uuid.UUID, T]:
    """Those of ``object_ids`` the caller reaches, by id, in one query (a missing object
    and one outside the scope are equally absent); ``lock``: see ``Lock``, taken in the
    order of the ids so that two writers of overlapping lists cannot deadlock."""
    if not object_ids:
        return {}
    statement = scoped(principal, model, write=write, lock=lock).where(
        col(model.id).in_(object_ids)  # type: ignore[attr-defined]
    )
    if lock is not None:
        statement = statement.order_by(col(model.id))  # type: ignore[attr-defined]
    return {found.id: found for found in session.exec(statement).all()}  # type: ignore[attr-defined]


def unscoped(reason: str) -> Callable[[F], F]:
    """Mark a query function that reads a scoped table without the caller's scope, and
    say why (it runs before anyone is authenticated, or on ids already reached through
    a scoped read, or checks a rule across the whole tree)."""

    def mark(function: F) -> F:
        function.__unscoped__ = reason  # type: ignore[attr-defined]
        return function

    return mark


__all__ = [
    "RULES",
    "Lock",
    "ScopeRule",
    "among_ids",
    "ancestor_ids",
    "ancestor_paths",
    "below_heirs",
    "get_or_404",
    "heirs_in",
    "heritage_ids",
    "locked",
    "path_in_subtree",
    "path_in_subtree_text",
    "reach",
    "reached_through",
    "scoped",
    "scoped_columns",
    "scoped_events",
    "unscoped",
]
