"""Transaction ingest throughput over HTTP, against a bare FastAPI endpoint in the same run.

Serves the real app and ``bench/bare_app.py`` as two uvicorn processes on 127.0.0.1 (see
``bench/_harness.py``), sets up a tenant and token, a location (``external_code`` ``S1``) and
``--profiles`` profiles with a ``pos`` identity each (``C1``, ``C2``…), checks that one transaction
is answered 201 with its profile, location and items resolved and the profile's aggregations
updated, then runs for a fixed time per scenario:

* ``bare GET``            closed loop, ``--concurrency`` requests in flight, against the bare app;
* ``transaction POST``    closed loop: ``POST /api/v3/transactions``, each for a random profile named
                          by its identity (``profile_id`` ``C<n>``, ``profile_id_handle`` ``pos``),
                          with 3 items adding up to the total, a random ``transacted_at`` within the
                          last year, ``Australia/Melbourne``, ``systems`` ``["pos"]``, a unique
                          ``external_id`` and ``location_id`` ``S1``. Each write resolves the profile
                          and location and keeps the profile's aggregations and spend days current;
* ``transaction POST + earning`` (with ``--earning``) the same, after configuring earning over HTTP: a
                          reward point definition with a rate of 1 and a tier point definition with
                          Bronze (floor, 0) / Silver (1,000) / Gold (3,000) tiers, so each sale also
                          issues reward points (a ledgered lot) and tier points, and may move the
                          profile up a tier;
* ``bare GET (recheck)``  the baseline again, to show how much the machine drifted during the run.

Afterwards it checks in the database that every transaction answered 2xx is stored with its 3 items
and counted once in the aggregations. Any non-2xx answer is an error and is reported. With
``--earning`` it also checks that every profile's point balance (``GET …/balances``) equals the sum of
its earning transactions' totals x the rate (and nothing was earned before earning was configured),
that its tier points add up to the same totals and its tier is the highest one they reach, and that
``ledger.verify`` is empty.

Usage::

    .venv/bin/python bench/transactions.py [--seconds 10] [--database sqlite|postgresql] [--earning]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar

import httpx

from _harness import WRITE_TARGET, Env, Get, Result, add_common_arguments, environment, table, verdict

HANDLE = "pos"
LOCATION = {"name": "Store 1", "phone": "0390000000", "external_code": "S1"}
TIMEZONE = "Australia/Melbourne"
ITEMS = 3
RATE = Decimal("1")
REWARD_POINTS = {"name": "Bench points", "handle": "bench-points", "type": "reward"}
TIER_POINTS = {"name": "Bench tier points", "handle": "bench-tier-points", "type": "tier"}
TIERS = (("Bronze", "bronze", 0, True), ("Silver", "silver", 1000, False), ("Gold", "gold", 3000, False))


def transaction(external_id: str, identifier: str, location: str | None, rng: random.Random) -> dict[str, Any]:
    """A sale by the profile whose ``pos`` identity is ``identifier``: 3 lines adding up to the total."""
    items, total_cents = [], 0
    for k in range(ITEMS):
        quantity, cents = rng.randint(1, 3), rng.randint(100, 20_000)
        total_cents += quantity * cents
        price = cents / 100  # a JSON number with at most 2 decimals, as a POS sends it
        items.append({"name": f"Item {k + 1}", "quantity": quantity, "price_current": price, "price_sell": price})
    transacted_at = datetime.now(UTC) - timedelta(seconds=rng.randrange(365 * 86_400))
    body: dict[str, Any] = {
        "profile_id": identifier,
        "profile_id_handle": HANDLE,
        "external_id": external_id,
        "transacted_at": transacted_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "timezone": TIMEZONE,
        "total": total_cents / 100,
        "systems": ["pos"],
        "items": items,
    }
    if location is not None:
        body["location_id"] = location
    return body


@dataclass(frozen=True)
class TransactionPost:
    """``POST /api/v3/transactions`` for a random one of ``identifiers``, unique ``external_id`` each."""

    identifiers: tuple[str, ...]
    location: str | None
    path: str = "/api/v3/transactions"
    method: ClassVar[str] = "POST"
    collect_ids: ClassVar[bool] = False

    def build(self, prefix: str, n: int, rng: random.Random) -> tuple[str, bytes | None]:
        body = transaction(f"{prefix}-{n}", rng.choice(self.identifiers), self.location, rng)
        return self.path, json.dumps(body).encode()


# --- set-up and checks (over HTTP with httpx, outside the timed scenarios) -------------------------


@dataclass(frozen=True)
class Fixtures:
    profiles: dict[str, str]  # identifier -> profile id
    location: str | None  # the location_id transactions name, or None when there is no locations route
    location_note: str


async def _setup(env: Env, count: int) -> Fixtures:
    headers = {"Authorization": f"Bearer {env.token}"}
    async with httpx.AsyncClient(base_url=env.omneo.url, headers=headers, timeout=60) as client:
        response = await client.post("/api/v3/locations", json=LOCATION)
        if response.status_code in (404, 405):
            location, note = None, f"skipped: POST /api/v3/locations answered {response.status_code} (no such route)"
        elif response.status_code == 201:
            location_id = response.json()["data"]["id"]
            location, note = str(LOCATION["external_code"]), f"S1 (id {location_id}), named by external_code"
        else:
            raise RuntimeError(f"POST /api/v3/locations: HTTP {response.status_code} {response.text[:300]}")

        gate = asyncio.Semaphore(8)

        async def make(n: int) -> tuple[str, str]:
            identifier = f"C{n}"
            body = {
                "first_name": "Bench",
                "last_name": f"Customer {n}",
                "email": f"customer{n}@example.com",
                "identities": [{"handle": HANDLE, "identifier": identifier}],
            }
            async with gate:
                answer = await client.post("/api/v3/profiles", json=body)
            if answer.status_code != 201:
                raise RuntimeError(f"POST /api/v3/profiles: HTTP {answer.status_code} {answer.text[:300]}")
            return identifier, answer.json()["data"]["id"]

        profiles = dict(await asyncio.gather(*(make(n) for n in range(1, count + 1))))
    return Fixtures(profiles, location, note)


async def _sample(env: Env, fixtures: Fixtures) -> str:
    """One transaction, checked field by field; the profile's aggregations must count it."""
    identifier = random.choice(list(fixtures.profiles))
    body = transaction("sample-1", identifier, fixtures.location, random.Random(1))
    headers = {"Authorization": f"Bearer {env.token}"}
    async with httpx.AsyncClient(base_url=env.omneo.url, headers=headers, timeout=60) as client:
        response = await client.post("/api/v3/transactions", json=body)
        if response.status_code != 201:
            raise RuntimeError(f"sample transaction: HTTP {response.status_code} {response.text[:500]}")
        data = response.json()["data"]
        problems = []
        if data.get("profile_id") != fixtures.profiles[identifier]:
            problems.append(f"profile_id {data.get('profile_id')!r}, expected {fixtures.profiles[identifier]!r}")
        if len(data.get("items") or []) != ITEMS:
            problems.append(f"{len(data.get('items') or [])} items, expected {ITEMS}")
        if fixtures.location is not None and (data.get("location") or {}).get("external_code") != "S1":
            problems.append(f"location {data.get('location')!r}, expected external_code S1")
        aggregations = await client.get(f"/api/v3/profiles/{fixtures.profiles[identifier]}/aggregations")
        count = aggregations.json().get("data", {}).get("transaction_count") if aggregations.is_success else None
        if count != 1:
            problems.append(f"aggregations: HTTP {aggregations.status_code}, transaction_count {count!r}, expected 1")
    if problems:
        raise RuntimeError("sample transaction: " + "; ".join(problems))
    return (
        f"201, profile {identifier} -> {data['profile_id']}, {ITEMS} items, total {data.get('total')}, "
        f"location {(data.get('location') or {}).get('external_code')}, aggregations transaction_count 1"
    )


# --- earning (with --earning) ---------------------------------------------------------------------


def _points(total: Decimal) -> Decimal:
    return (total * RATE).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


async def _configure_earning(env: Env) -> str:
    """Reward points at a rate of 1 and tier points with three tiers, over the API."""
    headers = {"Authorization": f"Bearer {env.token}"}
    bodies: list[tuple[str, dict[str, Any]]] = [
        ("/api/v3/points/definitions", REWARD_POINTS),
        ("/api/v3/points/definitions", TIER_POINTS),
        ("/api/v3/rates", {"point_definition_handle": REWARD_POINTS["handle"], "rate": str(RATE)}),
    ]
    bodies += [
        ("/api/v3/tiers/definitions", {"name": name, "handle": handle, "value_min": low, "is_floor": floor})
        for name, handle, low, floor in TIERS
    ]
    async with httpx.AsyncClient(base_url=env.omneo.url, headers=headers, timeout=60) as client:
        for path, body in bodies:
            response = await client.post(path, json=body)
            if response.status_code != 201:
                raise RuntimeError(f"POST {path} {body}: HTTP {response.status_code} {response.text[:300]}")
    tiers = " / ".join(f"{name} {low}{' (floor)' if floor else ''}" for name, _h, low, floor in TIERS)
    return f"reward points ({REWARD_POINTS['handle']}) at rate {RATE}; tier points ({TIER_POINTS['handle']}); {tiers}"


async def _point_balance(client: httpx.AsyncClient, profile_id: str) -> Decimal:
    response = await client.get(f"/api/v3/profiles/{profile_id}/balances")
    if response.status_code != 200:
        raise RuntimeError(f"GET balances: HTTP {response.status_code} {response.text[:300]}")
    return Decimal(str(response.json()["data"]["point_balance"]))


async def _earning_sample(env: Env, fixtures: Fixtures) -> str:
    """One transaction with earning on: the profile's point balance must grow by total x rate."""
    identifier = random.choice(list(fixtures.profiles))
    profile_id = fixtures.profiles[identifier]
    body = transaction("sample-earning", identifier, fixtures.location, random.Random(2))
    headers = {"Authorization": f"Bearer {env.token}"}
    async with httpx.AsyncClient(base_url=env.omneo.url, headers=headers, timeout=60) as client:
        before = await _point_balance(client, profile_id)
        response = await client.post("/api/v3/transactions", json=body)
        if response.status_code != 201:
            raise RuntimeError(f"sample earning transaction: HTTP {response.status_code} {response.text[:500]}")
        after = await _point_balance(client, profile_id)
    total = Decimal(str(body["total"]))
    if after - before != _points(total):
        raise RuntimeError(f"sample earning transaction: total {total}, point balance {before} -> {after}")
    return f"201, total {total}, point_balance {before} -> {after}"


async def _last_transaction_id(url: str) -> int:
    from sqlalchemy import func, select

    from omneo_server.db import tables as t
    from omneo_server.db.engine import Database

    db = Database(url)
    try:
        async with db.read() as session:
            return int((await session.execute(select(func.coalesce(func.max(t.Transaction.id), 0)))).scalar_one())
    finally:
        await db.dispose()


@dataclass
class Earned:
    problems: list[str]
    verify: list[str]
    profiles: int  # profiles that earned
    points: Decimal  # points issued in all
    tiers: dict[str, int]  # tier handle -> profiles


async def _earned(env: Env, fixtures: Fixtures, before: int) -> Earned:
    """Points, tier points and tiers against the transactions written after earning was configured
    (ids above ``before``), every profile's point balance over the API, and ``ledger.verify``."""
    from collections import defaultdict

    from sqlalchemy import func, select

    from omneo_server.db import tables as t
    from omneo_server.db.engine import Database
    from omneo_server.domain.incentives import ledger

    points: defaultdict[str, Decimal] = defaultdict(Decimal)  # expected, per profile id
    spend: defaultdict[str, Decimal] = defaultdict(Decimal)
    problems: list[str] = []
    db = Database(env.url)
    try:
        async with db.read() as session:
            tenant_id = (await session.execute(select(t.Tenant.id))).scalar_one()
            rows = await session.execute(
                select(t.Transaction.profile_id, t.Transaction.total).where(t.Transaction.id > before)
            )
            for profile_id, total in rows:
                points[str(profile_id)] += _points(Decimal(total))
                spend[str(profile_id)] += Decimal(total)
            early = (
                await session.execute(select(func.count()).select_from(t.Point).where(t.Point.transaction_id <= before))
            ).scalar_one()
            if early:
                problems.append(f"{early} point lots for transactions written before earning was configured")
            stmt = select(t.Point.profile_id, func.sum(t.Point.value_remaining)).group_by(t.Point.profile_id)
            lots = {str(p): Decimal(v) for p, v in await session.execute(stmt)}
            stmt = select(t.TierPoint.profile_id, func.sum(t.TierPoint.value)).group_by(t.TierPoint.profile_id)
            tier_points = {str(p): Decimal(v) for p, v in await session.execute(stmt)}
            held = select(t.ProfileTier.profile_id, t.TierDefinition.handle).join(
                t.TierDefinition, t.TierDefinition.id == t.ProfileTier.tier_definition_id
            )
            tier_of = {str(p): str(h) for p, h in await session.execute(held)}
            verify = await ledger.verify(session, tenant_id)
    finally:
        await db.dispose()

    headers = {"Authorization": f"Bearer {env.token}"}
    gate = asyncio.Semaphore(8)
    async with httpx.AsyncClient(base_url=env.omneo.url, headers=headers, timeout=60) as client:

        async def balance(profile_id: str) -> tuple[str, Decimal]:
            async with gate:
                return profile_id, await _point_balance(client, profile_id)

        balances = dict(await asyncio.gather(*(balance(p) for p in fixtures.profiles.values())))

    wrong = {"balance": 0, "lots": 0, "tier points": 0, "tier": 0}
    first: list[str] = []
    for profile_id in fixtures.profiles.values():
        want, spent = points.get(profile_id, Decimal(0)), spend.get(profile_id, Decimal(0))
        expected_tier = next((h for _n, h, low, _f in reversed(TIERS) if spent >= low), None)
        checks = {
            "balance": balances[profile_id] == want,
            "lots": lots.get(profile_id, Decimal(0)) == want,
            "tier points": tier_points.get(profile_id, Decimal(0)) == spent,
            # A profile that earned nothing may hold no tier yet.
            "tier": tier_of.get(profile_id) == expected_tier or (not spent and profile_id not in tier_of),
        }
        for name, ok in checks.items():
            if not ok:
                wrong[name] += 1
                if len(first) < 5:
                    first.append(
                        f"profile {profile_id}: earning transactions total {spent}, expected points {want}; "
                        f"point_balance {balances[profile_id]}, point lots {lots.get(profile_id)}, tier points "
                        f"{tier_points.get(profile_id)}, tier {tier_of.get(profile_id)} (expected {expected_tier})"
                    )
    problems += [f"{n} profiles with the wrong {name}" for name, n in wrong.items() if n]
    problems += first
    tiers = {h: sum(1 for v in tier_of.values() if v == h) for _n, h, _l, _f in TIERS}
    return Earned(problems, verify, sum(1 for p in points.values() if p), sum(points.values(), Decimal(0)), tiers)


async def _analyze(url: str) -> None:
    """Refresh PostgreSQL's planner statistics, as autovacuum would within a minute or so."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text("ANALYZE"))
    finally:
        await engine.dispose()


async def _stored(url: str) -> dict[str, Any]:
    """What the database holds after the run (read directly, not through the API)."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            row = (
                await conn.execute(
                    text(
                        "SELECT (SELECT count(*) FROM transactions),"
                        " (SELECT count(*) FROM transaction_items),"
                        " (SELECT coalesce(sum(total), 0) FROM transactions),"
                        " (SELECT coalesce(sum(transaction_count), 0) FROM aggregations),"
                        " (SELECT coalesce(sum(spend_all), 0) FROM aggregations),"
                        " (SELECT coalesce(sum(transactions), 0) FROM spend_days)"
                    )
                )
            ).one()
    finally:
        await engine.dispose()
    keys = ("transactions", "items", "total", "aggregated_count", "aggregated_spend", "spend_day_count")
    return dict(zip(keys, row, strict=True))


def _consistency(stored: dict[str, Any], answered: int, samples: int = 1) -> list[str]:
    expected = answered + samples
    problems = []
    if stored["transactions"] != expected:
        problems.append(f"{stored['transactions']} transactions stored, {expected} answered 2xx")
    if stored["items"] != ITEMS * stored["transactions"]:
        problems.append(f"{stored['items']} items for {stored['transactions']} transactions")
    if stored["aggregated_count"] != stored["transactions"] or stored["spend_day_count"] != stored["transactions"]:
        problems.append(
            f"aggregations count {stored['aggregated_count']}, spend days {stored['spend_day_count']}, "
            f"transactions {stored['transactions']}"
        )
    if round(float(stored["aggregated_spend"]), 2) != round(float(stored["total"]), 2):
        problems.append(f"aggregated spend {stored['aggregated_spend']} != sum of totals {stored['total']}")
    return problems


# --- the run ---------------------------------------------------------------------------------------


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_arguments(parser)
    parser.add_argument("--profiles", type=int, default=200, help="profiles to spread the sales over (default 200)")
    parser.add_argument(
        "--no-analyze",
        dest="analyze",
        action="store_false",
        help="PostgreSQL: do not ANALYZE after set-up (the planner then guesses sizes for the new tables; "
        "see bench/README.md: each identity lookup JIT-compiles, for seconds)",
    )
    parser.add_argument(
        "--earning",
        action="store_true",
        help="then configure earning (reward points at rate 1, tier points, 3 tiers) and run the ingest again",
    )
    args = parser.parse_args(argv)
    if min(args.seconds, args.concurrency, args.clients, args.profiles) <= 0:
        parser.error("--seconds, --concurrency, --clients and --profiles must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    with environment(args) as env:
        fixtures = asyncio.run(_setup(env, args.profiles))
        print(f"# {len(fixtures.profiles)} profiles with a {HANDLE} identity; location {fixtures.location_note}")
        if args.database == "postgresql":
            if args.analyze:
                asyncio.run(_analyze(env.url))
            stats = "ANALYZE after set-up" if args.analyze else "not analysed (--no-analyze)"
            print(f"# PostgreSQL statistics: {stats}")
        print(f"# sample transaction: {asyncio.run(_sample(env, fixtures))}", flush=True)
        bench = env.bench
        baseline, _ = bench.closed_loop("bare GET", env.bare, Get("/"))
        ingest, _ = bench.closed_loop(
            "transaction POST", env.omneo, TransactionPost(tuple(fixtures.profiles), fixtures.location)
        )
        earning: Result | None = None
        earned: Earned | None = None
        if args.earning:
            print(f"# earning configured: {asyncio.run(_configure_earning(env))}")
            before = asyncio.run(_last_transaction_id(env.url))
            print(f"# sample transaction with earning: {asyncio.run(_earning_sample(env, fixtures))}", flush=True)
            earning, _ = bench.closed_loop(
                "transaction POST + earning", env.omneo, TransactionPost(tuple(fixtures.profiles), fixtures.location)
            )
        recheck, _ = bench.closed_loop("bare GET (recheck)", env.bare, Get("/"))
        stored = asyncio.run(_stored(env.url))
        if args.earning:
            earned = asyncio.run(_earned(env, fixtures, before))
    results: list[Result] = [baseline, ingest, *([earning] if earning else []), recheck]

    print()
    print(table(results, baseline))
    print()
    errors = sum(r.errors + r.warmup_errors for r in results)
    for r in results:
        if r.errors or r.warmup_errors:
            print(f"{r.scenario}: {r.errors} errors (+{r.warmup_errors} in warm-up), first: {r.first_error}")
    print(f"errors (any non-2xx or failed request, warm-up included): {errors}")
    samples = 2 if earning else 1
    problems = _consistency(stored, ingest.answered + (earning.answered if earning else 0), samples)
    consistency = "consistent" if not problems else "INCONSISTENT: " + "; ".join(problems)
    print(
        f"database after the run: {stored['transactions']} transactions, {stored['items']} items, aggregations "
        f"count {stored['aggregated_count']}: {consistency}"
    )
    if ingest.answered and not ingest.requests:
        print(
            f"STALLED: the {ingest.answered} transactions answered had all been sent during the warm-up; none "
            "sent later was answered within the scenario (with --no-analyze on PostgreSQL: see bench/README.md)"
        )
    ratio = ingest.rps / baseline.rps if baseline.rps else 0.0
    again = ingest.rps / recheck.rps if recheck.rps else 0.0
    print(
        f"transactions: {ingest.rps:.1f} tx/s, p50 {ingest.ms(50)} ms, p99 {ingest.ms(99)} ms, server CPU "
        f"{ingest.cpu_ms_per_request:.2f} ms/tx (one core could ingest at most ~{1000 / ingest.cpu_ms_per_request:.0f} "
        f"tx/s); bare GET {baseline.cpu_ms_per_request:.2f} ms/req"
    )
    print(verdict("transaction POST", ratio, again, WRITE_TARGET))
    if earning is None or earned is None:
        return 1 if errors or problems else 0

    print(
        f"earning: {earned.profiles} profiles earned {earned.points} points in all; tiers "
        + ", ".join(f"{h} {n}" for h, n in earned.tiers.items())
        + ": "
        + (
            "every point balance = its transactions' totals x rate, tier points = totals, tiers right"
            if not earned.problems
            else "INCONSISTENT: " + "; ".join(earned.problems)
        )
    )
    print("ledger.verify: " + ("empty (every cached balance agrees with the ledger)" if not earned.verify else ""))
    for line in earned.verify[:20]:
        print(f"  {line}")
    share = earning.rps / baseline.rps if baseline.rps else 0.0
    again = earning.rps / recheck.rps if recheck.rps else 0.0
    extra = earning.cpu_ms_per_request - ingest.cpu_ms_per_request
    print(
        f"transactions with earning: {earning.rps:.1f} tx/s, p50 {earning.ms(50)} ms, p99 {earning.ms(99)} ms, "
        f"server CPU {earning.cpu_ms_per_request:.2f} ms/tx ({extra:+.2f} against ingest without earning); "
        + (f"{earning.rps / ingest.rps:.0%} of the ingest rate without earning" if ingest.rps else "")
    )
    print(verdict("transaction POST with earning", share, again, WRITE_TARGET))
    return 1 if errors or problems or earned.problems or earned.verify else 0


if __name__ == "__main__":
    sys.exit(main())
