"""The Kon Tum demo's campaign: "Cao điểm Ngày Chuyển đổi số quốc gia 2024", 1–10 October
2024, with the six contents of that peak, the province's own targets, and the targets it
split among its districts and they among their communes (in proportion to the households
of each unit's villages, keeping a small reserve at every tier). Deterministic: the same
targets on every machine.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import func, insert
from sqlmodel import Session, SQLModel, col, select

from cnscd_api.activities.checks import content_hash
from cnscd_api.catalogue import repository as catalogue_repository
from cnscd_api.core.text import collation_key, fold
from cnscd_api.models import (
    Activity,
    ActivityCategory,
    ActivityMember,
    ActivityStatus,
    ActivityValue,
    Campaign,
    CampaignCategory,
    CampaignIndicator,
    CampaignTarget,
    CampaignTargetSet,
    ContentCategory,
    Indicator,
    Member,
    Role,
    Team,
    TeamRole,
    Unit,
    UnitLevel,
    utcnow,
)
from cnscd_api.stats.rebuild import rebuild

CODE = "cds-2024-kontum"
NAME = "Cao điểm Ngày Chuyển đổi số quốc gia 2024"
DESCRIPTION = (
    "Đợt cao điểm hưởng ứng Ngày Chuyển đổi số quốc gia 10/10/2024: các Tổ công nghệ số cộng "
    "đồng đi từng ngõ, gõ từng nhà, hướng dẫn từng người dân sáu nội dung."
)
STARTS_ON, ENDS_ON, GRACE_DAYS = date(2024, 10, 1), date(2024, 10, 10), 5
CATEGORIES = (
    "online_public_services",
    "cashless_payment",
    "vietnamese_ecommerce",
    "online_safety",
    "information_search",
    "vneid",
)
# The province's own targets for the ten days (about 560,000 people live in Kon Tum).
PROVINCE_TARGETS = {
    "people_guided": 120_000,
    "households_visited": 60_000,
    "vneid_level2_activated": 30_000,
    "payment_accounts_opened": 15_000,
    "public_service_dossiers": 10_000,
    "ecommerce_listings": 2_000,
    "people_trained_basic_skills": 20_000,
}
# Each tier hands down this share of its own target and keeps the rest in reserve.
HANDED_DOWN = 0.95


def _split(total: int, weights: dict[uuid.UUID, int]) -> dict[uuid.UUID, int]:
    """``total`` × HANDED_DOWN shared in proportion to ``weights`` (rounded down)."""
    whole = sum(weights.values()) or 1
    budget = int(total * HANDED_DOWN)
    return {unit_id: budget * weight // whole for unit_id, weight in weights.items()}


def seed_demo_campaign(session: Session) -> bool:
    """Create the campaign and its targets unless it exists; True when created."""
    if session.exec(select(Campaign.id).where(col(Campaign.code) == CODE)).first() is not None:
        return False
    province = session.exec(
        select(Unit).where(col(Unit.level) == UnitLevel.PROVINCE, col(Unit.code) == "62")
    ).one()
    categories = session.exec(
        select(ContentCategory).where(col(ContentCategory.code).in_(CATEGORIES))
    ).all()
    indicators = {
        i.code: i
        for i in session.exec(
            select(Indicator).where(col(Indicator.code).in_(list(PROVINCE_TARGETS)))
        ).all()
    }
    campaign = Campaign(
        code=CODE,
        name=NAME,
        search_name=fold(NAME),
        name_key=collation_key(NAME),
        description=DESCRIPTION,
        scope_unit_id=province.id,
        starts_on=STARTS_ON,
        ends_on=ENDS_ON,
        grace_days=GRACE_DAYS,
        reporting_until=date(2024, 10, 15),
        is_demo=True,
    )
    session.add(campaign)
    session.flush()
    session.execute(
        insert(CampaignCategory),
        [{"campaign_id": campaign.id, "category_id": c.id} for c in categories],
    )
    session.execute(
        insert(CampaignIndicator),
        [
            {"campaign_id": campaign.id, "indicator_id": indicators[code].id, "target": target}
            for code, target in PROVINCE_TARGETS.items()
        ],
    )
    _cascade(session, campaign, province, indicators)
    return True


def _households_by_unit(session: Session, province: Unit) -> dict[uuid.UUID, int]:
    """Households of the villages below each district and commune of the province."""
    rows = session.exec(
        select(Unit.path, func.coalesce(Unit.households, 0)).where(
            col(Unit.level) == UnitLevel.VILLAGE, col(Unit.path).like(f"{province.path}%")
        )
    ).all()
    totals: dict[uuid.UUID, int] = defaultdict(int)
    for path, households in rows:
        for part in path.strip("/").split("/")[1:-1]:  # the district and the commune
            totals[uuid.UUID(hex=part)] += households
    return totals


def _cascade(
    session: Session, campaign: Campaign, province: Unit, indicators: dict[str, Indicator]
) -> None:
    weights = _households_by_unit(session, province)
    children: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for unit_id, parent_id in session.exec(
        select(Unit.id, Unit.parent_id).where(
            col(Unit.path).like(f"{province.path}%"),
            col(Unit.level).in_([UnitLevel.DISTRICT, UnitLevel.COMMUNE]),
        )
    ).all():
        if parent_id is not None:
            children[parent_id].append(unit_id)
    now = utcnow()
    targets: list[dict[str, object]] = []
    sets: list[dict[str, object]] = []
    limits = {province.id: dict(PROVINCE_TARGETS)}
    for parent_id in [province.id, *sorted(children[province.id])]:
        own = limits.get(parent_id)
        kids = sorted(children.get(parent_id, []))
        if not own or not kids:
            continue
        sets.append(
            {
                "campaign_id": campaign.id,
                "parent_unit_id": parent_id,
                "version": 1,
                "updated_at": now,
            }
        )
        for code, total in own.items():
            shares = _split(total, {kid: weights.get(kid, 0) or 1 for kid in kids})
            for kid, value in shares.items():
                limits.setdefault(kid, {})[code] = value
                targets.append(
                    {
                        "campaign_id": campaign.id,
                        "unit_id": kid,
                        "indicator_id": indicators[code].id,
                        "parent_unit_id": parent_id,
                        "value": value,
                    }
                )
    session.execute(insert(CampaignTargetSet), sets)
    session.execute(insert(CampaignTarget), targets)


# --- the activities teams reported during the peak ------------------------------------------

ACTIVITY_SEED = 20241010
REPORTING_SHARE = 0.8  # most teams report on most days
SUBMITTED_SHARE, REJECTED_SHARE = 0.12, 0.03  # still waiting, sent back; the rest approved
REJECTION = "Số liệu chưa khớp với danh sách ký nhận"
REVIEWER = "Cán bộ xã (demo)"
# indicator code: (usual low, usual high) per activity, and the contents that report it
COUNTS = {
    "people_guided": (8, 60),
    "households_visited": (4, 30),
    "vneid_level2_activated": (2, 20),
    "payment_accounts_opened": (0, 8),
    "public_service_dossiers": (0, 6),
    "ecommerce_listings": (0, 3),
    "people_trained_basic_skills": (0, 15),
}


@dataclass
class _Peak:
    """What every report of the demo peak shares, and the rows being built."""

    campaign: Campaign
    categories: dict[str, uuid.UUID]
    indicators: dict[str, uuid.UUID]
    links: dict[uuid.UUID, list[str]]
    rng: random.Random
    now: datetime
    rows: dict[type[SQLModel], list[dict[str, object]]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def report(self, team: Team, crew: list[tuple[uuid.UUID, str, TeamRole]], day: date) -> None:
        rng = self.rng
        leader = next((name for _, name, role in crew if role is TeamRole.LEADER), crew[0][1])
        chosen = sorted(rng.sample(CATEGORIES, rng.randint(1, 3)))
        counted = {
            code: rng.randint(*COUNTS[code])
            for code in COUNTS
            if set(self.links[self.indicators[code]]) & set(chosen)
        }
        took_part = sorted(m for m, _, _ in rng.sample(crew, min(len(crew), rng.randint(2, 4))))
        roll = rng.random()
        status = (
            ActivityStatus.REJECTED
            if roll < REJECTED_SHARE
            else ActivityStatus.SUBMITTED
            if roll < REJECTED_SHARE + SUBMITTED_SHARE
            else ActivityStatus.APPROVED
        )
        reviewed = status is not ActivityStatus.SUBMITTED
        activity_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        self.rows[Activity].append(
            {
                "id": activity_id,
                "team_id": team.id,
                "unit_id": team.unit_id,
                "activity_date": day,
                "campaign_id": self.campaign.id,
                "organisation": None,
                "partner_staff": None,
                "description": None,
                "status": status,
                "rejection_reason": REJECTION if status is ActivityStatus.REJECTED else None,
                "recorded_by_user_id": None,
                "recorded_by_client_id": None,
                "recorded_by_name": leader,
                "recorded_role": Role.TEAM_LEADER,
                "reviewed_by_user_id": None,
                "reviewed_by_name": REVIEWER if reviewed else None,
                "reviewed_role": Role.COMMUNE_OFFICER if reviewed else None,
                "reviewed_at": self.now if reviewed else None,
                "content_hash": content_hash(
                    team_id=team.id,
                    unit_id=team.unit_id,
                    activity_date=day,
                    categories=chosen,
                    member_ids=took_part,
                    values=counted,
                    campaign_id=self.campaign.id,
                    organisation=None,
                    partner_staff=None,
                    description=None,
                ),
                "is_demo": True,
                "version": 1,
                "created_at": self.now,
                "updated_at": self.now,
            }
        )
        self.rows[ActivityCategory] += [
            {"activity_id": activity_id, "category_id": self.categories[c]} for c in chosen
        ]
        self.rows[ActivityMember] += [
            {"activity_id": activity_id, "member_id": m} for m in took_part
        ]
        self.rows[ActivityValue] += [
            {"activity_id": activity_id, "indicator_id": self.indicators[c], "value": v}
            for c, v in counted.items()
        ]


def seed_demo_activities(session: Session) -> int:
    """Reports of the 2024 peak: most teams on most of its ten days, with realistic
    counts; most approved by their commune, some still waiting, a few sent back.
    Deterministic; does nothing if the campaign already has reports."""
    campaign = session.exec(select(Campaign).where(col(Campaign.code) == CODE)).first()
    if campaign is None:
        return 0
    if session.exec(select(Activity.id).where(col(Activity.campaign_id) == campaign.id)).first():
        return 0
    indicators = {
        i.code: i.id
        for i in session.exec(select(Indicator).where(col(Indicator.code).in_(list(COUNTS)))).all()
    }
    peak = _Peak(
        campaign=campaign,
        categories={
            c.code: c.id
            for c in session.exec(
                select(ContentCategory).where(col(ContentCategory.code).in_(CATEGORIES))
            ).all()
        },
        indicators=indicators,
        links=catalogue_repository.category_codes_of(session, indicators.values()),
        rng=random.Random(ACTIVITY_SEED),  # noqa: S311 -- demo data, deterministic on purpose
        now=utcnow(),
    )
    # Teams and crews go through the generator in Python's order (code points), the same
    # on both databases: ORDER BY a name follows the database's collation (PostgreSQL's
    # locale places Vietnamese letters elsewhere than SQLite), and ids are random, so the
    # same seed once drew other reports on each (4,543 on SQLite, 4,516 on PostgreSQL).
    crews: dict[uuid.UUID, list[tuple[uuid.UUID, str, TeamRole]]] = defaultdict(list)
    members = session.execute(
        sa.select(
            col(Member.id),
            col(Member.team_id),
            col(Member.full_name),
            col(Member.role),
            col(Member.phone),
        ).where(col(Member.is_demo))
    ).all()
    for member_id, team_id, name, role, _ in sorted(members, key=lambda m: (m[2], m[4] or "")):
        crews[team_id].append((member_id, name, TeamRole(role)))
    days = [STARTS_ON + timedelta(days=n) for n in range((ENDS_ON - STARTS_ON).days + 1)]
    teams = session.exec(
        select(Team, Unit.path_names)
        .join(Unit, col(Unit.id) == col(Team.unit_id))
        .where(col(Team.is_demo))
    ).all()
    for team, _ in sorted(teams, key=lambda row: (row[1], row[0].name)):
        crew = crews.get(team.id, [])
        for day in days:
            if crew and peak.rng.random() <= REPORTING_SHARE:
                peak.report(team, crew, day)
    for table in (Activity, ActivityCategory, ActivityMember, ActivityValue):
        chunk = peak.rows[table]
        for start in range(0, len(chunk), 2000):
            session.execute(insert(table), chunk[start : start + 2000])
    # Written in bulk, so counted for the dashboards in bulk too.
    rebuild(session, session.get(Unit, campaign.scope_unit_id))
    return len(peak.rows[Activity])
