"""Response envelopes: ``{"data": ...}`` and Laravel-style pages, rendered with exact decimals."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from starlette.responses import Response

from omneo_server.domain.query import Page
from omneo_server.wire import dumps


class JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content).encode()


def data(value: Any, status_code: int = 200) -> JSON:
    return JSON({"data": value}, status_code=status_code)


def raw_data(body: str) -> Response:
    """``{"data": …}`` around JSON already rendered (a read model's document)."""
    return Response(b'{"data":' + body.encode() + b"}", media_type="application/json")


def no_content() -> Response:
    return Response(status_code=204)


def page(request: Request, result: Page, items: list[Any]) -> JSON:
    last = max(1, -(-result.total // result.size))
    first_index = (result.page - 1) * result.size + 1
    url = request.url.remove_query_params(list(request.query_params.keys()))
    kept = urlencode(
        [(k, v) for k, v in request.query_params.multi_items() if k not in ("page", "page[number]", "offset")]
    )
    prefix = f"{url}?{kept}&page%5Bnumber%5D=" if kept else f"{url}?page%5Bnumber%5D="

    def page_url(number: int) -> str:
        return f"{prefix}{number}"

    prev_url = page_url(result.page - 1) if result.page > 1 else None
    next_url = page_url(result.page + 1) if result.page < last else None
    window = range(max(1, result.page - 5), min(last, result.page + 5) + 1)
    links = [
        {"url": prev_url, "label": "&laquo; Previous", "active": False},
        *({"url": page_url(n), "label": str(n), "active": n == result.page} for n in window),
        {"url": next_url, "label": "Next &raquo;", "active": False},
    ]
    return JSON(
        {
            "data": items,
            "links": {
                "first": page_url(1),
                "last": page_url(last),
                "prev": prev_url,
                "next": next_url,
            },
            "meta": {
                "current_page": result.page,
                "from": first_index if items else None,
                "last_page": last,
                "links": links,
                "path": str(url),
                "per_page": result.size,
                "to": first_index + len(items) - 1 if items else None,
                "total": result.total,
            },
        }
    )
