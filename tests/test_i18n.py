"""Every message exists in English and Vietnamese, renders with the parameters its raise
site passes, and a client that asks for Vietnamese gets Vietnamese everywhere: problem
details, pydantic's validation errors, field errors raised by services, import rows."""

from __future__ import annotations

import ast
import io
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic_core._pydantic_core import list_all_errors
from sqlmodel import Session

from cnscd_api.core import errors as errors_module
from cnscd_api.core.errors import ProblemError
from cnscd_api.core.i18n import (
    MESSAGES,
    VALIDATION_MESSAGES_VI,
    Text,
    message,
    template_fields,
    validation_message,
)
from cnscd_api.main import create_app
from cnscd_api.models import Role, User
from tests.databases import settings_for
from tests.factories import PASSWORD, Tree, bearer, make_member, make_team, make_user

SRC = Path(__file__).resolve().parent.parent / "src" / "cnscd_api"
VIETNAMESE_LETTER = re.compile(
    "[ăâđêôơưàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ]", re.IGNORECASE
)


# --- the catalogue ------------------------------------------------------------------


def _fields(template: str) -> set[str]:
    # ``resource_vi`` is the Vietnamese name of the ``resource`` parameter.
    return {"resource" if name == "resource_vi" else name for name in template_fields(template)}


def test_every_message_has_english_and_vietnamese() -> None:
    for code, templates in MESSAGES.items():
        assert set(templates) == {"en", "vi"}, code
        assert templates["en"].strip(), code
        assert templates["vi"].strip(), code
        assert templates["en"] != templates["vi"], code
        assert _fields(templates["en"]) == _fields(templates["vi"]), code


def _problem_classes() -> dict[str, str]:
    classes: dict[str, str] = {"ProblemError": ProblemError.code}
    pending = [ProblemError]
    while pending:
        for subclass in pending.pop().__subclasses__():
            classes[subclass.__name__] = subclass.code
            pending.append(subclass)
    return classes


@dataclass(frozen=True)
class Site:
    where: str
    code: str
    params: frozenset[str] | None  # None: the site names a code, its params come elsewhere


# Keyword arguments that are not message parameters, by callee.
NOT_PARAMS = {"of": {"row", "column"}, "invalid": {"error_type"}}
PROBLEM_ARGUMENTS = {"headers", "keep_changes", "errors"}


def _literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def message_sites() -> Iterator[Site | str]:
    """Every place in src/ that names a message code: typed errors (``NotFound(…)``,
    ``Conflict("…")``), ``audit.denied``, ``Text``, ``invalid`` (validators),
    ``FieldError.of``; and, for their code only, ``message("…", …)``, ``code="…"`` and
    ``_send_problem``. A site whose code or params are not literal is yielded as a
    string naming it."""
    classes = _problem_classes()
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func, args = node.func, node.args
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            where = f"{path.relative_to(SRC)}:{node.lineno} {name}"
            if name in classes:
                code = _literal(args[0]) if args else classes[name]
            elif name == "denied":
                code = _literal(args[3]) if len(args) > 3 else "forbidden"
            elif name in {"Text", "invalid"}:
                code = _literal(args[0]) if args else None
            elif name in {"of", "at"} and isinstance(func, ast.Attribute):
                # FieldError.of(field, code, …) and Unprocessable.at(field, code, …)
                if len(args) > 2:
                    continue  # FieldError.of(field, code, Text(…)): the Text is a site
                code = _literal(args[1]) if len(args) == 2 else None
            else:
                named = [_literal(args[0])] if name == "message" and args else []
                named += [_literal(k.value) for k in node.keywords if k.arg == "code"]
                if name == "_send_problem":
                    named += [_literal(arg) for arg in args]
                for code in filter(None, named):
                    yield Site(where, code, None)
                continue
            if code is None or any(keyword.arg is None for keyword in node.keywords):
                yield where  # a code or **params not known here
                continue
            ignored = NOT_PARAMS.get(name, PROBLEM_ARGUMENTS if name != "Text" else set())
            params = frozenset(
                k.arg for k in node.keywords if k.arg is not None and k.arg not in ignored
            )
            yield Site(where, code, params)


def test_every_code_in_the_source_has_both_languages_and_renders_with_its_params() -> None:
    sites = list(message_sites())
    dynamic = [site for site in sites if isinstance(site, str)]
    # audit.denied forwards its callers' code and params, FieldError.of, Unprocessable.at
    # and the validation handler those of theirs; the callers are sites.
    assert {(d.split(":")[0], d.split(" ")[-1]) for d in dynamic} == {
        ("core/audit.py", "Forbidden"),
        ("core/errors.py", "Text"),
        # A batch item's error repeats the problem a single request would have answered.
        ("activities/checks.py", "of"),
        ("core/errors.py", "of"),
    }, dynamic
    checked = [site for site in sites if isinstance(site, Site)]
    assert {
        "not_found",
        "leader_exists",
        "left_before_joined",
        "wrong_password",
        "import_same_member",
        "text_forbidden_character",
        "password_too_short",
        "file_empty",
        "payload_too_large",
        "internal_error",
        "cors_refused",
    } <= {site.code for site in checked}
    for site in checked:
        assert site.code in MESSAGES, f"{site.where}: no message for {site.code!r}"
        if site.params is None:
            continue
        for language in ("en", "vi"):
            needed = _fields(MESSAGES[site.code][language])
            assert needed <= site.params, (
                f"{site.where}: {site.code} needs {sorted(needed - site.params)}"
            )
            rendered = message(site.code, language, **dict.fromkeys(site.params, "x"))
            assert "{" not in rendered, (site.where, rendered)


def test_http_error_codes_have_messages() -> None:
    for code in errors_module._HTTP_CODES.values():
        assert code in MESSAGES
        assert template_fields(MESSAGES[code]["vi"]) <= {"method"}


def test_every_pydantic_error_type_has_vietnamese_wording() -> None:
    for error in list_all_errors():
        error_type = error["type"]
        assert error_type in VALIDATION_MESSAGES_VI, f"no Vietnamese for {error_type}"
        template = VALIDATION_MESSAGES_VI[error_type]
        context = dict(error.get("example_context") or {})
        assert template_fields(template) <= set(context), error_type
        rendered = validation_message(error_type, "English", context, "vi")
        assert "{" not in rendered, error_type
        assert rendered != "English", error_type
        assert VIETNAMESE_LETTER.search(rendered), error_type


def _is_field_error_call(node: ast.Call) -> bool:
    return isinstance(node.func, ast.Name) and node.func.id == "FieldError"


def test_field_errors_are_built_from_message_codes() -> None:
    """``FieldError(message="…")`` would be English only; services use ``FieldError.of``
    (a code and params), rendered in the caller's language by the error handler."""
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        if path.relative_to(SRC) == Path("core/errors.py"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        offenders += [
            f"{path.relative_to(SRC)}:{node.lineno}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and _is_field_error_call(node)
        ]
    assert offenders == []


def test_request_model_validators_raise_coded_errors() -> None:
    """A validator raising a plain ``ValueError`` would answer in English only."""
    offenders = []
    for path in [
        *SRC.glob("*/schemas.py"),
        SRC / "core" / "fields.py",
        SRC / "members/importer.py",
    ]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                func = node.exc.func
                if isinstance(func, ast.Name) and func.id in {"ValueError", "AssertionError"}:
                    offenders.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert offenders == []


def test_text_params_render_in_the_language_of_the_message() -> None:
    reasons = [Text("password_too_short", min_length=10), Text("password_common")]
    assert message("weak_password", "en", reasons=reasons) == (
        "The password is too weak: at least 10 characters; not a common or repetitive password."
    )
    assert message("weak_password", "vi", reasons=reasons) == (
        "Mật khẩu quá yếu: cần ít nhất 10 ký tự; không được là mật khẩu phổ biến hoặc lặp lại."
    )
    # A missing parameter never turns into a server error.
    assert message("not_found", "en") == (
        "The {resource} you asked for does not exist or is outside your scope."
    )
    assert "{reasons}" in message("weak_password", "vi")


# --- Vietnamese answers -------------------------------------------------------------


def assert_vietnamese(english: Any, vietnamese: Any) -> None:
    """The Vietnamese answer is the English one translated: same status, code and fields;
    every text in Vietnamese."""
    assert english.status_code == vietnamese.status_code, vietnamese.text
    en, vi = english.json(), vietnamese.json()
    assert en["code"] == vi["code"]
    assert vi["detail"] != en["detail"]
    assert VIETNAMESE_LETTER.search(vi["detail"]), vi["detail"]
    assert [e["field"] for e in en.get("errors", [])] == [e["field"] for e in vi.get("errors", [])]
    for en_error, vi_error in zip(en.get("errors", []), vi.get("errors", []), strict=True):
        assert vi_error["code"] == en_error["code"]
        assert vi_error["message"] != en_error["message"], vi_error
        assert VIETNAMESE_LETTER.search(vi_error["message"]), vi_error


def both(call: Any) -> tuple[Any, Any]:
    return call({"Accept-Language": "en"}), call({"Accept-Language": "vi-VN,vi;q=0.9"})


@pytest.fixture
def team(session: Session, tree: Tree) -> Any:
    team = make_team(session, tree.dak_pek_village)
    session.commit()
    return team


def test_a_pydantic_422_in_vietnamese(admin_client: TestClient, team: Any) -> None:
    body = {
        "team_id": "khong-phai-uuid",
        "full_name": "",
        "affiliation": "hoi_sinh_vien",
        "birth_year": 1850,
        "phone": "0123",
        "email": "khong-phai-email",
        "joined_on": "01/09/2024",
        "extra": 1,
    }
    en, vi = both(lambda headers: admin_client.post("/api/v1/members", json=body, headers=headers))
    assert en.status_code == 422
    assert len(vi.json()["errors"]) == 8
    assert_vietnamese(en, vi)
    malformed = both(
        lambda headers: admin_client.post(
            "/api/v1/members",
            content=b"{not json",
            headers={**headers, "Content-Type": "application/json"},
        )
    )
    assert_vietnamese(*malformed)
    not_an_object = both(
        lambda headers: admin_client.post("/api/v1/members", json=[1, 2], headers=headers)
    )
    assert_vietnamese(*not_an_object)


def test_an_import_row_error_in_vietnamese(admin_client: TestClient, team: Any) -> None:
    content = f"Họ và tên,Số điện thoại,Thành phần,Mã tổ\nA Blông,0123,Công an,{team.id}\n"

    def upload(headers: dict[str, str]) -> Any:
        return admin_client.post(
            "/api/v1/members/import",
            files={"file": ("m.csv", io.BytesIO(content.encode()), "text/csv")},
            headers=headers,
        )

    en, vi = both(upload)
    assert en.json()["code"] == "import_invalid"
    assert_vietnamese(en, vi)


def test_field_errors_raised_by_services_in_vietnamese(
    admin_client: TestClient, client: TestClient, session: Session, tree: Tree, team: Any
) -> None:
    member = make_member(session, team)
    officer = make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek, username="xa.vi")
    session.commit()
    left_early = both(
        lambda headers: admin_client.patch(
            f"/api/v1/members/{member.id}", json={"left_on": "2020-01-01"}, headers=headers
        )
    )
    assert left_early[1].json()["errors"][0]["code"] == "left_before_joined"
    assert_vietnamese(*left_early)

    wrong_password = both(
        lambda headers: client.post(
            "/api/v1/auth/password",
            json={"current_password": "Sai-mat-khau-1", "new_password": "Mat-khau-moi-2025"},
            headers={**headers, **bearer(client.app.state.settings, officer)},  # type: ignore[attr-defined]
        )
    )
    assert wrong_password[1].json()["errors"][0]["code"] == "wrong_password"
    assert_vietnamese(*wrong_password)

    missing = both(
        lambda headers: client.post(
            "/api/v1/auth/token", data={"username": "xa.vi"}, headers=headers
        )
    )
    assert missing[1].json()["errors"][0]["field"] == "body.password"
    assert_vietnamese(*missing)

    weak = both(
        lambda headers: client.post(
            "/api/v1/auth/password",
            json={"current_password": PASSWORD, "new_password": "ngan"},
            headers={**headers, **bearer(client.app.state.settings, officer)},  # type: ignore[attr-defined]
        )
    )
    assert weak[1].json()["code"] == "weak_password"
    assert_vietnamese(*weak)
    assert "cần ít nhất 10 ký tự" in weak[1].json()["detail"]

    village = str(tree.dak_pek_village.id)
    dates = both(
        lambda headers: admin_client.patch(
            f"/api/v1/units/{village}",
            json={"valid_from": "2024-01-01", "valid_to": "2023-01-01"},
            headers=headers,
        )
    )
    assert dates[1].json()["errors"][0]["field"] == "body.valid_to"
    assert_vietnamese(*dates)


def test_a_404_and_a_409_in_vietnamese(
    admin_client: TestClient, province_admin: User, team: Any
) -> None:
    missing = both(
        lambda headers: admin_client.get(f"/api/v1/members/{uuid.uuid4()}", headers=headers)
    )
    assert missing[0].status_code == 404
    assert_vietnamese(*missing)
    assert "thành viên" in missing[1].json()["detail"]

    leader = {
        "team_id": str(team.id),
        "full_name": "Nguyễn Văn An",
        "affiliation": "police",
        "role": "leader",
    }
    assert admin_client.post("/api/v1/members", json=leader).status_code == 201
    second = {**leader, "full_name": "Y Thị Hoa"}
    conflict = both(
        lambda headers: admin_client.post("/api/v1/members", json=second, headers=headers)
    )
    assert conflict[0].status_code == 409
    assert_vietnamese(*conflict)


def test_a_refused_cors_preflight_in_vietnamese(engine: object, database: object) -> None:
    settings = settings_for("sqlite://")
    settings.cors_origins = ["https://dashboard.example.vn"]
    app = create_app(settings, database)  # type: ignore[arg-type]
    with TestClient(app) as client:

        def preflight(headers: dict[str, str]) -> Any:
            return client.options(
                "/api/v1/units",
                headers={
                    **headers,
                    "Origin": "https://evil.example",
                    "Access-Control-Request-Method": "GET",
                },
            )

        en, vi = both(preflight)
    assert en.status_code == 400
    assert "origin not allowed" in en.json()["detail"]
    assert_vietnamese(en, vi)
    assert "nguồn (origin) không được phép" in vi.json()["detail"]
