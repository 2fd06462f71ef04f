"""Every integer a client sends in a JSON body is a JSON number: `true` and `"12"` are
refused (pydantic alone read them as 1 and 12), `12.0` is 12 (an integer as JSON Schema
counts them, which is what the document says) and `12.5` is refused. The test walks the
document, so an integer field added without the rule fails here."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests import test_text_rule
from tests.test_text_rule import ITEM_BY_ITEM, StringField, _send, request_fields

# The objects the walk's requests name in their paths (a fixture).
objects = test_text_rule.objects

NOT_INTEGERS = (True, "12", 12.5)


def _errors(field: StringField, response: Any) -> list[dict[str, Any]]:
    if field.path in ITEM_BY_ITEM:
        # An offline batch answers each item: the item is invalid, naming the field.
        assert response.status_code == 200, response.text
        item = response.json()["items"][0]
        assert item["status"] == "invalid"
        errors: list[dict[str, Any]] = item["errors"]
        return errors
    assert response.status_code == 422, f"{field}: {response.text}"
    return list(response.json()["errors"])


def test_every_integer_field_of_every_request_body_takes_json_numbers_only(
    app: FastAPI,
    admin_client: TestClient,
    objects: dict[str, str],
) -> None:
    fields = request_fields(app, "integer", ("application/json",))
    names = {str(field) for field in fields}
    for expected in (
        "POST /api/v1/activities body.values.people_guided",
        "POST /api/v1/activities body.partner_staff",
        "POST /api/v1/activities/batch body.activities.0.values.people_guided",
        "PUT /api/v1/campaigns/{campaign_id}/targets body.targets.0.value",
        "POST /api/v1/campaigns body.grace_days",
        "POST /api/v1/members body.birth_year",
        "PATCH /api/v1/units/{unit_id} body.households",
    ):
        assert expected in names, sorted(names)
    for field in fields:
        for value in NOT_INTEGERS:
            errors = _errors(field, _send(admin_client, field, value, objects))  # type: ignore[arg-type]
            kinds = {e["code"] for e in errors if e["field"] == field.name}
            assert kinds & {"int_type", "int_from_float"}, f"{field} took {value!r}: {errors}"


@pytest.mark.parametrize(("sent", "stored"), [(12.0, 12), (12, 12)])
def test_a_whole_number_written_with_a_zero_fraction_is_that_integer(
    admin_client: TestClient,
    objects: dict[str, str],
    sent: Any,
    stored: int,
) -> None:
    unit = f"/api/v1/units/{objects['unit_id']}"
    response = admin_client.patch(unit, json={"households": sent})
    assert response.status_code == 200, response.text
    assert response.json()["households"] == stored
