"""Paginated list responses (entities.md §0.1) that can be iterated across every page."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Generic, TypeVar
from urllib.parse import parse_qs, urlsplit

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

__all__ = ["AsyncPage", "BasePage", "Page", "PageLinks", "PageMeta", "PageMetaLink"]

T = TypeVar("T")


class PageLinks(BaseModel):
    model_config = ConfigDict(extra="allow")

    first: str | None = None
    last: str | None = None
    prev: str | None = None
    next: str | None = None


class PageMetaLink(BaseModel):
    model_config = ConfigDict(extra="allow")

    url: str | None = None
    label: str | None = None
    active: bool | None = None


class PageMeta(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    current_page: int | None = None
    from_: int | None = Field(default=None, alias="from")
    last_page: int | None = None
    links: list[PageMetaLink] = []
    path: str | None = None
    per_page: int | None = None
    to: int | None = None
    total: int | None = None


class BasePage(BaseModel, Generic[T]):
    """The envelope ``{data, links, meta}``; ``data`` is this page's items."""

    model_config = ConfigDict(extra="allow")

    data: list[T] = []
    links: PageLinks | None = None
    meta: PageMeta | None = None

    def has_next_page(self) -> bool:
        """True while ``meta.current_page < meta.last_page`` and ``links.next`` is not null."""
        return self._next_page_number() is not None

    def _next_page_number(self) -> int | None:
        """The next page's number, or None on the last page (or when it cannot be told)."""
        if not self.data or (self.links is not None and self.links.next is None):
            return None
        has_next_link = self.links is not None and bool(self.links.next)
        meta = self.meta
        if meta is not None and meta.current_page is not None:
            if meta.last_page is not None:
                return meta.current_page + 1 if meta.current_page < meta.last_page else None
            return meta.current_page + 1 if has_next_link else None
        if self.links is not None and self.links.next:
            number = parse_qs(urlsplit(self.links.next).query).get("page[number]")
            if number and number[0].isdigit():
                return int(number[0])
        return None

    def _no_next(self) -> LookupError:
        return LookupError("no next page: this is the last page")


class Page(BasePage[T], Generic[T]):
    """A page from a synchronous client.

    ``for item in page`` yields every item of this page and of the following pages, fetched lazily
    with the same query and ``page[number]`` incremented; ``page.data`` is this page only.
    """

    _fetch: Callable[[int], Page[T]] | None = PrivateAttr(default=None)

    def next_page(self) -> Page[T]:
        number = self._next_page_number()
        if number is None or self._fetch is None:
            raise self._no_next()
        return self._fetch(number)

    def iter_pages(self) -> Iterator[Page[T]]:
        page: Page[T] = self
        yield page
        while page.has_next_page() and page._fetch is not None:
            page = page.next_page()
            yield page

    def __iter__(self) -> Iterator[T]:  # type: ignore[override]
        for page in self.iter_pages():
            yield from page.data


class AsyncPage(BasePage[T], Generic[T]):
    """A page from an async client: ``async for item in page`` walks every page lazily."""

    _fetch: Callable[[int], Awaitable[AsyncPage[T]]] | None = PrivateAttr(default=None)

    async def next_page(self) -> AsyncPage[T]:
        number = self._next_page_number()
        if number is None or self._fetch is None:
            raise self._no_next()
        return await self._fetch(number)

    async def iter_pages(self) -> AsyncIterator[AsyncPage[T]]:
        page: AsyncPage[T] = self
        yield page
        while page.has_next_page() and page._fetch is not None:
            page = await page.next_page()
            yield page

    def __iter__(self) -> Iterator[T]:  # type: ignore[override]
        # A plain ``for`` cannot fetch the following pages here; refuse rather than stop silently.
        raise TypeError("iterate an AsyncPage with `async for` (every page) or `page.data` (this page)")

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.iter_pages():
            for item in page.data:
                yield item
