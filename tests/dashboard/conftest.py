"""A browser, a server on the Kon Tum demo, and a page that watches its own traffic.

The demo database is built once per test process (migrations, then ``cnscd seed`` and
``cnscd demo`` from fresh processes, as a user would) and copied for each module's
server, which may change its copy (``cnscd units reform-2025``). Each module starts one
server and one browser; each test gets a fresh browser context (its own storage).

Chromium is Debian's (``make browser-deps``), never Playwright's own download. Without it
a developer's run skips these tests and says why; under ``CI=true`` they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest

from tests.dashboard.pages import DESKTOP, ApiReader, Dashboard, Reader
from tests.databases import ROOT, TEST_SECRET, migrated_engine
from tests.live_server import LiveServer, live_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = os.environ.get("CNSCD_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTEFACTS = ROOT / "tests" / "artefacts"


def unavailable(reason: str) -> NoReturn:
    """No browser: a developer's run skips with the reason, CI fails with it."""
    if IN_CI:
        pytest.fail(f"CI=true and the browser cannot start: {reason}", pytrace=False)
    pytest.skip(f"the browser cannot start: {reason} (run `make browser-deps`)")


def cnscd(database: Path, *args: str) -> str:
    """Run a ``cnscd`` command on the SQLite file, from a fresh process."""
    command = Path(sys.executable).with_name("cnscd")
    done = subprocess.run(  # noqa: S603 -- our own command line
        [str(command), *args],
        cwd=database.parent,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("CNSCD_")},
            "CNSCD_ENVIRONMENT": "test",
            "CNSCD_SECRET_KEY": TEST_SECRET,
            "CNSCD_DATABASE_URL": f"sqlite:///{database}",
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"cnscd {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Kon Tum and its demo on SQLite, built once; modules serve copies of it."""
    database = tmp_path_factory.mktemp("dashboard-demo") / "demo.db"
    migrated_engine(f"sqlite:///{database}").dispose()
    cnscd(database, "seed", "--province-code", "62")
    cnscd(database, "demo")
    return database


def serve_copy(
    demo_database: Path, work_dir: Path, prepare: Callable[[Path], None] | None = None
) -> Iterator[LiveServer]:
    """A server on a copy of the demo, after ``prepare`` changed the copy."""
    database = work_dir / "demo.db"
    shutil.copyfile(demo_database, database)
    if prepare is not None:
        prepare(database)
    with live_server(f"sqlite:///{database}", work_dir, name="dashboard") as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as error:
        unavailable(f"playwright is not installed ({error})")
    if not Path(CHROMIUM).is_file():
        unavailable(f"{CHROMIUM} is not installed")
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Error as error:
            unavailable(f"{CHROMIUM} did not start: {error.message.splitlines()[0]}")
        yield browser
        browser.close()


OpenDashboard = Callable[..., Dashboard]


@pytest.fixture
def open_dashboard(browser: Browser, server: LiveServer) -> Iterator[OpenDashboard]:
    """Opens the dashboard in fresh browser contexts; after the test, checks that no page
    sent a request anywhere but the server, broke the CSP or threw."""
    opened: list[Dashboard] = []

    def open_one(viewport: dict[str, int] = DESKTOP, *, clock: bool = False) -> Dashboard:
        dashboard = Dashboard.open(browser, server, viewport, clock=clock)
        opened.append(dashboard)
        return dashboard

    yield open_one
    try:
        for dashboard in opened:
            dashboard.check_clean()
    finally:
        for dashboard in opened:
            dashboard.close()


@pytest.fixture
def api_reader(server: LiveServer) -> Iterator[Callable[..., ApiReader]]:
    """Reads the API as a given user, to know what the dashboard must show."""
    readers: list[ApiReader] = []

    def read_as(username: str, language: str = "vi") -> ApiReader:
        readers.append(ApiReader(server, username, language))
        return readers[-1]

    yield read_as
    for reader in readers:
        reader.close()


SignIn = Callable[..., Reader]


@pytest.fixture
def sign_in(open_dashboard: OpenDashboard, api_reader: Callable[..., ApiReader]) -> SignIn:
    """A demo user logged in to the dashboard, and the same user on the API."""

    def sign_in_as(username: str, viewport: dict[str, int] = DESKTOP) -> Reader:
        api = api_reader(username)
        dashboard = open_dashboard(viewport)
        dashboard.login(username)
        return Reader(dashboard, api, api.campaign()["id"], api.get("/auth/me")["scope_unit"]["id"])

    return sign_in_as


def screenshot(dashboard: Dashboard, name: str, *, height: int | None = None) -> Path:
    """A screenshot under tests/artefacts (ignored by git): the whole page, or its top
    ``height`` pixels (the README's pictures, docs/img/, are copies of those)."""
    ARTEFACTS.mkdir(exist_ok=True)
    path = ARTEFACTS / f"{name}.png"
    page = dashboard.page
    clip = None
    if height is not None:
        width = page.evaluate("document.documentElement.clientWidth")
        clip = {"x": 0, "y": 0, "width": width, "height": height}
    page.screenshot(path=str(path), full_page=True, clip=clip)  # type: ignore[arg-type]
    return path
