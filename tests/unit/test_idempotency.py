"""Idempotency keys in the domain: the key's rule, the fingerprint, and ``run_once``.

``run_once`` runs on the in-memory unit of work here; the SQL adapter and
the command line are tested in ``tests/integration`` and ``tests/e2e``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from returns.result import Failure, Result, Success

from seatledger.adapters.clock import SimulatedDay
from seatledger.adapters.memory import InMemoryUnitOfWork
from seatledger.adapters.pin_hasher import ScryptPinHasher
from seatledger.domain.dates import Period
from seatledger.domain.errors import (
    IdempotencyKeyReused,
    InvalidIdempotencyKey,
    LedgerError,
    UnknownOrganisation,
    WrongPin,
)
from seatledger.domain.idempotency import (
    IdempotencyKey,
    ResultCodec,
    canonical,
    fingerprint,
    request,
)
from seatledger.domain.seat import SeatFact, SeatKind
from seatledger.domain.services import admins, organisations, seats
from seatledger.domain.services.context import Services
from seatledger.domain.services.idempotency import run_once

TODAY = date(2025, 10, 15)
KEY = IdempotencyKey("key-1")


def services() -> Services:
    return Services(uow=InMemoryUnitOfWork(), clock=SimulatedDay(TODAY))


# A codec that remembers the value itself: the unit tests need no serialisation format.
def memo_codec() -> ResultCodec[SeatFact]:
    kept: dict[str, SeatFact] = {}

    def encode(fact: SeatFact) -> str:
        kept[str(fact.seq)] = fact
        return str(fact.seq)

    return ResultCodec(encode, kept.__getitem__)


def activate(seat: str, org: str = "acme") -> Callable[[Services], Result[SeatFact, LedgerError]]:
    return lambda s: seats.activate(s, seat, org, actor="lisa")


def facts(world: Services) -> list[SeatFact]:
    uow = world.uow
    assert isinstance(uow, InMemoryUnitOfWork)
    return [f for seat_facts in uow.ledger.facts.values() for f in seat_facts]


# --- the key and the fingerprint --------------------------------------------------------


@pytest.mark.parametrize("text", ["a", "7f3a-11e9", "x" * 200, "!~#/:=?", "KEY_1.2"])
def test_a_key_of_1_to_200_printable_ascii_characters_without_spaces_is_accepted(
    text: str,
) -> None:
    assert IdempotencyKey.parse(text) == Success(IdempotencyKey(text))


@pytest.mark.parametrize("text", ["", " ", "a b", "x" * 201, "tab\t", "nul\x00", "é", "\x7f"])
def test_any_other_key_is_refused_naming_it(text: str) -> None:
    result = IdempotencyKey.parse(text)
    assert result == Failure(InvalidIdempotencyKey(text))
    assert "200 printable ASCII" in result.failure().message


def test_the_fingerprint_is_the_sha256_of_the_canonical_command_and_arguments() -> None:
    one = fingerprint("seat.activate", {"seat": "s", "on": date(2025, 9, 1), "addons": {"b", "a"}})
    same = fingerprint("seat.activate", {"addons": {"a", "b"}, "on": date(2025, 9, 1), "seat": "s"})
    assert one == same
    assert len(one) == 64
    assert int(one, 16) >= 0
    assert one != fingerprint("seat.activate", {"seat": "s", "on": date(2025, 9, 2)})
    assert one != fingerprint("seat.complete", {"seat": "s", "on": date(2025, 9, 1)})


def test_canonical_arguments_keep_exact_decimals_instants_enums_and_values() -> None:
    assert canonical(Decimal("12.50")) == "12.50"
    assert canonical(Decimal("12.5")) == "12.5"
    assert canonical(datetime(2025, 9, 1, tzinfo=UTC)) == "2025-09-01T00:00:00.000000Z"
    assert canonical(SeatKind.STUDENT) == "student"
    assert canonical(Period.parse("2025-09").unwrap()) == {"year": 2025, "month": 9}
    assert canonical((1, None, True)) == [1, None, True]
    assert canonical(frozenset({"b", "a"})) == ["a", "b"]


def test_the_refusal_names_the_key_and_the_command_it_was_first_used_for() -> None:
    message = IdempotencyKeyReused("key-1", "seat.activate").message
    assert "'key-1'" in message
    assert "'seat.activate'" in message
    assert "other arguments" in message


# --- run_once ------------------------------------------------------------------------------


def test_a_first_keyed_write_runs_and_stores_its_key_in_the_same_commit() -> None:
    world = services()
    organisations.add_organisation(world, "acme", "Acme")
    codec = memo_codec()
    keyed = request(KEY, "seat.activate", {"seat": "anna"})
    fact = run_once(world, keyed, activate("anna"), codec).unwrap()
    uow = world.uow
    assert isinstance(uow, InMemoryUnitOfWork)
    stored = uow.ledger.idempotency["key-1"]
    assert (stored.command, stored.fingerprint, stored.result) == (
        "seat.activate", keyed.fingerprint, str(fact.seq),
    )  # fmt: skip
    assert facts(world) == [fact]


def test_a_retry_returns_the_first_result_without_running_again() -> None:
    world = services()
    organisations.add_organisation(world, "acme", "Acme")
    codec = memo_codec()
    keyed = request(KEY, "seat.activate", {"seat": "anna"})
    first = run_once(world, keyed, activate("anna"), codec)

    def must_not_run(_: Services) -> Result[SeatFact, LedgerError]:
        raise AssertionError("a replay ran the use case again")

    assert run_once(world, keyed, must_not_run, codec) == first
    assert len(facts(world)) == 1


def test_the_same_key_with_other_arguments_is_refused_and_nothing_runs() -> None:
    world = services()
    organisations.add_organisation(world, "acme", "Acme")
    codec = memo_codec()
    run_once(world, request(KEY, "seat.activate", {"seat": "anna"}), activate("anna"), codec)
    other = request(KEY, "seat.activate", {"seat": "bob"})
    result = run_once(world, other, activate("bob"), codec)
    assert result == Failure(IdempotencyKeyReused("key-1", "seat.activate"))
    assert [f.seat for f in facts(world)] == ["anna"]


def test_a_refused_write_stores_no_key_and_can_be_retried_with_it() -> None:
    world = services()
    codec = memo_codec()
    keyed = request(KEY, "seat.activate", {"seat": "anna"})
    refused = run_once(world, keyed, activate("anna"), codec)
    assert refused == Failure(UnknownOrganisation("acme"))
    uow = world.uow
    assert isinstance(uow, InMemoryUnitOfWork)
    assert uow.ledger.idempotency == {}
    organisations.add_organisation(world, "acme", "Acme")
    assert isinstance(run_once(world, keyed, activate("anna"), codec), Success)


def test_a_use_case_that_commits_its_refusal_keeps_that_and_stores_no_key() -> None:
    world = services()
    organisations.add_organisation(world, "acme", "Acme")
    pins = ScryptPinHasher(log2_n=4)
    admins.add_admin(world, pins, "acme", "sam", "582046")
    admins.add_admin(world, pins, "acme", "kim", "582046")
    keyed = request(KEY, "admin.unlock", {"org": "acme", "admin": "sam", "by": "kim"})
    codec: ResultCodec[object] = ResultCodec(str, lambda text: text)
    result = run_once(
        world, keyed, lambda s: admins.unlock_admin(s, pins, "acme", "sam", by="kim", pin="1111"),
        codec,
    )  # fmt: skip
    assert isinstance(result, Failure)
    assert isinstance(result.failure(), WrongPin)
    uow = world.uow
    assert isinstance(uow, InMemoryUnitOfWork)
    assert uow.ledger.admins[("acme", "kim")].failed_attempts == 1  # type: ignore[index]
    assert uow.ledger.idempotency == {}


def test_an_exception_in_the_use_case_keeps_nothing() -> None:
    world = services()
    organisations.add_organisation(world, "acme", "Acme")
    keyed = request(KEY, "seat.activate", {"seat": "anna"})

    def crash_after_writing(s: Services) -> Result[SeatFact, LedgerError]:
        activate("anna")(s)
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        run_once(world, keyed, crash_after_writing, memo_codec())
    assert facts(world) == []
    uow = world.uow
    assert isinstance(uow, InMemoryUnitOfWork)
    assert uow.ledger.idempotency == {}


def test_a_keyed_use_case_may_open_only_one_write_transaction() -> None:
    world = services()

    def two_writes(s: Services) -> Result[SeatFact, LedgerError]:
        with s.uow.transaction(write=True):
            pass
        with s.uow.transaction(write=True):
            pass
        raise AssertionError("unreachable")

    with pytest.raises(RuntimeError, match="at most one write transaction"):
        run_once(world, request(KEY, "x", {}), two_writes, memo_codec())
