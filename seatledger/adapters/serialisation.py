"""Serialisation at the edge: domain values as JSON documents and CSV rows.

One private cattrs ``Converter`` per format. Dates are ISO ``YYYY-MM-DD``
strings, instants ISO 8601 in UTC with ``Z``, enums their value, add-ons a
sorted list (JSON) or ``;``-joined (CSV). Renames (``first`` -> ``from``,
``rows`` -> ``seats``) live in the hooks here, never in the domain classes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, Final, get_origin

from cattrs import Converter
from cattrs.gen import make_dict_unstructure_fn, override

from seatledger.domain.dates import iso_instant
from seatledger.domain.organisation import Organisation
from seatledger.domain.queries import SeatRow
from seatledger.domain.services.questions import SeatsAnswer
from seatledger.domain.services.seats import HistoryEntry, SeatHistory

# The columns of a seats answer exported as CSV, in order (CLI.md).
CSV_COLUMNS: Final = (
    "seat",
    "holder",
    "kind",
    "activated_on",
    "deactivated_on",
    "paying_org",
    "billed_from",
    "billed_until",
    "addons",
)

# A spreadsheet treats a cell starting with one of these as a formula.
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(text: str) -> str:
    """Prefix ``'`` to text a spreadsheet would run as a formula (CSV injection)."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _is_frozenset(type_: Any) -> bool:
    return type_ is frozenset or get_origin(type_) is frozenset


def _json_converter() -> Converter:
    converter = Converter()
    converter.register_unstructure_hook(datetime, iso_instant)
    converter.register_unstructure_hook(date, date.isoformat)
    converter.register_unstructure_hook_func(_is_frozenset, lambda values: sorted(values))
    converter.register_unstructure_hook(
        Organisation, make_dict_unstructure_fn(Organisation, converter, id=override(rename="org"))
    )
    answer_fields = make_dict_unstructure_fn(
        SeatsAnswer,
        converter,
        first=override(rename="from"),
        last=override(rename="to"),
        rows=override(rename="seats"),
    )

    def answer(value: SeatsAnswer) -> dict[str, Any]:
        raw = answer_fields(value)
        # A day question says "on"; a range question says "from", "to" and "mode".
        asked = ("on",) if value.on is not None else ("from", "to", "mode")
        document = {"org": raw["org"]}
        document.update({key: raw[key] for key in asked})
        document["as_known_at"] = raw["as_known_at"]
        document["count"] = value.count
        document["seats"] = raw["seats"]
        return document

    converter.register_unstructure_hook(SeatsAnswer, answer)

    def entry(value: HistoryEntry) -> dict[str, Any]:
        document: dict[str, Any] = converter.unstructure(value.fact)
        document["superseded_by"] = value.superseded_by
        return document

    converter.register_unstructure_hook(HistoryEntry, entry)

    def history(value: SeatHistory) -> dict[str, Any]:
        return {
            "seat": value.seat,
            "facts": [entry(e) for e in value.entries],
            "active_intervals": converter.unstructure(value.timeline.intervals),
            "payer_intervals": converter.unstructure(value.timeline.owners),
        }

    converter.register_unstructure_hook(SeatHistory, history)
    return converter


def _csv_converter() -> Converter:
    converter = Converter()
    converter.register_unstructure_hook(str, neutralise_formula)
    converter.register_unstructure_hook(datetime, iso_instant)
    converter.register_unstructure_hook(date, date.isoformat)
    converter.register_unstructure_hook_func(
        _is_frozenset, lambda values: neutralise_formula(";".join(sorted(values)))
    )
    return converter


_JSON: Final = _json_converter()
_CSV: Final = _csv_converter()


def to_json(value: object) -> Any:
    """A domain value (or a list of them) as plain JSON-ready data."""
    return _JSON.unstructure(value)


def seats_answer_document(answer: SeatsAnswer) -> dict[str, Any]:
    """The ``seats`` JSON shape of CLI.md: org, on or from/to/mode, as_known_at, count, seats."""
    document: dict[str, Any] = _JSON.unstructure(answer, SeatsAnswer)
    return document


def history_document(history: SeatHistory) -> dict[str, Any]:
    """A seat's facts (with ``superseded_by``), active intervals and payer intervals."""
    document: dict[str, Any] = _JSON.unstructure(history, SeatHistory)
    return document


def csv_row(row: SeatRow) -> dict[str, str]:
    """One seat row as CSV cells, every text cell safe to open in a spreadsheet."""
    raw: dict[str, Any] = _CSV.unstructure(row, SeatRow)
    return {column: "" if raw[column] is None else str(raw[column]) for column in CSV_COLUMNS}


def seat_rows_csv(rows: Iterable[SeatRow]) -> str:
    """Seat rows as CSV text with the header of ``CSV_COLUMNS``."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(csv_row(row))
    return buffer.getvalue()
