"""Health, readiness, metrics, request ids, CORS and the problem format of unexpected errors."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from cnscd_api.core.logging import json_formatter
from cnscd_api.db import normalise_url
from cnscd_api.main import create_app
from tests.databases import POSTGRES_ADMIN_URL, settings_for


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_when_database_answers(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


def test_readyz_is_503_while_the_database_is_missing_and_recovers(
    backend: str, tmp_path: Path
) -> None:
    """Start with a database that cannot be reached, then make it appear: readiness
    follows without restarting the app."""
    if backend == "sqlite":
        missing_dir = tmp_path / "not-yet"
        url = f"sqlite:///{missing_dir / 'cnscd.db'}"

        def bring_up() -> None:
            missing_dir.mkdir()

        def tear_down() -> None:
            return None
    else:
        name = f"cnscd_test_ready_{tmp_path.name[-8:].lower().replace('-', '_')}"
        url = str(normalise_url(POSTGRES_ADMIN_URL)).rsplit("/", 1)[0] + f"/{name}"
        admin = create_engine(normalise_url(POSTGRES_ADMIN_URL), isolation_level="AUTOCOMMIT")

        def bring_up() -> None:
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))

        def tear_down() -> None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

    app = create_app(settings_for(url))
    try:
        with TestClient(app) as client:
            down = client.get("/readyz", headers={"Accept-Language": "vi"})
            assert down.status_code == 503
            assert down.headers["content-type"] == "application/problem+json"
            assert down.json()["code"] == "service_unavailable"
            assert "cơ sở dữ liệu" in down.json()["detail"]
            assert client.get("/healthz").status_code == 200
            bring_up()
            assert client.get("/readyz").status_code == 200
    finally:
        tear_down()


def test_request_id_is_generated_or_echoed(client: TestClient) -> None:
    generated = client.get("/healthz").headers["x-request-id"]
    assert len(generated) == 32
    assert (
        client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"]
        == "abc-123"
    )
    # A header that could smuggle anything into the logs is replaced, not echoed.
    replaced = client.get("/healthz", headers={"X-Request-ID": "x" * 300}).headers["x-request-id"]
    assert replaced != "x" * 300
    problem = client.get("/api/v1/units/nope", headers={"X-Request-ID": "req-42"})
    assert problem.headers["x-request-id"] == "req-42"
    assert problem.json()["request_id"] == "req-42"


def _sample(text: str, series: str) -> float:
    """The value of one series in a Prometheus text page (0 when it is not there yet)."""
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_requests_by_route_template(admin_client: TestClient) -> None:
    client = admin_client
    units = 'cnscd_http_requests_total{method="GET",route="/api/v1/units",status="200"}'
    unit = 'cnscd_http_requests_total{method="GET",route="/api/v1/units/{unit_id}",status="404"}'
    before = client.get("/metrics").text
    client.get("/api/v1/units", params={"limit": 1})
    client.get("/api/v1/units/00000000-0000-0000-0000-000000000000")
    client.get("/no/such/path")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text_body = response.text
    assert _sample(text_body, units) == _sample(before, units) + 1
    assert _sample(text_body, unit) == _sample(before, unit) + 1
    assert 'route="unmatched",status="404"' in text_body
    assert "/no/such/path" not in text_body
    assert (
        'cnscd_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/v1/units"}'
        in text_body
    )


def test_unknown_path_and_method_are_problems(client: TestClient) -> None:
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["code"] == "route_not_found"
    wrong_method = client.delete("/api/v1/units")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["content-type"] == "application/problem+json"
    assert wrong_method.json()["code"] == "method_not_allowed"


def test_unexpected_error_is_a_problem_without_internals(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals 0912345678")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom", headers={"X-Request-ID": "boom-1"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-request-id"] == "boom-1"
    body = response.json()
    assert body["code"] == "internal_error"
    assert body["request_id"] == "boom-1"
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text


def test_access_log_is_json_without_query_strings(
    admin_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    admin_client.get("/api/v1/units", params={"q": "0912345678"}, headers={"X-Request-ID": "log-1"})
    formatter = json_formatter()
    lines = [json.loads(formatter.format(record)) for record in caplog.records]
    access = [line for line in lines if line.get("logger") == "cnscd_api.access"]
    assert access, lines
    assert access[-1]["request_id"] == "log-1"
    assert access[-1]["route"] == "/api/v1/units"
    assert access[-1]["status"] == 200
    assert all("0912345678" not in json.dumps(line) for line in lines)


def test_cors_allows_configured_origins_only(engine: object, database: object) -> None:
    settings = settings_for("sqlite://")
    settings.cors_origins = ["https://dashboard.example.vn"]
    app = create_app(settings, database)  # type: ignore[arg-type]
    with TestClient(app) as client:
        allowed = client.options(
            "/api/v1/units",
            headers={
                "Origin": "https://dashboard.example.vn",
                "Access-Control-Request-Method": "GET",
            },
        )
        assert allowed.headers["access-control-allow-origin"] == "https://dashboard.example.vn"
        other = client.get("/healthz", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        refused = client.options(
            "/api/v1/units",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
        )
        assert refused.status_code == 400
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "cors_refused"


# What a browser loads from an address: a script, style or image source, a stylesheet's
# url() or @import, a fetch.
_LOADED_URL = re.compile(r"""(?:\bsrc\s*[:=]\s*|url\(\s*|@import\s+|fetch\(\s*)["']?(https?:)?//""")
_ASSET = re.compile(r"""(?:src|href)=["']([^"']+)["']""")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_nothing_from_the_internet(client: TestClient, page: str) -> None:
    """The pages name no address outside the server, and no asset they reference loads
    one: no script, style, image or font from a CDN (ReDoc's footer logo came from
    cdn.redoc.ly), and no online validator badge (Swagger UI's sends the document's
    address to validator.swagger.io). The bundles still hold addresses as text (XML
    namespaces, JSON Schema ids, links in help texts), which no browser loads."""
    answer = client.get(page)
    assert answer.status_code == 200
    assert "http://" not in answer.text
    assert "https://" not in answer.text
    assets = _ASSET.findall(answer.text)
    assert any(asset.endswith(".js") for asset in assets), assets
    for asset in assets:
        assert asset.startswith("/"), asset
        loaded = client.get(asset)
        assert loaded.status_code == 200, asset
        if asset.endswith((".js", ".css")):
            found = _LOADED_URL.search(loaded.text)
            assert found is None, (asset, loaded.text[found.start() - 80 : found.end() + 80])
    if page == "/docs":
        assert '"validatorUrl": null' in answer.text
    assert client.get("/openapi.json").status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PATCH", "/api/v1/members/export", "GET"),
        ("DELETE", "/api/v1/members/import-template", "GET"),
        ("GET", "/api/v1/members/import", "POST"),
        ("PUT", "/api/v1/teams/export", "GET"),
        ("OPTIONS", "/api/v1/users", "GET, POST"),
        ("OPTIONS", "/api/v1/units/3fa85f64-5717-4562-b3fc-2c963f66afa6", "GET, PATCH"),
        ("PUT", "/api/v1/teams/3fa85f64-5717-4562-b3fc-2c963f66afa6", "DELETE, GET, PATCH"),
        ("POST", "/healthz", "GET"),
    ],
)
def test_a_wrong_method_is_405_naming_every_allowed_one(
    client: TestClient, method: str, path: str, allow: str
) -> None:
    response = client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.json()["code"] == "method_not_allowed"


def test_octet_stream_is_served_when_asked_for(admin_client: TestClient) -> None:
    response = admin_client.get(
        "/api/v1/members/export", headers={"Accept": "application/octet-stream"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.content[:2] == b"PK"
