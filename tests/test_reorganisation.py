"""Changes of the map: the 2025 reform of Kon Tum, the reorganisation endpoint, the tree
of a date and the lineage of a unit."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any, TypeVar

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from cnscd_api.config import Settings
from cnscd_api.core import clock
from cnscd_api.flows.reform2025 import EFFECTIVE_DATE, ReformDataError, apply_reform, load_plan
from cnscd_api.flows.reform_report import describe
from cnscd_api.models import (
    Activity,
    AuditEvent,
    LineageKind,
    Role,
    Team,
    Unit,
    UnitLevel,
    UnitLineage,
    UnitMove,
    User,
)
from cnscd_api.units.seed import seed_units
from tests.factories import Tree, bearer, make_activity, make_team, make_user, make_village

UNITS = "/api/v1/units"
REORGANISE = "/api/v1/units/reorganisations"
CLOSING = EFFECTIVE_DATE - timedelta(days=1)


T = TypeVar("T")


def fetch(session: Session, model: type[T], object_id: uuid.UUID) -> T:
    found = session.get(model, object_id)
    assert found is not None
    return found


def count(session: Session, model: type[Any]) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def current_communes_under(session: Session, province: Unit) -> list[Unit]:
    return list(
        session.exec(
            select(Unit).where(
                col(Unit.level) == UnitLevel.COMMUNE,
                col(Unit.valid_to).is_(None),
                col(Unit.path).startswith(province.path),
            )
        ).all()
    )


def quang_ngai(session: Session) -> Unit:
    return session.exec(
        select(Unit).where(
            col(Unit.level) == UnitLevel.PROVINCE,
            col(Unit.code) == "51",
            col(Unit.valid_to).is_(None),
        )
    ).one()


# --- the data --------------------------------------------------------------------------


def test_plan_for_kon_tum_comes_from_the_package() -> None:
    plan = load_plan("62")
    assert (plan.new_province_code, plan.new_province_name) == ("51", "Tỉnh Quảng Ngãi")
    assert len(plan.communes) == 40
    old = {p.code for c in plan.communes for p in c.predecessors}
    assert len(old) == 102
    assert "1677/NQ-UBTVQH15" in plan.legal_act
    assert "202/2025/QH15" in plan.legal_act
    # Codes are reused: Phường Kon Tum takes the code of the old Phường Thắng Lợi.
    kon_tum = next(c for c in plan.communes if c.name == "Phường Kon Tum")
    assert kon_tum.code == "23293"
    assert "23293" in {p.code for p in kon_tum.predecessors}


# --- the reform of Kon Tum ---------------------------------------------------------------


@pytest.fixture
def people(session: Session, tree: Tree) -> dict[str, Any]:
    """Teams at a commune and at a village, users of every tier, a 2024 report."""
    commune_team = make_team(session, tree.dak_pek, "Tổ CNSCĐ xã Đắk Pék")
    village_team = make_team(session, tree.dak_pek_village, "Tổ CNSCĐ thôn Đắk Ung")
    leader = make_user(session, Role.TEAM_LEADER, tree.dak_pek, team_id=commune_team.id)
    report = make_activity(session, commune_team, leader, day=date(2024, 10, 3))
    result = {
        "commune_team": commune_team,
        "village_team": village_team,
        "leader": leader,
        "report": report,
        "province_admin": make_user(session, Role.PROVINCE_ADMIN, tree.kon_tum),
        "district_officer": make_user(session, Role.DISTRICT_OFFICER, tree.dak_glei),
        "commune_officer": make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek),
        "village_viewer": make_user(session, Role.VIEWER, tree.dak_pek_village),
    }
    session.commit()
    return result


def test_reform_of_kon_tum(session: Session, tree: Tree, people: dict[str, Any]) -> None:
    generations = {
        key: people[key].token_generation
        for key in ("province_admin", "district_officer", "leader")
    }
    result = apply_reform(session, "62")
    session.commit()
    outcome = result.outcome
    assert outcome is not None
    province = quang_ngai(session)
    assert province.valid_from == EFFECTIVE_DATE
    communes = current_communes_under(session, province)
    assert len(communes) == 40
    assert {c.valid_from for c in communes} == {EFFECTIVE_DATE}
    assert {c.parent_id for c in communes} == {province.id}

    old = session.exec(
        select(Unit).where(
            col(Unit.path).startswith(tree.kon_tum.path), col(Unit.level) != UnitLevel.VILLAGE
        )
    ).all()
    assert len(old) == 113
    assert {u.valid_to for u in old} == {CLOSING}
    # Every old unit has exactly one default successor, valid from the reform.
    for unit in old:
        links = session.exec(
            select(UnitLineage).where(col(UnitLineage.predecessor_id) == unit.id)
        ).all()
        assert [link.is_default for link in links].count(True) == 1, unit.name
        assert {link.effective_date for link in links} == {EFFECTIVE_DATE}
    assert count(session, UnitLineage) == 113

    # Xã Đắk Pék and Thị trấn Đắk Glei merged into the new Xã Đăk Pék (code 23341).
    dak_pek = next(c for c in communes if c.code == "23341")
    link = session.exec(
        select(UnitLineage).where(col(UnitLineage.predecessor_id) == tree.dak_pek.id)
    ).one()
    assert (link.successor_id, link.kind) == (dak_pek.id, LineageKind.MERGED_INTO)

    # The village kept its id and hangs under the new commune; the move is recorded.
    village = session.get(Unit, tree.dak_pek_village.id)
    assert village is not None
    assert village.parent_id == dak_pek.id
    assert village.path == f"{dak_pek.path}{village.id.hex}/"
    assert village.path_names == ["Tỉnh Quảng Ngãi", "Xã Đăk Pék", "Thôn Đắk Ung"]
    move = session.exec(select(UnitMove).where(col(UnitMove.unit_id) == village.id)).one()
    assert move.from_parent_id == tree.dak_pek.id

    # Teams: the commune's moved to the successor, the village's with its village.
    for team in session.exec(select(Team)).all():
        unit = fetch(session, Unit, team.unit_id)
        assert unit is not None
        assert unit.valid_to is None
    assert fetch(session, Team, people["commune_team"].id).unit_id == dak_pek.id

    # The 2024 report keeps the unit and team of its date.
    report = session.get(Activity, people["report"].id)
    assert report is not None
    assert report.unit_id == tree.dak_pek.id
    assert report.team_id == people["commune_team"].id

    users = {
        key: fetch(session, User, people[key].id)
        for key in (
            "province_admin",
            "district_officer",
            "commune_officer",
            "leader",
            "village_viewer",
        )
    }
    # The province admin: Quảng Ngãi is new and made only of Kon Tum: moved, active.
    admin = users["province_admin"]
    assert (admin.scope_unit_id, admin.role, admin.is_active) == (
        province.id,
        Role.PROVINCE_ADMIN,
        True,
    )
    # The district officer: moved to the province as viewer, deactivated pending review.
    officer = users["district_officer"]
    assert (officer.scope_unit_id, officer.role, officer.is_active) == (
        province.id,
        Role.VIEWER,
        False,
    )
    # The commune officer: the new commune is bigger than theirs: deactivated.
    commune_officer = users["commune_officer"]
    assert (commune_officer.scope_unit_id, commune_officer.is_active) == (dak_pek.id, False)
    # The team leader follows the team; the village viewer keeps the village.
    assert (users["leader"].scope_unit_id, users["leader"].is_active) == (dak_pek.id, True)
    assert users["village_viewer"].scope_unit_id == village.id
    # Nobody active is scoped to a closed unit.
    closed_scopes = session.exec(
        select(User.username)
        .join(Unit, col(Unit.id) == col(User.scope_unit_id))
        .where(col(User.is_active), col(Unit.valid_to).is_not(None))
    ).all()
    assert closed_scopes == []
    # Sessions ended for those whose scope changed, not for the team leader.
    assert officer.token_generation == generations["district_officer"] + 1
    assert admin.token_generation == generations["province_admin"] + 1
    assert users["leader"].token_generation == generations["leader"]

    # Audited: the reorganisation, 113 closings, 41 creations, user changes.
    actions = session.exec(select(AuditEvent.action, AuditEvent.entity)).all()
    assert ("create", "unit_reorganisation") in actions
    assert sum(1 for a in actions if a == ("close", "unit")) == 113
    names = session.exec(select(AuditEvent.actor_name).where(col(AuditEvent.action) == "close"))
    assert set(names.all()) == {"cnscd units reform-2025"}
    lines = describe(result, dry_run=False)
    assert "  communes created: 40" in lines
    assert any("huyen" in line or "district_officer → viewer" in line for line in lines)


def test_reform_twice_changes_nothing(session: Session, people: dict[str, Any]) -> None:
    apply_reform(session, "62")
    session.commit()
    before = [count(session, model) for model in (Unit, UnitLineage, UnitMove, AuditEvent)]
    again = apply_reform(session, "62")
    session.commit()
    assert again.outcome is None
    assert describe(again, dry_run=False)[0].endswith("already applied; nothing changed")
    assert [count(session, model) for model in (Unit, UnitLineage, UnitMove, AuditEvent)] == before


def test_seeding_again_leaves_a_reorganised_province_alone(
    session: Session, people: dict[str, Any]
) -> None:
    apply_reform(session, "62")
    session.commit()
    before = count(session, Unit)
    result = seed_units(session, {62})
    assert (result.created, result.reorganised) == (0, ("62",))
    assert count(session, Unit) == before


def test_provinces_merged_in_either_order(session: Session, tree: Tree) -> None:
    """Gia Lai (64) and Bình Định (52) form the new Tỉnh Gia Lai, code 52: Bình Định's
    code, so Bình Định goes first; Gia Lai then joins the province it created."""
    seed_units(session, {52})
    with pytest.raises(ReformDataError, match="apply the reform to province 52 first"):
        apply_reform(session, "64")
    first = apply_reform(session, "52").outcome
    assert first is not None
    second = apply_reform(session, "64").outcome
    assert second is not None
    gia_lai = session.exec(
        select(Unit).where(
            col(Unit.level) == UnitLevel.PROVINCE,
            col(Unit.code) == "52",
            col(Unit.valid_to).is_(None),
        )
    ).one()
    assert gia_lai.name == "Tỉnh Gia Lai"
    assert [u.id for u in first.created if u.level is UnitLevel.PROVINCE] == [gia_lai.id]
    assert [u.id for u in second.reused if u.level is UnitLevel.PROVINCE] == [gia_lai.id]
    assert len(current_communes_under(session, gia_lai)) == 135
    old_provinces = session.exec(
        select(Unit).where(col(Unit.level) == UnitLevel.PROVINCE, col(Unit.valid_to) == CLOSING)
    ).all()
    assert {u.name for u in old_provinces} == {"Tỉnh Bình Định", "Tỉnh Gia Lai"}
    assert apply_reform(session, "64").outcome is None
    assert apply_reform(session, "52").outcome is None


def test_kon_tum_joins_the_existing_quang_ngai(session: Session, people: dict[str, Any]) -> None:
    """With the old Quảng Ngãi seeded, Kon Tum joins it (the unit continues) and the
    province admin of Kon Tum, whose reach would grow, is deactivated pending review."""
    seed_units(session, {51})
    quang_ngai_2024 = quang_ngai(session)
    kon_tum = apply_reform(session, "62").outcome
    assert kon_tum is not None
    assert [u.id for u in kon_tum.reused] == [quang_ngai_2024.id]
    admin = fetch(session, User, people["province_admin"].id)
    assert (admin.scope_unit_id, admin.is_active) == (quang_ngai_2024.id, False)
    own = apply_reform(session, "51").outcome
    assert own is not None
    assert quang_ngai(session).id == quang_ngai_2024.id
    assert quang_ngai(session).valid_to is None
    # Lý Sơn district became a special zone: its communes are its predecessors.
    assert len(current_communes_under(session, quang_ngai_2024)) == 96
    # Lý Sơn had no communes: the district itself became Đặc khu Lý Sơn.
    ly_son = session.exec(select(Unit).where(col(Unit.name) == "Đặc khu Lý Sơn")).one()
    assert ly_son.division_type == "dac_khu"
    assert tree_outside_quang_ngai(session)


def tree_outside_quang_ngai(session: Session) -> bool:
    """Only Gia Lai's 2024 districts and communes are still undated and current."""
    rows = session.exec(
        select(Unit.path_names).where(
            col(Unit.level).in_([UnitLevel.DISTRICT, UnitLevel.COMMUNE]),
            col(Unit.valid_to).is_(None),
            col(Unit.valid_from).is_(None),
        )
    ).all()
    return {names[0] for names in rows} == {"Tỉnh Gia Lai"}


def test_a_dry_run_is_the_reform_rolled_back(session: Session, people: dict[str, Any]) -> None:
    before = count(session, Unit)
    savepoint = session.begin_nested()
    result = apply_reform(session, "62")
    lines = describe(result, dry_run=True)
    savepoint.rollback()
    assert lines[0].startswith("would apply")
    assert count(session, Unit) == before


def test_history_is_read_through_today_s_units(
    session: Session, client: TestClient, settings: Settings, tree: Tree, people: dict[str, Any]
) -> None:
    apply_reform(session, "62")
    session.commit()
    admin = session.get(User, people["province_admin"].id)
    assert admin is not None
    headers = bearer(settings, admin)
    today = client.get(UNITS, params={"level": "commune", "limit": 1}, headers=headers).json()
    assert today["total"] == 40
    before = client.get(
        UNITS, params={"level": "commune", "valid_on": "2024-10-01", "limit": 1}, headers=headers
    ).json()
    assert before["total"] == 102
    # The old commune's children on a 2024 date: its village, which kept its id.
    children = client.get(
        f"{UNITS}/{tree.dak_pek.id}/children", params={"valid_on": "2024-10-01"}, headers=headers
    ).json()
    assert [c["id"] for c in children["items"]] == [str(tree.dak_pek_village.id)]
    assert client.get(f"{UNITS}/{tree.dak_pek.id}/children", headers=headers).json()["total"] == 0
    # The October 2024 report stays readable where it was made.
    report = client.get(f"/api/v1/activities/{people['report'].id}", headers=headers)
    assert report.status_code == 200, report.text
    assert report.json()["unit_id"] == str(tree.dak_pek.id)
    # Lineage both ways.
    new = client.get(f"{UNITS}/{tree.dak_pek.id}/lineage", headers=headers).json()
    assert new["predecessors"] == []
    (step,) = new["successors"]
    assert step["kind"] == "merged_into"
    assert step["is_default"] is True
    assert step["effective_date"] == "2025-07-01"
    assert "1677/NQ-UBTVQH15" in step["legal_act"]
    successor = client.get(f"{UNITS}/{step['successor']['id']}/lineage", headers=headers).json()
    assert {p["predecessor"]["name"] for p in successor["predecessors"]} == {
        "Xã Đắk Pék",
        "Thị trấn Đắk Glei",
    }
    # Gia Lai stays out of reach, also in the past.
    assert client.get(f"{UNITS}/{tree.gia_lai.id}", headers=headers).status_code == 404
    # Nothing is created under a closed unit.
    refused = client.post(
        UNITS, json={"parent_id": str(tree.dak_pek.id), "name": "Thôn Mới"}, headers=headers
    )
    assert refused.status_code == 404  # the old tree is read-only history, out of write reach


# --- reorganisations through the API -------------------------------------------------------


def test_merge_split_rename_move_at_once(
    session: Session, admin_client: TestClient, tree: Tree
) -> None:
    dak_man_village = make_village(session, tree.dak_man, "Thôn Đắk Man")
    second_village = make_village(session, tree.dak_pek, "Làng Đắk Ung 2")
    team = make_team(session, tree.dak_man, "Tổ xã Đắk Man")
    leader = make_user(session, Role.TEAM_LEADER, tree.dak_man, team_id=team.id)
    man_officer = make_user(session, Role.COMMUNE_OFFICER, tree.dak_man)
    session.commit()
    day = clock.today().isoformat()
    body = {
        "effective_date": day,
        "legal_act": "Nghị quyết 99/NQ-HĐND",
        "operations": [
            {
                "op": "merge",
                "unit_ids": [str(tree.dak_man.id)],
                "new": {"name": "Xã Đắk Man Mới", "code": "99901"},
            },
            {
                "op": "split",
                "unit_id": str(tree.dak_pek.id),
                "into": [
                    {"new": {"name": "Xã Đắk Pék Bắc"}, "default": True},
                    {
                        "new": {"name": "Xã Đắk Pék Nam"},
                        "village_ids": [str(second_village.id)],
                    },
                ],
            },
        ],
    }
    response = admin_client.post(REORGANISE, json=body)
    assert response.status_code == 201, response.text
    answer = response.json()
    assert {u["name"] for u in answer["created"]} == {
        "Xã Đắk Man Mới",
        "Xã Đắk Pék Bắc",
        "Xã Đắk Pék Nam",
    }
    assert {u["id"] for u in answer["closed"]} == {str(tree.dak_man.id), str(tree.dak_pek.id)}
    assert answer["moved_units"] == 3
    kinds = {
        (s["predecessor"]["name"], s["successor"]["name"], s["kind"], s["is_default"])
        for s in answer["lineage"]
    }
    assert ("Xã Đắk Pék", "Xã Đắk Pék Nam", "split_from", False) in kinds
    new_man = next(u for u in answer["created"] if u["name"] == "Xã Đắk Man Mới")
    north = next(u for u in answer["created"] if u["name"] == "Xã Đắk Pék Bắc")
    south = next(u for u in answer["created"] if u["name"] == "Xã Đắk Pék Nam")
    session.expire_all()
    assert fetch(session, Unit, dak_man_village.id).parent_id == uuid.UUID(new_man["id"])
    assert fetch(session, Unit, second_village.id).parent_id == uuid.UUID(south["id"])
    assert fetch(session, Unit, tree.dak_pek_village.id).parent_id == uuid.UUID(north["id"])
    rehomed = {(r["entity"], r["name"]): r for r in answer["rehomed"]}
    assert rehomed["team", "Tổ xã Đắk Man"]["to_unit"]["id"] == new_man["id"]
    assert rehomed["user", leader.username]["action"] == "followed_team"
    # A merge of one commune into a new one of its own: nobody's reach grows.
    assert rehomed["user", man_officer.username]["action"] == "moved"
    assert fetch(session, User, man_officer.id).is_active

    # Applied once: the same operations again name closed units.
    again = admin_client.post(REORGANISE, json=body)
    assert again.status_code == 422
    assert again.json()["code"] == "unit_not_current"
    assert again.json()["errors"][0]["field"] == "body.operations.0.unit_ids.0"

    # Rename and move, then the lineage of the moved commune.
    ngoc_hoi_commune = session.exec(
        select(Unit).where(col(Unit.parent_id) == tree.ngoc_hoi.id).order_by(col(Unit.code))
    ).first()
    assert ngoc_hoi_commune is not None
    response = admin_client.post(
        REORGANISE,
        json={
            "effective_date": day,
            "legal_act": "Quyết định 5/QĐ-UBND",
            "operations": [
                {"op": "rename", "unit_id": str(dak_man_village.id), "name": "Thôn Đắk Man Thượng"},
                {
                    "op": "move",
                    "unit_id": str(ngoc_hoi_commune.id),
                    "parent_id": str(tree.dak_glei.id),
                },
            ],
        },
    )
    assert response.status_code == 201, response.text
    moved = next(s["successor"] for s in response.json()["lineage"] if s["kind"] == "moved")
    lineage = admin_client.get(f"{UNITS}/{moved['id']}/lineage").json()
    assert [p["predecessor"]["id"] for p in lineage["predecessors"]] == [str(ngoc_hoi_commune.id)]
    assert lineage["successors"] == []
    children = admin_client.get(f"{UNITS}/{tree.dak_glei.id}/children", params={"limit": 500})
    assert moved["id"] in {c["id"] for c in children.json()["items"]}


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        (
            {"effective_date": "2999-01-01"},
            422,
            "effective_date_out_of_range",
            "body.effective_date",
        ),
        (
            {"effective_date": "0001-01-01"},
            422,
            "effective_date_out_of_range",
            "body.effective_date",
        ),
        (
            {"operations": [{"op": "rename", "unit_id": "KON_TUM", "name": "Tỉnh Mới"}]},
            422,
            "unit_not_reorganisable",
            "body.operations.0.unit_id",
        ),
        (
            {
                "operations": [
                    {"op": "rename", "unit_id": "DAK_PEK", "name": "Xã A"},
                    {"op": "rename", "unit_id": "DAK_PEK", "name": "Xã B"},
                ]
            },
            422,
            "unit_listed_twice",
            "body.operations.1.unit_id",
        ),
        (
            {
                "operations": [
                    {"op": "merge", "unit_ids": ["DAK_PEK", "DAK_GLEI"], "into_id": "DAK_MAN"}
                ]
            },
            422,
            "level_mismatch",
            "body.operations.0.unit_ids",
        ),
        (
            {"operations": [{"op": "merge", "unit_ids": ["DAK_PEK"]}]},
            422,
            "merge_target_required",
            "body.operations.0.into_id",
        ),
        (
            {
                "operations": [
                    {
                        "op": "split",
                        "unit_id": "DAK_PEK",
                        "into": [{"unit_id": "DAK_MAN"}, {"new": {"name": "Xã C"}}],
                    }
                ]
            },
            422,
            "split_default_required",
            "body.operations.0.into",
        ),
        (
            {"operations": [{"op": "move", "unit_id": "DAK_GLEI", "parent_id": "DAK_PEK"}]},
            422,
            "invalid_parent",
            "body.operations.0.parent_id",
        ),
        (
            {"operations": [{"op": "rename", "unit_id": "GIA_LAI_DISTRICT", "name": "Huyện A"}]},
            404,
            "not_found",
            None,
        ),
    ],
)
def test_reorganisation_errors(
    session: Session,
    admin_client: TestClient,
    tree: Tree,
    change: dict[str, Any],
    status: int,
    code: str,
    field: str | None,
) -> None:
    gia_lai_district = session.exec(
        select(Unit).where(col(Unit.parent_id) == tree.gia_lai.id)
    ).first()
    assert gia_lai_district is not None
    names = {
        "KON_TUM": tree.kon_tum.id,
        "DAK_PEK": tree.dak_pek.id,
        "DAK_MAN": tree.dak_man.id,
        "DAK_GLEI": tree.dak_glei.id,
        "GIA_LAI_DISTRICT": gia_lai_district.id,
    }

    def resolve(value: Any) -> Any:
        if isinstance(value, str) and value in names:
            return str(names[value])
        if isinstance(value, list):
            return [resolve(v) for v in value]
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        return value

    body = {
        "effective_date": clock.today().isoformat(),
        "legal_act": "Quyết định 1/QĐ-UBND",
        "operations": [{"op": "rename", "unit_id": str(tree.dak_pek.id), "name": "Xã Đắk Pék Mới"}],
    } | resolve(change)
    before = count(session, Unit)
    response = admin_client.post(REORGANISE, json=body)
    assert response.status_code == status, response.text
    problem = response.json()
    assert problem["code"] == code
    if field is not None:
        assert problem["errors"][0]["field"] == field
    assert count(session, Unit) == before  # all or nothing


def test_reorganising_takes_the_province_admin(
    session: Session, client: TestClient, settings: Settings, tree: Tree
) -> None:
    officer = make_user(session, Role.DISTRICT_OFFICER, tree.dak_glei)
    session.commit()
    body = {
        "effective_date": clock.today().isoformat(),
        "legal_act": "Quyết định 1/QĐ-UBND",
        "operations": [{"op": "rename", "unit_id": str(tree.dak_pek.id), "name": "Xã Đắk Pék Mới"}],
    }
    response = client.post(REORGANISE, json=body, headers=bearer(settings, officer))
    assert response.status_code == 403
    outside = body | {
        "operations": [{"op": "rename", "unit_id": str(tree.ngoc_hoi.id), "name": "Huyện B"}]
    }
    assert (
        client.post(REORGANISE, json=outside, headers=bearer(settings, officer)).status_code == 404
    )


def test_nothing_new_hangs_under_a_closed_unit(
    session: Session, admin_client: TestClient, tree: Tree
) -> None:
    response = admin_client.post(
        REORGANISE,
        json={
            "effective_date": clock.today().isoformat(),
            "legal_act": "Quyết định 2/QĐ-UBND",
            "operations": [
                {"op": "merge", "unit_ids": [str(tree.dak_man.id)], "into_id": str(tree.dak_pek.id)}
            ],
        },
    )
    assert response.status_code == 201, response.text
    village = admin_client.post(UNITS, json={"parent_id": str(tree.dak_man.id), "name": "Thôn Mới"})
    assert village.status_code == 409
    assert village.json()["code"] == "unit_closed"
    team = admin_client.post(
        "/api/v1/teams", json={"unit_id": str(tree.dak_man.id), "name": "Tổ mới"}
    )
    assert team.status_code == 409
    assert team.json()["code"] == "unit_closed"
    # The closed commune is history: listed on an earlier date, not today.
    listed = admin_client.get(UNITS, params={"q": "dak man", "level": "commune"}).json()
    assert listed["total"] == 0
    earlier = (clock.today() - timedelta(days=1)).isoformat()
    listed = admin_client.get(
        UNITS, params={"q": "dak man", "level": "commune", "valid_on": earlier}
    )
    assert listed.json()["total"] == 1
