"""The Kon Tum demo's partners on the ground: support requests of communes to VNPT and
Viettel around the 2024 peak, in every state, and counts of households without a
smartphone in the villages of Huyện Đắk Glei; the report of each request done becomes the
report it served, made with the partner's staff. Deterministic (a fixed seed, units taken
in Python's order of their names, fixed timestamps); no household is named (no
referrals: the demo holds no personal data of households).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session, col, select

from cnscd_api.activities import repository as activity_repository
from cnscd_api.activities.checks import content_hash
from cnscd_api.models import (
    Activity,
    DeviceNeed,
    SupportRequest,
    SupportRequestStatus,
    Team,
    Unit,
    UnitLevel,
)

SEED = 20241015
ORGANISATIONS = ("VNPT Kon Tum", "Viettel Kon Tum")
DISTRICT_CODE = "610"  # Huyện Đắk Glei: its villages are counted
COUNTED_ON = date(2024, 10, 15)
ASKED_FROM = datetime(2024, 9, 20, 1, 0, tzinfo=UTC)  # 08:00 in Kon Tum
CATEGORY_SETS = (
    ["vneid"],
    ["cashless_payment", "vneid"],
    ["online_public_services"],
    ["cashless_payment"],
)
# The state of every fourth request, in turn: most answered, some still open.
STATES = (
    SupportRequestStatus.DONE,
    SupportRequestStatus.ACCEPTED,
    SupportRequestStatus.DONE,
    SupportRequestStatus.REQUESTED,
    SupportRequestStatus.DECLINED,
    SupportRequestStatus.DONE,
)
DECLINED = "Nhân viên kỹ thuật đang hỗ trợ xã khác trong tuần này"


@dataclass(frozen=True)
class DemoPartners:
    requests: int
    needs: int
    skipped: bool = False


def _teams_by_commune(session: Session) -> list[tuple[Unit, Team]]:
    """One demo team per commune that has one, communes in their names' order."""
    rows = session.exec(
        select(Team, Unit).join(Unit, col(Unit.id) == col(Team.unit_id)).where(col(Team.is_demo))
    ).all()
    chosen: dict[str, tuple[Unit, Team]] = {}
    for team, unit in sorted(rows, key=lambda row: (row[1].path_names, row[0].name)):
        commune_path = unit.path if unit.level is UnitLevel.COMMUNE else unit.path[:-33]
        chosen.setdefault(commune_path, (unit, team))
    return sorted(chosen.values(), key=lambda pair: pair[0].path_names)


def _assisted(session: Session, request: SupportRequest) -> None:
    """The report of the request's team on the day its partner came (or its first report)
    becomes the report that request served: made with the partner's staff."""
    reports = session.exec(
        select(Activity).where(col(Activity.team_id) == request.team_id, col(Activity.is_demo))
    ).all()
    if not reports:
        return
    report = min(reports, key=lambda a: (a.activity_date != request.scheduled_on, a.activity_date))
    categories, values, members = activity_repository.details(session, [report.id])
    report.organisation = request.organisation
    report.partner_staff = request.staff_count
    report.support_request_id = request.id
    report.content_hash = content_hash(
        team_id=report.team_id,
        unit_id=report.unit_id,
        activity_date=report.activity_date,
        categories=categories[report.id],
        member_ids=members[report.id],
        values=values[report.id],
        campaign_id=report.campaign_id,
        organisation=report.organisation,
        partner_staff=report.partner_staff,
        description=report.description,
        support_request_id=report.support_request_id,
    )
    session.add(report)


def seed_demo_partners(session: Session) -> DemoPartners:
    """Does nothing if demo requests exist, or before the demo teams."""
    if session.exec(select(SupportRequest.id).where(col(SupportRequest.is_demo))).first():
        return DemoPartners(0, 0, skipped=True)
    rng = random.Random(SEED)  # noqa: S311 -- demo data, deterministic on purpose
    requests = 0
    for index, (place, team) in enumerate(_teams_by_commune(session)[::3]):
        status = STATES[index % len(STATES)]
        organisation = ORGANISATIONS[index % len(ORGANISATIONS)]
        asked = ASKED_FROM + timedelta(days=index % 10, hours=rng.randint(0, 8))
        wanted_from = date(2024, 10, 1) + timedelta(days=rng.randint(0, 6))
        answered = status is not SupportRequestStatus.REQUESTED
        staff = rng.randint(1, 3)
        request = SupportRequest(
            organisation=organisation,
            unit_id=place.id,
            team_id=team.id,
            wanted_from=wanted_from,
            wanted_to=wanted_from + timedelta(days=3),
            categories=CATEGORY_SETS[index % len(CATEGORY_SETS)],
            expected_people=rng.randint(3, 12) * 10,
            contact_name=f"Tổ trưởng {team.name}",
            notes="Nhà văn hoá thôn, buổi sáng",
            status=status,
            scheduled_on=wanted_from + timedelta(days=1) if answered else None,
            staff_count=staff if status is not SupportRequestStatus.DECLINED else None,
            reason=DECLINED if status is SupportRequestStatus.DECLINED else None,
            requested_by_name=f"Cán bộ {place.path_names[min(2, len(place.path_names) - 1)]}",
            answered_by_name=organisation if answered else None,
            answered_at=asked + timedelta(hours=rng.randint(2, 48)) if answered else None,
            done_at=(
                datetime.combine(wanted_from + timedelta(days=1), datetime.min.time(), UTC)
                + timedelta(hours=10)
                if status is SupportRequestStatus.DONE
                else None
            ),
            created_at=asked,
            updated_at=asked,
            is_demo=True,
        )
        session.add(request)
        session.flush()
        if status is SupportRequestStatus.DONE:
            _assisted(session, request)
        requests += 1
    district = session.exec(
        select(Unit).where(col(Unit.level) == UnitLevel.DISTRICT, col(Unit.code) == DISTRICT_CODE)
    ).first()
    needs = 0
    if district is not None:
        villages = session.exec(
            select(Unit).where(
                col(Unit.level) == UnitLevel.VILLAGE,
                col(Unit.is_demo),
                col(Unit.path).like(f"{district.path}%"),
            )
        ).all()
        for village in sorted(villages, key=lambda unit: unit.path_names):
            households = village.households or rng.randint(60, 200)
            without = households * rng.randint(8, 30) // 100
            poor = without * rng.randint(30, 60) // 100
            session.add(
                DeviceNeed(
                    unit_id=village.id,
                    counted_on=COUNTED_ON,
                    households_without_smartphone=without,
                    poor=poor,
                    near_poor=(without - poor) * rng.randint(10, 40) // 100,
                    counted_by=f"Tổ CNSCĐ {village.name}",
                    recorded_by_name="Cán bộ xã (demo)",
                    is_demo=True,
                )
            )
            needs += 1
    session.flush()
    return DemoPartners(requests, needs)
