"""Applying a dated change of the map: units close, successors open, and what hung on the
closed units moves to today's units.

The map is dated data. A reorganisation never edits a unit in place: a unit that is
merged, split, renamed or moved is closed the day before the change (``valid_to``) and
its successors are valid from the change (``valid_from``), with lineage rows old → new
that carry the date and the legal act. Reports (activities, campaigns) keep pointing at
the units of their date; what lives on is re-homed once every operation is recorded
(``finish``):

- units that keep their id (villages; the communes of a renamed district) move under
  the default successor, recorded as ``UnitMove`` rows;
- teams of a closed unit move to its default successor (their leaders follow them);
- users and API clients scoped to a closed unit follow the access rule (``_move_users``).

Every change is audited in the transaction. The caller decides what is allowed (scope,
permissions); the reorganiser keeps the tree consistent and never lets a user's reach
grow through a move.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlmodel import Session

from cnscd_api.auth import repository as auth_repository
from cnscd_api.core import audit
from cnscd_api.core.concurrency import update_versioned
from cnscd_api.core.errors import Unprocessable
from cnscd_api.core.permissions import SCOPE_LEVELS, Principal
from cnscd_api.models import (
    AuditAction,
    AuditEntity,
    DivisionType,
    LineageKind,
    Role,
    Unit,
    UnitLevel,
    UnitLineage,
    UnitMove,
    UnitReorganisation,
    Versioned,
    utcnow,
)
from cnscd_api.stats.placement import refresh_rollup_paths
from cnscd_api.stats.rebuild import rebuild, rebuild_history
from cnscd_api.teams import service as team_service
from cnscd_api.units import repository
from cnscd_api.units.levels import ALLOWED_PARENTS
from cnscd_api.units.naming import new_unit


@dataclass(frozen=True)
class UnitRef:
    id: uuid.UUID
    code: str | None
    name: str
    level: UnitLevel


def ref(unit: Unit) -> UnitRef:
    return UnitRef(unit.id, unit.code, unit.name, unit.level)


@dataclass(frozen=True)
class Link:
    kind: LineageKind
    predecessor: UnitRef
    successor: UnitRef
    is_default: bool


@dataclass(frozen=True)
class Rehomed:
    """A team, user or API client that moved from a closed unit (or was deactivated)."""

    entity: str  # team, user, api_client
    id: uuid.UUID
    name: str
    from_unit: UnitRef
    to_unit: UnitRef | None
    action: str  # moved, followed_team, deactivated, revoked
    review: bool = False  # a divided unit's default successor, or a deactivation
    role_before: str | None = None
    role_after: str | None = None


@dataclass
class Outcome:
    """What a reorganisation did: the command prints it, the API answers it."""

    reorganisation_id: uuid.UUID
    effective_date: date
    created: list[UnitRef] = field(default_factory=list)
    reused: list[UnitRef] = field(default_factory=list)
    closed: list[UnitRef] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    moved_units: list[tuple[UnitRef, UnitRef, UnitRef]] = field(default_factory=list)
    rehomed: list[Rehomed] = field(default_factory=list)
    # Teams serving a unit that kept its id and moved (a village): re-homed with it.
    teams_carried: int = 0


class Reorganiser:
    """One reorganisation in the caller's transaction: record operations with ``create``,
    ``close`` and ``link``, then ``finish`` re-homes what hung on the closed units."""

    def __init__(
        self,
        session: Session,
        *,
        effective_date: date,
        legal_act: str,
        source: str,
        actor: Principal | None = None,
        actor_name: str | None = None,
        note: str | None = None,
    ) -> None:
        self.session = session
        self.actor = actor
        self.actor_name = actor_name if actor is None else actor.name
        self.effective_date = effective_date
        self.closing_date = effective_date - timedelta(days=1)
        self.legal_act = legal_act
        self.record = UnitReorganisation(
            effective_date=effective_date,
            legal_act=legal_act,
            note=note,
            source=source,
            actor_name=self.actor_name,
        )
        session.add(self.record)
        session.flush()
        self.outcome = Outcome(self.record.id, effective_date)
        self._created: set[uuid.UUID] = set()
        self._closed: dict[uuid.UUID, Unit] = {}
        self._predecessors: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
        self._default: dict[uuid.UUID, Unit] = {}
        # Units that keep their id and go to another successor than the default one
        # (the villages a split hands to each receiving commune).
        self._handed: dict[uuid.UUID, Unit] = {}
        audit.record(
            session,
            actor=actor,
            action=AuditAction.CREATE,
            entity=AuditEntity.UNIT_REORGANISATION,
            entity_id=self.record.id,
            unit_path=actor.scope_path if actor else None,
            after={
                "effective_date": effective_date,
                "legal_act": legal_act,
                "note": note,
                "source": source,
            },
            actor_name=self.actor_name,
        )

    # --- recording operations ---------------------------------------------------------

    def create(
        self,
        parent: Unit | None,
        *,
        name: str,
        level: UnitLevel,
        code: str | None = None,
        division_type: DivisionType,
        households: int | None = None,
    ) -> Unit:
        """A new unit valid from the effective date."""
        unit = new_unit(
            parent,
            name=name,
            level=level,
            division_type=division_type,
            code=code,
            households=households,
            valid_from=self.effective_date,
        )
        repository.add(self.session, unit)
        audit.created(self.session, self.actor, unit, unit.path, actor_name=self.actor_name)
        self._created.add(unit.id)
        self.outcome.created.append(ref(unit))
        return unit

    def reuse(self, unit: Unit) -> Unit:
        """An existing current unit that receives closed units (it continues as it is)."""
        self.outcome.reused.append(ref(unit))
        return unit

    def _write(
        self,
        obj: Versioned,
        changes: dict[str, object],
        path: str,
        action: AuditAction = AuditAction.UPDATE,
    ) -> audit.Values:
        """Change a versioned row and audit it in this reorganisation's name; the row as
        it was."""
        before = audit.snapshot(obj)
        update_versioned(self.session, obj, changes)
        audit.updated(
            self.session, self.actor, obj, before, path, action=action, actor_name=self.actor_name
        )
        return before

    def close(self, unit: Unit) -> None:
        """Close ``unit`` the day before the change (its official code is free again)."""
        if unit.id in self._closed:
            return
        self._write(unit, {"valid_to": self.closing_date}, unit.path, AuditAction.CLOSE)
        self._closed[unit.id] = unit
        self.outcome.closed.append(ref(unit))

    def link(
        self,
        predecessor: Unit,
        successor: Unit,
        kind: LineageKind,
        *,
        default: bool = True,
        note: str | None = None,
    ) -> None:
        """A lineage row old → new. The default successor of a closed unit receives its
        teams, villages and users; a unit with several successors has exactly one."""
        if default:
            self._default[predecessor.id] = successor
        self._predecessors[successor.id].add(predecessor.id)
        self.session.add(
            UnitLineage(
                kind=kind,
                predecessor_id=predecessor.id,
                successor_id=successor.id,
                effective_date=self.effective_date,
                legal_act=self.legal_act,
                note=note,
                is_default=default,
                reorganisation_id=self.record.id,
            )
        )
        self.outcome.links.append(Link(kind, ref(predecessor), ref(successor), default))

    def hand_over(self, unit: Unit, successor: Unit) -> None:
        """A unit that keeps its id (a village) goes to ``successor`` rather than to its
        closed parent's default successor (a split naming the receiving units)."""
        self._handed[unit.id] = successor

    # --- re-homing ----------------------------------------------------------------------

    def finish(self) -> Outcome:
        """Re-home what hung on the closed units, deepest first, then check that no
        current unit is left under a closed one."""
        self.session.flush()
        closed = sorted(self._closed.values(), key=lambda unit: -len(unit.path_names))
        for unit in closed:
            successor = self._default.get(unit.id)
            if successor is None:
                raise Unprocessable.at("body.operations", "no_successor", name=unit.name)
            self._move_children(unit, successor)
            self._move_teams(unit, successor)
            self._move_users(unit, successor)
            self._move_clients(unit, successor)
        moved = [unit.id for unit, _, _ in self.outcome.moved_units]
        self.outcome.teams_carried = repository.count_teams_in(self.session, moved)
        self._recount(closed)
        return self.outcome

    def _recount(self, closed: list[Unit]) -> None:
        """Dashboards count reports where their place now lies and teams where they now
        belong: rebuild the aggregates of the old and the new subtrees (the units above
        are moved by the difference, so the country's totals stay). Reports made in a
        closed unit count where its default successors lead."""
        self.session.flush()
        refresh_rollup_paths(self.session)
        # Every unit that received something: successors, and the units villages moved
        # to (a divided commune's village may go to a successor that is not the default).
        receivers = {link.successor.id for link in self.outcome.links}
        receivers |= {to.id for _, _, to in self.outcome.moved_units}
        received = repository.units_by_id(self.session, receivers).values()
        touched = {unit.path: unit for unit in [*closed, *self._default.values(), *received]}
        roots = [
            unit
            for path, unit in sorted(touched.items())
            if not any(path != other and path.startswith(other) for other in touched)
        ]
        for root in roots:
            rebuild(self.session, root)
        rebuild_history(self.session)

    def _review(self, unit: Unit) -> bool:
        """Whether what a closed unit held went to a default chosen among several."""
        return any(
            link.predecessor.id == unit.id and not link.is_default for link in self.outcome.links
        )

    def _sole_heir(self, old: Unit, successor: Unit) -> bool:
        """The successor is new and comes from ``old``'s own subtree alone (``old`` and
        units below it): nobody's reach grows by following ``old`` there."""
        predecessors = [self._closed.get(p) for p in self._predecessors[successor.id]]
        return (
            successor.id in self._created
            and successor.level is old.level
            and all(p is not None and p.path.startswith(old.path) for p in predecessors)
        )

    def _move_children(self, unit: Unit, successor: Unit) -> None:
        for child in repository.current_children(self.session, unit.id):
            if child.id in self._closed:
                continue
            target = self._handed.get(child.id, successor)
            if target.level not in ALLOWED_PARENTS.get(child.level, frozenset()):
                raise Unprocessable.at(
                    "body.operations",
                    "invalid_parent",
                    level=child.level.value,
                    parent_level=target.level.value,
                )
            self.move(child, target)

    def move(self, unit: Unit, parent: Unit) -> None:
        """Hang ``unit`` (which keeps its id) and its subtree under ``parent``."""
        old_parent_id = unit.parent_id
        old_parent = repository.unit_by_id(self.session, old_parent_id) if old_parent_id else None
        before = audit.snapshot(unit) | {"parent_id": old_parent_id}
        repository.move_subtree(self.session, unit, parent)
        self.session.refresh(unit)
        audit.updated(
            self.session,
            self.actor,
            unit,
            before,
            unit.path,
            extra_after={"parent_id": parent.id},
            actor_name=self.actor_name,
        )
        if old_parent is not None:
            self.session.add(
                UnitMove(
                    unit_id=unit.id,
                    from_parent_id=old_parent.id,
                    to_parent_id=parent.id,
                    effective_date=self.effective_date,
                    reorganisation_id=self.record.id,
                )
            )
            self.outcome.moved_units.append((ref(unit), ref(old_parent), ref(parent)))

    def _move_teams(self, unit: Unit, successor: Unit) -> None:
        review = self._review(unit)
        teams = repository.teams_of_unit(self.session, unit.id)
        for team in teams:
            self._write(team, {"unit_id": successor.id}, successor.path)
            self.outcome.rehomed.append(
                Rehomed("team", team.id, team.name, ref(unit), ref(successor), "moved", review)
            )
        leaders = team_service.move_leaders(
            self.session,
            self.actor,
            [team.id for team in teams],
            unit.id,
            successor,
            actor_name=self.actor_name,
        )
        for leader_id, username in leaders:
            self.outcome.rehomed.append(
                Rehomed(
                    "user", leader_id, username, ref(unit), ref(successor), "followed_team", review
                )
            )

    def _move_users(self, unit: Unit, successor: Unit) -> None:
        """The access rule.

        A user or API client scoped to a closed unit is re-homed to its default successor.
        It keeps its role and stays active only when its reach cannot grow: the successor is new
        in this reorganisation, has the same level, and comes from the closed unit alone (a
        rename, a move, a piece of a divided unit). Otherwise (a merge, a district abolished
        into a province) the user is moved to the successor with the role that level allows
        (its own role, or viewer where the level does not fit it) and deactivated pending review
        by the successor's officers; an API client is revoked. Team leaders follow their team.
        Every change ends the account's sessions and is audited."""
        keeps = self._sole_heir(unit, successor)
        now = utcnow()
        for user in repository.users_scoped_to(self.session, unit.id):
            levels = SCOPE_LEVELS[user.role]
            fits = levels is None or successor.level in levels
            role = user.role if fits else Role.VIEWER
            active = user.is_active and keeps and fits
            changes: dict[str, object] = {"scope_unit_id": successor.id, "role": role}
            if not active:
                changes["is_active"] = False
            before = self._write(user, changes, successor.path)
            auth_repository.end_sessions(self.session, user.id, now)
            self.outcome.rehomed.append(
                Rehomed(
                    "user",
                    user.id,
                    user.username,
                    ref(unit),
                    ref(successor),
                    "moved" if active else "deactivated",
                    review=not active or self._review(unit),
                    role_before=before["role"].value,
                    role_after=role.value,
                )
            )

    def _move_clients(self, unit: Unit, successor: Unit) -> None:
        keeps = self._sole_heir(unit, successor)
        for client in repository.clients_scoped_to(self.session, unit.id):
            if keeps:
                self._write(client, {"scope_unit_id": successor.id}, successor.path)
            else:
                self._write(client, {"revoked_at": utcnow()}, unit.path, AuditAction.REVOKE)
            self.outcome.rehomed.append(
                Rehomed(
                    "api_client",
                    client.id,
                    client.name,
                    ref(unit),
                    ref(successor) if keeps else None,
                    "moved" if keeps else "revoked",
                    review=not keeps,
                )
            )


__all__ = [
    "Link",
    "Outcome",
    "Rehomed",
    "Reorganiser",
    "UnitRef",
    "ref",
]
