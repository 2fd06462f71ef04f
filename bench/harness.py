"""What the HTTP benchmarks share: a throwaway database, a uvicorn server in a process of
its own, the server's CPU time, and a small keep-alive load generator.

The load generator is plain asyncio over HTTP/1.1 keep-alive connections: it records
every request's latency (so p95 and p99 are exact, not interpolated from buckets) and
costs far less CPU per request than an HTTP client library, which matters on a
two-core machine where client and server share the cores. Server cost is measured as
the server process's CPU time (user + system, from ``/proc``) before and after a run,
divided by the requests answered: steadier than wall time on a shared machine. On
PostgreSQL the database's own CPU is counted apart: the backends serving the benchmark's
database, found in ``pg_stat_activity`` and read from ``/proc`` like the server (the
database runs on this machine), before and after the run. The dashboards spend most of
their time there. On SQLite the database runs inside the server process, so its CPU is
the server's.

Every results file starts with the commit it measured and whether the work tree had
changes (``source_line``), so a figure can be traced to the code that produced it.
"""

from __future__ import annotations

import asyncio
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for entry in (str(ROOT), str(ROOT / "src")):
    if entry not in sys.path:
        sys.path.insert(0, entry)

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# Where reports go; the test suite points it at a temporary directory.
RESULTS = Path(os.environ.get("CNSCD_BENCH_RESULTS") or ROOT / "bench" / "results")
# Signs the tokens of the servers the benchmarks start (never a real installation's).
SECRET = "bench-secret-key-that-is-long-enough-0123456789"


# --- databases ----------------------------------------------------------------------


@contextmanager
def throwaway_database(kind: str, workdir: Path) -> Iterator[str]:
    """A new empty database (a SQLite file in ``workdir`` or a PostgreSQL database at
    ``CNSCD_TEST_POSTGRES_URL``), dropped afterwards; yields its URL."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'bench.db'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool
    from tests.databases import POSTGRES_ADMIN_URL

    from cnscd_api.db import normalise_url

    name = f"cnscd_bench_{uuid.uuid4().hex[:8]}"
    # No pool: the drop at the end connects anew (a fault run restarts PostgreSQL meanwhile).
    admin = create_engine(
        normalise_url(POSTGRES_ADMIN_URL), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(normalise_url(POSTGRES_ADMIN_URL)).set(database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- the server ---------------------------------------------------------------------


def server_env(url: str) -> dict[str, str]:
    """The environment of a benchmark's server: its database, the benchmark's secret,
    quiet logs and access tokens that outlast the run."""
    return {
        "CNSCD_DATABASE_URL": url,
        "CNSCD_SECRET_KEY": SECRET,
        "CNSCD_ENVIRONMENT": "test",
        "CNSCD_LOG_LEVEL": "WARNING",
        "CNSCD_ACCESS_TOKEN_MINUTES": "600",
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # After the command name: state is field 3, utime 14 and stime 15 (1-based).
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants now alive, from ``/proc/<pid>/task/*/children``."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                pending.extend(int(child) for child in task.read_text().split())
            except OSError:
                continue
    return found


class DatabaseCpu:
    """CPU time of the PostgreSQL backends connected to one database (client backends,
    this sampler's own excepted), read from ``/proc``; nothing for SQLite."""

    def __init__(self, url: str | None) -> None:
        self.url = url if url and url.startswith("postgresql") else None

    def sample(self) -> dict[int, float]:
        """CPU seconds so far of each backend serving the database now."""
        if self.url is None:
            return {}
        from sqlalchemy import create_engine, text
        from sqlalchemy.pool import NullPool

        from cnscd_api.db import normalise_url

        engine = create_engine(normalise_url(self.url), poolclass=NullPool)
        try:
            with engine.connect() as connection:
                pids = connection.execute(
                    text(
                        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                        "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
                    )
                ).scalars()
                return {pid: cpu_seconds(pid) for pid in pids}
        finally:
            engine.dispose()

    @staticmethod
    def used(before: dict[int, float], after: dict[int, float]) -> float:
        """CPU the backends spent between two samples: a backend that connected meanwhile
        counts whole; one that disconnected meanwhile is lost (pools keep theirs)."""
        return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def percentile(ordered: list[float], fraction: float) -> float:
    """The value at ``fraction`` of sorted values (nearest rank); NaN without any."""
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    database_url: str | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        """User + system CPU time so far of the server process and its workers (uvicorn
        ``--workers N`` runs them as children of the process it started)."""
        return sum(cpu_seconds(pid) for pid in process_tree(self.process.pid))


@contextmanager
def serve(
    app_factory: str,
    env: dict[str, str],
    workers: int = 1,
    *,
    log: Path | None = None,
    start_timeout: float = 30.0,
) -> Iterator[Server]:
    """uvicorn (uvloop, httptools) serving ``app_factory`` on a free port until the block
    ends, its output to ``log`` (else inherited); fails when the port does not open within
    ``start_timeout``."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        app_factory,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
    ]
    if workers > 1:
        command += ["--workers", str(workers)]
    output = log.open("ab") if log is not None else None
    process = subprocess.Popen(  # noqa: S603 -- our own interpreter and arguments
        command,
        env={**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'src'}", **env},
        cwd=ROOT,
        stdout=output,
        stderr=subprocess.STDOUT if output is not None else None,
    )
    try:
        deadline = time.monotonic() + start_timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError("the server exited at start") from None
                time.sleep(0.1)
        else:
            raise RuntimeError(f"the server did not start within {start_timeout:.0f} s")
        yield Server(process, port, env.get("CNSCD_DATABASE_URL"))
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        if output is not None:
            output.close()


# --- the load generator -------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def encode(self, host: str) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}"]
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        if self.body or self.method in {"POST", "PUT", "PATCH"}:
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    elapsed: float = 0.0
    cpu_seconds: float = 0.0  # the API server's
    db_cpu_seconds: float | None = None  # PostgreSQL's backends' (None: SQLite, in the API's)

    @property
    def count(self) -> int:
        return len(self.latencies)

    def percentile(self, fraction: float) -> float:
        return percentile(sorted(self.latencies), fraction)

    @property
    def median(self) -> float:
        return statistics.median(self.latencies) if self.latencies else float("nan")

    @property
    def throughput(self) -> float:
        return self.count / self.elapsed if self.elapsed else 0.0

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.cpu_seconds / self.count if self.count else float("nan")

    @property
    def db_cpu_ms_per_request(self) -> float | str:
        """The database's CPU per request; "" where it is the server's own (SQLite)."""
        if self.db_cpu_seconds is None:
            return ""
        return 1000 * self.db_cpu_seconds / self.count if self.count else float("nan")

    def figures(self) -> dict[str, Any]:
        """The row of a report's table, under the keys of ``FIGURE_COLUMNS``."""
        return {
            "requests": self.count,
            "rps": self.throughput,
            "p50": 1000 * self.median,
            "p95": 1000 * self.percentile(0.95),
            "p99": 1000 * self.percentile(0.99),
            "cpu": self.cpu_ms_per_request,
            "db_cpu": self.db_cpu_ms_per_request,
            "errors": sum(n for status, n in self.statuses.items() if status >= 300),
        }


# The columns of ``Result.figures`` in a report's table (key, header, format).
FIGURE_COLUMNS = [
    ("requests", "requests", ",d"),
    ("rps", "req/s", ",.0f"),
    ("p50", "p50 ms", ".2f"),
    ("p95", "p95 ms", ".2f"),
    ("p99", "p99 ms", ".2f"),
    ("cpu", "API CPU ms/req", ".3f"),
    ("db_cpu", "DB CPU ms/req", ".3f"),
    ("errors", "non-2xx", "d"),
]


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = None
    chunked = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        lowered = name.strip().lower()
        if lowered == b"content-length":
            length = int(value.strip())
        elif lowered == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            parts.append(chunk[:-2])
        return status, b"".join(parts)
    return status, await reader.readexactly(length or 0)


async def _worker(
    port: int,
    next_request: Callable[[], Request | None],
    stop_at: float,
    result: Result,
    check: Callable[[Request, int, bytes], None] | None,
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    host = f"127.0.0.1:{port}"
    try:
        while time.perf_counter() < stop_at:
            request = next_request()
            if request is None:  # nothing left to send (the reports to approve ran out)
                break
            started = time.perf_counter()
            writer.write(request.encode(host))
            status, body = await _read_response(reader)
            result.latencies.append(time.perf_counter() - started)
            result.statuses[status] += 1
            if check is not None:
                check(request, status, body)
    finally:
        writer.close()


def drive(
    server: Server,
    next_request: Callable[[], Request | None],
    *,
    concurrency: int,
    seconds: float,
    check: Callable[[Request, int, bytes], None] | None = None,
) -> Result:
    """Send requests from ``concurrency`` keep-alive connections for ``seconds``."""
    result = Result()

    async def run() -> None:
        stop_at = time.perf_counter() + seconds
        await asyncio.gather(
            *(
                _worker(server.port, next_request, stop_at, result, check)
                for _ in range(concurrency)
            )
        )

    database = DatabaseCpu(server.database_url)
    db_before = database.sample()
    cpu_before = server.cpu_seconds()
    started = time.perf_counter()
    asyncio.run(run())
    result.elapsed = time.perf_counter() - started
    result.cpu_seconds = server.cpu_seconds() - cpu_before
    if database.url is not None:
        result.db_cpu_seconds = DatabaseCpu.used(db_before, database.sample())
    return result


def machine_line() -> str:
    import fastapi
    import pydantic
    import sqlalchemy

    return (
        f"{time.strftime('%Y-%m-%d %H:%M')} · {os.cpu_count()} CPUs "
        f"(load average {os.getloadavg()[0]:.1f} when written: others' work shares them) · "
        f"Python {platform.python_version()} · FastAPI {fastapi.__version__} · "
        f"pydantic {pydantic.VERSION} · SQLAlchemy {sqlalchemy.__version__}"
    )


def source_line() -> str:
    """The commit measured and whether the work tree differed from it (then the figures
    are of code no commit holds)."""

    def git(*arguments: str) -> str:
        done = subprocess.run(  # noqa: S603 -- git, fixed arguments
            ["git", *arguments],  # noqa: S607 -- the developer's git
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "HEAD")
    if not commit:
        return "source: not a git work tree (commit unknown)"
    changes = [line for line in git("status", "--porcelain").splitlines() if line]
    changed = sum(1 for line in changes if not line.startswith("??"))
    untracked = len(changes) - changed
    state = (
        "clean tree"
        if not changes
        else f"DIRTY tree: {changed} changed and {untracked} untracked files"
    )
    return f"source: commit {commit}, {state}"


def save_report(name: str, report: str) -> Path:
    """Write a report, headed by its ``source_line``, to ``bench/results/<name>-<date>.txt``
    (``$CNSCD_BENCH_RESULTS`` instead of ``bench/results`` when set); returns the file."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}-{time.strftime('%Y%m%d-%H%M')}.txt"
    source = source_line()
    print(source)
    path.write_text(source + "\n" + report + "\n")
    return path


def table(rows: list[dict[str, Any]], columns: list[tuple[str, str, str]]) -> str:
    """A fixed-width text table: columns are (key, header, format)."""
    header = " | ".join(title for _, title, _ in columns)
    lines = [header, " | ".join("-" * len(title) for _, title, _ in columns)]
    for row in rows:
        cells = []
        for key, title, fmt in columns:
            value = row.get(key, "")
            text = format(value, fmt) if value != "" else ""
            cells.append(text.rjust(len(title)) if fmt else text.ljust(len(title)))
        lines.append(" | ".join(cells))
    return "\n".join(lines)
