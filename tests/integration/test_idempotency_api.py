"""Idempotency keys through the embedding API, on a real SQLite file.

For each family of writes: a retry with the same key and arguments returns
an equal result and changes nothing; the same key with other arguments is
refused and changes nothing; a refused write stores no key, so the same key
can be used again once the cause is fixed (INV-15).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import attrs
import pytest

import seatledger
from seatledger import Ledger, LedgerRefused, NewSeat
from seatledger.adapters.result_codecs import REDACTED
from seatledger.domain.admins import Admin

TODAY = date(2026, 10, 1)
PIN = "582046"
TABLES = (
    "organisations",
    "ledger_head",
    "seat_facts",
    "admins",
    "contract_versions",
    "usage_records",
    "contacts",
    "outbox",
    "idempotency_keys",
)


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "ledger.db")


@pytest.fixture
def ledger(db: str) -> Iterator[Ledger]:
    with seatledger.connect(db, today=TODAY, actor="lms") as opened:
        opened.add_organisation("acme", "Acme Care")
        opened.add_organisation("beta", "Beta Zorg")
        opened.activate("s-1", "acme", holder="Ada")
        opened.add_admin("beta", "sam", PIN)
        opened.add_admin("beta", "kim", PIN)
        yield opened


def everything(db: str) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table that a write can change, in a stable order."""
    with sqlite3.connect(db) as conn:
        return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in TABLES}


def shown(value: object) -> object:
    """A result as a replay returns it: an admin's PIN hash is never stored with a key."""
    if isinstance(value, Admin):
        return attrs.evolve(value, pin_hash=REDACTED)
    return value


Write = Callable[[Ledger, str], object]

# Each family of writes: (first call, the same call, the same key with other arguments).
FAMILIES: dict[str, tuple[Write, Write]] = {
    "org.add": (
        lambda led, k: led.add_organisation("cura", "Cura", idempotency_key=k),
        lambda led, k: led.add_organisation("cura", "Cura BV", idempotency_key=k),
    ),
    "seat.activate": (
        lambda led, k: led.activate("s-2", "acme", holder="Bo", idempotency_key=k),
        lambda led, k: led.activate("s-2", "acme", holder="Cy", idempotency_key=k),
    ),
    "seat.deactivate": (
        lambda led, k: led.deactivate("s-1", idempotency_key=k),
        lambda led, k: led.deactivate("s-1", reason="left", idempotency_key=k),
    ),
    "seat.import": (
        lambda led, k: led.import_seats(
            [NewSeat("s-9", "acme", date(2026, 9, 1), holder="Di")], idempotency_key=k
        ),
        lambda led, k: led.import_seats(
            [NewSeat("s-9", "acme", date(2026, 9, 2), holder="Di")], idempotency_key=k
        ),
    ),
    "admin.add": (
        lambda led, k: led.add_admin("acme", "lee", PIN, idempotency_key=k),
        lambda led, k: led.add_admin("acme", "lou", PIN, idempotency_key=k),
    ),
    "transfer.request": (
        lambda led, k: led.request_transfer("s-1", "beta", idempotency_key=k),
        lambda led, k: led.request_transfer("s-1", "beta", reason="moved", idempotency_key=k),
    ),
    "takeover": (
        lambda led, k: led.take_over("s-1", "beta", admin="sam", pin=PIN, idempotency_key=k),
        lambda led, k: led.take_over("s-1", "beta", admin="kim", pin=PIN, idempotency_key=k),
    ),
    "contract.set": (
        lambda led, k: led.set_contract("acme", plan="standard", idempotency_key=k),
        lambda led, k: led.set_contract("acme", plan="blended", idempotency_key=k),
    ),
    "usage.record": (
        lambda led, k: led.record_usage("acme", "new-dossier", quantity=2, idempotency_key=k),
        lambda led, k: led.record_usage("acme", "new-dossier", quantity=3, idempotency_key=k),
    ),
    "org.contact": (
        lambda led, k: led.set_contact("acme", emails=["a@acme.example"], idempotency_key=k),
        lambda led, k: led.set_contact("acme", emails=["b@acme.example"], idempotency_key=k),
    ),
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_a_retry_with_the_same_key_and_arguments_returns_the_first_result_and_changes_nothing(
    ledger: Ledger, db: str, family: str
) -> None:
    first_call, _ = FAMILIES[family]
    if family == "contract.set":
        ledger.set_contact("acme", emails=["x@acme.example"])
    first = first_call(ledger, "key-1")
    after_first = everything(db)
    assert len(after_first["idempotency_keys"]) == 1
    again = first_call(ledger, "key-1")
    assert shown(again) == shown(first)
    assert everything(db) == after_first
    # A later view of the ledger (another day) replays it too.
    assert shown(first_call(ledger.with_today(date(2026, 10, 2)), "key-1")) == shown(first)
    assert everything(db) == after_first


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_the_same_key_with_other_arguments_is_refused_and_changes_nothing(
    ledger: Ledger, db: str, family: str
) -> None:
    first_call, other_call = FAMILIES[family]
    first_call(ledger, "key-1")
    before = everything(db)
    with pytest.raises(LedgerRefused) as refused:
        other_call(ledger, "key-1")
    assert refused.value.code == "idempotency-key-reused"
    assert "'key-1'" in refused.value.message
    assert repr(family) in refused.value.message
    assert everything(db) == before


def test_without_a_key_a_retry_is_a_second_write(ledger: Ledger, db: str) -> None:
    ledger.record_usage("acme", "new-dossier")
    ledger.record_usage("acme", "new-dossier")
    assert len(everything(db)["usage_records"]) == 2
    assert everything(db)["idempotency_keys"] == []


def test_a_refused_write_stores_no_key_and_the_key_can_be_used_once_fixed(
    ledger: Ledger, db: str
) -> None:
    before = everything(db)
    with pytest.raises(LedgerRefused, match="cura"):
        ledger.activate("s-2", "cura", idempotency_key="key-1")
    assert everything(db) == before
    ledger.add_organisation("cura", "Cura")
    fact = ledger.activate("s-2", "cura", idempotency_key="key-1")
    assert fact.org == "cura"
    assert ledger.activate("s-2", "cura", idempotency_key="key-1") == fact


def test_a_wrong_pin_is_still_counted_with_a_key_and_no_key_is_stored(
    ledger: Ledger, db: str
) -> None:
    with pytest.raises(LedgerRefused, match="attempt"):
        ledger.take_over("s-1", "beta", admin="sam", pin="000000", idempotency_key="key-1")
    assert [a.failed_attempts for a in ledger.admins("beta") if a.id == "sam"] == [1]
    assert everything(db)["idempotency_keys"] == []
    fact = ledger.take_over("s-1", "beta", admin="sam", pin=PIN, idempotency_key="key-1")
    assert fact.org == "beta"


def test_a_replayed_admin_and_contact_never_hold_their_secrets(ledger: Ledger, db: str) -> None:
    admin = ledger.add_admin("acme", "lee", PIN, idempotency_key="key-a")
    secret = "s3cret-s3cret-s3cret"
    contact = ledger.set_contact(
        "acme", webhook_url="https://acme.example/hook", webhook_secret=secret,
        idempotency_key="key-c",
    )  # fmt: skip
    stored = repr(everything(db)["idempotency_keys"])
    assert admin.pin_hash not in stored
    assert secret not in stored
    assert PIN not in stored
    replayed = ledger.add_admin("acme", "lee", PIN, idempotency_key="key-a")
    assert (replayed.org, replayed.id, replayed.locked) == (admin.org, admin.id, admin.locked)
    again = ledger.set_contact(
        "acme", webhook_url="https://acme.example/hook", webhook_secret=secret,
        idempotency_key="key-c",
    )  # fmt: skip
    assert (again.org, again.webhook_url) == (contact.org, contact.webhook_url)
    assert again.webhook_secret  # shown as set, as the first time


@pytest.mark.parametrize("key", ["", "has space", "ünïcode", "x" * 201, "tab\there"])
def test_an_invalid_key_is_refused_before_anything_runs(ledger: Ledger, db: str, key: str) -> None:
    before = everything(db)
    with pytest.raises(LedgerRefused) as refused:
        ledger.activate("s-2", "acme", idempotency_key=key)
    assert refused.value.code == "invalid-idempotency-key"
    assert everything(db) == before


def test_a_key_is_one_namespace_across_commands(ledger: Ledger) -> None:
    ledger.activate("s-2", "acme", idempotency_key="key-1")
    with pytest.raises(LedgerRefused) as refused:
        ledger.record_usage("acme", "new-dossier", idempotency_key="key-1")
    assert refused.value.code == "idempotency-key-reused"
    assert "'seat.activate'" in refused.value.message


def test_keys_work_the_same_on_the_in_memory_ledger() -> None:
    with seatledger.in_memory(TODAY) as ledger:
        ledger.add_organisation("acme", "Acme Care")
        first = ledger.record_usage("acme", "new-dossier", idempotency_key="k")
        assert ledger.record_usage("acme", "new-dossier", idempotency_key="k") == first
        with pytest.raises(LedgerRefused, match="other arguments"):
            ledger.record_usage("acme", "new-dossier", quantity=2, idempotency_key="k")
