"""The API as the image runs it: a uvicorn process started with the Dockerfile's command
line, on a database the test prepared, its log output kept for the test to read.

For what the in-process client cannot show: several processes on one database, what the
server itself adds to answers, a body refused before the client has sent all of it, and
the log lines a real run writes.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.databases import ROOT, TEST_SECRET

DOCKERFILE = ROOT / "Dockerfile"
START_SECONDS = 30


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(instruction, arguments) of the final stage, continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    instructions: list[tuple[str, str]] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        word, _, rest = stripped.partition(" ")
        if word.upper() == "FROM":
            instructions = []  # only the last stage becomes the image
        instructions.append((word.upper(), rest.strip()))
    return instructions


def dockerfile_command() -> list[str]:
    """The image's CMD, which must be the exec form (a JSON list)."""
    commands = [rest for word, rest in dockerfile_instructions() if word == "CMD"]
    command = json.loads(commands[-1])
    assert isinstance(command, list)
    return [str(part) for part in command]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _with_address(command: list[str], port: int) -> list[str]:
    """The command with its host and port replaced by a local, free one."""
    args = list(command)
    for option, value in (("--host", "127.0.0.1"), ("--port", str(port))):
        if option in args:
            args[args.index(option) + 1] = value
        else:
            args += [option, value]
    return args


@dataclass
class LiveServer:
    url: str
    log_path: Path
    process: subprocess.Popen[bytes]

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, **kwargs)  # type: ignore[arg-type]


@contextmanager
def live_server(
    database_url: str, work_dir: Path, *, env: dict[str, str] | None = None, name: str = "api"
) -> Iterator[LiveServer]:
    """A server on ``database_url`` (already migrated), with the Dockerfile's command line;
    its standard output and error go to a file in ``work_dir``."""
    command = dockerfile_command()
    assert command[0] == "uvicorn"
    port = _free_port()
    log_path = work_dir / f"{name}-{port}.log"
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CNSCD_")},
        "CNSCD_ENVIRONMENT": "test",
        "CNSCD_SECRET_KEY": TEST_SECRET,
        "CNSCD_DATABASE_URL": database_url,
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    argv = [sys.executable, "-m", "uvicorn", *_with_address(command, port)[1:]]
    with log_path.open("wb") as log_file:
        # In work_dir, so that no .env of a developer's is read.
        process = subprocess.Popen(  # noqa: S603 -- our own interpreter and image command
            argv, cwd=work_dir, env=environment, stdout=log_file, stderr=subprocess.STDOUT
        )
    server = LiveServer(f"http://127.0.0.1:{port}", log_path, process)
    try:
        _wait_until_up(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(server: LiveServer) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the server stopped at start:\n{server.log()}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer within {START_SECONDS} s:\n{server.log()}")
