"""Seeding the unit tree from vietnam-provinces: counts, idempotence, paths."""

from __future__ import annotations

from collections import Counter

from sqlmodel import Session, col, func, select

from cnscd_api.models import Unit, UnitLevel
from cnscd_api.units.seed import seed_units


def level_counts(session: Session) -> Counter[str]:
    rows = session.exec(select(Unit.level, func.count()).group_by(col(Unit.level))).all()
    return Counter({str(level): count for level, count in rows})


def test_seeding_again_creates_nothing(session: Session) -> None:
    before = level_counts(session)
    result = seed_units(session, {62})
    assert result.created == 0
    assert result.existing == 113
    assert level_counts(session) == before


def test_whole_country(session: Session) -> None:
    result = seed_units(session, None)
    # Kon Tum and Gia Lai are already there from the test set-up.
    assert result.existing == 113 + 236
    assert level_counts(session) == Counter({"province": 63, "district": 696, "commune": 10051})


def test_paths_nest_and_codes_are_official(session: Session) -> None:
    province = session.exec(
        select(Unit).where(Unit.code == "62", Unit.level == UnitLevel.PROVINCE)
    ).one()
    assert province.name == "Tỉnh Kon Tum"
    assert province.parent_id is None
    assert province.path == f"/{province.id.hex}/"
    subtree = session.exec(select(Unit).where(col(Unit.path).like(f"{province.path}%"))).all()
    assert len(subtree) == 113
    for unit in subtree:
        if unit.parent_id is not None:
            parent = session.get(Unit, unit.parent_id)
            assert parent is not None
            assert unit.path == f"{parent.path}{unit.id.hex}/"
    districts = sorted(u.code for u in subtree if u.level == UnitLevel.DISTRICT and u.code)
    assert districts == ["608", "610", "611", "612", "613", "614", "615", "616", "617", "618"]
    assert all(len(u.code or "") == 5 for u in subtree if u.level == UnitLevel.COMMUNE)
