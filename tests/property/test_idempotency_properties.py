"""INV-15: a key is used for one payload; a write with a key happens at most once.

Random sequences of keyed writes, with keys repeated (same or other
arguments), run through ``run_once`` on one ledger. A model runs each write
whose key is new on a second, unkeyed ledger and remembers its result. The
keyed ledger must end equal to the model's ledger: each distinct key's
write happened once (if it succeeded), replays returned the first result,
and reuses with other arguments were refused and changed nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from returns.result import Failure, Result, Success

from seatledger.adapters import result_codecs as codecs
from seatledger.adapters.catalog.loader import load_catalog
from seatledger.adapters.clock import SimulatedDay
from seatledger.adapters.memory import InMemoryUnitOfWork
from seatledger.domain.errors import IdempotencyKeyReused, LedgerError
from seatledger.domain.idempotency import IdempotencyKey, ResultCodec, request
from seatledger.domain.services import contracts, organisations, seats
from seatledger.domain.services.context import Services
from seatledger.domain.services.idempotency import run_once

CATALOG = load_catalog().unwrap()
TODAY = date(2025, 10, 15)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# One write: (command, arguments); the same pair is the same payload.
Write = tuple[str, tuple[Any, ...]]

writes = st.one_of(
    st.tuples(st.just("seat.activate"), st.tuples(st.sampled_from(["s0", "s1", "s2"]))),
    st.tuples(st.just("seat.deactivate"), st.tuples(st.sampled_from(["s0", "s1", "s2"]))),
    st.tuples(st.just("usage.record"), st.tuples(st.integers(1, 3))),
)
steps = st.lists(st.tuples(st.sampled_from(["k0", "k1", "k2", "k3"]), writes), max_size=25)


def use_case(
    write: Write,
) -> tuple[Callable[[Services], Result[Any, LedgerError]], ResultCodec[Any]]:
    command, args = write
    if command == "seat.activate":
        return (lambda s: seats.activate(s, args[0], "acme", actor="p")), codecs.SEAT_FACT
    if command == "seat.deactivate":
        return (lambda s: seats.deactivate(s, args[0], actor="p")), codecs.SEAT_FACT
    return (
        lambda s: contracts.record_usage(s, CATALOG, "acme", "new-dossier", quantity=args[0],
                                         actor="p")
    ), codecs.USAGE_RECORD  # fmt: skip


def world() -> Services:
    services = Services(uow=InMemoryUnitOfWork(), clock=SimulatedDay(TODAY))
    organisations.add_organisation(services, "acme", "Acme")
    return services


def state(services: Services) -> tuple[object, ...]:
    uow = services.uow
    assert isinstance(uow, InMemoryUnitOfWork)
    return (uow.ledger.facts, uow.ledger.usage_records, uow.ledger.head())


@SETTINGS
@given(steps)
def test_inv15_keyed_writes_with_repeats_equal_each_distinct_key_run_once(
    sequence: list[tuple[str, Write]],
) -> None:
    keyed, model = world(), world()
    first: dict[str, tuple[Write, Any]] = {}
    for key, write in sequence:
        run, codec = use_case(write)
        got = run_once(
            keyed, request(IdempotencyKey(key), write[0], {"args": write[1]}), run, codec
        )
        if key in first:
            stored_write, stored_result = first[key]
            if stored_write == write:
                assert got == Success(stored_result)
            else:
                assert got == Failure(IdempotencyKeyReused(key, stored_write[0]))
            continue
        expected = run(model)
        assert got == expected
        if isinstance(expected, Success):
            first[key] = (write, expected.unwrap())
        assert state(keyed) == state(model)
    assert state(keyed) == state(model)
    uow = keyed.uow
    assert isinstance(uow, InMemoryUnitOfWork)
    assert set(uow.ledger.idempotency) == set(first)
