"""Whose money a change of a seat's history touches: the payers of the dates it changes.

A correction, a retraction or a backdated fact can change what a seat meant
on past dates, and so what an organisation was, or will be, invoiced for
them. ``payers_of_changed_dates`` compares the seat's timeline before and
after the change, day by day in effect (stretch by stretch in practice), and
names every organisation that paid, or would pay, on a date whose billing
differs: active or not, payer, add-ons, kind. Each of them must consent
(decision 0028).
"""

from __future__ import annotations

from datetime import date

from seatledger.domain.identifiers import OrgId
from seatledger.domain.timeline import BillingSpan, SeatTimeline

# What a date of a seat bills: its payer, its kind and its add-ons (None: not billed).
_Billing = tuple[OrgId, str, frozenset[str]] | None


def _billing_on(spans: tuple[BillingSpan, ...], day: date) -> _Billing:
    for span in spans:
        if span.covers(day):
            return (span.org, span.seat_kind.value, span.addons)
    return None


def _boundaries(spans: tuple[BillingSpan, ...]) -> set[date]:
    cuts: set[date] = set()
    for span in spans:
        cuts.add(span.start)
        if span.end is not None:
            cuts.add(span.end)
    return cuts


def payers_of_changed_dates(before: SeatTimeline | None, after: SeatTimeline) -> frozenset[OrgId]:
    """Every organisation paying, before or after the change, on a date it bills differently.

    Billing is constant between two consecutive span boundaries of either
    timeline, so comparing it at each boundary compares it on every date.
    """
    old = before.spans() if before is not None else ()
    new = after.spans()
    touched: set[OrgId] = set()
    for day in sorted(_boundaries(old) | _boundaries(new)):
        was, now = _billing_on(old, day), _billing_on(new, day)
        if was == now:
            continue
        touched.update(billing[0] for billing in (was, now) if billing is not None)
    return frozenset(touched)
