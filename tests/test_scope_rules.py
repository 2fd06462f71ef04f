"""Scope is decided in one place (``core.scope``), and nothing reaches past it.

Two nets: a lint over the source that fails when a query on a scoped table is written
without the scope helper or an ``@unscoped("why")`` mark, and a behavioural walk over
every list route, called by an officer of a sibling district, which must not return a
single object of the district next door.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from cnscd_api.config import Settings
from cnscd_api.core.pagination import Page
from cnscd_api.core.scope import RULES
from cnscd_api.models import Role
from tests.factories import Tree, bearer, make_member, make_team, make_user, make_village
from tests.routes import iter_routes

SOURCE = Path(__file__).resolve().parent.parent / "src" / "cnscd_api"
SCOPED = {model.__name__ for model in RULES}
# Code that runs as no caller at all: the command line, seeding and the demo.
OUTSIDE_REQUESTS = {
    "cli.py",
    "demo.py",
    "demo_data.py",
    "demo_campaign.py",
    "demo_partners.py",
    "demo_allowances.py",
    "units/seed.py",
    "core/scope.py",
}
QUERY_CALLS = {"select", "select_from", "get"}


def _names(node: ast.AST) -> set[str]:
    """Model names an expression refers to (``Team``, ``Team.name``, ``col(Team.id)``)."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _is_marked(function: ast.FunctionDef) -> bool:
    return any(
        isinstance(d, ast.Call) and _call_name(d) == "unscoped" for d in function.decorator_list
    )


def unscoped_queries() -> list[str]:
    found: list[str] = []
    for path in sorted(SOURCE.rglob("*.py")):
        relative = path.relative_to(SOURCE).as_posix()
        if relative in OUTSIDE_REQUESTS:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef) or _is_marked(function):
                continue
            for call in ast.walk(function):
                if not isinstance(call, ast.Call) or _call_name(call) not in QUERY_CALLS:
                    continue
                touched = set().union(*(_names(arg) for arg in call.args)) & SCOPED
                if touched:
                    found.append(f"{relative}:{call.lineno} {function.name} {sorted(touched)}")
    return found


def test_queries_on_scoped_tables_go_through_the_scope_helper() -> None:
    assert unscoped_queries() == [], (
        "query these tables through core.scope (scoped, scoped_columns, get_or_404), or "
        "mark the function @unscoped('why')"
    )


def test_the_lint_sees_a_bypass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The lint is not vacuous: a repository function that selects teams directly is
    reported."""
    bypass = tmp_path / "cnscd_api" / "leaky" / "repository.py"
    bypass.parent.mkdir(parents=True)
    bypass.write_text(
        "def all_teams(session):\n    return session.exec(select(Team).where(Team.id == 1))\n"
    )
    monkeypatch.setattr(f"{__name__}.SOURCE", tmp_path / "cnscd_api")
    assert unscoped_queries() == ["leaky/repository.py:2 all_teams ['Team']"]


# --- behaviour: list routes as an officer of the district next door ----------------------


def list_routes(app: FastAPI) -> list[str]:
    """GET routes that answer a page, without path parameters."""
    paths = []
    for route in iter_routes(app):
        if "GET" not in route.methods or "{" in route.path or route.dependant is None:
            continue
        model = route.response_model
        if isinstance(model, type) and issubclass(model, Page):
            paths.append(route.path)
    return sorted(paths)


def item_refs(item: dict[str, Any]) -> set[str]:
    return {
        str(item[key])
        for key in ("id", "entity_id", "team_id", "unit_id", "scope_unit_id", "parent_id")
        if item.get(key) is not None
    }


def test_no_list_route_returns_objects_of_a_sibling_district(
    client: TestClient, app: FastAPI, session: Session, settings: Settings, tree: Tree
) -> None:
    # Đắk Glei's objects, each of a kind a list route returns, written through the API so
    # that the audit log has them too.
    admin = make_user(session, Role.PROVINCE_ADMIN, tree.kon_tum)
    village = make_village(session, tree.dak_pek, "Thôn Láng Giềng")
    team = make_team(session, village)
    member = make_member(session, team)
    officer = make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek)
    session.commit()
    as_admin = bearer(settings, admin)
    made = client.post(
        "/api/v1/api-clients",
        json={"name": "Sync", "organisation": "VNPT", "scope_unit_id": str(tree.dak_glei.id)},
        headers=as_admin,
    )
    assert made.status_code == 201, made.text
    patched = client.patch(f"/api/v1/teams/{team.id}", json={"note": "Đắk Glei"}, headers=as_admin)
    assert patched.status_code == 200, patched.text
    outside = {
        str(x)
        for x in (
            tree.dak_glei.id,
            tree.dak_pek.id,
            village.id,
            team.id,
            member.id,
            officer.id,
            made.json()["id"],
        )
    }
    neighbour = make_user(session, Role.DISTRICT_OFFICER, tree.ngoc_hoi)
    session.commit()
    as_neighbour = bearer(settings, neighbour)

    routes = list_routes(app)
    assert {"/api/v1/units", "/api/v1/teams", "/api/v1/members", "/api/v1/users"} <= set(routes)
    for path in routes:
        response = client.get(path, params={"limit": 500}, headers=as_neighbour)
        if response.status_code == 403:
            continue  # the role may not list these at all
        assert response.status_code == 200, (path, response.text)
        for item in response.json()["items"]:
            leaked = item_refs(item) & outside
            assert not leaked, f"{path} shows {leaked} to an officer of another district"
    # The admin, by contrast, sees them: the walk would notice a leak.
    teams = client.get("/api/v1/teams", params={"limit": 500}, headers=as_admin).json()
    assert str(team.id) in {t["id"] for t in teams["items"]}
