"""The composition root: the one place that picks concrete adapters.

Entrypoints describe what they want (a database URL, a simulated day, an
actor) as ``Settings``; this module turns that into ``Services`` (a unit of
work and a clock) for the use cases.

Database policy, so nobody loses data by surprise:

* ``init_database`` creates the schema or upgrades it to the newest revision.
* ``open_services`` on a SQLite database that does not exist yet, or is empty
  (no tables at all), creates the schema and says so (``Opened.created``):
  the first command in a fresh directory just works.
* Any other database without the schema, or at an older revision, is refused
  with a message to run ``seatledger init``: an upgrade is never silent.

It also picks the plan catalog (``--catalog FILE``, ``SEATLEDGER_CATALOG`` or
the one shipped with the package) and the PIN hasher (scrypt).
"""

from __future__ import annotations

import errno
import getpass
import os
import time
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Final

from attrs import frozen
from returns.result import Failure, Result, Success

from seatledger.adapters.catalog.loader import load_catalog
from seatledger.adapters.clock import SimulatedDay, SystemClock
from seatledger.adapters.pin_hasher import ScryptPinHasher
from seatledger.adapters.secret_box import SecretBox, SecretKeyError, key_for
from seatledger.domain.catalog import Catalog
from seatledger.domain.errors import InvalidCatalog, InvalidKey, LedgerError, SecretKeyUnusable
from seatledger.domain.notifications import Notifier
from seatledger.domain.ports import Clock, PinHasher, UnitOfWork
from seatledger.domain.seals import SignatureChecker, Signer
from seatledger.domain.services.context import Services

if TYPE_CHECKING:
    from sqlalchemy import Engine

DEFAULT_DATABASE: Final = "sqlite:///seatledger.db"
# Files of the Ed25519 keys that sign and check invoice seals, outside the database
# (decision 0037): the private key of the issuer; public keys (os.pathsep between them).
SIGNING_KEY_VARIABLE: Final = "SEATLEDGER_SIGNING_KEY"
VERIFY_KEYS_VARIABLE: Final = "SEATLEDGER_VERIFY_KEYS"
# Hosts a webhook URL may name although internal or plain http (comma-separated; decision 0039).
WEBHOOK_HOSTS_VARIABLE: Final = "SEATLEDGER_ALLOW_WEBHOOK_HOSTS"


def webhook_hosts(environ: Mapping[str, str]) -> frozenset[str]:
    return frozenset(
        h.strip().lower() for h in environ.get(WEBHOOK_HOSTS_VARIABLE, "").split(",") if h.strip()
    )


FALLBACK_ACTOR: Final = "seatledger"


@frozen
class Settings:
    """What the caller asked for: where the ledger is, what day it is, who is acting."""

    db_url: str = DEFAULT_DATABASE
    today: date | None = None
    actor: str = FALLBACK_ACTOR
    catalog: Path | None = None


@frozen
class DatabaseNotReady(LedgerError):
    """The database has no seatledger schema or an older one, and is not upgraded silently."""

    code: ClassVar[str] = "database-not-initialised"
    database: str
    revision: str | None

    @property
    def message(self) -> str:
        if self.revision is None:
            return (
                f"the database {self.database} has no seatledger schema: run 'seatledger init' "
                "to create it"
            )
        return (
            f"the database {self.database} is at schema revision {self.revision}, older than "
            "this seatledger needs: run 'seatledger init' to upgrade it (back it up first)"
        )


@frozen
class InitReport:
    """What ``init_database`` did: the revision before (None: no schema) and after."""

    database: str
    previous_revision: str | None
    revision: str | None
    secrets_encrypted: int = 0  # webhook secrets found in plain text and encrypted

    @property
    def changed(self) -> bool:
        return self.previous_revision != self.revision


@frozen
class Opened:
    """Services ready for the use cases; ``created`` if a fresh SQLite file was set up.

    ``close`` releases the database connections (call it when done).
    """

    services: Services
    database: str
    created: bool
    close: Callable[[], None]


def database_url(text: str | None) -> str:
    """A SQLAlchemy URL; a plain path means a SQLite file; None means ``./seatledger.db``."""
    if text is None or not text.strip():
        return DEFAULT_DATABASE
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser()}"


def default_actor() -> str:
    """The operating-system user, who acts unless ``--actor`` says otherwise."""
    try:
        return getpass.getuser() or FALLBACK_ACTOR
    except (KeyError, OSError):  # no login name (some containers)
        return FALLBACK_ACTOR


def clock_for(today: date | None) -> Clock:
    """A simulated day for ``--today``, else the system clock."""
    return SimulatedDay(today) if today is not None else SystemClock()


def with_clock(services: Services, today: date) -> Services:
    """The same ledger seen on another simulated day (demos and back-fills)."""
    return Services(
        uow=services.uow,
        clock=SimulatedDay(today),
        signer=services.signer,
        seal_keys=services.seal_keys,
        pause=services.pause,
        webhook_hosts=services.webhook_hosts,
    )


def seal_keys(
    environ: Mapping[str, str],
) -> Result[tuple[Signer | None, SignatureChecker | None], InvalidKey]:
    """The signer and the checker of seals the environment names (None: none configured).

    The checker knows the signer's own public key and every key in
    ``SEATLEDGER_VERIFY_KEYS`` (older keys, or a verifier's copy of the issuer's).
    """
    from seatledger.adapters.signing import (
        Ed25519Checker,
        Ed25519Signer,
        KeyFileError,
        load_public_key,
    )

    private = environ.get(SIGNING_KEY_VARIABLE, "").strip()
    public = [p for p in environ.get(VERIFY_KEYS_VARIABLE, "").split(os.pathsep) if p.strip()]
    try:
        signer = Ed25519Signer.from_file(Path(private)) if private else None
    except KeyFileError as error:
        return Failure(InvalidKey(SIGNING_KEY_VARIABLE, str(error)))
    try:
        keys = [load_public_key(Path(p.strip())) for p in public]
    except KeyFileError as error:
        return Failure(InvalidKey(VERIFY_KEYS_VARIABLE, str(error)))
    if signer is not None:
        keys.append(signer.public)
    return Success((signer, Ed25519Checker(keys) if keys else None))


def init_database(url: str) -> InitReport:
    """Create the schema, or upgrade it to the newest revision."""
    from seatledger.adapters.sql import SqlUnitOfWork, schema_revision, upgrade

    engine = _engine(url)
    try:
        before = schema_revision(engine)
        upgrade(engine)
        # Webhook secrets stored before they were encrypted are encrypted now (decision 0040).
        uow = SqlUnitOfWork(engine, secret_box(url, os.environ))
        with uow.transaction(write=True) as ledger:
            sealed = ledger.seal_plain_secrets()
            uow.commit()
        return InitReport(_shown(engine), before, schema_revision(engine), sealed)
    finally:
        engine.dispose()


def secret_box(url: str, environ: Mapping[str, str]) -> SecretBox:
    """The key of webhook secrets: ``SEATLEDGER_SECRET_KEY``'s file, else the ledger's own.

    Raises ``SecretKeyError`` (a ``store_failure``) for a key file that cannot be used.
    """
    return key_for(url, environ)


def open_services(settings: Settings) -> Result[Opened, LedgerError]:
    """The services for a database that has the newest schema (see the module's policy)."""
    from seatledger.adapters.sql import SqlUnitOfWork, is_current, schema_revision, upgrade

    engine = _engine(settings.db_url)
    created = False
    if not is_current(engine):
        revision = schema_revision(engine)
        if revision is None and _is_blank_sqlite(engine):
            upgrade(engine)
            created = True
        else:
            shown = _shown(engine)
            engine.dispose()
            return Failure(DatabaseNotReady(shown, revision))
    keys = seal_keys(os.environ)
    if isinstance(keys, Failure):
        engine.dispose()
        return Failure(keys.failure())
    signer, checker = keys.unwrap()
    try:
        box = secret_box(settings.db_url, os.environ)
    except SecretKeyError as error:
        engine.dispose()
        return Failure(SecretKeyUnusable(str(error)))
    uow: UnitOfWork = SqlUnitOfWork(engine, box)
    services = Services(
        uow=uow,
        clock=clock_for(settings.today),
        signer=signer,
        seal_keys=checker,
        pause=time.sleep,
        webhook_hosts=webhook_hosts(os.environ),
    )
    return Success(Opened(services, _shown(engine), created, engine.dispose))


def catalog_for(settings: Settings) -> Result[Catalog, InvalidCatalog]:
    """The plan catalog: ``settings.catalog`` if given, else the one shipped with seatledger."""
    return load_catalog(settings.catalog)


def pin_hasher() -> PinHasher:
    """The PIN hasher: salted scrypt, compared in constant time."""
    return ScryptPinHasher()


def in_memory_services(today: date | None) -> Services:
    """Services over a fresh in-memory ledger (in-process tests and experiments)."""
    from seatledger.adapters.memory import InMemoryUnitOfWork

    return Services(
        uow=InMemoryUnitOfWork(),
        clock=clock_for(today),
        pause=time.sleep,
        webhook_hosts=webhook_hosts(os.environ),
    )


ServicesFactory = Callable[[Settings], Result[Opened, LedgerError]]


def _engine(url: str) -> Engine:
    from sqlalchemy.engine import make_url

    from seatledger.adapters.sql import make_engine

    parsed = make_url(url)
    # SQLite would say only "unable to open database file": say what is wrong.
    if parsed.get_backend_name() == "sqlite" and parsed.database and Path(parsed.database).is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a directory", parsed.database)
    return make_engine(url)


def _shown(engine: Engine) -> str:
    """The database's URL for messages, never with its password."""
    return engine.url.render_as_string(hide_password=True)


def _is_blank_sqlite(engine: Engine) -> bool:
    """A SQLite database with no tables at all (a file just created, or in memory)."""
    from sqlalchemy import inspect

    if engine.dialect.name != "sqlite":
        return False
    return not inspect(engine).get_table_names()


@frozen
class InvalidNotifierSetting(LedgerError):
    """A notification setting in the environment that cannot be used."""

    code: ClassVar[str] = "invalid-notifier-setting"
    variable: str
    problem: str

    @property
    def message(self) -> str:
        return f"{self.variable}: {self.problem}"


def notifiers(environ: Mapping[str, str]) -> Result[list[Notifier], LedgerError]:
    """The channels messages go out on, from the environment.

    The log (standard error) always; e-mail when ``SEATLEDGER_SMTP_HOST`` is
    set (with ``SEATLEDGER_SMTP_PORT``, ``SEATLEDGER_SMTP_FROM``, and
    ``SEATLEDGER_SMTP_USER``/``SEATLEDGER_SMTP_PASSWORD`` over
    ``SEATLEDGER_SMTP_STARTTLS=1``); webhooks always (each organisation's
    contact names its URL and secret).
    """
    from seatledger.adapters.notify import LogNotifier, SmtpNotifier, WebhookNotifier

    chosen: list[Notifier] = [LogNotifier(), WebhookNotifier()]
    host = environ.get("SEATLEDGER_SMTP_HOST")
    if host:
        port_text = environ.get("SEATLEDGER_SMTP_PORT", "25")
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            return Failure(
                InvalidNotifierSetting("SEATLEDGER_SMTP_PORT", f"{port_text!r} is not a port")
            )
        try:
            chosen.append(
                SmtpNotifier(
                    host,
                    int(port_text),
                    environ.get("SEATLEDGER_SMTP_FROM", "seatledger@localhost"),
                    starttls=environ.get("SEATLEDGER_SMTP_STARTTLS", "") in ("1", "true", "yes"),
                    username=environ.get("SEATLEDGER_SMTP_USER") or None,
                    password=environ.get("SEATLEDGER_SMTP_PASSWORD") or None,
                )
            )
        except ValueError as exc:
            return Failure(InvalidNotifierSetting("SEATLEDGER_SMTP_*", str(exc)))
    return Success(chosen)
