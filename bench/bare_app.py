"""The baseline: a bare FastAPI app with one route returning a small JSON dict.

Served by ``bench/profiles.py`` with the same uvicorn settings as the real server, so the ratio of
the two req/s figures measures what the Omneo stack costs over FastAPI itself.
"""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()


@app.get("/")
async def root() -> dict[str, str]:
    return {"status": "ok", "service": "bare"}
