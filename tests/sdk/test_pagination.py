"""Pages iterate lazily across every page with the same params and page[number] incremented."""

from __future__ import annotations

import pytest

from omneo import AsyncOmneo, AsyncPage, Omneo, Page
from omneo.types import Brand

from .conftest import Recorded, Reply, ScriptedServer

LAST = 3


def three_pages(request: Recorded) -> Reply:
    number = int(request.query.get("page[number]", "1"))
    next_url = None if number == LAST else f"http://x/api/v3/brands?page%5Bnumber%5D={number + 1}"
    return Reply(
        200,
        {
            "data": [{"id": number * 10 + i, "handle": f"b{number}{i}", "extra": "kept"} for i in (1, 2)],
            "links": {"first": "f", "last": "l", "prev": None, "next": next_url},
            "meta": {
                "current_page": number,
                "from": number * 2 - 1,
                "last_page": LAST,
                "path": "http://x/api/v3/brands",
                "per_page": 2,
                "to": number * 2,
                "total": 6,
            },
        },
    )


def test_iterating_a_page_walks_every_page(stub: ScriptedServer, client: Omneo) -> None:
    stub.handler = three_pages
    page = client.brands.list({"page": {"size": 2}, "filter": {"handle": {"ne": "x"}}})
    assert isinstance(page, Page)
    assert [b.id for b in page.data] == [11, 12]
    assert page.meta is not None and page.meta.total == 6 and page.meta.from_ == 1
    assert len(stub.requests) == 1  # lazily: nothing fetched yet

    items = list(page)
    assert [b.id for b in items] == [11, 12, 21, 22, 31, 32]
    assert all(isinstance(b, Brand) and b.model_extra == {"extra": "kept"} for b in items)
    assert [r.query for r in stub.requests] == [
        {"page[size]": "2", "filter[handle][ne]": "x"},
        {"page[size]": "2", "filter[handle][ne]": "x", "page[number]": "2"},
        {"page[size]": "2", "filter[handle][ne]": "x", "page[number]": "3"},
    ]


def test_next_page_and_has_next_page(stub: ScriptedServer, client: Omneo) -> None:
    stub.handler = three_pages
    first = client.brands.list()
    assert first.has_next_page()
    second = first.next_page()
    assert second.meta is not None and second.meta.current_page == 2
    third = second.next_page()
    assert not third.has_next_page()
    with pytest.raises(LookupError):
        third.next_page()
    assert [p.meta.current_page for p in first.iter_pages() if p.meta] == [1, 2, 3]


def test_stops_when_links_next_is_null(stub: ScriptedServer, client: Omneo) -> None:
    stub.script = [
        Reply(200, {"data": [{"id": 1}], "links": {"next": None}, "meta": {"current_page": 1, "last_page": 9}})
    ]
    assert [b.id for b in client.brands.list()] == [1]
    assert len(stub.requests) == 1


def test_page_without_meta_follows_links_next(stub: ScriptedServer, client: Omneo) -> None:
    stub.handler = lambda r: Reply(
        200,
        {
            "data": [{"id": int(r.query.get("page[number]", "1"))}],
            "links": {"next": None if r.query.get("page[number]") == "2" else "http://x/brands?page[number]=2"},
        },
    )
    assert [b.id for b in client.brands.list()] == [1, 2]


async def test_async_iteration_walks_every_page(stub: ScriptedServer, aclient: AsyncOmneo) -> None:
    stub.handler = three_pages
    page = await aclient.brands.list({"page": {"size": 2}})
    assert isinstance(page, AsyncPage)
    assert [b.handle async for b in page] == ["b11", "b12", "b21", "b22", "b31", "b32"]
    assert [r.query.get("page[number]") for r in stub.requests] == [None, "2", "3"]
    second = await page.next_page()
    assert second.meta is not None and second.meta.current_page == 2
    with pytest.raises(TypeError):
        list(page)


def test_page_is_a_pydantic_model() -> None:
    page = Page[Brand].model_validate({"data": [{"id": 1, "handle": "a"}], "meta": {"current_page": 1}})
    assert isinstance(page.data[0], Brand)
    assert page.model_dump(exclude_none=True)["data"] == [{"id": 1, "handle": "a", "departments": []}]
    assert not page.has_next_page()
