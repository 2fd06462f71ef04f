"""The one place that decides what a caller can see: the subtree of their scope unit.

Every repository's read statement starts from these clauses, so an object outside the
subtree is simply not found (404), exactly like one that does not exist.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, or_
from sqlalchemy.orm import Mapped
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from cnscd_api.core.permissions import Principal
from cnscd_api.core.text import LIKE_ESCAPE, escape_like
from cnscd_api.models import Role, Unit


def path_in_subtree(
    path_column: Mapped[str] | Mapped[str | None], subtree_path: str
) -> ColumnElement[bool]:
    """``path_column`` lies at or below the unit whose path is ``subtree_path``."""
    return col(path_column).like(f"{escape_like(subtree_path)}%", escape=LIKE_ESCAPE)


def ancestor_ids(path: str) -> list[uuid.UUID]:
    """The ids on a materialised path, from the province down to the unit itself."""
    return [uuid.UUID(hex=part) for part in path.strip("/").split("/") if part]


def in_scope(
    principal: Principal, path_column: Mapped[str] | Mapped[str | None]
) -> ColumnElement[bool]:
    return path_in_subtree(path_column, principal.scope_path)


def visible_units_clause(principal: Principal) -> ColumnElement[bool]:
    """Units the caller may read: the subtree, and for a team leader also the ancestors
    of the team's unit (PERMISSIONS.md: their names)."""
    clause = in_scope(principal, col(Unit.path))
    if principal.role is Role.TEAM_LEADER:
        clause = or_(clause, col(Unit.id).in_(ancestor_ids(principal.scope_path)))
    return clause


def accessible_unit_ids(principal: Principal) -> SelectOfScalar[uuid.UUID]:
    """The ids of the units in the caller's subtree, as a subquery for other tables."""
    return select(Unit.id).where(in_scope(principal, col(Unit.path)))
