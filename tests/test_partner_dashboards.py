"""``/stats/support-requests`` and ``/stats/device-needs``: the figures equal a recount of
the rows, per organisation and per child unit; a partner counts only its own
organisation's; CSV like the other dashboards; a closed village counts where its
successor lies today, or where it lay (``tree=historical``)."""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from cnscd_api.core import clock
from cnscd_api.models import (
    ActivityStatus,
    DeviceNeed,
    DeviceReferral,
    ReferralStatus,
    Role,
    SupportRequest,
    SupportRequestStatus,
    Unit,
    User,
)
from tests.factories import (
    Tree,
    bearer,
    make_activity,
    make_device_need,
    make_device_referral,
    make_support_request,
    make_team,
    make_user,
    make_village,
)
from tests.test_support_requests import VIETTEL, VNPT

S = SupportRequestStatus
T0 = datetime(2030, 9, 1, 8, 0, tzinfo=clock.VIETNAM)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def requests_made(session: Session, tree: Tree) -> None:
    """VNPT and Viettel asked in two communes of Đắk Glei, in every state."""
    village, dak_man = tree.dak_pek_village, tree.dak_man
    plan: list[tuple[Unit, str, S, float | None, float | None]] = [
        (village, VNPT, S.REQUESTED, None, None),
        (village, VNPT, S.ACCEPTED, 3, None),
        (village, VNPT, S.DONE, 2, 26),
        (village, VNPT, S.DONE, 4, 50),
        (tree.dak_pek, VNPT, S.DECLINED, 1, None),
        (tree.dak_pek, VNPT, S.CANCELLED, None, None),
        (dak_man, VIETTEL, S.REQUESTED, None, None),
        (dak_man, VNPT, S.DONE, 10, 30),
    ]
    for place, organisation, status, answer, serve in plan:
        make_support_request(
            session,
            place,
            organisation=organisation,
            status=status,
            created_at=T0,
            answered_at=T0 + hours(answer) if answer is not None else None,
            done_at=T0 + hours(serve) if serve is not None else None,
        )
    # A request outside the area counts nowhere here.
    outside = make_village(session, tree.dak_man, "Thôn Ngoài")
    outside.path = f"{tree.ngoc_hoi.path}{outside.id.hex}/"
    make_support_request(session, outside, organisation=VNPT)


def assisted_reports(session: Session, tree: Tree, leader: User) -> None:
    team = make_team(session, tree.dak_pek_village)
    staffed = [
        (VNPT, 2, ActivityStatus.APPROVED, 30),
        (VNPT, 1, ActivityStatus.APPROVED, 12),
        (VNPT, 3, ActivityStatus.SUBMITTED, 7),
        (VNPT, 2, ActivityStatus.REJECTED, 99),  # rejected: counts nowhere
        (VNPT, None, ActivityStatus.APPROVED, 40),  # no staff: not assisted
        (None, None, ActivityStatus.APPROVED, 50),  # no partner
        (VIETTEL, 4, ActivityStatus.APPROVED, 5),
    ]
    for organisation, staff, status, people in staffed:
        activity = make_activity(
            session,
            team,
            leader,
            status=status,
            organisation=organisation,
            values={"people_guided": people},
        )
        activity.partner_staff = staff
        session.add(activity)
    session.flush()


def recount(session: Session, area: Unit) -> dict[str, Counter[str]]:
    """Requests per organisation in ``area``, counted from the rows."""
    rows = session.exec(
        select(SupportRequest.organisation, SupportRequest.status)
        .join(Unit, col(Unit.id) == col(SupportRequest.unit_id))
        .where(col(Unit.path).startswith(area.path))
    ).all()
    counted: dict[str, Counter[str]] = {}
    for organisation, status in rows:
        counted.setdefault(organisation, Counter())[S(status).value] += 1
    return counted


def test_support_figures_equal_a_recount(
    client: TestClient, session: Session, settings: Any, tree: Tree
) -> None:
    admin = make_user(session, Role.PROVINCE_ADMIN, tree.kon_tum)
    leader = make_user(session, Role.TEAM_LEADER, tree.dak_pek_village)
    requests_made(session, tree)
    assisted_reports(session, tree, leader)
    session.commit()
    answer = client.get(
        "/api/v1/stats/support-requests",
        params={"unit_id": str(tree.dak_glei.id)},
        headers=bearer(settings, admin),
    )
    assert answer.status_code == 200, answer.text
    dashboard = answer.json()
    assert dashboard["area"]["unit_name"] == tree.dak_glei.name
    by_organisation = {row["organisation"]: row for row in dashboard["organisations"]}
    for organisation, counted in recount(session, tree.dak_glei).items():
        row = by_organisation[organisation]
        for status in S:
            assert row[status.value] == counted[status.value], (organisation, status)
    vnpt = by_organisation[VNPT]
    # Answered: 3, 2, 4, 1, 10 hours; done after 26, 50, 30 hours.
    assert vnpt["median_hours_to_answer"] == statistics.median([3, 2, 4, 1, 10])
    assert vnpt["median_hours_to_serve"] == statistics.median([26, 50, 30])
    assert (vnpt["assisted_reports"], vnpt["people_served"], vnpt["people_served_submitted"]) == (
        2,
        42,
        7,
    )
    assert by_organisation[VIETTEL]["people_served"] == 5
    assert by_organisation[VIETTEL]["median_hours_to_answer"] is None
    # Per commune: Xã Đắk Pék's and Xã Đắk Man's figures add up to the area's.
    units = [row for row in dashboard["units"] if row["organisation"] == VNPT]
    assert {row["unit_name"] for row in units} == {tree.dak_pek.name, tree.dak_man.name}
    for field in ("requested", "accepted", "done", "declined", "cancelled", "people_served"):
        assert sum(row[field] for row in units) == vnpt[field], field
    dak_man = next(row for row in units if row["unit_name"] == tree.dak_man.name)
    assert (dak_man["done"], dak_man["median_hours_to_serve"]) == (1, 30.0)

    # VNPT's own client counts only VNPT's requests and reports.
    partner = make_user(session, Role.PARTNER, tree.dak_glei, organisation=VNPT)
    session.commit()
    own = client.get(
        "/api/v1/stats/support-requests",
        params={"unit_id": str(tree.dak_glei.id)},
        headers=bearer(settings, partner),
    ).json()
    assert [row["organisation"] for row in own["organisations"]] == [VNPT]
    assert own["organisations"][0] == vnpt

    # The same figures as CSV, a row per organisation and per unit and organisation.
    as_csv = client.get(
        "/api/v1/stats/support-requests",
        params={"unit_id": str(tree.dak_glei.id), "format": "csv"},
        headers=bearer(settings, admin),
    )
    assert as_csv.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert len(table) == len(dashboard["organisations"]) + len(dashboard["units"])
    first = next(row for row in table if row["organisation"] == VNPT and not row["unit_id"])
    assert (first["done"], first["people_served"]) == ("3", "42")


def test_device_figures_equal_a_recount_on_either_map(
    client: TestClient, session: Session, settings: Any, tree: Tree
) -> None:
    admin = make_user(session, Role.PROVINCE_ADMIN, tree.kon_tum)
    village = tree.dak_pek_village
    make_device_need(session, village, date(2024, 9, 1))  # an older count: replaced
    latest = make_device_need(session, village, date(2024, 10, 1))
    latest.households_without_smartphone, latest.poor, latest.near_poor = 50, 20, 10
    make_device_need(session, tree.dak_pek, date(2024, 10, 2))
    # A village of Xã Đắk Man, since merged into Đắk Pék's village: closed, its default
    # successor lies in Xã Đắk Pék today.
    merged = make_village(session, tree.dak_man, "Làng Đã Nhập")
    merged.valid_to, merged.rollup_path = date(2025, 6, 30), village.path
    make_device_need(session, merged, date(2024, 10, 3))
    for status in (ReferralStatus.DELIVERED, ReferralStatus.REFUSED, ReferralStatus.REQUESTED):
        make_device_referral(session, village, status=status)
    make_device_referral(session, merged, organisation=VIETTEL, status=ReferralStatus.ACCEPTED)
    session.commit()
    headers = bearer(settings, admin)

    def dashboard(tree_name: str) -> dict[str, Any]:
        answer = client.get(
            "/api/v1/stats/device-needs",
            params={"unit_id": str(tree.dak_glei.id), "tree": tree_name},
            headers=headers,
        )
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found

    current, historical = dashboard("current"), dashboard("historical")
    # The recount: the latest count of each unit, and every referral, in Đắk Glei.
    needs = session.exec(select(DeviceNeed).order_by(col(DeviceNeed.counted_on))).all()
    last = {need.unit_id: need for need in needs}
    for answer in (current, historical):
        total = answer["total"]
        assert total["households_without_smartphone"] == sum(
            n.households_without_smartphone for n in last.values()
        )
        assert total["poor"] == sum(n.poor for n in last.values())
        assert total["referred"] == len(session.exec(select(DeviceReferral.id)).all())
        assert total["delivered"] == 1
    assert (current["tree"], historical["tree"]) == ("current", "historical")

    def per_unit(answer: dict[str, Any]) -> dict[str, int]:
        return {row["unit_name"]: row["households_without_smartphone"] for row in answer["units"]}

    # Today the merged village's 30 households count in Xã Đắk Pék; on its own day, in
    # Xã Đắk Man.
    assert per_unit(current) == {tree.dak_pek.name: 50 + 30 + 30}
    assert per_unit(historical) == {tree.dak_pek.name: 50 + 30, tree.dak_man.name: 30}
    viettel = [row for row in historical["organisations"] if row["organisation"] == VIETTEL]
    assert [(row["unit_name"], row["accepted"]) for row in viettel] == [
        (tree.dak_glei.name, 1),
        (tree.dak_man.name, 1),
    ]
    vnpt_area = next(
        row
        for row in current["organisations"]
        if row["organisation"] == VNPT and row["unit_id"] is None
    )
    assert (vnpt_area["referred"], vnpt_area["delivered"], vnpt_area["refused"]) == (3, 1, 1)
    as_csv = client.get(
        "/api/v1/stats/device-needs",
        params={"unit_id": str(tree.dak_glei.id), "format": "csv"},
        headers=headers,
    )
    assert as_csv.status_code == 200
    lines = as_csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("unit_id,unit_name,organisation,households_without_smartphone")
    assert len(lines) == 1 + 1 + len(current["units"]) + len(current["organisations"])


def test_a_national_viewer_reads_the_figures_per_province(
    client: TestClient, session: Session, settings: Any, tree: Tree
) -> None:
    viewer = make_user(session, Role.VIEWER, None)
    make_device_need(session, tree.dak_pek_village)
    make_support_request(session, tree.dak_pek_village, status=S.DONE, done_at=T0)
    session.commit()
    headers = bearer(settings, viewer)
    needs = client.get("/api/v1/stats/device-needs", headers=headers).json()
    assert needs["area"]["unit_id"] is None
    assert [(u["unit_name"], u["households_without_smartphone"]) for u in needs["units"]] == [
        (tree.kon_tum.name, 30)
    ]
    support = client.get("/api/v1/stats/support-requests", headers=headers).json()
    assert [(u["unit_name"], u["done"]) for u in support["units"]] == [(tree.kon_tum.name, 1)]
