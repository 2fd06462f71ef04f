"""The CSV renderings of the ``/stats`` answers: one flat table each, columns named like
the JSON fields, so that a spreadsheet and a script read the same figures."""

from __future__ import annotations

from typing import Any

from cnscd_api.core.representation import Table
from cnscd_api.stats.schemas import (
    Completeness,
    DeviceDashboard,
    Overview,
    Progress,
    Ranking,
    SupportDashboard,
    SupportFigures,
    Timeseries,
)


def _area(answer: Any) -> list[Any]:
    return [answer.area.unit_id, answer.area.unit_name]


def overview_table(overview: Overview) -> Table:
    rows: list[list[Any]] = []
    area = _area(overview)

    def add(section: str, key: str, value: Any, name: str = "") -> None:
        rows.append([*area, section, key, name, value])

    for status, count in overview.teams.by_status.items():
        add("teams", status, count)
    members = overview.members
    for section, counts in (
        ("members.affiliation", members.by_affiliation),
        ("members.gender", members.by_gender),
        ("members.skill_level", members.by_skill_level),
        ("members.role", members.by_role),
    ):
        for key, count in counts.items():
            add(section, key, count)
    for status, count in overview.activities.by_status.items():
        add("activities", status, count)
    for indicator in overview.indicators:
        add("indicators.approved", indicator.code, indicator.approved, indicator.name)
        add("indicators.submitted", indicator.code, indicator.submitted, indicator.name)
    coverage = overview.coverage.model_dump()
    for key, value in coverage.items():
        add("coverage", key, value)
    return Table(["unit_id", "unit_name", "section", "key", "name", "value"], rows, "overview")


def progress_table(progress: Progress) -> Table:
    rows = [
        [
            unit.unit_id,
            unit.unit_name,
            "unit" if index == 0 else "child",
            value.indicator,
            value.target,
            value.achieved,
            value.submitted,
            value.percentage,
        ]
        for index, unit in enumerate([progress.unit, *progress.children])
        for value in unit.indicators
    ]
    headers = [
        "unit_id",
        "unit_name",
        "kind",
        "indicator",
        "target",
        "achieved",
        "submitted",
        "percentage",
    ]
    return Table(headers, rows, "campaign-progress")


def completeness_table(completeness: Completeness) -> Table:
    area = _area(completeness)
    rows: list[list[Any]] = [
        ["day", day.day, *area, "", "", day.expected, day.reported, day.silent]
        for day in completeness.days
    ]
    rows += [
        [
            "unit",
            completeness.date,
            unit.unit_id,
            unit.unit_name,
            "",
            "",
            unit.expected,
            unit.reported,
            unit.silent,
        ]
        for unit in completeness.children
    ]
    rows += [
        [
            "silent_team",
            completeness.date,
            team.unit_id,
            team.unit_name,
            team.team_id,
            team.team_name,
            1,
            0,
            1,
        ]
        for team in completeness.silent_teams or []
    ]
    # With on_time_days: reports (as "expected") and those on time (as "reported") over
    # the campaign, per child unit and per team.
    rows += [
        ["unit_on_time", "", unit.id, unit.name, "", "", unit.reports, unit.on_time, ""]
        for unit in completeness.units_on_time or []
    ]
    rows += [
        ["team_on_time", "", "", "", team.id, team.name, team.reports, team.on_time, ""]
        for team in completeness.teams_on_time or []
    ]
    headers = [
        "kind",
        "day",
        "unit_id",
        "unit_name",
        "team_id",
        "team_name",
        "expected",
        "reported",
        "silent",
    ]
    return Table(headers, rows, "campaign-completeness")


def timeseries_table(series: Timeseries) -> Table:
    rows = [
        [
            *_area(series),
            series.indicator.code,
            period.period,
            period.starts_on,
            period.ends_on,
            period.approved,
            period.submitted,
        ]
        for period in series.periods
    ]
    headers = [
        "unit_id",
        "unit_name",
        "indicator",
        "period",
        "starts_on",
        "ends_on",
        "approved",
        "submitted",
    ]
    return Table(headers, rows, "timeseries")


def ranking_table(ranking: Ranking) -> Table:
    rows = [
        [
            team.rank,
            team.team_id,
            team.team_name,
            team.unit_id,
            " / ".join(team.unit_names),
            ranking.indicator.code,
            team.approved,
            team.submitted,
        ]
        for team in ranking.items
    ]
    headers = [
        "rank",
        "team_id",
        "team_name",
        "unit_id",
        "unit_names",
        "indicator",
        "approved",
        "submitted",
    ]
    return Table(headers, rows, "team-ranking")


def support_table(dashboard: SupportDashboard) -> Table:
    headers = list(SupportFigures.model_fields)
    rows = [
        [getattr(figures, name) for name in headers]
        for figures in [*dashboard.organisations, *dashboard.units]
    ]
    return Table(headers, rows, "support-requests")


def device_table(dashboard: DeviceDashboard) -> Table:
    """One table for both lists: the need per unit (organisation empty), then the
    referrals per organisation."""
    headers = [
        "unit_id",
        "unit_name",
        "organisation",
        "households_without_smartphone",
        "poor",
        "near_poor",
        "referred",
        "requested",
        "accepted",
        "delivered",
        "refused",
    ]
    rows: list[list[Any]] = [
        [
            n.unit_id,
            n.unit_name,
            "",
            n.households_without_smartphone,
            n.poor,
            n.near_poor,
            n.referred,
            "",
            "",
            n.delivered,
            "",
        ]
        for n in [dashboard.total, *dashboard.units]
    ]
    rows += [
        [
            r.unit_id,
            r.unit_name,
            r.organisation,
            "",
            "",
            "",
            r.referred,
            r.requested,
            r.accepted,
            r.delivered,
            r.refused,
        ]
        for r in dashboard.organisations
    ]
    return Table(headers, rows, "device-needs")
