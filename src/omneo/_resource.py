"""Declarative resources: a namespace is described once and served by both clients.

A resource method is written once and returns a *request description* (``Request[T]`` or
``PageRequest[T]``): verb, path, params, body and how to parse the body. The ``@endpoint``
decorator turns it into a descriptor whose type depends on the client's mode:

* on ``Omneo`` (``Resource[Sync]``) ``client.brands.get`` is ``Callable[P, Brand]``;
* on ``AsyncOmneo`` (``Resource[Async]``) it is ``Callable[P, Awaitable[Brand]]``.

List endpoints return ``PageRequest[T]``, served as ``Page[T]`` / ``AsyncPage[T]``.
"""

from __future__ import annotations

import builtins
import functools
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar, Concatenate, Generic, ParamSpec, TypeVar, overload

from pydantic import BaseModel, TypeAdapter

from ._utils import flatten_params
from .errors import APIStatusError
from .pagination import AsyncPage, Page

if TYPE_CHECKING:
    from ._client import BaseClient

__all__ = [
    "CRUD",
    "ID",
    "Async",
    "Body",
    "Collection",
    "CreateMixin",
    "DeleteMixin",
    "GetMixin",
    "ListMixin",
    "Mode",
    "NestedCRUD",
    "NestedCollection",
    "NestedCreateMixin",
    "NestedDeleteMixin",
    "NestedGetMixin",
    "NestedListAllMixin",
    "NestedListMixin",
    "NestedSingleton",
    "NestedUpdateMixin",
    "PageRequest",
    "Params",
    "Request",
    "Resource",
    "Sync",
    "UpdateMixin",
    "answer",
    "data",
    "data_first",
    "data_list",
    "empty",
    "endpoint",
    "full",
    "page",
]

T = TypeVar("T")
ModelT = TypeVar("ModelT")
P = ParamSpec("P")

ID = str | int
"""Record ids: profile ids are UUID strings, most others integers."""
Params = Mapping[str, Any]
"""Query params; nested dicts are flattened to bracket keys (``filter[email][eq]``)."""
Body = Mapping[str, Any] | BaseModel
"""A JSON request body: a mapping, or a pydantic model (dumped with ``exclude_unset``)."""


class Mode:
    """Marker for how a resource is served: ``Sync`` or ``Async``."""


class Sync(Mode):
    pass


class Async(Mode):
    pass


M = TypeVar("M", bound=Mode)


# -- request descriptions ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Request(Generic[T]):
    """One API call and how to turn its parsed JSON body into ``T``.

    ``recover``, when set, may answer a failed call with another request to send instead
    (``None`` re-raises the error).
    """

    method: str
    path: str
    parse: Callable[[Any], T]
    params: Params | None = None
    body: Any = None
    recover: Callable[[APIStatusError], Request[T] | None] | None = None
    headers: Mapping[str, str] | None = None
    #: When set, the parsed body of this call builds the request whose result is returned instead
    #: (a two-step call such as ``profiles.create_by_delegation``).
    then: Callable[[Any], Request[T]] | None = None

    @property
    def is_local(self) -> bool:
        """An ``answer``: nothing is sent, ``parse(None)`` is the result."""
        return not self.method


@dataclass(frozen=True, slots=True)
class PageRequest(Generic[T]):
    """A paginated GET whose ``data`` items are parsed with ``item``."""

    path: str
    item: Callable[[Any], T]
    params: Params | None = None

    def at_page(self, number: int) -> PageRequest[T]:
        """The same request for page ``number`` (other params unchanged)."""
        return replace(self, params={**flatten_params(self.params), "page[number]": str(number)})

    def build(self, page_cls: type[Page[Any]] | type[AsyncPage[Any]], body: Any) -> Any:
        """Validate an envelope into ``page_cls``, parsing every item with ``item``."""
        envelope = body if isinstance(body, dict) else {"data": body or []}
        result = page_cls.model_validate(envelope)
        result.data = [self.item(x) for x in result.data]
        return result


@functools.cache
def _adapter(model: Any) -> TypeAdapter[Any]:
    return TypeAdapter(model)


def _validator(model: type[T]) -> Callable[[Any], T]:
    key: Any = model
    adapter: TypeAdapter[T] = _adapter(key)
    return adapter.validate_python


def _unwrap(body: Any) -> Any:
    return body["data"] if isinstance(body, dict) and "data" in body else body


def data(method: str, path: str, model: type[T], *, params: Params | None = None, body: Any = None) -> Request[T]:
    """Returns ``DATA``: ``body.data`` parsed as ``model``."""
    validate = _validator(model)
    return Request(method, path, lambda b: validate(_unwrap(b)), params, body)


def data_list(
    method: str, path: str, model: type[T], *, params: Params | None = None, body: Any = None
) -> Request[builtins.list[T]]:
    """Returns ``DATA`` holding an array: each element of ``body.data`` parsed as ``model`` (a lone
    object is taken as a one-element array)."""
    validate = _validator(model)

    def parse(b: Any) -> builtins.list[T]:
        value = _unwrap(b)
        items = value if isinstance(value, builtins.list) else [] if value is None else [value]
        return [validate(x) for x in items]

    return Request(method, path, parse, params, body)


def data_first(
    method: str, path: str, model: type[T], *, params: Params | None = None, body: Any = None
) -> Request[T | None]:
    """Returns ``DATA[0]``: the first element of ``body.data`` (or the object itself), else None."""
    validate = _validator(model)

    def parse(b: Any) -> T | None:
        value = _unwrap(b)
        if isinstance(value, builtins.list):
            value = value[0] if value else None
        return None if value is None else validate(value)

    return Request(method, path, parse, params, body)


def full(method: str, path: str, model: type[T], *, params: Params | None = None, body: Any = None) -> Request[T]:
    """Returns ``FULL``: the whole parsed body as ``model``."""
    return Request(method, path, _validator(model), params, body)


def empty(method: str, path: str, *, params: Params | None = None, body: Any = None) -> Request[None]:
    """Returns ``NONE``: the body (usually a 204) is ignored."""
    return Request(method, path, lambda _: None, params, body)


def answer(value: T) -> Request[T]:
    """A request that is never sent: its result is ``value``. Lets ``recover`` turn an error into
    a result (e.g. a 404 into an empty list)."""
    return Request("", "", lambda _: value)


def page(path: str, model: type[T], params: Params | None = None) -> PageRequest[T]:
    """Returns ``ENV``: a paginated envelope of ``model`` items (``Page`` / ``AsyncPage``)."""
    return PageRequest(path, _validator(model), params)


# -- descriptors ------------------------------------------------------------------------------------


class _Descriptor:
    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.__doc__ = fn.__doc__
        self.__wrapped__ = fn

    def _bind(self, obj: Resource[Any]) -> Callable[..., Any]:
        bound = obj._client._bind(functools.partial(self.fn, obj))
        return functools.update_wrapper(bound, self.fn)


class Endpoint(_Descriptor, Generic[P, T]):
    """A resource method: ``T`` on a sync client, ``Awaitable[T]`` on an async one."""

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Endpoint[P, T]: ...
    @overload
    def __get__(self, obj: Resource[Sync], owner: type[Any]) -> Callable[P, T]: ...
    @overload
    def __get__(self, obj: Resource[Async], owner: type[Any]) -> Callable[P, Awaitable[T]]: ...
    def __get__(self, obj: Resource[Any] | None, owner: type[Any]) -> Any:
        return self if obj is None else self._bind(obj)


class PagedEndpoint(_Descriptor, Generic[P, T]):
    """A list method: ``Page[T]`` on a sync client, ``Awaitable[AsyncPage[T]]`` on an async one."""

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> PagedEndpoint[P, T]: ...
    @overload
    def __get__(self, obj: Resource[Sync], owner: type[Any]) -> Callable[P, Page[T]]: ...
    @overload
    def __get__(self, obj: Resource[Async], owner: type[Any]) -> Callable[P, Awaitable[AsyncPage[T]]]: ...
    def __get__(self, obj: Resource[Any] | None, owner: type[Any]) -> Any:
        return self if obj is None else self._bind(obj)


@overload
def endpoint(fn: Callable[Concatenate[Any, P], PageRequest[T]]) -> PagedEndpoint[P, T]: ...
@overload
def endpoint(fn: Callable[Concatenate[Any, P], Request[T]]) -> Endpoint[P, T]: ...
def endpoint(fn: Callable[..., Any]) -> Any:
    """Turn a method returning a request description into a client-mode-aware API method.

    The two descriptor classes differ only in their static types; at run time the client looks at
    the description the method returns (``Request`` or ``PageRequest``).
    """
    return Endpoint(fn)


# -- resources --------------------------------------------------------------------------------------


class Resource(Generic[M]):
    """A namespace hanging off a client (``client.brands``); sub-namespaces are attributes."""

    def __init__(self, client: BaseClient[M, Any]) -> None:
        self._client: BaseClient[M, Any] = client


class Collection(Resource[M], Generic[M, ModelT]):
    """A namespace of ``model`` records at ``path`` (e.g. ``/brands``)."""

    path: ClassVar[str]
    model: type[ModelT]

    def _at(self, *parts: ID) -> str:
        return "/".join([self.path, *(str(p) for p in parts)])


class GetMixin(Collection[M, ModelT]):
    @endpoint
    def get(self, id: ID, params: Params | None = None) -> Request[ModelT]:
        """GET ``{path}/{id}`` → the record."""
        return data("GET", self._at(id), self.model, params=params)


class ListMixin(Collection[M, ModelT]):
    @endpoint
    def list(self, params: Params | None = None) -> PageRequest[ModelT]:
        """GET ``{path}`` → a page of records (iterate it for every page)."""
        return page(self.path, self.model, params)


class CreateMixin(Collection[M, ModelT]):
    @endpoint
    def create(self, body: Body) -> Request[ModelT]:
        """POST ``{path}`` → the created record."""
        return data("POST", self.path, self.model, body=body)


class UpdateMixin(Collection[M, ModelT]):
    @endpoint
    def update(self, id: ID, body: Body) -> Request[ModelT]:
        """PUT ``{path}/{id}`` (partial body) → the updated record."""
        return data("PUT", self._at(id), self.model, body=body)


class DeleteMixin(Collection[M, ModelT]):
    @endpoint
    def delete(self, id: ID) -> Request[None]:
        """DELETE ``{path}/{id}``."""
        return empty("DELETE", self._at(id))


class CRUD(
    GetMixin[M, ModelT],
    ListMixin[M, ModelT],
    CreateMixin[M, ModelT],
    UpdateMixin[M, ModelT],
    DeleteMixin[M, ModelT],
):
    """The standard shape: ``get``, ``list``, ``create``, ``update``, ``delete``."""


# -- nested collections (``/profiles/{parent_id}/addresses/{id}``) ----------------------------------


class NestedCollection(Resource[M], Generic[M, ModelT]):
    """A namespace of ``model`` records under a parent record; ``path`` has one ``{}`` for the parent
    id, e.g. ``/profiles/{}/addresses``."""

    path: ClassVar[str]
    model: type[ModelT]

    def _at(self, parent_id: ID, *parts: ID) -> str:
        return "/".join([self.path.format(parent_id), *(str(p) for p in parts)])


class NestedGetMixin(NestedCollection[M, ModelT]):
    @endpoint
    def get(self, parent_id: ID, id: ID) -> Request[ModelT]:
        return data("GET", self._at(parent_id, id), self.model)


class NestedListMixin(NestedCollection[M, ModelT]):
    @endpoint
    def list(self, parent_id: ID, params: Params | None = None) -> PageRequest[ModelT]:
        """A page of the parent's records (``ENV``)."""
        return page(self._at(parent_id), self.model, params)


class NestedListAllMixin(NestedCollection[M, ModelT]):
    @endpoint
    def list(self, parent_id: ID, params: Params | None = None) -> Request[builtins.list[ModelT]]:
        """All of the parent's records as a plain list (``DATA`` array, not paginated)."""
        return data_list("GET", self._at(parent_id), self.model, params=params)


class NestedCreateMixin(NestedCollection[M, ModelT]):
    @endpoint
    def create(self, parent_id: ID, body: Body) -> Request[ModelT]:
        return data("POST", self._at(parent_id), self.model, body=body)


class NestedUpdateMixin(NestedCollection[M, ModelT]):
    @endpoint
    def update(self, parent_id: ID, id: ID, body: Body) -> Request[ModelT]:
        return data("PUT", self._at(parent_id, id), self.model, body=body)


class NestedDeleteMixin(NestedCollection[M, ModelT]):
    @endpoint
    def delete(self, parent_id: ID, id: ID) -> Request[None]:
        return empty("DELETE", self._at(parent_id, id))


class NestedCRUD(
    NestedGetMixin[M, ModelT],
    NestedListAllMixin[M, ModelT],
    NestedCreateMixin[M, ModelT],
    NestedUpdateMixin[M, ModelT],
    NestedDeleteMixin[M, ModelT],
):
    """``get``, ``list`` (a plain list), ``create``, ``update``, ``delete`` under a parent."""


class NestedSingleton(NestedCollection[M, ModelT]):
    """One record per parent (``/profiles/{}/attributes/comms``): ``get`` and ``update``."""

    @endpoint
    def get(self, parent_id: ID) -> Request[ModelT]:
        return data("GET", self._at(parent_id), self.model)

    @endpoint
    def update(self, parent_id: ID, body: Body) -> Request[ModelT]:
        """PUT a partial body (upsert) → the record."""
        return data("PUT", self._at(parent_id), self.model, body=body)
