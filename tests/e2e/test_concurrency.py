"""Racing writers: the database, not luck, keeps contacts and identities unique."""

from __future__ import annotations

import asyncio

from omneo import AsyncOmneo, ValidationError


async def _outcomes(calls: list) -> tuple[list, list[ValidationError]]:
    results = await asyncio.gather(*calls, return_exceptions=True)
    ok = [r for r in results if not isinstance(r, BaseException)]
    failed = [r for r in results if isinstance(r, BaseException)]
    assert all(isinstance(f, ValidationError) for f in failed), failed
    return ok, failed  # type: ignore[return-value]


async def test_concurrent_signups_with_one_email_create_one_profile(aclient: AsyncOmneo) -> None:
    ok, failed = await _outcomes([aclient.profiles.create({"email": "race@example.com"}) for _ in range(20)])
    assert len(ok) == 1 and len(failed) == 19
    assert all(f.errors == {"email": ["The email has already been taken."]} for f in failed)
    assert (await aclient.profiles.list()).meta.total == 1  # type: ignore[union-attr]


async def test_concurrent_identity_claims_have_one_winner(aclient: AsyncOmneo) -> None:
    profiles = [await aclient.profiles.create({"email": f"i{n}@example.com"}) for n in range(8)]
    body = {"handle": "shopify", "identifier": "999"}
    ok, failed = await _outcomes([aclient.profiles.identities.create(p.id, body) for p in profiles])
    assert len(ok) == 1 and len(failed) == 7
    assert all("identities" in f.errors or "identifier" in f.errors for f in failed)
