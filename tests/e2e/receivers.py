"""A real HTTP receiver on 127.0.0.1 for webhook and target deliveries, answering as scripted."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers each POST with the next step of ``script`` (the last one repeats): an HTTP status,
    ``("sleep", seconds)`` (hang, then 200), ``("answer", status, body bytes)`` or ``"close"`` (drop
    the connection unanswered)."""

    script: list[Any] = field(default_factory=lambda: [200])
    received: list[Received] = field(default_factory=list)
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_step(self) -> Any:
        with self.lock:
            return self.script.pop(0) if len(self.script) > 1 else self.script[0]

    @property
    def ids(self) -> list[str]:
        """The ``webhook-id`` of every request, in arrival order (repeats are redeliveries)."""
        return [r.headers.get("webhook-id", "") for r in self.received]


@contextmanager
def serving(state: Receiver) -> Iterator[Receiver]:
    """Serve ``state`` on a free 127.0.0.1 port until the block ends."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            state.received.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
            step = state.next_step()
            if step == "close":
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            payload = b'{"ok": true}'
            if isinstance(step, tuple) and step[0] == "answer":
                step, payload = step[1], step[2]
            elif isinstance(step, tuple):
                time.sleep(step[1])
                step = 200
            self.send_response(step)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 128  # the worker sends a batch at once

        def handle_error(self, request: Any, client_address: Any) -> None:
            pass  # the client gave up (timeout) or we dropped it on purpose

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def wait_until(condition: Callable[[], bool], seconds: float, context: Callable[[], str] | None = None) -> None:
    """Poll ``condition`` every 0.1 s; fail the test after ``seconds``, with what ``context`` says
    (what a process printed, say)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {seconds} s" + (f"; meanwhile:\n{context()}" if context else ""))
        time.sleep(0.1)
