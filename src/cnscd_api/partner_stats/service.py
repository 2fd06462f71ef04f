"""Dashboards of partners on the ground: support requests and the reports their staff
supported, and households without a smartphone (need, referred, served).

These read the rows of the caller's scope and sum them here: support requests and
referrals are few (a request per team visit, a referral per household a commune hands
over), far from the millions of reports the activity aggregates exist for. A unit's
need is its latest count; a closed unit's rows count, on today's map, where its default
successors lead (``tree=current``), or on its own path (``tree=historical``).
"""

from __future__ import annotations

import statistics
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlmodel import Session

from cnscd_api.activities import service as activity_service
from cnscd_api.catalogue import service as catalogue_service
from cnscd_api.core import scope
from cnscd_api.core.permissions import Principal
from cnscd_api.core.scope import path_in_subtree_text
from cnscd_api.devices import service as device_service
from cnscd_api.models import ActivityStatus, ReferralStatus, SupportRequestStatus, Unit
from cnscd_api.stats.placement import SEGMENT
from cnscd_api.stats.schemas import (
    DeviceDashboard,
    DeviceQuery,
    NeedFigures,
    PartnerQuery,
    ReferralFigures,
    SupportDashboard,
    SupportFigures,
    Tree,
)
from cnscd_api.stats.service import Place, place_of
from cnscd_api.support_requests import service as support_service

PEOPLE = "people_guided"
ANSWERED = {SupportRequestStatus.ACCEPTED, SupportRequestStatus.DECLINED, SupportRequestStatus.DONE}
AREA: uuid.UUID | None = None  # the key of the rows of the whole area


def _child(place: Place, path: str) -> uuid.UUID | None:
    """The direct child of the area that ``path`` lies under (the area itself for its own
    rows), or None outside the area."""
    if not path_in_subtree_text(path, place.path):
        return None
    rest = path[len(place.path) :]
    if not rest:
        return place.key
    return uuid.UUID(hex=rest[: SEGMENT - 1])


def _names(session: Session, actor: Principal, place: Place, keys: Iterable[Any]) -> dict[Any, str]:
    wanted = [key for key in set(keys) if key not in (AREA, place.key)]
    units = scope.get_many(session, actor, Unit, wanted)
    names: dict[Any, str] = {key: unit.name for key, unit in units.items()}
    names[place.key] = place.area().unit_name
    names[AREA] = place.area().unit_name
    return names


def _hours(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else (end - start).total_seconds() / 3600


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _today_path(row: Any, tree: Tree = Tree.CURRENT) -> str:
    return str(row.path if tree is Tree.HISTORICAL else (row.rollup_path or row.path))


def support_dashboard(session: Session, actor: Principal, query: PartnerQuery) -> SupportDashboard:
    place = place_of(session, actor, query.unit_id)
    counts: dict[tuple[Any, str], dict[str, Any]] = defaultdict(
        lambda: {"status": defaultdict(int), "answer": [], "serve": [], "people": defaultdict(int)}
    )
    for row in support_service.dashboard_rows(session, actor, place.path):
        child = _child(place, row.path)
        for key in (AREA, child):
            tally = counts[(key, row.organisation)]
            tally["status"][row.status] += 1
            if row.status in ANSWERED and row.answered_at is not None:
                tally["answer"].append(_hours(row.created_at, row.answered_at))
            if row.status is SupportRequestStatus.DONE and row.done_at is not None:
                tally["serve"].append(_hours(row.created_at, row.done_at))
    indicator = catalogue_service.catalogue(session).indicators.get(PEOPLE)
    for row in activity_service.assisted_rows(session, actor, indicator.id if indicator else None):
        child = _child(place, _today_path(row))
        if child is None:
            continue
        for key in (AREA, child):
            people = counts[(key, row.organisation)]["people"]
            if row.status is ActivityStatus.APPROVED:
                people["reports"] += 1
                people["approved"] += int(row.people)
            else:
                people["submitted"] += int(row.people)
    names = _names(session, actor, place, (key for key, _ in counts))

    def figures(key: Any, organisation: str) -> SupportFigures:
        found = counts[(key, organisation)]
        status, people = found["status"], found["people"]
        return SupportFigures(
            unit_id=key,
            unit_name=names.get(key, ""),
            organisation=organisation,
            requested=status[SupportRequestStatus.REQUESTED],
            accepted=status[SupportRequestStatus.ACCEPTED],
            done=status[SupportRequestStatus.DONE],
            declined=status[SupportRequestStatus.DECLINED],
            cancelled=status[SupportRequestStatus.CANCELLED],
            median_hours_to_answer=_median(found["answer"]),
            median_hours_to_serve=_median(found["serve"]),
            assisted_reports=people["reports"],
            people_served=people["approved"],
            people_served_submitted=people["submitted"],
        )

    keys = sorted(counts, key=lambda k: (names.get(k[0], ""), str(k[0]), k[1]))
    return SupportDashboard(
        area=place.area(),
        organisations=[figures(k, o) for k, o in keys if k is AREA],
        units=[figures(k, o) for k, o in keys if k is not AREA],
    )


def device_dashboard(session: Session, actor: Principal, query: DeviceQuery) -> DeviceDashboard:
    place = place_of(session, actor, query.unit_id, query.tree)
    latest: dict[uuid.UUID, Any] = {}
    for row in device_service.need_dashboard_rows(session, actor):
        kept = latest.get(row.unit_id)
        if kept is None or row.counted_on > kept.counted_on:
            latest[row.unit_id] = row
    need: dict[Any, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in latest.values():
        child = _child(place, _today_path(row, query.tree))
        if child is None:
            continue
        for key in (AREA, child):
            need[key]["households"] += row.households_without_smartphone
            need[key]["poor"] += row.poor
            need[key]["near_poor"] += row.near_poor
    referred: dict[tuple[Any, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in device_service.referral_dashboard_rows(session, actor):
        child = _child(place, _today_path(row, query.tree))
        if child is None:
            continue
        for key in (AREA, child):
            for counted in (referred[(key, row.organisation)], need[key]):
                counted["referred"] += 1
                counted[row.status.value] += 1
    names = _names(session, actor, place, [*need, *(key for key, _ in referred)])

    def need_figures(key: Any) -> NeedFigures:
        found = need[key]
        return NeedFigures(
            unit_id=key,
            unit_name=names.get(key, ""),
            households_without_smartphone=found["households"],
            poor=found["poor"],
            near_poor=found["near_poor"],
            referred=found["referred"],
            delivered=found[ReferralStatus.DELIVERED.value],
        )

    def referral_figures(key: Any, organisation: str) -> ReferralFigures:
        found = referred[(key, organisation)]
        return ReferralFigures(
            unit_id=key,
            unit_name=names.get(key, ""),
            organisation=organisation,
            referred=found["referred"],
            **{status.value: found[status.value] for status in ReferralStatus},
        )

    units = sorted((k for k in need if k is not AREA), key=lambda k: (names.get(k, ""), str(k)))
    pairs = sorted(referred, key=lambda p: (p[0] is not AREA, names.get(p[0], ""), str(p[0]), p[1]))
    return DeviceDashboard(
        area=place.area(),
        tree=query.tree,
        total=need_figures(AREA),
        units=[need_figures(k) for k in units],
        organisations=[referral_figures(k, o) for k, o in pairs],
    )
