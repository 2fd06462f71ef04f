"""Months closed by an approved statement: the one check every change of a report makes.

A report belongs to the month of its date and to every statement of a unit on its
place's path. While one of those statements is approved, the report cannot be recorded,
edited, reviewed, reopened or deleted (409 ``allowance_month_closed``, naming the
statement). On PostgreSQL the check reads the statements FOR KEY SHARE: approving a
statement locks its row FOR UPDATE first, so a report's change and the approval of its
month run one after the other, and the second sees what the first did.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from cnscd_api.core.errors import Conflict
from cnscd_api.core.scope import ancestor_ids, unscoped
from cnscd_api.models import AllowanceStatement, StatementStatus


def first_of_month(day: date) -> date:
    return day.replace(day=1)


STATEMENTS: Any = AllowanceStatement.__table__  # type: ignore[attr-defined]


@unscoped("a rule across the tree: any statement above a report's place closes its month")
def ensure_month_open(session: Session, day: date, path: str) -> None:
    """409 ``allowance_month_closed`` when an approved statement covers the month of
    ``day`` at the report's place (whose stored ``path`` is given): a statement of the
    place or of a unit on its path, found by key (``unit_id``, ``month``)."""
    connection = session.connection()
    statement = (
        sa.select(STATEMENTS.c.id, STATEMENTS.c.month, STATEMENTS.c.status)
        .where(
            STATEMENTS.c.unit_id.in_(ancestor_ids(path)),
            STATEMENTS.c.month == first_of_month(day),
        )
        .order_by(STATEMENTS.c.id)
        .with_for_update(read=True, key_share=True)
    )
    for statement_id, month, status in connection.execute(statement):
        if status == StatementStatus.APPROVED:
            raise Conflict(
                "allowance_month_closed",
                statement_id=str(statement_id),
                month=month.strftime("%Y-%m"),
            )
