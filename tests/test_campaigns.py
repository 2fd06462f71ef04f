"""Campaigns: the catalogue, campaign windows and status, closing and reopening, scope,
and targets that cascade down the tiers."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from cnscd_api.config import Settings
from cnscd_api.core import clock
from cnscd_api.core.text import collation_key
from cnscd_api.flows.reform2025 import apply_reform
from cnscd_api.models import Campaign, DivisionType, Role, Unit, UnitLevel, User
from cnscd_api.units.naming import division_type_from_name
from tests.factories import Tree, bearer, give_target, make_campaign, make_user

CAMPAIGNS = "/api/v1/campaigns"
TODAY = date(2026, 3, 15)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> date:
    """Campaign status follows the calendar: the tests pin today."""
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    return TODAY


def headers_of(settings: Settings, user: User) -> dict[str, str]:
    return bearer(settings, user)


def campaign_body(scope: Unit, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": f"cd-{uuid.uuid4().hex[:8]}",
        "name": "Cao điểm chuyển đổi số",
        "scope_unit_id": str(scope.id),
        "starts_on": "2026-03-10",
        "ends_on": "2026-03-20",
        "grace_days": 3,
        "categories": ["online_public_services", "vneid"],
        "indicators": [
            {"code": "people_guided", "target": 1000},
            {"code": "vneid_level2_activated", "target": 300},
        ],
    }
    body.update(overrides)
    return body


def error_codes(response: Any) -> list[str]:
    return [error["code"] for error in response.json().get("errors", [])]


# --- the catalogue ---------------------------------------------------------------------------


def test_the_catalogue_is_seeded_with_the_six_contents_first(admin_client: TestClient) -> None:
    categories = admin_client.get("/api/v1/content-categories").json()["items"]
    assert [c["code"] for c in categories[:6]] == [
        "online_public_services",
        "cashless_payment",
        "vietnamese_ecommerce",
        "online_safety",
        "information_search",
        "vneid",
    ]
    assert "basic_digital_skills" in {c["code"] for c in categories}
    vneid = categories[5]
    assert (
        vneid["name"]
        == vneid["name_en"]
        == "Installing VNeID and activating the e-identity account"
    )
    assert vneid["name_vi"].startswith("Cài đặt VNeID")
    indicators = admin_client.get("/api/v1/indicators").json()["items"]
    by_code = {i["code"]: i for i in indicators}
    assert by_code["vneid_level2_activated"]["categories"] == ["vneid"]
    assert by_code["people_guided"]["unit"] == "people"
    assert len(by_code) == 10


def test_accept_language_picks_the_name(admin_client: TestClient) -> None:
    response = admin_client.get("/api/v1/indicators", headers={"Accept-Language": "vi"})
    people = next(i for i in response.json()["items"] if i["code"] == "people_guided")
    assert people["name"] == people["name_vi"] == "Số người dân được hướng dẫn"
    assert people["unit"] == "người"
    assert people["name_en"] == "People guided"


def test_the_province_admin_extends_renames_and_retires_the_catalogue(
    admin_client: TestClient,
) -> None:
    made = admin_client.post(
        "/api/v1/content-categories",
        json={"code": "digital_apps", "name_vi": "Ứng dụng số", "name_en": "Digital apps"},
    )
    assert made.status_code == 201, made.text
    category = made.json()
    indicator = admin_client.post(
        "/api/v1/indicators",
        json={
            "code": "apps_installed",
            "name_vi": "Số ứng dụng được cài",
            "name_en": "Apps installed",
            "unit_vi": "ứng dụng",
            "unit_en": "apps",
            "categories": ["digital_apps", "vneid"],
        },
    )
    assert indicator.status_code == 201, indicator.text
    assert indicator.json()["categories"] == ["vneid", "digital_apps"]
    # A code is taken for good, and never changes.
    again = admin_client.post(
        "/api/v1/content-categories",
        json={"code": "digital_apps", "name_vi": "Khác", "name_en": "Other"},
    )
    assert again.status_code == 409
    assert again.json()["code"] == "catalogue_code_taken"
    renamed = admin_client.patch(
        f"/api/v1/content-categories/{category['id']}", json={"code": "apps"}
    )
    assert renamed.status_code == 422
    retired = admin_client.patch(
        f"/api/v1/content-categories/{category['id']}",
        json={"name_en": "Digital applications", "retired": True},
        headers={"If-Match": made.headers["etag"]},
    )
    assert retired.status_code == 200, retired.text
    assert retired.json()["code"] == "digital_apps"
    listed = admin_client.get("/api/v1/content-categories").json()["items"]
    assert "digital_apps" not in {c["code"] for c in listed}
    everything = admin_client.get(
        "/api/v1/content-categories", params={"include_retired": True}
    ).json()["items"]
    assert {"code": "digital_apps", "retired": True}.items() <= next(
        c for c in everything if c["code"] == "digital_apps"
    ).items()
    # Retired, but still readable for the data that used it.
    assert admin_client.get(f"/api/v1/content-categories/{category['id']}").status_code == 200
    unknown = admin_client.post(
        "/api/v1/indicators",
        json={
            "code": "x_count",
            "name_vi": "Số lượng X",
            "name_en": "X count",
            "unit_vi": "cái",
            "unit_en": "items",
            "categories": ["no_such_category"],
        },
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "body.categories.0"


def test_officers_read_the_catalogue_but_do_not_edit_it(
    client: TestClient, session: Session, settings: Settings, tree: Tree
) -> None:
    officer = make_user(session, Role.DISTRICT_OFFICER, tree.dak_glei)
    session.commit()
    headers = headers_of(settings, officer)
    assert client.get("/api/v1/content-categories", headers=headers).status_code == 200
    refused = client.post(
        "/api/v1/content-categories",
        json={"code": "mine", "name_vi": "Của tôi", "name_en": "Mine"},
        headers=headers,
    )
    assert refused.status_code == 403


# --- campaigns ------------------------------------------------------------------------------


def test_the_province_admin_creates_a_campaign_with_its_own_targets(
    admin_client: TestClient, tree: Tree
) -> None:
    response = admin_client.post(CAMPAIGNS, json=campaign_body(tree.kon_tum))
    assert response.status_code == 201, response.text
    campaign = response.json()
    assert campaign["status"] == "active"
    assert campaign["reporting_until"] == "2026-03-23"
    assert campaign["scope_unit_path_names"] == ["Tỉnh Kon Tum"]
    assert [c["code"] for c in campaign["categories"]] == ["online_public_services", "vneid"]
    assert {i["code"]: i["target"] for i in campaign["indicators"]} == {
        "people_guided": 1000,
        "vneid_level2_activated": 300,
    }
    assert response.headers["etag"] == f'"{campaign["version"]}"'
    events = admin_client.get(
        "/api/v1/audit-events", params={"entity": "campaign", "entity_id": campaign["id"]}
    ).json()["items"]
    assert [e["action"] for e in events] == ["create"]


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"ends_on": "2026-03-01"}, "body.ends_on", "ends_before_start"),
        ({"categories": ["vneid", "vneid"]}, "body.categories.1", "duplicate_code"),
        ({"categories": ["nope"]}, "body.categories.0", "unknown_category"),
        (
            {"indicators": [{"code": "public_service_dossiers"}], "categories": ["vneid"]},
            "body.indicators.0.code",
            "indicator_outside_categories",
        ),
        ({"grace_days": -1}, "body.grace_days", "greater_than_equal"),
    ],
)
def test_invalid_campaigns_are_refused_naming_the_field(
    admin_client: TestClient, tree: Tree, overrides: dict[str, Any], field: str, code: str | None
) -> None:
    response = admin_client.post(CAMPAIGNS, json=campaign_body(tree.kon_tum, **overrides))
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    if code is not None:
        assert code in error_codes(response)
    assert admin_client.get(CAMPAIGNS).json()["total"] == 0


def test_a_campaign_is_province_or_district_wide(admin_client: TestClient, tree: Tree) -> None:
    response = admin_client.post(CAMPAIGNS, json=campaign_body(tree.dak_pek))
    assert response.status_code == 422
    assert error_codes(response) == ["campaign_scope_level"]
    body = campaign_body(tree.dak_glei)
    assert admin_client.post(CAMPAIGNS, json=body).status_code == 201
    again = admin_client.post(
        CAMPAIGNS, json={**campaign_body(tree.dak_glei), "code": body["code"]}
    )
    assert again.status_code == 409
    assert again.json()["code"] == "campaign_code_taken"


def test_district_officers_run_their_district_campaigns_only(
    client: TestClient, session: Session, settings: Settings, tree: Tree
) -> None:
    officer = headers_of(settings, make_user(session, Role.DISTRICT_OFFICER, tree.dak_glei))
    province_campaign = make_campaign(session, tree.kon_tum)
    neighbour_campaign = make_campaign(session, tree.ngoc_hoi)
    session.commit()
    own = client.post(CAMPAIGNS, json=campaign_body(tree.dak_glei), headers=officer)
    assert own.status_code == 201, own.text
    # The province is outside the district officer's subtree: not a unit it may name.
    province = client.post(CAMPAIGNS, json=campaign_body(tree.kon_tum), headers=officer)
    assert province.status_code == 404
    # It reads the province's campaign, but may not edit it.
    read = client.get(f"{CAMPAIGNS}/{province_campaign.id}", headers=officer)
    assert read.status_code == 200
    edit = client.patch(
        f"{CAMPAIGNS}/{province_campaign.id}", json={"name": "Đổi tên"}, headers=officer
    )
    assert edit.status_code == 403
    assert edit.json()["code"] == "campaign_not_yours"
    # Another district's campaign does not exist for it.
    assert client.get(f"{CAMPAIGNS}/{neighbour_campaign.id}", headers=officer).status_code == 404
    targets = client.put(
        f"{CAMPAIGNS}/{neighbour_campaign.id}/targets",
        json={"unit_id": str(tree.ngoc_hoi.id), "targets": []},
        headers=officer,
    )
    assert targets.status_code == 404
    listed = {c["id"] for c in client.get(CAMPAIGNS, headers=officer).json()["items"]}
    assert listed == {own.json()["id"], str(province_campaign.id)}


def test_a_commune_officer_reads_the_campaigns_above_it(
    client: TestClient, session: Session, settings: Settings, tree: Tree
) -> None:
    officer = headers_of(settings, make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek))
    province = make_campaign(session, tree.kon_tum)
    district = make_campaign(session, tree.dak_glei)
    make_campaign(session, tree.ngoc_hoi)
    make_campaign(session, tree.gia_lai)
    session.commit()
    listed = {c["id"] for c in client.get(CAMPAIGNS, headers=officer).json()["items"]}
    assert listed == {str(province.id), str(district.id)}


def test_status_follows_the_dates(admin_client: TestClient, session: Session, tree: Tree) -> None:
    planned = make_campaign(session, tree.kon_tum, starts_on=TODAY + timedelta(days=3))
    active = make_campaign(session, tree.kon_tum, starts_on=TODAY - timedelta(days=3))
    # Ended yesterday, but late reports are still accepted for two more days.
    in_grace = make_campaign(
        session,
        tree.kon_tum,
        starts_on=TODAY - timedelta(days=10),
        ends_on=TODAY - timedelta(days=1),
        grace_days=2,
    )
    over = make_campaign(
        session,
        tree.kon_tum,
        starts_on=TODAY - timedelta(days=30),
        ends_on=TODAY - timedelta(days=20),
        grace_days=5,
    )
    closed_early = make_campaign(session, tree.kon_tum, closed=True)
    session.commit()

    def status_of(campaign: Campaign) -> str:
        status: str = admin_client.get(f"{CAMPAIGNS}/{campaign.id}").json()["status"]
        return status

    assert [status_of(c) for c in (planned, active, in_grace, over, closed_early)] == [
        "planned",
        "active",
        "active",
        "closed",
        "closed",
    ]

    def listed(**params: Any) -> set[str]:
        items = admin_client.get(CAMPAIGNS, params={"limit": 500, **params}).json()["items"]
        return {item["id"] for item in items}

    assert listed(status="planned") == {str(planned.id)}
    assert listed(status="active") == {str(active.id), str(in_grace.id)}
    assert listed(status="closed") == {str(over.id), str(closed_early.id)}
    assert listed(active_on=str(TODAY - timedelta(days=5))) == {str(in_grace.id)}


def test_search_matches_a_campaign_s_name_or_code(
    admin_client: TestClient, session: Session, tree: Tree
) -> None:
    peak = make_campaign(session, tree.kon_tum, "CDS-2024-kontum")
    other = make_campaign(session, tree.kon_tum, "vneid-2025")
    session.commit()

    def found(q: str) -> set[str]:
        items = admin_client.get(CAMPAIGNS, params={"q": q}).json()["items"]
        return {item["id"] for item in items}

    assert found("cds-2024") == {str(peak.id)}
    assert found("CDS 2024 KONTUM") == {str(peak.id)}
    assert found("vneid-2025") == {str(other.id)}
    assert found("cds_2024") == set()  # an underscore is a character, not a wildcard
    name_word = peak.name.split()[0]
    assert str(peak.id) in found(name_word)


def test_the_unit_filter_finds_campaigns_above_and_below_a_unit(
    admin_client: TestClient, session: Session, tree: Tree
) -> None:
    province = make_campaign(session, tree.kon_tum)
    district = make_campaign(session, tree.dak_glei)
    neighbour = make_campaign(session, tree.ngoc_hoi)
    session.commit()

    def listed(unit: Unit) -> set[str]:
        items = admin_client.get(CAMPAIGNS, params={"unit_id": str(unit.id)}).json()["items"]
        return {item["id"] for item in items}

    assert listed(tree.dak_pek) == {str(province.id), str(district.id)}
    assert listed(tree.kon_tum) == {str(province.id), str(district.id), str(neighbour.id)}
    assert listed(tree.ngoc_hoi) == {str(province.id), str(neighbour.id)}


# --- closing and reopening ------------------------------------------------------------------


def test_closing_locks_dates_and_reopening_is_for_the_province_admin(
    client: TestClient, admin_client: TestClient, session: Session, settings: Settings, tree: Tree
) -> None:
    campaign = make_campaign(session, tree.dak_glei)
    officer = headers_of(settings, make_user(session, Role.DISTRICT_OFFICER, tree.dak_glei))
    session.commit()
    path = f"{CAMPAIGNS}/{campaign.id}"
    closed = client.post(f"{path}/close", json={"reason": "Hoàn thành sớm"}, headers=officer)
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    assert closed.json()["closed_reason"] == "Hoàn thành sớm"
    again = client.post(f"{path}/close", json={"reason": "Lần nữa"}, headers=officer)
    assert again.status_code == 409
    dates = client.patch(path, json={"ends_on": "2026-04-30"}, headers=officer)
    assert dates.status_code == 409
    assert dates.json()["code"] == "campaign_closed"
    indicators = client.patch(
        path, json={"indicators": [{"code": "people_guided", "target": 5}]}, headers=officer
    )
    assert indicators.status_code == 409
    renamed = client.patch(path, json={"name": "Đợt đã kết thúc"}, headers=officer)
    assert renamed.status_code == 200
    refused = client.post(f"{path}/reopen", json={"reason": "Mở lại"}, headers=officer)
    assert refused.status_code == 403
    reopened = admin_client.post(f"{path}/reopen", json={"reason": "Bổ sung báo cáo"})
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["status"] == "active"
    actions = [
        e["action"]
        for e in admin_client.get(
            "/api/v1/audit-events", params={"entity": "campaign", "entity_id": str(campaign.id)}
        ).json()["items"]
    ]
    assert sorted(actions) == ["close", "reopen", "update"]


def test_reopening_after_the_reporting_days_needs_a_new_last_day(
    admin_client: TestClient, session: Session, tree: Tree
) -> None:
    over = make_campaign(
        session, tree.kon_tum, starts_on=date(2025, 10, 1), ends_on=date(2025, 10, 10)
    )
    session.commit()
    path = f"{CAMPAIGNS}/{over.id}/reopen"
    missing = admin_client.post(path, json={"reason": "Bổ sung"})
    assert missing.status_code == 422
    assert error_codes(missing) == ["reopen_needs_until"]
    past = admin_client.post(path, json={"reason": "Bổ sung", "until": "2026-01-01"})
    assert error_codes(past) == ["reopen_until_past"]
    reopened = admin_client.post(path, json={"reason": "Bổ sung", "until": "2026-03-31"})
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["status"] == "active"
    assert reopened.json()["reporting_until"] == "2026-03-31"
    not_closed = admin_client.post(path, json={"reason": "Lại"})
    assert not_closed.status_code == 409
    assert not_closed.json()["code"] == "campaign_not_closed"


# --- targets ----------------------------------------------------------------------------------


def put_targets(
    client: TestClient,
    campaign_id: Any,
    parent: Unit,
    targets: list[tuple[Unit, str, int]],
    headers: dict[str, str] | None = None,
) -> Any:
    return client.put(
        f"{CAMPAIGNS}/{campaign_id}/targets",
        json={
            "unit_id": str(parent.id),
            "targets": [
                {"unit_id": str(unit.id), "indicator": code, "value": value}
                for unit, code, value in targets
            ],
        },
        headers=headers,
    )


def test_targets_cascade_from_the_province_down_two_tiers(
    client: TestClient, admin_client: TestClient, session: Session, settings: Settings, tree: Tree
) -> None:
    campaign = make_campaign(session, tree.kon_tum, targets={"people_guided": 1000})
    district = headers_of(settings, make_user(session, Role.DISTRICT_OFFICER, tree.dak_glei))
    commune = headers_of(settings, make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek))
    session.commit()
    # The province splits its 1,000 among districts: at most 1,000 in all.
    over = put_targets(
        admin_client,
        campaign.id,
        tree.kon_tum,
        [(tree.dak_glei, "people_guided", 700), (tree.ngoc_hoi, "people_guided", 400)],
    )
    assert over.status_code == 422
    problem = over.json()
    assert problem["code"] == "targets_invalid"
    assert problem["errors"][0]["code"] == "target_exceeds_parent"
    assert "1100" in problem["errors"][0]["message"]
    assert "1000" in problem["errors"][0]["message"]
    assert "Tỉnh Kon Tum" in problem["errors"][0]["message"]
    ok = put_targets(
        admin_client,
        campaign.id,
        tree.kon_tum,
        [(tree.dak_glei, "people_guided", 600), (tree.ngoc_hoi, "people_guided", 400)],
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["version"] == 1
    # The district splits its 600 among its communes.
    too_much = put_targets(
        client,
        campaign.id,
        tree.dak_glei,
        [(tree.dak_pek, "people_guided", 500), (tree.dak_man, "people_guided", 200)],
        district,
    )
    assert too_much.status_code == 422
    assert (
        put_targets(
            client,
            campaign.id,
            tree.dak_glei,
            [(tree.dak_pek, "people_guided", 350), (tree.dak_man, "people_guided", 200)],
            district,
        ).status_code
        == 200
    )
    # And the commune among its villages.
    assert (
        put_targets(
            client,
            campaign.id,
            tree.dak_pek,
            [(tree.dak_pek_village, "people_guided", 350)],
            commune,
        ).status_code
        == 200
    )
    # The province may not now lower Đắk Glei below what Đắk Glei gave its communes.
    lowered = put_targets(
        admin_client,
        campaign.id,
        tree.kon_tum,
        [(tree.dak_glei, "people_guided", 500), (tree.ngoc_hoi, "people_guided", 400)],
    )
    assert lowered.status_code == 422
    assert [e["code"] for e in lowered.json()["errors"]] == ["target_below_children"]
    assert "Huyện Đắk Glei" in lowered.json()["errors"][0]["message"]
    # Nor the campaign's own target below what the province gave its districts.
    own = admin_client.patch(
        f"{CAMPAIGNS}/{campaign.id}",
        json={"indicators": [{"code": "people_guided", "target": 900}]},
    )
    assert own.status_code == 422
    assert error_codes(own) == ["target_below_children"]
    # What a commune officer reads: its commune's own target and its villages'.
    read = client.get(f"{CAMPAIGNS}/{campaign.id}/targets", headers=commune)
    assert read.status_code == 200
    assert read.json()["unit_id"] == str(tree.dak_pek.id)
    assert read.json()["limits"] == {"people_guided": 350}
    assert {c["unit_name"]: c["targets"] for c in read.json()["children"]} == {
        "Thôn Đắk Ung": {"people_guided": 350}
    }


def test_a_commune_directly_under_the_province_is_targeted_by_the_province(
    admin_client: TestClient, session: Session, tree: Tree
) -> None:
    """The 2025 two-tier shape: communes hang under the province, which sets them."""
    unit_id = uuid.uuid4()
    name = "Xã Mới Hai Cấp"
    commune = Unit(
        id=unit_id,
        name=name,
        search_name="xa moi hai cap",
        name_key=collation_key(name),
        level=UnitLevel.COMMUNE,
        division_type=division_type_from_name(name) or DivisionType.XA,
        parent_id=tree.kon_tum.id,
        path=f"{tree.kon_tum.path}{unit_id.hex}/",
        path_names=[*tree.kon_tum.path_names, name],
    )
    session.add(commune)
    campaign = make_campaign(session, tree.kon_tum, targets={"people_guided": 100})
    session.commit()
    response = put_targets(
        admin_client, campaign.id, tree.kon_tum, [(commune, "people_guided", 100)]
    )
    assert response.status_code == 200, response.text
    children = {c["unit_name"]: c["targets"] for c in response.json()["children"]}
    assert children[name] == {"people_guided": 100}
    assert children["Huyện Đắk Glei"] == {}


@pytest.mark.parametrize(
    ("target", "code"),
    [
        ("grandchild", "not_a_child"),
        ("untracked", "indicator_not_tracked"),
        ("no_limit", "parent_target_missing"),
    ],
)
def test_targets_must_be_for_children_and_tracked_indicators(
    admin_client: TestClient, session: Session, tree: Tree, target: str, code: str
) -> None:
    campaign = make_campaign(
        session, tree.kon_tum, targets={"people_guided": 100, "households_visited": None}
    )
    session.commit()
    unit, indicator = {
        "grandchild": (tree.dak_pek, "people_guided"),
        "untracked": (tree.dak_glei, "vneid_level2_activated"),
        "no_limit": (tree.dak_glei, "households_visited"),
    }[target]
    response = put_targets(admin_client, campaign.id, tree.kon_tum, [(unit, indicator, 10)])
    assert response.status_code == 422
    assert error_codes(response) == [code]


def test_the_target_set_is_versioned(
    admin_client: TestClient, session: Session, tree: Tree
) -> None:
    campaign = make_campaign(session, tree.kon_tum, targets={"people_guided": 100})
    session.commit()
    path = f"{CAMPAIGNS}/{campaign.id}/targets"
    empty = admin_client.get(path)
    assert empty.headers["etag"] == '"0"'
    assert empty.json()["limits"] == {"people_guided": 100}
    body = {
        "targets": [{"unit_id": str(tree.dak_glei.id), "indicator": "people_guided", "value": 60}]
    }
    first = admin_client.put(path, json=body, headers={"If-Match": '"0"'})
    assert first.status_code == 200, first.text
    assert first.headers["etag"] == '"1"'
    stale = admin_client.put(path, json=body, headers={"If-Match": '"0"'})
    assert stale.status_code == 412
    duplicate = admin_client.put(path, json={"targets": body["targets"] * 2})
    assert duplicate.status_code == 422
    event = admin_client.get("/api/v1/audit-events", params={"entity": "campaign_targets"}).json()[
        "items"
    ][0]
    assert event["changes"] == {f"{tree.dak_glei.id}/people_guided": {"before": None, "after": 60}}


def test_a_closed_campaign_keeps_its_targets(
    admin_client: TestClient, session: Session, tree: Tree
) -> None:
    campaign = make_campaign(session, tree.kon_tum, targets={"people_guided": 100}, closed=True)
    give_target(session, campaign, tree.kon_tum, tree.dak_glei, "people_guided", 50)
    session.commit()
    response = put_targets(admin_client, campaign.id, tree.kon_tum, [])
    assert response.status_code == 409
    assert response.json()["code"] == "campaign_closed"


def test_a_campaign_of_a_unit_closed_by_the_reform_is_history_and_says_so(
    client: TestClient, session: Session, settings: Settings, tree: Tree
) -> None:
    """After the 2025 reform Quảng Ngãi's admin reads Kon Tum's 2024 peak; changing it
    answered `campaign_not_yours` "belongs to a unit above your scope", which was not
    true. It is history now: 409 `campaign_scope_closed`, naming the unit and its day."""
    admin = make_user(session, Role.PROVINCE_ADMIN, tree.kon_tum)
    peak = make_campaign(
        session, tree.kon_tum, starts_on=date(2024, 10, 1), ends_on=date(2024, 10, 10)
    )
    session.commit()
    apply_reform(session, "62")
    session.commit()
    session.refresh(admin)  # now Quảng Ngãi's admin
    headers = headers_of(settings, admin)
    path = f"{CAMPAIGNS}/{peak.id}"
    assert client.get(path, headers=headers).status_code == 200
    attempts = {
        "reopen": client.post(
            f"{path}/reopen",
            json={"reason": "Bổ sung số liệu", "until": str(TODAY)},
            headers=headers,
        ),
        "edit": client.patch(path, json={"name": "Cao điểm 2024 (sửa)"}, headers=headers),
        "close": client.post(f"{path}/close", json={"reason": "Kết thúc"}, headers=headers),
    }
    for name, answer in attempts.items():
        assert answer.status_code == 409, (name, answer.text)
        assert answer.json()["code"] == "campaign_scope_closed", name
        assert "Tỉnh Kon Tum" in answer.json()["detail"]
        assert "2025-06-30" in answer.json()["detail"]
    vietnamese = client.patch(
        path, json={"name": "Cao điểm 2024 (sửa)"}, headers={**headers, "Accept-Language": "vi"}
    )
    assert "lịch sử" in vietnamese.json()["detail"]
    session.expire_all()
    assert session.get(Campaign, peak.id).name == peak.name  # type: ignore[union-attr]
