"""The benchmarks run, at a tiny size, on both databases, so they cannot rot unseen.

``bench/generate.py`` once crashed with a ``KeyError`` for weeks because nothing ran it.
Here the generator builds the Kon Tum data set with a few hundred activities, the
dashboards' benchmark (``run.py``), the activity writes (``activities.py``) and the
lists' (``api.py``) run a fraction of a second per case, and each report is checked: it
names the commit it measured, every answer was a success, and the database's CPU is
counted apart on PostgreSQL. The figures of such short runs mean nothing; that they come
out does. ``import_export.py`` (20,000 members, 100,000 exported) has no tiny size and
is left to be run by hand.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.databases import ROOT, fresh_database

BENCH = ROOT / "bench"


def _run(script: str, *arguments: str, results: Path) -> str:
    done = subprocess.run(  # noqa: S603 -- our own interpreter and scripts, fixed arguments
        [sys.executable, str(BENCH / script), *arguments],
        cwd=ROOT,
        env={**os.environ, "CNSCD_BENCH_RESULTS": str(results)},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, (script, done.stdout[-3000:], done.stderr[-3000:])
    return done.stdout


def _report(results: Path, prefix: str) -> str:
    (found,) = sorted(results.glob(f"{prefix}-*.txt"))
    text = found.read_text(encoding="utf-8")
    assert text.startswith("source: commit "), text[:200]
    assert "tree" in text.splitlines()[0]
    return text


def _table(report: str) -> list[dict[str, str]]:
    """The rows of the report's first table (``a | b | c`` lines under a header)."""
    lines = [line for line in report.splitlines() if " | " in line]
    header = [cell.strip() for cell in lines[0].split(" | ")]
    return [
        dict(zip(header, (cell.strip() for cell in line.split(" | ")), strict=True))
        for line in lines[2:]
    ]


def test_the_benchmarks_run_at_a_tiny_size(backend: str, tmp_path: Path) -> None:
    results = tmp_path / "results"
    with fresh_database(backend, tmp_path) as url:
        _run(
            "generate.py",
            "--scale",
            "kontum",
            "--activities",
            "300",
            "--database-url",
            url,
            "--replace",
            results=results,
        )
        assert "300 activities" in _report(results, f"generate-kontum-{backend}")
        _run(
            "run.py",
            "--database-url",
            url,
            "--seconds",
            "0.2",
            "--warmup",
            "0.05",
            "--concurrency",
            "1",
            results=results,
        )
    rows = _table(_report(results, f"run-{backend}"))
    assert {row["case"] for row in rows} >= {"stats overview", "teams list (50)", "healthz"}
    for row in rows:
        assert row["non-2xx"] == "0", row
        assert float(row["API CPU ms/req"]) >= 0, row
        # The database's own CPU: apart on PostgreSQL, inside the server on SQLite.
        assert (row["DB CPU ms/req"] != "") == (backend == "postgresql"), row

    _run(
        "activities.py",
        "--database",
        backend,
        "--seconds",
        "0.3",
        "--warmup",
        "0.3",
        "--workers",
        "2",
        results=results,
    )
    activities = _report(results, f"activities-{backend}")
    assert "(all there)" in activities, activities
    rows = _table(activities)
    assert {row["run"].strip() for row in rows} == {"single POST", "batch of 100", "approve"}
    for row in rows:
        assert row["non-2xx"] == "0", row
        assert float(row["activities/s"].replace(",", "")) > 0, row
        # The CPU of both workers (children of the process started) is counted.
        assert float(row["API CPU ms/activity"]) > 0, row

    _run("api.py", "--database", backend, "--seconds", "0.2", "--concurrency", "1", results=results)
    assert _table(_report(results, f"api-{backend}"))


def test_the_events_benchmark_runs_at_a_tiny_size(backend: str, tmp_path: Path) -> None:
    results = tmp_path / "results"
    _run("events.py", "--database", backend, "--rate", "20", "--seconds", "0.5", results=results)
    rows = _table(_report(results, f"events-{backend}"))
    assert [row["workers"] for row in rows] == (["1", "2"] if backend == "postgresql" else ["1"])
    for row in rows:
        assert row["arrived"] == row["events"] == "10", row
        assert row["repeats"] == "0", row
