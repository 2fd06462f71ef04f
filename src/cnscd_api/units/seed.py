"""Seeding the unit tree from the ``vietnam-provinces`` data (the 2024 three-tier tree).

Idempotent: a unit whose level and official code already exist among current units is
left alone, so running the seed again creates nothing. Rows are inserted in bulk with
ids and paths computed here, which keeps the whole country (10,810 units) well under a
minute on SQLite.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import insert
from sqlmodel import Session, col

from cnscd_api.core.text import fold
from cnscd_api.models import DivisionType, Unit, UnitLevel, UnitLineage, utcnow
from cnscd_api.units.naming import division_type_from_name

CODE_WIDTH = {UnitLevel.PROVINCE: 2, UnitLevel.DISTRICT: 3, UnitLevel.COMMUNE: 5}
FALLBACK_TYPE = {
    UnitLevel.PROVINCE: DivisionType.TINH,
    UnitLevel.DISTRICT: DivisionType.HUYEN,
    UnitLevel.COMMUNE: DivisionType.XA,
}
BATCH_SIZE = 2000


@dataclass(frozen=True)
class SeedResult:
    created: int
    existing: int
    # Provinces left out because a reorganisation closed them (their map is dated data
    # now: seeding them again would bring the 2024 units back as current).
    reorganised: tuple[str, ...] = ()


def official_code(level: UnitLevel, code: int) -> str:
    return f"{code:0{CODE_WIDTH[level]}d}"


def load_provinces() -> list[dict[str, Any]]:
    """The nested province → district → ward data shipped by ``vietnam-provinces``."""
    from vietnam_provinces import NESTED_DIVISIONS_JSON_PATH

    with open(NESTED_DIVISIONS_JSON_PATH, encoding="utf-8") as handle:
        data: list[dict[str, Any]] = json.load(handle)
    return data


def _walk(
    provinces: Iterable[dict[str, Any]],
) -> Iterator[tuple[UnitLevel, dict[str, Any], str | None]]:
    """(level, record, parent's official code) in top-down order."""
    for province in provinces:
        province_code = official_code(UnitLevel.PROVINCE, province["code"])
        yield UnitLevel.PROVINCE, province, None
        for district in province["districts"]:
            district_code = official_code(UnitLevel.DISTRICT, district["code"])
            yield UnitLevel.DISTRICT, district, province_code
            for ward in district["wards"]:
                yield UnitLevel.COMMUNE, ward, district_code


PARENT_LEVEL = {UnitLevel.DISTRICT: UnitLevel.PROVINCE, UnitLevel.COMMUNE: UnitLevel.DISTRICT}


def seed_units(session: Session, province_codes: set[int] | None = None) -> SeedResult:
    """Insert provinces (all, or those in ``province_codes``), their districts and communes."""
    reorganised = _reorganised_provinces(session)
    provinces = [
        p
        for p in load_provinces()
        if (province_codes is None or p["code"] in province_codes)
        and official_code(UnitLevel.PROVINCE, p["code"]) not in reorganised
    ]
    current = session.execute(
        sa.select(Unit.level, Unit.code, Unit.id, Unit.path, Unit.path_names).where(  # type: ignore[call-overload]
            col(Unit.valid_to).is_(None)
        )
    ).all()
    known: dict[tuple[UnitLevel, str | None], tuple[uuid.UUID, str, list[str]]] = {
        (UnitLevel(level), code): (unit_id, path, names)
        for level, code, unit_id, path, names in current
    }
    rows: list[dict[str, Any]] = []
    existing = 0
    now = utcnow()
    for level, record, parent_code in _walk(provinces):
        code = official_code(level, record["code"])
        if (level, code) in known:
            existing += 1
            continue
        parent_id: uuid.UUID | None = None
        parent_path, parent_names = "/", list[str]()
        if parent_code is not None:
            parent_id, parent_path, parent_names = known[(PARENT_LEVEL[level], parent_code)]
        unit_id = uuid.uuid4()
        path = f"{parent_path}{unit_id.hex}/"
        name = record["name"]
        known[(level, code)] = (unit_id, path, [*parent_names, name])
        rows.append(
            {
                "id": unit_id,
                "code": code,
                "name": name,
                "search_name": fold(name),
                "level": level,
                "division_type": division_type_from_name(name) or FALLBACK_TYPE[level],
                "parent_id": parent_id,
                "path": path,
                "path_names": [*parent_names, name],
                "valid_from": None,
                "valid_to": None,
                "households": None,
                "is_demo": False,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
    for start in range(0, len(rows), BATCH_SIZE):
        session.execute(insert(Unit), rows[start : start + BATCH_SIZE])
    session.flush()
    left_out = tuple(
        sorted(
            code for code in reorganised if province_codes is None or int(code) in province_codes
        )
    )
    return SeedResult(created=len(rows), existing=existing, reorganised=left_out)


def _reorganised_provinces(session: Session) -> set[str]:
    """Codes of provinces closed by a reorganisation and not current again."""
    closed = sa.select(Unit.code).where(  # type: ignore[call-overload]
        col(Unit.level) == UnitLevel.PROVINCE,
        col(Unit.valid_to).is_not(None),
        sa.exists().where(col(UnitLineage.predecessor_id) == col(Unit.id)),
    )
    current = sa.select(Unit.code).where(  # type: ignore[call-overload]
        col(Unit.level) == UnitLevel.PROVINCE, col(Unit.valid_to).is_(None)
    )
    return set(session.execute(closed).scalars()) - set(session.execute(current).scalars())
