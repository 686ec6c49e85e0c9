"""A tiny real HTTP server on 127.0.0.1, scripted per test (no mocking of httpx)."""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from omneo import AsyncOmneo, Omneo


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None

    def encode(self) -> bytes:
        if self.raw is not None:
            return self.raw
        return b"" if self.body is None else json.dumps(self.body).encode()


Handler = Callable[[Recorded], Reply]


class ScriptedServer:
    """Answers each request from ``script`` (in order; the last reply repeats) or from ``handler``."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.script: list[Reply] = []
        self.handler: Handler | None = None
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                recorded = Recorded(
                    self.command,
                    parts.path,
                    dict(parse_qsl(parts.query, keep_blank_values=True)),
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length) if length else b"",
                )
                outer.requests.append(recorded)
                reply = outer.next_reply(recorded)
                payload = reply.encode()
                self.send_response(reply.status)
                headers = {"Content-Type": "application/json", **reply.headers}
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class _Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # e.g. a client that timed out and hung up: expected in the timeout tests

        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.01,), daemon=True)

    def reset(self) -> None:
        self.requests.clear()
        self.script = []
        self.handler = None

    def next_reply(self, request: Recorded) -> Reply:
        if self.handler is not None:
            return self.handler(request)
        if not self.script:
            return Reply(200, {"data": {}})
        return self.script.pop(0) if len(self.script) > 1 else self.script[0]

    @property
    def origin(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def base_url(self) -> str:
        return f"{self.origin}/api/v3"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="session")
def _stub_server() -> Iterator[ScriptedServer]:
    srv = ScriptedServer()
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def stub(_stub_server: ScriptedServer) -> ScriptedServer:
    """The scripted stand-in server, reset for this test (``tests/conftest.py``'s ``server`` is the real app)."""
    _stub_server.reset()
    return _stub_server


# httpx clients are shared: building one (its TLS context) costs ~50 ms.
@pytest.fixture(scope="session")
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as c:
        yield c


@pytest.fixture(scope="session")
async def ahttp() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as c:
        yield c


@pytest.fixture
def client(stub: ScriptedServer, http: httpx.Client) -> Omneo:
    c = Omneo(base_url=stub.base_url, token="tok", max_retries=2, http_client=http)
    c.initial_retry_delay = 0.001
    return c


@pytest.fixture
def aclient(stub: ScriptedServer, ahttp: httpx.AsyncClient) -> AsyncOmneo:
    c = AsyncOmneo(base_url=stub.base_url, token="tok", max_retries=2, http_client=ahttp)
    c.initial_retry_delay = 0.001
    return c
