"""Clients generated from the served ``/openapi.json`` (the committed
``openapi/openapi.json``, byte for byte) work, as integrators generate them: a Python
client (openapi-python-client, pinned in the dev extras) that logs in, lists, creates,
uploads an import file and downloads an XLSX export, with the calling code
(``tests/client_scenario.py``) clean under ``mypy --strict``; and TypeScript types
(openapi-typescript) that compile under ``tsc --strict``.

Everything generated goes to a temporary directory; the npm packages to a cache outside
the repository (``$XDG_CACHE_HOME/cnscd-api/npm``, else ``~/.cache/…``), so a second run
installs nothing. Without Node the TypeScript test is skipped and says why.
"""

from __future__ import annotations

import asyncio
import importlib
import io
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session

from cnscd_api.main import create_app
from cnscd_api.models import Role
from tests.databases import settings_for
from tests.factories import PASSWORD, Tree, make_user

SCENARIO = Path(__file__).resolve().parent / "client_scenario.py"
BIN = Path(sys.executable).parent
OPENAPI_TYPESCRIPT = "openapi-typescript@7.13.0"
TYPESCRIPT = "typescript@5.9.3"

pytestmark = pytest.mark.xdist_group("generated_client")


def _run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(  # noqa: S603 -- our own tools, fixed arguments
        [str(part) for part in command],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"{command[0]} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def served_document(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The document as the server serves it at ``/openapi.json``, in a file."""
    app = create_app(settings_for("sqlite://"))
    with TestClient(app) as client:
        answer = client.get("/openapi.json")
    assert answer.status_code == 200
    path = tmp_path_factory.mktemp("served") / "openapi.json"
    path.write_bytes(answer.content)
    return path


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory, served_document: Path) -> Iterator[Path]:
    """A directory holding the generated package ``cnscd_client`` and the scenario."""
    directory = tmp_path_factory.mktemp("python-client")
    config = directory / "config.yaml"
    config.write_text("post_hooks: []\n", encoding="utf-8")
    _run(
        BIN / "openapi-python-client",
        "generate",
        "--path",
        served_document,
        "--meta",
        "none",
        "--output-path",
        directory / "cnscd_client",
        "--config",
        config,
        cwd=directory,
    )
    shutil.copy(SCENARIO, directory / "client_scenario.py")
    sys.path.insert(0, str(directory))
    yield directory
    sys.path.remove(str(directory))
    for name in [n for n in sys.modules if n.split(".")[0] in {"cnscd_client", "client_scenario"}]:
        del sys.modules[name]


def test_the_calling_code_is_clean_under_mypy_strict(generated: Path) -> None:
    _run(
        BIN / "mypy",
        "--strict",
        "--follow-imports=silent",
        "--no-incremental",
        "--python-version=3.11",
        "client_scenario.py",
        cwd=generated,
    )


def test_the_generated_client_logs_in_lists_creates_uploads_and_downloads(
    generated: Path, app: FastAPI, session: Session, tree: Tree
) -> None:
    user = make_user(session, Role.COMMUNE_OFFICER, tree.dak_pek, "xa.client")
    session.commit()
    scenario: Any = importlib.import_module("client_scenario")
    transport = httpx.ASGITransport(app=app)
    outcome = asyncio.run(
        scenario.scenario(transport, user.username, PASSWORD, tree.dak_pek_village.id)
    )

    assert outcome.team.unit_id == tree.dak_pek_village.id
    assert outcome.imported.created == 1
    assert outcome.imported.dry_run is False
    workbook = load_workbook(io.BytesIO(outcome.workbook), read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 2  # the header and the imported member
    assert "Y Thị Hoa" in rows[1]


def _npm_cache() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "cnscd-api" / "npm"


def test_typescript_types_compile_under_strict(tmp_path: Path, served_document: Path) -> None:
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        pytest.skip("Node.js (node and npm) is not installed: TypeScript types not checked")
    tools = _npm_cache()
    tools.mkdir(parents=True, exist_ok=True)
    marker = tools / f".{OPENAPI_TYPESCRIPT}+{TYPESCRIPT}"
    if not marker.exists():
        _run(
            npm,
            "install",
            "--prefix",
            tools,
            "--no-audit",
            "--no-fund",
            "--no-save",
            "--loglevel=error",
            OPENAPI_TYPESCRIPT,
            TYPESCRIPT,
            cwd=tmp_path,
        )
        marker.touch()
    node_bin = tools / "node_modules" / ".bin"
    # Fields the server defaults stay optional in request bodies.
    _run(
        node_bin / "openapi-typescript",
        served_document,
        "--default-non-nullable=false",
        "--output",
        tmp_path / "api.d.ts",
        cwd=tmp_path,
    )
    (tmp_path / "use.ts").write_text(USE_TS, encoding="utf-8")
    _run(
        node_bin / "tsc",
        "--strict",
        "--noEmit",
        "--target",
        "es2022",
        "--module",
        "es2022",
        "--moduleResolution",
        "bundler",
        "use.ts",
        "api.d.ts",
        cwd=tmp_path,
    )


# Code a TypeScript integrator writes with the generated types.
USE_TS = """\
import type { components, operations, paths } from "./api";

type Team = components["schemas"]["TeamRead"];
type Problem = components["schemas"]["Problem"];
type TeamsPage =
  operations["list_teams"]["responses"][200]["content"]["application/json"];
type NewMember = paths["/api/v1/members"]["post"]["requestBody"]["content"]["application/json"];

export function teamNames(page: TeamsPage): string[] {
  return page.items.map((team: Team) => team.name);
}

export function problemCode(problem: Problem): string {
  return problem.code;
}

export const member: NewMember = {
  full_name: "Nguyễn Văn An",
  affiliation: "youth_union",
  team_id: "7d3b9c1a-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
};
"""
