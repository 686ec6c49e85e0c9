"""Fuzzing the admin API: no request of any shape may produce a 500.

* Every operation in the OpenAPI document the served app publishes (``/api/v3/openapi.json``) is
  driven with schemathesis-generated requests: valid ones, and for operations with a body invalid
  ones too. Hooks swap half the generated path parameters for ids and handles that exist, so
  requests get past the 404s into the handlers, and push the integers in half the bodies to the
  32/64-bit edges.
* Every operation with a body also gets bodies that are not JSON, or not the JSON it expects.
* The list conventions the document does not declare (``filter[...]``, ``sort``, ``page[...]``)
  are fuzzed on ``/profiles`` and ``/brands`` with Hypothesis.

Every answer must be below 500, and every 4xx must be ``{"message": str, "errors": {...}}``. A
failure shows the request (as curl) and what the server logged (its frames and the exception).

Bounded so the file runs in under a minute on two cores: a few examples per operation and a time
budget over all of them (see below), derandomized so every run sends the same requests (or, when
short of time, the same first ones), no example database and no shrinking, so a failing run takes
no longer than a passing one. Each test uses its own tenant; the operations are subtests, so each
failing operation is reported on its own.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import traceback
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.schemas import APIOperation, BaseSchema

from omneo_server.domain.config import BRANDS
from omneo_server.domain.profiles.commands import FILTERS as PROFILE_FILTERS
from omneo_server.domain.profiles.commands import SORTS as PROFILE_SORTS
from omneo_server.domain.query import OPERATORS
from tests.conftest import Server, TenantInfo
from tests.server.api import Api

#: Requests generated per operation: valid ones for an operation without a body (its only inputs are
#: free-string path parameters, so there are no invalid ones); valid and invalid ones, mixed, for an
#: operation with a body. A request costs ~40-100 ms here, generation included.
#: ``OMNEO_FUZZ_SCALE=10`` multiplies these and the time budgets below, for a deeper run by hand.
SCALE = float(os.environ.get("OMNEO_FUZZ_SCALE", "1"))
PATH_ONLY_EXAMPLES = round(4 * SCALE)
BODY_EXAMPLES = round(10 * SCALE)
#: Wall-clock seconds for all of those together. Each operation gets an equal share of what is left;
#: one that spends its share stops after the request it is on (each sends at least one), and the test
#: warns how many did. So slow requests, or an API grown past this budget, cost coverage (a warning),
#: not the minute.
GENERATED_SECONDS = 40.0 * SCALE
#: Query strings generated per list endpoint and convention (filter, sort, page, a mix).
QUERY_EXAMPLES = round(40 * SCALE)
BOUNDED = settings(
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


# --- the two rules -------------------------------------------------------------------------------


class _ServerLog(logging.Handler):
    """What the server logs at ERROR (its "unhandled error" tracebacks), to put in failures."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def since(self, mark: int) -> str:
        """The records after ``mark``: the server's own frames and the exception, once per error
        (the app and uvicorn both log the same one)."""
        out: list[str] = []
        for record in self.records[mark:]:
            lines = [f"{record.name}: {record.getMessage()}"]
            if record.exc_info and record.exc_info[1] is not None:
                _type, exc, tb = record.exc_info
                lines = [
                    f"  {frame.filename}:{frame.lineno} in {frame.name}: {frame.line}"
                    for frame in traceback.extract_tb(tb)
                    if "omneo_server" in frame.filename
                ]
                lines.extend(line.rstrip() for line in traceback.format_exception_only(exc))
            text = "\n".join(lines)
            if text not in out:
                out.append(text)
        return "\n".join(out)


@pytest.fixture
def server_log() -> Iterator[_ServerLog]:
    handler = _ServerLog()
    loggers = [logging.getLogger(name) for name in ("omneo_server", "uvicorn.error")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler
    for logger in loggers:
        logger.removeHandler(handler)


def _check(status: int, body: bytes, request: str | Callable[[], str], log: str) -> None:
    """Below 500, and every 4xx in the Omneo error shape; ``request`` describes what was sent."""
    if status < 400:
        return

    def where() -> str:
        return f"{request if isinstance(request, str) else request()}\n-> {status} {body[:1000]!r}"

    assert status < 500, f"server error:\n{where()}\n{log}"
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    assert isinstance(payload, dict), f"4xx body is not a JSON object:\n{where()}"
    assert isinstance(payload.get("message"), str), f"4xx body has no string message:\n{where()}"
    if status == 401:  # exactly the hosted API's answer, which has no errors object
        assert payload == {"message": "Unauthenticated."}, f"401 body is not the hosted one:\n{where()}"
        return
    assert isinstance(payload.get("errors"), dict), f"4xx body has no errors object:\n{where()}"


def _client(base_url: str, tenant: TenantInfo) -> httpx.Client:
    """A client for the tenant's admin that does not keep connections: the server drops the one a
    500 went out on, and a request sent on it would fail for the wrong reason."""
    return httpx.Client(
        base_url=base_url,
        headers={"Authorization": f"Bearer {tenant.token}"},
        timeout=30,
        trust_env=False,
        limits=httpx.Limits(max_keepalive_connections=0),
    )


# --- records that exist, so generated requests can name them -------------------------------------


@dataclass
class Seed:
    """The tenant's real ids and handles, by the path parameter that names them and the part of
    the path they belong to (``{key}`` is a brand's id under ``/brands/``, a setting's handle
    under ``/settings/``...)."""

    api: Api
    tenant_id: int
    config: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    profile: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    region_id: int = 0
    stale: bool = False

    def plant(self) -> None:
        api = self.api

        def made(path: str, body: dict[str, Any]) -> str:
            return str(api.ok("POST", path, json=body)["id"])

        region = made("/regions", {"handle": "apac", "name": "APAC"})
        status = made("/statuses", {"handle": "gold", "name": "Gold"})
        api.ok("POST", "/settings", json={"handle": "fuzz_flag", "type": "boolean", "value": True})
        api.ok("POST", "/tenants/custom-fields", json={"namespace": "fz", "handle": "level", "type": "integer"})
        self.region_id = int(region)
        self.config = {
            "key": [
                ("/brands/", made("/brands", {"handle": "acme", "name": "Acme"})),
                ("/tags/", made("/tags", {"handle": "vip"})),
                ("/statuses/", status),
                ("/regions/", region),
                ("/systems/", made("/systems", {"handle": "pos"})),
                ("/countries/", made("/countries", {"name": "F", "iso_2": "FZ", "iso_3": "FZZ", "iso_numeric": "999"})),
                ("/currencies/", made("/currencies", {"from": "FZD", "to": "AUD", "rate": 2})),
                ("/settings/", "fuzz_flag"),
                ("/tenants/custom-fields/", "fz:level"),
                ("/custom-fields/", "fz:colour"),
                ("/attributes/custom/", "fz:colour"),
                ("/identities/", "shopify"),
            ],
            "handle": [("/statuses/", "gold"), ("/tags/", "vip")],
            "model": [("", "profile"), ("", "address"), ("", "status"), ("", "tenant")],
            "owner_id": [("", status), ("", str(self.tenant_id))],
        }
        self.plant_profile()

    def plant_profile(self) -> None:
        """A profile with something in each of its sub-resources (and a second one to merge). It is
        replanted mid-run, when the fuzzing may have removed the configuration it refers to, so
        only the profiles themselves must be created."""
        api = self.api
        tag = uuid.uuid4().hex[:8]
        body = {"email": f"fuzz-{tag}@example.com", "first_name": "Fuzz", "last_name": "Seed"}
        pid = api.ok("POST", "/profiles", json=body)["id"]
        other = api.ok("POST", "/profiles", json={"email": f"fuzz-{tag}-2@example.com"})["id"]

        def part(method: str, path: str, json: dict[str, Any]) -> Any:
            response = api.request(method, f"/profiles/{pid}{path}", json=json)
            return response.json().get("data") if response.status_code < 300 else None

        identity = part("POST", "/identities", {"handle": "shopify", "identifier": f"fz-{tag}"})
        address = part(
            "POST",
            "/addresses",
            {"address_line_1": "1 Fuzz St", "city": "Melbourne", "postcode": "3000", "country": "AU"},
        )
        part("POST", "/attributes/custom", {"namespace": "fz", "handle": "colour", "type": "string", "value": "red"})
        part("POST", "/tags", {"tags": ["vip"]})
        part("POST", "/statuses", {"statuses": ["gold"]})
        link = part("POST", "/regions", {"region_id": self.region_id})
        date = part("PUT", "/attributes/dates", {"handle": "birthday", "date": "1990-01-02"})
        links = api.ok("GET", f"/profiles/{pid}/regions") if link is not None else []

        def ids(scope: str, *records: Any) -> list[tuple[str, str]]:
            return [(scope, str(r["id"])) for r in records if isinstance(r, dict) and "id" in r]

        self.profile = {
            "profile_id": [("", pid), ("/merge", other)],
            "key": ids("/identities/id/", identity),
            "address_id": ids("", address),
            "date_id": ids("", date),
            "link_id": ids("", *links),
            "owner_id": [("", pid), *ids("", address)],
            "identifier": [("", f"fz-{tag}")],
        }
        self.stale = False

    def known(self, name: str, path: str = "") -> list[str]:
        """Known values for the parameter ``name``: first those that belong to ``path`` (the most
        specific first), then the rest."""
        pairs = [*self.profile.get(name, []), *self.config.get(name, [])]
        ordered = sorted(pairs, key=lambda pair: (pair[0] not in path, -len(pair[0])))
        return list(dict.fromkeys(value for _scope, value in ordered))

    def reachable(self, path: str, generated: Any) -> st.SearchStrategy[Any]:
        """Each generated path parameter, or (as likely, and first) one of the known values for it."""
        if not isinstance(generated, dict):
            return st.just(generated)
        choices = {}
        for name, value in generated.items():
            known = self.known(name, path)
            choices[name] = st.one_of(st.sampled_from(known), st.just(value)) if known else st.just(value)
        return st.fixed_dictionaries(choices)

    def after(self, case: schemathesis.Case, status: int) -> None:
        """Note when a request removed the seeded profile: it is replanted before the next operation."""
        removes = case.path.endswith(("/profiles/{profile_id}", "/purge", "/depersonalise"))
        if removes and case.method.upper() in ("DELETE", "POST") and status < 300:
            seeded = self.known("profile_id")
            self.stale = self.stale or (case.path_parameters or {}).get("profile_id") in seeded

    def refresh(self) -> None:
        if self.stale:
            self.plant_profile()


@pytest.fixture
def seed(tenant: TenantInfo) -> Seed:
    value = Seed(Api(tenant), tenant.id)
    value.plant()
    return value


# --- every documented operation, with generated requests -----------------------------------------


#: Integers past the 32- and 64-bit edges, which columns and drivers refuse. The first one tried is
#: the first the database refuses: SQLite's integers are 64-bit, PostgreSQL's INTEGER columns 32.
_EDGE_INTEGERS = {"sqlite": [2**63, 2**31, -(2**63) - 1, 10**30], "postgresql": [2**31, 2**63, -(2**31) - 1, 10**30]}


def _unbounded_integers(document: dict[str, Any], operation: APIOperation) -> list[str]:
    """The top-level properties of the operation's JSON body that take an integer with no maximum
    (optional ones included): the ones whose range only the database checks."""
    request = document["paths"][operation.path][operation.method.lower()].get("requestBody", {})
    body = request.get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" in body:
        body = document["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
    fields = []
    for name, spec in body.get("properties", {}).items():
        for alternative in [spec, *spec.get("anyOf", [])]:
            if alternative.get("type") == "integer" and not {"maximum", "exclusiveMaximum"} & set(alternative):
                fields.append(name)
                break
    return fields


def _with_edge_integers(body: Any, fields: list[str], edge_integers: list[int]) -> st.SearchStrategy[Any]:
    """The generated body with its unbounded integer properties (``fields``, added if left out) at one
    of the edges; or with every integer anywhere in it at an edge; or as generated."""

    def everywhere(value: Any, edge: int) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return edge
        if isinstance(value, dict):
            return {k: everywhere(v, edge) for k, v in value.items()}
        if isinstance(value, list):
            return [everywhere(v, edge) for v in value]
        return value

    edges = st.sampled_from(edge_integers)
    alternatives = [edges.map(lambda edge: everywhere(body, edge)), st.just(body)]
    if fields and isinstance(body, dict):
        alternatives.insert(0, edges.map(lambda edge: {**body, **dict.fromkeys(fields, edge)}))
    # Hypothesis starts from the first alternative: the edges are tried from the first request on.
    return st.one_of(alternatives)


def _load(server: Server, tenant: TenantInfo, seed: Seed | None = None) -> tuple[BaseSchema, list[APIOperation]]:
    """The document the served app publishes; with ``seed``, hooks that point path parameters at its
    records and push body integers to the edges."""
    schema = schemathesis.openapi.from_url(f"{server.api_url}/openapi.json")
    schema.config.update(base_url=server.url, headers={"Authorization": f"Bearer {tenant.token}"})
    if seed is not None:
        edge_integers = _EDGE_INTEGERS["sqlite" if server.db.is_sqlite else "postgresql"]

        @schema.hook
        def flatmap_path_parameters(context: schemathesis.HookContext, path_parameters: Any) -> st.SearchStrategy[Any]:
            assert context.operation is not None
            return seed.reachable(context.operation.path, path_parameters)

        @schema.hook
        def flatmap_body(context: schemathesis.HookContext, body: Any) -> st.SearchStrategy[Any]:
            assert context.operation is not None
            fields = _unbounded_integers(schema.raw_schema, context.operation)
            return _with_edge_integers(body, fields, edge_integers)

    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 100, "the document lost its operations"
    return schema, operations


@dataclass
class _Budget:
    """Time shares for the operations of the generated-requests test; it notes the ones cut short."""

    seconds: float
    operations: int
    started: float = field(default_factory=time.monotonic)
    done: int = 0
    cut: list[str] = field(default_factory=list)
    sent: int = 0

    def share(self) -> float:
        left = self.seconds - (time.monotonic() - self.started)
        self.done += 1
        return max(left / (self.operations - self.done + 1), 0.0)


class _OutOfTime(Exception):
    """Ends an operation's run that has spent its share (Hypothesis stops at the first exception)."""


def _cases(schema: BaseSchema, operation: APIOperation) -> st.SearchStrategy[schemathesis.Case]:
    """Valid requests; and invalid ones too when there is a body to get wrong."""
    valid = operation.as_strategy(GenerationMode.POSITIVE, hooks=schema.hooks)
    if not operation.body:
        return valid
    return st.one_of(valid, operation.as_strategy(GenerationMode.NEGATIVE, hooks=schema.hooks))


def _fuzz(
    schema: BaseSchema,
    operation: APIOperation,
    budget: _Budget,
    http: requests.Session,
    seed: Seed,
    server_log: _ServerLog,
) -> None:
    """Generated requests to ``operation``: its examples, or as many as fit in its share of the budget."""
    examples = BODY_EXAMPLES if operation.body else PATH_ONLY_EXAMPLES
    deadline = time.monotonic() + budget.share()
    sent = 0
    failed = False

    @settings(BOUNDED, max_examples=examples)
    @given(case=_cases(schema, operation))
    def fuzz(case: schemathesis.Case) -> None:
        nonlocal sent, failed
        # Once a request failed, Hypothesis replays it to report it: that must not be cut short.
        if sent and not failed and time.monotonic() > deadline:
            raise _OutOfTime
        sent += 1
        try:
            mark = len(server_log.records)
            response = case.call(session=http, timeout=30)
            seed.after(case, response.status_code)
            _check(response.status_code, response.content, case.as_curl_command, server_log.since(mark))
        except Exception:
            failed = True
            raise

    try:
        fuzz()
    except _OutOfTime:
        budget.cut.append(f"{operation.label}: {sent} of {examples}")
    finally:
        budget.sent += sent


def test_no_generated_request_is_a_server_error(
    server: Server, tenant: TenantInfo, seed: Seed, server_log: _ServerLog, subtests: pytest.Subtests
) -> None:
    schema, operations = _load(server, tenant, seed)
    budget = _Budget(GENERATED_SECONDS, len(operations))
    with requests.Session() as http:
        http.trust_env = False
        for operation in operations:
            with subtests.test(operation.label):
                seed.refresh()
                _fuzz(schema, operation, budget, http, seed, server_log)
    if budget.cut:
        warnings.warn(
            f"{len(budget.cut)} of {len(operations)} operations spent their time share before their "
            f"examples ({budget.sent} requests sent in all): " + "; ".join(budget.cut),
            UserWarning,
            stacklevel=1,
        )


# --- bodies that are not JSON, or not the JSON expected ------------------------------------------

RAW_BODIES: list[tuple[str, bytes]] = [
    ("application/json", b""),
    ("application/json", b'{"handle": "a",'),
    ("application/json", b"\xff\xfe\x00"),
    ("application/json", b"[]"),
    ("application/json", b"[" * 5000 + b"]" * 5000),
    ("application/json", b'{"handle": NaN, "id": 1e999, "\\ud800": "\\udfff"}'),
    ("application/x-www-form-urlencoded", b"handle=a&email=a%40example.com"),
]


def test_no_raw_body_is_a_server_error(
    server: Server, tenant: TenantInfo, server_log: _ServerLog, subtests: pytest.Subtests
) -> None:
    profile = Api(tenant).ok("POST", "/profiles", json={"email": "raw@example.com"})["id"]
    _schema, operations = _load(server, tenant)
    with _client(server.url, tenant) as client:
        for operation in operations:
            if not operation.body:
                continue
            method, path = operation.method.upper(), operation.path.replace("{profile_id}", profile)
            path = re.sub(r"\{[^}]+\}", "1", path)
            with subtests.test(operation.label):
                for content_type, content in RAW_BODIES:
                    mark = len(server_log.records)
                    response = client.request(method, path, content=content, headers={"content-type": content_type})
                    _check(
                        response.status_code,
                        response.content,
                        f"{method} {path} [{content_type}] {content[:80]!r}",
                        server_log.since(mark),
                    )


# --- the list query conventions the document does not declare ------------------------------------

_text = st.text(st.characters(codec="utf-8"), max_size=12)
#: Numbers as text that trip parsers and databases: non-ASCII digits, 32/64-bit edges and past them.
_EDGE_NUMBERS = ["0", "-1", "1e309", "٣", "²", " 1", "1_000", "0x10", str(2**31), str(2**63), "9" * 40]
_numbers = st.one_of(
    st.sampled_from(_EDGE_NUMBERS),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)
_dates = st.one_of(
    st.datetimes().map(lambda d: d.isoformat()),
    st.dates().map(str),
    st.sampled_from(["2024-13-45", "0000-00-00T00:00:00Z", "2024-01-01T00:00:00+99:00", "99999-01-01"]),
)
_values = st.one_of(_text, _numbers, _dates, st.sampled_from(["true", "false", "null", "", ",", "a,,b", "\x00"]))


def _queries(fields: list[str], sorts: list[str]) -> dict[str, st.SearchStrategy[list[tuple[str, str]]]]:
    """Query strings by convention (so a failure in one does not hide the others), with the field
    names the endpoint knows and arbitrary ones, and a mix of everything."""
    name = st.one_of(st.sampled_from(fields), _text).map(lambda n: "][".join(n.split(".")))
    op = st.one_of(st.sampled_from([*OPERATORS, "like", ""]), _text)
    filter_key = st.one_of(
        name.map(lambda n: f"filter[{n}]"),
        st.tuples(name, op).map(lambda p: f"filter[{p[0]}][{p[1]}]"),
        st.just("filter[search]"),
        st.tuples(_text, _text).map(lambda p: f"filter[custom_field][{p[0]}][{p[1]}]"),
        _text.map(lambda n: f"filter{n}"),
    )
    sort_value = st.lists(
        st.tuples(st.sampled_from(["", "-", "+", "--"]), st.one_of(st.sampled_from(sorts), _text)).map("".join),
        max_size=4,
    ).map(",".join)
    page_key = st.sampled_from(
        ["page[number]", "page[size]", "page", "per_page", "limit", "offset", "page[]", "page[x]"]
    )
    families = {
        "filter": st.tuples(filter_key, _values),
        "sort": st.tuples(st.sampled_from(["sort", "sort[]"]), st.one_of(sort_value, _text)),
        "page": st.tuples(page_key, st.one_of(_numbers, _text)),
    }
    other = st.tuples(st.one_of(st.sampled_from(["search", "filter", "identity[handle]", "include"]), _text), _values)
    queries = {family: st.lists(pair, min_size=1, max_size=4) for family, pair in families.items()}
    queries["mixed"] = st.lists(st.one_of(*families.values(), other), max_size=6)
    return queries


#: Always sent first (Hypothesis's explicit phase), whatever the generated ones turn out to be.
EXPLICIT_QUERIES: dict[str, list[list[tuple[str, str]]]] = {
    "filter": [[("filter[id]", "9" * 40)], [("filter[created_at][gte]", "2024-13-45")], [("filter[id][in]", ",²,")]],
    "sort": [[("sort", "-nope,,+id")]],
    "page": [
        [("offset", "²")],
        [("page", "9" * 40)],
        [("page[number]", str(2**62)), ("page[size]", "100")],
        [("page[size]", "٣")],
    ],
    "mixed": [],
}

LIST_QUERIES = {
    "/profiles": _queries(list(PROFILE_FILTERS), list(PROFILE_SORTS)),
    "/brands": _queries(list(BRANDS.filters), list(BRANDS.sorts)),
}


@pytest.mark.parametrize(
    ("path", "family"), [(path, family) for path, queries in LIST_QUERIES.items() for family in queries]
)
def test_no_list_query_is_a_server_error(path: str, family: str, tenant: TenantInfo, server_log: _ServerLog) -> None:
    api = Api(tenant)
    api.ok("POST", "/profiles", json={"email": "list@example.com", "first_name": "List"})
    api.ok("POST", "/brands", json={"handle": "acme", "name": "Acme"})
    with _client(tenant.server.api_url, tenant) as client:

        @settings(BOUNDED, max_examples=QUERY_EXAMPLES)
        @given(params=LIST_QUERIES[path][family])
        def fuzz(params: list[tuple[str, str]]) -> None:
            mark = len(server_log.records)
            response = client.get(path, params=params)
            _check(
                response.status_code,
                response.content,
                lambda: f"GET {response.url}\n{params!r}",
                server_log.since(mark),
            )

        for params in EXPLICIT_QUERIES[family]:
            fuzz = example(params=params)(fuzz)
        fuzz()
