"""Every request body of the OpenAPI document has an example, and the server accepts it.

Examples name objects by the ids of ``cnscd_api.core.examples``; ``substitutions``
maps each to an object made here (the rolled-back transaction of the test), and the
path parameters of each operation to such objects too. The example of an upload names
a file; the test sends a workbook of that name with one valid row.
"""

from __future__ import annotations

import io
import json
from datetime import date
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlmodel import Session, select

from cnscd_api.core import examples
from cnscd_api.members.importer import HEADER_OF
from cnscd_api.models import (
    ActivityStatus,
    ContentCategory,
    Indicator,
    ReferralStatus,
    Role,
    SupportRequestStatus,
)
from tests.factories import (
    Tree,
    bearer,
    make_activity,
    make_allowance_rule,
    make_campaign,
    make_device_need,
    make_device_referral,
    make_endpoint,
    make_member,
    make_statement,
    make_support_request,
    make_team,
    make_user,
)

# The order requests go in: a login before the refresh it gives the token of, the
# password change last (it ends the caller's sessions).
ORDER = [
    ("post", "/api/v1/auth/token"),
    ("post", "/api/v1/auth/refresh"),
    ("post", "/api/v1/auth/logout"),
]
LAST = [("post", "/api/v1/auth/password")]


def body_example(spec: dict[str, Any], operation: dict[str, Any]) -> tuple[str, Any]:
    """The media type and example of an operation's request body."""
    content = operation["requestBody"]["content"]
    media_type, media = next(iter(content.items()))
    schema = media["schema"]
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    assert schema.get("examples"), f"{operation['operationId']}: the body has no example"
    return media_type, schema["examples"][0]


def _replace(value: Any, substitutions: dict[str, str]) -> Any:
    text = json.dumps(value)
    for placeholder, real in substitutions.items():
        text = text.replace(placeholder, real)
    return json.loads(text)


def _workbook(team_id: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    row = {"full_name": "Y Thị Hoa", "affiliation": "Đoàn Thanh niên", "team_id": team_id}
    sheet.append([HEADER_OF[key] for key in row])
    sheet.append(list(row.values()))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_every_request_body_example_is_accepted(
    app: FastAPI, client: TestClient, session: Session, tree: Tree
) -> None:
    admin = make_user(
        session, Role.PROVINCE_ADMIN, tree.kon_tum, "tinh.kontum", password=examples.DEMO_PASSWORD
    )
    team = make_team(session, tree.dak_pek_village)
    member = make_member(session, team)
    officer = make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek)
    endpoint = make_endpoint(session, admin)
    campaign = make_campaign(session, tree.kon_tum)
    leader = make_user(session, Role.TEAM_LEADER, tree.dak_pek_village, team_id=team.id)
    # Each review of an activity needs an activity in the state that review starts from.
    activity_of = {
        "/api/v1/activities/{activity_id}": make_activity(session, team, leader),
        "/api/v1/activities/{activity_id}/approve": make_activity(session, team, leader),
        "/api/v1/activities/{activity_id}/reject": make_activity(session, team, leader),
        "/api/v1/activities/{activity_id}/reopen": make_activity(
            session, team, leader, status=ActivityStatus.APPROVED
        ),
    }
    # Each move of a support request needs a request in the state it starts from, and
    # the partner's answers are the partner's to give.
    partner = make_user(session, Role.PARTNER, tree.kon_tum, organisation="VNPT Kon Tum")
    waiting = SupportRequestStatus.REQUESTED
    request_of = {
        f"/api/v1/support-requests/{{request_id}}{action}": make_support_request(
            session,
            tree.dak_pek_village,
            status=SupportRequestStatus.ACCEPTED if action in accepted_first else waiting,
        )
        for accepted_first in [("/schedule", "/complete")]
        for action in ("", "/accept", "/decline", "/schedule", "/complete", "/cancel")
    }
    referral_of = {
        f"/api/v1/device-referrals/{{referral_id}}{action}": make_device_referral(
            session,
            tree.dak_pek_village,
            status=ReferralStatus.ACCEPTED if action == "/deliver" else ReferralStatus.REQUESTED,
        )
        for action in ("/accept", "/deliver", "/refuse")
    }
    partner_paths = {
        *(
            f"/api/v1/support-requests/{{request_id}}{action}"
            for action in ("/accept", "/decline", "/schedule", "/complete")
        ),
        *referral_of,
    }
    need = make_device_need(session, tree.dak_pek_village)
    category = session.exec(select(ContentCategory).where(ContentCategory.code == "vneid")).one()
    indicator = session.exec(select(Indicator).where(Indicator.code == "people_guided")).one()
    # A later rule to correct, and a month approved before the example's rule starts.
    rule = make_allowance_rule(session, tree.kon_tum, date(2030, 1, 1))
    approved = make_statement(session, tree.dak_man, date(2023, 12, 1), approved=True)
    session.commit()
    client.headers.update(bearer(app.state.settings, admin))
    client_id = client.post(
        "/api/v1/api-clients",
        json={"name": "Đối tác", "organisation": "VNPT", "scope_unit_id": str(tree.kon_tum.id)},
    ).json()["client_id"]
    substitutions = {
        examples.PROVINCE_ID: str(tree.kon_tum.id),
        examples.DISTRICT_ID: str(tree.dak_glei.id),
        examples.COMMUNE_ID: str(tree.dak_pek.id),
        examples.VILLAGE_ID: str(tree.dak_pek_village.id),
        examples.TEAM_ID: str(team.id),
        # No name resolves in the tests: the webhook example's host becomes an address.
        "https://hooks.partner.example/cnscd": endpoint.url,
    }
    path_ids = {
        "unit_id": str(tree.dak_pek_village.id),
        "team_id": str(team.id),
        "member_id": str(member.id),
        "user_id": str(officer.id),
        "client_id": client_id,
        "campaign_id": str(campaign.id),
        "category_id": str(category.id),
        "indicator_id": str(indicator.id),
        "endpoint_id": str(endpoint.id),
        "rule_id": str(rule.id),
        "statement_id": str(approved.id),
    }

    spec = app.openapi()
    with_body = [
        (method, path)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if "requestBody" in operation
    ]
    assert set(ORDER + LAST) <= set(with_body)
    middle = sorted(set(with_body) - set(ORDER) - set(LAST))
    posted = []
    for method, path in ORDER + middle + LAST:
        operation = spec["paths"][path][method]
        media_type, example = body_example(spec, operation)
        example = _replace(example, substitutions)
        activity = activity_of.get(path)
        request = request_of.get(path)
        referral = referral_of.get(path)
        url = path.format(
            **path_ids,
            activity_id=activity.id if activity else "",
            request_id=request.id if request else "",
            referral_id=referral.id if referral else "",
            need_id=need.id,
        )
        headers = bearer(app.state.settings, partner) if path in partner_paths else None
        if media_type == "application/json":
            response = client.request(method, url, json=example, headers=headers)
        elif media_type == "multipart/form-data":
            files = {name: (value, _workbook(str(team.id))) for name, value in example.items()}
            response = client.request(method, url, files=files)
        else:
            response = client.request(method, url, data=example)
        assert 200 <= response.status_code < 300, (
            f"{method.upper()} {path} refused its example {example}: {response.text}"
        )
        if path == "/api/v1/auth/token" or path == "/api/v1/auth/refresh":
            # The next example presents the refresh token this answer gave.
            substitutions[examples.REFRESH_TOKEN] = response.json()["refresh_token"]
        posted.append(f"{method.upper()} {path}")
    assert len(posted) == len(with_body) >= 13, posted
