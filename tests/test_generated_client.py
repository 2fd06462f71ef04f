"""Clients generated from the served ``/openapi.json`` (the committed
``openapi/openapi.json``, byte for byte) work, as integrators generate them:

- a Python client (openapi-python-client, pinned in the dev extras) that logs in, lists,
  creates, uploads an import file, writes every writable field of a member, a campaign,
  an activity (and its edit) and a batch item and reads them back, and downloads every
  file, with the calling code (``tests/client_scenario.py``) clean under
  ``mypy --strict``;
- TypeScript types (openapi-typescript) with which ``tests/typescript/use.ts`` builds
  those requests without a cast, under ``tsc --strict``; compiled, ``run.ts`` sends them
  to a server started as the image starts it, on each database, and reads them back.

Everything generated goes to a temporary directory; the npm packages to a cache outside
the repository (``$XDG_CACHE_HOME/cnscd-api/npm``, else ``~/.cache/…``), so a second run
installs nothing. Without Node the TypeScript tests are skipped and say why; under
``CI=true`` they fail instead (as a missing PostgreSQL does).
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

from cnscd_api.core import clock
from cnscd_api.main import create_app
from cnscd_api.models import Role
from tests.databases import IN_CI, seeded_database, settings_for
from tests.factories import PASSWORD, Tree, make_tree, make_user
from tests.live_server import live_server

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
    outcome = _run_scenario(app, session, tree, "tinh.client")

    assert outcome.team.unit_id == tree.dak_pek_village.id
    assert outcome.imported.created == 1
    assert outcome.imported.dry_run is False
    workbook = load_workbook(io.BytesIO(outcome.workbook), read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 3  # the header, the imported member and the one created
    assert any("Y Thị Hoa" in row for row in rows[1:])


def _run_scenario(app: FastAPI, session: Session, tree: Tree, username: str) -> Any:
    """``client_scenario.scenario`` as a province admin, against the app."""
    user = make_user(session, Role.PROVINCE_ADMIN, tree.kon_tum, username)
    session.commit()
    scenario: Any = importlib.import_module("client_scenario")
    return asyncio.run(
        scenario.scenario(
            httpx.ASGITransport(app=app),
            user.username,
            PASSWORD,
            tree.kon_tum.id,
            tree.dak_pek_village.id,
            clock.today(),
        )
    )


def _read_back(sent: Any, read: Any, *, besides: tuple[str, ...] = ()) -> None:
    """Every field the client sent is what the server answers when it is read again."""
    answered = read.to_dict()
    for name, value in sent.to_dict().items():
        if name not in besides:
            assert answered[name] == value, (name, value, answered[name])


def test_every_writable_field_is_written_and_read_back_through_the_python_client(
    generated: Path, app: FastAPI, session: Session, tree: Tree
) -> None:
    """A member, a campaign, an activity (created, then edited) and a batch item, with
    every field a client may write, read back the same; the activity's values too (the
    generated client once sent them empty)."""
    outcome = _run_scenario(app, session, tree, "tinh.fields")
    _read_back(*outcome.member, besides=("replace_leader",))
    campaign_sent, campaign_read = outcome.campaign
    _read_back(campaign_sent, campaign_read, besides=("categories", "indicators"))
    assert {c.code for c in campaign_read.categories} == set(campaign_sent.categories)
    assert {i.code: i.target for i in campaign_read.indicators} == {
        "people_guided": 5000,
        "vneid_level2_activated": None,
    }
    activity_sent, activity_read = outcome.activity
    _read_back(activity_sent, activity_read)
    assert activity_read.values.to_dict() == {"people_guided": 35, "vneid_level2_activated": 12}
    change, edited = outcome.edited
    _read_back(change, edited)
    assert edited.values.to_dict() == {"people_guided": 40}
    assert edited.categories == activity_read.categories
    assert edited.organisation == "VNPT Kon Tum"

    batch = outcome.batch
    assert (batch.created, batch.invalid) == (1, 2)
    nothing = batch.items[1].errors
    assert [(e.field, e.code) for e in nothing] == [("body.activities.1.values", "values_required")]
    _read_back(*outcome.batched)
    assert outcome.batched[1].values.to_dict() == {
        "people_guided": 35,
        "vneid_level2_activated": 12,
    }


def test_every_file_downloads_as_bytes_through_the_python_client(
    generated: Path, app: FastAPI, session: Session, tree: Tree
) -> None:
    """Exports, the import template and a dashboard's CSV, in each format, as bytes (the
    generated functions raised `TypeError: a bytes-like object is required` when the
    served document listed `text/csv` first)."""
    outcome = _run_scenario(app, session, tree, "tinh.files")
    files = outcome.downloads
    assert set(files) == {
        f"{name}.{kind}"
        for name in ("members", "teams", "activities", "import-template")
        for kind in ("xlsx", "csv")
    } | {"overview.csv"}
    for name, content in files.items():
        if name.endswith(".xlsx"):
            workbook = load_workbook(io.BytesIO(content), read_only=True)
            assert list(workbook.worksheets[0].iter_rows(values_only=True)), name
        else:
            assert content.startswith("\ufeff".encode()), name
    text = {name: content.decode("utf-8-sig") for name, content in files.items() if "csv" in name}
    assert "Nguyễn Thị Lan Anh" in text["members.csv"]
    assert "Tổ CNSCĐ thôn Đắk Ung" in text["teams.csv"]
    assert "Ghi nhận ngoại tuyến" in text["activities.csv"]
    assert text["import-template.csv"].startswith("Họ và tên")
    assert text["overview.csv"].strip()


def _npm_cache() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "cnscd-api" / "npm"


TYPESCRIPT_SOURCES = Path(__file__).resolve().parent / "typescript"


@pytest.fixture(scope="module")
def typescript(tmp_path_factory: pytest.TempPathFactory, served_document: Path) -> Path:
    """A directory with the types generated from the served document (``api.d.ts``),
    the integrator's code (``use.ts``, ``run.ts``) and the tools' ``.bin`` beside."""
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        missing = "Node.js (node and npm) is not installed: TypeScript types not checked"
        if IN_CI:
            pytest.fail(f"CI=true and {missing}")
        pytest.skip(missing)
    directory = tmp_path_factory.mktemp("typescript")
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
            cwd=directory,
        )
        marker.touch()
    # Fields the server defaults stay optional in request bodies.
    _run(
        _node_bin() / "openapi-typescript",
        served_document,
        "--default-non-nullable=false",
        "--output",
        directory / "api.d.ts",
        cwd=directory,
    )
    for source in TYPESCRIPT_SOURCES.glob("*.ts"):
        shutil.copy(source, directory / source.name)
    return directory


def _node_bin() -> Path:
    return _npm_cache() / "node_modules" / ".bin"


def test_typescript_types_compile_under_strict(typescript: Path) -> None:
    """A batch, a member, a campaign and an activity built with every writable field, and
    the code that sends them, type-check under `--strict` without a cast (a batch's items
    were `Record<string, never>`)."""
    _run(
        _node_bin() / "tsc",
        "--strict",
        "--noEmit",
        "--target",
        "es2022",
        "--module",
        "es2022",
        "--moduleResolution",
        "bundler",
        "--lib",
        "es2022,dom",
        "use.ts",
        "run.ts",
        "api.d.ts",
        cwd=typescript,
    )
    assert " as " not in (typescript / "use.ts").read_text(encoding="utf-8")


def test_the_typescript_code_runs_against_the_server(
    typescript: Path, backend: str, tmp_path: Path
) -> None:
    """``run.ts``, compiled, against a server started as the image starts it: it writes
    every field of a member, a campaign, an activity and a batch item, reads them back
    and downloads every file."""
    _run(
        _node_bin() / "tsc",
        "--strict",
        "--target",
        "es2022",
        "--module",
        "commonjs",
        "--lib",
        "es2022,dom",
        "--outDir",
        "out",
        "use.ts",
        "run.ts",
        "api.d.ts",
        cwd=typescript,
    )
    with seeded_database(backend, tmp_path) as (url, engine):
        with Session(engine) as session:
            tree = make_tree(session)
            admin = make_user(session, Role.PROVINCE_ADMIN, tree.kon_tum, "tinh.typescript")
            given = {
                "PROVINCE_ID": str(tree.kon_tum.id),
                "VILLAGE_ID": str(tree.dak_pek_village.id),
                "USERNAME": admin.username,
                "PASSWORD": PASSWORD,
                "TODAY": clock.today().isoformat(),
            }
            session.commit()
        node = shutil.which("node")
        assert node is not None
        with live_server(url, tmp_path) as server:
            environment = {**os.environ, **given, "BASE_URL": server.url}
            done = _run(node, typescript / "out" / "run.js", cwd=typescript, env=environment)
    assert done.strip() == "ok"
