"""The dashboard's files as the server sends them: the headers that keep the page to
itself, nothing loaded from elsewhere, no inline script or style for the CSP to refuse,
every word in both languages. (The browser tests are under tests/dashboard/.)"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cnscd_api.dashboard import STATIC_DIR
from cnscd_api.main import create_app
from tests.databases import settings_for

FILES = sorted(path for path in STATIC_DIR.rglob("*") if path.is_file())
SVG_NAMESPACE = "http://www.w3.org/2000/svg"
# What would turn a text (a unit's name from the API) into markup or code.
MARKUP_OR_CODE_FROM_TEXT = (
    r"\.(?:inner|outer)HTML\s*=|insertAdjacentHTML\(|document\.write\(|\beval\(|new Function\("
)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    # The files need no database: the engine is created and never connected.
    database = tmp_path_factory.mktemp("dashboard-files") / "unused.db"
    with TestClient(create_app(settings_for(f"sqlite:///{database}"))) as client:
        yield client


def test_the_dashboard_is_served_at_its_path_with_a_strict_policy(client: TestClient) -> None:
    redirect = client.get("/dashboard", follow_redirects=False)
    assert redirect.status_code == 307
    assert redirect.headers["location"].endswith("/dashboard/")

    page = client.get("/dashboard/")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in page.headers["content-security-policy"].split(";")
    )
    assert policy == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self'",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'none'",
        "frame-ancestors": "'none'",
    }
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-content-type-options"] == "nosniff"
    # Kept by the browser but asked for again each time: a new release shows at once.
    assert page.headers["cache-control"] == "no-cache"
    again = client.get("/dashboard/", headers={"If-None-Match": page.headers["etag"]})
    assert again.status_code == 304
    assert again.headers["content-security-policy"] == page.headers["content-security-policy"]

    script = client.get("/dashboard/js/app.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "content-security-policy" in script.headers
    # The API's answers stay out of every cache, as before.
    assert client.get("/api/v1/auth/me").headers["cache-control"] == "no-store"


def test_a_missing_file_or_a_write_is_refused(client: TestClient) -> None:
    assert client.get("/dashboard/js/missing.js").status_code == 404
    # The package beside the files (static/../__init__.py) is not reachable.
    assert client.get("/dashboard/%2e%2e/__init__.py").status_code == 404
    assert client.post("/dashboard/").status_code == 405


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(STATIC_DIR)) for p in FILES])
def test_no_file_names_an_address_elsewhere(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    addresses = re.findall(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}[^\s\"'`)]*", text)
    assert [address for address in addresses if address != SVG_NAMESPACE] == []


def test_the_page_has_no_inline_script_style_or_handler() -> None:
    html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S)
    assert scripts
    assert all('src="' in attributes and not body.strip() for attributes, body in scripts)
    assert "<style" not in html
    assert re.findall(r"\sstyle\s*=", html) == []
    assert re.findall(r"\son[a-z]+\s*=", html) == []
    for path in STATIC_DIR.rglob("*.js"):
        source = path.read_text(encoding="utf-8")
        # Text goes into the page as text, never as markup or code.
        assert re.findall(MARKUP_OR_CODE_FROM_TEXT, source) == []


def test_every_module_a_script_imports_is_served() -> None:
    for path in STATIC_DIR.rglob("*.js"):
        for target in re.findall(r"from \"(\./[^\"]+)\"", path.read_text(encoding="utf-8")):
            assert (path.parent / target).is_file(), f"{path.name} imports {target}"


def _message_keys(language: str) -> set[str]:
    source = (STATIC_DIR / "js" / "i18n.js").read_text(encoding="utf-8")
    messages = source[source.index("const MESSAGES") : source.index("const LABELS")]
    block = re.search(rf"\n  {language}: \{{\n(.*?)\n  \}},", messages, flags=re.S)
    assert block is not None
    return set(re.findall(r'^    "?([\w.]+)"?:', block.group(1), flags=re.M))


def test_every_word_is_there_in_vietnamese_and_in_english() -> None:
    vietnamese, english = _message_keys("vi"), _message_keys("en")
    assert vietnamese == english
    html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    used = set(re.findall(r'data-i18n="([\w.]+)"', html))
    for path in STATIC_DIR.rglob("*.js"):
        used |= set(re.findall(r'\bt\("([\w.]+)"', path.read_text(encoding="utf-8")))
    assert len(used) > 50
    assert used - vietnamese == set()
