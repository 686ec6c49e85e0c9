"""Events processed per second end to end: a sale is committed, its ``transaction.created`` event is
dispatched by the worker, a trigger's filter is evaluated and its ``reward.create`` action issues a
reward — measured against plain transaction ingest and a bare FastAPI endpoint in the same run.

Serves the real app (with its in-process worker **off**: ``OMNEO_WORKER=0``) and ``bench/bare_app.py``
through ``bench/_harness.py``, and sets up, as ``bench/transactions.py`` does, a location and
``--profiles`` profiles with a ``pos`` identity (reusing its set-up and its transaction bodies). Then:

a. ``bare GET``                      closed loop, ``--concurrency`` in flight, for ``--seconds``;
b. ``transaction POST (worker off)`` closed loop of sales as in ``transactions.py``, for ``--seconds``.
   Its events (and the set-up's) are then dispatched in the bench process with ``worker.dispatch``
   before any trigger exists (timed: the rate of dispatching events nothing listens for).
   Then, over the API, a reward definition (``bench-thanks``, $10) and a trigger on
   ``transaction.created`` with a ``filter`` action (``{">": [{"var": "total"}, 0]}``) and a
   ``reward.create`` action (``profile_id`` dynamic ``{"var": "profile_id"}``, ``definition``
   ``bench-thanks``); their own events are dispatched the same way.
c. **End to end, separate worker**: ``--transactions`` sales (default 500) are POSTed with
   ``--concurrency`` in flight while no worker runs, so they pile up in the outbox. Then ONE separate
   ``omneo-server worker`` process is started against the same database and the bench polls (every
   0.1 s) until the backlog (``worker.backlog``) is 0 and one reward per sale exists. events/s = outbox
   events dispatched in that time (every type: ``transaction.created`` and the ``reward.issued`` events
   the rewards cause) / seconds from the worker's start; effects/s = rewards issued / the same seconds.
   Also given from the first dispatch seen (without the worker's start-up) and the worker's CPU per
   event (``/proc``).
d. **Live**: a second API process with its in-process worker **on** (the default) runs the
   ``transaction POST`` closed loop for ``--seconds`` while the bench samples the backlog every 0.25 s;
   reported: its ingest rate, the backlog (max, at the end of the ingest), how long it takes to reach 0
   after the ingest stops, and each sale's event lag (``processed_at - occurred_at``, whole seconds: the
   clock stores seconds).
e. ``bare GET (recheck)``.

Checks after the run (exit status 1 on any failure): every sale written after the trigger exists has
exactly one reward (per profile: rewards = sales; in all: rewards = sales = ``done`` reaction runs, no
duplicate), no failed or filtered run, no dead outbox event, backlog 0, ``ledger.verify`` empty, no
non-2xx answer.

Usage::

    .venv/bin/python bench/reactions.py [--seconds 10] [--transactions 500] [--database sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from _harness import Env, Get, RawClient, Result, Server, add_common_arguments, environment, serve, table
from transactions import TransactionPost, _analyze, _sample, _setup

DEFINITION = {
    "name": "Bench thanks",
    "handle": "bench-thanks",
    "value": 10,
    "type": "spend",
    "period": 30,
    "absolute_expiry": None,
}
FILTER = {">": [{"var": "total"}, 0]}
TRIGGER = {
    "name": "Bench: thanks for every sale",
    "trigger": "transaction.created",
    "actions": [
        {"name": "filter", "arguments": [{"name": "condition", "value": FILTER}]},
        {
            "name": "reward.create",
            "arguments": [
                {"name": "profile_id", "value": {"var": "profile_id"}, "is_dynamic": True},
                {"name": "definition", "value": DEFINITION["handle"]},
            ],
        },
    ],
}
POLL_SECONDS = 0.1
LIVE_POLL_SECONDS = 0.25


# --- the database, read directly -----------------------------------------------------------------


def _settings(url: str) -> Any:
    from omneo_server.settings import Settings

    return Settings(database_url=url)


@contextlib.asynccontextmanager
async def _db(url: str) -> Any:
    from omneo_server.db.engine import Database

    db = Database(url)
    try:
        yield db
    finally:
        await db.dispose()


async def _scalar(db: Any, stmt: Any) -> Any:
    async with db.read() as session:
        return (await session.execute(stmt)).scalar_one()


async def _marks(url: str) -> tuple[int, int]:
    """The highest outbox event id and transaction id so far."""
    from sqlalchemy import func, select

    from omneo_server.db import tables as t

    async with _db(url) as db:
        event = await _scalar(db, select(func.coalesce(func.max(t.OutboxEvent.id), 0)))
        tx = await _scalar(db, select(func.coalesce(func.max(t.Transaction.id), 0)))
    return int(event), int(tx)


def _rewards_stmt(trigger_id: int) -> Any:
    from sqlalchemy import func, select

    from omneo_server.db import tables as t

    return (
        select(func.count())
        .select_from(t.Reward)
        .where(t.Reward.source_type == "trigger", t.Reward.source_id == trigger_id)
    )


async def _drain(url: str) -> tuple[int, float]:
    """Dispatch every pending event in this process with ``worker.dispatch``; answer (events, seconds)."""
    from omneo_server.jobs import worker

    settings = _settings(url)
    done, started = 0, time.perf_counter()
    async with _db(url) as db:
        while await worker.backlog(db):
            step = await worker.dispatch(db, settings)
            done += step
            if not step:  # only events waiting for a retry are left
                break
    return done, time.perf_counter() - started


# --- set-up over the API --------------------------------------------------------------------------


async def _configure(env: Env) -> int:
    """The reward definition and the trigger; answer the trigger's id."""
    headers = {"Authorization": f"Bearer {env.token}"}
    async with httpx.AsyncClient(base_url=env.omneo.url, headers=headers, timeout=60) as client:
        response = await client.post("/api/v3/rewards/definitions", json=DEFINITION)
        if response.status_code != 201:
            raise RuntimeError(f"POST /rewards/definitions: HTTP {response.status_code} {response.text[:300]}")
        response = await client.post("/api/v3/triggers", json=TRIGGER)
        if response.status_code != 201:
            raise RuntimeError(f"POST /triggers: HTTP {response.status_code} {response.text[:300]}")
        made = response.json()["data"]
    names = [a["name"] for a in made["actions"]]
    if made["trigger"] != "transaction.created" or names != ["filter", "reward.create"] or not made["is_active"]:
        raise RuntimeError(f"trigger answered as {made}")
    return int(made["id"])


# --- (c) end to end with a separate worker process ------------------------------------------------


@dataclass
class Burst:
    """N sales POSTed with no worker running."""

    sent: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    first_error: str | None = None
    seconds: float = 0.0

    @property
    def created(self) -> int:
        return self.statuses[201]

    @property
    def errors(self) -> int:
        return self.sent - self.created


async def _burst(env: Env, plan: TransactionPost, count: int, concurrency: int) -> Burst:
    out = Burst()
    client = await RawClient(env.omneo.url, {"Authorization": f"Bearer {env.token}"}, concurrency).open()
    prefix, rng, next_n = f"burst-{uuid.uuid4().hex[:8]}", random.Random(), iter(range(1, count + 1))

    async def loop() -> None:
        for n in next_n:
            path, body = plan.build(prefix, n, rng)
            out.sent += 1
            try:
                status, content = await client.request("POST", path, body)
            except OSError as exc:
                status, content = 0, repr(exc).encode()
            out.statuses[status] += 1
            if status != 201 and out.first_error is None:
                out.first_error = f"HTTP {status}: {content[:300]!r}"

    started = time.perf_counter()
    try:
        await asyncio.gather(*(loop() for _ in range(concurrency)))
    finally:
        out.seconds = time.perf_counter() - started
        await client.aclose()
    return out


@dataclass
class EndToEnd:
    backlog_before: int
    seconds: float = float("nan")  # worker start -> backlog 0 and every reward there
    startup: float = float("nan")  # worker start -> first dispatch seen
    events: int = 0  # outbox events dispatched (every type)
    by_type: dict[str, int] = field(default_factory=dict)
    rewards: int = 0
    worker_cpu: float = float("nan")
    startup_cpu: float = float("nan")  # the worker's CPU when the first dispatch was seen
    finished: bool = False
    worker_exit: str = ""

    @property
    def working(self) -> float:
        return self.seconds - self.startup

    def per_second(self, what: int, from_first: bool = False) -> float:
        seconds = self.working if from_first else self.seconds
        return what / seconds if seconds > 0 else float("nan")


@contextlib.contextmanager
def _worker_process(url: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``omneo-server worker`` against ``url`` until the block ends (SIGTERM, then kill)."""
    command = [str(Path(sys.executable).parent / "omneo-server"), "worker"]
    env = {**os.environ, "OMNEO_DATABASE_URL": url}
    with log.open("wb") as out:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


async def _end_to_end(url: str, log: Path, trigger_id: int, mark: int, expected: int, timeout: float) -> EndToEnd:
    """Start one worker process and poll until the backlog is 0 and ``expected`` rewards exist."""
    from sqlalchemy import func, select

    from omneo_server.db import tables as t
    from omneo_server.jobs import worker

    processed = (
        select(func.count())
        .select_from(t.OutboxEvent)
        .where(t.OutboxEvent.id > mark, t.OutboxEvent.processed_at.is_not(None))
    )
    async with _db(url) as db:
        before = await worker.backlog(db)
        out = EndToEnd(before)
        with _worker_process(url, log) as proc:
            server = Server("", proc.pid)
            started = time.perf_counter()
            deadline, cpu = started + timeout, float("nan")
            while time.perf_counter() < deadline:
                if proc.poll() is not None:
                    out.worker_exit = f"worker exited with {proc.returncode}: {log.read_text()[-1500:]}"
                    break
                cpu = server.cpu_seconds()  # the last reading while the process still runs
                left = await worker.backlog(db)
                now = time.perf_counter()
                if out.startup != out.startup and await _scalar(db, processed):
                    out.startup, out.startup_cpu = now - started, cpu
                if left == 0 and await _scalar(db, _rewards_stmt(trigger_id)) >= expected:
                    out.seconds, out.finished = now - started, True
                    break
                await asyncio.sleep(POLL_SECONDS)
            else:
                out.seconds = time.perf_counter() - started
            cpu_now = server.cpu_seconds()
            out.worker_cpu = cpu_now if cpu_now == cpu_now else cpu
        stmt = (
            select(t.OutboxEvent.type, func.count())
            .where(t.OutboxEvent.id > mark, t.OutboxEvent.processed_at.is_not(None))
            .group_by(t.OutboxEvent.type)
        )
        async with db.read() as session:
            out.by_type = {str(k): int(v) for k, v in await session.execute(stmt)}
        out.events = sum(out.by_type.values())
        out.rewards = int(await _scalar(db, _rewards_stmt(trigger_id)))
    return out


# --- (d) live: in-process worker on while ingesting -----------------------------------------------


@dataclass
class Live:
    samples: list[tuple[float, int]] = field(default_factory=list)  # (seconds since start, backlog)
    at_end: int = 0
    drain_seconds: float = float("nan")
    lags: list[float] = field(default_factory=list)  # transaction.created: processed_at - occurred_at, s
    dispatched_during: int = 0
    error: str | None = None


class _Sampler(threading.Thread):
    """Polls the backlog from its own event loop while a closed loop runs in the client processes."""

    def __init__(self, url: str, live: Live, mark: int) -> None:
        super().__init__(daemon=True)
        self.url, self.live, self.mark, self.stop = url, live, mark, threading.Event()

    def run(self) -> None:
        asyncio.run(self._poll())

    async def _poll(self) -> None:
        from sqlalchemy import func, select

        from omneo_server.db import tables as t
        from omneo_server.jobs import worker

        processed = (
            select(func.count())
            .select_from(t.OutboxEvent)
            .where(t.OutboxEvent.id > self.mark, t.OutboxEvent.processed_at.is_not(None))
        )
        started = time.perf_counter()
        try:
            async with _db(self.url) as db:
                while not self.stop.is_set():
                    self.live.samples.append((time.perf_counter() - started, await worker.backlog(db)))
                    self.live.dispatched_during = int(await _scalar(db, processed))
                    await asyncio.sleep(LIVE_POLL_SECONDS)
        except Exception as exc:  # report it; the run goes on
            self.live.error = f"{type(exc).__name__}: {exc}"


async def _after_live(url: str, live: Live, mark: int, timeout: float) -> None:
    """Backlog at the end of the ingest, time to reach 0, and each sale's event lag."""
    from sqlalchemy import select

    from omneo_server.db import tables as t
    from omneo_server.jobs import worker

    async with _db(url) as db:
        started = time.perf_counter()
        live.at_end = await worker.backlog(db)
        while time.perf_counter() - started < timeout:
            if not await worker.backlog(db):
                live.drain_seconds = time.perf_counter() - started
                break
            await asyncio.sleep(POLL_SECONDS)
        stmt = select(t.OutboxEvent.occurred_at, t.OutboxEvent.processed_at).where(
            t.OutboxEvent.id > mark, t.OutboxEvent.type == "transaction.created"
        )
        async with db.read() as session:
            rows = list(await session.execute(stmt))
    live.lags = sorted((p - o).total_seconds() for o, p in rows if p is not None)


def _live(env: Env, args: argparse.Namespace, plan: TransactionPost, mark: int) -> tuple[Result, Live, Server]:
    """A second API process with its worker on; the closed loop against it while sampling the backlog."""
    live = Live()
    server_env = {**os.environ, "OMNEO_DATABASE_URL": env.url, "OMNEO_WORKER": "1"}
    with serve(["--factory", "omneo_server.app:create_app"], server_env, "/api/health", env.workdir / "live.log") as s:
        sampler = _Sampler(env.url, live, mark)
        sampler.start()
        try:
            result, _ = env.bench.closed_loop("transaction POST (worker on)", s, plan)
        finally:
            sampler.stop.set()
            sampler.join()
        asyncio.run(_after_live(env.url, live, mark, args.timeout))
    return result, live, s


# --- checks ---------------------------------------------------------------------------------------


@dataclass
class Checked:
    transactions: int = 0
    rewards: int = 0
    runs: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    verify: list[str] = field(default_factory=list)
    dead: int = 0
    backlog: int = 0


async def _check(url: str, trigger_id: int, tx_mark: int) -> Checked:
    from sqlalchemy import String, cast, func, select

    from omneo_server.db import tables as t
    from omneo_server.domain.incentives import ledger
    from omneo_server.jobs import worker

    out = Checked()
    async with _db(url) as db:
        out.backlog = await worker.backlog(db)
        async with db.read() as session:
            tenant_id = (await session.execute(select(t.Tenant.id))).scalar_one()
            sales = dict(
                list(
                    await session.execute(
                        select(t.Transaction.profile_id, func.count())
                        .where(t.Transaction.id > tx_mark)
                        .group_by(t.Transaction.profile_id)
                    )
                )
            )
            rewards = dict(
                list(
                    await session.execute(
                        select(t.Reward.profile_id, func.count())
                        .where(t.Reward.source_type == "trigger", t.Reward.source_id == trigger_id)
                        .group_by(t.Reward.profile_id)
                    )
                )
            )
            values = set((await session.execute(select(t.Reward.value_initial).distinct())).scalars())
            runs = select(t.ReactionRun.status, func.count()).where(
                t.ReactionRun.reaction == "trigger", t.ReactionRun.reaction_id == trigger_id
            )
            out.runs = {str(k): int(v) for k, v in await session.execute(runs.group_by(t.ReactionRun.status))}
            # Runs per sale: the run's event_key is the outbox event id, whose subject is the sale.
            per_sale = (
                select(t.OutboxEvent.subject_id, func.count().label("n"))
                .join(t.ReactionRun, t.ReactionRun.event_key == cast(t.OutboxEvent.id, String))
                .where(t.ReactionRun.reaction == "trigger", t.ReactionRun.reaction_id == trigger_id)
                .group_by(t.OutboxEvent.subject_id)
                .subquery()
            )
            twice = (await session.execute(select(func.count()).where(per_sale.c.n > 1))).scalar_one()
            sold_with_run = (await session.execute(select(func.count()).select_from(per_sale))).scalar_one()
            failed = (
                await session.execute(
                    select(t.ReactionRun.detail).where(t.ReactionRun.status != "done").order_by(t.ReactionRun.id)
                )
            ).scalars()
            first_failed = next(iter(failed), None)
            out.dead = (
                await session.execute(
                    select(func.count()).select_from(t.OutboxEvent).where(t.OutboxEvent.dead_at.is_not(None))
                )
            ).scalar_one()
            dead_error = (
                await session.execute(select(t.OutboxEvent.last_error).where(t.OutboxEvent.dead_at.is_not(None)))
            ).scalars()
            first_dead = next(iter(dead_error), None)
            out.verify = await ledger.verify(session, tenant_id)
    out.transactions, out.rewards = sum(sales.values()), sum(rewards.values())
    if out.rewards != out.transactions:
        out.problems.append(f"{out.rewards} rewards for {out.transactions} sales")
    wrong = [p for p in set(sales) | set(rewards) if sales.get(p, 0) != rewards.get(p, 0)]
    if wrong:
        p = wrong[0]
        out.problems.append(
            f"{len(wrong)} profiles whose rewards != sales "
            f"(e.g. {p}: {rewards.get(p, 0)} rewards, {sales.get(p, 0)} sales)"
        )
    if out.runs.get("done", 0) != out.transactions or set(out.runs) - {"done"}:
        out.problems.append(f"reaction runs {out.runs} for {out.transactions} sales; first not done: {first_failed}")
    if twice or sold_with_run != out.transactions:
        out.problems.append(f"{twice} sales with more than one run; {sold_with_run} sales with a run")
    if values - {10}:
        out.problems.append(f"reward values {sorted(values)}, expected 10")
    if out.dead:
        out.problems.append(f"{out.dead} dead outbox events (first error: {first_dead})")
    if out.backlog:
        out.problems.append(f"backlog {out.backlog} at the end")
    return out


# --- the run --------------------------------------------------------------------------------------


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_arguments(parser)
    parser.add_argument("--profiles", type=int, default=200, help="profiles to spread the sales over (default 200)")
    parser.add_argument(
        "--transactions", type=int, default=500, help="sales for the end-to-end run with one worker (default 500)"
    )
    parser.add_argument(
        "--timeout", type=float, default=600.0, help="longest wait for a backlog to drain, seconds (default 600)"
    )
    args = parser.parse_args(argv)
    if min(args.seconds, args.concurrency, args.clients, args.profiles, args.transactions) <= 0:
        parser.error("--seconds, --concurrency, --clients, --profiles and --transactions must be positive")
    return args


def _pct(values: Sequence[float], p: float) -> float:
    if not values:
        return float("nan")
    return values[max(0, min(len(values) - 1, math.ceil(p / 100 * len(values)) - 1))]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    os.environ["OMNEO_WORKER"] = "0"  # the harness's API process runs no worker: the outbox just fills
    with environment(args) as env:
        fixtures = asyncio.run(_setup(env, args.profiles))
        print(f"# {len(fixtures.profiles)} profiles; location {fixtures.location_note}")
        if args.database == "postgresql":
            asyncio.run(_analyze(env.url))
            print("# PostgreSQL statistics: ANALYZE after set-up")
        print(f"# sample transaction: {asyncio.run(_sample(env, fixtures))}", flush=True)
        plan = TransactionPost(tuple(fixtures.profiles), fixtures.location)
        bench = env.bench

        baseline, _ = bench.closed_loop("bare GET", env.bare, Get("/"))
        ingest, _ = bench.closed_loop("transaction POST (worker off)", env.omneo, plan)
        idle_events, idle_seconds = asyncio.run(_drain(env.url))
        print(
            f"# dispatched the {idle_events} events so far (no trigger yet) in-process in {idle_seconds:.1f} s: "
            f"{idle_events / idle_seconds:.0f} events/s",
            flush=True,
        )
        trigger_id = _configure_trigger(env)
        event_mark, tx_mark = asyncio.run(_marks(env.url))

        burst = asyncio.run(_burst(env, plan, args.transactions, args.concurrency))
        print(
            f"  burst: {burst.created}/{burst.sent} sales answered 201 in {burst.seconds:.1f} s "
            f"({burst.created / burst.seconds:.1f} tx/s), worker off",
            flush=True,
        )
        e2e = asyncio.run(
            _end_to_end(env.url, env.workdir / "worker.log", trigger_id, event_mark, burst.created, args.timeout)
        )
        print(
            f"  end to end: {e2e.events} events, {e2e.rewards} rewards in {e2e.seconds:.1f} s "
            f"({'done' if e2e.finished else 'NOT FINISHED'})",
            flush=True,
        )
        live_mark, _ = asyncio.run(_marks(env.url))
        live_result, live, _server = _live(env, args, plan, live_mark)
        recheck, _ = bench.closed_loop("bare GET (recheck)", env.bare, Get("/"))
        checked = asyncio.run(_check(env.url, trigger_id, tx_mark))

    results: list[Result] = [baseline, ingest, live_result, recheck]
    print()
    print(table(results, baseline))
    print()
    errors = sum(r.errors + r.warmup_errors for r in results) + burst.errors
    for r in results:
        if r.errors or r.warmup_errors:
            print(f"{r.scenario}: {r.errors} errors (+{r.warmup_errors} in warm-up), first: {r.first_error}")
    if burst.errors:
        print(f"burst: {burst.errors} errors {dict(burst.statuses)}, first: {burst.first_error}")
    print(f"errors (any non-2xx or failed request, warm-up included): {errors}")

    events_s, effects_s = e2e.per_second(e2e.events), e2e.per_second(e2e.rewards)
    print()
    print("| end to end, one `omneo-server worker` process | value |")
    print("| --- | ---: |")
    print(f"| sales POSTed with no worker (16 in flight) | {burst.created} in {burst.seconds:.1f} s |")
    print(f"| backlog when the worker started | {e2e.backlog_before} |")
    print(f"| worker start → backlog 0 and every reward issued | {e2e.seconds:.2f} s |")
    print(f"| … of which start-up (start → first event seen processed) | {e2e.startup:.2f} s |")
    print(f"| events dispatched ({', '.join(f'{k} {v}' for k, v in sorted(e2e.by_type.items()))}) | {e2e.events} |")
    print(f"| rewards issued | {e2e.rewards} |")
    print(f"| **events/s** (from the worker's start) | **{events_s:.1f}** |")
    print(f"| **effects/s** (rewards/s, from the worker's start) | **{effects_s:.1f}** |")
    print(
        f"| events/s, effects/s from the first dispatch | {e2e.per_second(e2e.events, True):.1f}, "
        f"{e2e.per_second(e2e.rewards, True):.1f} |"
    )
    print(
        f"| worker CPU per event, after start-up (start-up: {e2e.startup_cpu:.2f} s CPU) | "
        f"{(e2e.worker_cpu - e2e.startup_cpu) / max(e2e.events, 1) * 1000:.2f} ms |"
    )
    if e2e.worker_exit:
        print(e2e.worker_exit)

    backlogs = [b for _s, b in live.samples]
    print()
    print("| live: API process with its in-process worker on | value |")
    print("| --- | ---: |")
    print(
        f"| ingest | {live_result.rps:.1f} tx/s ({live_result.rps / ingest.rps:.0%} of worker-off ingest), "
        f"server CPU {live_result.cpu_ms_per_request:.2f} ms/tx |"
    )
    if backlogs:
        print(
            f"| backlog during ingest (every {LIVE_POLL_SECONDS} s) | max {max(backlogs)}, "
            f"mean {statistics.fmean(backlogs):.0f}, last {backlogs[-1]} |"
        )
    sampled = live.samples[-1][0] if live.samples else float("nan")
    print(
        f"| events dispatched while ingesting (sampled over {sampled:.1f} s, warm-up included) | "
        f"{live.dispatched_during} ({live.dispatched_during / sampled:.1f}/s) |"
    )
    print(f"| backlog when the ingest stopped → 0 | {live.at_end} → 0 in {live.drain_seconds:.1f} s |")
    print(
        f"| sale event lag, processed_at - occurred_at (whole s) | p50 {_pct(live.lags, 50):.0f} s, "
        f"p99 {_pct(live.lags, 99):.0f} s, max {max(live.lags, default=float('nan')):.0f} s "
        f"({len(live.lags)} sales) |"
    )
    if live.error:
        print(f"backlog sampler failed: {live.error}")

    print()
    ratio = events_s / ingest.rps if ingest.rps else float("nan")
    print(
        f"plain ingest (worker off) {ingest.rps:.1f} tx/s, server CPU {ingest.cpu_ms_per_request:.2f} ms/tx; "
        f"bare GET {baseline.rps:.0f} req/s"
    )
    print(
        f"end to end {events_s:.1f} events/s = {ratio:.2f} x the plain ingest rate; "
        f"{effects_s:.1f} rewards/s = {effects_s / ingest.rps:.2f} x (sales fully reacted to per second)"
    )
    print(
        f"checks: {checked.transactions} sales since the trigger, {checked.rewards} rewards, runs {checked.runs}, "
        f"dead events {checked.dead}, backlog {checked.backlog}: "
        + ("exactly one reward per sale" if not checked.problems else "PROBLEMS: " + "; ".join(checked.problems))
    )
    print("ledger.verify: " + ("empty" if not checked.verify else f"{len(checked.verify)} differences"))
    for line in checked.verify[:20]:
        print(f"  {line}")
    bad = errors or checked.problems or checked.verify or not e2e.finished or e2e.worker_exit
    return 1 if bad else 0


def _configure_trigger(env: Env) -> int:
    trigger_id = asyncio.run(_configure(env))
    events, _seconds = asyncio.run(_drain(env.url))
    print(
        f"# trigger {trigger_id} on transaction.created: filter {json.dumps(FILTER)}, reward.create "
        f"{DEFINITION['handle']} (${DEFINITION['value']}) for {{var: profile_id}}; {events} set-up events dispatched",
        flush=True,
    )
    return trigger_id


if __name__ == "__main__":
    sys.exit(main())
