"""Running a write once per idempotency key, atomically with the key.

``run_once`` opens one real write transaction and holds the store's write
lock from the start, so the check for the key and its insert cannot race
another writer. The use case runs inside it through ``_OneTransaction``, a
unit of work whose transactions all reuse that real one and whose
``commit`` only asks for a commit. The key is stored with the use case's
changes, in the same commit, or not at all: a crash never leaves a write
without its key or a key without its write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from returns.result import Failure, Result, Success

from seatledger.domain.errors import IdempotencyKeyReused, LedgerError
from seatledger.domain.idempotency import IdempotencyRecord, IdempotentRequest, ResultCodec
from seatledger.domain.ports import Store
from seatledger.domain.services.context import Services

T = TypeVar("T")


class _OneTransaction:
    """A unit of work over one open write transaction: every ``transaction`` reuses it.

    Keyed use cases open at most one write transaction (and any number of
    reads, one after another); a second write would lose the all-or-nothing
    meaning of its own commit, so it is refused as a bug.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._open = False
        self._writes = 0
        self.commit_asked = False

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[Store]:
        if self._open:
            raise RuntimeError("a transaction is already open on this unit of work")
        if write:
            self._writes += 1
            if self._writes > 1:
                raise RuntimeError("a keyed command opens at most one write transaction")
        self._open = True
        try:
            yield self._store
        finally:
            self._open = False

    def commit(self) -> None:
        if not self._open or self._writes == 0:
            raise RuntimeError("commit outside a write transaction")
        self.commit_asked = True


def run_once(
    services: Services,
    request: IdempotentRequest,
    run: Callable[[Services], Result[T, LedgerError]],
    codec: ResultCodec[T],
) -> Result[T, LedgerError]:
    """Run a write once per key: the first result again for a retry, a refusal for a misuse.

    * The key is stored: with the same fingerprint, its stored result is
      returned and nothing runs; with another, ``IdempotencyKeyReused``.
    * Otherwise ``run`` runs in this one transaction. On success the key is
      stored with ``codec.encode(result)`` and everything commits together.
      On a refusal no key is stored (the command can be retried with it);
      what the use case itself committed on refusing (a wrong PIN's count)
      is kept, anything else is rolled back.
    """
    with services.uow.transaction(write=True) as store:
        found = store.idempotency_record(request.key)
        if found is not None:
            if found.fingerprint == request.fingerprint:
                return Success(codec.decode(found.result))
            return Failure(IdempotencyKeyReused(request.key.text, found.command))
        inner = _OneTransaction(store)
        result = run(Services(uow=inner, clock=services.clock))
        if isinstance(result, Failure):
            if inner.commit_asked:
                services.uow.commit()
            return result
        value = result.unwrap()
        store.add_idempotency_record(
            IdempotencyRecord(
                key=request.key,
                command=request.command,
                fingerprint=request.fingerprint,
                result=codec.encode(value),
                recorded_at=services.clock.now(),
            )
        )
        services.uow.commit()
        return Success(value)
