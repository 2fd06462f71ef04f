// Charts drawn as plain SVG (no library): a progress bar, a line chart and the colour
// scale of the reporting grid. Each chart is decoration next to a table or a text that
// says the same, so a screen reader or a printout loses nothing.

import { s } from "./dom.js";

// A bar of achieved against target: full width is the larger of the target and 100%
// more, so a result above target shows past the target's mark.
export function progressBar(percentage) {
  const width = 200;
  const height = 16;
  const scale = Math.max(100, Math.min(percentage ?? 0, 150));
  const filled = percentage === null ? 0 : (Math.min(percentage, 150) / scale) * width;
  const target = (100 / scale) * width;
  const tone = percentage === null ? "none" : percentage >= 100 ? "met" : percentage >= 70 ? "near" : "low";
  return s(
    "svg",
    {
      class: "bar",
      viewBox: `0 0 ${width} ${height}`,
      preserveAspectRatio: "none",
      "aria-hidden": "true",
      focusable: "false",
    },
    s("rect", { class: "bar-track", x: 0, y: 2, width, height: height - 4, rx: 3 }),
    s("rect", { class: `bar-fill bar-${tone}`, x: 0, y: 2, width: filled, height: height - 4, rx: 3 }),
    percentage === null ? null : s("line", { class: "bar-target", x1: target, x2: target, y1: 0, y2: height }),
  );
}

// Steps of the reporting grid's colour scale (share of teams that reported), from the
// lowest; each step's text colour keeps a contrast of 4.5:1 or more on its fill.
export const REPORTING_STEPS = [
  { from: 0, to: 50, tone: "r0" },
  { from: 50, to: 70, tone: "r1" },
  { from: 70, to: 85, tone: "r2" },
  { from: 85, to: 95, tone: "r3" },
  { from: 95, to: 101, tone: "r4" },
];

export function reportingTone(share) {
  if (share === null) return "rnone";
  return REPORTING_STEPS.find((step) => share >= step.from && share < step.to)?.tone ?? "r4";
}

function niceMaximum(value) {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 2.5, 5, 10].find((factor) => factor * power >= value) ?? 10;
  return step * power;
}

// Which periods are named under the axis: every ``every``-th and the last, never two
// too close together.
function shownLabels(count, every) {
  const shown = [];
  for (let index = 0; index < count; index += every) shown.push(index);
  if (count && shown.at(-1) !== count - 1) {
    if (count - 1 - shown.at(-1) < every * 0.75 && shown.length > 1) shown.pop();
    shown.push(count - 1);
  }
  return shown;
}

// A line chart of several series over the same periods. ``series``: [{key, values}];
// ``labels``: the periods' short names; ``format``: numbers on the axis; ``width``: the
// drawing's own width (about the width it is shown at, so that its text stays legible).
export function lineChart({ labels, series, format, titleId, descriptionId, width = 640 }) {
  const height = Math.round(width * 0.42);
  const margin = { top: 16, right: 20, bottom: 40, left: 60 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const maximum = niceMaximum(Math.max(0, ...series.flatMap((line) => line.values)));
  const x = (index) =>
    margin.left + (labels.length <= 1 ? plotWidth / 2 : (index / (labels.length - 1)) * plotWidth);
  const y = (value) => margin.top + plotHeight - (value / maximum) * plotHeight;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((part) => part * maximum);
  const every = Math.max(1, Math.ceil(labels.length / Math.floor(plotWidth / 64)));

  return s(
    "svg",
    {
      class: "line-chart",
      viewBox: `0 0 ${width} ${height}`,
      role: "img",
      "aria-labelledby": titleId,
      "aria-describedby": descriptionId,
    },
    ticks.map((tick) => [
      s("line", { class: "grid-line", x1: margin.left, x2: width - margin.right, y1: y(tick), y2: y(tick) }),
      s("text", { class: "axis", x: margin.left - 8, y: y(tick) + 4, "text-anchor": "end" }, format(tick)),
    ]),
    shownLabels(labels.length, every).map((index) =>
      s("text", {
        class: "axis",
        x: x(index),
        y: height - margin.bottom + 20,
        "text-anchor": labels.length > 1 && index === 0 ? "start" : index === labels.length - 1 && index > 0 ? "end" : "middle",
      }, labels[index]),
    ),
    series.map((line) => [
      s("polyline", {
        class: `series series-${line.key}`,
        points: line.values.map((value, index) => `${x(index)},${y(value)}`).join(" "),
      }),
      line.values.map((value, index) =>
        s("circle", { class: `point series-${line.key}`, cx: x(index), cy: y(value), r: 3 }),
      ),
    ]),
  );
}

// The legend of a line chart: a swatch and the series' name.
export function swatch(key) {
  return s(
    "svg",
    { class: "swatch", viewBox: "0 0 24 12", width: 24, height: 12, "aria-hidden": "true", focusable: "false" },
    s("line", { class: `series series-${key}`, x1: 0, x2: 24, y1: 6, y2: 6 }),
  );
}
