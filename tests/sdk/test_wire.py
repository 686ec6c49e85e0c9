"""Query flattening and JSON (de)serialisation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pydantic import BaseModel

from omneo._utils import dumps, flatten_params, loads


def test_flatten_nested_dicts_into_bracket_keys() -> None:
    params = {"filter": {"email": {"eq": "a"}}, "page": {"size": 10}}
    assert flatten_params(params) == {"filter[email][eq]": "a", "page[size]": "10"}


def test_flatten_drops_none_joins_lists_and_encodes_bools() -> None:
    params = {
        "filter": {"tags": {"handle": None}, "id": {"in": [1, 2, 3]}, "active": True, "gone": False},
        "sort": "-created_at",
        "skip": None,
    }
    assert flatten_params(params) == {
        "filter[id][in]": "1,2,3",
        "filter[active]": "1",
        "filter[gone]": "0",
        "sort": "-created_at",
    }


def test_flatten_keeps_bracket_keys_and_stringifies_scalars() -> None:
    params = {"page[number]": 2, "filter[custom_field]": {"ns": {"h": Decimal("1.50")}}}
    assert flatten_params(params) == {"page[number]": "2", "filter[custom_field][ns][h]": "1.50"}
    assert flatten_params({"since": dt.date(2024, 5, 1)}) == {"since": "2024-05-01"}
    assert flatten_params(None) == {}


def test_dumps_writes_decimal_as_exact_json_number() -> None:
    text = dumps({"total": Decimal("19.90"), "tiny": Decimal("0.10000000000000000001"), "n": 3})
    assert text == '{"total":19.90,"tiny":0.10000000000000000001,"n":3}'
    assert loads(text)["tiny"] == Decimal("0.10000000000000000001")


def test_dumps_dates_models_and_nesting() -> None:
    class Body(BaseModel):
        name: str | None = None
        amount: Decimal | None = None
        note: str | None = None

    text = dumps(
        {
            "when": dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
            "day": dt.date(2024, 1, 2),
            "items": [Body(name="x", amount=Decimal("2.5"))],
            "ok": True,
            "none": None,
            "text": 'quo"te',
        }
    )
    assert loads(text) == {
        "when": "2024-01-02T03:04:05+00:00",
        "day": "2024-01-02",
        "items": [{"name": "x", "amount": Decimal("2.5")}],
        "ok": True,
        "none": None,
        "text": 'quo"te',
    }


def test_dumps_rejects_non_finite_and_unknown() -> None:
    with pytest.raises(ValueError):
        dumps({"x": Decimal("NaN")})
    with pytest.raises(TypeError):
        dumps({"x": object()})


def test_loads_parses_fractions_as_decimal() -> None:
    body = loads(b'{"data": {"reward_balance": 10.10, "points": 5, "rate": 1e-2}}')
    assert body["data"]["reward_balance"] == Decimal("10.10")
    assert str(body["data"]["reward_balance"]) == "10.10"
    assert isinstance(body["data"]["points"], int)
    assert body["data"]["rate"] == Decimal("0.01")
