"""Load a TOML plan catalog into the domain's ``Catalog``, with errors that name the key.

The file is read with ``tomllib`` and structured with a private cattrs
converter into raw records (unknown keys refused), then turned into domain
types and checked by ``catalog_problems``. Amounts must be strings or whole
numbers: a TOML float is refused because it is not exact.
"""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

import cattrs
from attrs import define, field
from returns.result import Failure, Result, Success

from seatledger.adapters.bounded_files import MIB, UnreadableFile, read_bounded
from seatledger.domain.catalog import (
    Addon,
    Cadence,
    Catalog,
    DiscountCode,
    DiscountDuration,
    DiscountKind,
    Plan,
    UsageKind,
    catalog_problems,
)
from seatledger.domain.errors import InvalidCatalog

SHIPPED = "default.toml"


@define
class _RawPlan:
    name: str
    monthly: Decimal | None = None
    annual: Decimal | None = None
    usage: dict[str, Decimal] = field(factory=dict)


@define
class _RawRate:
    monthly: Decimal | None = None
    annual: Decimal | None = None


@define
class _RawUsage:
    description: str
    unit_price: Decimal


@define
class _RawAddon:
    name: str
    monthly: Decimal | None = None
    annual: Decimal | None = None


@define
class _RawDiscount:
    kind: DiscountKind
    value: Decimal
    duration: DiscountDuration
    periods: int | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    description: str = ""


@define
class _RawCatalog:
    currency: str
    plans: dict[str, _RawPlan]
    student_rate: _RawRate
    vat_percent: Decimal = Decimal("21")
    usage: dict[str, _RawUsage] = field(factory=dict)
    addons: dict[str, _RawAddon] = field(factory=dict)
    discounts: dict[str, _RawDiscount] = field(factory=dict)


# No price or rate needs more than a trillion (13 digits before the point).
MAX_AMOUNT_DIGITS = 12


def _decimal(value: Any, _: type) -> Decimal:
    if isinstance(value, bool | float):
        raise ValueError(f'write amounts as strings such as "39.00", not {value!r}')
    if not isinstance(value, str | int):
        raise ValueError(f'expected an amount such as "39.00", got {value!r}')
    try:
        parsed = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a decimal amount") from None
    if not parsed.is_finite():
        raise ValueError(f"{value!r} is not a finite amount")
    if parsed and parsed.adjusted() > MAX_AMOUNT_DIGITS:
        # 1E+999999999 is finite, but every sum or rounding of it overflows.
        raise ValueError(f"{str(value)[:40]!r} is too large: at most {MAX_AMOUNT_DIGITS} digits")
    return parsed


def _date(value: Any, _: type) -> date:
    if isinstance(value, date):
        return value
    raise ValueError(f"expected a TOML date such as 2025-01-01, got {value!r}")


def _int(value: Any, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected a whole number, got {value!r}")
    return value


def _str(value: Any, _: type) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {value!r}")
    return value


def _explain(exc: BaseException, type_: type | None) -> str:
    """Our own ValueErrors already say what is wrong; keep cattrs' words for the rest."""
    if isinstance(exc, ValueError) and not isinstance(exc, cattrs.BaseValidationError):
        return str(exc)
    if isinstance(exc, KeyError):
        return "required key missing"
    return cattrs.v.format_exception(exc, type_)


_converter = cattrs.Converter(forbid_extra_keys=True)
_converter.register_structure_hook(Decimal, _decimal)
_converter.register_structure_hook(date, _date)
_converter.register_structure_hook(int, _int)
_converter.register_structure_hook(str, _str)


def _prices(monthly: Decimal | None, annual: Decimal | None) -> dict[Cadence, Decimal]:
    prices = {}
    if monthly is not None:
        prices[Cadence.MONTHLY] = monthly
    if annual is not None:
        prices[Cadence.ANNUAL] = annual
    return prices


def _to_domain(raw: _RawCatalog) -> Catalog:
    return Catalog(
        currency=raw.currency.strip().upper(),
        plans={
            pid: Plan(pid, p.name, _prices(p.monthly, p.annual), dict(p.usage))
            for pid, p in raw.plans.items()
        },
        student_rate=_prices(raw.student_rate.monthly, raw.student_rate.annual),
        usage_kinds={k: UsageKind(k, u.description, u.unit_price) for k, u in raw.usage.items()},
        addons={a: Addon(a, r.name, _prices(r.monthly, r.annual)) for a, r in raw.addons.items()},
        discounts={
            code: DiscountCode(
                code,
                d.kind,
                d.value,
                d.duration,
                d.periods,
                d.valid_from,
                d.valid_until,
                d.description,
            )
            for code, d in raw.discounts.items()
        },
        default_vat_percent=raw.vat_percent,
    )


# A catalog is a few kilobytes of TOML with tables two or three levels deep.
MAX_CATALOG_BYTES = MIB
MAX_DEPTH = 16


def _nesting(text: str) -> int:
    """An upper bound of how deeply the TOML nests: brackets and braces (strings included),
    and the dots of a key or table name. Cheap, and enough to refuse a file before the TOML
    parser recurses into it."""
    deepest = depth = 0
    for ch in text:
        if ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth = max(0, depth - 1)
    keys = (
        line.split("=", 1)[0]
        for line in text.splitlines()
        if "=" in line or line.lstrip().startswith("[")
    )
    dotted = max((key.count(".") for key in keys), default=0)
    return max(deepest, dotted + 1)


def parse_catalog(text: str, source: str) -> Result[Catalog, InvalidCatalog]:
    """Parse and check catalog text; every problem names its key."""
    depth = _nesting(text)
    if depth > MAX_DEPTH:
        return Failure(InvalidCatalog(source, (f"nests {depth} levels deep; at most {MAX_DEPTH}",)))
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return Failure(InvalidCatalog(source, (f"not valid TOML: {exc}",)))
    except (ValueError, RecursionError, OverflowError):
        # An integer of thousands of digits (Python's conversion limit), or nesting.
        return Failure(InvalidCatalog(source, ("holds a number or a nesting too large to read",)))
    try:
        raw = _converter.structure(data, _RawCatalog)
    except cattrs.BaseValidationError as exc:
        messages = cattrs.transform_error(exc, path="catalog", format_exception=_explain)
        return Failure(InvalidCatalog(source, tuple(messages)))
    catalog = _to_domain(raw)
    problems = catalog_problems(catalog)
    if problems:
        return Failure(InvalidCatalog(source, tuple(problems)))
    return Success(catalog)


def load_catalog(path: Path | None = None) -> Result[Catalog, InvalidCatalog]:
    """The catalog in ``path``, or the one shipped with seatledger."""
    if path is None:
        text = resources.files(__package__).joinpath(SHIPPED).read_text(encoding="utf-8")
        return parse_catalog(text, f"(shipped) {SHIPPED}")
    try:
        raw = read_bounded(path, MAX_CATALOG_BYTES)
    except UnreadableFile as exc:
        return Failure(InvalidCatalog(str(path), (str(exc),)))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return Failure(InvalidCatalog(str(path), ("is not UTF-8 text",)))
    return parse_catalog(text, str(path))
