"""ID API round trips over HTTP: token mint and ``/profiles/me`` read, against a bare FastAPI endpoint.

Serves the real app and ``bench/bare_app.py`` through ``bench/_harness.py`` (fresh database, tenant,
all-scopes admin token, one uvicorn worker each), creates ``--profiles`` profiles over the admin API,
pre-mints one ID token per profile, checks one mint + read by hand, then runs, each a closed loop of
``--concurrency`` in flight for ``--seconds`` after 1 s of warm-up:

* ``bare GET``              ``GET /`` on the bare app;
* ``token mint``            ``POST /id/api/v1/auth/token`` ``{"id": <random profile uuid>}`` with the
                            admin token;
* ``/profiles/me read``     ``GET /id/api/v1/profiles/me`` with a random pre-minted ID token;
* ``mint + read round trip`` per iteration: mint a token for a random profile, then read
                            ``/profiles/me`` with it and check it is that profile (one "request" in
                            the table is the whole round trip, two HTTP requests);
* ``bare GET (recheck)``    the baseline again.

Prints the table, the combined rate of the separate scenarios ``1 / (1/mint + 1/read)`` beside the
measured round trip, and the errors (any non-2xx, warm-up included; exit status 1 if any).

Usage::

    .venv/bin/python bench/id_tokens.py [--seconds 10] [--database sqlite|postgresql] [--profiles 100]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import httpx

from _harness import Client, Env, Get, Result, add_common_arguments, environment, table

MINT = "/id/api/v1/auth/token"
ME = "/id/api/v1/profiles/me"
#: Status reported when a round trip's read answers 2xx but for the wrong profile.
WRONG_PROFILE = 0


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class TokenMint:
    """``POST /id/api/v1/auth/token`` for a random profile, with the admin token."""

    admin: str
    profiles: tuple[str, ...]
    path: str = MINT
    method: ClassVar[str] = "POST"
    collect_ids: ClassVar[bool] = False

    def build(self, prefix: str, n: int, rng: random.Random) -> tuple[str, bytes | None]:
        # The request ``perform`` sends (it adds the per-request admin header).
        return MINT, json.dumps({"id": rng.choice(self.profiles)}).encode()

    async def perform(self, client: Client, prefix: str, n: int, rng: random.Random) -> tuple[int, bytes]:
        body = json.dumps({"id": rng.choice(self.profiles)}).encode()
        return await client.request("POST", MINT, body, _bearer(self.admin))


@dataclass(frozen=True)
class MeRead:
    """``GET /id/api/v1/profiles/me`` with a random pre-minted ID token."""

    tokens: tuple[str, ...]
    path: str = ME
    method: ClassVar[str] = "GET"
    collect_ids: ClassVar[bool] = False

    def build(self, prefix: str, n: int, rng: random.Random) -> tuple[str, bytes | None]:
        return ME, None

    async def perform(self, client: Client, prefix: str, n: int, rng: random.Random) -> tuple[int, bytes]:
        return await client.request("GET", ME, None, _bearer(rng.choice(self.tokens)))


@dataclass(frozen=True)
class MintThenRead:
    """Mint a token for a random profile, then read ``/profiles/me`` with it; the read must be that
    profile."""

    admin: str
    profiles: tuple[str, ...]
    path: str = MINT
    method: ClassVar[str] = "POST"
    collect_ids: ClassVar[bool] = False

    def build(self, prefix: str, n: int, rng: random.Random) -> tuple[str, bytes | None]:
        # The first of the two requests ``perform`` sends.
        return MINT, json.dumps({"id": rng.choice(self.profiles)}).encode()

    async def perform(self, client: Client, prefix: str, n: int, rng: random.Random) -> tuple[int, bytes]:
        profile = rng.choice(self.profiles)
        status, content = await client.request("POST", MINT, json.dumps({"id": profile}).encode(), _bearer(self.admin))
        if not 200 <= status < 300:
            return status, b"mint: " + content
        token = json.loads(content)["data"]["token"]
        status, content = await client.request("GET", ME, None, _bearer(token))
        if not 200 <= status < 300:
            return status, b"read: " + content
        if json.loads(content)["data"]["id"] != profile:
            return WRONG_PROFILE, b"read: wrong profile: " + content[:200]
        return status, content


# --- set-up -----------------------------------------------------------------------------------------


async def _setup(env: Env, count: int) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    """Create ``count`` profiles, mint one ID token each; check one mint + read. Returns
    (profile ids, tokens, what the check saw)."""
    async with httpx.AsyncClient(base_url=env.omneo.url, headers=_bearer(env.token), timeout=60) as client:
        gate = asyncio.Semaphore(8)

        async def make(n: int) -> str:
            body = {"first_name": "Bench", "last_name": f"Customer {n}", "email": f"id{n}@example.com"}
            async with gate:
                answer = await client.post("/api/v3/profiles", json=body)
            if answer.status_code != 201:
                raise RuntimeError(f"POST /api/v3/profiles: HTTP {answer.status_code} {answer.text[:300]}")
            return str(answer.json()["data"]["id"])

        profiles = tuple(await asyncio.gather(*(make(n) for n in range(1, count + 1))))

        async def mint(profile: str) -> str:
            async with gate:
                answer = await client.post(MINT, json={"id": profile})
            if answer.status_code != 200:
                raise RuntimeError(f"POST {MINT}: HTTP {answer.status_code} {answer.text[:300]}")
            return str(answer.json()["data"]["token"])

        tokens = tuple(await asyncio.gather(*(mint(p) for p in profiles)))

    async with httpx.AsyncClient(base_url=env.omneo.url, timeout=60) as client:
        me = await client.get(ME, headers=_bearer(tokens[0]))
        if me.status_code != 200 or me.json()["data"]["id"] != profiles[0]:
            raise RuntimeError(f"GET {ME}: HTTP {me.status_code} {me.text[:300]}, expected profile {profiles[0]}")
        denied = await client.get(ME, headers=_bearer(env.token))
    if denied.status_code != 401:
        raise RuntimeError(f"GET {ME} with the admin token: HTTP {denied.status_code}, expected 401")
    check = (
        "mint 200, GET /profiles/me 200 with data.id = that profile; admin token on /profiles/me 401; "
        f"token {len(tokens[0])} chars"
    )
    return profiles, tokens, check


# --- the run ---------------------------------------------------------------------------------------


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_arguments(parser)
    parser.add_argument("--profiles", type=int, default=100, help="profiles to mint tokens for (default 100)")
    args = parser.parse_args(argv)
    if min(args.seconds, args.concurrency, args.clients, args.profiles) <= 0:
        parser.error("--seconds, --concurrency, --clients and --profiles must be positive")
    return args


def _combined(a: float, b: float) -> float:
    return 1 / (1 / a + 1 / b) if a > 0 and b > 0 else 0.0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    with environment(args) as env:
        profiles, tokens, check = asyncio.run(_setup(env, args.profiles))
        print(f"# {len(profiles)} profiles, {len(tokens)} pre-minted ID tokens; check: {check}", flush=True)
        bench = env.bench
        baseline, _ = bench.closed_loop("bare GET", env.bare, Get("/"))
        minted, _ = bench.closed_loop("token mint", env.omneo, TokenMint(env.token, profiles))
        read, _ = bench.closed_loop("/profiles/me read", env.omneo, MeRead(tokens))
        trip, _ = bench.closed_loop("mint + read round trip", env.omneo, MintThenRead(env.token, profiles))
        recheck, _ = bench.closed_loop("bare GET (recheck)", env.bare, Get("/"))
    results: list[Result] = [baseline, minted, read, trip, recheck]

    print()
    print(table(results, baseline))
    print()
    errors = sum(r.errors + r.warmup_errors for r in results)
    for r in results:
        if r.errors or r.warmup_errors:
            print(f"{r.scenario}: {r.errors} errors (+{r.warmup_errors} in warm-up), first: {r.first_error}")
    print(f"errors (any non-2xx or failed request, warm-up included): {errors}")
    combined = _combined(minted.rps, read.rps)

    def share(rate: float) -> str:
        return f"{rate / baseline.rps:.1%}" if baseline.rps else "-"

    print(
        f"round trips: measured {trip.rps:.1f}/s ({share(trip.rps)} of bare), server CPU "
        f"{trip.cpu_ms_per_request:.2f} ms per round trip; from the separate scenarios 1/(1/mint + 1/read) = "
        f"{combined:.1f}/s ({share(combined)} of bare), CPU {minted.cpu_ms_per_request:.2f} + "
        f"{read.cpu_ms_per_request:.2f} = {minted.cpu_ms_per_request + read.cpu_ms_per_request:.2f} ms"
    )
    print(
        f"mint {minted.rps:.1f}/s ({share(minted.rps)} of bare), read {read.rps:.1f}/s ({share(read.rps)} of bare); "
        f"bare {baseline.rps:.0f}/s, recheck {recheck.rps:.0f}/s, bare CPU {baseline.cpu_ms_per_request:.2f} ms/req"
    )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
