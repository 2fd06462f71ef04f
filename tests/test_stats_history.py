"""Dashboards through a change of the map: after the 2025 reform of Kon Tum the October
2024 peak reads the same on the map of its days (``tree=historical``), and on today's map
(``tree=current``, the default) every report counts for the unit alive today that its
place became, with the same totals."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from cnscd_api.config import Settings
from cnscd_api.core import clock
from cnscd_api.flows.reform2025 import apply_reform
from cnscd_api.models import ActivityStatus, Campaign, Role, Unit, UnitLevel, UnitLineage
from tests.factories import (
    Tree,
    bearer,
    make_activity,
    make_campaign,
    make_team,
    make_user,
    make_village,
)

STATS = "/api/v1/stats"
UNITS = "/api/v1/units"


class Peak:
    def __init__(self, session: Session, tree: Tree) -> None:
        self.campaign: Campaign = make_campaign(
            session,
            tree.kon_tum,
            categories=("vneid", "online_public_services"),
            targets={"people_guided": 900},
            starts_on=date(2024, 10, 1),
            ends_on=date(2024, 10, 10),
        )
        # Reports made at a commune (closed by the reform), at villages (which keep their
        # id and move), in two communes and two districts; approved and waiting.
        commune_team = make_team(session, tree.dak_pek, "Tổ xã Đắk Pék")
        village_team = make_team(session, tree.dak_pek_village, "Tổ thôn Đắk Ung")
        other = make_team(
            session, make_village(session, tree.dak_man, "Thôn Bên Kia"), "Tổ Bên Kia"
        )
        far = make_team(session, make_village(session, _first_commune(session, tree.ngoc_hoi)))
        self.admin = make_user(session, Role.PROVINCE_ADMIN, tree.kon_tum)
        self.leader = make_user(session, Role.TEAM_LEADER, tree.dak_pek, team_id=commune_team.id)
        for team, day, people, status in [
            (commune_team, 1, 40, ActivityStatus.APPROVED),
            (commune_team, 3, 7, ActivityStatus.SUBMITTED),
            (village_team, 2, 25, ActivityStatus.APPROVED),
            (other, 5, 11, ActivityStatus.APPROVED),
            (far, 9, 13, ActivityStatus.APPROVED),
        ]:
            make_activity(
                session,
                team,
                self.admin,
                day=date(2024, 10, day),
                values={"people_guided": people},
                campaign=self.campaign,
                status=status,
            )
        self.village_team = village_team
        session.commit()


def _first_commune(session: Session, district: Unit) -> Unit:
    return session.exec(
        select(Unit).where(col(Unit.parent_id) == district.id).order_by(col(Unit.code))
    ).first()  # type: ignore[return-value]


@pytest.fixture
def peak(session: Session, tree: Tree) -> Peak:
    return Peak(session, tree)


def _get(client: TestClient, headers: dict[str, str], path: str, **params: Any) -> Any:
    response = client.get(f"{STATS}{path}", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _achieved(progress_unit: dict[str, Any]) -> tuple[int, int]:
    (people,) = [i for i in progress_unit["indicators"] if i["indicator"] == "people_guided"]
    return people["achieved"], people["submitted"]


def _successor(session: Session, unit: Unit) -> Unit:
    link = session.exec(
        select(UnitLineage).where(
            col(UnitLineage.predecessor_id) == unit.id, col(UnitLineage.is_default)
        )
    ).one()
    found = session.get(Unit, link.successor_id)
    assert found is not None
    return found


def test_the_2024_peak_reads_the_same_after_the_reform(
    client: TestClient, session: Session, settings: Settings, tree: Tree, peak: Peak
) -> None:
    admin = bearer(settings, peak.admin)
    progress = f"/campaigns/{peak.campaign.id}/progress"
    before = {
        "progress": _get(client, admin, progress),
        "district": _get(client, admin, "/overview", unit_id=tree.dak_glei.id),
        "province": _get(client, admin, "/overview", campaign_id=peak.campaign.id),
        "series": _get(
            client, admin, "/timeseries", indicator="people_guided", campaign_id=peak.campaign.id
        ),
    }
    assert _achieved(before["progress"]["unit"]) == (40 + 25 + 11 + 13, 7)

    apply_reform(session, "62")
    session.commit()
    session.refresh(peak.admin)  # now Quảng Ngãi's admin, with a new token generation
    admin = bearer(settings, peak.admin)
    quang_ngai = _successor(session, tree.kon_tum)
    assert quang_ngai.level is UnitLevel.PROVINCE
    assert quang_ngai.valid_to is None

    # On the map of its days, the peak is what it was: the old province, its districts.
    historical = _get(client, admin, progress, tree="historical")  # the campaign's unit
    assert historical["tree"] == "historical"
    assert historical == _get(client, admin, progress, unit_id=tree.kon_tum.id, tree="historical")
    assert historical["unit"] == before["progress"]["unit"]
    assert historical["children"] == before["progress"]["children"]
    district = _get(client, admin, "/overview", unit_id=tree.dak_glei.id, tree="historical")
    assert district["activities"] == before["district"]["activities"]
    assert district["indicators"] == before["district"]["indicators"]
    series = _get(
        client,
        admin,
        "/timeseries",
        unit_id=tree.kon_tum.id,
        indicator="people_guided",
        campaign_id=peak.campaign.id,
        tree="historical",
    )
    assert series["periods"] == before["series"]["periods"]

    # On today's map (the default) the campaign's area is Quảng Ngãi, and the totals are
    # conserved: the province as a whole, and the sum of its new communes.
    current = _get(client, admin, progress)
    assert current["tree"] == "current"
    assert current["unit"]["unit_id"] == str(quang_ngai.id)
    assert _achieved(current["unit"]) == _achieved(before["progress"]["unit"])
    communes = current["children"]
    assert len(communes) == 40
    assert sum(_achieved(c)[0] for c in communes) == 40 + 25 + 11 + 13
    assert sum(_achieved(c)[1] for c in communes) == 7
    # The campaign's own target went with its area; the new communes were given none.
    (people,) = current["unit"]["indicators"]
    assert people["target"] == 900
    # Asked for the closed province on today's map: answered as Quảng Ngãi.
    asked_old = _get(client, admin, progress, unit_id=tree.kon_tum.id)
    assert asked_old["unit"]["unit_id"] == str(quang_ngai.id)
    province = _get(client, admin, "/overview", campaign_id=peak.campaign.id)
    assert province["area"]["unit_id"] == str(quang_ngai.id)
    assert province["activities"] == before["province"]["activities"]
    assert province["indicators"] == before["province"]["indicators"]

    # A report of 2026 in the village that moved, made in today's Xã Đăk Pék, which
    # counts the old commune's reports too (made at the closed commune and at its village
    # before it moved).
    make_activity(session, peak.village_team, peak.admin, day=date(2026, 1, 5))
    session.commit()
    new_dak_pek = _successor(session, tree.dak_pek)
    mine = _get(client, admin, "/overview", unit_id=new_dak_pek.id)
    assert mine["activities"]["total"] == 4
    on_its_map = _get(client, admin, "/overview", unit_id=new_dak_pek.id, tree="historical")
    assert on_its_map["activities"]["total"] == 1  # only the 2026 report was made in it
    old_commune = _get(client, admin, "/overview", unit_id=tree.dak_pek.id, tree="historical")
    assert old_commune["activities"]["total"] == 3
    assert old_commune["area"]["unit_id"] == str(tree.dak_pek.id)

    # The activities of today's commune include the old commune's reports.
    listed = client.get(
        "/api/v1/activities", params={"unit_id": str(new_dak_pek.id)}, headers=admin
    ).json()
    assert listed["total"] == 4
    old_listed = client.get(
        "/api/v1/activities", params={"unit_id": str(tree.dak_pek.id)}, headers=admin
    ).json()
    assert old_listed["total"] == 3  # at the commune, and at its village before the move


def test_history_stays_out_of_reach_of_others(
    client: TestClient, session: Session, settings: Settings, tree: Tree, peak: Peak
) -> None:
    apply_reform(session, "62")
    session.commit()
    gia_lai = bearer(settings, make_user(session, Role.PROVINCE_ADMIN, tree.gia_lai))
    session.commit()
    for tree_name in ("current", "historical"):
        for unit in (tree.kon_tum, tree.dak_glei, tree.dak_pek):
            response = client.get(
                f"{STATS}/overview",
                params={"unit_id": str(unit.id), "tree": tree_name},
                headers=gia_lai,
            )
            assert response.status_code == 404, (tree_name, unit.name)
    # A team leader counts their own team's unit only, not the history around it.
    session.refresh(peak.leader)
    leader = bearer(settings, peak.leader)
    response = client.get(
        f"{STATS}/overview",
        params={"unit_id": str(tree.dak_pek.id), "tree": "historical"},
        headers=leader,
    )
    assert response.status_code == 404
    bad = client.get(f"{STATS}/overview", params={"tree": "yesterday"}, headers=gia_lai)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "query.tree"


def test_without_reorganisation_both_trees_agree(
    client: TestClient, session: Session, settings: Settings, tree: Tree, peak: Peak
) -> None:
    admin = bearer(settings, peak.admin)
    progress = f"/campaigns/{peak.campaign.id}/progress"
    current = _get(client, admin, progress)
    historical = _get(client, admin, progress, tree="historical")
    assert {**current, "tree": None} == {**historical, "tree": None}


def test_the_kon_tum_demo_through_the_reform(
    client: TestClient, session: Session, settings: Settings
) -> None:
    """The whole demo (566 teams, the 2024 peak's reports): after the reform the peak's
    progress on the map of its days is what it was, and on today's map Quảng Ngãi and
    the sum of its 40 communes hold the same totals."""
    from cnscd_api.demo import seed_demo_users
    from cnscd_api.demo_campaign import CODE, seed_demo_activities, seed_demo_campaign
    from cnscd_api.demo_data import seed_demo_data
    from cnscd_api.models import User

    seed_demo_data(session)
    seed_demo_campaign(session)
    assert seed_demo_activities(session) > 0
    seed_demo_users(session)
    session.commit()
    campaign = session.exec(select(Campaign).where(col(Campaign.code) == CODE)).one()
    admin_user = session.exec(select(User).where(col(User.username) == "tinh.kontum")).one()
    old_province = campaign.scope_unit_id
    progress = f"/campaigns/{campaign.id}/progress"
    before = _get(client, bearer(settings, admin_user), progress)
    approved, submitted = _achieved(before["unit"])
    assert approved > 0

    apply_reform(session, "62")
    session.commit()
    session.refresh(admin_user)
    admin = bearer(settings, admin_user)
    historical = _get(client, admin, progress, unit_id=old_province, tree="historical")
    assert historical["unit"] == before["unit"]
    assert historical["children"] == before["children"]  # the 10 districts, targets and all
    current = _get(client, admin, progress)
    assert current["unit"]["unit_name"] == "Tỉnh Quảng Ngãi"
    assert _achieved(current["unit"]) == (approved, submitted)
    assert len(current["children"]) == 40
    assert sum(_achieved(c)[0] for c in current["children"]) == approved
    assert sum(_achieved(c)[1] for c in current["children"]) == submitted


# --- local reorganisations through the API ---------------------------------------------------

REORGANISE = "/api/v1/units/reorganisations"
ACTIVITIES = "/api/v1/activities"


def _reorganise(client: TestClient, headers: dict[str, str], *operations: dict[str, Any]) -> Any:
    body = {
        "effective_date": clock.today().isoformat(),
        "legal_act": "Nghị quyết 7/NQ-HĐND",
        "operations": list(operations),
    }
    response = client.post(REORGANISE, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_reports_of_merged_villages_stay_exact_through_edits(
    client: TestClient, session: Session, settings: Settings, tree: Tree
) -> None:
    """Two villages of a commune that lives on are merged: the reports made in them, edited,
    added late for their days, or deleted, keep the aggregates exact; a report of a day
    after the merge is refused there; the merged village's last day stays."""
    from tests.test_stats_aggregates import recomputed, stored

    first = make_village(session, tree.dak_pek, "Thôn Một")
    second = make_village(session, tree.dak_pek, "Thôn Hai")
    team = make_team(session, tree.dak_pek, "Tổ xã Đắk Pék")
    officer = bearer(settings, make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek))
    admin = bearer(settings, make_user(session, Role.PROVINCE_ADMIN, tree.kon_tum))
    session.commit()
    before = (clock.today() - timedelta(days=3)).isoformat()

    def post(place: Unit, day: str) -> Any:
        body = {
            "team_id": str(team.id),
            "unit_id": str(place.id),
            "activity_date": day,
            "categories": ["vneid"],
            "values": {"people_guided": 5},
        }
        return client.post(ACTIVITIES, json=body, headers=officer)

    old = post(first, before)
    assert old.status_code == 201, old.text
    assert post(second, before).status_code == 201
    answer = _reorganise(
        client,
        admin,
        {"op": "merge", "unit_ids": [str(first.id), str(second.id)], "new": {"name": "Thôn Gộp"}},
    )
    (merged,) = answer["created"]

    edited = client.patch(
        f"{ACTIVITIES}/{old.json()['id']}",
        json={"description": "Sửa sau khi gộp thôn"},
        headers={**officer, "If-Match": old.headers["ETag"]},
    )
    assert edited.status_code == 200, edited.text
    late = post(first, before)  # a late report of a day the village still existed
    assert late.status_code == 201, late.text
    refused = post(first, clock.today().isoformat())
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["code"] == "place_not_valid_on_date"
    session.expire_all()
    assert stored(session) == recomputed(session)
    now = _get(client, officer, "/overview", unit_id=merged["id"])
    assert now["activities"]["total"] == 3  # all made in the two villages

    deleted = client.delete(
        f"{ACTIVITIES}/{old.json()['id']}", headers={**officer, "If-Match": edited.headers["ETag"]}
    )
    assert deleted.status_code == 204, deleted.text
    session.expire_all()
    assert stored(session) == recomputed(session)
    assert _get(client, officer, "/overview", unit_id=merged["id"])["activities"]["total"] == 2

    reopened = client.patch(
        f"{UNITS}/{first.id}", json={"valid_to": None}, headers={**admin, "If-Match": '"2"'}
    )
    assert reopened.status_code == 409, reopened.text
    assert reopened.json()["code"] == "unit_closed"


def test_a_renamed_district_reads_the_same_in_lists_and_dashboards(
    client: TestClient, session: Session, settings: Settings, tree: Tree
) -> None:
    """Renaming a district closes it; its communes keep their ids and move under the new
    one. The old district's activity list and its historical overview count the same
    reports, and a commune is still inside the district's campaign on that map."""
    admin_user = make_user(session, Role.PROVINCE_ADMIN, tree.kon_tum)
    campaign = make_campaign(session, tree.dak_glei, categories=("vneid",))
    for unit in (tree.dak_pek, tree.dak_man):
        make_activity(session, make_team(session, unit), admin_user, campaign=campaign)
    session.commit()
    admin = bearer(settings, admin_user)
    _reorganise(
        client,
        admin,
        {"op": "rename", "unit_id": str(tree.dak_glei.id), "name": "Huyện Đắk Glei Mới"},
    )
    listed = client.get(ACTIVITIES, params={"unit_id": str(tree.dak_glei.id)}, headers=admin)
    assert listed.status_code == 200, listed.text
    then = _get(client, admin, "/overview", unit_id=tree.dak_glei.id, tree="historical")
    assert listed.json()["total"] == then["activities"]["total"] == 2
    progress = f"/campaigns/{campaign.id}/progress"
    district = _get(client, admin, progress, unit_id=tree.dak_glei.id, tree="historical")
    assert {c["unit_id"] for c in district["children"]} >= {
        str(tree.dak_pek.id),
        str(tree.dak_man.id),
    }
    commune = _get(client, admin, progress, unit_id=tree.dak_pek.id, tree="historical")
    assert _achieved(commune["unit"]) == (0, 10)
