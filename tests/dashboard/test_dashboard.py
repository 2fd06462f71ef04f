"""The dashboard on the 2024 map, as each demo tier uses it: the figures shown are the
API's, drilling down and back, CSV downloads, 304s on refresh, the session's tokens,
English, a phone's width, keyboard and screen-reader use."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cnscd_api.core.i18n import message
from tests.dashboard.conftest import OpenDashboard, SignIn, screenshot, serve_copy
from tests.dashboard.pages import (
    API,
    DESKTOP,
    INDICATOR,
    PHONE,
    ApiReader,
    Dashboard,
    en_number,
    progress_expected,
    rounded_share,
    vi_number,
    vi_percent,
)
from tests.live_server import LiveServer

pytestmark = pytest.mark.xdist_group("browser")


@pytest.fixture(scope="module")
def server(demo_database: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from serve_copy(demo_database, tmp_path_factory.mktemp("dashboard-2024"))


# --- what a unit's views must show, from the API -----------------------------------------


def grid_expected(api: ApiReader, campaign_id: str, unit_id: str) -> list[list[Any]]:
    """Rows of the reporting grid: the unit per day, then each child per day (most silent
    on the last day first, the API's order), from one completeness answer per day."""
    path = f"/stats/campaigns/{campaign_id}/completeness"
    first = api.get(path, unit_id=unit_id)
    by_day = {day["day"]: api.get(path, unit_id=unit_id, date=day["day"]) for day in first["days"]}

    def cell(day: str, reported: int, expected: int) -> list[str]:
        return [
            day,
            rounded_share(reported, expected),
            f"{vi_number(reported)} / {vi_number(expected)}",
        ]

    rows = [
        [
            unit_id,
            first["area"]["unit_name"],
            [cell(d["day"], d["reported"], d["expected"]) for d in first["days"]],
        ]
    ]
    for child in first["children"]:
        cells = []
        for day, answer in by_day.items():
            found = next(c for c in answer["children"] if c["unit_id"] == child["unit_id"])
            cells.append(cell(day, found["reported"], found["expected"]))
        rows.append([child["unit_id"], child["unit_name"], cells])
    return rows


def check_unit(dashboard: Dashboard, api: ApiReader, campaign_id: str, unit_id: str) -> None:
    """Every view of the unit shows what the API answers for it."""
    progress = api.get(f"/stats/campaigns/{campaign_id}/progress", unit_id=unit_id)
    assert dashboard.text("#unit-title") == progress["unit"]["unit_name"]
    assert dashboard.progress_rows() == progress_expected(progress)

    overview = api.get("/stats/overview", unit_id=unit_id, campaign_id=campaign_id)
    assert dashboard.figure("teams.total") == vi_number(overview["teams"]["total"])
    assert dashboard.figure("teams.active") == vi_number(overview["teams"]["by_status"]["active"])
    assert dashboard.figure("members.total") == vi_number(overview["members"]["total"])
    coverage = overview["coverage"]
    assert dashboard.figure("coverage.communes") == (
        f"{vi_number(coverage['communes_with_team'])} / {vi_number(coverage['communes'])}"
    )
    assert dashboard.figure("coverage.villages") == (
        f"{vi_number(coverage['villages_with_team'])} / {vi_number(coverage['villages'])}"
    )
    assert dashboard.figure("coverage.village_percentage") == vi_percent(
        coverage["village_percentage"]
    )
    assert dashboard.figure("activities.total") == vi_number(overview["activities"]["total"])
    for status in ("approved", "submitted", "rejected"):
        assert dashboard.figure(f"activities.{status}") == vi_number(
            overview["activities"]["by_status"][status]
        )
    shown_affiliations = dashboard.cells(
        "#overview [data-affiliation]", "cell => [cell.dataset.affiliation, cell.textContent]"
    )
    assert dict(shown_affiliations) == {
        code: vi_number(count) for code, count in overview["members"]["by_affiliation"].items()
    }

    assert dashboard.grid_rows() == grid_expected(api, campaign_id, unit_id)

    series = api.get(
        "/stats/timeseries", indicator=INDICATOR, unit_id=unit_id, campaign_id=campaign_id
    )
    shown_series = dashboard.cells(
        "#timeseries tbody tr",
        "row => [row.dataset.period, ...[...row.querySelectorAll('td')].map(c => c.textContent)]",
    )
    assert shown_series == [
        [p["period"], vi_number(p["approved"]), vi_number(p["submitted"])]
        for p in series["periods"]
    ]
    assert len(dashboard.page.locator("#timeseries svg.line-chart circle").all()) == 2 * len(
        series["periods"]
    )

    ranking = api.get(
        "/stats/teams/ranking",
        indicator=INDICATOR,
        unit_id=unit_id,
        campaign_id=campaign_id,
        limit=10,
    )
    shown_ranking = dashboard.cells(
        "#ranking tbody tr",
        "row => [row.dataset.teamId, row.querySelector('.team').textContent,"
        " ...[...row.querySelectorAll('td')].map(c => c.textContent)]",
    )
    assert shown_ranking == [
        [
            team["team_id"],
            team["team_name"],
            vi_number(team["rank"]),
            vi_number(team["approved"]),
            vi_number(team["submitted"]),
        ]
        for team in ranking["items"]
    ]


# --- the tiers ---------------------------------------------------------------------------


def test_the_province_sees_the_api_s_figures_and_drills_down_and_back(sign_in: SignIn) -> None:
    reader = sign_in("tinh.kontum")
    dashboard, api, campaign_id = reader.dashboard, reader.api, reader.campaign_id

    assert (
        dashboard.text("#who")
        == "Ban chỉ đạo tỉnh Kon Tum (demo) · Quản trị cấp tỉnh · Tỉnh Kon Tum"
    )
    assert dashboard.page.locator("#campaign option:checked").get_attribute("value") == campaign_id
    assert dashboard.trail() == ["Tỉnh Kon Tum"]
    check_unit(dashboard, api, campaign_id, reader.unit_id)
    screenshot(dashboard, "province-2024")
    screenshot(dashboard, "dashboard-province", height=1640)

    # Down to a district, by its row in the progress table …
    district = next(
        child
        for child in api.get(f"/stats/campaigns/{campaign_id}/progress")["children"]
        if child["unit_name"] == "Huyện Đắk Glei"
    )
    dashboard.act(f'#progress button.drill[data-unit-id="{district["unit_id"]}"]')
    assert dashboard.trail() == ["Tỉnh Kon Tum", "Huyện Đắk Glei"]
    assert dashboard.page.evaluate("document.activeElement.id") == "unit-title"
    check_unit(dashboard, api, campaign_id, district["unit_id"])
    # A reload stays where the reader was, breadcrumb included.
    dashboard.page.reload()
    dashboard.wait_loaded()
    assert dashboard.trail() == ["Tỉnh Kon Tum", "Huyện Đắk Glei"]
    assert dashboard.text("#unit-title") == "Huyện Đắk Glei"

    # … to a commune, whose children (villages) open nothing further …
    commune_button = dashboard.page.locator("#progress button.drill").first
    commune_name = commune_button.inner_text()
    dashboard.act("#progress button.drill >> nth=0")
    assert dashboard.trail() == ["Tỉnh Kon Tum", "Huyện Đắk Glei", commune_name]
    assert dashboard.page.locator("#progress button.drill").count() == 0
    assert dashboard.page.locator("#completeness .silent, #completeness p").count() > 0

    # … back up by the breadcrumb, and by the browser's Back button.
    dashboard.act("#trail li:nth-child(2) button")
    assert dashboard.trail() == ["Tỉnh Kon Tum", "Huyện Đắk Glei"]
    assert dashboard.text("#unit-title") == "Huyện Đắk Glei"
    dashboard.page.go_back()
    dashboard.wait_loaded()
    assert dashboard.trail() == ["Tỉnh Kon Tum", "Huyện Đắk Glei", commune_name]
    dashboard.act("#trail li:first-child button")
    assert dashboard.trail() == ["Tỉnh Kon Tum"]
    assert dashboard.text("#unit-title") == "Tỉnh Kon Tum"


def test_the_district_officer_sees_their_district_only(sign_in: SignIn) -> None:
    reader = sign_in("huyen.dakglei")
    dashboard = reader.dashboard

    assert dashboard.text("#who") == (
        "Cán bộ huyện Đắk Glei (demo) · Cán bộ cấp huyện · Tỉnh Kon Tum › Huyện Đắk Glei"
    )
    # The province's campaign is read for the officer's own district.
    assert dashboard.trail() == ["Huyện Đắk Glei"]
    check_unit(dashboard, reader.api, reader.campaign_id, reader.unit_id)
    communes = reader.api.get(f"/units/{reader.unit_id}/children", limit=100)["items"]
    assert sorted(dashboard.page.locator("#progress button.drill").all_inner_texts()) == sorted(
        commune["name"] for commune in communes
    )
    screenshot(dashboard, "district-2024")


def test_the_commune_officer_reads_it_on_a_phone(sign_in: SignIn) -> None:
    reader = sign_in("xa.dakpek", PHONE)
    dashboard = reader.dashboard

    assert dashboard.trail() == ["Xã Đắk Pék"]
    check_unit(dashboard, reader.api, reader.campaign_id, reader.unit_id)
    # The villages' teams silent on the last day are named, as the API names them.
    completeness = reader.api.get(f"/stats/campaigns/{reader.campaign_id}/completeness")
    silent = [f"{t['team_name']} ({t['unit_name']})" for t in completeness["silent_teams"]]
    assert silent
    assert dashboard.page.locator("#completeness .silent li").all_inner_texts() == silent
    # Nothing is wider than the phone: wide tables scroll in their own box.
    assert dashboard.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for box in dashboard.page.locator(".scroll").all():
        assert box.get_attribute("tabindex") == "0"
        assert box.get_attribute("aria-label")
    screenshot(dashboard, "commune-2024-phone")
    screenshot(dashboard, "dashboard-commune-phone", height=1500)


# --- CSV, ETags, the session ---------------------------------------------------------------


def _downloaded(dashboard: Dashboard, view: str) -> tuple[str, bytes]:
    with dashboard.page.expect_download() as download_info:
        dashboard.page.click(f"#{view} button.csv")
    download = download_info.value
    path = download.path()
    assert path is not None
    return download.suggested_filename, Path(path).read_bytes()


def test_each_view_downloads_as_the_api_s_csv(sign_in: SignIn) -> None:
    reader = sign_in("huyen.dakglei")
    dashboard, api, campaign_id, unit_id = (
        reader.dashboard,
        reader.api,
        reader.campaign_id,
        reader.unit_id,
    )
    area = {"unit_id": unit_id, "campaign_id": campaign_id}
    expected = {
        "overview": ("overview.csv", api.csv("/stats/overview", **area)),
        "progress": (
            "campaign-progress.csv",
            api.csv(f"/stats/campaigns/{campaign_id}/progress", unit_id=unit_id),
        ),
        "timeseries": (
            "timeseries.csv",
            api.csv("/stats/timeseries", indicator=INDICATOR, **area),
        ),
        "ranking": (
            "team-ranking.csv",
            api.csv("/stats/teams/ranking", indicator=INDICATOR, limit=10, **area),
        ),
    }
    for view, (filename, body) in expected.items():
        assert _downloaded(dashboard, view) == (filename, body), view

    # The grid is one answer per day: its CSV is the first day's answer whole, then the
    # other days' rows of the child units.
    path = f"/stats/campaigns/{campaign_id}/completeness"
    days = [day["day"] for day in api.get(path, unit_id=unit_id)["days"]]
    last, *others = [days[-1], *days[:-1]]
    parts = [
        api.csv(path, unit_id=unit_id, date=day).decode("utf-8-sig") for day in [last, *others]
    ]
    lines = parts[0].split("\r\n")[:-1]
    for part in parts[1:]:
        lines += [line for line in part.split("\r\n")[1:-1] if not line.startswith("day,")]
    filename, body = _downloaded(dashboard, "completeness")
    assert filename == "campaign-completeness.csv"
    assert body.startswith(b"\xef\xbb\xbf")
    assert body.decode("utf-8-sig") == "\r\n".join(lines) + "\r\n"
    assert sum(line.startswith("unit,") for line in lines) == len(days) * len(
        api.get(path, unit_id=unit_id)["children"]
    )


def test_refreshing_an_unchanged_view_costs_only_304s(sign_in: SignIn) -> None:
    reader = sign_in("tinh.kontum")
    dashboard, admin = reader.dashboard, reader.api
    first = dashboard.stats_responses()
    assert first
    assert {response.status for response in first} == {200}
    assert all(response.headers.get("etag") for response in first)

    shown = dashboard.progress_rows()
    dashboard.responses.clear()
    dashboard.act("#refresh")
    again = dashboard.stats_responses()
    # The same views asked for again, each with the ETag kept, each a bodyless 304.
    assert sorted(r.url for r in again) == sorted(r.url for r in first)
    assert [r.status for r in again] == [304] * len(again)
    for response in again:
        kept = next(r for r in first if r.url == response.url)
        assert response.request.headers["if-none-match"] == kept.headers["etag"]
    assert dashboard.progress_rows() == shown

    # A change on the server shows at the next refresh: the changed answers are 200s.
    team = admin.get("/teams", limit=1, status="active")["items"][0]
    assert (
        admin.client.patch(f"{API}/teams/{team['id']}", json={"status": "suspended"}).status_code
        == 200
    )
    try:
        dashboard.responses.clear()
        dashboard.act("#refresh")
        changed = [r for r in dashboard.stats_responses() if "/stats/overview" in r.url]
        assert [r.status for r in changed] == [200]
        assert dashboard.figure("teams.active") == vi_number(565)
    finally:
        admin.client.patch(f"{API}/teams/{team['id']}", json={"status": "active"})


def test_login_silent_refresh_reload_and_logout(
    open_dashboard: OpenDashboard, server: LiveServer
) -> None:
    dashboard = open_dashboard(clock=True)
    page = dashboard.page

    # A wrong password: the API's own message, in Vietnamese, read out as an alert.
    page.fill("#username", "xa.dakpek")
    page.fill("#password", "sai-mat-khau")
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#login-error:not(:empty)")
    assert page.locator("#login-error").get_attribute("role") == "alert"
    assert dashboard.text("#login-error") == message("invalid_credentials", "vi")
    assert page.is_visible("#login")

    dashboard.login("xa.dakpek")
    token_call = next(r for r in dashboard.responses if r.url.endswith("/auth/token") and r.ok)
    tokens = token_call.json()
    # The refresh token is kept in this tab's sessionStorage, the access token nowhere.
    assert (
        page.evaluate("sessionStorage.getItem('cnscd.dashboard.refresh')")
        == tokens["refresh_token"]
    )
    stored = json.dumps(page.evaluate("[{...sessionStorage}, {...localStorage}]"))
    assert tokens["access_token"] not in stored
    assert tokens["refresh_token"] not in json.dumps(page.evaluate("({...localStorage})"))

    # A minute before the access token runs out, it is exchanged in the background …
    with page.expect_response(lambda r: r.url.endswith("/auth/refresh")) as refresh_info:
        page.clock.fast_forward((tokens["expires_in"] - 55) * 1000)
    refreshed = refresh_info.value
    assert refreshed.status == 200
    renewed = refreshed.json()
    assert renewed["access_token"] != tokens["access_token"]
    # … and the next calls carry the new token.
    dashboard.requests.clear()
    dashboard.act("#refresh")
    sent = {r.headers.get("authorization") for r in dashboard.requests if f"{API}/stats/" in r.url}
    assert sent == {f"Bearer {renewed['access_token']}"}

    # A reload keeps the session (the refresh token is in this tab's sessionStorage).
    page.reload()
    page.wait_for_selector("#board:not([hidden])")
    dashboard.wait_loaded()
    assert not page.is_visible("#login")
    kept = page.evaluate("sessionStorage.getItem('cnscd.dashboard.refresh')")

    # Logging out ends the session on the server too.
    with page.expect_response(lambda r: r.url.endswith("/auth/logout")) as logout_info:
        page.click("#logout")
    assert logout_info.value.status == 204
    page.wait_for_selector("#login:not([hidden])")
    assert page.evaluate("sessionStorage.length") == 0
    assert page.evaluate("document.activeElement.id") == "username"
    answer = httpx.post(f"{server.url}{API}/auth/refresh", json={"refresh_token": kept})
    assert answer.status_code == 401


def test_a_session_ended_elsewhere_asks_for_the_password_again(
    open_dashboard: OpenDashboard, server: LiveServer
) -> None:
    dashboard = open_dashboard(clock=True)
    dashboard.login("huyen.dakglei")
    tokens = next(r for r in dashboard.responses if r.url.endswith("/auth/token")).json()
    # The session is ended from elsewhere (the same refresh token's family revoked) …
    ended = httpx.post(
        f"{server.url}{API}/auth/logout",
        json={"refresh_token": tokens["refresh_token"]},
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert ended.status_code == 204
    # … so the background refresh is refused: back to the login form, saying why.
    with dashboard.page.expect_response(lambda r: r.url.endswith("/auth/refresh")) as refusal:
        dashboard.page.clock.fast_forward((tokens["expires_in"] - 55) * 1000)
    assert refusal.value.status == 401
    dashboard.page.wait_for_selector("#login:not([hidden])")
    assert dashboard.text("#login-error") == "Phiên đăng nhập đã hết. Hãy đăng nhập lại."
    assert dashboard.page.evaluate("sessionStorage.length") == 0
    assert not dashboard.page.is_visible("#board")


def test_english_and_back(sign_in: SignIn, api_reader: Callable[..., ApiReader]) -> None:
    reader = sign_in("tinh.kontum")
    dashboard = reader.dashboard
    english = api_reader("tinh.kontum", "en")
    progress = english.get(f"/stats/campaigns/{reader.campaign_id}/progress")
    achieved = next(i for i in progress["unit"]["indicators"] if i["indicator"] == INDICATOR)

    assert dashboard.text("#language") == "English"
    dashboard.act("#language")
    page = dashboard.page
    assert page.evaluate("document.documentElement.lang") == "en"
    assert dashboard.text("#progress-title") == "Progress against targets"
    assert dashboard.text("label[for=campaign]") == "Campaign"
    # Names from the API in English, numbers and dates as en-GB writes them.
    assert dashboard.text("#indicator option:checked") == "People guided"
    assert dashboard.text('#progress tfoot td[data-field="achieved"]') == en_number(
        achieved["achieved"]
    )
    assert dashboard.text("#completeness thead th:nth-child(2)") == "1 Oct"
    assert "Administrator" in dashboard.text("#who") or "administrator" in dashboard.text("#who")

    # The choice is kept for the next visit; switching again brings Vietnamese back.
    page.reload()
    dashboard.wait_loaded()
    assert dashboard.text("#progress-title") == "Progress against targets"
    dashboard.act("#language")
    assert page.evaluate("document.documentElement.lang") == "vi"
    assert dashboard.text("#progress-title") == "Tiến độ so với chỉ tiêu"
    assert dashboard.text("#completeness thead th:nth-child(2)") == "1 thg 10"


# --- accessibility and security --------------------------------------------------------------


def _axe_violations(dashboard: Dashboard) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
    results = Axe().run(dashboard.page, options={"runOnly": {"type": "tag", "values": tags}})
    return [
        f"{violation['id']}: {[node['target'] for node in violation['nodes']]}"
        for violation in results.response["violations"]
    ]


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_axe_finds_no_accessibility_violation(open_dashboard: OpenDashboard, viewport: str) -> None:
    dashboard = open_dashboard(PHONE if viewport == "phone" else DESKTOP)
    assert _axe_violations(dashboard) == []  # the login form
    dashboard.login("huyen.dakglei")
    dashboard.page.click("#timeseries summary")  # the chart's table, opened
    assert _axe_violations(dashboard) == []


def test_everything_works_from_the_keyboard_with_the_focus_in_sight(
    open_dashboard: OpenDashboard,
) -> None:
    dashboard = open_dashboard()
    page = dashboard.page
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    # Log in without the mouse.
    for _ in range(10):
        if page.evaluate("document.activeElement.id") == "username":
            break
        page.keyboard.press("Tab")
    page.keyboard.type("huyen.dakglei")
    page.keyboard.press("Tab")
    page.keyboard.type("KonTum-demo-2024")
    page.keyboard.press("Enter")
    page.wait_for_selector("#board:not([hidden])")
    dashboard.wait_loaded()
    # Tab along until a child unit's button has the focus: it is drawn with an outline.
    for _ in range(40):
        if page.evaluate("document.activeElement.classList.contains('drill')"):
            break
        page.keyboard.press("Tab")
    else:
        pytest.fail("no child unit could be reached with Tab")
    outline = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineWidth]; })()"
    )
    assert outline == ["solid", "3px"]
    name = page.evaluate("document.activeElement.textContent")
    page.keyboard.press("Enter")
    dashboard.wait_loaded()
    assert dashboard.text("#unit-title") == name
    assert page.evaluate("document.activeElement.id") == "unit-title"
    assert dashboard.text("#announcer") == f"Đang xem {name}"

    # Choosing weeks redraws the chart and its select: the focus stays on the select.
    page.focus("#interval")
    page.select_option("#interval", "week")
    dashboard.wait_loaded()
    assert page.evaluate("document.activeElement.id") == "interval"
    periods = dashboard.cells("#timeseries tbody tr", "row => row.dataset.period")
    assert periods == ["2024-W40", "2024-W41"]


def test_pages_carry_a_strict_policy_and_load_nothing_from_elsewhere(
    sign_in: SignIn, server: LiveServer
) -> None:
    dashboard = sign_in("tinh.kontum").dashboard
    page_answer = next(r for r in dashboard.responses if r.url == f"{server.url}/dashboard/")
    policy = page_answer.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    loaded = {r.url.removeprefix(server.url) for r in dashboard.requests}
    assert {"/dashboard/js/app.js", "/dashboard/dashboard.css", "/dashboard/icon.svg"} <= loaded
    # An inline script injected into the page is refused by the browser.
    dashboard.page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.injected = true'; document.body.append(s); }"
    )
    assert dashboard.page.evaluate("window.injected === undefined")
    assert any(re.search(r"Content.Security.Policy", text) for text in dashboard.console)
    dashboard.console.clear()  # the refusal was the point
