"""Webhook secrets encrypted at rest with a key kept outside the database (decision 0040).

A stored secret is ``fernet:`` and a Fernet token (AES-128-CBC with an
HMAC-SHA256, from the ``cryptography`` package) of the secret's UTF-8 bytes.
A stored value without the prefix is a plain-text secret written before
encryption: it is still read as it is, and ``seatledger init`` re-encrypts it.

Where the key comes from (``key_for``):

* ``SEATLEDGER_SECRET_KEY`` names a file holding a Fernet key (44 characters
  of URL-safe base64, as ``Fernet.generate_key()`` writes it). An operator
  who runs several machines against one database gives each the same file.
* Without it, each ledger has its own key file, made on first need with mode
  0600: beside a SQLite database (``ledger.db.secret-key``), and for a server
  database in ``$XDG_DATA_HOME/seatledger/secret-keys`` (default
  ``~/.local/share``), named by a hash of the database's URL without its
  password. A copy of the database alone then never reveals a secret.
* A SQLite database in memory gets a key that lives as long as the process.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final

from cryptography.fernet import Fernet, InvalidToken

KEY_VARIABLE: Final = "SEATLEDGER_SECRET_KEY"
PREFIX: Final = "fernet:"
MAX_KEY_FILE: Final = 4096  # bytes read from a key file, at most


class SecretKeyError(Exception):
    """A key file that cannot be read or is not a Fernet key; or a secret the key cannot open."""


class SecretBox:
    """Seals secrets for storage and opens them again."""

    def __init__(self, key: bytes | Callable[[], bytes]) -> None:
        # A callable is asked once, at the first secret sealed or opened: a ledger's own key
        # file is made only when it first stores a secret.
        self._key = key
        self._made: Fernet | None = None

    @classmethod
    def generated(cls) -> SecretBox:
        return cls(Fernet.generate_key())

    @property
    def _fernet(self) -> Fernet:
        if self._made is None:
            self._made = Fernet(self._key() if callable(self._key) else self._key)
        return self._made

    def seal(self, secret: str) -> str:
        return PREFIX + self._fernet.encrypt(secret.encode("utf-8")).decode("ascii")

    def open(self, stored: str) -> str:
        """The secret a stored value holds (a value without the prefix is plain text)."""
        if not is_sealed(stored):
            return stored
        try:
            return self._fernet.decrypt(stored[len(PREFIX) :].encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError, ValueError) as error:
            raise SecretKeyError(
                f"a stored webhook secret was encrypted with another key (check {KEY_VARIABLE})"
            ) from error


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)


def read_key_file(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_KEY_FILE + 1)
    except OSError as error:
        raise SecretKeyError(f"cannot read the key file {path}: {error.strerror}") from error
    if len(data) > MAX_KEY_FILE:
        raise SecretKeyError(f"the key file {path} is larger than {MAX_KEY_FILE} bytes")
    key = data.strip()
    try:
        Fernet(key)
    except (ValueError, TypeError) as error:
        raise SecretKeyError(
            f"the key file {path} does not hold a Fernet key (44 characters of URL-safe base64)"
        ) from error
    return key


def _made_key_file(path: Path) -> bytes:
    """The key in ``path``, written first (mode 0600) if there is none yet."""
    if path.exists():
        return read_key_file(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = Fernet.generate_key()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return read_key_file(path)
    except OSError as error:
        raise SecretKeyError(f"cannot create the key file {path}: {error.strerror}") from error
    with os.fdopen(fd, "wb") as handle:
        handle.write(key + b"\n")
        handle.flush()
        os.fsync(handle.fileno())
    return key


def fallback_key_file(url: str, environ: Mapping[str, str]) -> Path | None:
    """The ledger's own key file when no key is configured (None: a database in memory)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if (
            not parsed.database
            or parsed.database == ":memory:"
            or parsed.database.startswith("file::memory:")
        ):
            return None
        return (
            Path(parsed.database).expanduser().with_name(Path(parsed.database).name + ".secret-key")
        )
    shown = parsed.render_as_string(hide_password=True)
    name = hashlib.sha256(shown.encode("utf-8")).hexdigest()[:32] + ".key"
    data_home = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "seatledger" / "secret-keys" / name


def key_for(url: str, environ: Mapping[str, str]) -> SecretBox:
    """The box for the ledger at ``url``: the configured key, else the ledger's own key file."""
    configured = environ.get(KEY_VARIABLE, "").strip()
    if configured:
        # Read now: a key named but unusable is refused before any command runs.
        return SecretBox(read_key_file(Path(configured).expanduser()))
    path = fallback_key_file(url, environ)
    if path is None:
        return SecretBox.generated()
    return SecretBox(lambda: _made_key_file(path))
