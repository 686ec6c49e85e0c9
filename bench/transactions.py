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
* ``bare GET (recheck)``  the baseline again, to show how much the machine drifted during the run.

Afterwards it checks in the database that every transaction answered 2xx is stored with its 3 items
and counted once in the aggregations. Any non-2xx answer is an error and is reported.

Usage::

    .venv/bin/python bench/transactions.py [--seconds 10] [--database sqlite|postgresql]
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
from typing import Any, ClassVar

import httpx

from _harness import RATIO_TARGET, Env, Get, Result, add_common_arguments, environment, table

HANDLE = "pos"
LOCATION = {"name": "Store 1", "phone": "0390000000", "external_code": "S1"}
TIMEZONE = "Australia/Melbourne"
ITEMS = 3


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


def _consistency(stored: dict[str, Any], answered: int) -> list[str]:
    expected = answered + 1  # + the sample
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
        recheck, _ = bench.closed_loop("bare GET (recheck)", env.bare, Get("/"))
        stored = asyncio.run(_stored(env.url))
    results: list[Result] = [baseline, ingest, recheck]

    print()
    print(table(results, baseline))
    print()
    errors = sum(r.errors + r.warmup_errors for r in results)
    for r in results:
        if r.errors or r.warmup_errors:
            print(f"{r.scenario}: {r.errors} errors (+{r.warmup_errors} in warm-up), first: {r.first_error}")
    print(f"errors (any non-2xx or failed request, warm-up included): {errors}")
    problems = _consistency(stored, ingest.answered)
    verdict = "consistent" if not problems else "INCONSISTENT: " + "; ".join(problems)
    print(
        f"database after the run: {stored['transactions']} transactions, {stored['items']} items, aggregations "
        f"count {stored['aggregated_count']}: {verdict}"
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
    print(
        f"target transaction POST >= {RATIO_TARGET:.0%} of bare req/s: "
        f"{'MET' if ratio >= RATIO_TARGET else 'MISSED'} ({ratio:.1%}; {again:.1%} against the recheck)"
    )
    return 1 if errors or problems else 0


if __name__ == "__main__":
    sys.exit(main())
