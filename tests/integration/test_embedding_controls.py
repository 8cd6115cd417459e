"""The controls through the embedding API on a SQLite file: a refusal raises, a key replays."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

import seatledger


def test_the_api_lists_corrects_and_retracts_usage_changes_addons_and_sets_an_org(
    tmp_path: Path,
) -> None:
    with seatledger.connect(str(tmp_path / "seats.db"), today=date(2025, 9, 1), actor="lms") as led:
        led.add_organisation("acme", "Acme Care")
        led.activate("l-1", "acme", addons=["library"])
        first = led.with_today("2025-09-10").record_usage("acme", "new-dossier", quantity=3)
        later = led.with_today("2025-10-05")
        fixed = later.correct_usage(first.seq, quantity=2, reason="typo", idempotency_key="k-1")
        assert (
            later.correct_usage(first.seq, quantity=2, reason="typo", idempotency_key="k-1")
            == fixed
        )
        with pytest.raises(seatledger.LedgerRefused) as refused:
            later.retract_usage(first.seq, reason="again")
        assert refused.value.code == "usage-not-correctable"
        listing = later.list_usage("acme", first="2025-09-01", last="2025-09-30")
        assert [(e.record.seq, e.status) for e in listing.entries] == [
            (first.seq, "corrected"),
            (fixed.record.seq, "in force"),
        ]
        later.retract_usage(fixed.record.seq, reason="never happened")
        assert later.list_usage("acme").entries[-1].status == "retracted"
        later.remove_addon("l-1", "library", on=date(2025, 9, 20), reason="cancelled")
        assert later.seats_on("acme", "2025-09-30").rows[0].addons == frozenset()
        later.add_addon("l-1", "library")
        assert later.seats_on("acme", "2025-10-05").rows[0].addons == frozenset({"library"})
        changed = later.set_organisation(
            "acme", timezone="America/Chicago", timezone_from="2025-11-01", name="Acme"
        )
        assert later.organisation("acme") == changed
        assert changed.zone_on(date(2025, 11, 1)) == "America/Chicago"
