"""The embedding API: seatledger's use cases as methods of one object, for host systems.

A host back end (an LMS, a practice-management system) opens a ledger with
``connect`` and calls its methods with plain Python values::

    import seatledger

    with seatledger.connect("sqlite:////var/lib/lms/seats.db", actor="lms") as ledger:
        ledger.add_organisation("acme", "Acme Care")
        ledger.activate("learner-17", "acme", holder="Ada Lovelace", actor="admin@acme")
        ledger.seats_on("acme", date(2026, 9, 30)).count

Error style (decision 0009): a business refusal raises ``LedgerRefused``,
which carries the domain's ``LedgerError`` value (``error``, ``code``,
``message``). Nothing was changed when it is raised. Any other exception is
a bug or an infrastructure failure (the database is unreachable, say).

Threads: one ``Ledger`` per process is the intended use. It shares one
database engine (a pool of connections) and gives each thread its own unit
of work, so request handlers on several threads may call it at once; the
database's write lock orders the writers. ``in_memory()`` ledgers serialise
their calls with a lock. Creating a ledger per request also works but pays
for opening the engine each time.

Retries: every method that writes (except ``bill_run``, ``remind`` and
``deliver``, idempotent or at-least-once by design) takes
``idempotency_key=``; a call repeated with the same key and arguments
returns the first result and changes nothing, with other arguments it is
refused (``idempotency-key-reused``). See decision 0010.

The acting person: every method that records a fact takes ``actor=``; when
it is left out, the ``actor`` given to ``connect`` is recorded. The actor is
stored on the fact and shown by ``history``. PINs are arguments (a host has
its own secure input); they are hashed or checked and never logged, stored
or returned.
"""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Final, TypeVar

import attrs
from attrs import frozen
from returns.result import Failure, Result

from seatledger.adapters import result_codecs as codecs
from seatledger.adapters.csv_import import parse_row
from seatledger.adapters.documents.pdf import pdf_document
from seatledger.adapters.documents.ubl import read_ubl, ubl_document
from seatledger.adapters.notify import LogNotifier
from seatledger.adapters.serialisation import evidence_csv
from seatledger.domain import idempotency
from seatledger.domain.admins import Admin
from seatledger.domain.audit import AuditEntry
from seatledger.domain.authorisation import Operator
from seatledger.domain.catalog import Cadence, Catalog
from seatledger.domain.contracts import Contract, PaymentMethod
from seatledger.domain.dates import Period, parse_date
from seatledger.domain.errors import ImportRejected, InvalidContract, LedgerError, RowProblem
from seatledger.domain.idempotency import IdempotencyKey, ResultCodec
from seatledger.domain.identifiers import OrgId
from seatledger.domain.invoice import Invoice
from seatledger.domain.legal_document import compare
from seatledger.domain.notifications import Contact, Notifier
from seatledger.domain.organisation import Organisation
from seatledger.domain.outbox import DeliveryStatus, OutboxEntry
from seatledger.domain.parties import Seller
from seatledger.domain.policies import (
    AnnualStart,
    LeaveAnnual,
    NegativeBalance,
    OverageDocument,
    PaidCoverage,
    VatTreatment,
)
from seatledger.domain.ports import Clock, PinHasher, UnitOfWork
from seatledger.domain.queries import RangeMode
from seatledger.domain.reminders import ReminderPolicy
from seatledger.domain.rosters import (
    DEFAULT_BILLABLE,
    RosterFormat,
    RosterMode,
    RosterPolicy,
    RosterReport,
    parse_billable_roles,
)
from seatledger.domain.seat import SeatFact, SeatKind
from seatledger.domain.services import (
    admins,
    billing,
    contracts,
    documents,
    notify,
    operators,
    organisations,
    parties,
    questions,
    seats,
    transfers,
)
from seatledger.domain.services import commands as c
from seatledger.domain.services import usage as usage_cases
from seatledger.domain.services.billing import LedgerVerification, RunReport, Verification
from seatledger.domain.services.context import Services
from seatledger.domain.services.contracts import ContractStatus, ContractTerms
from seatledger.domain.services.dispatch import Tools
from seatledger.domain.services.idempotency import run_once
from seatledger.domain.services.imports import ImportRow, ImportSummary
from seatledger.domain.services.notify import DeliveryReport, ReminderReport
from seatledger.domain.services.parties import PartyChanges
from seatledger.domain.services.questions import SeatsAnswer
from seatledger.domain.services.rosters import NewOrganisations
from seatledger.domain.services.seats import SeatHistory
from seatledger.domain.services.transfers import RequestView
from seatledger.domain.transfers import TransferRequest
from seatledger.domain.usage import UsageEntry, UsageListing, UsageRecord
from seatledger.entrypoints import bootstrap
from seatledger.entrypoints.dispatcher import execute, new_secret
from seatledger.entrypoints.rosters import RosterImport
from seatledger.entrypoints.rosters import import_roster as roster_import

__all__ = [
    "DEFAULT_ACTOR",
    "Ledger",
    "LedgerRefused",
    "NewSeat",
    "connect",
    "in_memory",
    "over",
]

DEFAULT_ACTOR: Final = "host"
NOTIFY_LOGGER: Final = "seatledger.notify"

T = TypeVar("T")
Day = date | str
PeriodLike = Period | str


class LedgerRefused(Exception):
    """A business rule refused the call; nothing was changed.

    ``error`` is the domain's refusal value (its class says which rule, its
    fields the offending values); ``code`` is stable for matching, and
    ``message`` names the offending value in words a user can act on.
    """

    def __init__(self, error: LedgerError) -> None:
        super().__init__(error.message)
        self.error = error

    @property
    def code(self) -> str:
        return self.error.code

    @property
    def message(self) -> str:
        return self.error.message

    def __repr__(self) -> str:
        return f"LedgerRefused({self.code!r}: {self.message!r})"


@frozen
class NewSeat:
    """A seat to import with its past: plain values, checked like a row of an import file."""

    seat: str
    org: str
    activated_on: date
    deactivated_on: date | None = None
    kind: SeatKind | str = SeatKind.REGULAR
    holder: str = ""
    addons: Iterable[str] = ()


def _ok(result: Result[T, LedgerError]) -> T:
    """The value of a use case's result, or ``LedgerRefused`` with its refusal."""
    if isinstance(result, Failure):
        raise LedgerRefused(result.failure())
    return result.unwrap()


def _day(value: Day) -> date:
    """A business date: a ``date`` (not a ``datetime``) or an ISO ``YYYY-MM-DD`` string."""
    if isinstance(value, datetime):
        raise TypeError(
            "a business date is a datetime.date, not a datetime: convert the instant to a date "
            "in the organisation's time zone first"
        )
    if isinstance(value, date):
        return value
    return _ok(parse_date(value))


def _maybe_day(value: Day | None) -> date | None:
    return None if value is None else _day(value)


def _period(value: PeriodLike) -> Period:
    return value if isinstance(value, Period) else _ok(Period.parse(value))


def _decimal(value: Decimal | str | int | None, what: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, float | bool):
        raise TypeError(f"{what} must be a Decimal (or str/int), never a float")
    return Decimal(value)


_E = TypeVar("_E", bound=enum.Enum)


def _policy(kind: type[_E], value: _E | str | None, what: str) -> _E | None:
    """A contract policy by its value; another value is refused, naming the choices."""
    if value is None or isinstance(value, kind):
        return value
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a {kind.__name__} or str, not {type(value).__name__}")
    for member in kind:
        if member.value == value:
            return member
    choices = ", ".join(m.value for m in kind)
    raise LedgerRefused(InvalidContract(what, f"{value!r} is not one of {choices}"))


def _removed(values: Iterable[str]) -> frozenset[str]:
    if isinstance(values, str):
        raise TypeError("remove must be a list of term names, not one string")
    result = frozenset(values)
    if not all(isinstance(v, str) for v in result):
        raise TypeError("remove must name terms as strings")
    return result


def _kind(value: SeatKind | str) -> SeatKind:
    return value if isinstance(value, SeatKind) else _ok(SeatKind.parse(value))


class _Backend:
    """What every view of one database shares: units of work, the catalog, the PIN hasher."""

    def __init__(
        self,
        make_uow: Callable[[], UnitOfWork],
        *,
        close: Callable[[], None],
        catalog: Path | None,
        serialise: bool,
        database: str,
        created: bool,
    ) -> None:
        self._make_uow = make_uow
        self._close: Callable[[], None] | None = close
        self._catalog_path = catalog
        self._catalog: Catalog | None = None
        self._pins: PinHasher | None = None
        self._local = threading.local()
        self._lock: AbstractContextManager[object] = (
            threading.RLock() if serialise else nullcontext()
        )
        self.database = database
        self.created = created

    def uow(self) -> UnitOfWork:
        """This thread's unit of work (a unit of work holds one transaction at a time)."""
        found: UnitOfWork | None = getattr(self._local, "uow", None)
        if found is None:
            found = self._make_uow()
            self._local.uow = found
        return found

    @contextmanager
    def call(self) -> Iterator[None]:
        if self._close is None:
            raise RuntimeError("this ledger is closed")
        with self._lock:
            yield

    def catalog(self) -> Catalog:
        if self._catalog is None:
            settings = bootstrap.Settings(catalog=self._catalog_path)
            self._catalog = _ok(bootstrap.catalog_for(settings))
        return self._catalog

    def pins(self) -> PinHasher:
        if self._pins is None:
            self._pins = bootstrap.pin_hasher()
        return self._pins

    def close(self) -> None:
        if self._close is not None:
            self._close()
            self._close = None


class Ledger:
    """A seat ledger: its use cases as methods taking plain Python values.

    Made by ``connect``, ``in_memory`` or ``over``. Writes record ``actor``
    (default: the one given when the ledger was made). Refusals raise
    ``LedgerRefused``. Use it as a context manager, or call ``close``.
    """

    def __init__(self, backend: _Backend, clock: Clock, actor: str, *, owner: bool) -> None:
        self._backend = backend
        self._clock = clock
        self.actor = actor
        self._owner = owner

    # --- life cycle -------------------------------------------------------------
    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the database connections (a view made by ``with_today`` leaves them open)."""
        if self._owner:
            self._backend.close()

    def __repr__(self) -> str:
        return f"Ledger({self._backend.database!r}, actor={self.actor!r})"

    @property
    def database(self) -> str:
        """The database's URL, without its password."""
        return self._backend.database

    @property
    def created(self) -> bool:
        """True if ``connect`` set up a fresh SQLite database."""
        return self._backend.created

    def with_today(self, day: Day) -> Ledger:
        """The same ledger on a simulated day (back-fills, replaying events, tests).

        Effective dates default to ``day`` and facts are recorded on it. The
        view shares this ledger's database; closing it does nothing.
        """
        return Ledger(self._backend, bootstrap.clock_for(_day(day)), self.actor, owner=False)

    def with_actor(self, actor: str) -> Ledger:
        """The same ledger recording ``actor`` by default (e.g. one per request's user)."""
        return Ledger(self._backend, self._clock, actor, owner=False)

    def _run(self, use_case: Callable[[Services], Result[T, LedgerError]]) -> T:
        with self._backend.call():
            return _ok(use_case(Services(uow=self._backend.uow(), clock=self._clock)))

    def _write(self, key: str | None, command: c.Command[T]) -> T:
        """Run a write command through the one dispatcher; with a key, at most once (a retry
        returns the first result)."""
        if key is not None:
            _ok(IdempotencyKey.parse(key))
        backend = self._backend
        tools = Tools(catalog=backend.catalog, pins=backend.pins, new_secret=new_secret)
        return self._run(lambda s: execute(s, command, tools, key))

    def _write_keyed(
        self,
        key: str | None,
        command: str,
        arguments: Mapping[str, object],
        use_case: Callable[[Services], Result[T, LedgerError]],
        codec: ResultCodec[T],
    ) -> T:
        """Run a write that is not yet a command value (``set_seller``); with a key, at most
        once, exactly as the dispatcher runs the others."""
        if key is None:
            return self._run(use_case)
        keyed = idempotency.request(_ok(IdempotencyKey.parse(key)), command, arguments)
        return self._run(lambda s: run_once(s, keyed, use_case, codec))

    def _plain(self, use_case: Callable[[Services], T]) -> T:
        with self._backend.call():
            return use_case(Services(uow=self._backend.uow(), clock=self._clock))

    def _who(self, actor: str | None) -> str:
        return self.actor if actor is None else actor

    # --- organisations --------------------------------------------------------------
    def add_organisation(
        self,
        org: str,
        name: str,
        *,
        timezone: str = "Europe/Amsterdam",
        currency: str = "EUR",
        billing_relationship: bool = True,
        actor: str | None = None,
        idempotency_key: str | None = None,
    ) -> Organisation:
        """Register a client organisation (its time zone decides its calendar)."""
        who = self._who(actor)
        return self._write(
            idempotency_key,
            c.AddOrganisation(org, name, timezone, currency, billing_relationship, who),
        )

    def set_organisation(
        self,
        org: str,
        *,
        name: str | None = None,
        timezone: str | None = None,
        timezone_from: Day | None = None,
        billing_relationship: bool | None = None,
        legal_name: str | None = None,
        vat_id: str | None = None,
        address: str | None = None,
        city: str | None = None,
        postcode: str | None = None,
        country: str | None = None,
        peppol_id: str | None = None,
        buyer_reference: str | None = None,
        sepa_mandate: str | None = None,
        actor: str | None = None,
        idempotency_key: str | None = None,
    ) -> Organisation:
        """Change an organisation's name, time zone, billing relationship or its details as a
        buyer on invoice documents (None: unchanged; the VAT id is checked).

        A new ``timezone`` applies from ``timezone_from`` on (default: today),
        never from a day already begun (decision 0022).
        """
        who, since = self._who(actor), _maybe_day(timezone_from)
        party = PartyChanges(
            legal_name=legal_name, vat_id=vat_id, address=address, city=city,
            postcode=postcode, country=country, peppol_id=peppol_id,
        )  # fmt: skip
        return self._write(
            idempotency_key,
            c.SetOrganisation(
                org, name, timezone, since, billing_relationship, who,
                **party.as_changes(),
                buyer_reference=buyer_reference, sepa_mandate=sepa_mandate,
            ),
        )  # fmt: skip

    def organisation(self, org: str) -> Organisation:
        return self._run(lambda s: organisations.get_organisation(s, org))

    def organisations(self) -> list[Organisation]:
        return list(self._plain(organisations.list_organisations))

    # --- a seat's life -----------------------------------------------------------------
    def activate(
        self,
        seat: str,
        org: str,
        *,
        on: Day | None = None,
        kind: SeatKind | str = SeatKind.REGULAR,
        holder: str = "",
        addons: Iterable[str] = (),
        reason: str | None = None,
        actor: str | None = None,
        idempotency_key: str | None = None,
    ) -> SeatFact:
        """Open a new seat billed to ``org`` from ``on`` (default: today in the org's zone).

        A backdated ``on`` needs a ``reason``; a future one is refused. Each
        of ``addons`` must be an add-on of the catalog (``unknown-addon``).
        """
        day, seat_kind, who, extras = _maybe_day(on), _kind(kind), self._who(actor), tuple(addons)
        return self._write(
            idempotency_key, c.ActivateSeat(seat, org, who, day, seat_kind, holder, extras, reason)
        )

    def deactivate(
        self,
        seat: str,
        *,
        on: Day | None = None,
        reason: str | None = None,
        actor: str | None = None,
        idempotency_key: str | None = None,
    ) -> SeatFact:
        """End the seat's active interval on ``on``: it is not billed for ``on`` itself."""
        day, who = _maybe_day(on), self._who(actor)
        return self._write(
            idempotency_key,
            c.DeactivateSeat(seat, who, day, reason),
        )

    def complete(
        self,
        seat: str,
        *,
        on: Day | None = None,
        reason: str | None = None,
        actor: str | None = None,
        idempotency_key: str | None = None,
    ) -> SeatFact:
        """Mark the seat's training completed on ``on``: billing stops as for a deactivation."""
        day, who = _maybe_day(on), self._who(actor)
        return self._write(
            idempotency_key,
            c.CompleteSeat(seat, who, day, reason),
        )

    def reactivate(
        self,
        seat: str,
        *,
        on: Day | None = None,
        reason: str | None = None,
        kind: SeatKind | str | None = None,
        holder: str | None = None,
        addons: Iterable[str] | None = None,
        actor: str | None = None,
        idempotency_key: str | None = None,
    ) -> SeatFact:
        """Open a new active interval for a deactivated or completed seat.

        ``addons`` (None: unchanged) must be add-ons of the catalog (``unknown-addon``).
        """
        day, who = _maybe_day(on), self._who(actor)
        seat_kind = None if kind is None else _kind(kind)
        new_addons = None if addons is None else tuple(addons)
        return self._write(
            idempotency_key,
            c.ReactivateSeat(seat, who, day, reason, seat_kind, holder, new_addons),
        )

    def correct(
        self,
        seat: str,
        seq: int,
        *,
        on: Day,
        reason: str,
        actor: str | None = None,
        idempotency_key: str | None = None,
    ) -> SeatFact:
        """Record that fact ``seq`` really happened on ``on`` (the old fact stays in history)."""
        day, who = _day(on), self._who(actor)
        return self._write(
            idempotency_key,
            c.CorrectFact(seat, seq, day, who, reason),
        )

    def retract(
        self,
        seat: str,
        seq: int,
        *,
        reason: str,
        actor: str | None = None,
        idempotency_key: str | None = None,
    ) -> SeatFact:
        """Record that fact ``seq`` never happened (it stays in history, marked retracted)."""
        who = self._who(actor)
        return self._write(
            idempotency_key,
            c.RetractFact(seat, seq, who, reason),
        )

    def add_addon(
        self,
        seat: str,
        addon: str,
        *,
        on: Day | None = None,
        reason: str | None = None,
        actor: str | None = None,
        idempotency_key: str | None = None,
    ) -> SeatFact:
        """The seat holds ``addon`` from ``on`` on (default: today) to the end of its interval."""
        day, who = _maybe_day(on), self._who(actor)
        return self._write(
            idempotency_key,
            c.AddAddon(seat, addon, who, day, reason),
        )

    def remove_addon(
        self,
        seat: str,
        addon: str,
        *,
        on: Day | None = None,
        reason: str | None = None,
        actor: str | None = None,
        idempotency_key: str | None = None,
    ) -> SeatFact:
        """The seat no longer holds ``addon`` from ``on`` on (default: today)."""
        day, who = _maybe_day(on), self._who(actor)
        return self._write(
            idempotency_key,
            c.RemoveAddon(seat, addon, who, day, reason),
        )

    def history(self, seat: str) -> SeatHistory:
        """Every fact of a seat (with its actor and reason), and its timeline today."""
        return self._run(lambda s: seats.history(s, seat, reader=self.actor))

    def import_seats(
        self,
        rows: Iterable[NewSeat],
        *,
        source: str = "api",
        actor: str | None = None,
        idempotency_key: str | None = None,
    ) -> ImportSummary:
        """Import seats new to the ledger with their past; one bad row rejects them all.

        A row's add-ons must be add-ons of the catalog; rows are numbered from 1.
        """
        checked: list[ImportRow] = []
        problems: list[RowProblem] = []
        for line, row in enumerate(rows, start=1):
            kind = row.kind.value if isinstance(row.kind, SeatKind) else row.kind
            parsed = parse_row(
                line,
                {
                    "seat": row.seat,
                    "org": row.org,
                    "activated_on": _day(row.activated_on).isoformat(),
                    "deactivated_on": (
                        "" if row.deactivated_on is None else _day(row.deactivated_on).isoformat()
                    ),
                    "kind": kind,
                    "holder": row.holder,
                    "addons": ";".join(row.addons),
                },
            )
            if isinstance(parsed, Failure):
                problems.extend(parsed.failure())
            else:
                checked.append(parsed.unwrap())
        if problems:
            raise LedgerRefused(ImportRejected(source, tuple(problems)))
        who = self._who(actor)
        return self._write(idempotency_key, c.ImportSeats(checked, source, who))

    def import_roster(
        self,
        path: str | Path,
        *,
        format: RosterFormat | str,
        mode: RosterMode | str | None = None,
        dry_run: bool = False,
        billable_roles: str | Mapping[str, SeatKind] | None = None,
        pay_level: str = "school",
        org: str | None = None,
        bill_completed: bool = False,
        bill_inactive: bool = True,
        threshold: int = 10,
        force: bool = False,
        create_organisations: NewOrganisations | None = None,
        actor: str | None = None,
        idempotency_key: str | None = None,
    ) -> RosterReport:
        """Apply a roster export (OneRoster 1.2 CSV or Canvas SIS; a zip or a folder).

        All its changes or none; the same export imported again changes nothing
        (without ``idempotency_key`` the key is derived from its content). A dry
        run returns the report and writes nothing. See docs/rosters.md.
        """
        roles: Mapping[str, SeatKind]
        if billable_roles is None:
            roles = DEFAULT_BILLABLE
        elif isinstance(billable_roles, str):
            roles = _ok(parse_billable_roles(billable_roles))
        else:
            roles = billable_roles
        fmt = RosterFormat(format)
        policy = RosterPolicy(
            billable=dict(roles),
            pay_level=pay_level,
            org=OrgId(org) if org is not None else None,
            bill_completed=bill_completed,
            bill_inactive=bill_inactive,
            threshold=threshold,
            force=force,
        )
        asked = RosterImport(
            path=Path(path),
            format=fmt,
            mode=RosterMode(mode) if mode is not None else None,
            policy=policy,
            actor=self._who(actor),
            dry_run=dry_run,
            create=create_organisations,
        )
        return self._run(lambda s: roster_import(s, asked, idempotency_key))

    # --- questions ---------------------------------------------------------------------
    def seats_on(self, org: str, on: Day, *, known_at: datetime | None = None) -> SeatsAnswer:
        """The seats ``org`` pays for on ``on``, each with its activation and deactivation date.

        ``known_at`` (timezone-aware) answers as the ledger stood at that instant.
        """
        day = _day(on)
        return self._run(lambda s: questions.seats_on(s, org, day, known_at, reader=self.actor))

    def seats_within(
        self,
        org: str,
        first: Day,
        last: Day,
        *,
        mode: RangeMode | str = RangeMode.OVERLAPPING,
        known_at: datetime | None = None,
    ) -> SeatsAnswer:
        """The seats billed to ``org`` on any day (``overlapping``) or every day
        (``throughout``) of ``[first, last]``."""
        start, end = _day(first), _day(last)
        chosen = mode if isinstance(mode, RangeMode) else RangeMode(mode)
        return self._run(
            lambda s: questions.seats_within(
                s, org, start, end, chosen, known_at, reader=self.actor
            )
        )

    def count_on(self, org: str, on: Day, *, known_at: datetime | None = None) -> int:
        """How many seats ``org`` pays for on ``on``."""
        day = _day(on)
        return self._run(lambda s: questions.count_on(s, org, day, known_at, reader=self.actor))

    # --- admins and transfers --------------------------------------------------------------
    def add_admin(
        self,
        org: str,
        admin: str,
        pin: str,
        *,
        actor: str | None = None,
        idempotency_key: str | None = None,
    ) -> Admin:
        """Give ``org`` an admin with a personal PIN (kept only as a salted scrypt hash).

        With a key, the PIN is not part of the fingerprint, and a replay returns the admin
        without its PIN hash (never stored twice).
        """
        who = self._who(actor)
        return self._write(idempotency_key, c.AddAdmin(org, admin, pin, actor=who))

    def admins(self, org: str) -> list[Admin]:
        return list(self._run(lambda s: admins.list_admins(s, org, reader=self.actor)))

    def unlock_admin(
        self,
        org: str,
        admin: str,
        *,
        by: str | None = None,
        pin: str | None = None,
        actor: str | None = None,
        idempotency_key: str | None = None,
        passphrase: str | None = None,
    ) -> Admin:
        """Another admin of ``org`` (``by``, with their own PIN) unlocks a locked admin; in a
        closed ledger an operator may unlock without one, proving who they are with their
        ``passphrase`` (decision 0029)."""
        who = self._who(actor)
        return self._write(
            idempotency_key,
            c.UnlockAdmin(org, admin, by, pin, actor=who, passphrase=passphrase),
        )

    # --- operators and the audit trail ---------------------------------------------------
    def add_operator(
        self, name: str, *, actor: str | None = None, passphrase: str | None = None
    ) -> Operator:
        """Register ``name`` as an operator; the first one closes the ledger for good. With
        a ``passphrase`` (stored only as a salted scrypt hash) the operator can prove who
        they are, as unlocking an admin without a PIN needs."""
        pins = self._backend.pins() if passphrase is not None else None
        return self._run(
            lambda s: operators.add_operator(
                s, name, actor=self._who(actor), passphrase=passphrase, pins=pins
            )
        )

    def operators(self) -> list[Operator]:
        """The operators, in the order they were added (none: the ledger is open)."""
        return list(self._plain(operators.list_operators))

    def audit(
        self,
        *,
        org: str | None = None,
        seat: str | None = None,
        first: Day | None = None,
        last: Day | None = None,
    ) -> list[AuditEntry]:
        """Who did what and when: entries of ``org`` (either side of a transfer) and/or
        ``seat``, recorded on the days ``first`` to ``last`` (in ``org``'s zone, else UTC)."""
        start, end = _maybe_day(first), _maybe_day(last)
        return list(
            self._run(
                lambda s: operators.audit_trail(
                    s, org=org, seat=seat, first=start, last=end, reader=self.actor
                )
            )
        )

    def request_transfer(
        self,
        seat: str,
        to: str,
        *,
        expires_in_days: int | None = None,
        reason: str | None = None,
        actor: str | None = None,
        idempotency_key: str | None = None,
    ) -> TransferRequest:
        """The paying organisation asks ``to`` to take over the seat's billing."""
        who = self._who(actor)
        return self._write(
            idempotency_key,
            c.RequestTransfer(seat, to, who, expires_in_days, reason),
        )

    def approve(
        self,
        request: str,
        *,
        admin: str,
        pin: str,
        reason: str | None = None,
        actor: str | None = None,
        idempotency_key: str | None = None,
    ) -> TransferRequest:
        """The receiver approves with an admin's PIN: it pays from today on."""
        who = self._who(actor)
        return self._write(
            idempotency_key, c.ApproveTransfer(request, admin, pin, actor=who, reason=reason)
        )

    def reject(
        self,
        request: str,
        *,
        admin: str,
        pin: str,
        reason: str | None = None,
        actor: str | None = None,
        idempotency_key: str | None = None,
    ) -> TransferRequest:
        """The receiver declines with an admin's PIN: the sender keeps paying."""
        who = self._who(actor)
        return self._write(
            idempotency_key, c.RejectTransfer(request, admin, pin, actor=who, reason=reason)
        )

    def withdraw(
        self,
        request: str,
        *,
        reason: str | None = None,
        actor: str | None = None,
        idempotency_key: str | None = None,
    ) -> TransferRequest:
        """The sender takes its pending request back."""
        who = self._who(actor)
        return self._write(
            idempotency_key,
            c.WithdrawTransfer(request, who, reason),
        )

    def take_over(
        self,
        seat: str,
        by: str,
        *,
        admin: str,
        pin: str,
        reason: str | None = None,
        actor: str | None = None,
        idempotency_key: str | None = None,
    ) -> SeatFact:
        """An admin of ``by`` takes over the seat's billing at once, on their own consent."""
        who = self._who(actor)
        return self._write(
            idempotency_key, c.TakeOver(seat, by, admin, pin, actor=who, reason=reason)
        )

    def transfers(self, org: str | None = None, *, pending_only: bool = False) -> list[RequestView]:
        """Requests sent or received by ``org`` (all if None), with status and deadline.

        A pending request's ``deadline`` is the sender's next count date
        (its monthly reference rule, its annual count date, or month end).
        """

        def listed(s: Services) -> Result[Sequence[RequestView], LedgerError]:
            return transfers.list_requests(s, org, pending_only=pending_only)

        return list(self._run(listed))

    def expire_transfers(
        self, *, actor: str | None = None, idempotency_key: str | None = None
    ) -> list[TransferRequest]:
        """Expire pending requests past their last day."""
        who = self._who(actor)
        expired: Sequence[TransferRequest] = self._write(idempotency_key, c.ExpireTransfers(who))
        return list(expired)

    # --- contracts and usage -----------------------------------------------------------------
    def set_contract(
        self,
        org: str,
        *,
        plan: str | None = None,
        cadence: Cadence | str | None = None,
        reference: str | None = None,
        year_start: str | None = None,
        count_days_before: int | None = None,
        licensed: int | None = None,
        overage_price: Decimal | str | int | None = None,
        vat_percent: Decimal | str | int | None = None,
        trial_until: Day | None = None,
        payment_method: PaymentMethod | str | None = None,
        discount_code: str | None = None,
        effective_from: PeriodLike | None = None,
        annual_start: AnnualStart | str | None = None,
        leave_annual: LeaveAnnual | str | None = None,
        transfer_coverage: PaidCoverage | str | None = None,
        negative_balance: NegativeBalance | str | None = None,
        overage_invoice: OverageDocument | str | None = None,
        vat_category: VatTreatment | str | None = None,
        remove: Iterable[str] = (),
        actor: str | None = None,
        idempotency_key: str | None = None,
    ) -> Contract:
        """Append a contract version; terms left out keep their current values.

        The policies of money over the contract's life (``docs/billing.md``):
        ``annual_start`` (``pro-rata``, ``monthly``, ``next-year``),
        ``leave_annual`` (``wait``, ``credit``), ``transfer_coverage``
        (``carried``, ``credited``), ``negative_balance`` (``credit-note``,
        ``carry``), ``overage_invoice`` (``same``, ``separate``) and
        ``vat_category`` (``standard``, ``zero``, ``exempt``); ``remove``
        names terms to drop from this version on (``discount``, ``licence``,
        ``trial``).
        """
        terms = ContractTerms(
            plan=plan,
            cadence=None if cadence is None else Cadence(cadence),
            reference=reference,
            year_start=year_start,
            count_days_before=count_days_before,
            licensed=licensed,
            overage_price=_decimal(overage_price, "overage_price"),
            vat_percent=_decimal(vat_percent, "vat_percent"),
            trial_until=_maybe_day(trial_until),
            payment_method=None if payment_method is None else PaymentMethod(payment_method),
            discount_code=discount_code,
            effective_from=None if effective_from is None else _period(effective_from),
            annual_start=_policy(AnnualStart, annual_start, "annual_start"),
            leave_annual=_policy(LeaveAnnual, leave_annual, "leave_annual"),
            paid_coverage=_policy(PaidCoverage, transfer_coverage, "transfer_coverage"),
            negative_balance=_policy(NegativeBalance, negative_balance, "negative_balance"),
            overage_document=_policy(OverageDocument, overage_invoice, "overage_invoice"),
            vat_treatment=_policy(VatTreatment, vat_category, "vat_category"),
            remove=_removed(remove),
        )
        who = self._who(actor)
        return self._write(idempotency_key, c.SetContract(org, terms, who))

    def contract(self, org: str) -> ContractStatus:
        """The contract in force this period, its versions and the subscription status."""
        return self._run(lambda s: contracts.contract_status(s, org))

    def record_usage(
        self,
        org: str,
        kind: str,
        *,
        quantity: int = 1,
        on: Day | None = None,
        actor: str | None = None,
        idempotency_key: str | None = None,
    ) -> UsageRecord:
        """Record usage (new dossiers, paid questionnaires), billed in arrears."""
        day, who = _maybe_day(on), self._who(actor)
        return self._write(idempotency_key, c.RecordUsage(org, kind, quantity, day, who))

    def list_usage(
        self,
        org: str,
        *,
        first: Day | None = None,
        last: Day | None = None,
        known_at: datetime | None = None,
    ) -> UsageListing:
        """``org``'s usage records dated within ``[first, last]`` (None: unbounded), as known
        at ``known_at`` (None: now), each with its status (in force, corrected, retracted)."""
        start, end = _maybe_day(first), _maybe_day(last)
        return self._run(
            lambda s: usage_cases.list_usage(
                s, org, first=start, last=end, known_at=known_at, reader=self.actor
            )
        )

    def correct_usage(
        self,
        record: int,
        *,
        quantity: int,
        on: Day | None = None,
        reason: str,
        actor: str | None = None,
        idempotency_key: str | None = None,
    ) -> UsageEntry:
        """Correct usage record ``record``: a new record (returned) supersedes it from now on."""
        day, who = _maybe_day(on), self._who(actor)
        return self._write(
            idempotency_key,
            c.CorrectUsage(record, quantity, day, reason, who),
        )

    def retract_usage(
        self,
        record: int,
        *,
        reason: str,
        actor: str | None = None,
        idempotency_key: str | None = None,
    ) -> UsageEntry:
        """Retract usage record ``record``: it never happened; billed no more from now on."""
        who = self._who(actor)
        return self._write(
            idempotency_key,
            c.RetractUsage(record, reason, who),
        )

    # --- billing and proof ---------------------------------------------------------------------
    def bill_run(
        self,
        period: PeriodLike,
        *,
        org: str | None = None,
        dry_run: bool = False,
        actor: str | None = None,
    ) -> RunReport:
        """Bill ``period`` (``YYYY-MM``) for every organisation or one; idempotent.

        ``dry_run`` computes the invoices as a forecast and stores nothing.
        """
        chosen = _period(period)
        catalog = self._backend.catalog()
        return self._run(
            lambda s: billing.bill_run(
                s, catalog, chosen, org=org, dry_run=dry_run, actor=self._who(actor)
            )
        )

    def invoices(self, org: str | None = None, period: PeriodLike | None = None) -> list[Invoice]:
        chosen = None if period is None else _period(period)
        return list(self._run(lambda s: billing.list_invoices(s, org, chosen, reader=self.actor)))

    def invoice(self, invoice: str) -> Invoice:
        return self._run(lambda s: billing.get_invoice(s, invoice, reader=self.actor))

    def verify(self, invoice: str, *, document: bytes | None = None) -> Verification:
        """Recompute an issued invoice from history as known at its cut; check its hash, its
        seal in the chain of issued documents, and its organisation's projection against the
        facts (docs/verify.md).

        With ``document`` (an exported UBL file's bytes), also check that it states the
        stored invoice: number, issue date, totals, corrected invoices, evidence.
        """
        found = self._run(lambda s: billing.verify_invoice(s, invoice))
        if document is None:
            return found
        view = self._run(lambda s: documents.document_view(s, invoice))
        facts = _ok(read_ubl(document))
        problems = compare(view, facts, evidence_csv(view.invoice.evidence.seats))
        return attrs.evolve(found, problems=found.problems + tuple(problems))

    def export_invoice(self, invoice: str, format: str = "pdf") -> bytes:
        """An issued invoice or credit note as a document: ``pdf`` (with its proof annex) or
        ``ubl`` (UBL 2.1, Peppol BIS Billing 3.0), as bytes."""
        if format not in ("pdf", "ubl"):
            raise ValueError(f"format must be 'pdf' or 'ubl', not {format!r}")
        view = self._run(lambda s: documents.document_view(s, invoice))
        csv_text = evidence_csv(view.invoice.evidence.seats)
        if format == "ubl":
            return _ok(ubl_document(view, csv_text))
        return pdf_document(view, csv_text)

    # --- the seller --------------------------------------------------------------------------
    def set_seller(
        self,
        *,
        legal_name: str | None = None,
        vat_id: str | None = None,
        address: str | None = None,
        city: str | None = None,
        postcode: str | None = None,
        country: str | None = None,
        peppol_id: str | None = None,
        iban: str | None = None,
        invoice_series: str | None = None,
        payment_days: int | None = None,
        actor: str | None = None,
        idempotency_key: str | None = None,
    ) -> Seller:
        """Set the seller named on the documents issued from now on (as ``seller set``)."""
        who = self._who(actor)
        changes = PartyChanges(
            legal_name=legal_name, vat_id=vat_id, address=address, city=city,
            postcode=postcode, country=country, peppol_id=peppol_id,
        )  # fmt: skip
        return self._write_keyed(
            idempotency_key,
            "seller.set",
            {"party": changes.as_changes(), "iban": iban, "invoice_series": invoice_series,
             "payment_days": payment_days, "actor": who},
            lambda s: parties.set_seller(
                s, changes, iban=iban, invoice_series=invoice_series,
                payment_days=payment_days, actor=who,
            ),
            codecs.SELLER,
        )  # fmt: skip

    def seller(self) -> Seller | None:
        return self._plain(parties.get_seller)

    def verify_all(self) -> LedgerVerification:
        """``verify`` of every issued invoice, the whole chain walked once, every seat's facts
        replayed; ``.ok`` is True if nothing differs."""
        return self._run(billing.verify_ledger)

    def explain(self, invoice: str) -> list[str]:
        """Each line of an invoice and where it comes from, in words a client would accept."""
        return billing.explain(self.invoice(invoice))

    # --- notifications --------------------------------------------------------------------------
    def set_contact(
        self,
        org: str,
        *,
        emails: Sequence[str] | None = None,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        actor: str | None = None,
        idempotency_key: str | None = None,
    ) -> Contact:
        """Where ``org``'s notifications go; options left out keep their values.

        With a key, the secret is not part of the fingerprint (only whether one was given),
        and a replay returns the contact with its secret redacted (never stored twice).
        """
        return self._write(
            idempotency_key,
            c.SetContact(
                org, None if emails is None else list(emails), webhook_url, webhook_secret,
                actor=self._who(actor),
            ),
        )  # fmt: skip

    def contact(self, org: str) -> Contact:
        return self._run(lambda s: notify.get_contact(s, org, reader=self.actor))

    def remind(
        self, policy: ReminderPolicy | None = None, *, actor: str | None = None
    ) -> ReminderReport:
        """Enqueue today's reminders (re-running on the same day enqueues nothing new)."""
        chosen = policy if policy is not None else notify.DEFAULT_POLICY
        return self._run(lambda s: notify.remind(s, chosen, actor=self._who(actor)))

    def deliver(
        self,
        notifiers: Sequence[Notifier] | None = None,
        *,
        limit: int = 100,
        actor: str | None = None,
    ) -> DeliveryReport:
        """Deliver the outbox messages due now (default: to the ``seatledger.notify`` logger)."""
        chosen = (
            notifiers if notifiers is not None else [LogNotifier(logging.getLogger(NOTIFY_LOGGER))]
        )
        return self._run(lambda s: notify.deliver(s, chosen, limit=limit, actor=self._who(actor)))

    def outbox(
        self, status: DeliveryStatus | None = None, *, limit: int = 100
    ) -> list[OutboxEntry]:
        return list(self._plain(lambda s: notify.outbox(s, status, limit)))


def connect(
    url: str | None = None,
    *,
    today: date | None = None,
    catalog: Path | None = None,
    actor: str = DEFAULT_ACTOR,
    create: bool = True,
) -> Ledger:
    """Open the ledger in a database and return it.

    ``url`` is a SQLAlchemy URL or a path to a SQLite file (default:
    ``./seatledger.db``). A fresh or missing SQLite file gets the schema when
    ``create`` is true; any database at an older schema is refused
    (``LedgerRefused`` with code ``database-not-initialised``): upgrade it with
    ``seatledger init``. ``today`` simulates a day (default: the real clock);
    ``catalog`` is a plan catalog TOML file (default: the shipped one).
    """
    from seatledger.adapters.sql import SqlUnitOfWork

    db_url = bootstrap.database_url(url)
    if not create and db_url.startswith("sqlite:///") and not _sqlite_file_exists(db_url):
        raise LedgerRefused(bootstrap.DatabaseNotReady(db_url, None))
    settings = bootstrap.Settings(db_url=db_url, today=today, actor=actor, catalog=catalog)
    opened = _ok(bootstrap.open_services(settings))
    uow = opened.services.uow
    if not isinstance(uow, SqlUnitOfWork):  # pragma: no cover - bootstrap opens SQL only
        opened.close()
        raise TypeError(f"expected a SQL unit of work, got {uow!r}")
    engine, box = uow.engine, uow.secrets  # every thread's unit of work: one secrets key
    backend = _Backend(
        lambda: SqlUnitOfWork(engine, box),
        close=opened.close,
        catalog=catalog,
        serialise=False,
        database=opened.database,
        created=opened.created,
    )
    return Ledger(backend, opened.services.clock, actor, owner=True)


def in_memory(
    today: date | None = None, *, catalog: Path | None = None, actor: str = DEFAULT_ACTOR
) -> Ledger:
    """A ledger in memory, for a host's unit tests: same rules, nothing stored on disk."""
    services = bootstrap.in_memory_services(today)
    return over(services.uow, today=today, catalog=catalog, actor=actor, database="memory")


def over(
    uow: UnitOfWork,
    *,
    today: date | None = None,
    catalog: Path | None = None,
    actor: str = DEFAULT_ACTOR,
    database: str = "custom",
) -> Ledger:
    """A ledger over a unit of work of your own (e.g. a repository over a host's tables).

    Calls are serialised with a lock, since one unit of work holds one
    transaction at a time.
    """
    backend = _Backend(
        lambda: uow,
        close=lambda: None,
        catalog=catalog,
        serialise=True,
        database=database,
        created=False,
    )
    return Ledger(backend, bootstrap.clock_for(today), actor, owner=True)


def _sqlite_file_exists(url: str) -> bool:
    path = url.removeprefix("sqlite:///")
    return path in ("", ":memory:") or Path(path).exists()
