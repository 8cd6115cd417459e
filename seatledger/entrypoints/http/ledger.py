"""What every request of the HTTP API shares: the database, the caller, keys in flight.

One ``HttpLedger`` per server process. Each worker thread gets its own unit
of work on one shared engine (as the embedding API does); writes go through
the one dispatcher (``entrypoints/dispatcher.py``) with the caller's key name
as the actor; reads call the use cases directly.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from returns.result import Failure, Result

from seatledger.adapters.store_errors import StoreBusy
from seatledger.domain.apikeys import ApiKey
from seatledger.domain.catalog import Catalog
from seatledger.domain.errors import LedgerError
from seatledger.domain.identifiers import OrgId
from seatledger.domain.ports import Clock, PinHasher, UnitOfWork
from seatledger.domain.services import apikeys
from seatledger.domain.services.commands import Command
from seatledger.domain.services.context import Services
from seatledger.domain.services.dispatch import Tools
from seatledger.entrypoints import bootstrap
from seatledger.entrypoints.dispatcher import execute, new_secret
from seatledger.entrypoints.http.problems import Problem, refused

T = TypeVar("T")


class HttpLedger:
    """The ledger behind the HTTP API: per-thread units of work on one engine."""

    def __init__(
        self,
        make_uow: Callable[[], UnitOfWork],
        clock: Clock,
        settings: bootstrap.Settings,
        close: Callable[[], None],
    ) -> None:
        self._make_uow = make_uow
        self.clock = clock
        self._settings = settings
        self._close = close
        self._local = threading.local()
        self._catalog: Catalog | None = None
        self._pins: PinHasher | None = None
        self._in_flight: set[str] = set()
        self._guard = threading.Lock()

    @staticmethod
    def open(settings: bootstrap.Settings) -> HttpLedger:
        """The ledger named by the settings (the schema must be current, as for every command)."""
        from seatledger.adapters.sql import SqlUnitOfWork

        opened = bootstrap.open_services(settings)
        if isinstance(opened, Failure):
            raise SystemExit(f"seatledger serve: {opened.failure().message}")
        found = opened.unwrap()
        uow = found.services.uow
        if not isinstance(uow, SqlUnitOfWork):  # pragma: no cover - bootstrap opens SQL only
            raise TypeError(f"expected a SQL unit of work, got {uow!r}")
        engine = uow.engine
        return HttpLedger(
            lambda: SqlUnitOfWork(engine), found.services.clock, settings, found.close
        )

    def close(self) -> None:
        self._close()

    def services(self) -> Services:
        uow: UnitOfWork | None = getattr(self._local, "uow", None)
        if uow is None:
            uow = self._make_uow()
            self._local.uow = uow
        return Services(uow=uow, clock=self.clock)

    def catalog(self) -> Catalog:
        if self._catalog is None:
            found = bootstrap.catalog_for(self._settings)
            if isinstance(found, Failure):
                raise refused(found.failure())
            self._catalog = found.unwrap()
        return self._catalog

    def pins(self) -> PinHasher:
        if self._pins is None:
            self._pins = bootstrap.pin_hasher()
        return self._pins

    def tools(self) -> Tools:
        return Tools(catalog=self.catalog, pins=self.pins, new_secret=new_secret)

    # --- callers ---------------------------------------------------------------------------
    def caller(self, authorization: str | None) -> ApiKey:
        """The key of ``Authorization: Bearer KEY``; 401 if missing, unknown or revoked."""
        if authorization is None or not authorization.startswith("Bearer "):
            raise Problem(401, "unauthorised", "send Authorization: Bearer KEY (an API key)")
        found = self.guarded(lambda: apikeys.authenticate(self.services(), authorization[7:]))
        if found is None:
            raise Problem(401, "unauthorised", "this API key is unknown or revoked")
        return found

    # --- running use cases -------------------------------------------------------------------
    def guarded(self, run: Callable[[], T]) -> T:
        """Run ``run``, a busy database answering 503 (nothing was changed)."""
        try:
            return run()
        except StoreBusy as busy:
            raise Problem(503, "database-busy", str(busy)) from busy

    def read(self, use_case: Callable[[Services], Result[T, LedgerError]]) -> T:
        result = self.guarded(lambda: use_case(self.services()))
        if isinstance(result, Failure):
            raise refused(result.failure())
        return result.unwrap()

    def plain(self, use_case: Callable[[Services], T]) -> T:
        return self.guarded(lambda: use_case(self.services()))

    def write(self, command: Command[T], key: str | None) -> T:
        """Run a write command; with an idempotency key, at most once (409 while it runs)."""
        with self._once_at_a_time(key):
            result = self.guarded(lambda: execute(self.services(), command, self.tools(), key))
        if isinstance(result, Failure):
            raise refused(result.failure())
        return result.unwrap()

    def run_keyed(self, key: str | None, run: Callable[[], T]) -> T:
        """Run a write that is idempotent by itself (a billing run) under the in-flight guard."""
        with self._once_at_a_time(key):
            return self.guarded(run)

    @contextmanager
    def _once_at_a_time(self, key: str | None) -> Iterator[None]:
        if key is None:
            yield
            return
        with self._guard:
            if key in self._in_flight:
                raise Problem(
                    409,
                    "idempotency-key-in-use",
                    f"a request with Idempotency-Key {key!r} is still running; retry when it "
                    "has answered",
                )
            self._in_flight.add(key)
        try:
            yield
        finally:
            with self._guard:
                self._in_flight.discard(key)


def scope_check(caller: ApiKey, *orgs: OrgId | str | None) -> None:
    """403 unless the caller is an operator key or one of ``orgs`` is its organisation."""
    if caller.org is None:
        return
    if caller.org not in [o for o in orgs if o is not None]:
        raise Problem(
            403,
            "forbidden-organisation",
            f"the API key {caller.name!r} acts only for organisation {caller.org!r}",
        )


def require_operator(caller: ApiKey, what: str) -> None:
    if caller.org is not None:
        raise Problem(403, "operator-key-required", f"{what} needs an operator key")


Json = dict[str, Any]
