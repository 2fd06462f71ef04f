"""The Kon Tum demo data set, generated deterministically (fixed random seed) and marked
``is_demo``: villages under the 102 communes, 566 teams and 2,519 members, the sizes
of the province's network in 2024.
"""

from __future__ import annotations

import random
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import insert
from sqlmodel import Session, col, select

from cnscd_api.core.text import fold
from cnscd_api.models import (
    Affiliation,
    DivisionType,
    Gender,
    Member,
    Membership,
    SkillLevel,
    Team,
    TeamRole,
    TeamStatus,
    Unit,
    UnitLevel,
    utcnow,
)

SEED = 20241001
VILLAGES = 869
TEAMS = 566
MEMBERS = 2519
PROVINCE_CODE = "62"

FAMILY_NAMES = (
    ["Nguyễn"] * 20
    + ["Trần"] * 8
    + ["Lê"] * 7
    + ["Phạm"] * 5
    + ["Hoàng"] * 3
    + ["Huỳnh"] * 2
    + ["Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Trương"]
)
MIDDLE_MALE = ["Văn", "Đức", "Minh", "Quốc", "Hữu", "Thanh", "Công", "Ngọc"]
MIDDLE_FEMALE = ["Thị", "Ngọc", "Thu", "Thanh", "Kim", "Mỹ", "Hồng"]
GIVEN_MALE = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Hải",
    "Hùng",
    "Khánh",
    "Long",
    "Minh",
    "Nam",
    "Phong",
    "Phúc",
    "Quang",
    "Sơn",
    "Tâm",
    "Thắng",
    "Trung",
    "Tuấn",
    "Việt",
    "Vinh",
    "Huy",
    "Đạt",
]
GIVEN_FEMALE = [
    "Hà",
    "Hạnh",
    "Hoa",
    "Hương",
    "Lan",
    "Linh",
    "Mai",
    "Nga",
    "Ngọc",
    "Nhung",
    "Thảo",
    "Thủy",
    "Trang",
    "Vy",
    "Yến",
    "Dung",
    "Hằng",
    "Loan",
    "Phương",
    "Quyên",
]
# Xơ Đăng, Ba Na, Giẻ Triêng and Gia Rai names, common in Kon Tum's villages.
ETHNIC_MALE = ["A Blông", "A Nhong", "A Tút", "A Hyum", "A Thái", "A Sang", "A Rưng", "A Đoan"]
ETHNIC_FEMALE = ["Y Dim", "Y Hoa", "Y Phương", "Y Blin", "Y Nga", "Y Thảo", "Y Sương", "Y Mai"]
VILLAGE_WORDS = ["Kon Klor", "Đắk Ung", "Plei Ơi", "Kon Rờ Bàng", "Tu Rét", "Đăk Wơk", "Măng Rương"]

AFFILIATION_WEIGHTS = {
    Affiliation.YOUTH_UNION: 40,
    Affiliation.RESIDENTIAL_GROUP: 15,
    Affiliation.COMMUNE_OFFICIAL: 10,
    Affiliation.POLICE: 8,
    Affiliation.WOMENS_UNION: 8,
    Affiliation.FARMERS_ASSOCIATION: 6,
    Affiliation.FATHERLAND_FRONT: 5,
    Affiliation.IT_ENTERPRISE: 5,
    Affiliation.OTHER: 3,
}
SKILL_WEIGHTS = {SkillLevel.BASIC: 50, SkillLevel.INTERMEDIATE: 35, SkillLevel.ADVANCED: 15}
# Mobile prefixes of the Kon Tum networks (Viettel, VinaPhone, MobiFone).
MOBILE_PREFIXES = [
    "086",
    "096",
    "097",
    "098",
    "032",
    "035",
    "038",
    "091",
    "094",
    "083",
    "088",
    "090",
    "093",
    "070",
]


@dataclass(frozen=True)
class DemoResult:
    villages: int
    teams: int
    members: int
    skipped: bool = False


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    """``parts`` whole numbers, as even as possible, adding up to ``total``."""
    base, extra = divmod(total, parts)
    sizes = [base + 1] * extra + [base] * (parts - extra)
    rng.shuffle(sizes)
    return sizes


def _ascii(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", fold(text)) if c.isalnum())


class _People:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.phones: set[str] = set()

    def name(self, female: bool) -> str:
        if self.rng.random() < 0.35:
            return self.rng.choice(ETHNIC_FEMALE if female else ETHNIC_MALE)
        family = self.rng.choice(FAMILY_NAMES)
        middle = self.rng.choice(MIDDLE_FEMALE if female else MIDDLE_MALE)
        given = self.rng.choice(GIVEN_FEMALE if female else GIVEN_MALE)
        return f"{family} {middle} {given}"

    def phone(self) -> str:
        while True:
            phone = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**7):07d}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def weighted(self, weights: dict[Affiliation, int] | dict[SkillLevel, int]) -> object:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]


def seed_demo_data(session: Session) -> DemoResult:
    """Villages, teams and members for Kon Tum; does nothing if demo teams exist."""
    if session.exec(select(Team.id).where(col(Team.is_demo))).first() is not None:
        return DemoResult(0, 0, 0, skipped=True)
    province = session.exec(
        select(Unit).where(col(Unit.level) == UnitLevel.PROVINCE, col(Unit.code) == PROVINCE_CODE)
    ).one()
    communes = list(
        session.exec(
            select(Unit)
            .where(col(Unit.level) == UnitLevel.COMMUNE, col(Unit.path).like(f"{province.path}%"))
            .order_by(col(Unit.code))
        ).all()
    )
    rng = random.Random(SEED)  # noqa: S311 -- demo data, deterministic on purpose
    people = _People(rng)
    now = utcnow()
    village_rows: list[dict[str, object]] = []
    for commune, count in zip(communes, _split(VILLAGES, len(communes), rng), strict=True):
        urban = commune.division_type in (DivisionType.PHUONG, DivisionType.THI_TRAN)
        for number in range(1, count + 1):
            if urban:
                name, kind = f"Tổ dân phố {number}", DivisionType.TO_DAN_PHO
            elif rng.random() < 0.3:
                name, kind = f"Làng {rng.choice(VILLAGE_WORDS)} {number}", DivisionType.LANG
            else:
                name, kind = f"Thôn {number}", DivisionType.THON
            unit_id = uuid.uuid4()
            village_rows.append(
                {
                    "id": unit_id,
                    "code": None,
                    "name": name,
                    "search_name": fold(name),
                    "level": UnitLevel.VILLAGE,
                    "division_type": kind,
                    "parent_id": commune.id,
                    "path": f"{commune.path}{unit_id.hex}/",
                    "path_names": [*commune.path_names, name],
                    "valid_from": None,
                    "valid_to": None,
                    "households": rng.randrange(60, 420),
                    "is_demo": True,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    session.execute(insert(Unit), village_rows)

    served = sorted(rng.sample(range(len(village_rows)), TEAMS))
    team_rows: list[dict[str, object]] = []
    for index, village_index in enumerate(served, start=1):
        village = village_rows[village_index]
        name = f"Tổ CNSCĐ {village['name']}"
        team_rows.append(
            {
                "id": uuid.uuid4(),
                "unit_id": village["id"],
                "name": name,
                "search_name": fold(name),
                "decision_number": f"{100 + index}/QĐ-UBND",
                "decision_date": date(2023, 3, 1) + timedelta(days=rng.randrange(540)),
                "status": TeamStatus.ACTIVE,
                "note": None,
                "is_demo": True,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
    session.execute(insert(Team), team_rows)

    member_rows: list[dict[str, object]] = []
    membership_rows: list[dict[str, object]] = []
    for team, size in zip(team_rows, _split(MEMBERS, TEAMS, rng), strict=True):
        joined = team["decision_date"]
        for position in range(size):
            role = (
                TeamRole.LEADER
                if position == 0
                else TeamRole.DEPUTY
                if position == 1 and size > 4
                else TeamRole.MEMBER
            )
            female = rng.random() < 0.45
            full_name = people.name(female)
            affiliation = people.weighted(AFFILIATION_WEIGHTS)
            organisation = (
                rng.choice(["VNPT Kon Tum", "Viettel Kon Tum"])
                if affiliation is Affiliation.IT_ENTERPRISE
                else "Công an xã"
                if affiliation is Affiliation.POLICE
                else None
            )
            member_id = uuid.uuid4()
            email = (
                f"{_ascii(full_name)}{rng.randrange(100, 999)}@gmail.com"
                if rng.random() < 0.3
                else None
            )
            member_rows.append(
                {
                    "id": member_id,
                    "full_name": full_name,
                    "search_name": fold(full_name),
                    "gender": Gender.FEMALE if female else Gender.MALE,
                    "birth_year": rng.randrange(1970, 2006),
                    "phone": people.phone(),
                    "email": email,
                    "affiliation": affiliation,
                    "organisation": organisation,
                    "skill_level": people.weighted(SKILL_WEIGHTS),
                    "team_id": team["id"],
                    "role": role,
                    "joined_on": joined,
                    "left_on": None,
                    "is_demo": True,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            membership_rows.append(
                {
                    "id": uuid.uuid4(),
                    "member_id": member_id,
                    "team_id": team["id"],
                    "role": role,
                    "joined_on": joined,
                    "left_on": None,
                    "created_at": now,
                }
            )
    session.execute(insert(Member), member_rows)
    session.execute(insert(Membership), membership_rows)
    session.flush()
    return DemoResult(len(village_rows), len(team_rows), len(member_rows))
