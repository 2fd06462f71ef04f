"""Naming units: a unit's division type from its official name ("Huyện Đắk Glei" →
huyen), and a new unit's derived fields (search name, path, path names)."""

from __future__ import annotations

import uuid
from datetime import date

from cnscd_api.core.errors import Unprocessable
from cnscd_api.core.text import collation_key, fold
from cnscd_api.models import DivisionType, Unit, UnitLevel

# Longest prefixes first, so that "Thị trấn" is not read as "Thị xã" and "Tổ dân phố"
# not as anything shorter. Compared on folded text, so case and accents do not matter.
_PREFIXES: tuple[tuple[str, DivisionType], ...] = tuple(
    sorted(
        (
            (fold("Thành phố"), DivisionType.THANH_PHO),
            (fold("Tỉnh"), DivisionType.TINH),
            (fold("Quận"), DivisionType.QUAN),
            (fold("Huyện"), DivisionType.HUYEN),
            (fold("Thị xã"), DivisionType.THI_XA),
            (fold("Phường"), DivisionType.PHUONG),
            (fold("Xã"), DivisionType.XA),
            (fold("Thị trấn"), DivisionType.THI_TRAN),
            (fold("Thôn"), DivisionType.THON),
            (fold("Làng"), DivisionType.LANG),
            (fold("Tổ dân phố"), DivisionType.TO_DAN_PHO),
            (fold("Buôn"), DivisionType.BUON),
            (fold("Bản"), DivisionType.BAN),
            (fold("Ấp"), DivisionType.AP),
            (fold("Khu phố"), DivisionType.KHU_PHO),
            (fold("Đặc khu"), DivisionType.DAC_KHU),
        ),
        key=lambda item: -len(item[0]),
    )
)


def division_type_from_name(name: str) -> DivisionType | None:
    folded = fold(name)
    for prefix, division_type in _PREFIXES:
        if folded == prefix or folded.startswith(prefix + " "):
            return division_type
    return None


def division_type_for(name: str, given: DivisionType | None, field: str) -> DivisionType:
    """The division type given, else the one the name starts with (422 on ``field``)."""
    division_type = given or division_type_from_name(name)
    if division_type is None:
        raise Unprocessable.at(field, "division_type_unknown")
    return division_type


def new_unit(
    parent: Unit | None,
    *,
    name: str,
    level: UnitLevel,
    division_type: DivisionType,
    code: str | None = None,
    households: int | None = None,
    valid_from: date | None = None,
) -> Unit:
    """A unit under ``parent`` (a province under none), with its search name, path and
    path names derived."""
    unit_id = uuid.uuid4()
    return Unit(
        id=unit_id,
        code=code,
        name=name,
        search_name=fold(name),
        name_key=collation_key(name),
        level=level,
        division_type=division_type,
        parent_id=parent.id if parent else None,
        path=f"{parent.path if parent else '/'}{unit_id.hex}/",
        path_names=[*(parent.path_names if parent else []), name],
        households=households,
        valid_from=valid_from,
    )
