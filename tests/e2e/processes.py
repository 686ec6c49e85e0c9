"""Real server processes for scale-out tests: started on the test database, waited for with a
generous bound (a busy machine is slow to import the app), and reported with what they printed
when they do not come up."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

#: How long a process may take to answer its health check. Generous on purpose: importing the app
#: costs seconds of CPU, and several processes start at once on a machine others share.
READY_WITHIN = 180.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Started:
    """One started process and the file its output goes to."""

    def __init__(self, command: list[str], env: Mapping[str, str], log: Path) -> None:
        self.log = log
        self.handle = log.open("wb")
        self.process = subprocess.Popen(command, env=dict(env), stdout=self.handle, stderr=subprocess.STDOUT)

    def output(self) -> str:
        self.handle.flush()
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.handle.close()


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/api/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def wait_ready(started: Started, base: str) -> None:
    deadline = time.monotonic() + READY_WITHIN
    while not _healthy(base):
        if started.process.poll() is not None:
            raise RuntimeError(f"{base} exited with {started.process.returncode}:\n{started.output()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{base} did not answer within {READY_WITHIN:g} s; it printed:\n{started.output()}")
        time.sleep(0.2)


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a server process on the test database (no in-process worker)."""
    return {**os.environ, "OMNEO_DATABASE_URL": database_url, "OMNEO_WORKER": "0", **extra}


@contextmanager
def api_processes(database_url: str, count: int = 2, **env: str) -> Iterator[list[str]]:
    """``count`` API processes on ``database_url``; yields their ``/api/v3`` base URLs."""
    started: list[Started] = []
    with tempfile.TemporaryDirectory(prefix="omneo-api-") as logs:
        try:
            bases = []
            for n in range(count):
                port = free_port()
                command = [sys.executable, "-m", "uvicorn", "--factory", "omneo_server.app:create_app"]
                command += ["--port", str(port), "--log-level", "warning"]
                started.append(Started(command, server_env(database_url, **env), Path(logs) / f"api-{n}.log"))
                bases.append(f"http://127.0.0.1:{port}")
            for process, base in zip(started, bases, strict=True):
                wait_ready(process, base)
            yield [f"{base}/api/v3" for base in bases]
        finally:
            for process in started:
                process.stop()


@contextmanager
def worker_processes(tenant: Any, count: int = 2, **env: str) -> Iterator[list[Started]]:
    """``count`` ``omneo-server worker`` processes for ``tenant`` on its database."""
    started: list[Started] = []
    with tempfile.TemporaryDirectory(prefix="omneo-worker-") as logs:
        try:
            for n in range(count):
                command = [sys.executable, "-m", "omneo_server.cli", "worker", "--tenant", tenant.handle]
                environment = server_env(tenant.server.db.url, **env)
                started.append(Started(command, environment, Path(logs) / f"worker-{n}.log"))
            yield started
        finally:
            for process in started:
                process.stop()
