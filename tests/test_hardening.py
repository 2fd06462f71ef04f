"""Inputs found by review and fuzzing that once produced a 500 or leaked data."""

from __future__ import annotations

import io
import time
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import QueuePool
from sqlmodel import Session

from cnscd_api.config import Settings
from cnscd_api.db import Database, create_db_engine
from cnscd_api.main import create_app
from cnscd_api.models import Role
from tests.databases import settings_for
from tests.factories import Tree, bearer, make_member, make_team, make_user, make_village

MEMBERS = "/api/v1/members"


def test_control_characters_are_refused_not_stored(
    admin_client: TestClient, session: Session, tree: Tree
) -> None:
    team = make_team(session, tree.dak_pek_village)
    session.commit()
    response = admin_client.post(
        MEMBERS, json={"team_id": str(team.id), "full_name": "A\u0001B", "affiliation": "police"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.full_name"
    note = admin_client.patch(f"/api/v1/teams/{team.id}", json={"note": "dòng 1\ndòng 2\tx"})
    assert note.status_code == 200
    export = admin_client.get("/api/v1/teams/export", params={"format": "xlsx"})
    assert export.status_code == 200
    assert len(export.content) > 0


def test_chunked_bodies_past_the_limit_are_413(admin_client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(12):
            yield b"x" * (1024 * 1024)

    response = admin_client.post(
        "/api/v1/members/import",
        content=chunks(),
        headers={"Content-Type": "multipart/form-data; boundary=abc"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


def test_a_zip_bomb_is_refused_before_it_is_unpacked(admin_client: TestClient) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/sharedStrings.xml", "a" * (120 * 1024 * 1024))
    response = admin_client.post(
        "/api/v1/members/import",
        files={"file": ("bomb.xlsx", buffer.getvalue(), "application/zip")},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "import_unreadable"


def test_a_truncated_workbook_is_unreadable_not_a_crash(admin_client: TestClient) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook><sheets><sheet")
    response = admin_client.post(
        "/api/v1/members/import",
        files={"file": ("broken.xlsx", buffer.getvalue(), "application/zip")},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "import_unreadable"


def test_calendar_extremes_in_audit_filters(admin_client: TestClient) -> None:
    for params in ({"from": "9999-12-31T23:59:59-14:00"}, {"to": "0001-01-01T00:00:00+14:00"}):
        assert admin_client.get("/api/v1/audit-events", params=params).status_code == 200


def test_unicode_digits_in_a_birth_year_are_a_row_error(
    admin_client: TestClient, session: Session, tree: Tree
) -> None:
    team = make_team(session, tree.dak_pek_village)
    session.commit()
    content = f"Họ và tên,Năm sinh,Thành phần,Mã tổ\nA Tút,²⁰⁰⁰,Công an,{team.id}\n".encode()
    response = admin_client.post(
        "/api/v1/members/import", files={"file": ("m.csv", content, "text/csv")}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["column"] == "Năm sinh"


def test_a_member_who_left_returns_only_by_joining(
    admin_client: TestClient, session: Session, tree: Tree
) -> None:
    team = make_team(session, tree.dak_pek_village)
    session.commit()
    member = admin_client.post(
        MEMBERS, json={"team_id": str(team.id), "full_name": "Y Blin", "affiliation": "other"}
    ).json()
    url = f"{MEMBERS}/{member['id']}"
    assert admin_client.patch(url, json={"left_on": member["joined_on"]}).status_code == 200
    promoted = admin_client.patch(url, json={"role": "deputy"})
    assert promoted.status_code == 409
    assert admin_client.get(url).json()["active"] is False


def test_history_does_not_name_teams_outside_the_scope(
    admin_client: TestClient, client: TestClient, session: Session, settings: Settings, tree: Tree
) -> None:
    secret = make_team(session, tree.dak_pek_village, "Tổ bí mật Đắk Pék")
    here = make_team(session, tree.dak_man, "Tổ xã Đắk Man")
    officer = make_user(session, Role.COMMUNE_OFFICER, tree.dak_man)
    session.commit()
    member = admin_client.post(
        MEMBERS, json={"team_id": str(secret.id), "full_name": "A Sang", "affiliation": "police"}
    ).json()
    moved = admin_client.patch(f"{MEMBERS}/{member['id']}", json={"team_id": str(here.id)})
    assert moved.status_code == 200, moved.text
    seen = client.get(f"{MEMBERS}/{member['id']}", headers=bearer(settings, officer)).json()
    assert [period["team_name"] for period in seen["memberships"]] == [None, "Tổ xã Đắk Man"]
    assert "bí mật" not in str(seen)


# --- limits -----------------------------------------------------------------------------------


def test_a_json_body_over_1_mb_is_413_and_one_under_is_read(
    admin_client: TestClient, session: Session, tree: Tree
) -> None:
    over = b'{"name": "' + b"a" * (1024 * 1024) + b'"}'
    response = admin_client.post(
        "/api/v1/teams", content=over, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "payload_too_large"
    assert "1 MB" in response.json()["detail"]
    vietnamese = admin_client.post(
        "/api/v1/teams",
        content=over,
        headers={"Content-Type": "application/json", "Accept-Language": "vi"},
    )
    assert "1 MB" in vietnamese.json()["detail"]
    assert vietnamese.json()["detail"] != response.json()["detail"]
    # Just under the limit, the body is read and answered on its merits.
    under = b'{"name": "' + b"a" * (1024 * 1024 - 100) + b'"}'
    read = admin_client.post(
        "/api/v1/teams", content=under, headers={"Content-Type": "application/json"}
    )
    assert read.status_code == 422
    assert {error["field"] for error in read.json()["errors"]} >= {"body.name", "body.unit_id"}


def test_a_form_body_over_1_mb_is_413(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": "a", "password": "x" * (1024 * 1024)},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_limit_over_500_is_refused_on_every_list(
    admin_client: TestClient, session: Session, tree: Tree
) -> None:
    """Every operation that pages takes at most 500 items a page; asking for more is a
    422 naming ``query.limit``, never a longer page."""
    team = make_team(session, tree.dak_pek_village)
    session.commit()
    endpoint = admin_client.post(
        "/api/v1/webhook-endpoints", json={"url": "https://93.184.215.14/hook"}
    ).json()
    ids = {"unit_id": str(tree.dak_pek.id), "team_id": str(team.id), "endpoint_id": endpoint["id"]}
    paths = admin_client.get("/openapi.json").json()["paths"]
    paged = {
        path: item["get"]["parameters"]
        for path, item in paths.items()
        if any(p["name"] == "limit" for p in item.get("get", {}).get("parameters", []))
    }
    assert len(paged) >= 10
    for path, parameters in paged.items():
        url = path.format(**ids)
        # A required query parameter (a ranking's indicator) takes its documented example.
        extra = {
            p["name"]: p["schema"]["examples"][0]
            for p in parameters
            if p["in"] == "query" and p.get("required")
        }
        assert admin_client.get(url, params={"limit": 500, **extra}).status_code == 200, url
        refused = admin_client.get(url, params={"limit": 501, **extra})
        assert refused.status_code == 422, url
        assert [error["field"] for error in refused.json()["errors"]] == ["query.limit"], url


def _nested(depth: int, opening: str, closing: str, inner: str = "1") -> bytes:
    return (opening * depth + inner + closing * depth).encode()


def test_deeply_nested_or_huge_json_is_refused_without_a_stall(
    admin_client: TestClient, session: Session, tree: Tree
) -> None:
    """Bodies made to exhaust the parser or the validator (nesting far past any real
    document, a huge array, thousands of keys) are a 4xx problem, quickly."""
    team = make_team(session, tree.dak_pek_village)
    session.commit()
    arrays = _nested(200_000, "[", "]")
    objects = _nested(100_000, '{"a":', "}")
    bodies = {
        "/api/v1/teams": [
            arrays,
            objects,
            b'{"unit_id": "' + str(tree.dak_pek.id).encode() + b'", "name": ' + arrays + b"}",
            b'{"name": [' + b"1," * 400_000 + b"1]}",
        ],
        "/api/v1/activities": [
            b'{"team_id": "%s", "activity_date": "2024-10-05", "categories": ["vneid"], '
            b'"values": {%s}}'
            % (str(team.id).encode(), b",".join(b'"k%d": 1' % i for i in range(60_000))),
        ],
        "/api/v1/activities/batch": [
            b'{"activities": [' + objects + b"]}",
            b'{"activities": [' + b"{}," * 300_000 + b"{}]}",
        ],
    }
    for path, contents in bodies.items():
        for content in contents:
            assert len(content) <= 1024 * 1024
            started = time.perf_counter()
            response = admin_client.post(
                path,
                content=content,
                headers={"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex},
            )
            elapsed = time.perf_counter() - started
            assert 400 <= response.status_code < 500, (path, response.status_code)
            assert response.headers["content-type"] == "application/problem+json"
            assert elapsed < 5, (path, elapsed)
    assert admin_client.get("/api/v1/activities").json()["total"] == 0


# --- search -----------------------------------------------------------------------------------

LITERAL_NAMES = {
    "%": ("Tổ 100% thôn Kon Pring", "Tổ 1000 thôn Kon Pring"),
    "_": ("Tổ Kon_Tu", "Tổ Konxtu"),
    "'": ("Tổ Đăk Rơ'Wa", "Tổ Đăk Rơ Wa"),
    "\\": ("Tổ Măng\\Đen", "Tổ Măng Đen"),
}


@pytest.mark.parametrize("character", LITERAL_NAMES, ids=["percent", "underscore", "quote", "bs"])
def test_search_takes_like_wildcards_quotes_and_backslashes_literally(
    admin_client: TestClient, session: Session, tree: Tree, character: str
) -> None:
    """``q`` holding ``%``, ``_``, ``'`` or ``\\`` finds the names that hold that very
    character, and not the names that such a character would match as a pattern."""
    holder, lookalike = LITERAL_NAMES[character]
    team = make_team(session, tree.dak_pek_village, holder)
    make_team(session, tree.dak_pek_village, lookalike)
    make_member(session, team, full_name=holder.removeprefix("Tổ "))
    make_member(session, team, full_name=lookalike.removeprefix("Tổ "))
    make_village(session, tree.dak_pek, holder.replace("Tổ", "Thôn"))
    make_village(session, tree.dak_pek, lookalike.replace("Tổ", "Thôn"))
    session.commit()
    word = next(part for part in holder.split() if character in part)
    for path, field in (
        ("/api/v1/teams", "name"),
        ("/api/v1/members", "full_name"),
        ("/api/v1/units", "name"),
    ):
        for query in (word, character):
            found = admin_client.get(path, params={"q": query})
            assert found.status_code == 200, (path, query)
            names = [item[field] for item in found.json()["items"]]
            # Seeded units hold such characters too (Huyện Ia H' Drai).
            assert names, (path, query)
            assert all(character in name for name in names), (path, query, names)
            assert any(name.endswith(holder.removeprefix("Tổ ")) for name in names)


# --- headers ----------------------------------------------------------------------------------


def test_personal_data_and_tokens_are_never_cached(
    admin_client: TestClient, session: Session, tree: Tree
) -> None:
    """Answers that hold tokens or personal data tell browsers and proxies not to keep
    them (``no-store``); no answer may be sniffed into another type."""
    team = make_team(session, tree.dak_pek_village)
    member = make_member(session, team, phone="0912345678")
    session.commit()
    answers = [
        admin_client.get("/api/v1/auth/me"),
        admin_client.get("/api/v1/members"),
        admin_client.get(f"/api/v1/members/{member.id}"),
        admin_client.get("/api/v1/members/export", params={"format": "csv"}),
        admin_client.get("/api/v1/users"),
        admin_client.get("/api/v1/audit-events"),
        admin_client.post(
            "/api/v1/api-clients",
            json={"name": "Sync", "organisation": "VNPT", "scope_unit_id": str(tree.dak_pek.id)},
        ),
        admin_client.get("/api/v1/members", params={"limit": 0}),  # a problem answer
    ]
    for response in answers:
        assert response.headers["cache-control"] == "no-store", response.request.url
        assert response.headers["x-content-type-options"] == "nosniff", response.request.url
    assert "0912345678" in answers[1].text
    docs = admin_client.get("/docs")
    assert docs.headers["x-content-type-options"] == "nosniff"


def test_hsts_is_sent_only_when_configured(client: TestClient, settings: Settings) -> None:
    assert "strict-transport-security" not in client.get("/healthz").headers
    settings.hsts_seconds = 31_536_000
    for path in ("/healthz", "/api/v1/units"):
        sent = client.get(path).headers["strict-transport-security"]
        assert sent == "max-age=31536000"


def test_without_configured_origins_no_browser_origin_is_allowed(
    admin_client: TestClient,
) -> None:
    origin = {"Origin": "https://dashboard.example.vn"}
    simple = admin_client.get("/api/v1/units", headers=origin)
    assert simple.status_code == 200
    assert "access-control-allow-origin" not in simple.headers
    preflight = admin_client.options(
        "/api/v1/units", headers={**origin, "Access-Control-Request-Method": "GET"}
    )
    assert "access-control-allow-origin" not in preflight.headers
    assert preflight.status_code in (400, 405)


# --- the database's own limits ----------------------------------------------------------------


def test_no_free_connection_in_time_is_a_503(tmp_path: Path) -> None:
    """Every pooled connection busy past the pool's timeout: retry shortly, not a 500."""
    engine = create_engine(
        f"sqlite:///{tmp_path / 'busy.db'}",
        poolclass=QueuePool,
        pool_size=1,
        max_overflow=0,
        pool_timeout=0.1,
    )
    app = create_app(settings_for(str(engine.url)), Database(engine))
    with engine.connect(), TestClient(app) as client:
        form = {"grant_type": "password", "username": "tinh.admin", "password": "x" * 12}
        response = client.post("/api/v1/auth/token", data=form)
        keyed = client.post("/api/v1/auth/token", data=form, headers={"Idempotency-Key": "busy-1"})
    engine.dispose()
    for answer in (response, keyed):
        assert answer.status_code == 503
        assert answer.json()["code"] == "service_unavailable"
        assert answer.headers["retry-after"] == "1"


def test_a_runaway_statement_is_cancelled_on_postgresql(backend: str, engine: Engine) -> None:
    if backend != "postgresql":
        pytest.skip("statement_timeout is PostgreSQL's")
    url = engine.url.render_as_string(hide_password=False)
    settings = settings_for(url)
    settings.db_statement_timeout_seconds = 1
    serving = create_db_engine(settings, serving=True)
    commands = create_db_engine(settings)
    try:
        with serving.connect() as connection:
            assert connection.execute(text("SHOW statement_timeout")).scalar_one() == "1s"
            with pytest.raises(OperationalError):
                connection.execute(text("SELECT pg_sleep(3)"))
        with commands.connect() as connection:
            assert connection.execute(text("SHOW statement_timeout")).scalar_one() == "0"
    finally:
        serving.dispose()
        commands.dispose()
