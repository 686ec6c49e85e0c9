"""Profile create/get throughput and latency, against a bare FastAPI endpoint in the same run.

Serves the real app (``omneo_server.app:create_app``) and ``bench/bare_app.py`` as two separate
uvicorn processes (one worker each, access log off) on 127.0.0.1, then drives them over HTTP for a
fixed time per scenario:

* ``bare GET``            closed loop, ``--concurrency`` requests in flight, against the bare app;
* ``profile POST``        closed loop, each request creates a profile with a unique email;
* ``profile GET``         closed loop, each request fetches a random profile created above;
* ``profile list``        closed loop, ``GET /api/v3/profiles?filter[email]=…`` for a random email of
                          the profiles created above (one profile per page);
* ``profile GET @rate``   open loop: requests are *sent* at a fixed ``--rate`` whatever the replies
                          do, and latency counts from each request's scheduled send time (so a
                          stalled server shows up as latency, not as fewer requests);
* ``bare GET (recheck)``  the baseline again, to show how much the machine drifted during the run.

The load generator is asyncio on uvloop in ``--clients`` separate processes; the servers, clients and
tables are shared with ``bench/transactions.py`` through ``bench/_harness.py``.

Usage::

    .venv/bin/python bench/profiles.py [--seconds 10] [--database sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar
from urllib.parse import quote

import httpx

from _harness import LIST_TARGET, READ_TARGET, WRITE_TARGET, Get, add_common_arguments, environment, table, verdict

P99_TARGET_MS = 10.0


@dataclass(frozen=True)
class ProfilePost:
    """``POST /api/v3/profiles`` with a unique email each."""

    path: str = "/api/v3/profiles"
    method: ClassVar[str] = "POST"
    collect_ids: ClassVar[bool] = True

    def build(self, prefix: str, n: int, rng: random.Random) -> tuple[str, bytes | None]:
        return self.path, json.dumps({"email": f"{prefix}-{n}@example.com", "first_name": "Bench"}).encode()


@dataclass(frozen=True)
class ListByEmail:
    """``GET /api/v3/profiles?filter[email]=…`` for a random one of ``emails``."""

    emails: tuple[str, ...]
    path: str = "/api/v3/profiles"
    method: ClassVar[str] = "GET"
    collect_ids: ClassVar[bool] = False

    def build(self, prefix: str, n: int, rng: random.Random) -> tuple[str, bytes | None]:
        return f"{self.path}?filter[email]={quote(rng.choice(self.emails))}", None


def _emails(base: str, token: str, ids: Sequence[str]) -> tuple[str, ...]:
    """The emails of some of the created profiles (read back over the API)."""
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        return tuple(client.get(f"/api/v3/profiles/{pid}").json()["data"]["email"] for pid in ids)


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_arguments(parser)
    parser.add_argument("--rate", type=float, default=500.0, help="open-loop profile GET rate, req/s (default 500)")
    parser.add_argument("--open-connections", type=int, default=32, help="open-loop connection pool (default 32)")
    args = parser.parse_args(argv)
    if min(args.seconds, args.rate, args.concurrency, args.clients, args.open_connections) <= 0:
        parser.error("--seconds, --rate, --concurrency, --clients and --open-connections must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    with environment(args) as env:
        bench, bare, omneo = env.bench, env.bare, env.omneo
        baseline, _ = bench.closed_loop("bare GET", bare, Get("/"))
        created, ids = bench.closed_loop("profile POST", omneo, ProfilePost())
        if not ids:
            raise RuntimeError(f"no profile was created: {created.first_error}")
        gets = Get("/api/v3/profiles", tuple(random.sample(ids, min(len(ids), 10_000))))
        got, _ = bench.closed_loop("profile GET", omneo, gets)
        listed, _ = bench.closed_loop(
            "profile list", omneo, ListByEmail(_emails(omneo.url, env.token, random.sample(ids, min(len(ids), 200))))
        )
        paced = bench.open_loop(
            f"profile GET @{args.rate:g}/s open loop", omneo, gets, float(args.rate), args.open_connections
        )
        recheck, _ = bench.closed_loop("bare GET (recheck)", bare, Get("/"))
        results = [baseline, created, got, listed, paced, recheck]

    print()
    print(table(results, baseline))
    print()
    for r in results:
        if r.errors:
            print(f"{r.scenario}: {r.errors} errors, first: {r.first_error}")
    p99_ok = paced.percentile(99) <= P99_TARGET_MS and paced.note.startswith("kept up")
    ratio = got.rps / baseline.rps if baseline.rps else 0.0
    again = got.rps / recheck.rps if recheck.rps else 0.0
    print(f"open loop: {paced.note}")
    print(
        f"server CPU per request: profile GET {got.cpu_ms_per_request:.2f} ms, bare GET "
        f"{baseline.cpu_ms_per_request:.2f} ms (one core could serve at most ~{1000 / got.cpu_ms_per_request:.0f} "
        "profile GET/s)"
    )
    print(f"target profile GET p99 <= {P99_TARGET_MS:g} ms at {args.rate:g} req/s: {'MET' if p99_ok else 'MISSED'}")
    print(verdict("profile GET", ratio, again, READ_TARGET))
    listed_share = listed.rps / baseline.rps if baseline.rps else 0.0
    print(verdict("profile list", listed_share, listed.rps / recheck.rps if recheck.rps else 0.0, LIST_TARGET))
    created_share = created.rps / baseline.rps if baseline.rps else 0.0
    created_again = created.rps / recheck.rps if recheck.rps else 0.0
    print(verdict("profile POST", created_share, created_again, WRITE_TARGET))
    return 0


if __name__ == "__main__":
    sys.exit(main())
