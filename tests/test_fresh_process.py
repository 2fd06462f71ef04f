"""Every module and every ``cnscd`` command works from a fresh process.

The rest of the suite imports ``cnscd_api.main`` first, which imports nearly everything in
an order that hides an import cycle: ``cnscd units reform-2025`` once crashed from a
shell (units.service → units.reorganise → teams.service → units.service) while every test
passed. Here each module is imported alone in an interpreter that has loaded none of the
package, and each command runs in a process of its own against a scratch database.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import typer
from sqlalchemy import text
from typer.core import TyperGroup

from cnscd_api.cli import app as cli
from tests.databases import ROOT, TEST_SECRET, fresh_database, settings_for

PACKAGE = ROOT / "src" / "cnscd_api"
BIN = Path(sys.executable).parent

# Imports every module of the package named on standard input alone: third-party
# libraries are loaded once, then a forked child per module imports it into an
# interpreter that holds no module of the package (as a fresh ``python -c "import …"``
# would, at a fraction of the cost).
IMPORT_EACH_ALONE = textwrap.dedent(
    """
    import os, sys, traceback
    import fastapi, sqlalchemy, sqlmodel, pydantic, pydantic_settings, typer, openpyxl
    import jose, pwdlib, phonenumbers, prometheus_client, psycopg, starlette, httpx
    assert not [m for m in sys.modules if m.split(".")[0] == "cnscd_api"]
    failed = 0
    for name in sys.stdin.read().split():
        child = os.fork()
        if child == 0:
            try:
                __import__(name)
            except BaseException:
                traceback.print_exc()
                os._exit(1)
            os._exit(0)
        _, status = os.waitpid(child, 0)
        if status:
            print(f"FAILED {name}", file=sys.stderr)
            failed += 1
    sys.exit(1 if failed else 0)
    """
)


def package_modules() -> list[str]:
    modules = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = ("cnscd_api", *path.relative_to(PACKAGE).with_suffix("").parts)
        modules.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return modules


def test_every_module_imports_alone_in_a_fresh_interpreter() -> None:
    modules = package_modules()
    assert {"cnscd_api.flows.reform2025", "cnscd_api.units.service", "cnscd_api.cli"} <= set(
        modules
    )
    done = subprocess.run(  # noqa: S603 -- our own interpreter, a fixed script
        [sys.executable, "-c", IMPORT_EACH_ALONE],
        input="\n".join(modules),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-5000:]


def command_paths(group: TyperGroup, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command of the ``cnscd`` tree, groups included."""
    for name, command in group.commands.items():
        yield (*prefix, name)
        if isinstance(command, TyperGroup):
            yield from command_paths(command, (*prefix, name))


# What each command is run with, in this order, on a scratch database ("{…}" are filled
# in as the run goes). Every command of the tree must appear here.
SCENARIO: list[tuple[tuple[str, ...], list[str], str]] = [
    (("seed",), ["seed", "--province-code", "62"], "113 created"),
    (
        ("create-admin",),
        ["create-admin", "tinh.admin", "--unit-code", "62", "--password", "Strong-pass-2024"],
        "created province_admin tinh.admin",
    ),
    (
        ("create-viewer",),
        ["create-viewer", "bo.viewer", "--national", "--password", "Strong-pass-2024"],
        "created viewer bo.viewer for the whole country",
    ),
    (("demo",), ["demo"], "demo users: 3 created"),
    (("demo",), ["demo", "--reset"], "demo users: 3 restored"),
    (("stats", "rebuild"), ["stats", "rebuild"], "rebuilt the aggregates of the whole country"),
    (("stats", "rebuild"), ["stats", "rebuild", "--unit-id", "{kon_tum}"], "Tỉnh Kon Tum"),
    (
        ("units", "reform-2025"),
        ["units", "reform-2025", "--province-code", "62", "--dry-run"],
        "would",
    ),
    (("units", "reform-2025"), ["units", "reform-2025", "--province-code", "62"], "Quảng Ngãi"),
    (("housekeeping",), ["housekeeping"], "refresh_token"),
    (("worker",), ["worker", "--once"], "webhook worker stopped"),
    (("openapi",), ["openapi", "--output", "{tmp}/openapi.json"], "wrote"),
]


def test_the_scenario_runs_every_command() -> None:
    tree = set(command_paths(typer.main.get_group(cli)))
    leaves = {
        path for path in tree if not any(other[: len(path)] == path != other for other in tree)
    }
    assert leaves == {path for path, _, _ in SCENARIO}, "run every new command in SCENARIO"


def _run(
    argv: list[str], environment: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 -- our own console scripts, fixed arguments
        argv, env=environment, cwd=cwd, capture_output=True, text=True, timeout=900, check=False
    )


def test_every_command_runs_from_a_fresh_process(backend: str, tmp_path: Path) -> None:
    """``alembic upgrade head``, then every command and its ``--help``, each in a process
    of its own, on an empty database of ``backend``."""
    with fresh_database(backend, tmp_path) as url:
        environment = {
            **os.environ,
            "CNSCD_DATABASE_URL": url,
            "CNSCD_ENVIRONMENT": "test",
            "CNSCD_SECRET_KEY": TEST_SECRET,
            "CNSCD_LOG_LEVEL": "WARNING",
        }
        migrated = _run([str(BIN / "alembic"), "upgrade", "head"], environment, ROOT)
        assert migrated.returncode == 0, migrated.stderr
        cnscd = str(BIN / "cnscd")
        for path in sorted(set(command_paths(typer.main.get_group(cli)))):
            helped = _run([cnscd, *path, "--help"], environment, tmp_path)
            assert helped.returncode == 0, (path, helped.stderr)
            assert "Usage" in helped.stdout, path
        values = {"tmp": str(tmp_path)}
        for _, argv, expected in SCENARIO:
            if "{kon_tum}" in argv and "kon_tum" not in values:
                values["kon_tum"] = _kon_tum(url)
            ran = _run([cnscd, *(arg.format(**values) for arg in argv)], environment, tmp_path)
            assert ran.returncode == 0, (argv, ran.stdout, ran.stderr)
            assert expected in ran.stdout, (argv, ran.stdout)


def _kon_tum(url: str) -> str:
    from cnscd_api.db import create_db_engine

    engine = create_db_engine(settings_for(url))
    try:
        with engine.connect() as connection:
            found = connection.execute(
                text("SELECT id FROM unit WHERE level = 'province' AND code = '62'")
            ).scalar_one()
    finally:
        engine.dispose()
    return str(found if isinstance(found, uuid.UUID) else uuid.UUID(str(found)))
