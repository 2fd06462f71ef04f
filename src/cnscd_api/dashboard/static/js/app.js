// The dashboard: log in, pick a campaign, an indicator and a map, read a unit's figures,
// drill down to a child unit and back, download each view as CSV.

import { ApiError, Client, saveCsv } from "./api.js";
import { h, replace } from "./dom.js";
import {
  currentLanguage,
  formatDate,
  initialLanguage,
  label,
  setLanguage,
  t,
  translatePage,
} from "./i18n.js";
import { completenessView, overviewView, progressView, rankingView, timeseriesView } from "./views.js";

const $ = (id) => document.getElementById(id);
const DEFAULT_INDICATOR = "people_guided";
const RANKED_TEAMS = 10;
// Levels whose children can be opened in turn (a commune's children are villages).
const OPENS_CHILDREN = new Set(["province", "district"]);

// What the reader chose; kept in the tab's history entries.
const CHOICES = {
  campaignId: null,
  indicator: DEFAULT_INDICATOR,
  interval: "day",
  tree: "current",
  root: null, // {id, name}: where the campaign is read by default (the API's choice)
  trail: [], // [{id, name}]: the units opened below the root
};

const state = {
  ...CHOICES,
  me: null,
  campaigns: [],
  requests: {}, // view → what its CSV asks for
  loading: 0, // the latest load; an older one that ends later is dropped
};

const client = new Client({ language: currentLanguage, onSessionEnd: endSession });

function announce(text) {
  $("announcer").textContent = text;
}

function showError(error) {
  if (error instanceof ApiError && error.status === 401) {
    endSession("expired");
    return;
  }
  $("board-error").textContent =
    error instanceof ApiError ? error.message : t("error.network");
}

// --- session --------------------------------------------------------------------------

function showLogin(message = "") {
  $("board").hidden = true;
  $("logout").hidden = true;
  $("who").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message;
  $("password").value = "";
}

function endSession(reason) {
  client.forget();
  showLogin(reason === "expired" ? t("login.expired") : "");
  $("username").focus();
}

async function onLogin(event) {
  event.preventDefault();
  const username = $("username").value.trim();
  const password = $("password").value;
  if (!username || !password) {
    $("login-error").textContent = t("login.missing");
    return;
  }
  $("login-error").textContent = "";
  const submit = event.target.querySelector("button[type=submit]");
  submit.disabled = true;
  try {
    await client.login(username, password);
  } catch (error) {
    $("login-error").textContent = error instanceof ApiError ? error.message : t("error.network");
    $("password").focus();
    return;
  } finally {
    submit.disabled = false;
  }
  history.replaceState(null, "");
  await enter();
}

async function onLogout() {
  await client.logout();
  history.replaceState(null, "");
  showLogin();
  $("username").focus();
}

function describeMe(me) {
  const path = me.scope_unit ? me.scope_unit.path_names.join(" › ") : "";
  return [me.full_name || me.username, label("role", me.role), path].filter(Boolean).join(" · ");
}

async function enter() {
  try {
    state.me = await client.get("/auth/me");
    if (!state.me.permissions.includes("stats:read")) {
      await client.logout();
      showLogin(t("login.no_stats"));
      return;
    }
    const campaigns = await client.get("/campaigns", { sort: "-starts_on", limit: 100 });
    state.campaigns = campaigns.items;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) endSession("expired");
    else showLogin(error instanceof ApiError ? error.message : t("error.network"));
    return;
  }
  restore(history.state);
  if (!state.campaigns.some((campaign) => campaign.id === state.campaignId)) {
    const active = state.campaigns.find((campaign) => campaign.status === "active");
    state.campaignId = (active ?? state.campaigns[0])?.id ?? null;
    state.trail = [];
  }
  history.replaceState(snapshot(), "");
  $("login").hidden = true;
  $("board").hidden = false;
  $("logout").hidden = false;
  $("who").hidden = false;
  $("who").textContent = describeMe(state.me);
  fillCampaigns();
  await load();
  // Screen readers start at the unit's name; the page stays at its top for the eyes.
  $("unit-title").focus({ preventScroll: true });
}

// --- where the reader is: kept in the history, so Back goes up a level ----------------

function snapshot() {
  return Object.fromEntries(Object.keys(CHOICES).map((name) => [name, state[name]]));
}

function restore(saved) {
  for (const name of Object.keys(CHOICES)) state[name] = saved?.[name] ?? CHOICES[name];
}

function navigate(change, { push = true } = {}) {
  Object.assign(state, change);
  if (push) history.pushState(snapshot(), "");
  else history.replaceState(snapshot(), "");
  return load();
}

async function openUnit(unit) {
  await navigate({ trail: [...state.trail, { id: unit.unit_id, name: unit.unit_name }] });
  $("unit-title").focus();
}

async function openTrail(length) {
  await navigate({ trail: state.trail.slice(0, length) });
  $("unit-title").focus();
}

// --- controls -----------------------------------------------------------------------------

function fillCampaigns() {
  const select = $("campaign");
  replace(
    select,
    state.campaigns.map((campaign) =>
      h(
        "option",
        { value: campaign.id, selected: campaign.id === state.campaignId },
        t("campaign.option", {
          name: campaign.name,
          from: formatDate(campaign.starts_on),
          to: formatDate(campaign.ends_on),
        }),
      ),
    ),
  );
  select.disabled = state.campaigns.length === 0;
  for (const radio of document.querySelectorAll("input[name=tree]")) {
    radio.checked = radio.value === state.tree;
  }
}

function fillIndicators(indicators) {
  if (!indicators.some((indicator) => indicator.code === state.indicator)) {
    state.indicator = indicators.some((indicator) => indicator.code === DEFAULT_INDICATOR)
      ? DEFAULT_INDICATOR
      : indicators[0]?.code ?? DEFAULT_INDICATOR;
  }
  replace(
    $("indicator"),
    indicators.map((indicator) =>
      h("option", { value: indicator.code, selected: indicator.code === state.indicator }, indicator.name),
    ),
  );
  $("indicator").disabled = indicators.length === 0;
}

function fillTrail() {
  const units = [state.root, ...state.trail].filter(Boolean);
  replace(
    $("trail"),
    units.map((unit, index) =>
      index === units.length - 1
        ? h("li", {}, h("span", { "aria-current": "page" }, unit.name))
        : h("li", {}, h("button", { type: "button", class: "link-button", onclick: () => openTrail(index) }, unit.name)),
    ),
  );
}

function body(view) {
  return $(view).querySelector(".card-body");
}

// --- loading the views ---------------------------------------------------------------------

// The grid of child units × days, from one completeness answer per day. Rows keep the
// order of the first answer (today's, or the campaign's last day): most silent first.
async function completenessGrid(path, unitId) {
  const first = await client.get(path, { unit_id: unitId });
  const others = first.days.map((day) => day.day).filter((day) => day !== first.date);
  const answers = [first, ...(await Promise.all(others.map((day) => client.get(path, { unit_id: unitId, date: day }))))];
  const rows = new Map(first.children.map((child) => [child.unit_id, { ...child, cells: new Map() }]));
  for (const answer of answers) {
    for (const child of answer.children) {
      rows.get(child.unit_id)?.cells.set(answer.date, { reported: child.reported, expected: child.expected });
    }
  }
  return {
    area: first.area,
    days: first.days,
    rows: [...rows.values()],
    silentTeams: first.silent_teams,
    lastDay: first.date,
    dates: [first.date, ...others],
  };
}

async function load() {
  const loading = ++state.loading;
  const current = () => loading === state.loading;
  const main = $("main");
  main.setAttribute("aria-busy", "true");
  $("board-error").textContent = "";
  const campaign = state.campaignId;
  const unitId = state.trail.at(-1)?.id ?? null;
  try {
    $("no-campaign").hidden = campaign !== null;
    for (const view of ["progress", "completeness", "timeseries", "ranking"]) $(view).hidden = campaign === null;
    if (campaign === null) {
      const overviewParams = { unit_id: unitId, tree: state.tree };
      const overview = await client.get("/stats/overview", overviewParams);
      if (!current()) return;
      state.root = { id: overview.area.unit_id, name: overview.area.unit_name };
      state.requests = { overview: ["/stats/overview", overviewParams] };
      $("unit-title").textContent = overview.area.unit_name;
      fillIndicators([]);
      fillTrail();
      replace(body("overview"), overviewView(overview, { tree: state.tree }));
      return;
    }
    const progressPath = `/stats/campaigns/${campaign}/progress`;
    const progressParams = { unit_id: unitId, tree: state.tree };
    const progress = await client.get(progressPath, progressParams);
    if (!current()) return;
    const unit = progress.unit;
    if (!state.trail.length) state.root = { id: unit.unit_id, name: unit.unit_name };
    fillIndicators(progress.indicators);
    const area = { unit_id: unit.unit_id, campaign_id: campaign };
    const overviewParams = { ...area, tree: state.tree };
    const seriesParams = { ...area, indicator: state.indicator, interval: state.interval, tree: state.tree };
    const rankingParams = { ...area, indicator: state.indicator, limit: RANKED_TEAMS };
    const completenessPath = `/stats/campaigns/${campaign}/completeness`;
    const [overview, grid, series, ranking] = await Promise.all([
      client.get("/stats/overview", overviewParams),
      completenessGrid(completenessPath, unit.unit_id),
      client.get("/stats/timeseries", seriesParams),
      client.get("/stats/teams/ranking", rankingParams),
    ]);
    if (!current()) return;
    state.requests = {
      overview: ["/stats/overview", overviewParams],
      progress: [progressPath, progressParams],
      completeness: [completenessPath, { unit_id: unit.unit_id }, grid.dates],
      timeseries: ["/stats/timeseries", seriesParams],
      ranking: ["/stats/teams/ranking", rankingParams],
    };
    const level = overview.area.level;
    const drill = OPENS_CHILDREN.has(level) ? openUnit : null;
    $("unit-title").textContent = unit.unit_name;
    fillTrail();
    const context = { tree: state.tree, shown: { id: unit.unit_id, name: unit.unit_name } };
    replace(body("overview"), overviewView(overview, context));
    replace(body("progress"), progressView(progress, state.indicator, progress.children.length ? drill : null));
    replace(body("completeness"), completenessView(grid, context));
    const chartWidth = Math.min(640, Math.max(300, body("timeseries").clientWidth));
    const onInterval = async (interval) => {
      await navigate({ interval }, { push: false });
      $("interval")?.focus(); // the select was drawn anew: keep the keyboard where it was
    };
    replace(body("timeseries"), timeseriesView(series, state.interval, onInterval, chartWidth));
    replace(body("ranking"), rankingView(ranking, context));
    announce(t("viewing", { unit: unit.unit_name }));
  } catch (error) {
    if (current()) showError(error);
  } finally {
    if (current()) main.removeAttribute("aria-busy");
  }
}

// --- CSV ---------------------------------------------------------------------------------

// The API answers every view as CSV (Accept: text/csv). The reporting grid is made of one
// answer per day: its CSV is the first day's whole, then the other days' unit rows.
async function downloadCsv(view) {
  const request = state.requests[view];
  if (!request) return;
  const [path, params, dates] = request;
  try {
    if (!dates) {
      const { text, filename } = await client.csv(path, params);
      saveCsv(text, filename);
      return;
    }
    const parts = await Promise.all(dates.map((day) => client.csv(path, { ...params, date: day })));
    const lines = parts.flatMap((part, index) =>
      part.text
        .replace(/^\ufeff/, "")
        .split("\r\n")
        .filter((line, number) => line && (index === 0 || (number > 0 && !line.startsWith("day,")))),
    );
    saveCsv(`${lines.join("\r\n")}\r\n`, parts[0].filename);
  } catch (error) {
    showError(error);
  }
}

// --- wiring --------------------------------------------------------------------------------

// Words, labels and formats of the chosen language; the figures are asked for again,
// since the API names units' indicators in the language asked for.
function applyLanguage() {
  translatePage();
  $("language").textContent = t("language");
  $("language").lang = currentLanguage() === "vi" ? "en" : "vi";
  for (const button of document.querySelectorAll("button.csv")) {
    button.setAttribute("aria-label", t("csv.label", { view: t(`${button.dataset.view}.title`) }));
  }
}

function switchLanguage() {
  setLanguage(currentLanguage() === "vi" ? "en" : "vi");
  applyLanguage();
  if (client.signedIn && state.me) {
    $("who").textContent = describeMe(state.me);
    fillCampaigns();
    load();
  }
}

function wire() {
  $("login-form").addEventListener("submit", onLogin);
  $("logout").addEventListener("click", onLogout);
  $("language").addEventListener("click", switchLanguage);
  $("refresh").addEventListener("click", () => load());
  $("controls").addEventListener("submit", (event) => event.preventDefault());
  $("campaign").addEventListener("change", (event) =>
    navigate({ campaignId: event.target.value, root: null, trail: [] }));
  $("indicator").addEventListener("change", (event) =>
    navigate({ indicator: event.target.value }, { push: false }));
  for (const radio of document.querySelectorAll("input[name=tree]")) {
    radio.addEventListener("change", (event) => navigate({ tree: event.target.value, root: null, trail: [] }));
  }
  for (const button of document.querySelectorAll("button.csv")) {
    button.addEventListener("click", () => downloadCsv(button.dataset.view));
  }
  window.addEventListener("popstate", (event) => {
    if (!client.signedIn) return;
    restore(event.state);
    fillCampaigns();
    load();
  });
}

async function start() {
  initialLanguage();
  applyLanguage();
  wire();
  if (await client.resume()) await enter();
  else showLogin();
}

start();
