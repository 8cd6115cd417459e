"""What every command shares: the global options, and services opened once, on first use."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import click
from attrs import define

from seatledger.domain.dates import parse_date, parse_instant
from seatledger.domain.services.context import Services
from seatledger.entrypoints.bootstrap import ServicesFactory, Settings, open_services
from seatledger.entrypoints.cli.errors import unwrap


@define
class App:
    """The global options of one invocation, and the services built from them.

    ``preset`` replaces the database (in-process tests hand in services over
    an in-memory ledger); otherwise ``factory`` opens the one named by ``--db``.
    """

    settings: Settings
    as_json: bool
    preset: Services | None = None
    factory: ServicesFactory = open_services
    _services: Services | None = None
    _close: Callable[[], None] | None = None

    def services(self) -> Services:
        if self._services is None:
            if self.preset is not None:
                self._services = self.preset
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

    @property
    def actor(self) -> str:
        return self.settings.actor


pass_app = click.make_pass_decorator(App)


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
