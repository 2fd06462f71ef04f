"""The 1 July 2025 reform for one old province: districts abolished, provinces merged,
communes rearranged (``cnscd units reform-2025 --province-code 62``).

The map comes from the data files shipped by ``vietnamadminunits`` (pinned in
pyproject.toml), read directly: ``dataset.db`` (SQLite) holds the 63-province units with
their GSO codes (``admin_units_legacy``) and the 34-province units (``admin_units``);
``converter_2025.json`` holds the conversion — which old provinces form each new one,
which old communes form each new commune, and for divided communes every receiving
commune with a default one. The package's Python API is never imported: it pulls in
shapely, numpy and geopy for address geocoding, which the map does not need.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import Any

from sqlmodel import Session

from cnscd_api.core.text import fold
from cnscd_api.flows.reorganise import Outcome, Reorganiser
from cnscd_api.models import DivisionType, LineageKind, Unit, UnitLevel
from cnscd_api.units import repository
from cnscd_api.units.naming import division_type_from_name

PACKAGE = "vietnamadminunits"
PACKAGE_VERSION = "1.0.4"
EFFECTIVE_DATE = date(2025, 7, 1)
# The National Assembly's resolution merging provinces, and the Standing Committee's
# resolution arranging the communes of each new province.
PROVINCE_ACT = "Nghị quyết 202/2025/QH15"
COMMUNE_ACTS = {"51": "Nghị quyết 1677/NQ-UBTVQH15"}


class ReformDataError(Exception):
    """The reform data is missing, or does not match the units in the database."""


@dataclass(frozen=True)
class Predecessor:
    code: str
    default: bool  # the receiving commune of a divided one that takes its teams
    # A whole district (the island districts that became special zones): its communes.
    district: bool = False


@dataclass(frozen=True)
class NewCommune:
    code: str
    name: str
    predecessors: tuple[Predecessor, ...]


@dataclass(frozen=True)
class ReformPlan:
    old_province_code: str
    new_province_code: str
    new_province_name: str
    legal_act: str
    communes: tuple[NewCommune, ...]


def _data_file(name: str) -> Path:
    try:
        package = distribution(PACKAGE)
    except PackageNotFoundError as error:
        raise ReformDataError(f"{PACKAGE} {PACKAGE_VERSION} is not installed") from error
    if package.version != PACKAGE_VERSION:
        raise ReformDataError(
            f"{PACKAGE} {package.version} is installed; the reform is checked against "
            f"{PACKAGE_VERSION}"
        )
    return Path(str(package.locate_file(f"{PACKAGE}/data/{name}")))


@cache
def _converter() -> dict[str, Any]:
    with _data_file("converter_2025.json").open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def _rows(query: str, *params: str) -> list[sqlite3.Row]:
    # Opened read-only: the file belongs to the installed package.
    uri = _data_file("dataset.db").as_uri() + "?mode=ro"
    with sqlite3.connect(uri, uri=True) as connection:
        connection.row_factory = sqlite3.Row
        return connection.execute(query, params).fetchall()


def load_plan(old_province_code: str) -> ReformPlan:
    """The new province and communes of one old province, from the package's data."""
    old_code = old_province_code.zfill(2)
    legacy = _rows(
        "SELECT provinceKey, districtKey, wardKey, wardCode, districtCode"
        " FROM admin_units_legacy"
        " WHERE provinceCode = ?",
        old_code,
    )
    if not legacy:
        raise ReformDataError(f"no province with code {old_code} in the 2024 map")
    old_key = legacy[0]["provinceKey"]
    old_codes: dict[str, str] = {
        f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey']}": r["wardCode"] for r in legacy
    }
    district_codes = {f"{r['provinceKey']}_{r['districtKey']}_": r["districtCode"] for r in legacy}

    def predecessor(old: str, default: bool) -> Predecessor:
        if old in old_codes:
            return Predecessor(old_codes[old], default)
        return Predecessor(district_codes[old], default, district=True)

    converter = _converter()
    new_key = next(
        (new for new, olds in converter["DICT_PROVINCE"].items() if old_key in olds), None
    )
    if new_key is None:
        raise ReformDataError(f"the 2025 conversion has no successor for {old_key}")
    new_units = _rows(
        "SELECT province, provinceCode, ward, wardCode, wardKey FROM admin_units"
        " WHERE provinceKey = ?",
        new_key,
    )
    province_name, province_code = new_units[0]["province"], new_units[0]["provinceCode"]
    new_wards = {r["wardKey"]: (r["wardCode"], r["ward"]) for r in new_units}

    predecessors: dict[str, list[Predecessor]] = defaultdict(list)
    prefix = f"{old_key}_"
    for ward_key, olds in converter["DICT_PROVINCE_WARD_NO_DIVIDED"][new_key].items():
        for old in olds:
            if old.startswith(prefix):
                predecessors[ward_key].append(predecessor(old, True))
    for old, news in converter["DICT_PROVINCE_WARD_DIVIDED"].get(new_key, {}).items():
        if old.startswith(prefix):
            for new in news:
                predecessors[new["newWardKey"]].append(
                    predecessor(old, bool(new["isDefaultNewWard"]))
                )
    communes = tuple(
        sorted(
            (
                NewCommune(
                    new_wards[key][0],
                    new_wards[key][1],
                    tuple(sorted(olds, key=lambda p: p.code)),
                )
                for key, olds in predecessors.items()
            ),
            key=lambda commune: commune.code,
        )
    )
    acts = [PROVINCE_ACT]
    if province_code in COMMUNE_ACTS:
        acts.append(COMMUNE_ACTS[province_code])
    return ReformPlan(old_code, province_code, province_name, "; ".join(acts), communes)


@dataclass
class ReformResult:
    outcome: Outcome | None  # None: already applied, nothing changed
    plan: ReformPlan


def _commune_kind(
    olds: list[tuple[Unit, bool]], divided: bool, old: Unit, name: str
) -> LineageKind:
    if divided:
        return LineageKind.SPLIT_FROM
    if len(olds) > 1:
        return LineageKind.MERGED_INTO
    return LineageKind.MOVED if fold(old.name) == fold(name) else LineageKind.RENAMED


def apply_reform(
    session: Session, old_province_code: str, *, actor_name: str = "cnscd units reform-2025"
) -> ReformResult:
    """Apply the reform to one old province; a second run changes nothing."""
    plan = load_plan(old_province_code)
    source = f"reform-2025:{plan.old_province_code}"
    if repository.reorganisation_applied(session, source):
        return ReformResult(None, plan)
    old_province = repository.current_unit_by_code(
        session, UnitLevel.PROVINCE, plan.old_province_code
    )
    if old_province is None:
        raise ReformDataError(f"no current province with code {plan.old_province_code}")
    # The units of the old map: not those an earlier run made (a province that continues
    # already holds the new communes of the provinces that joined it).
    children = [
        unit
        for unit in repository.current_children(session, old_province.id)
        if unit.valid_from is None or unit.valid_from < EFFECTIVE_DATE
    ]
    districts = [unit for unit in children if unit.level is UnitLevel.DISTRICT]
    communes = {unit.code: unit for unit in children if unit.level is UnitLevel.COMMUNE}
    of_district: dict[str | None, list[Unit]] = {}
    for district in districts:
        of_district[district.code] = repository.current_children(session, district.id)
        communes.update({unit.code: unit for unit in of_district[district.code]})

    # New commune code → [(old commune, default)], whole districts expanded.
    olds_of: dict[str, list[tuple[Unit, bool]]] = {}
    for commune in plan.communes:
        found: list[tuple[Unit, bool]] = []
        for p in commune.predecessors:
            if p.district:
                # A district that became a special zone: its communes, or the district
                # itself when it had none (Lý Sơn).
                units = of_district.get(p.code) or [d for d in districts if d.code == p.code]
            else:
                units = [communes[p.code]] if p.code in communes else []
            found += [(unit, p.default) for unit in units]
        if found:
            olds_of[commune.code] = found
    successor_count: dict[uuid.UUID, int] = defaultdict(int)
    for found in olds_of.values():
        for unit, _ in found:
            successor_count[unit.id] += 1
    unknown = sorted(unit.name for unit in communes.values() if unit.id not in successor_count)
    # Communes hang under the new province, the special zones too (division type read
    # from the name, "Đặc khu").
    if unknown:
        raise ReformDataError(
            "communes not in the 2025 conversion (end or rearrange them first): "
            + ", ".join(unknown)
        )

    existing = repository.current_unit_by_code(session, UnitLevel.PROVINCE, plan.new_province_code)
    same_name = existing is not None and fold(existing.name) == fold(plan.new_province_name)
    if existing is not None and not same_name and existing.id != old_province.id:
        raise ReformDataError(
            f"code {plan.new_province_code} is held by {existing.name}: apply the reform to"
            f" province {existing.code} first"
        )
    reorganiser = Reorganiser(
        session,
        effective_date=EFFECTIVE_DATE,
        legal_act=plan.legal_act,
        source=source,
        actor_name=actor_name,
    )
    # Close first: the new province and communes reuse old codes.
    for unit in communes.values():
        reorganiser.close(unit)
    for district in districts:
        reorganiser.close(district)
    continuing = existing is not None and same_name and existing.id == old_province.id
    if not continuing:
        reorganiser.close(old_province)
    session.flush()
    if existing is not None and same_name:
        province = reorganiser.reuse(existing)
    else:
        province = reorganiser.create(
            None,
            name=plan.new_province_name,
            level=UnitLevel.PROVINCE,
            code=plan.new_province_code,
            division_type=division_type_from_name(plan.new_province_name) or DivisionType.TINH,
        )
    for commune in plan.communes:
        if commune.code not in olds_of:
            continue  # made of other provinces' communes only
        new = repository.current_unit_by_code(session, UnitLevel.COMMUNE, commune.code)
        if new is None:
            new = reorganiser.create(
                province,
                name=commune.name,
                level=UnitLevel.COMMUNE,
                code=commune.code,
                division_type=division_type_from_name(commune.name) or DivisionType.XA,
            )
        elif new.path.startswith(province.path):
            reorganiser.reuse(new)
        else:
            raise ReformDataError(
                f"code {commune.code} ({commune.name}) is held by {new.name}, current"
                " outside the new province: apply the reform to its province first"
            )
        olds = olds_of[commune.code]
        for old, default in olds:
            kind = _commune_kind(olds, successor_count[old.id] > 1, old, commune.name)
            reorganiser.link(old, new, kind, default=default)
    linked = {old.id for found in olds_of.values() for old, _ in found}
    for district in districts:
        if district.id not in linked:
            reorganiser.link(district, province, LineageKind.MERGED_INTO)
    if not continuing:
        reorganiser.link(old_province, province, LineageKind.MERGED_INTO)
    return ReformResult(reorganiser.finish(), plan)
