"""Redemptions per second under heavy contention on ONE profile, against a bare FastAPI endpoint,
and a check that nothing is overspent.

Serves the real app and ``bench/bare_app.py`` through ``bench/_harness.py`` (fresh database, tenant,
all-scopes admin token, one uvicorn worker each). Set-up over HTTP: a reward definition, one profile
holding a reward of ``--issue`` dollars (default 1,000,000,000: far more than a run can spend) and a
second profile holding ``--small`` dollars (default 100). One ``$1`` redemption is checked by hand
(201, ``total`` 1, ``balances.reward_balance`` down by 1). Then, each a closed loop of
``--concurrency`` (default 200) requests in flight for ``--seconds`` after 1 s of warm-up:

* ``bare GET``            ``GET /`` on the bare app;
* ``redeem $1``           ``POST /api/v3/profiles/{id}/redeem`` ``{"amount": "1"}``, every request for
                          the same profile; a 201 whose ``data.total`` is not 1 counts as an error;
* ``redeem $1 across profiles`` the same, each request for one of ``--spread`` (default 200) other
                          profiles holding ``--issue`` dollars, at random;
* ``bare GET (recheck)``  the baseline again.

Afterwards, **overspend check**: total redeemed (the sum of the 201 answers' totals, warm-up and the
hand check included) must equal issued - the final ``reward_balance`` (from ``GET …/balances``) and
the sum of the profile's ``redemptions.total`` in the database; no 5xx or other non-2xx answer; and
``ledger.verify`` (every lot's cached ``value_remaining`` recomputed from the ledger) must be empty.

Then the **exhaustion** scenario: ``--concurrency`` workers redeem ``$1`` each from the profile holding
``--small`` dollars, each until it is answered 422 (strict: the balance cannot cover it). Exactly
``--small`` redemptions must succeed, every other answer must be 422, the final balance 0, the
ledger (``GET …/ledgers``: issue ``dollar_value`` + spends) must sum to 0 and ``ledger.verify`` stay
empty.

Verdict: MET when redemptions/s on one profile ≥ 300 (issue 11) with 0 overspend (both checks
clean, 0 errors); across profiles, MET at ≥ 20 % of the bare endpoint's req/s.

Usage::

    .venv/bin/python bench/redemptions.py [--seconds 10] [--database sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

import httpx

from _harness import (
    START_DELAY_SECONDS,
    WRITE_TARGET,
    Client,
    Env,
    Get,
    RawClient,
    Result,
    add_common_arguments,
    environment,
    table,
    verdict,
)

TARGET_RPS = 300.0
AMOUNT = Decimal("1")
DEFINITION = {
    "name": "Bench reward",
    "handle": "bench-reward",
    "value": 10,
    "type": "other",
    "period": 365,
    "period_type": "days",
    "absolute_expiry": None,
}
#: The status an answer gets when it was 201 but for the wrong amount (counted as an error).
WRONG_TOTAL = 0


def _redeem_path(profile_id: str) -> str:
    return f"/api/v3/profiles/{profile_id}/redeem"


@dataclass(frozen=True)
class Redeem:
    """``POST /api/v3/profiles/{id}/redeem {"amount": "1"}`` on one of ``profile_ids`` (at random);
    a 201 must say it redeemed exactly 1."""

    profile_ids: tuple[str, ...]
    path: str = "/api/v3/profiles"
    method: ClassVar[str] = "POST"
    collect_ids: ClassVar[bool] = True  # redemption ids: each must be distinct

    def build(self, prefix: str, n: int, rng: random.Random) -> tuple[str, bytes | None]:
        # The request ``perform`` sends.
        return _redeem_path(rng.choice(self.profile_ids)), json.dumps({"amount": str(AMOUNT)}).encode()

    async def perform(self, client: Client, prefix: str, n: int, rng: random.Random) -> tuple[int, bytes]:
        path, body = self.build(prefix, n, rng)
        status, content = await client.request("POST", path, body)
        if status == 201 and Decimal(str(json.loads(content)["data"]["total"])) != AMOUNT:
            return WRONG_TOTAL, b"201 with total != 1: " + content[:200]
        return status, content


# --- set-up and checks (over HTTP with httpx, outside the timed scenarios) -------------------------


@dataclass(frozen=True)
class Fixtures:
    big: str  # profile id holding the large reward
    small: str  # profile id holding the small reward
    sample: str  # what the hand-checked redemption answered
    many: tuple[str, ...]  # profiles each holding a large reward, redeemed on at random


async def _json(response: httpx.Response, expected: int, what: str) -> Any:
    if response.status_code != expected:
        raise RuntimeError(f"{what}: HTTP {response.status_code} {response.text[:300]}")
    return response.json()["data"]


async def _profile_with_reward(client: httpx.AsyncClient, n: int, value: Decimal) -> str:
    body = {"first_name": "Bench", "last_name": f"Redeemer {n}", "email": f"redeemer{n}@example.com"}
    profile = await _json(await client.post("/api/v3/profiles", json=body), 201, "POST /api/v3/profiles")
    reward = {"profile_id": profile["id"], "reward_definition_handle": DEFINITION["handle"]}
    reward["value_initial"] = str(value)
    await _json(await client.post("/api/v3/rewards", json=reward), 201, "POST /api/v3/rewards")
    return str(profile["id"])


async def _reward_balance(client: httpx.AsyncClient, profile_id: str) -> Decimal:
    data = await _json(await client.get(f"/api/v3/profiles/{profile_id}/balances"), 200, "GET balances")
    return Decimal(str(data["reward_balance"]))


async def _setup(env: Env, issue: Decimal, small: Decimal, spread: int) -> Fixtures:
    headers = {"Authorization": f"Bearer {env.token}"}
    async with httpx.AsyncClient(base_url=env.omneo.url, headers=headers, timeout=60) as client:
        await _json(await client.post("/api/v3/rewards/definitions", json=DEFINITION), 201, "reward definition")
        big = await _profile_with_reward(client, 1, issue)
        little = await _profile_with_reward(client, 2, small)
        many = tuple([await _profile_with_reward(client, 3 + n, issue) for n in range(spread)])
        if (before := await _reward_balance(client, big)) != issue:
            raise RuntimeError(f"reward_balance {before} after issuing {issue}")
        data = await _json(await client.post(_redeem_path(big), json={"amount": str(AMOUNT)}), 201, "sample redeem")
        total, after = Decimal(str(data["total"])), Decimal(str(data["balances"]["reward_balance"]))
        if total != AMOUNT or after != issue - AMOUNT:
            raise RuntimeError(f"sample redeem: total {total}, reward_balance {after}; expected 1 and {issue - 1}")
    return Fixtures(big, little, f"201, total {total}, reward_balance {before} -> {after}", many)


async def _verify(url: str) -> tuple[list[str], dict[str, tuple[int, Decimal]]]:
    """``ledger.verify`` for the tenant, and per profile the redemptions stored (count, sum of totals)."""
    from sqlalchemy import func, select

    from omneo_server.db import tables as t
    from omneo_server.db.engine import Database
    from omneo_server.domain.incentives import ledger

    db = Database(url)
    try:
        async with db.read() as session:
            tenant_id = (await session.execute(select(t.Tenant.id))).scalar_one()
            problems = await ledger.verify(session, tenant_id)
            stmt = select(t.Redemption.profile_id, func.count(), func.coalesce(func.sum(t.Redemption.total), 0))
            rows = await session.execute(stmt.group_by(t.Redemption.profile_id))
            stored = {str(pid): (int(count), Decimal(str(total))) for pid, count, total in rows}
    finally:
        await db.dispose()
    return problems, stored


@dataclass
class Exhaustion:
    statuses: Counter[int] = field(default_factory=Counter)
    wrong_totals: int = 0
    first_error: str | None = None
    seconds: float = 0.0
    final_balance: Decimal = Decimal("-1")
    ledger_sum: Decimal = Decimal("-1")
    ledger_entries: int = 0


async def _exhaust(env: Env, profile_id: str, workers: int) -> Exhaustion:
    """``workers`` concurrent loops of $1 redemptions, each until it is refused."""
    out = Exhaustion()
    client = await RawClient(env.omneo.url, {"Authorization": f"Bearer {env.token}"}, workers).open()
    body = json.dumps({"amount": str(AMOUNT)}).encode()

    async def worker() -> None:
        while True:
            status, content = await client.request("POST", _redeem_path(profile_id), body)
            out.statuses[status] += 1
            if status == 201:
                if Decimal(str(json.loads(content)["data"]["total"])) != AMOUNT:
                    out.wrong_totals += 1
                continue
            if status != 422 and out.first_error is None:
                out.first_error = f"HTTP {status}: {content[:300]!r}"
            return

    started = time.perf_counter()
    try:
        await asyncio.gather(*(worker() for _ in range(workers)))
    finally:
        out.seconds = time.perf_counter() - started
        await client.aclose()
    headers = {"Authorization": f"Bearer {env.token}"}
    async with httpx.AsyncClient(base_url=env.omneo.url, headers=headers, timeout=60) as http:
        out.final_balance = await _reward_balance(http, profile_id)
        entries = await _json(await http.get(f"/api/v3/profiles/{profile_id}/ledgers"), 200, "GET ledgers")
    out.ledger_entries = len(entries)
    out.ledger_sum = sum((Decimal(str(e["dollar_value"])) for e in entries if e["type"] == "reward"), Decimal(0))
    return out


async def _final_balance(env: Env, profile_id: str) -> Decimal:
    headers = {"Authorization": f"Bearer {env.token}"}
    async with httpx.AsyncClient(base_url=env.omneo.url, headers=headers, timeout=60) as client:
        return await _reward_balance(client, profile_id)


# --- the run ---------------------------------------------------------------------------------------


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_arguments(parser)
    parser.set_defaults(concurrency=200)
    parser.add_argument("--issue", type=Decimal, default=Decimal("1000000000"), help="the big reward (default 1e9)")
    parser.add_argument("--small", type=int, default=100, help="dollars in the reward to exhaust (default 100)")
    parser.add_argument("--spread", type=int, default=200, help="profiles for the across-profiles scenario (200)")
    args = parser.parse_args(argv)
    if min(args.seconds, args.concurrency, args.clients, args.small, args.issue) <= 0:
        parser.error("--seconds, --concurrency, --clients, --issue and --small must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    issue = args.issue.quantize(Decimal("0.01"))
    with environment(args) as env:
        fixtures = asyncio.run(_setup(env, issue, Decimal(args.small), args.spread))
        print(f"# profile {fixtures.big} holds a reward of {issue}; profile {fixtures.small} one of {args.small}")
        print(f"# sample redemption: {fixtures.sample}", flush=True)
        bench = env.bench
        baseline, _ = bench.closed_loop("bare GET", env.bare, Get("/"))
        started = time.perf_counter()
        redeem, ids = bench.closed_loop("redeem $1", env.omneo, Redeem((fixtures.big,)))
        wall = time.perf_counter() - started - START_DELAY_SECONDS  # warm-up + measured + the last replies
        across, across_ids = bench.closed_loop("redeem $1 across profiles", env.omneo, Redeem(fixtures.many))
        recheck, _ = bench.closed_loop("bare GET (recheck)", env.bare, Get("/"))
        final = asyncio.run(_final_balance(env, fixtures.big))
        print(f"  exhausting {args.small} with {args.concurrency}-way $1 redemptions…", flush=True)
        exhaustion = asyncio.run(_exhaust(env, fixtures.small, args.concurrency))
        problems, stored = asyncio.run(_verify(env.url))
    results: list[Result] = [baseline, redeem, across, recheck]

    print()
    print(table(results, baseline))
    print()
    errors = sum(r.errors + r.warmup_errors for r in results)
    for r in results:
        if r.errors or r.warmup_errors:
            print(f"{r.scenario}: {r.errors} errors (+{r.warmup_errors} in warm-up), first: {r.first_error}")
    print(f"errors (any non-2xx or failed request or a 201 not for $1, warm-up included): {errors}")

    # Overspend: what the 201s said was redeemed against what the balance and the database say.
    redeemed = AMOUNT * (redeem.answered + 1)  # every counted 201 was for exactly $1; + the sample
    spent = issue - final
    count, stored_sum = stored.get(fixtures.big, (0, Decimal(0)))
    overspend = []
    if redeemed != spent:
        overspend.append(f"201 totals {redeemed} != issued - final balance {spent}")
    if stored_sum != redeemed or count != redeem.answered + 1:
        overspend.append(f"database: {count} redemptions totalling {stored_sum}, 201 answers {redeem.answered + 1}")
    if len(set(ids)) != len(ids):
        overspend.append(f"{len(ids) - len(set(ids))} redemption ids answered twice")
    print(
        f"overspend check: redeemed (sum of 201 totals) {redeemed}, issued {issue} - final reward_balance {final} "
        f"= {spent}; database {count} redemptions totalling {stored_sum}: "
        + ("0 overspend" if not overspend else "FAILED: " + "; ".join(overspend))
    )

    # Exhaustion: exactly --small succeed, the rest are 422.
    ok = exhaustion.statuses[201]
    others = {s: n for s, n in exhaustion.statuses.items() if s not in (201, 422)}
    small_count, small_sum = stored.get(fixtures.small, (0, Decimal(0)))
    exhausted = []
    if ok != args.small or exhaustion.wrong_totals:
        exhausted.append(f"{ok} succeeded ({exhaustion.wrong_totals} not for $1), expected exactly {args.small}")
    if others:
        exhausted.append(f"unexpected answers {others}, first: {exhaustion.first_error}")
    if exhaustion.final_balance != 0 or exhaustion.ledger_sum != 0:
        exhausted.append(f"final balance {exhaustion.final_balance}, ledger sums to {exhaustion.ledger_sum}")
    if small_count != args.small or small_sum != args.small:
        exhausted.append(f"database: {small_count} redemptions totalling {small_sum}")
    print(
        f"exhaustion of {args.small} by {args.concurrency} workers: {ok} x 201, {exhaustion.statuses[422]} x 422"
        f"{f', others {others}' if others else ''} in {exhaustion.seconds:.1f} s; final balance "
        f"{exhaustion.final_balance}, {exhaustion.ledger_entries} ledger entries summing to {exhaustion.ledger_sum}: "
        + ("exactly right" if not exhausted else "FAILED: " + "; ".join(exhausted))
    )
    print("ledger.verify: " + ("empty (every cached balance agrees with the ledger)" if not problems else ""))
    for line in problems[:20]:
        print(f"  {line}")

    clean = not (errors or overspend or exhausted or problems)
    ratio = redeem.rps / baseline.rps if baseline.rps else 0.0
    print(
        f"redemptions: {redeem.rps:.1f}/s, p50 {redeem.ms(50)} ms, p99 {redeem.ms(99)} ms, server CPU "
        f"{redeem.cpu_ms_per_request:.2f} ms/redemption (one core could redeem at most "
        f"~{1000 / redeem.cpu_ms_per_request:.0f}/s); {ratio:.1%} of bare GET req/s"
    )
    print(
        f"sustained (every 201 of the scenario, warm-up included, over its whole wall time {wall:.1f} s, the "
        f"wait for the last in-flight replies included): {redeem.answered / wall:.1f} redemptions/s. With "
        f"{args.concurrency} in flight and replies taking {redeem.ms(50)} ms, few requests sent in a short "
        "measured window come back within it, so this is the steadier figure"
    )
    met = redeem.rps >= TARGET_RPS and clean
    print(
        f"target >= {TARGET_RPS:.0f} redemptions/s with 0 overspend: {'MET' if met else 'MISSED'} "
        f"({redeem.rps:.1f}/s; {'0 overspend, checks clean' if clean else 'checks FAILED'})"
    )
    if len(set(across_ids)) != len(across_ids):
        print(f"across profiles: {len(across_ids) - len(set(across_ids))} redemption ids answered twice")
        clean = False
    share = across.rps / baseline.rps if baseline.rps else 0.0
    print(verdict("redemptions across profiles", share, across.rps / recheck.rps if recheck.rps else 0.0, WRITE_TARGET))
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
