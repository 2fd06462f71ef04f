"""Dashboards: what the teams of a unit's subtree are and did, read from the aggregates
kept with every activity write (``stats/aggregates.py``).

- The unit asked for must lie inside the caller's subtree (404 otherwise, like any
  object out of scope); without one it is the caller's scope unit, or the whole
  country (``NATION``) for a national caller (scope path ``/``).
- Partners and viewers read the same counts as officers: aggregates never name a
  member. A team leader's team counts, member counts and ranking cover their own team
  (the scoped statements of ``core.scope``); unit figures are their unit's.
- Without a campaign, the figures of every campaign and of reports outside any are
  summed. Days are Asia/Ho_Chi_Minh days (``core.clock``).
"""

from __future__ import annotations

import contextlib
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session

from cnscd_api.campaigns import repository as campaign_repository
from cnscd_api.campaigns import service as campaign_service
from cnscd_api.core import clock, scope
from cnscd_api.core.errors import FieldError, NotFound, Unprocessable
from cnscd_api.core.i18n import Language
from cnscd_api.core.permissions import Principal
from cnscd_api.core.scope import ancestor_ids, path_in_subtree_text
from cnscd_api.models import (
    ActivityStatus,
    Affiliation,
    Campaign,
    Gender,
    Indicator,
    Role,
    SkillLevel,
    TeamRole,
    TeamStatus,
    Unit,
    UnitLevel,
)
from cnscd_api.models.stats import ALL, NATION
from cnscd_api.stats import registry, repository
from cnscd_api.stats.placement import PathsOn, today_unit_id
from cnscd_api.stats.schemas import (
    ActivityCounts,
    Area,
    Completeness,
    CompletenessDay,
    CompletenessQuery,
    Coverage,
    IndicatorName,
    IndicatorProgress,
    IndicatorTotal,
    Interval,
    MemberCounts,
    Overview,
    OverviewQuery,
    Period,
    PeriodQuery,
    Progress,
    ProgressQuery,
    RankedTeam,
    Ranking,
    RankingQuery,
    SilentTeam,
    SilentUnit,
    TeamCounts,
    Timeseries,
    TimeseriesQuery,
    Tree,
    UnitProgress,
)
from cnscd_api.units import service as unit_service
from cnscd_api.workload import service as workload_service

NATION_NAME = "Việt Nam"
# Periods a time series may have: ten years of days.
MAX_PERIODS = 3660
# How far back a time series reaches without `from`.
DEFAULT_PERIODS = {Interval.DAY: 30, Interval.WEEK: 12, Interval.MONTH: 12}


@dataclass(frozen=True)
class Place:
    """The unit whose subtree is counted, its key in the aggregates, and on which map."""

    key: uuid.UUID
    unit: Unit | None  # None: the whole country
    path: str
    tree: Tree = Tree.CURRENT

    @property
    def historical(self) -> bool:
        return self.tree is Tree.HISTORICAL

    @property
    def level(self) -> UnitLevel | None:
        return self.unit.level if self.unit is not None else None

    def area(self) -> Area:
        if self.unit is None:
            return Area(unit_id=None, unit_name=NATION_NAME, level=None)
        return Area(unit_id=self.unit.id, unit_name=self.unit.name, level=self.unit.level)


def place_of(
    session: Session, actor: Principal, unit_id: uuid.UUID | None, tree: Tree = Tree.CURRENT
) -> Place:
    """The unit asked for, inside the caller's own subtree (404 otherwise: a team leader
    may read the names of the units above their team, not count them).

    A unit closed by a reorganisation is read by whoever holds its successors today
    (``core.scope``'s heritage rule): asked on today's map it is the unit alive today that
    its default successors lead to (which must be the caller's), asked historically
    itself."""
    if unit_id is None:
        if actor.scope_unit_id is None:  # a national viewer
            return Place(NATION, None, "/", tree)
        unit_id = actor.scope_unit_id
    try:
        unit = scope.get_or_404(session, actor, Unit, unit_id, write=True)
    except NotFound:
        if actor.role is Role.TEAM_LEADER:
            raise
        unit = scope.get_or_404(session, actor, Unit, unit_id)
        if unit.valid_to is None:
            raise
    today = today_unit_id(unit)
    if unit.valid_to is not None and tree is Tree.CURRENT and today is not None:
        unit = scope.get_or_404(session, actor, Unit, today, write=True)
    return Place(unit.id, unit, unit.path, tree)


def campaign_place(
    session: Session,
    actor: Principal,
    campaign: Campaign,
    unit_id: uuid.UUID | None,
    tree: Tree = Tree.CURRENT,
) -> Place:
    """The unit a campaign's figures are read for: inside the campaign's scope (422
    otherwise) and the caller's; by default the campaign's scope unit, or the caller's
    own unit when the campaign's lies above it. On today's map a campaign of a unit since
    closed covers what that unit became; on the map of its days it is that unit's, for
    whoever reads the closed unit's history."""
    scope_unit = unit_service.unit_by_id(session, campaign.scope_unit_id)
    scope_path = scope_unit.path
    if tree is Tree.CURRENT and scope_unit.rollup_path is not None:
        scope_path = scope_unit.rollup_path  # the campaign's area on today's map
    if unit_id is None and path_in_subtree_text(scope_path, actor.scope_path):
        unit_id = campaign.scope_unit_id
    place = None
    if unit_id is None and tree is Tree.HISTORICAL and scope_unit.valid_to is not None:
        # Historically, a campaign of a unit since closed is read for that unit by
        # whoever reads its history.
        with contextlib.suppress(NotFound):
            place = place_of(session, actor, campaign.scope_unit_id, tree)
    place = place or place_of(session, actor, unit_id, tree)
    place_path = place.path
    if place.historical:  # where the unit lay on the campaign's last day (or its unit's)
        on = min(campaign.ends_on, clock.today(), scope_unit.valid_to or date.max)
        place_path = PathsOn(session, [place.path], on).path_on(place.path, on)
    if not path_in_subtree_text(place_path, scope_path):
        raise Unprocessable(errors=[FieldError.of("query.unit_id", "unit_outside_campaign")])
    return place


def readable_campaign(
    session: Session, actor: Principal, campaign_id: uuid.UUID | None
) -> Campaign | None:
    """The campaign a query names, if the caller reads it (404 otherwise)."""
    if campaign_id is None:
        return None
    return campaign_service.get_campaign(session, actor, campaign_id)


def _check_period(date_from: date | None, date_to: date | None) -> None:
    if date_from is not None and date_to is not None and date_from > date_to:
        raise Unprocessable(
            errors=[FieldError.of("query.from", "from_after_to", to=date_to.isoformat())]
        )


def _indicator(session: Session, code: str) -> Indicator:
    indicator = repository.indicator_by_code(session, code)
    if indicator is None:
        raise Unprocessable(
            errors=[FieldError.of("query.indicator", "unknown_indicator", code_value=code)]
        )
    return indicator


def _ref(indicator: Indicator, language: Language) -> IndicatorName:
    vietnamese = language == "vi"
    return IndicatorName(
        code=indicator.code,
        name=indicator.name_vi if vietnamese else indicator.name_en,
        unit=indicator.unit_vi if vietnamese else indicator.unit_en,
    )


def _percentage(part: int, whole: int | None) -> float | None:
    if not whole:
        return None
    return round(100 * part / whole, 1)


def _counted(keys: Iterable[str], found: dict[str, int]) -> dict[str, int]:
    """Every key of an enumeration, zeros included, in its order."""
    return {key: found.get(key, 0) for key in keys}


# --- overview -------------------------------------------------------------------------------


def overview(
    session: Session,
    actor: Principal,
    query: OverviewQuery,
    language: Language,
) -> Overview:
    _check_period(query.date_from, query.date_to)
    campaign = readable_campaign(session, actor, query.campaign_id)
    place = place_of(session, actor, query.unit_id, query.tree)
    campaign_id = campaign.id if campaign is not None else None
    counts = _registry_counts(session, actor, place)
    return Overview(
        area=place.area(),
        tree=place.tree,
        campaign_id=campaign_id,
        date_from=query.date_from,
        date_to=query.date_to,
        teams=_team_counts(counts),
        members=_member_counts(counts),
        **_activity_figures(session, place, campaign_id, query, language),
        coverage=_coverage(session, actor, place, counts),
    )


def _registry_counts(session: Session, actor: Principal, place: Place) -> dict[str, int]:
    """Item → count of ``StatRegistry`` (``stats/registry.py``) for the place; a team
    leader's (who counts their own team only) counted from their team's rows."""
    if actor.role is not Role.TEAM_LEADER:
        return repository.registry_counts(session, place.key)
    found: dict[str, int] = defaultdict(int)
    for status, count in repository.team_counts(session, actor, place.path).items():
        found[f"{registry.TEAM_ITEM}:{status.value}"] += count
    for *values, count in repository.member_counts(session, actor, place.path):
        for name, value in zip(registry.MEMBER_FIELDS, values, strict=True):
            found[registry.member_item(name, value)] += count
    return found


def _team_counts(found: dict[str, int]) -> TeamCounts:
    by_status = {s.value: found.get(f"{registry.TEAM_ITEM}:{s.value}", 0) for s in TeamStatus}
    return TeamCounts(total=sum(by_status.values()), by_status=by_status)


def _member_counts(found: dict[str, int]) -> MemberCounts:
    def of(name: str) -> dict[str, int]:
        prefix = f"member.{name}:"
        return {k.removeprefix(prefix): n for k, n in found.items() if k.startswith(prefix)}

    affiliation, gender = of("affiliation"), of("gender")
    skill, role = of("skill_level"), of("role")
    total = sum(role.values())
    return MemberCounts(
        total=total,
        by_affiliation=_counted((a.value for a in Affiliation), affiliation),
        by_gender=_counted([*(g.value for g in Gender), "unknown"], gender),
        by_skill_level=_counted((s.value for s in SkillLevel), skill),
        by_role=_counted((r.value for r in TeamRole), role),
    )


def _activity_figures(
    session: Session,
    place: Place,
    campaign_id: uuid.UUID | None,
    query: PeriodQuery,
    language: Language,
) -> dict[str, object]:
    rows = repository.unit_totals(
        session, place.key, campaign_id, query.date_from, query.date_to, place.historical
    )
    activities: dict[str, int] = defaultdict(int)
    sums: dict[uuid.UUID, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for indicator_id, status, total, count in rows:
        if indicator_id == ALL:
            activities[status.value] += int(count)
        elif status is not ActivityStatus.REJECTED:
            sums[indicator_id][status.value] += int(total)
            sums[indicator_id][f"{status.value}_activities"] += int(count)
    indicators = repository.indicators_by_id(session, list(sums))
    listed = sorted(
        (indicators[i] for i, s in sums.items() if any(s.values())),
        key=lambda indicator: (indicator.position, indicator.code),
    )
    by_status = _counted((s.value for s in ActivityStatus), activities)
    return {
        "activities": ActivityCounts(total=sum(by_status.values()), by_status=by_status),
        "indicators": [
            IndicatorTotal(
                **_ref(indicator, language).model_dump(),
                approved=sums[indicator.id]["approved"],
                submitted=sums[indicator.id]["submitted"],
                approved_activities=sums[indicator.id]["approved_activities"],
                submitted_activities=sums[indicator.id]["submitted_activities"],
            )
            for indicator in listed
        ],
    }


def _coverage(session: Session, actor: Principal, place: Place, counts: dict[str, int]) -> Coverage:
    """From the registry's aggregates of the place (``counts``), which keep the open
    communes and villages; counted for today for a team leader (their own team's), a
    village (whose served commune lies above it), or while a unit of the subtree has a
    date still ahead (a reorganisation recorded before it takes effect)."""
    today = clock.today()
    if (
        actor.role is Role.TEAM_LEADER
        or place.level is UnitLevel.VILLAGE
        or repository.dates_ahead(session, place.path, today)
    ):
        units = repository.unit_counts(session, actor, place.path, today)
        communes, villages = units.get(UnitLevel.COMMUNE, 0), units.get(UnitLevel.VILLAGE, 0)
        served_communes, served_villages = repository.served_counts(
            session, actor, place.path, today
        )
    else:

        def of(item: str, level: UnitLevel) -> int:
            return counts.get(f"{item}:{level.value}", 0)

        communes, villages = (of(registry.UNIT_ITEM, level) for level in registry.COVERED)
        served_communes, served_villages = (
            of(registry.SERVED_ITEM, level) for level in registry.COVERED
        )
    return Coverage(
        communes=communes,
        communes_with_team=served_communes,
        commune_percentage=_percentage(served_communes, communes),
        villages=villages,
        villages_with_team=served_villages,
        village_percentage=_percentage(served_villages, villages),
    )


# --- campaign progress ----------------------------------------------------------------------


def progress(
    session: Session,
    actor: Principal,
    campaign: Campaign,
    query: ProgressQuery,
    language: Language,
) -> Progress:
    place = campaign_place(session, actor, campaign, query.unit_id, query.tree)
    assert place.unit is not None  # a campaign's scope is a province or a district
    unit = place.unit
    tracked = campaign_repository.indicators_of(session, campaign.id)
    today = clock.today()
    on = today
    if place.historical:  # the map of the campaign's end, or of the unit's last day
        on = min(campaign.ends_on, unit.valid_to or today, today)
    children = repository.children(session, actor, unit.id, on, today)
    child_ids = [child.id for child in children]
    # The unit's own targets are the campaign's for its scope unit (on today's map, for
    # the unit it became), else what its parent gave it (campaigns.service reads them
    # the same way); the children's, what it gave. Targets stay with the units they were
    # given to: units made since have none.
    own_is_campaigns = unit.id in (campaign.scope_unit_id, _scope_today(session, campaign, place))
    targets = campaign_repository.targets_of_units(
        session, campaign.id, child_ids if own_is_campaigns else [unit.id, *child_ids]
    )
    if own_is_campaigns:
        targets.update({(unit.id, i.id): t for i, t in tracked if t is not None})
    sums: dict[tuple[uuid.UUID, uuid.UUID, ActivityStatus], int] = {}
    for unit_key, indicator_id, status, total in repository.campaign_totals(
        session, [unit.id, *child_ids], campaign.id, [i.id for i, _ in tracked], place.historical
    ):
        sums[(unit_key, indicator_id, status)] = int(total)

    def of(unit_id: uuid.UUID, name: str) -> UnitProgress:
        values = []
        for indicator, _ in tracked:
            target = targets.get((unit_id, indicator.id))
            achieved = sums.get((unit_id, indicator.id, ActivityStatus.APPROVED), 0)
            values.append(
                IndicatorProgress(
                    indicator=indicator.code,
                    target=target,
                    achieved=achieved,
                    submitted=sums.get((unit_id, indicator.id, ActivityStatus.SUBMITTED), 0),
                    percentage=_percentage(achieved, target),
                )
            )
        return UnitProgress(unit_id=unit_id, unit_name=name, indicators=values)

    return Progress(
        campaign_id=campaign.id,
        tree=place.tree,
        indicators=[_ref(indicator, language) for indicator, _ in tracked],
        unit=of(unit.id, unit.name),
        children=[of(child.id, child.name) for child in children],
    )


def _scope_today(session: Session, campaign: Campaign, place: Place) -> uuid.UUID | None:
    """The unit alive today that a campaign's closed scope unit became (on today's map)."""
    if place.historical:
        return None
    scope_unit = unit_service.unit_by_id(session, campaign.scope_unit_id)
    return today_unit_id(scope_unit)


# --- campaign completeness ------------------------------------------------------------------


def campaign_days(campaign: Campaign, today: date) -> tuple[date, date] | None:
    """The campaign's days up to today, or None before it starts."""
    last = min(campaign.ends_on, today)
    return (campaign.starts_on, last) if campaign.starts_on <= last else None


def completeness(
    session: Session, actor: Principal, campaign: Campaign, query: CompletenessQuery
) -> Completeness:
    place = campaign_place(session, actor, campaign, query.unit_id)
    today = clock.today()
    if query.date is not None and not campaign.starts_on <= query.date <= campaign.ends_on:
        raise Unprocessable(
            errors=[
                FieldError.of(
                    "query.date",
                    "date_outside_campaign",
                    starts_on=campaign.starts_on.isoformat(),
                    ends_on=campaign.ends_on.isoformat(),
                )
            ]
        )
    ranked_day = query.date or min(max(today, campaign.starts_on), campaign.ends_on)
    days = campaign_days(campaign, today)
    children = repository.children(
        session, actor, place.unit.id if place.unit else None, today, today
    )
    child_ids = [child.id for child in children]
    expected, expected_by_child = _expected_teams(session, actor, place, child_ids)
    first = days[0] if days else ranked_day
    last = max(days[1], ranked_day) if days else ranked_day
    reported: dict[tuple[uuid.UUID, date], int] = {}
    if actor.role is Role.TEAM_LEADER and actor.team_id is not None:
        # Expected counts their own team only (the scope): so does reported, from the
        # team's own days rather than its units' counts of every team.
        below = ancestor_ids(actor.scope_path)[len(ancestor_ids(place.path)) :]
        for day in repository.team_reporting_days(session, actor.team_id, campaign.id, first, last):
            for unit_key in (place.key, *below[:1]):
                reported[(unit_key, day)] = 1
    else:
        # The unit's own days, and its children on the day ranked only.
        for unit_key, day, teams in repository.reporting(
            session, place.key, campaign.id, first, last, child_ids, ranked_day
        ):
            reported[(unit_key, day)] = int(teams)
    listed_days = []
    if days is not None:
        day = days[0]
        while day <= days[1]:
            count = reported.get((place.key, day), 0)
            listed_days.append(
                CompletenessDay(
                    day=day, expected=expected, reported=count, silent=max(expected - count, 0)
                )
            )
            day += timedelta(days=1)
    silent_units = [
        SilentUnit(
            unit_id=child.id,
            unit_name=child.name,
            expected=expected_by_child[child.id],
            reported=reported.get((child.id, ranked_day), 0),
            silent=max(expected_by_child[child.id] - reported.get((child.id, ranked_day), 0), 0),
        )
        for child in children
    ]
    silent_units.sort(key=lambda unit: (-unit.silent, unit.unit_name, str(unit.unit_id)))
    silent_teams = None
    if place.level in (UnitLevel.COMMUNE, UnitLevel.VILLAGE):
        silent_teams = [
            SilentTeam(team_id=team_id, team_name=name, unit_id=unit_id, unit_name=unit_name)
            for team_id, name, unit_id, unit_name in repository.silent_teams(
                session, actor, place.path, campaign.id, ranked_day
            )
        ]
    on_time = (
        None
        if query.on_time_days is None
        else workload_service.timeliness(
            session, actor, place.path, campaign.id, query.on_time_days
        )
    )
    return Completeness(
        campaign_id=campaign.id,
        area=place.area(),
        expected_teams=expected,
        days=listed_days,
        date=ranked_day,
        children=silent_units,
        silent_teams=silent_teams,
        on_time_days=query.on_time_days,
        teams_on_time=on_time[0] if on_time else None,
        units_on_time=on_time[1] if on_time else None,
    )


def _expected_teams(
    session: Session, actor: Principal, place: Place, child_ids: list[uuid.UUID]
) -> tuple[int, dict[uuid.UUID, int]]:
    """Active teams expected to report: in the place's subtree, and under each child.
    Read from the registry's aggregates (``StatRegistry``) of the place and its children;
    a team leader's (their own team) counted in SQL, grouped by the child's path prefix."""
    active = f"{registry.TEAM_ITEM}:{TeamStatus.ACTIVE.value}"
    if actor.role is not Role.TEAM_LEADER:
        found = repository.registry_item(session, [place.key, *child_ids], active)
        return found.pop(place.key, 0), defaultdict(int, found)
    expected, by_child = 0, defaultdict[uuid.UUID, int](int)
    for prefix, count in repository.active_teams_by_child(session, actor, place.path):
        expected += count
        below = ancestor_ids(prefix)[len(ancestor_ids(place.path)) :]
        if below:
            by_child[below[0]] += count
    return expected, by_child


# --- time series ----------------------------------------------------------------------------


def _day(ordinal: int) -> date:
    """The day of ``ordinal``, kept inside the calendar's range."""
    return date.fromordinal(min(max(ordinal, 1), date.max.toordinal()))


def period_start(day: date, interval: Interval) -> date:
    if interval is Interval.WEEK:
        return _day(day.toordinal() - day.weekday())
    if interval is Interval.MONTH:
        return day.replace(day=1)
    return day


def next_period(start: date, interval: Interval) -> date | None:
    """The first day of the period after the one starting on ``start`` (None past the
    calendar's end)."""
    if interval is Interval.MONTH:
        if start.year == date.max.year and start.month == 12:
            return None
        month = start.month % 12 + 1
        return start.replace(year=start.year + (start.month == 12), month=month)
    step = 7 if interval is Interval.WEEK else 1
    if start.toordinal() + step > date.max.toordinal():
        return None
    return date.fromordinal(start.toordinal() + step)


def period_label(start: date, interval: Interval) -> str:
    if interval is Interval.WEEK:
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if interval is Interval.MONTH:
        return f"{start.year:04d}-{start.month:02d}"
    return start.isoformat()


def period_count(date_from: date, date_to: date, interval: Interval) -> int:
    if interval is Interval.MONTH:
        return (date_to.year - date_from.year) * 12 + date_to.month - date_from.month + 1
    days = (period_start(date_to, interval) - period_start(date_from, interval)).days
    return days // (7 if interval is Interval.WEEK else 1) + 1


def _default_from(date_to: date, interval: Interval) -> date:
    back = DEFAULT_PERIODS[interval] - 1
    start = period_start(date_to, interval)
    if interval is Interval.MONTH:
        months = start.year * 12 + start.month - 1 - back
        return date(months // 12, months % 12 + 1, 1) if months >= 12 else date.min
    return _day(start.toordinal() - back * (7 if interval is Interval.WEEK else 1))


def timeseries(
    session: Session,
    actor: Principal,
    query: TimeseriesQuery,
    language: Language,
) -> Timeseries:
    _check_period(query.date_from, query.date_to)
    campaign = readable_campaign(session, actor, query.campaign_id)
    indicator = _indicator(session, query.indicator)
    place = place_of(session, actor, query.unit_id, query.tree)
    interval = query.interval
    date_to, date_from = query.date_to, query.date_from
    if date_to is None:
        date_to = campaign.ends_on if campaign is not None else clock.today()
        date_to = max(date_to, date_from) if date_from is not None else date_to
    if date_from is None:
        date_from = campaign.starts_on if campaign is not None else _default_from(date_to, interval)
        date_from = min(date_from, date_to)
    if period_count(date_from, date_to, interval) > MAX_PERIODS:
        raise Unprocessable(
            errors=[
                FieldError.of(
                    "query.from", "too_many_periods", limit=MAX_PERIODS, interval=interval.value
                )
            ]
        )
    sums: dict[tuple[date, ActivityStatus], int] = defaultdict(int)
    for day, status, total in repository.indicator_by_day(
        session,
        place.key,
        campaign.id if campaign is not None else None,
        indicator.id,
        date_from,
        date_to,
        place.historical,
    ):
        sums[(period_start(day, interval), status)] += int(total)
    periods = []
    start: date | None = period_start(date_from, interval)
    while start is not None and start <= date_to:
        following = next_period(start, interval)
        periods.append(
            Period(
                period=period_label(start, interval),
                starts_on=start,
                ends_on=_day(following.toordinal() - 1) if following else date.max,
                approved=sums[(start, ActivityStatus.APPROVED)],
                submitted=sums[(start, ActivityStatus.SUBMITTED)],
            )
        )
        start = following
    return Timeseries(
        area=place.area(),
        tree=place.tree,
        indicator=_ref(indicator, language),
        campaign_id=campaign.id if campaign is not None else None,
        interval=interval,
        date_from=date_from,
        date_to=date_to,
        periods=periods,
    )


# --- ranking --------------------------------------------------------------------------------


def ranking(
    session: Session,
    actor: Principal,
    query: RankingQuery,
    language: Language,
) -> Ranking:
    campaign = readable_campaign(session, actor, query.campaign_id)
    indicator = _indicator(session, query.indicator)
    place = place_of(session, actor, query.unit_id)  # teams are where they are today
    rows = repository.ranking(
        session,
        actor,
        place.path,
        campaign.id if campaign is not None else None,
        indicator.id,
        query.limit,
        small_subtree=place.level in (UnitLevel.COMMUNE, UnitLevel.VILLAGE),
    )
    return Ranking(
        area=place.area(),
        indicator=_ref(indicator, language),
        campaign_id=campaign.id if campaign is not None else None,
        items=[
            RankedTeam(
                rank=rank,
                team_id=team_id,
                team_name=team_name,
                unit_id=unit_id,
                unit_names=unit_names,
                approved=int(approved),
                submitted=int(submitted),
            )
            for rank, (team_id, team_name, unit_id, unit_names, approved, submitted) in enumerate(
                rows, start=1
            )
        ],
    )
