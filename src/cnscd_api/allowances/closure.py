"""Months closed by an approved statement: the one check every change of a report makes.

A report belongs to the month of its date and to every statement of a unit on its
place's path. While one of those statements is approved, the report cannot be recorded,
edited, reviewed, reopened or deleted (409 ``allowance_month_closed``, naming the
statement). On PostgreSQL the check reads the statements FOR KEY SHARE: approving a
statement locks its row FOR UPDATE first, so a report's change and the approval of its
month run one after the other, and the second sees what the first did.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from cnscd_api.core.errors import Conflict
from cnscd_api.core.scope import Lock, locked, unscoped
from cnscd_api.models import AllowanceStatement, StatementStatus, Unit


def first_of_month(day: date) -> date:
    return day.replace(day=1)


@unscoped("a rule across the tree: any statement above a report's place closes its month")
def ensure_month_open(session: Session, place_id: uuid.UUID, day: date) -> None:
    """409 ``allowance_month_closed`` when an approved statement covers the report's
    place and month."""
    place, covering = aliased(Unit), aliased(Unit)
    statement = (
        select(AllowanceStatement)
        .join(covering, col(covering.id) == col(AllowanceStatement.unit_id))
        .join(place, col(place.id) == place_id)
        .where(
            col(AllowanceStatement.month) == first_of_month(day),
            col(place.path).startswith(covering.path),
        )
        .order_by(col(AllowanceStatement.id))
    )
    for found in session.exec(locked(statement, AllowanceStatement, Lock.KEY_SHARE)).all():
        if found.status is StatementStatus.APPROVED:
            raise Conflict(
                "allowance_month_closed",
                statement_id=str(found.id),
                month=found.month.strftime("%Y-%m"),
            )
