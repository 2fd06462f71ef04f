// The five views of a unit, each drawn from the API's answers: the registry figures
// (overview), progress against targets per child unit, reporting per day per child unit,
// the time series and the team ranking.

import { REPORTING_STEPS, lineChart, progressBar, reportingTone, swatch } from "./charts.js";
import { h, scrollBox } from "./dom.js";
import { formatDate, formatNumber, formatPercent, formatShortDate, label, t } from "./i18n.js";

function figure(name, value, key, detail = null) {
  return h(
    "div",
    { class: "figure" },
    h("dt", {}, name),
    h("dd", {}, h("span", { class: "figure-value", dataset: { figure: key } }, value), detail),
  );
}

// Team figures, the reporting grid and the ranking are today's registry on either map.
// Asked for a unit since closed, the API answers for the unit alive today it became:
// say so before the figures, rather than show them under the closed unit's name.
function registryNotice(area, shown) {
  if (area.unit_id === shown.id) return null;
  return h("p", { class: "notice" }, t("note.today_unit", { shown: shown.name, area: area.unit_name }));
}

function registryNote(tree) {
  return h("p", { class: "note" }, t(tree === "historical" ? "note.historical" : "note.registry"));
}

export function overviewView(overview, { tree }) {
  const { teams, members, coverage, activities } = overview;
  const affiliations = Object.entries(members.by_affiliation);
  return [
    h(
      "dl",
      { class: "figures" },
      figure(
        t("overview.teams"),
        formatNumber(teams.total),
        "teams.total",
        h(
          "span",
          { class: "figure-detail" },
          h("span", { dataset: { figure: "teams.active" } }, formatNumber(teams.by_status.active ?? 0)),
          ` ${t("overview.teams_active")}`,
        ),
      ),
      figure(t("overview.members"), formatNumber(members.total), "members.total"),
      figure(
        t("overview.communes"),
        t("overview.of", {
          part: formatNumber(coverage.communes_with_team),
          whole: formatNumber(coverage.communes),
        }),
        "coverage.communes",
        h("span", { class: "figure-detail", dataset: { figure: "coverage.commune_percentage" } },
          formatPercent(coverage.commune_percentage)),
      ),
      figure(
        t("overview.villages"),
        t("overview.of", {
          part: formatNumber(coverage.villages_with_team),
          whole: formatNumber(coverage.villages),
        }),
        "coverage.villages",
        h("span", { class: "figure-detail", dataset: { figure: "coverage.village_percentage" } },
          formatPercent(coverage.village_percentage)),
      ),
      figure(
        t("overview.activities"),
        formatNumber(activities.total),
        "activities.total",
        h(
          "span",
          { class: "figure-detail" },
          ["approved", "submitted", "rejected"].map((status, index) => [
            index ? " · " : "",
            h("span", { dataset: { figure: `activities.${status}` } }, formatNumber(activities.by_status[status] ?? 0)),
            ` ${t(`overview.${status}`)}`,
          ]),
        ),
      ),
    ),
    scrollBox(
      t("overview.affiliation"),
      h(
        "table",
        { class: "data compact" },
        h("caption", {}, t("overview.affiliation")),
        h("tbody", {}, affiliations.map(([code, count]) =>
          h("tr", {}, h("th", { scope: "row" }, label("affiliation", code)),
            h("td", { class: "number", dataset: { affiliation: code } }, formatNumber(count))),
        )),
      ),
    ),
    registryNote(tree),
  ];
}

function progressRow(unit, indicator, { drill, total }) {
  const value = unit.indicators.find((item) => item.indicator === indicator) ?? {
    target: null,
    achieved: 0,
    submitted: 0,
    percentage: null,
  };
  const name = total ? t("progress.total", { unit: unit.unit_name }) : unit.unit_name;
  const heading = drill
    ? h("button", { type: "button", class: "link-button drill", dataset: { unitId: unit.unit_id },
        "aria-label": t("progress.drill", { unit: unit.unit_name }), onclick: () => drill(unit) }, name)
    : name;
  return h(
    "tr",
    { dataset: { unitId: unit.unit_id }, class: total ? "total" : null },
    h("th", { scope: "row", class: "bar-cell" }, heading, progressBar(value.percentage)),
    h("td", { class: "number", dataset: { field: "achieved" } }, formatNumber(value.achieved)),
    h("td", { class: "number", dataset: { field: "target" } }, formatNumber(value.target)),
    h("td", { class: "number", dataset: { field: "percentage" } }, formatPercent(value.percentage)),
    h("td", { class: "number", dataset: { field: "submitted" } }, formatNumber(value.submitted)),
  );
}

export function progressView(progress, indicator, drill) {
  const name = progress.indicators.find((item) => item.code === indicator)?.name ?? indicator;
  const head = ["progress.unit", "progress.achieved", "progress.target", "progress.percentage",
    "progress.submitted"];
  return [
    scrollBox(
      t("table.of", { view: t("progress.title") }),
      h(
        "table",
        { class: "data progress-table" },
        h("caption", {}, t("progress.caption", { indicator: name })),
        h("thead", {}, h("tr", {}, head.map((key, index) =>
          h("th", { scope: "col", class: index ? "number" : null }, t(key))))),
        h("tbody", {}, progress.children.length
          ? progress.children.map((child) => progressRow(child, indicator, { drill }))
          : h("tr", {}, h("td", { colspan: head.length }, t("progress.none")))),
        h("tfoot", {}, progressRow(progress.unit, indicator, { total: true })),
      ),
    ),
  ];
}

function reportingCell(unitName, day, reported, expected) {
  const share = expected > 0 ? (reported / expected) * 100 : null;
  const full = t("completeness.cell", {
    unit: unitName,
    day: formatDate(day),
    reported: formatNumber(reported),
    expected: formatNumber(expected),
  });
  return h(
    "td",
    { class: `cell ${reportingTone(share)}`, title: full, dataset: { day, reported, expected } },
    h("span", { "aria-hidden": "true" }, share === null ? "—" : `${Math.round(share)}%`),
    h("span", { class: "visually-hidden" }, `${formatNumber(reported)} / ${formatNumber(expected)}`),
  );
}

function reportingLegend() {
  const bounds = REPORTING_STEPS.map((step, index) =>
    index === 0 ? `< ${step.to}%` : index === REPORTING_STEPS.length - 1 ? `≥ ${step.from}%` : `${step.from}–${step.to}%`,
  );
  return h(
    "div",
    { class: "legend" },
    h("span", { class: "legend-title" }, `${t("completeness.legend")}:`),
    h("ul", {}, [
      ...REPORTING_STEPS.map((step, index) =>
        h("li", {}, h("span", { class: `key ${step.tone}`, "aria-hidden": "true" }), bounds[index])),
      h("li", {}, h("span", { class: "key rnone", "aria-hidden": "true" }), t("completeness.no_team")),
    ]),
  );
}

// ``grid``: {area, days: [{day, expected, reported}], rows: [{unit_id, unit_name,
// cells: Map(day → {expected, reported})}], silentTeams, lastDay}
export function completenessView(grid, { shown }) {
  if (!grid.days.length) return [h("p", { class: "notice" }, t("completeness.not_started"))];
  const dayHeads = grid.days.map((day) =>
    h("th", { scope: "col", class: "day" }, h("abbr", { title: formatDate(day.day) }, formatShortDate(day.day))));
  const totalRow = h(
    "tr",
    { class: "total", dataset: { unitId: grid.area.unit_id ?? "" } },
    h("th", { scope: "row" }, grid.area.unit_name),
    grid.days.map((day) => reportingCell(grid.area.unit_name, day.day, day.reported, day.expected)),
  );
  const rows = grid.rows.map((row) =>
    h(
      "tr",
      { dataset: { unitId: row.unit_id } },
      h("th", { scope: "row" }, row.unit_name),
      grid.days.map((day) => {
        const cell = row.cells.get(day.day) ?? { reported: 0, expected: 0 };
        return reportingCell(row.unit_name, day.day, cell.reported, cell.expected);
      }),
    ),
  );
  const silent = grid.silentTeams;
  return [
    registryNotice(grid.area, shown),
    reportingLegend(),
    scrollBox(
      t("table.of", { view: t("completeness.title") }),
      h(
        "table",
        { class: "data grid" },
        h("caption", {}, t("completeness.caption")),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("completeness.unit")), dayHeads)),
        h("tbody", {}, totalRow, rows),
      ),
    ),
    silent === null
      ? null
      : silent.length
        ? h("div", { class: "silent" },
            h("h4", {}, t("completeness.silent", { day: formatDate(grid.lastDay) })),
            h("ul", {}, silent.map((team) => h("li", {}, `${team.team_name} (${team.unit_name})`))))
        : h("p", {}, t("completeness.all_reported", { day: formatDate(grid.lastDay) })),
    h("p", { class: "note" }, t("note.registry")),
  ];
}

function periodLabel(period, interval) {
  if (interval === "day") return formatShortDate(period.starts_on);
  if (interval === "week") return period.period.replace(/^\d{4}-/, "");
  return period.period.split("-").reverse().join("/");
}

export function timeseriesView(series, interval, onInterval, width) {
  const labels = series.periods.map((period) => periodLabel(period, interval));
  const total = (key) => series.periods.reduce((sum, period) => sum + period[key], 0);
  const keys = ["approved", "submitted"];
  const select = h(
    "select",
    { id: "interval", onchange: (event) => onInterval(event.target.value) },
    ["day", "week", "month"].map((value) =>
      h("option", { value, selected: value === interval }, t(`interval.${value}`))),
  );
  return [
    h("p", { class: "field inline" }, h("label", { for: "interval" }, t("timeseries.interval")), select),
    h("p", { id: "timeseries-chart-title", class: "chart-title" }, series.indicator.name),
    h("p", { id: "timeseries-chart-description", class: "visually-hidden" }, t("timeseries.chart", {
      indicator: series.indicator.name,
      interval: t(`interval.${interval}`),
      from: formatDate(series.date_from),
      to: formatDate(series.date_to),
      approved: formatNumber(total("approved")),
      submitted: formatNumber(total("submitted")),
    })),
    h("div", { class: "chart" }, lineChart({
      labels,
      series: keys.map((key) => ({ key, values: series.periods.map((period) => period[key]) })),
      format: formatNumber,
      titleId: "timeseries-chart-title",
      descriptionId: "timeseries-chart-description",
      width,
    })),
    h("ul", { class: "chart-legend" }, keys.map((key) => h("li", {}, swatch(key), label("series", key)))),
    h(
      "details",
      { class: "table-view" },
      h("summary", {}, t("timeseries.table")),
      scrollBox(
        t("table.of", { view: t("timeseries.title") }),
        h(
          "table",
          { class: "data" },
          h("caption", { class: "visually-hidden" }, series.indicator.name),
          h("thead", {}, h("tr", {},
            h("th", { scope: "col" }, t("timeseries.period")),
            keys.map((key) => h("th", { scope: "col", class: "number" }, label("series", key))))),
          h("tbody", {}, series.periods.map((period, index) =>
            h("tr", { dataset: { period: period.period } },
              h("th", { scope: "row" }, labels[index]),
              keys.map((key) => h("td", { class: "number", dataset: { field: key } }, formatNumber(period[key])))))),
        ),
      ),
    ),
  ];
}

export function rankingView(ranking, { shown }) {
  const notice = registryNotice(ranking.area, shown);
  if (!ranking.items.length) return [notice, h("p", {}, t("ranking.none"))];
  return [
    notice,
    scrollBox(
      t("table.of", { view: t("ranking.title") }),
      h(
        "table",
        { class: "data" },
        h("caption", {}, t("ranking.caption", { indicator: ranking.indicator.name })),
        h("thead", {}, h("tr", {},
          h("th", { scope: "col", class: "number" }, t("ranking.rank")),
          h("th", { scope: "col" }, t("ranking.team")),
          h("th", { scope: "col", class: "number" }, label("series", "approved")),
          h("th", { scope: "col", class: "number" }, label("series", "submitted")))),
        h("tbody", {}, ranking.items.map((team) =>
          h("tr", { dataset: { teamId: team.team_id } },
            h("td", { class: "number", dataset: { field: "rank" } }, formatNumber(team.rank)),
            h("th", { scope: "row" }, h("span", { class: "team" }, team.team_name),
              h("span", { class: "place" }, team.unit_names.slice(1).join(" › "))),
            h("td", { class: "number", dataset: { field: "approved" } }, formatNumber(team.approved)),
            h("td", { class: "number", dataset: { field: "submitted" } }, formatNumber(team.submitted))))),
      ),
    ),
  ];
}
