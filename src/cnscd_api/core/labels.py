"""Vietnamese labels of the enums officials see in spreadsheets and screens."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, TypeVar

from cnscd_api.core.text import fold
from cnscd_api.models import Affiliation, Gender, SkillLevel, TeamRole, TeamStatus

E = TypeVar("E", bound=StrEnum)

AFFILIATION_VI: dict[Affiliation, str] = {
    Affiliation.YOUTH_UNION: "Đoàn Thanh niên",
    Affiliation.COMMUNE_OFFICIAL: "Cán bộ, công chức xã",
    Affiliation.POLICE: "Công an",
    Affiliation.FARMERS_ASSOCIATION: "Hội Nông dân",
    Affiliation.WOMENS_UNION: "Hội Liên hiệp Phụ nữ",
    Affiliation.FATHERLAND_FRONT: "Mặt trận Tổ quốc",
    Affiliation.RESIDENTIAL_GROUP: "Tổ dân cư, thôn, tổ dân phố",
    Affiliation.IT_ENTERPRISE: "Doanh nghiệp CNTT, viễn thông",
    Affiliation.OTHER: "Khác",
}
GENDER_VI: dict[Gender, str] = {Gender.MALE: "Nam", Gender.FEMALE: "Nữ", Gender.OTHER: "Khác"}
TEAM_ROLE_VI: dict[TeamRole, str] = {
    TeamRole.LEADER: "Tổ trưởng",
    TeamRole.DEPUTY: "Tổ phó",
    TeamRole.MEMBER: "Thành viên",
}
SKILL_LEVEL_VI: dict[SkillLevel, str] = {
    SkillLevel.BASIC: "Cơ bản",
    SkillLevel.INTERMEDIATE: "Khá",
    SkillLevel.ADVANCED: "Thành thạo",
}
TEAM_STATUS_VI: dict[TeamStatus, str] = {
    TeamStatus.ACTIVE: "Đang hoạt động",
    TeamStatus.SUSPENDED: "Tạm dừng",
    TeamStatus.DISSOLVED: "Đã giải thể",
}


def labels_extra(labels: Mapping[Any, str]) -> dict[str, Any]:
    """``json_schema_extra`` that puts the Vietnamese labels into the OpenAPI document."""
    return {"x-labels-vi": {str(key.value): label for key, label in labels.items()}}


def describe(labels: Mapping[Any, str]) -> str:
    return "; ".join(f"`{key.value}` {label}" for key, label in labels.items())


_LOOKUPS: dict[tuple[type[StrEnum], int], dict[str, StrEnum]] = {}


def enum_from_label(enum: type[E], labels: Mapping[Any, str], text: str) -> E | None:
    """An enum member from its code (``youth_union``) or its Vietnamese label, case- and
    accent-insensitively (``doan thanh nien``)."""
    key = (enum, id(labels))
    lookup = _LOOKUPS.get(key)
    if lookup is None:
        lookup = {fold(member.value): member for member in enum}
        lookup.update({fold(label): member for member, label in labels.items()})
        _LOOKUPS[key] = lookup
    found = lookup.get(fold(text))
    return found if isinstance(found, enum) else None
