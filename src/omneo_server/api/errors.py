"""Every failure leaves in the Omneo shape: ``{"message": ..., "errors": {field: [...]}}``."""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from omneo_server.api.render import JSON
from omneo_server.domain.errors import DomainError

log = logging.getLogger("omneo_server")

_STATUS_MESSAGES = {
    401: "Unauthenticated.",
    404: "Not found.",
    405: "Method not allowed.",
    413: "The request body is too large.",
}


def error(
    status: int, message: str, errors: dict[str, list[str]] | None = None, headers: dict[str, str] | None = None
) -> JSON:
    if status == 401:
        # Exactly what the hosted API answers (and the SDK compares against): no ``errors``.
        headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
        return JSON({"message": message}, status_code=status, headers=headers)
    return JSON({"message": message, "errors": errors or {}}, status_code=status, headers=headers)


class BadBody(HTTPException):
    """A request body that cannot be read (not UTF-8, not JSON, too deep): 400 with ``errors.body``."""

    def __init__(self, reason: str) -> None:
        super().__init__(status_code=400, detail=reason)


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _validation(_request: Request, exc: Exception) -> JSON:
    assert isinstance(exc, RequestValidationError)
    problems = exc.errors()
    if any(p.get("type") == "json_invalid" for p in problems):
        return error(400, "The request body is not valid JSON.", {"body": ["Malformed JSON."]})
    errors: dict[str, list[str]] = {}
    for problem in problems:
        name = _field_name(tuple(problem.get("loc", ())))
        errors.setdefault(name, []).append(readable(problem, name))
    first = next(iter(errors.values()))[0]
    return error(422, first, errors)


#: Laravel's wording for what pydantic reports in its own (``{name}`` and its context fill them).
_MESSAGES = {
    "missing": "The {name} field is required.",
    "string_type": "The {name} must be a string.",
    "int_type": "The {name} must be an integer.",
    "int_parsing": "The {name} must be an integer.",
    "int_from_float": "The {name} must be an integer.",
    "float_type": "The {name} must be a number.",
    "float_parsing": "The {name} must be a number.",
    "decimal_type": "The {name} must be a number.",
    "decimal_parsing": "The {name} must be a number.",
    "finite_number": "The {name} must be a number.",
    "bool_type": "The {name} field must be true or false.",
    "bool_parsing": "The {name} field must be true or false.",
    "list_type": "The {name} must be an array.",
    "dict_type": "The {name} must be an object.",
    "model_type": "The {name} must be an object.",
    "model_attributes_type": "The {name} must be an object.",
    "literal_error": "The selected {name} is invalid.",
    "enum": "The selected {name} is invalid.",
    "string_pattern_mismatch": "The {name} format is invalid.",
    "string_too_short": "The {name} must be at least {min_length} characters.",
    "string_too_long": "The {name} may not be greater than {max_length} characters.",
    "too_short": "The {name} must have at least {min_length} items.",
    "too_long": "The {name} may not have more than {max_length} items.",
    "greater_than": "The {name} must be greater than {gt}.",
    "greater_than_equal": "The {name} must be at least {ge}.",
    "less_than": "The {name} must be less than {lt}.",
    "less_than_equal": "The {name} may not be greater than {le}.",
    "decimal_max_digits": "The {name} may not have more than {max_digits} digits.",
    "decimal_max_places": "The {name} may not have more than {decimal_places} decimal places.",
    "datetime_type": "The {name} is not a valid date.",
    "datetime_parsing": "The {name} is not a valid date.",
    "datetime_from_date_parsing": "The {name} is not a valid date.",
    "date_type": "The {name} is not a valid date.",
    "date_parsing": "The {name} is not a valid date.",
    "date_from_datetime_parsing": "The {name} is not a valid date.",
    "uuid_type": "The {name} must be a valid UUID.",
    "uuid_parsing": "The {name} must be a valid UUID.",
    "url_parsing": "The {name} must be a valid URL.",
    "url_type": "The {name} must be a valid URL.",
}


def readable(problem: Any, name: str) -> str:
    """One validation problem as Omneo (Laravel) words it, never the validation library's own."""
    kind = str(problem.get("type", ""))
    if kind in ("model_type", "model_attributes_type", "dict_type") and name == "body":
        if isinstance(problem.get("input"), bytes | str):  # a body sent as another media type
            return "The request body must be JSON, sent with Content-Type: application/json."
        return "The request body must be a JSON object."
    template = _MESSAGES.get(kind)
    if template is not None:
        try:
            # Laravel words a field as its name with spaces (``transacted_at`` is "transacted at").
            return template.format(name=name.replace("_", " "), **problem.get("ctx", {}))
        except (KeyError, IndexError):
            pass
    message = str(problem.get("msg", "")) or f"The {name} is invalid."
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message


def _domain(_request: Request, exc: Exception) -> JSON:
    assert isinstance(exc, DomainError)
    return domain_error(exc)


def domain_error(exc: DomainError) -> JSON:
    retry_after = getattr(exc, "retry_after", None)  # a 429 says when to come back
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return error(exc.status, exc.message, exc.errors, headers)


def _http(request: Request, exc: Exception) -> JSON:
    assert isinstance(exc, HTTPException)
    if isinstance(exc, BadBody):
        return bad_body(str(exc.detail))
    message = _STATUS_MESSAGES.get(exc.status_code) or str(exc.detail)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(_allowed_methods(request))
    return error(exc.status_code, message, headers=headers)


_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette names only the first route's)."""
    routes: list[BaseRoute] = request.app.router.routes

    def served(method: str) -> bool:
        scope = {**request.scope, "method": method}
        return any(route.matches(scope)[0] == Match.FULL for route in routes)

    return [method for method in _METHODS if served(method)]


def bad_body(reason: str) -> JSON:
    return error(400, reason, {"body": [reason]})


# Unique indexes are the last guard against races the pre-checks cannot see; name the field they
# guard (the message names the index on PostgreSQL and the columns on SQLite).
_UNIQUE_FIELDS = (
    ("mobile_phone", "mobile_phone", "The phone number exists"),
    ("email", "email", "The email has already been taken."),
    ("identifier", "identities", "The identity already belongs to another profile."),
    ("handle", "handle", "The handle has already been taken."),
)


def _integrity(_request: Request, exc: Exception) -> JSON:
    text = str(getattr(exc, "orig", exc))
    log.info("integrity error answered as 422: %s", text)
    for marker, field, message in _UNIQUE_FIELDS:
        if marker in text:
            return error(422, message, {field: [message]})
    message = "The given data conflicts with an existing record."
    return error(422, message, {"body": ["Duplicate or invalid reference."]})


def _data(request: Request, exc: Exception) -> JSON:
    """Last guard for values the database refuses (out of range, too long) that validation let by.
    asyncpg reports those as a plain DBAPIError ("invalid input for query argument")."""
    text = str(getattr(exc, "orig", exc))
    if not isinstance(exc, DataError) and "invalid input for query argument" not in text:
        return _unexpected(request, exc)
    log.info("data error answered as 422: %s", text)
    message = "A value is out of range or too long."
    return error(422, message, {"body": [message]})


def _unexpected(_request: Request, exc: Exception) -> JSON:
    log.exception("unhandled error", exc_info=exc)
    return error(500, "Server error.")


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(DomainError, _domain)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(IntegrityError, _integrity)
    app.add_exception_handler(DBAPIError, _data)
    app.add_exception_handler(Exception, _unexpected)


class RequestGuard:
    """Refuse what no route can serve before any route sees it: NUL characters in the path or
    query (400) and bodies over ``limit`` bytes, whether declared or streamed (413)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"] or b"%00" in scope["query_string"] or b"\x00" in scope["query_string"]:
            await error(400, "Requests may not contain NUL characters.")(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not (declared.isascii() and declared.isdigit()) or int(declared) > self.limit):
            await error(413, _STATUS_MESSAGES[413])(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    # Raised while the route reads its body, so the app's handlers answer it.
                    raise HTTPException(status_code=413)
            return message

        await self.app(scope, limited, send)


class CollapseSlashes:
    """Read ``//`` in a path as ``/`` (``/id/api/v1//profiles/me``: a client joining a base URL that
    ends in a slash to a path that starts with one), so the request reaches the route it means."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and "//" in scope["path"]:
            path = _SLASHES.sub("/", scope["path"])
            raw = scope.get("raw_path")
            scope = {**scope, "path": path, "raw_path": _RAW_SLASHES.sub(b"/", raw) if raw else raw}
        await self.app(scope, receive, send)


_SLASHES = re.compile(r"/{2,}")
_RAW_SLASHES = re.compile(rb"/{2,}")
