"""A real HTTP receiver of webhooks on loopback, for the tests: it records what it gets
and answers what the test planned (a status code, or a pause longer than the sender's
timeout)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SLOW = "slow"


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    plan: list[int | str] = field(default_factory=list)  # answers to give, in order
    received: list[Received] = field(default_factory=list)
    pause_seconds: float = 2.0
    arrived: threading.Event = field(default_factory=threading.Event)

    def answer(self) -> int | str:
        return self.plan.pop(0) if self.plan else 200


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            receiver.received.append(
                Received({k.lower(): v for k, v in self.headers.items()}, body)
            )
            receiver.arrived.set()
            answer = receiver.answer()
            if answer == SLOW:
                time.sleep(receiver.pause_seconds)
                answer = 200
            self.send_response(int(answer))
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hooks")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
