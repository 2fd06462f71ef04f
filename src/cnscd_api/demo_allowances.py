"""The demo's allowances: a rule of Kon Tum and the statements of October 2024.

The rule is an illustration in the shape of the provinces' resolutions (a monthly amount
per team that reported, and an amount per person per day of approved activity), marked as
demo data. Every district but Đắk Glei has its October 2024 statement, prepared by the
district and approved by the province, computed from the demo's approved reports; Đắk
Glei's is left for the README's walkthrough (its officer prepares it, the province
approves it). Idempotent: nothing is added once the demo rule exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from cnscd_api.allowances import repository, service
from cnscd_api.models import (
    AllowanceRule,
    AllowanceStatement,
    Role,
    StatementStatus,
    Unit,
    UnitLevel,
    utcnow,
)

MONTH = date(2024, 10, 1)
LEFT_FOR_THE_WALKTHROUGH = "610"  # Huyện Đắk Glei
RESOLUTION = "15/2023/NQ-HĐND (demo)"


@dataclass(frozen=True)
class DemoAllowances:
    created: bool
    statements: int = 0
    total_amount: int = 0


def seed_demo_allowances(session: Session) -> DemoAllowances:
    if session.exec(select(AllowanceRule.id).where(col(AllowanceRule.is_demo))).first():
        return DemoAllowances(created=False)
    province = session.exec(
        select(Unit).where(
            col(Unit.level) == UnitLevel.PROVINCE,
            col(Unit.code) == "62",
            col(Unit.is_demo).is_(False),
        )
    ).first()
    if province is None or province.valid_to is not None:
        return DemoAllowances(created=False)
    session.add(
        AllowanceRule(
            province_id=province.id,
            effective_from=date(2024, 1, 1),
            resolution_number=RESOLUTION,
            resolution_date=date(2023, 12, 8),
            per_team_month=300_000,
            team_must_report=True,
            per_person_day=100_000,
            note="Quy định minh hoạ cho dữ liệu demo.",
            is_demo=True,
        )
    )
    session.flush()
    districts = session.exec(
        select(Unit).where(
            col(Unit.parent_id) == province.id,
            col(Unit.level) == UnitLevel.DISTRICT,
            col(Unit.code) != LEFT_FOR_THE_WALKTHROUGH,
        )
    ).all()
    now, total, count = utcnow(), 0, 0
    for district in sorted(districts, key=lambda unit: unit.code or ""):
        lines, amount, paid = service.figures(session, district, MONTH, None)
        statement = AllowanceStatement(
            unit_id=district.id,
            month=MONTH,
            status=StatementStatus.APPROVED,
            total_amount=amount,
            lines=lines,
            prepared_by_name=f"Cán bộ {district.name} (demo)",
            prepared_role=Role.DISTRICT_OFFICER,
            prepared_at=now,
            approved_by_name="Ban chỉ đạo tỉnh Kon Tum (demo)",
            approved_at=now,
            is_demo=True,
        )
        session.add(statement)
        session.flush()
        repository.mark_paid(session, statement.id, MONTH, paid)
        total += amount
        count += 1
    return DemoAllowances(created=True, statements=count, total_amount=total)
