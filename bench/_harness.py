"""Shared machinery of the HTTP benchmarks (``profiles.py``, ``transactions.py``).

Each benchmark serves the real app (``omneo_server.app:create_app``) and ``bench/bare_app.py`` as two
separate uvicorn processes (one worker each, access log off) on 127.0.0.1 and drives them over HTTP
for a fixed time per scenario from client processes running asyncio on uvloop. What a scenario
sends is a *plan* (``Get`` or a benchmark's own): a small picklable object that builds each
request inside the client process.

The default client speaks HTTP/1.1 keep-alive itself (an ``asyncio.Protocol`` with httptools'
response parser, both shipped with ``uvicorn[standard]``); ``--client httpx`` uses
``httpx.AsyncClient`` instead, but httpx spends a few ms of CPU per request, so it cannot drive even
the bare app past a few hundred req/s on a small machine and the "ratio to bare" would measure the
client, not the server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import multiprocessing as mp
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import ClassVar, Protocol, cast
from urllib.parse import urlsplit

import httptools
import httpx

BENCH_DIR = Path(__file__).resolve().parent
HOST = "127.0.0.1"
WARMUP_SECONDS = 1.0
#: Client processes get this long to start before a scenario's warm-up begins.
START_DELAY_SECONDS = 1.0
#: An open-loop run stops waiting for replies this long after its last scheduled send.
DRAIN_LIMIT_SECONDS = 5.0
#: The data-path targets (issue 11), each a share of the bare endpoint's req/s in the same run.
READ_TARGET = 0.35  # profile read
WRITE_TARGET = 0.20  # profile create, sale ingest
LIST_TARGET = 0.25  # profile list filtered by email


def verdict(name: str, share: float, recheck: float, target: float) -> str:
    """One target's line: MET/MISSED beside the share of bare (and of the recheck)."""
    met = "MET" if share >= target else "MISSED"
    return f"target {name} >= {target:.0%} of bare req/s: {met} ({share:.1%}; {recheck:.1%} against the recheck)"


# --- results -----------------------------------------------------------------------------------


@dataclass
class Sample:
    """What one client process saw."""

    latencies: list[float] = field(default_factory=list)  # seconds, successful measured requests
    errors: int = 0
    first_error: str | None = None
    warmup_errors: int = 0  # failed requests sent during warm-up (not in ``errors``)
    answered: int = 0  # successful requests including warm-up (for server CPU per request)
    created_ids: list[str] = field(default_factory=list)
    max_send_lag: float = 0.0  # open loop: worst lateness of a send against its schedule
    drain_seconds: float = 0.0  # open loop: time from the last scheduled send to the last reply
    unanswered: int = 0  # open loop: measured requests still pending at the drain limit
    censored: list[float] = field(default_factory=list)  # ... and how long they had waited by then

    def error(self, message: str, record: bool = True) -> None:
        if record:
            self.errors += 1
        else:
            self.warmup_errors += 1
        if self.first_error is None:
            self.first_error = message


@dataclass
class Result:
    scenario: str
    seconds: float
    latencies: list[float]
    errors: int
    first_error: str | None
    answered: int
    censored: list[float] = field(default_factory=list)
    server_cpu: float = 0.0  # seconds of server-process CPU over the whole scenario
    note: str = ""
    warmup_errors: int = 0
    #: Share of all the machine's processors busy during the scenario (servers, database, clients).
    machine_busy: float = float("nan")
    #: With ``--sqlite-time``: the server's time inside the SQLite driver, and its statements.
    sqlite_seconds: float | None = None
    sqlite_statements: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_ms_per_request(self) -> float:
        return self.server_cpu / self.answered * 1000 if self.answered else float("nan")

    def sqlite_breakdown(self) -> str:
        """ "SQLite x ms/req in n statements" (what the driver itself took), or ""."""
        if self.sqlite_seconds is None or not self.answered:
            return ""
        per = self.sqlite_seconds / self.answered * 1000
        return f"SQLite {per:.2f} ms/req in {self.sqlite_statements / self.answered:.1f} statements"

    def ms(self, p: float) -> str:
        """A percentile for the table; "≥" when unanswered requests make it a lower bound."""
        value = self.percentile(p)
        return "n/a" if value != value else f"{'≥' if self.censored else ''}{value:.2f}"

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile in ms; unanswered requests count with the wait they had so far."""
        ordered = sorted(self.latencies + self.censored)
        if not ordered:
            return float("nan")
        rank = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))
        return ordered[rank] * 1000


def merge(scenario: str, seconds: float, samples: Sequence[Sample], server_cpu: float) -> Result:
    return Result(
        scenario,
        seconds,
        [lat for s in samples for lat in s.latencies],
        sum(s.errors for s in samples),
        next((s.first_error for s in samples if s.first_error), None),
        sum(s.answered for s in samples),
        [c for s in samples for c in s.censored],
        server_cpu,
        warmup_errors=sum(s.warmup_errors for s in samples),
    )


# --- HTTP clients (run inside client processes) ---------------------------------------------------


class Client(Protocol):
    async def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        """Send one request; ``headers`` are added to the client's own for this request only."""
        ...

    async def aclose(self) -> None: ...


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection carrying one request at a time."""

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.body: list[bytes] = []
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not an asyncio.Transport subclass

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(exc or ConnectionError("connection closed by the server"))

    def _fail(self, exc: Exception) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)

    # httptools callbacks
    def on_message_begin(self) -> None:
        self.body = []

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result((self.parser.get_status_code(), b"".join(self.body)))

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(raw)
        return await self.waiter


class RawClient:
    """A pool of keep-alive connections to one host; a request waits for an idle connection."""

    def __init__(self, base: str, headers: dict[str, str], connections: int) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or HOST, parts.port or 80
        self.headers = "".join(f"{k}: {v}\r\n" for k, v in {"Host": parts.netloc, **headers}.items())
        self.size = connections
        self.idle: asyncio.Queue[_Connection] = asyncio.Queue()
        self.all: list[_Connection] = []

    async def _connect(self) -> _Connection:
        _transport, conn = await asyncio.get_running_loop().create_connection(_Connection, self.host, self.port)
        self.all.append(conn)
        return conn

    async def open(self) -> RawClient:
        for conn in await asyncio.gather(*(self._connect() for _ in range(self.size))):
            self.idle.put_nowait(conn)
        return self

    async def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        head = f"{method} {path} HTTP/1.1\r\n{self.headers}"
        if headers:
            head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        raw = (head + "\r\n").encode() + (body or b"")
        conn = await self.idle.get()
        try:
            if conn.closed:
                conn = await self._connect()
            return await conn.send(raw)
        finally:
            self.idle.put_nowait(conn)

    async def aclose(self) -> None:
        for conn in self.all:
            if conn.transport is not None:
                conn.transport.close()


class HttpxClient:
    def __init__(self, base: str, headers: dict[str, str], connections: int) -> None:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        self.client = httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=30.0)

    async def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        extra = {**({"Content-Type": "application/json"} if body is not None else {}), **(headers or {})}
        response = await self.client.request(method, path, content=body, headers=extra or None)
        return response.status_code, response.content

    async def aclose(self) -> None:
        await self.client.aclose()


# --- load generation (runs inside client processes) ---------------------------------------------


class Plan(Protocol):
    """What a scenario sends. Built inside the client processes, so it must pickle: a frozen
    dataclass defined at module level (of ``_harness`` or of the benchmark script)."""

    method: ClassVar[str]
    #: Keep each reply's ``data.id`` (``Sample.created_ids``), e.g. to read the created rows later.
    collect_ids: ClassVar[bool]

    @property
    def path(self) -> str: ...

    def build(self, prefix: str, n: int, rng: random.Random) -> tuple[str, bytes | None]:
        """The path and JSON body of the ``n``-th request of a client process whose ``prefix`` is
        unique in the run (for unique emails, external ids…)."""
        ...


class Exchange(Protocol):
    """A plan that does its own talking: ``perform`` sends one or more requests (with per-request
    headers if it likes, e.g. a token minted by the previous request) and answers the status and
    body that decide success — the first non-2xx, or the last reply. Its latency is that of the whole
    exchange. ``Requester`` calls ``perform`` instead of ``build`` when a plan has it."""

    async def perform(self, client: Client, prefix: str, n: int, rng: random.Random) -> tuple[int, bytes]: ...


@dataclass(frozen=True)
class Get:
    """``GET path``, or ``GET path/{id}`` with a random id from ``ids`` when there are some."""

    path: str
    ids: tuple[str, ...] = ()
    method: ClassVar[str] = "GET"
    collect_ids: ClassVar[bool] = False

    def build(self, prefix: str, n: int, rng: random.Random) -> tuple[str, bytes | None]:
        return (f"{self.path}/{rng.choice(self.ids)}" if self.ids else self.path), None


@dataclass(frozen=True)
class Job:
    """One client process's share of a scenario."""

    base: str
    plan: Plan
    connections: int
    start_at: float  # wall clock (time.time()) at which warm-up begins
    seconds: float
    client: str = "raw"
    token: str | None = None
    prefix: str = ""
    rate: float = 0.0  # > 0: open loop at this many requests per second


class Requester:
    """Builds, sends and checks one scenario's requests, recording into a Sample. Any status outside
    2xx is an error (counted apart during warm-up)."""

    def __init__(self, job: Job, client: Client, sample: Sample) -> None:
        self.job, self.client, self.sample = job, client, sample
        self.counter = 0
        self.rng = random.Random()

    async def send(self, started: float, record: bool) -> None:
        plan = self.job.plan
        self.counter += 1
        perform = getattr(plan, "perform", None)
        try:
            if perform is not None:
                status, content = await perform(self.client, self.job.prefix, self.counter, self.rng)
            else:
                path, body = plan.build(self.job.prefix, self.counter, self.rng)
                status, content = await self.client.request(plan.method, path, body)
        except (OSError, httpx.HTTPError, httptools.HttpParserError) as exc:
            self.sample.error(f"{type(exc).__name__}: {exc}", record)
            return
        elapsed = time.perf_counter() - started
        if not 200 <= status < 300:
            self.sample.error(f"HTTP {status}: {content[:200]!r}", record)
            return
        self.sample.answered += 1
        if plan.collect_ids:
            self.sample.created_ids.append(json.loads(content)["data"]["id"])
        if record:
            self.sample.latencies.append(elapsed)


async def _make_client(job: Job) -> Client:
    headers = {"Authorization": f"Bearer {job.token}"} if job.token else {}
    if job.client == "httpx":
        return HttpxClient(job.base, headers, job.connections)
    return await RawClient(job.base, headers, job.connections).open()


async def _wait_until(wall_clock: float) -> float:
    """Sleep until ``wall_clock`` (time.time()); return the matching perf_counter()."""
    await asyncio.sleep(max(0.0, wall_clock - time.time()))
    return time.perf_counter()


async def _closed_loop(job: Job) -> Sample:
    sample = Sample()
    client = await _make_client(job)
    requester = Requester(job, client, sample)
    try:
        begin = await _wait_until(job.start_at)
        measure_from = begin + WARMUP_SECONDS
        end = measure_from + job.seconds

        async def worker() -> None:
            while (now := time.perf_counter()) < end:
                await requester.send(now, record=now >= measure_from)

        await asyncio.gather(*(worker() for _ in range(job.connections)))
    finally:
        await client.aclose()
    return sample


async def _open_loop(job: Job) -> Sample:
    """Send at a fixed rate; latency counts from each request's *scheduled* send time."""
    sample = Sample()
    client = await _make_client(job)
    requester = Requester(job, client, sample)
    pending: dict[asyncio.Task[None], tuple[float, bool]] = {}  # task -> (scheduled, measured)
    try:
        begin = await _wait_until(job.start_at)
        measure_from = begin + WARMUP_SECONDS
        total = int((WARMUP_SECONDS + job.seconds) * job.rate)
        for i in range(total):
            scheduled = begin + i / job.rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            elif scheduled >= measure_from:
                sample.max_send_lag = max(sample.max_send_lag, -delay)
            measured = scheduled >= measure_from
            task = asyncio.create_task(requester.send(scheduled, record=measured))
            pending[task] = (scheduled, measured)
            task.add_done_callback(lambda done: pending.pop(done, None))
        last_send = begin + (total - 1) / job.rate
        if pending:
            await asyncio.wait(set(pending), timeout=DRAIN_LIMIT_SECONDS)
        now = time.perf_counter()
        sample.drain_seconds = max(0.0, now - last_send)
        for scheduled, measured in pending.values():
            if measured:
                sample.unanswered += 1
                sample.censored.append(now - scheduled)
    finally:
        for task in list(pending):
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        await client.aclose()
    return sample


def run_job(job: Job) -> Sample:
    """Entry point of a client process."""
    import uvloop

    return uvloop.run(_open_loop(job) if job.rate > 0 else _closed_loop(job))


def _ready() -> None:
    """Make a client process import its event loop ahead of the timed runs."""
    import uvloop  # noqa: F401


# --- servers ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    url: str
    pid: int

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process and its worker processes have used so far
        (Linux /proc)."""
        total = 0.0
        for pid in _process_tree(self.pid):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total if total else float("nan")

    def sqlite_totals(self) -> dict[str, float]:
        """What the server's SQLite driver did so far (served by ``sqlite_timed``; else empty)."""
        answer = httpx.get(self.url + "/bench/sqlite", timeout=10)
        return dict(answer.json()) if answer.status_code == 200 else {}


def _machine_ticks() -> tuple[int, int]:
    """(busy, total) clock ticks of all processors so far (Linux /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _busy(before: tuple[int, int], after: tuple[int, int]) -> float:
    total = after[1] - before[1]
    return (after[0] - before[0]) / total if total else float("nan")


def _process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (``uvicorn --workers N`` serves from child processes)."""
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError, ValueError):
            for child in (task / "children").read_text().split():
                found += _process_tree(int(child))
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def serve(target: list[str], env: dict[str, str], health: str, log: Path, workers: int = 1) -> Iterator[Server]:
    """Run ``uvicorn <target>`` on a free port (``workers`` processes, no access log) until the
    block ends."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", *target, "--host", HOST, "--port", str(port)]
    command += ["--workers", str(workers), "--no-access-log", "--log-level", "warning"]
    with log.open("wb") as out:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{target[-1]} exited with {proc.returncode}:\n{log.read_text()[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + health, timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{target[-1]} did not become healthy:\n{log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield Server(base, proc.pid)
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


# --- databases -------------------------------------------------------------------------------------


async def _pg_admin(dsn: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(f"postgresql://{dsn}/postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextlib.contextmanager
def database(kind: str, workdir: Path, pg: str) -> Iterator[str]:
    """A fresh, empty database URL: a SQLite file in ``workdir``, or a throwaway PostgreSQL db."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{workdir / 'omneo.db'}"
        return
    name = f"omneo_bench_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(pg, f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+asyncpg://{pg}/{name}"
    finally:
        asyncio.run(_pg_admin(pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def seed(url: str) -> str:
    """Migrate ``url`` and create a tenant with an all-scopes admin token; return the token."""
    from omneo_server.db import migrate
    from omneo_server.db.engine import Database
    from omneo_server.domain import access

    migrate.upgrade(url)

    async def work() -> str:
        db = Database(url)
        try:
            async with db.write() as session:
                tenant = await access.create_tenant(session, "bench")
                _row, token = await access.create_token(session, tenant.id, "bench", ["*"])
                return token
        finally:
            await db.dispose()

    return asyncio.run(work())


# --- the run ---------------------------------------------------------------------------------------


def split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


class Bench:
    """Runs scenarios against the servers from a pool of client processes."""

    def __init__(self, args: argparse.Namespace, pool: ProcessPoolExecutor, token: str, bare_url: str) -> None:
        self.args, self.pool, self.token, self.bare_url = args, pool, token, bare_url

    def closed_loop(self, name: str, server: Server, plan: Plan) -> tuple[Result, list[str]]:
        """One closed-loop scenario over ``--clients`` processes; also returns the ids created."""
        args = self.args
        start_at = time.time() + START_DELAY_SECONDS
        prefix = f"bench-{uuid.uuid4().hex[:8]}"
        token = self.token if plan.path.startswith("/api/") else None
        jobs = [
            Job(server.url, plan, share, start_at, args.seconds, args.client, token, f"{prefix}-{i}")
            for i, share in enumerate(split(args.concurrency, args.clients))
            if share
        ]
        cpu, driver, machine_before = server.cpu_seconds(), self._sqlite(server), _machine_ticks()
        samples = list(self.pool.map(run_job, jobs))
        result = merge(name, args.seconds, samples, server.cpu_seconds() - cpu)
        result.machine_busy = _busy(machine_before, _machine_ticks())
        if driver:
            after = self._sqlite(server)
            result.sqlite_seconds = after["seconds"] - driver["seconds"]
            result.sqlite_statements = after["statements"] - driver["statements"]
        breakdown = result.sqlite_breakdown()
        print(
            f"  {name}: {result.rps:.0f} req/s, p99 {result.ms(99)} ms; machine CPU {result.machine_busy:.0%} busy"
            f"{'; ' if breakdown else ''}{breakdown}",
            flush=True,
        )
        return result, [i for s in samples for i in s.created_ids]

    def _sqlite(self, server: Server) -> dict[str, float]:
        return (
            server.sqlite_totals() if getattr(self.args, "sqlite_time", False) and server.url != self.bare_url else {}
        )

    def open_loop(self, name: str, server: Server, plan: Plan, rate: float, connections: int) -> Result:
        """Requests sent at a fixed rate from one client process; notes whether the server kept up."""
        args = self.args
        start_at = time.time() + START_DELAY_SECONDS
        token = self.token if plan.path.startswith("/api/") else None
        prefix = f"bench-{uuid.uuid4().hex[:8]}-open"
        job = Job(server.url, plan, connections, start_at, args.seconds, args.client, token, prefix, rate=rate)
        cpu = server.cpu_seconds()
        sample = self.pool.submit(run_job, job).result()
        result = merge(name, args.seconds, [sample], server.cpu_seconds() - cpu)
        expected = int(args.seconds * rate)
        kept_up = (
            result.errors == 0
            and sample.unanswered == 0
            and result.requests >= 0.99 * expected
            and sample.drain_seconds < 0.5
        )
        backlog = (
            f"{sample.unanswered} still unanswered {sample.drain_seconds:.1f} s after the last send"
            if sample.unanswered
            else f"last reply {sample.drain_seconds * 1000:.0f} ms after the last send"
        )
        result.note = (
            f"{'kept up' if kept_up else 'DID NOT keep up'}: {result.requests}/{expected} answered, {backlog}, "
            f"client send lag max {sample.max_send_lag * 1000:.1f} ms"
        )
        print(f"  {result.scenario}: p99 {result.ms(99)} ms; {result.note}", flush=True)
        return result


def table(results: Sequence[Result], bare: Result) -> str:
    lines = [
        "| scenario | requests | errors | req/s | p50 ms | p99 ms | vs bare | server CPU ms/req |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        ratio = f"{r.rps / bare.rps * 100:.0f} %" if bare.rps else "-"
        lines.append(
            f"| {r.scenario} | {r.requests} | {r.errors} | {r.rps:.0f} | {r.ms(50)} | {r.ms(99)} | {ratio} "
            f"| {r.cpu_ms_per_request:.2f} |"
        )
    return "\n".join(lines)


def machine() -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{stamp}; nproc {os.cpu_count()}; {platform.machine()}; Python {platform.python_version()}; "
        f"load average at start {load}"
    )


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every benchmark has."""
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per scenario (default 10)")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--pg",
        default=os.environ.get("OMNEO_BENCH_PG", "postgres@127.0.0.1:5432"),
        help="PostgreSQL user@host:port for --database postgresql (a throwaway db is created and dropped)",
    )
    parser.add_argument("--concurrency", type=int, default=16, help="closed-loop requests in flight (default 16)")
    parser.add_argument("--clients", type=int, default=1, help="client processes for closed loops (default 1)")
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw", help="HTTP client (default raw)")
    parser.add_argument("--workers", type=int, default=1, help="API server processes (default 1; the bare app has 1)")
    parser.add_argument(
        "--sqlite-time",
        action="store_true",
        help="SQLite: serve the app with its driver calls timed (bench/sqlite_timed.py) and print how much of "
        "each request is SQLite's own work",
    )


def _terminate(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def print_header(args: argparse.Namespace) -> None:
    print(f"# {machine()}", flush=True)
    print(
        f"# database {args.database}; {args.workers} API process(es); {args.client} client; "
        f"closed loop: {args.concurrency} in flight over "
        f"{args.clients} client process(es); {args.seconds:g} s measured per scenario after {WARMUP_SECONDS:g} s "
        "warm-up",
        flush=True,
    )


@dataclass(frozen=True)
class Env:
    """A running benchmark: the database, both servers and the client pool."""

    workdir: Path
    url: str
    token: str
    omneo: Server
    bare: Server
    bench: Bench


@contextlib.contextmanager
def environment(args: argparse.Namespace) -> Iterator[Env]:
    """Fresh database, token, both servers and the client processes, all torn down when the block
    ends — normally, on an error, or on SIGINT/SIGTERM/SIGHUP (turned into ``SystemExit``)."""
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, _terminate)
    print_header(args)
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="omneo-bench-")))
        url = stack.enter_context(database(args.database, tmp, args.pg))
        token = seed(url)
        env = {**os.environ, "OMNEO_DATABASE_URL": url}
        if getattr(args, "sqlite_time", False) and args.database != "sqlite":
            raise SystemExit("--sqlite-time times the SQLite driver: use it with --database sqlite")
        app = (
            ["--app-dir", str(BENCH_DIR), "sqlite_timed:create_app"]
            if getattr(args, "sqlite_time", False)
            else ["omneo_server.app:create_app"]
        )
        omneo = stack.enter_context(serve(["--factory", *app], env, "/api/health", tmp / "omneo.log", args.workers))
        bare = stack.enter_context(serve(["--app-dir", str(BENCH_DIR), "bare_app:app"], env, "/", tmp / "bare.log"))
        pool = ProcessPoolExecutor(args.clients, mp_context=mp.get_context("spawn"))
        stack.callback(pool.shutdown, wait=True, cancel_futures=True)
        for future in [pool.submit(_ready) for _ in range(args.clients)]:
            future.result()
        print(f"# server pids (for py-spy): omneo {omneo.pid}, bare {bare.pid}", flush=True)
        yield Env(tmp, url, token, omneo, bare, Bench(args, pool, token, bare.url))
