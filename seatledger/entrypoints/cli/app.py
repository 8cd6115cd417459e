"""What every command shares: the global options, and services opened once, on first use."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import date, datetime
from functools import update_wrapper
from typing import Concatenate, Final, ParamSpec, TypeVar

import click
from attrs import define
from returns.result import Result

from seatledger.domain import idempotency
from seatledger.domain.catalog import Catalog
from seatledger.domain.dates import Period, parse_date, parse_instant
from seatledger.domain.errors import LedgerError
from seatledger.domain.idempotency import IdempotencyKey, ResultCodec
from seatledger.domain.ports import PinHasher
from seatledger.domain.services.commands import Command
from seatledger.domain.services.context import Services
from seatledger.domain.services.dispatch import Tools
from seatledger.domain.services.idempotency import run_once
from seatledger.entrypoints.bootstrap import (
    ServicesFactory,
    Settings,
    catalog_for,
    open_services,
    pin_hasher,
    with_clock,
)
from seatledger.entrypoints.cli.errors import unwrap
from seatledger.entrypoints.dispatcher import execute, new_secret

PIN_VARIABLE: Final = "SEATLEDGER_PIN"
PASSPHRASE_VARIABLE: Final = "SEATLEDGER_PASSPHRASE"


@define
class App:
    """The global options of one invocation, and the services built from them.

    ``preset`` replaces the database (in-process tests hand in services over
    an in-memory ledger; ``--today`` still moves their clock); otherwise
    ``factory`` opens the one named by ``--db``. The catalog is loaded on
    first use, so commands that do not price anything never read it.
    """

    settings: Settings
    as_json: bool
    preset: Services | None = None
    idempotency_key: str | None = None
    factory: ServicesFactory = open_services
    _services: Services | None = None
    _close: Callable[[], None] | None = None
    _catalog: Catalog | None = None
    _pins: PinHasher | None = None

    def services(self) -> Services:
        if self._services is None:
            if self.preset is not None:
                today = self.settings.today
                self._services = self.preset if today is None else with_clock(self.preset, today)
            else:
                opened = unwrap(self.factory(self.settings))
                if opened.created:
                    click.echo(f"seatledger: created a new database {opened.database}", err=True)
                self._services = opened.services
                self._close = opened.close
        return self._services

    def close(self) -> None:
        """Release the database (the group calls this when the command is done)."""
        if self._close is not None:
            self._close()
            self._close = None

    def once(
        self,
        command: str,
        arguments: Mapping[str, object],
        run: Callable[[Services], Result[T, LedgerError]],
        codec: ResultCodec[T],
    ) -> Result[T, LedgerError]:
        """Run a write that is not yet a command value (``seller set``); with
        ``--idempotency-key``, at most once for that key, like every other write."""
        services = self.services()
        if self.idempotency_key is None:
            return run(services)
        key = unwrap(IdempotencyKey.parse(self.idempotency_key))
        return run_once(services, idempotency.request(key, command, arguments), run, codec)

    def execute(self, command: Command[T]) -> Result[T, LedgerError]:
        """Run a write command through the one dispatcher; with ``--idempotency-key``, at
        most once for that key (a retry prints what the first run printed)."""
        tools = Tools(catalog=self.catalog, pins=lambda: self.pins, new_secret=new_secret)
        return execute(self.services(), command, tools, self.idempotency_key)

    @property
    def actor(self) -> str:
        return self.settings.actor

    def catalog(self) -> Catalog:
        """The plan catalog; an invalid one refuses the command (invalid-catalog)."""
        if self._catalog is None:
            self._catalog = unwrap(catalog_for(self.settings))
        return self._catalog

    @property
    def pins(self) -> PinHasher:
        if self._pins is None:
            self._pins = pin_hasher()
        return self._pins


P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")

# The commands that take --idempotency-key (marked with ``accepts_idempotency_key``).
_KEYED: set[click.Command] = set()

# Commands that change something but refuse a key, and why (docs/decisions/0010).
_NOT_KEYED: Final = {
    "bill run": "it is idempotent by itself (one invoice per organisation, period and kind; "
    "run it again to finish an interrupted run)",
    "remind": "it is idempotent by itself (running it again the same day sends nothing twice)",
    "notify deliver": "it sends messages outside the database, at least once by design",
    "init": "it is idempotent by itself (run again, it changes nothing)",
    "demo": "it builds its own database",
    "invoice seal": "signing the chain again only adds a checkpoint; it changes no money",
    "serve": "it serves requests, and each write request takes its own Idempotency-Key header",
}


def accepts_idempotency_key(command: click.Command) -> click.Command:
    """Mark a write command as applying the global ``--idempotency-key``."""
    _KEYED.add(command)
    return command


def keyed_commands() -> frozenset[click.Command]:
    """The commands that take ``--idempotency-key``."""
    return frozenset(_KEYED)


def check_idempotency_key(ctx: click.Context, app: App) -> None:
    """Refuse ``--idempotency-key`` on a command that would silently ignore it (exit 2)."""
    if app.idempotency_key is None or ctx.command in _KEYED:
        return
    name = ctx.command_path.split(" ", 1)[-1]
    why = _NOT_KEYED.get(name, "it only reads, so a key would do nothing")
    raise click.UsageError(f"--idempotency-key is not taken by '{name}': {why}", ctx=ctx)


def pass_app(f: Callable[Concatenate[App, P], R]) -> Callable[P, R]:
    """Pass the invocation's ``App`` first; refuse a key the command would not apply."""

    def new_func(*args: P.args, **kwargs: P.kwargs) -> R:
        ctx = click.get_current_context()
        app = ctx.find_object(App)
        if app is None:
            raise RuntimeError("the seatledger group did not set up its App")
        check_idempotency_key(ctx, app)
        return ctx.invoke(f, app, *args, **kwargs)

    return update_wrapper(new_func, f)


def day_option(text: str | None) -> date | None:
    """A date option's value (None if not given); a bad date refuses the command (exit 1)."""
    if text is None:
        return None
    return unwrap(parse_date(text))


def required_day(text: str) -> date:
    return unwrap(parse_date(text))


def known_at_option(text: str | None) -> datetime | None:
    """An ``--as-known-at`` instant; one without a time zone is refused (naive-instant)."""
    if text is None:
        return None
    return unwrap(parse_instant(text))


def period_option(text: str | None) -> Period | None:
    """A ``YYYY-MM`` option's value (None if not given); a bad one refuses (invalid-period)."""
    if text is None:
        return None
    return unwrap(Period.parse(text))


def read_passphrase(prompt: str, *, confirm: bool = False) -> str:
    """An operator's passphrase from ``SEATLEDGER_PASSPHRASE``, else a hidden prompt.

    Like a PIN it is never an argument, never printed, and stored only hashed.
    """
    from_env = os.environ.get(PASSPHRASE_VARIABLE)
    if from_env is not None:
        return from_env
    passphrase: str = click.prompt(
        prompt, hide_input=True, confirmation_prompt=confirm, err=True, show_default=False
    )
    return passphrase


def read_pin(prompt: str, *, confirm: bool = False) -> str:
    """A PIN from ``SEATLEDGER_PIN`` (scripts), else from a hidden prompt; never an argument.

    The value is handed to the use case and forgotten: it is never printed,
    logged or stored (only its scrypt hash is, by ``admin add``).
    """
    from_env = os.environ.get(PIN_VARIABLE)
    if from_env is not None:
        return from_env
    pin: str = click.prompt(
        prompt,
        hide_input=True,
        confirmation_prompt=confirm,
        err=True,
        show_default=False,
        type=str,
    )
    return pin
