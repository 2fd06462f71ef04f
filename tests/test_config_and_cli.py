"""Settings fail fast; the command line seeds and writes the OpenAPI document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from cnscd_api.cli import app as cli
from cnscd_api.config import Environment, Settings
from tests.databases import migrated_engine

STRONG_SECRET = "k" * 16 + "0123456789abcdefXYZ"


def test_development_needs_no_secret() -> None:
    settings = Settings(environment=Environment.DEVELOPMENT, _env_file=None)
    assert settings.database_url == "sqlite:///var/cnscd.db"


@pytest.mark.parametrize("environment", [Environment.PRODUCTION, Environment.TEST])
@pytest.mark.parametrize(
    ("secret", "message"),
    [
        (None, "required"),
        ("short", "at least 32 bytes"),
        ("changeme", "at least 32 bytes"),
    ],
)
def test_secret_is_required_outside_development(
    environment: Environment, secret: str | None, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CNSCD_SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match=message):
        Settings(environment=environment, secret_key=secret, _env_file=None)


def test_placeholder_secret_is_refused_even_when_long(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CNSCD_ENVIRONMENT", "production")
    monkeypatch.setenv("CNSCD_SECRET_KEY", "change-me" + " " * 30)
    with pytest.raises(ValidationError, match="placeholder"):
        Settings(_env_file=None)


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CNSCD_ENVIRONMENT", "production")
    monkeypatch.setenv("CNSCD_SECRET_KEY", STRONG_SECRET)
    monkeypatch.setenv("CNSCD_CORS_ORIGINS", "https://a.example.vn, https://b.example.vn")
    settings = Settings(_env_file=None)
    assert settings.cors_origins == ["https://a.example.vn", "https://b.example.vn"]
    assert settings.secret_key is not None
    assert STRONG_SECRET not in repr(settings)


def test_cli_seed_is_idempotent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    migrated_engine(url).dispose()
    monkeypatch.setenv("CNSCD_DATABASE_URL", url)
    runner = CliRunner()
    first = runner.invoke(cli, ["seed", "--province-code", "62"])
    assert first.exit_code == 0, first.output
    assert "113 created" in first.output
    again = runner.invoke(cli, ["seed", "--province-code", "62"])
    assert "0 created, 113 already present" in again.output
    both = runner.invoke(cli, ["seed", "--all", "--province-code", "62"])
    assert both.exit_code != 0


def test_cli_writes_openapi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CNSCD_DATABASE_URL", f"sqlite:///{tmp_path / 'unused.db'}")
    target = tmp_path / "out" / "openapi.json"
    result = CliRunner().invoke(cli, ["openapi", "--output", str(target)])
    assert result.exit_code == 0, result.output
    document = json.loads(target.read_text(encoding="utf-8"))
    assert "/api/v1/units" in document["paths"]


def _help(*args: str) -> str:
    """``cnscd <args> --help`` as a wide terminal shows it, one row per line."""
    result = CliRunner().invoke(cli, [*args, "--help"], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def test_help_reads_as_paragraphs() -> None:
    # Each command's summary is one line of the list, however its docstring is wrapped.
    listed = _help()
    worker = "Deliver events to webhook endpoints until stopped (SIGTERM or Ctrl-C finish"
    assert f"│ worker {worker} the round under way)." in listed
    viewer = "or with --national of the whole country (read-only; a national viewer"
    assert viewer in listed
    assert "finish │ │" not in listed  # no summary spills onto a second row
    assert "(writers wait for the end)" in _help("stats")
    housekeeping = _help("housekeeping")
    assert "webhook deliveries" in housekeeping
    assert "device referrals" in housekeeping


def test_create_admin_refuses_weak_passwords_and_creates_a_province_admin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'admin.db'}"
    migrated_engine(url).dispose()
    monkeypatch.setenv("CNSCD_DATABASE_URL", url)
    runner = CliRunner()
    assert runner.invoke(cli, ["seed", "--province-code", "62"]).exit_code == 0
    weak = runner.invoke(
        cli, ["create-admin", "tinh.admin", "--unit-code", "62", "--password", "123456"]
    )
    assert weak.exit_code == 2
    assert "too weak" in weak.output
    missing = runner.invoke(
        cli, ["create-admin", "tinh.admin", "--unit-code", "99", "--password", "Strong-pass-2024"]
    )
    assert missing.exit_code == 2
    prompted = runner.invoke(
        cli,
        ["create-admin", "Tinh.Admin", "--unit-code", "62"],
        input="Strong-pass-2024\nStrong-pass-2024\n",
    )
    assert prompted.exit_code == 0, prompted.output
    assert "created province_admin tinh.admin for Tỉnh Kon Tum" in prompted.output
    again = runner.invoke(
        cli, ["create-admin", "tinh.admin", "--unit-code", "62", "--password", "Strong-pass-2024"]
    )
    assert again.exit_code == 2
    assert "already in use" in again.output
