"""The Kon Tum demo's campaign: "Cao điểm Ngày Chuyển đổi số quốc gia 2024", 1–10 October
2024, with the six contents of that peak, the province's own targets, and the targets it
split among its districts and they among their communes (in proportion to the households
of each unit's villages, keeping a small reserve at every tier). Deterministic: the same
targets on every machine.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date

from sqlalchemy import func, insert
from sqlmodel import Session, col, select

from cnscd_api.core.text import fold
from cnscd_api.models import (
    Campaign,
    CampaignCategory,
    CampaignIndicator,
    CampaignTarget,
    CampaignTargetSet,
    ContentCategory,
    Indicator,
    Unit,
    UnitLevel,
    utcnow,
)

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
