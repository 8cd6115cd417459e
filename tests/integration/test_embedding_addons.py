"""The embedding API checks add-ons against the catalog, as the command line does.

``activate``, ``reactivate`` and ``import_seats`` refuse an add-on the
catalog does not sell (``unknown-addon``; ``import-rejected`` naming the row
for an import) and write nothing, on a real SQLite file.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

import seatledger
from seatledger import Ledger, LedgerRefused, NewSeat

TODAY = date(2026, 10, 1)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with seatledger.connect(str(tmp_path / "ledger.db"), today=TODAY, actor="lms") as opened:
        opened.add_organisation("acme", "Acme Care")
        yield opened


def test_activate_refuses_an_add_on_the_catalog_does_not_sell(ledger: Ledger) -> None:
    trail = ledger.audit(org="acme")
    with pytest.raises(LedgerRefused) as refused:
        ledger.activate("s-1", "acme", addons=["library", "libary"])
    assert refused.value.code == "unknown-addon"
    assert refused.value.message == "unknown add-on 'libary': the catalog has: library"
    with pytest.raises(LedgerRefused) as unknown:
        ledger.history("s-1")
    assert unknown.value.code == "unknown-seat"
    assert ledger.audit(org="acme") == trail
    fact = ledger.activate("s-1", "acme", addons=["Library"])
    assert fact.addons == frozenset({"library"})


def test_a_refused_keyed_activation_keeps_no_key(ledger: Ledger) -> None:
    with pytest.raises(LedgerRefused):
        ledger.activate("s-1", "acme", addons=["libary"], idempotency_key="sync-1")
    fact = ledger.activate("s-1", "acme", addons=["library"], idempotency_key="sync-1")
    assert fact.addons == frozenset({"library"})


def test_reactivate_refuses_an_unknown_add_on_and_keeps_the_seat_closed(ledger: Ledger) -> None:
    ledger.activate("s-1", "acme", on=date(2026, 9, 1), reason="late", addons=["library"])
    ledger.deactivate("s-1", on=date(2026, 9, 20), reason="paused")
    with pytest.raises(LedgerRefused) as refused:
        ledger.reactivate("s-1", addons=["exam"])
    assert refused.value.code == "unknown-addon"
    assert refused.value.message == "unknown add-on 'exam': the catalog has: library"
    assert len(ledger.history("s-1").entries) == 2
    assert ledger.reactivate("s-1").addons == frozenset({"library"})


def test_import_names_each_row_with_an_unknown_add_on_and_imports_nothing(
    ledger: Ledger,
) -> None:
    rows = [
        NewSeat("s-1", "acme", date(2026, 9, 1), addons=("library",)),
        NewSeat("s-2", "acme", date(2026, 9, 1), addons=("libary",)),
        NewSeat("s-3", "acme", date(2026, 9, 1)),
    ]
    with pytest.raises(LedgerRefused) as refused:
        ledger.import_seats(rows, source="host-sync")
    assert refused.value.code == "import-rejected"
    assert (
        "line 2, column addons: unknown add-on 'libary': the catalog has: library"
        in refused.value.message
    )
    assert "1 problem(s)" in refused.value.message
    assert ledger.count_on("acme", TODAY) == 0
    rows[1] = NewSeat("s-2", "acme", date(2026, 9, 1), addons=("library",))
    assert ledger.import_seats(rows, source="host-sync").seats == 3
    assert [r.addons for r in ledger.seats_on("acme", TODAY).rows] == [
        frozenset({"library"}), frozenset({"library"}), frozenset(),
    ]  # fmt: skip


def test_an_own_catalog_decides_which_add_ons_exist(tmp_path: Path) -> None:
    from seatledger.adapters.catalog import loader

    shipped = (Path(loader.__file__).parent / loader.SHIPPED).read_text(encoding="utf-8")
    own = tmp_path / "own.toml"
    own.write_text(
        shipped + '\n[addons.exam-room]\nname = "Exam room"\nmonthly = "2.00"\nannual = "20.00"\n',
        encoding="utf-8",
    )
    with seatledger.connect(str(tmp_path / "own.db"), today=TODAY, catalog=own) as ledger:
        ledger.add_organisation("acme", "Acme Care")
        with pytest.raises(LedgerRefused) as refused:
            ledger.activate("s-1", "acme", addons=["exam"])
        assert refused.value.message == "unknown add-on 'exam': the catalog has: exam-room, library"
        assert ledger.activate("s-1", "acme", addons=["exam-room"]).addons == {"exam-room"}
