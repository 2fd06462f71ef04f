"""The lock files: what ``make install``, CI and the image install, pinned with hashes,
in step with ``pyproject.toml`` and with the environment the suite runs in."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import PackageNotFoundError, version

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.databases import ROOT

PIN = re.compile(r"^([A-Za-z0-9_.-]+)==(\S+)((?:\s*\\\n\s+--hash=sha256:[0-9a-f]{64})+)", re.M)


def pins(name: str) -> dict[str, str]:
    text = (ROOT / name).read_text(encoding="utf-8")
    found: dict[str, str] = {
        canonicalize_name(package): pinned for package, pinned, _ in PIN.findall(text)
    }
    # Every requirement line is a pin with its hashes (pip refuses the file otherwise).
    requirements = [line for line in text.splitlines() if line and line[0] not in "# "]
    assert len(requirements) == len(found), name
    return found


def project_requirements(extra: str | None = None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    listed = project["optional-dependencies"][extra] if extra else project["dependencies"]
    return [Requirement(line) for line in listed]


def test_the_locks_pin_what_pyproject_asks_for() -> None:
    """A dependency added or narrowed in pyproject.toml without `make lock` fails here."""
    development, runtime = pins("requirements-dev.lock"), pins("requirements.lock")
    for requirement in [*project_requirements(), *project_requirements("dev")]:
        name = canonicalize_name(requirement.name)
        assert name in development, f"{name} is not in requirements-dev.lock: run make lock"
        assert requirement.specifier.contains(development[name], prereleases=True), (
            f"{name}=={development[name]} is outside {requirement.specifier}: run make lock"
        )
    for requirement in project_requirements():
        assert canonicalize_name(requirement.name) in runtime
    # The image runs the versions CI tested: the runtime lock is the dev lock's subset.
    assert {name: development.get(name) for name in runtime} == runtime
    assert canonicalize_name("python-jose") in runtime


def test_the_suite_runs_on_exactly_the_locked_packages() -> None:
    """What CI tests is what the lock says: no package installed at another version."""
    locked = pins("requirements-dev.lock")
    installed = {}
    for name in locked:
        try:
            installed[name] = version(name)
        except PackageNotFoundError:
            installed[name] = "missing"
    assert {name: found for name, found in installed.items() if found != locked[name]} == {}


def test_install_ci_and_the_image_install_from_the_locks() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "--require-hashes --no-deps -r $(DEV_LOCK)" in makefile
    assert "DEV_LOCK := requirements-dev.lock" in makefile
    assert "\nlock:" in makefile
    assert "make install" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "--require-hashes --no-deps -r requirements.lock" in dockerfile
    assert "--no-deps --no-build-isolation ." in dockerfile
