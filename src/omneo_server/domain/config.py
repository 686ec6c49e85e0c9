"""Configuration namespaces, each described once: brands, countries, currencies, regions,
statuses, tags, systems and settings."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal

from pydantic import Field as Pyd
from pydantic import ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from omneo_server.db import tables as t
from omneo_server.domain.crud import Resource, render_columns, standard_fields
from omneo_server.domain.errors import Invalid
from omneo_server.domain.inputs import (
    Body,
    Country,
    Handle,
    Iso2,
    Name,
    NumericCode,
    Text,
    as_type,
    kind_of,
    partial,
    slug,
)
from omneo_server.wire import dumps, loads


class BrandIn(Body):
    handle: Handle
    name: Name | None = None
    external_id: Name | None = None
    external_code: Name | None = None
    is_system: bool = False
    description: Text | None = None
    short_description: Text | None = None
    url: Text | None = None
    image_url: Text | None = None
    internal_note: Text | None = None
    meta: Any = None


BrandUpdate = partial(BrandIn)


BRANDS = Resource(
    name="brands",
    event="brand",
    label="Brand",
    table=t.Brand,
    create=BrandIn,
    update=BrandUpdate,
    filters=standard_fields(t.Brand, "id", "handle", "name", "external_id", "external_code", "is_system"),
    sorts=standard_fields(t.Brand, "id", "handle", "name", "created_at", "updated_at"),
    search=(t.Brand.name, t.Brand.handle),
    unique=(("handle",),),
    render=lambda row: {**render_columns(row), "departments": []},
)


class CountryIn(Body):
    """A country of the tenant's. What ISO 3166 knows of an ``iso_2`` (name, alpha-3, numeric code)
    fills what the request leaves out."""

    name: Name | None = None
    iso_2: Iso2
    iso_3: str | None = Pyd(None, pattern=r"^[A-Za-z]{3}$")
    iso_numeric: NumericCode | None = None
    sort_order: int | None = None
    states: list[dict[str, Any]] = []

    @model_validator(mode="after")
    def _from_iso(self) -> CountryIn:
        if type(self) is not CountryIn:  # an update changes what it names, nothing else
            return self
        if self.name is None or self.iso_3 is None or self.iso_numeric is None:
            import pycountry

            known = pycountry.countries.get(alpha_2=self.iso_2)
            if known is None:
                missing = [f for f in ("name", "iso_3", "iso_numeric") if getattr(self, f) is None]
                raise ValueError(f"The {', '.join(missing)} must be given for a country ISO 3166 does not know.")
            self.name = self.name or known.name
            self.iso_3 = self.iso_3 or known.alpha_3
            self.iso_numeric = self.iso_numeric or known.numeric
        return self


CountryUpdate = partial(CountryIn)


COUNTRIES = Resource(
    name="countries",
    event="country",
    label="Country",
    table=t.Country,
    create=CountryIn,
    update=CountryUpdate,
    filters=standard_fields(t.Country, "id", "name", "iso_2", "iso_3", "iso_numeric"),
    sorts=standard_fields(t.Country, "id", "name", "iso_2", "sort_order"),
    search=(t.Country.name,),
    unique=(("iso_2",),),
)


class CurrencyIn(Body):
    from_: str = Pyd(alias="from", pattern=r"^[A-Za-z]{3}$")
    to: str | None = Pyd(None, pattern=r"^[A-Za-z]{3}$")
    rate: Decimal | None = Pyd(None, gt=0, max_digits=18, decimal_places=6)
    is_system: bool = False

    @field_validator("from_", "to")
    @classmethod
    def upper(cls, value: str | None) -> str | None:
        return value.upper() if value else value


CurrencyUpdate = partial(CurrencyIn)


CURRENCIES = Resource(
    name="currencies",
    event="currency",
    label="Currency",
    table=t.Currency,
    create=CurrencyIn,
    update=CurrencyUpdate,
    filters=standard_fields(t.Currency, "id", "from", "to", "is_system"),
    sorts=standard_fields(t.Currency, "id", "from", "to"),
    unique=(("from", "to"),),
)


class RegionCountry(Body):
    iso_2: Country

    @model_validator(mode="before")
    @classmethod
    def _code_alone(cls, value: Any) -> Any:
        return {"iso_2": value} if isinstance(value, str | int) and not isinstance(value, bool) else value


class RegionIn(Body):
    name: Name | None = None
    #: Made from the name when not sent (one of the two is needed).
    handle: Handle = Pyd(None, validate_default=True)
    is_default: bool = False
    countries: list[RegionCountry] = []

    @field_validator("handle", mode="before")
    @classmethod
    def _handle(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None or cls.is_update:
            return value
        name = info.data.get("name")
        if not name or not slug(name):
            raise PydanticCustomError("missing", "The handle field is required.")
        return slug(name)


RegionUpdate = partial(RegionIn)


def render_region(row: t.Region) -> dict[str, Any]:
    out = render_columns(row)
    out["countries"] = [_region_country(code) for code in row.countries or []]
    return out


@lru_cache(maxsize=512)
def _iso_country(code: str) -> tuple[str | None, str | None, str | None]:
    import pycountry  # its tables load on first use

    known = pycountry.countries.get(alpha_2=code)
    return (None, None, None) if known is None else (known.name, known.alpha_3, known.numeric)


def _region_country(code: str) -> dict[str, Any]:
    """A region's country as a Country (what ISO 3166 says of its code; it is not a row of the
    tenant's countries, so it has no id, order, states or timestamps)."""
    name, iso_3, numeric = _iso_country(code)
    return {
        "id": None,
        "name": name,
        "iso_2": code,
        "iso_3": iso_3,
        "iso_numeric": numeric,
        "sort_order": None,
        "states": [],
        "created_at": None,
        "updated_at": None,
    }


def region_countries(data: dict[str, Any], _row: t.Region | None) -> dict[str, Any]:
    if "countries" in data:
        data["countries"] = [c["iso_2"] for c in data["countries"]]
    return data


REGIONS = Resource(
    name="regions",
    event="region",
    label="Region",
    table=t.Region,
    create=RegionIn,
    update=RegionUpdate,
    filters=standard_fields(t.Region, "id", "handle", "name", "is_default"),
    sorts=standard_fields(t.Region, "id", "handle", "name"),
    search=(t.Region.name, t.Region.handle),
    unique=(("handle",),),
    render=render_region,
    prepare=region_countries,
)


class StatusIn(Body):
    name: Name
    handle: Handle
    sort_order: int | None = None
    code: Name | None = None
    colour: Name | None = None
    text_colour: Name | None = None
    icon: Text | None = None
    image_url: Text | None = None
    description: Text | None = None
    short_description: Text | None = None
    long_description: Text | None = None
    terms_conditions: Text | None = None
    earn_instructions: Text | None = None
    internal_notes: Text | None = None
    group_handle: Handle | None = None
    group_name: Name | None = None
    period: int | None = Pyd(None, ge=1)


StatusUpdate = partial(StatusIn)


STATUSES = Resource(
    name="statuses",
    event="status",
    label="Status",
    table=t.Status,
    create=StatusIn,
    update=StatusUpdate,
    filters=standard_fields(t.Status, "id", "handle", "name", "group_handle"),
    sorts=standard_fields(t.Status, "id", "handle", "name", "sort_order"),
    search=(t.Status.name, t.Status.handle),
    unique=(("handle",),),
)


class TagIn(Body):
    # Tags are case-sensitive free strings.
    handle: str = Pyd(min_length=1, max_length=255)


TAGS = Resource(
    name="tags",
    event="tag",
    label="Tag",
    table=t.Tag,
    create=TagIn,
    filters=standard_fields(t.Tag, "id", "handle"),
    sorts=standard_fields(t.Tag, "id", "handle", "created_at"),
    search=(t.Tag.handle,),
    unique=(("handle",),),
)


class SystemIn(Body):
    handle: Handle


SYSTEMS = Resource(
    name="systems",
    event="system",
    label="System",
    table=t.System,
    create=SystemIn,
    filters=standard_fields(t.System, "id", "handle"),
    sorts=standard_fields(t.System, "id", "handle"),
    unique=(("handle",),),
)

SettingType = Literal["string", "boolean", "integer", "float", "json"]


class SettingIn(Body):
    handle: Handle
    #: Read from the value when not sent: ``true`` is a boolean, ``4`` an integer, ``{}`` json…
    type: SettingType = None  # type: ignore[assignment]
    value: Any = None

    @model_validator(mode="after")
    def _typed(self) -> SettingIn:
        if self.type is None:
            self.type = kind_of(self.value)
        return self


class SettingUpdate(Body):
    is_update = True
    type: SettingType | None = None
    value: Any = None


def _setting_value(kind: str, value: Any) -> str | None:
    """Check a setting's value against its type and store it as text."""
    if value is None:
        return None
    try:
        value = as_type(kind, value)
    except ValueError:
        raise Invalid.field("value", f"The value must be of type {kind}.") from None
    if kind == "string":
        return str(value)
    return dumps(value)


def prepare_setting(data: dict[str, Any], row: t.Setting | None) -> dict[str, Any]:
    kind = data.get("type") or (row.type if row is not None else "string")
    if "value" in data or "type" in data:
        value = data["value"] if "value" in data else (setting_value(row) if row is not None else None)
        data["value"] = _setting_value(kind, value)
        data["type"] = kind
    return data


def setting_value(row: t.Setting) -> Any:
    """A setting's value read back as its type."""
    if row.value is None or row.type == "string":
        return row.value
    return loads(row.value)


SETTINGS = Resource(
    name="settings",
    event="setting",
    label="Setting",
    table=t.Setting,
    create=SettingIn,
    update=SettingUpdate,
    filters=standard_fields(t.Setting, "handle", "type"),
    sorts=standard_fields(t.Setting, "handle"),
    unique=(("handle",),),
    key="handle",
    key_kind=str,
    prepare=prepare_setting,
)
