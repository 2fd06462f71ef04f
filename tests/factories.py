"""Small helpers that make what a test needs: units of the seeded tree, users, tokens."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlmodel import Session, col, select

from cnscd_api.allowances import service as allowance_service
from cnscd_api.config import Settings
from cnscd_api.core import clock
from cnscd_api.core.security import create_access_token, hash_password
from cnscd_api.core.text import collation_key, fold
from cnscd_api.models import (
    Activity,
    ActivityCategory,
    ActivityStatus,
    ActivityValue,
    Affiliation,
    AllowanceRule,
    AllowanceStatement,
    Campaign,
    CampaignCategory,
    CampaignIndicator,
    CampaignTarget,
    CampaignTargetSet,
    ContentCategory,
    DeviceNeed,
    DeviceReferral,
    DivisionType,
    Indicator,
    Member,
    Membership,
    Poverty,
    ReferralStatus,
    Role,
    SkillLevel,
    StatementStatus,
    SupportRequest,
    SupportRequestStatus,
    Team,
    TeamRole,
    TeamStatus,
    Unit,
    UnitLevel,
    User,
    utcnow,
)
from cnscd_api.stats import aggregates
from cnscd_api.units.naming import division_type_from_name

PASSWORD = "Test-password-2024"


def unit_by_code(session: Session, level: UnitLevel, code: str) -> Unit:
    return session.exec(select(Unit).where(col(Unit.level) == level, col(Unit.code) == code)).one()


@dataclass(frozen=True)
class Tree:
    """Named units of the seeded Kon Tum and Gia Lai trees, and a village made for tests."""

    kon_tum: Unit  # province 62
    dak_glei: Unit  # district 610
    dak_pek: Unit  # commune in Đắk Glei
    dak_pek_village: Unit  # a village under Xã Đắk Pék
    dak_man: Unit  # a sibling commune in Đắk Glei
    ngoc_hoi: Unit  # a sibling district (611)
    gia_lai: Unit  # a sibling province (64)


def make_village(session: Session, commune: Unit, name: str = "Thôn Đắk Ung") -> Unit:
    unit_id = uuid.uuid4()
    village = Unit(
        id=unit_id,
        name=name,
        search_name=fold(name),
        name_key=collation_key(name),
        level=UnitLevel.VILLAGE,
        division_type=division_type_from_name(name) or DivisionType.THON,
        parent_id=commune.id,
        path=f"{commune.path}{unit_id.hex}/",
        path_names=[*commune.path_names, name],
    )
    session.add(village)
    session.flush()
    return village


def make_tree(session: Session) -> Tree:
    dak_pek = unit_by_code(session, UnitLevel.COMMUNE, "23353")
    return Tree(
        kon_tum=unit_by_code(session, UnitLevel.PROVINCE, "62"),
        dak_glei=unit_by_code(session, UnitLevel.DISTRICT, "610"),
        dak_pek=dak_pek,
        dak_pek_village=make_village(session, dak_pek),
        dak_man=session.exec(select(Unit).where(col(Unit.name) == "Xã Đắk Man")).one(),
        ngoc_hoi=unit_by_code(session, UnitLevel.DISTRICT, "611"),
        gia_lai=unit_by_code(session, UnitLevel.PROVINCE, "64"),
    )


@lru_cache
def password_hash(password: str) -> str:
    """Argon2 is slow by design; tests hash each password once."""
    return hash_password(password)


def make_user(
    session: Session,
    role: Role,
    unit: Unit | None,
    username: str | None = None,
    password: str = PASSWORD,
    **fields: Any,
) -> User:
    username = username or f"{role.value.replace('_', '.')}.{uuid.uuid4().hex[:8]}"
    if role is Role.TEAM_LEADER and "team_id" not in fields and unit is not None:
        # A team leader leads a team; give them one in their unit.
        fields["team_id"] = make_team(session, unit).id
    user = User(
        username=username,
        full_name=f"Test {role.value}",
        search_text=fold(f"{username} test {role.value}"),
        name_key=collation_key(f"Test {role.value}"),
        role=role,
        scope_unit_id=unit.id if unit else None,
        password_hash=password_hash(password),
        **fields,
    )
    session.add(user)
    session.flush()
    return user


def make_team(
    session: Session,
    unit: Unit,
    name: str = "Tổ CNSCĐ thử",
    *,
    status: TeamStatus = TeamStatus.ACTIVE,
    created_at: datetime | None = None,
) -> Team:
    team = Team(
        unit_id=unit.id,
        name=name,
        search_name=fold(name),
        name_key=collation_key(name),
        status=status,
    )
    if created_at is not None:
        team.created_at = team.updated_at = created_at
    session.add(team)
    session.flush()
    return team


def make_member(
    session: Session,
    team: Team,
    full_name: str = "Y Thị Hoa",
    *,
    phone: str | None = None,
    email: str | None = None,
    birth_year: int | None = None,
    affiliation: Affiliation = Affiliation.YOUTH_UNION,
    role: TeamRole = TeamRole.MEMBER,
    skill_level: SkillLevel = SkillLevel.BASIC,
    left_on: date | None = None,
) -> Member:
    """A member with the membership row the API would have written."""
    member = Member(
        full_name=full_name,
        search_name=fold(full_name),
        name_key=collation_key(full_name),
        phone=phone or f"09{uuid.uuid4().int % 10**8:08d}",
        email=email,
        birth_year=birth_year,
        affiliation=affiliation,
        skill_level=skill_level,
        team_id=team.id,
        role=role,
        joined_on=date(2024, 9, 1),
        left_on=left_on,
    )
    session.add(member)
    session.flush()
    session.add(
        Membership(
            member_id=member.id,
            team_id=team.id,
            role=role,
            joined_on=member.joined_on,
            left_on=left_on,
        )
    )
    session.flush()
    return member


def bearer(settings: Settings, user: User) -> dict[str, str]:
    token, _ = create_access_token(settings, f"user:{user.id}", generation=user.token_generation)
    return {"Authorization": f"Bearer {token}"}


def make_campaign(
    session: Session,
    scope_unit: Unit,
    code: str | None = None,
    *,
    categories: tuple[str, ...] = ("online_public_services", "vneid"),
    targets: dict[str, int | None] | None = None,
    starts_on: date | None = None,
    ends_on: date | None = None,
    grace_days: int = 5,
    closed: bool = False,
) -> Campaign:
    """A campaign over the seeded catalogue, with its own targets (indicator code → target);
    by default it runs now (from two days ago to a week ahead)."""
    own = targets if targets is not None else {"people_guided": 1000, "households_visited": 500}
    starts_on = starts_on or clock.today() - timedelta(days=2)
    ends_on = ends_on or clock.today() + timedelta(days=7)
    name = f"Đợt thử {code or uuid.uuid4().hex[:6]}"
    campaign = Campaign(
        code=code or f"test-{uuid.uuid4().hex[:10]}",
        name=name,
        search_name=fold(name),
        name_key=collation_key(name),
        scope_unit_id=scope_unit.id,
        starts_on=starts_on,
        ends_on=ends_on,
        grace_days=grace_days,
        reporting_until=ends_on + timedelta(days=grace_days),
        closed_at=utcnow() if closed else None,
        closed_reason="Kết thúc sớm" if closed else None,
    )
    session.add(campaign)
    session.flush()
    for category in session.exec(
        select(ContentCategory).where(col(ContentCategory.code).in_(categories))
    ).all():
        session.add(CampaignCategory(campaign_id=campaign.id, category_id=category.id))
    for indicator in session.exec(select(Indicator).where(col(Indicator.code).in_(own))).all():
        session.add(
            CampaignIndicator(
                campaign_id=campaign.id, indicator_id=indicator.id, target=own[indicator.code]
            )
        )
    session.flush()
    return campaign


def give_target(
    session: Session, campaign: Campaign, parent: Unit, child: Unit, code: str, value: int
) -> None:
    """A target ``parent`` gave ``child`` (and the set it belongs to)."""
    indicator = session.exec(select(Indicator).where(col(Indicator.code) == code)).one()
    if session.get(CampaignTargetSet, (campaign.id, parent.id)) is None:
        session.add(CampaignTargetSet(campaign_id=campaign.id, parent_unit_id=parent.id))
    session.add(
        CampaignTarget(
            campaign_id=campaign.id,
            unit_id=child.id,
            indicator_id=indicator.id,
            parent_unit_id=parent.id,
            value=value,
        )
    )
    session.flush()


def make_activity(
    session: Session,
    team: Team,
    recorder: User,
    *,
    day: date | None = None,
    values: dict[str, int] | None = None,
    categories: tuple[str, ...] = ("vneid",),
    campaign: Campaign | None = None,
    status: ActivityStatus = ActivityStatus.SUBMITTED,
    organisation: str | None = None,
) -> Activity:
    """An activity of ``team`` at the team's unit, recorded by ``recorder``."""
    counted = values if values is not None else {"people_guided": 10}
    activity = Activity(
        team_id=team.id,
        unit_id=team.unit_id,
        activity_date=day or clock.today() - timedelta(days=1),
        campaign_id=campaign.id if campaign else None,
        organisation=organisation,
        status=status,
        recorded_by_user_id=recorder.id,
        recorded_by_name=recorder.username,
        recorded_role=recorder.role,
        content_hash="0" * 64,
    )
    session.add(activity)
    session.flush()
    for category in session.exec(
        select(ContentCategory).where(col(ContentCategory.code).in_(categories))
    ).all():
        session.add(ActivityCategory(activity_id=activity.id, category_id=category.id))
    for indicator in session.exec(select(Indicator).where(col(Indicator.code).in_(counted))).all():
        session.add(
            ActivityValue(
                activity_id=activity.id, indicator_id=indicator.id, value=counted[indicator.code]
            )
        )
    session.flush()
    # Counted in the dashboards as the API would have counted it.
    aggregates.change(session, [], aggregates.facts_of(session, [activity.id]).values())
    return activity


def make_endpoint(session: Session, owner: User, url: str = "https://93.184.215.14/cnscd") -> Any:
    """A webhook endpoint of ``owner`` (a public address: no name resolves in the tests)."""
    from cnscd_api.models import WebhookEndpoint

    endpoint = WebhookEndpoint(
        owner_user_id=owner.id, unit_path="/", url=url, secret="whsec_" + "A" * 44
    )
    session.add(endpoint)
    session.flush()
    return endpoint


def make_support_request(
    session: Session,
    place: Unit,
    *,
    organisation: str = "VNPT Kon Tum",
    status: SupportRequestStatus = SupportRequestStatus.REQUESTED,
    team: Team | None = None,
    created_at: datetime | None = None,
    answered_at: datetime | None = None,
    done_at: datetime | None = None,
) -> SupportRequest:
    """A request of the place's commune officer to ``organisation`` (accepted ones come on
    the window's second day with two staff)."""
    answered = status is not SupportRequestStatus.REQUESTED
    request = SupportRequest(
        organisation=organisation,
        unit_id=place.id,
        team_id=team.id if team else None,
        wanted_from=date(2030, 10, 1),
        wanted_to=date(2030, 10, 5),
        categories=["vneid"],
        expected_people=40,
        contact_name="A Nhong",
        phone="0912345678",
        status=status,
        scheduled_on=date(2030, 10, 2) if answered else None,
        staff_count=2 if answered else None,
        requested_by_name="xa.dakpek",
        answered_by_name=organisation if answered else None,
        answered_at=answered_at or (utcnow() if answered else None),
        done_at=done_at,
    )
    if created_at is not None:
        request.created_at = request.updated_at = created_at
    session.add(request)
    session.flush()
    return request


def make_device_need(
    session: Session, place: Unit, counted_on: date = date(2024, 10, 1)
) -> DeviceNeed:
    need = DeviceNeed(
        unit_id=place.id,
        counted_on=counted_on,
        households_without_smartphone=30,
        poor=10,
        near_poor=5,
        counted_by="Tổ CNSCĐ",
        recorded_by_name="xa.dakpek",
    )
    session.add(need)
    session.flush()
    return need


def make_device_referral(
    session: Session,
    place: Unit,
    *,
    organisation: str = "VNPT Kon Tum",
    status: ReferralStatus = ReferralStatus.REQUESTED,
) -> DeviceReferral:
    referral = DeviceReferral(
        organisation=organisation,
        unit_id=place.id,
        household_head="A Nhong",
        phone="0912345678",
        poverty=Poverty.POOR,
        consent_on=date(2024, 10, 1),
        status=status,
        retain_until=clock.today() + timedelta(days=365),
        referred_by_name="xa.dakpek",
    )
    session.add(referral)
    session.flush()
    return referral


def make_allowance_rule(
    session: Session, province: Unit, effective_from: date = date(2024, 1, 1)
) -> AllowanceRule:
    rule = AllowanceRule(
        province_id=province.id,
        effective_from=effective_from,
        resolution_number="15/2023/NQ-HĐND",
        resolution_date=date(2023, 12, 8),
        per_team_month=600000,
    )
    session.add(rule)
    session.flush()
    return rule


def make_statement(
    session: Session, unit: Unit, month: date, *, approved: bool = False
) -> AllowanceStatement:
    """A statement of ``unit`` prepared by a district officer (not the caller)."""
    lines, total, _ = allowance_service.figures(session, unit, month, None)
    statement = AllowanceStatement(
        unit_id=unit.id,
        month=month,
        status=StatementStatus.APPROVED if approved else StatementStatus.PREPARED,
        total_amount=total,
        lines=lines,
        prepared_by_name="huyen.lap",
        prepared_role=Role.DISTRICT_OFFICER,
        prepared_at=utcnow(),
    )
    session.add(statement)
    session.flush()
    return statement
