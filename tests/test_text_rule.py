"""One text rule for every string a client sends: no control characters (but line breaks
in notes), no invisible format characters (bidi overrides, zero-width spaces), no
surrogates, private-use characters or noncharacters — refused with 422 before either
database sees the value, so SQLite and PostgreSQL behave alike."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select

from cnscd_api.core import clock
from cnscd_api.core.errors import PROBLEM_CODES
from cnscd_api.core.fields import forbidden_character
from cnscd_api.models import ContentCategory, Indicator, Member, Role, Team, User
from tests.factories import (
    Tree,
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
from tests.routes import iter_routes

BIDI_OVERRIDE = "\u202e"
ZERO_WIDTH_SPACE = "\u200b"
MEMBERS = "/api/v1/members"


# --- the rule itself ----------------------------------------------------------------


@pytest.mark.parametrize(
    "ch",
    [
        *(chr(c) for c in range(0x202A, 0x202F)),  # embeddings and overrides
        *(chr(c) for c in range(0x2066, 0x206A)),  # isolates
        "\u200e",  # left-to-right mark
        "\u061c",  # Arabic letter mark
        "\u200b",  # zero-width space
        "\u200c",  # zero-width non-joiner
        "\u200d",  # zero-width joiner
        "\ufeff",  # byte-order mark
        "\u00ad",  # soft hyphen
        "\U000e0041",  # tag character
        "\x00",
        "\x07",  # BEL
        "\x1b",  # ESC
        "\x7f",  # DEL
        "\x85",  # NEL
        "\n",
        "\r",
        "\t",
        "\u2028",  # line separator
        "\u2029",  # paragraph separator
        "\ud800",  # unpaired surrogate
        "\ue000",  # private use
        "\U000f0000",  # supplementary private use
        "\ufdd0",  # noncharacters
        "\ufffe",
        "\uffff",
        "\U0010ffff",
    ],
    ids=lambda ch: f"U+{ord(ch):04X}",
)
def test_single_line_text_refuses(ch: str) -> None:
    assert forbidden_character(f"Nguyễn{ch}An") == ch


@pytest.mark.parametrize(
    "text",
    [
        "Nguyễn Văn An",
        "Y Blông Ê-ban",
        "Nguye\u0302\u0303n",  # decomposed accents (combining marks) are letters
        "H'Hen Niê",
        "Tổ CNSCĐ thôn Đắk Ung 👍",  # an emoji on its own stays
        "👍🏽 🇻🇳 ❤️",  # skin tones, flags and variation selectors too
        "\U0001fae8",  # a code point newer than Python's Unicode tables: allowed
        "Ðinh Thị Hoa",
        "A\u00a0B",  # no-break space, as Excel pastes it
        "125/QĐ-UBND",
    ],
)
def test_single_line_text_accepts(text: str) -> None:
    assert forbidden_character(text) is None


@pytest.mark.parametrize("text", ["dòng 1\ndòng 2", "a\r\nb", "cột\tcột", "a\u2028b"])
def test_multiline_text_accepts_line_breaks_and_tabs(text: str) -> None:
    assert forbidden_character(text, multiline=True) is None
    assert forbidden_character(text) is not None


@pytest.mark.parametrize("ch", ["\x00", "\x07", BIDI_OVERRIDE, ZERO_WIDTH_SPACE])
def test_multiline_text_refuses_the_rest(ch: str) -> None:
    assert forbidden_character(f"dòng 1\ndòng{ch} 2", multiline=True) == ch


# --- every string field of every request body ---------------------------------------

# Passwords and client secrets are not shown, exported or compared as text: they follow
# their own rule (no control characters, no surrogates in new passwords; anything at
# login), so bidi and zero-width characters, which password managers may produce, pass.
PASSWORD_FIELDS = {
    ("/api/v1/auth/token", "password"),
    ("/api/v1/auth/token", "client_secret"),
    ("/api/v1/auth/password", "current_password"),
    ("/api/v1/auth/password", "new_password"),
    ("/api/v1/users", "password"),
    ("/api/v1/users/{user_id}", "password"),
}
# Fields whose pattern or format needs a sample of their own (others get a name).
SAMPLES = {
    "phone": "0912345678",
    "email": "an.nguyen@kontum.gov.vn",
    "username": "xa.dakpek",
    # Satisfies every code pattern: units' official codes, campaigns', the catalogue's.
    "code": "kt62999",
    "categories": "vneid",
    "indicator": "people_guided",
    "month": "2024-10",
}
# Routes that answer a body's items one by one, within a 200.
ITEM_BY_ITEM = {"/api/v1/activities/batch"}
BODY_MEDIA_TYPES = ("application/json", "application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True)
class StringField:
    method: str
    path: str
    media_type: str
    loc: tuple[str | int, ...]
    schema: dict[str, Any]
    # Fixed values the body needs on the way (a discriminated union member's tag).
    tags: tuple[tuple[tuple[str | int, ...], Any], ...] = ()

    @property
    def name(self) -> str:
        return ".".join(str(part) for part in ("body", *self.loc))

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path} {self.name}"


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


Tags = tuple[tuple[tuple[str | int, ...], Any], ...]


# A key for a map's entry (indicator values): it satisfies the catalogue code pattern.
MAP_KEY = "people_guided"


def fields_of_type(
    spec: dict[str, Any],
    schema: dict[str, Any],
    loc: tuple[str | int, ...],
    kind: str,
    tags: Tags = (),
) -> Iterator[tuple[tuple[str | int, ...], dict[str, Any], Tags]]:
    """The fields of JSON type ``kind`` below ``schema``, with where they are."""
    schema = _resolve(spec, schema)
    for branch in schema.get("anyOf", []) + schema.get("oneOf", []) + schema.get("allOf", []):
        yield from fields_of_type(spec, branch, loc, kind, tags)
    found = schema.get("type")
    if found == kind == "string":
        if schema.get("format") != "binary" and "contentMediaType" not in schema:
            yield loc, schema, tags
    elif found == kind:
        yield loc, schema, tags
    elif found == "object":
        properties = {n: _resolve(spec, p) for n, p in schema.get("properties", {}).items()}
        fixed = tuple(((*loc, n), p["const"]) for n, p in properties.items() if "const" in p)
        for name, prop in properties.items():
            yield from fields_of_type(spec, prop, (*loc, name), kind, tags + fixed)
        entries = schema.get("additionalProperties")
        if isinstance(entries, dict):
            yield from fields_of_type(spec, entries, (*loc, MAP_KEY), kind, tags + fixed)
    elif found == "array":
        yield from fields_of_type(spec, schema.get("items", {}), (*loc, 0), kind, tags)


def request_fields(
    app: FastAPI, kind: str, media_types: tuple[str, ...] = BODY_MEDIA_TYPES
) -> list[StringField]:
    """Every field of JSON type ``kind`` in every request body of the document."""
    spec = app.openapi()
    found: list[StringField] = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {})
            for media_type in media_types:
                if media_type in content:
                    walked = fields_of_type(spec, content[media_type]["schema"], (), kind)
                    for loc, schema, tags in walked:
                        found.append(StringField(method, path, media_type, loc, schema, tags))
    return found


def request_string_fields(app: FastAPI) -> list[StringField]:
    return request_fields(app, "string")


def test_every_route_with_a_body_is_in_the_walk(app: FastAPI) -> None:
    """The walk goes through the OpenAPI document; no route with a body hides from it."""
    documented = {
        (method, path)
        for path, item in app.openapi()["paths"].items()
        for method, operation in item.items()
        if "requestBody" in operation
    }
    with_body = {
        (method.lower(), route.path)
        for route in iter_routes(app)
        if route.dependant is not None and route.dependant.body_params
        for method in route.methods
    }
    assert with_body
    assert with_body <= documented


def _good_value(field: StringField) -> str:
    schema = field.schema
    if "enum" in schema:
        return str(schema["enum"][0])
    formats = {
        "uuid": str(uuid.uuid4()),
        "date": clock.today().isoformat(),  # not in the future, not before a joining day
        "date-time": "2024-09-01T08:00:00+07:00",
    }
    if schema.get("format") in formats:
        return formats[schema["format"]]
    name = next(str(part) for part in reversed(field.loc) if isinstance(part, str))
    sample = SAMPLES.get(name, "Nguyễn Văn An")
    if "pattern" in schema:
        assert re.search(schema["pattern"], sample), (
            f"{field}: add a valid sample of its pattern to SAMPLES"
        )
    return sample


def _put(body: Any, loc: tuple[str | int, ...], value: Any) -> Any:
    """``body`` with ``value`` at ``loc``, building the objects and lists on the way."""
    if not loc:
        return value
    part, rest = loc[0], loc[1:]
    if isinstance(part, int):
        items = body if isinstance(body, list) else []
        items += [None] * (part + 1 - len(items))
        items[part] = _put(items[part], rest, value)
        return items
    fields = body if isinstance(body, dict) else {}
    fields[part] = _put(fields.get(part), rest, value)
    return fields


def _body(field: StringField, value: str) -> Any:
    body: Any = None
    for loc, tag in field.tags:
        body = _put(body, loc, tag)
    return _put(body, field.loc, value)


@pytest.fixture
def objects(session: Session, tree: Tree, province_admin: User) -> dict[str, str]:
    """An object of each kind, for the routes whose path names one."""
    endpoint = make_endpoint(session, province_admin)
    team = make_team(session, tree.dak_pek_village)
    member = make_member(session, team)
    user = make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek)
    campaign = make_campaign(session, tree.kon_tum)
    leader = make_user(session, Role.TEAM_LEADER, tree.dak_pek_village, team_id=team.id)
    activity = make_activity(session, team, leader)
    category = session.exec(select(ContentCategory).where(ContentCategory.code == "vneid")).one()
    indicator = session.exec(select(Indicator).where(Indicator.code == "people_guided")).one()
    request = make_support_request(session, tree.dak_pek_village)
    need = make_device_need(session, tree.dak_pek_village)
    referral = make_device_referral(session, tree.dak_pek_village)
    rule = make_allowance_rule(session, tree.kon_tum, date(2030, 1, 1))
    statement = make_statement(session, tree.dak_man, date(2023, 12, 1), approved=True)
    session.commit()
    return {
        "unit_id": str(tree.dak_pek_village.id),
        "team_id": str(team.id),
        "member_id": str(member.id),
        "user_id": str(user.id),
        "campaign_id": str(campaign.id),
        "category_id": str(category.id),
        "indicator_id": str(indicator.id),
        "activity_id": str(activity.id),
        "endpoint_id": str(endpoint.id),
        "request_id": str(request.id),
        "need_id": str(need.id),
        "referral_id": str(referral.id),
        "rule_id": str(rule.id),
        "statement_id": str(statement.id),
    }


def _send(client: TestClient, field: StringField, value: str, objects: dict[str, str]) -> Any:
    url = field.path.format(**objects)
    body = _body(field, value)
    if field.media_type == "application/json":
        response = client.request(field.method, url, json=body)
    elif field.media_type == "multipart/form-data":
        response = client.request(field.method, url, files={k: (None, v) for k, v in body.items()})
    else:
        response = client.request(field.method, url, data=body)
    assert response.status_code != 500, f"{field}: {response.text}"
    return response


def test_every_string_field_of_every_request_body_follows_the_text_rule(
    app: FastAPI, admin_client: TestClient, objects: dict[str, str]
) -> None:
    """A string field added without the rule fails here: each must refuse a value with
    a bidi override and one with a zero-width space (422 naming the field), and accept
    the same value without them."""
    fields = request_string_fields(app)
    assert len(fields) > 40, fields
    exempt = {(f.path, f.loc[-1]) for f in fields if (f.path, f.loc[-1]) in PASSWORD_FIELDS}
    assert exempt == PASSWORD_FIELDS, "a password field was renamed or removed"
    checked = []
    for field in fields:
        if (field.path, field.loc[-1]) in PASSWORD_FIELDS:
            continue
        if "const" in field.schema:
            continue  # a discriminator's tag is one fixed word, not text
        good = _good_value(field)
        accepted = _send(admin_client, field, good, objects)
        # A random id may name nothing (a member who never joined): only its form matters.
        if accepted.status_code == 422 and field.schema.get("format") != "uuid":
            # A rule across fields may blame the field (team_only_for_leaders); the text
            # rule's own errors are pydantic's.
            refused = {
                e["field"]
                for e in accepted.json().get("errors", [])
                if e["code"] not in PROBLEM_CODES
            }
            assert field.name not in refused, (
                f"{field}: the sample {good!r} is refused: {accepted.text}"
            )
        for ch in (BIDI_OVERRIDE, ZERO_WIDTH_SPACE):
            bad = good[:2] + ch + good[2:]
            response = _send(admin_client, field, bad, objects)
            if field.path in ITEM_BY_ITEM:
                # An offline batch answers each item: the item is invalid, naming the field.
                assert response.status_code == 200, response.text
                item = response.json()["items"][0]
                assert item["status"] == "invalid", f"{field} accepted U+{ord(ch):04X}"
                errors = item["errors"]
            else:
                assert response.status_code == 422, f"{field} accepted U+{ord(ch):04X}"
                assert response.headers["content-type"] == "application/problem+json"
                errors = response.json()["errors"]
            assert field.name in {e["field"] for e in errors}, f"{field}: {errors}"
            assert ch not in response.text  # the message names the character, never echoes it
        checked.append(str(field))
    assert "POST /api/v1/members body.full_name" in checked
    assert "POST /api/v1/auth/token body.username" in checked


# --- the same answer on SQLite and PostgreSQL ---------------------------------------


def member_count(session: Session) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(Member)).one()


@pytest.fixture
def team(session: Session, tree: Tree) -> Team:
    team = make_team(session, tree.dak_pek_village)
    session.commit()
    return team


@pytest.mark.parametrize("ch", ["\x00", "\x07", "\x1b", BIDI_OVERRIDE, ZERO_WIDTH_SPACE])
def test_control_and_format_characters_in_an_email_are_refused_on_every_database(
    admin_client: TestClient, session: Session, team: Team, ch: str
) -> None:
    """NUL used to be stored by SQLite and refused by PostgreSQL (as invalid_value);
    BEL and ESC were stored by both. Now all are the same validation error."""
    response = admin_client.post(
        MEMBERS,
        json={
            "team_id": str(team.id),
            "full_name": "Nguyễn Văn An",
            "affiliation": "police",
            "email": f"an{ch}@kontum.gov.vn",
        },
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "validation_failed"
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("body.email", "value_error")]
    assert f"U+{ord(ch):04X}" in body["errors"][0]["message"]
    assert member_count(session) == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("full_name", f"Nguyễn{BIDI_OVERRIDE}nA nạV"),
        ("full_name", f"Nguyễn{ZERO_WIDTH_SPACE} Văn An"),
        ("full_name", "\ufeffNguyễn Văn An"),
        ("organisation", f"VNPT{BIDI_OVERRIDE} Kon Tum"),
        ("phone", f"0912{ZERO_WIDTH_SPACE}345678"),
    ],
)
def test_invisible_characters_in_member_fields_are_refused(
    admin_client: TestClient, session: Session, team: Team, field: str, value: str
) -> None:
    body = {"team_id": str(team.id), "full_name": "Nguyễn Văn An", "affiliation": "police"}
    response = admin_client.post(MEMBERS, json={**body, field: value})
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [f"body.{field}"]
    assert member_count(session) == 0


def test_an_unpaired_surrogate_is_a_422_not_a_server_error(
    admin_client: TestClient, session: Session, team: Team, province_admin: User
) -> None:
    """JSON may escape a lone surrogate, which neither database nor UTF-8 can hold."""
    raw = json.dumps({"team_id": str(team.id), "full_name": "A", "affiliation": "police"}).replace(
        '"A"', '"A\\ud800B"'
    )
    response = admin_client.post(
        MEMBERS, content=raw.encode(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "body.full_name"
    password = admin_client.post(
        "/api/v1/auth/password",
        content=b'{"current_password": "x", "new_password": "Mat-khau-\\udc00-2025"}',
        headers={"Content-Type": "application/json"},
    )
    assert password.status_code == 422, password.text
    assert password.json()["errors"][0]["field"] == "body.new_password"
    assert member_count(session) == 0


def test_passwords_may_hold_any_printable_character_but_no_control_character(
    admin_client: TestClient, tree: Tree
) -> None:
    def create(username: str, password: str) -> Any:
        return admin_client.post(
            "/api/v1/users",
            json={
                "username": username,
                "full_name": "Cán bộ xã",
                "role": "commune_officer",
                "scope_unit_id": str(tree.dak_pek.id),
                "password": password,
            },
        )

    emoji = create("xa.emoji", "Mật-khẩu-👩\u200d💻-2025")
    assert emoji.status_code == 201, emoji.text
    control = create("xa.control", "Mat-khau-\x07-2025")
    assert control.status_code == 422, control.text
    assert [e["field"] for e in control.json()["errors"]] == ["body.password"]
    assert "\x07" not in control.text


def test_notes_keep_line_breaks_but_not_invisible_characters(
    admin_client: TestClient, team: Team
) -> None:
    url = f"/api/v1/teams/{team.id}"
    assert admin_client.patch(url, json={"note": "dòng 1\r\ndòng 2\tcột"}).status_code == 200
    refused = admin_client.patch(url, json={"note": f"dòng 1\n{BIDI_OVERRIDE}dòng 2"})
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "body.note"
    assert admin_client.get(url).json()["note"] == "dòng 1\r\ndòng 2\tcột"


def test_the_published_pattern_is_the_rule() -> None:
    """What the OpenAPI document states (`TEXT_PATTERN`, `MULTILINE_PATTERN`) admits a
    character exactly when the server does, for every code point but surrogates."""
    from cnscd_api.core.fields import MULTILINE_PATTERN, TEXT_PATTERN

    text, multiline = re.compile(TEXT_PATTERN), re.compile(MULTILINE_PATTERN)
    for point in range(0x110000):
        if 0xD800 <= point <= 0xDFFF:
            continue
        ch = chr(point)
        assert (text.fullmatch(ch) is not None) == (forbidden_character(ch) is None), hex(point)
        assert (multiline.fullmatch(ch) is not None) == (
            forbidden_character(ch, multiline=True) is None
        ), hex(point)


# Code points that Unicode versions after 14.0 put in a refused category, each of them
# unassigned (Cn) in 14.0: found by comparing Python 3.11's tables (14.0) with those of
# unicodedata2 15.0.0 and 15.1.0, the versions of Python 3.12 and 3.13 (the Egyptian
# hieroglyph format controls U+13439–U+1343F, Cf since 15.0). Nothing left a category.
LATER_ADDITIONS = {
    "14.0.0": frozenset(),
    "15.0.0": frozenset(range(0x13439, 0x13440)),
    "15.1.0": frozenset(range(0x13439, 0x13440)),
}


def test_the_table_of_refused_characters_follows_unicode() -> None:
    """The fixed table is Unicode 14.0's categories Cc, Cf, Co, Zl, Zp and noncharacters,
    checked on every Python that pyproject.toml allows (3.11 to 3.13: Unicode 14.0 to
    15.1): on a later Unicode, the table is its categories but for what was added since
    14.0, so the rule does not move with the Python the server runs on."""
    import unicodedata

    from cnscd_api.core.fields import REFUSED_RANGES, UNICODE_VERSION, is_noncharacter

    assert UNICODE_VERSION == "14.0.0"
    assert unicodedata.unidata_version in LATER_ADDITIONS, (
        f"Python's Unicode tables are {unicodedata.unidata_version}: compare them with "
        "14.0's and list what they added to the refused categories in LATER_ADDITIONS"
    )
    later = LATER_ADDITIONS[unicodedata.unidata_version]
    table = {point for start, end in REFUSED_RANGES for point in range(start, end + 1)}
    categories = {
        point
        for point in range(0x110000)
        if unicodedata.category(chr(point)) in {"Cc", "Cf", "Co", "Zl", "Zp"}
        or is_noncharacter(chr(point))
    }
    assert later <= categories
    assert table == categories - later
