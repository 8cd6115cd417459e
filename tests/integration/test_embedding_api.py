"""The embedding API as a host uses it: connect, the use cases, refusals, actors, threads."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

import seatledger
from seatledger import Ledger, LedgerRefused, NewSeat, RangeMode

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 10, 1)
PIN = "582046"


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "ledger.db")


@pytest.fixture
def ledger(db: str) -> Iterator[Ledger]:
    with seatledger.connect(db, today=TODAY, actor="lms") as opened:
        opened.add_organisation("acme", "Acme Care")
        opened.add_organisation("beta", "Beta Zorg")
        yield opened


def test_import_seatledger_is_cheap_and_exports_the_api() -> None:
    code = (
        "import sys, seatledger\n"
        "assert 'sqlalchemy' not in sys.modules, 'sqlalchemy imported eagerly'\n"
        "assert 'seatledger.entrypoints.api' not in sys.modules\n"
        "print(seatledger.connect.__name__, seatledger.LedgerRefused.__name__)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["connect", "LedgerRefused"]
    assert seatledger.__version__
    assert {"connect", "in_memory", "Ledger", "LedgerRefused"} <= set(dir(seatledger))


def test_the_quickstart_example_runs(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "embed_quickstart.py")],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.stdout.splitlines() == [
        "billable on 2026-09-30: seat-1, seat-2",
        "invoice INV-2026-09-acme: total 94.38 EUR",
        "verified: True",
    ]
    assert list(tmp_path.iterdir()) == []  # it leaves nothing behind


def test_connect_creates_a_fresh_database_and_reopens_it(db: str) -> None:
    with seatledger.connect(db, today=TODAY) as first:
        assert first.created
        first.add_organisation("acme", "Acme Care")
        first.activate("s-1", "acme", holder="Ada")
    with seatledger.connect(db, today=TODAY) as again:
        assert not again.created
        assert again.count_on("acme", TODAY) == 1
        assert [o.id for o in again.organisations()] == ["acme"]


def test_connect_without_create_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(LedgerRefused) as refused:
        seatledger.connect(str(tmp_path / "missing.db"), create=False)
    assert refused.value.code == "database-not-initialised"
    assert not (tmp_path / "missing.db").exists()


def test_a_closed_ledger_refuses_further_calls(db: str) -> None:
    ledger = seatledger.connect(db, today=TODAY)
    ledger.close()
    ledger.close()  # closing twice is harmless
    with pytest.raises(RuntimeError, match="closed"):
        ledger.organisations()


def test_a_refusal_raises_ledger_refused_with_the_error_value_and_changes_nothing(
    ledger: Ledger,
) -> None:
    ledger.activate("s-1", "acme")
    with pytest.raises(LedgerRefused) as refused:
        ledger.activate("s-1", "acme")
    assert refused.value.code == "seat-exists"
    assert isinstance(refused.value.error, seatledger.LedgerError)
    assert "s-1" in refused.value.message
    assert str(refused.value) == refused.value.message
    assert len(ledger.history("s-1").entries) == 1

    with pytest.raises(LedgerRefused) as backdated:
        ledger.deactivate("s-1", on=date(2026, 9, 1))
    assert backdated.value.code == "backdated-without-reason"
    with pytest.raises(LedgerRefused) as unknown:
        ledger.seats_on("nobody", TODAY)
    assert unknown.value.code == "unknown-organisation"


def test_plain_values_are_checked_at_the_edge(ledger: Ledger) -> None:
    with pytest.raises(TypeError, match="not a datetime"):
        ledger.seats_on("acme", datetime(2026, 9, 30, 12, 0))
    with pytest.raises(LedgerRefused) as bad_date:
        ledger.seats_on("acme", "30-09-2026")
    assert bad_date.value.code == "invalid-date"
    with pytest.raises(TypeError, match="float"):
        ledger.set_contract("acme", plan="standard", licensed=10, overage_price=12.5)  # type: ignore[arg-type]
    assert ledger.seats_on("acme", "2026-09-30").count == 0


def test_the_actor_is_recorded_on_every_fact_and_shown_in_history(
    ledger: Ledger,
) -> None:
    ledger.activate("s-1", "acme", on=date(2026, 9, 1), reason="late report")
    ledger.deactivate("s-1", actor="grace@acme")
    ledger.with_actor("alan@acme").reactivate("s-1")
    entries = ledger.history("s-1").entries
    assert [(e.fact.kind.value, e.fact.actor, e.fact.reason) for e in entries] == [
        ("activated", "lms", "late report"),
        ("deactivated", "grace@acme", None),
        ("reactivated", "alan@acme", None),
    ]
    with pytest.raises(LedgerRefused) as empty:
        ledger.complete("s-1", actor="  ")
    assert empty.value.code == "invalid-text"


def test_questions_answer_with_both_dates_and_as_known_at(ledger: Ledger) -> None:
    ledger.import_seats(
        [
            NewSeat("s-1", "acme", date(2026, 8, 3)),
            NewSeat("s-2", "acme", date(2026, 8, 10), date(2026, 9, 1), kind="student"),
            NewSeat("s-3", "acme", date(2026, 9, 15), holder="Grace"),
        ],
        source="host-sync",
    )
    on_first = ledger.seats_on("acme", date(2026, 9, 1))
    assert [(r.seat, r.activated_on, r.deactivated_on) for r in on_first.rows] == [
        ("s-1", date(2026, 8, 3), None)
    ]
    cut = on_first.as_known_at
    assert cut is not None
    later = ledger.with_today(date(2026, 10, 2))
    later.correct("s-1", 1, on=date(2026, 9, 2), reason="started later")
    assert ledger.count_on("acme", date(2026, 9, 1)) == 0
    assert ledger.seats_on("acme", date(2026, 9, 1), known_at=cut).count == 1
    within = ledger.seats_within("acme", date(2026, 8, 15), date(2026, 9, 20))
    assert [r.seat for r in within.rows] == ["s-1", "s-2", "s-3"]
    throughout = ledger.seats_within("acme", date(2026, 9, 2), date(2026, 9, 30), mode="throughout")
    assert [r.seat for r in throughout.rows] == ["s-1"]
    assert throughout.mode is RangeMode.THROUGHOUT


def test_an_import_with_a_bad_row_imports_nothing(ledger: Ledger) -> None:
    with pytest.raises(LedgerRefused) as refused:
        ledger.import_seats(
            [
                NewSeat("ok-1", "acme", date(2026, 9, 1)),
                NewSeat("bad id!", "acme", date(2026, 9, 1)),
            ]
        )
    assert refused.value.code == "import-rejected"
    assert "line 2" in refused.value.message
    assert ledger.count_on("acme", date(2026, 9, 30)) == 0


def test_transfer_with_a_pin_the_logs_never_see(
    ledger: Ledger, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ledger.activate("s-1", "acme")
    ledger.add_admin("beta", "noor", PIN)
    request = ledger.request_transfer("s-1", "beta", actor="ada@acme")
    assert [v.request.id for v in ledger.transfers("beta", pending_only=True)] == [request.id]
    with pytest.raises(LedgerRefused) as wrong:
        ledger.approve(request.id, admin="noor", pin="000000")
    assert wrong.value.code == "wrong-pin"
    ledger.approve(request.id, admin="noor", pin=PIN, actor="noor@beta")
    assert ledger.seats_on("beta", TODAY).count == 1
    kinds = [(e.fact.kind.value, e.fact.actor) for e in ledger.history("s-1").entries]
    assert kinds[-1] == ("transfer-approved", "noor@beta (admin noor of beta)")
    assert PIN not in caplog.text
    assert PIN not in repr(ledger.admins("beta"))
    delivered = ledger.with_today(date(2026, 10, 2)).deliver()
    assert delivered.delivered >= 1
    assert PIN not in caplog.text
    assert "transfer" in caplog.text  # the default notifier logs to seatledger.notify


def test_contract_billing_and_proof(ledger: Ledger) -> None:
    ledger.import_seats(
        [NewSeat(f"s-{n}", "acme", date(2026, 8, 1)) for n in range(3)], source="opening"
    )
    contract = ledger.set_contract(
        "acme", plan="standard", effective_from="2026-09", vat_percent=Decimal("21")
    )
    assert contract.plan == "standard"
    assert ledger.contract("acme").contract is not None
    forecast = ledger.bill_run("2026-09", dry_run=True)
    assert ledger.invoices() == []
    report = ledger.bill_run("2026-09", org="acme")
    (invoice,) = report.invoices
    assert invoice.total == forecast.invoices[0].total == Decimal("141.57")
    again = ledger.bill_run("2026-09")  # idempotent: issues nothing new
    assert [o.outcome.value for o in again.outcomes] == ["already issued", "no active subscription"]
    assert ledger.invoice(invoice.id) == invoice
    assert ledger.invoices("acme", "2026-09") == [invoice]
    assert ledger.verify(invoice.id).ok
    whole = ledger.verify_all()
    assert whole.ok
    assert [v.invoice for v in whole.invoices] == [invoice.id]
    assert whole.chain.length == 1
    assert any("3 seats counted" in line for line in ledger.explain(invoice.id))
    with pytest.raises(LedgerRefused) as unknown:
        ledger.invoice("INV-nope")
    assert unknown.value.code == "unknown-invoice"


def test_one_ledger_serves_many_threads(ledger: Ledger) -> None:
    failures: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for n in range(10):
                ledger.activate(f"t{worker}-{n}", "acme", actor=f"worker-{worker}")
                ledger.count_on("acme", TODAY)
        except BaseException as problem:  # pragma: no cover - reported below
            failures.append(problem)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert ledger.count_on("acme", TODAY) == 40


def test_in_memory_ledger_for_host_unit_tests() -> None:
    with seatledger.in_memory(TODAY, actor="test") as ledger:
        ledger.add_organisation("acme", "Acme Care")
        ledger.activate("s-1", "acme", kind=seatledger.SeatKind.STUDENT)
        (row,) = ledger.seats_on("acme", TODAY).rows
        assert row.kind is seatledger.SeatKind.STUDENT
        assert ledger.history("s-1").entries[0].fact.actor == "test"
        assert ledger.database == "memory"
