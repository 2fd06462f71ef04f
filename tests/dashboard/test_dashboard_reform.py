"""The dashboard after the 1 July 2025 reorganisation of the demo: today's map (Tỉnh
Quảng Ngãi and its 40 communes) and the map of the campaign's days (Tỉnh Kon Tum and its
10 districts), switched in the browser, each showing the API's figures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cnscd_api.db import Database, create_db_engine
from cnscd_api.flows.reform2025 import apply_reform
from tests.dashboard.conftest import SignIn, cnscd, screenshot, serve_copy
from tests.dashboard.pages import ApiReader, Dashboard, progress_expected, vi_number
from tests.databases import settings_for
from tests.live_server import LiveServer

pytestmark = pytest.mark.xdist_group("browser")


def reorganise(database: Path) -> None:
    """What ``cnscd units reform-2025 --province-code 62`` does, then ``cnscd demo --reset``
    (the demo users back on the units their 2024 units became)."""
    url = f"sqlite:///{database}"
    engine = create_db_engine(settings_for(url))
    try:
        with Database(engine).transaction() as session:
            apply_reform(session, "62")
    finally:
        engine.dispose()
    cnscd(database, "demo", "--reset")


@pytest.fixture(scope="module")
def server(demo_database: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from serve_copy(demo_database, tmp_path_factory.mktemp("dashboard-2025"), reorganise)


def check_progress(dashboard: Dashboard, api: ApiReader, campaign_id: str, **query: str) -> None:
    progress = api.get(f"/stats/campaigns/{campaign_id}/progress", **query)
    assert dashboard.text("#unit-title") == progress["unit"]["unit_name"]
    assert dashboard.progress_rows() == progress_expected(progress)


def test_the_province_switches_between_today_s_map_and_the_campaign_s(sign_in: SignIn) -> None:
    reader = sign_in("tinh.kontum")
    dashboard, api, campaign_id = reader.dashboard, reader.api, reader.campaign_id

    # Today's map: the 2024 peak is Quảng Ngãi's, every report counted for the new
    # commune its place became.
    assert dashboard.trail() == ["Tỉnh Quảng Ngãi"]
    check_progress(dashboard, api, campaign_id)
    assert dashboard.page.locator("#progress tbody tr").count() == 40
    screenshot(dashboard, "province-2025-today")

    # The campaign's own map: Tỉnh Kon Tum and its 10 districts, as in October 2024.
    dashboard.choose_tree("historical")
    assert dashboard.trail() == ["Tỉnh Kon Tum"]
    check_progress(dashboard, api, campaign_id, tree="historical")
    assert dashboard.page.locator("#progress tbody tr").count() == 10
    old_kon_tum = api.get(f"/stats/campaigns/{campaign_id}/progress", tree="historical")["unit"]
    overview = api.get(
        "/stats/overview",
        unit_id=old_kon_tum["unit_id"],
        campaign_id=campaign_id,
        tree="historical",
    )
    assert dashboard.figure("activities.total") == vi_number(overview["activities"]["total"])
    # The reporting grid is today's registry: it says whose figures it shows.
    assert "Tỉnh Quảng Ngãi" in dashboard.text("#completeness .notice")

    # Down to a district that no longer exists, and back.
    district = next(
        child
        for child in api.get(f"/stats/campaigns/{campaign_id}/progress", tree="historical")[
            "children"
        ]
        if child["unit_name"] == "Huyện Đắk Glei"
    )
    dashboard.act(f'#progress button.drill[data-unit-id="{district["unit_id"]}"]')
    assert dashboard.trail() == ["Tỉnh Kon Tum", "Huyện Đắk Glei"]
    check_progress(dashboard, api, campaign_id, unit_id=district["unit_id"], tree="historical")
    screenshot(dashboard, "district-2025-historical")
    dashboard.act("#trail li:first-child button")
    assert dashboard.text("#unit-title") == "Tỉnh Kon Tum"

    # Switching the map starts again from the top of the other one.
    dashboard.choose_tree("current")
    assert dashboard.trail() == ["Tỉnh Quảng Ngãi"]
    check_progress(dashboard, api, campaign_id)


def test_the_historical_progress_downloads_as_the_api_s_csv(sign_in: SignIn) -> None:
    reader = sign_in("tinh.kontum")
    reader.dashboard.choose_tree("historical")
    with reader.dashboard.page.expect_download() as download_info:
        reader.dashboard.page.click("#progress button.csv")
    path = download_info.value.path()
    assert path is not None
    expected = reader.api.csv(f"/stats/campaigns/{reader.campaign_id}/progress", tree="historical")
    assert Path(path).read_bytes() == expected
    assert "Huyện Đắk Glei" in expected.decode("utf-8-sig")


def test_the_former_district_officer_reads_the_new_province_as_a_viewer(sign_in: SignIn) -> None:
    reader = sign_in("huyen.dakglei")
    assert reader.dashboard.text("#who") == (
        "Cán bộ huyện Đắk Glei (demo) · Người xem · Tỉnh Quảng Ngãi"
    )
    check_progress(reader.dashboard, reader.api, reader.campaign_id)
