"""Infrastructure failures of a store that an entrypoint reports as a refusal, not a crash."""

from __future__ import annotations

import errno
from typing import Final

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError

from seatledger.adapters.secret_box import SecretKeyError
from seatledger.domain.errors import (
    DatabaseNotFound,
    DatabaseUnavailable,
    DiskFull,
    NotADatabase,
    ReadOnlyStore,
    SecretKeyUnusable,
    StoreFailure,
    ValueOutOfRange,
)


class StoreBusy(RuntimeError):
    """Another process held the database's write lock for too long; nothing was changed."""

    def __init__(self, attempts: int) -> None:
        super().__init__(
            f"the database is busy: another process held its write lock through {attempts} "
            "attempts; nothing was changed, try again"
        )


# Driver messages (lower-cased) and the failure each one means, first match wins.
_MESSAGES: Final[tuple[tuple[str, type[StoreFailure], str], ...]] = (
    ("database or disk is full", DiskFull, "the disk is full (or the file-size limit reached)"),
    ("no space left", DiskFull, "the disk is full"),
    ("file too large", DiskFull, "the file-size limit (ulimit -f) was reached"),
    ("readonly database", ReadOnlyStore, "the database may not be written (read-only)"),
    ("read-only", ReadOnlyStore, "the database may not be written (read-only)"),
    ("file is not a database", NotADatabase, "the file is not a SQLite database"),
    ("unable to open database file", DatabaseNotFound,
     "the SQLite file cannot be opened (a missing folder, a directory, or no permission)"),
    ("does not exist", DatabaseNotFound, "the database does not exist on the server"),
    ("value too long", ValueOutOfRange, "a value is too long for the database"),
    ("out of range", ValueOutOfRange, "a number is too large for the database"),
    ("terminating connection", DatabaseUnavailable, "the database server ended the connection"),
    ("server closed the connection", DatabaseUnavailable,
     "the database server ended the connection"),
    ("connection refused", DatabaseUnavailable, "the database server refused the connection"),
    ("could not connect", DatabaseUnavailable, "the database server cannot be reached"),
    ("connection failed", DatabaseUnavailable, "the database server cannot be reached"),
    ("could not translate host name", DatabaseUnavailable,
     "the database server's host name is unknown"),
    ("timeout expired", DatabaseUnavailable, "the database server did not answer in time"),
    ("consuming input failed", DatabaseUnavailable, "the connection to the database was lost"),
    ("the connection is closed", DatabaseUnavailable, "the connection to the database was lost"),
    ("disk i/o error", DiskFull, "the disk refused the write (disk I/O error)"),
)  # fmt: skip
_ERRNOS: Final = {
    errno.ENOSPC: (DiskFull, "the disk is full"),
    errno.EFBIG: (DiskFull, "the file-size limit (ulimit -f) was reached"),
    errno.EROFS: (ReadOnlyStore, "the filesystem is read-only"),
    errno.EACCES: (ReadOnlyStore, "permission denied"),
    errno.EISDIR: (NotADatabase, "the path is a directory"),
    errno.ENOENT: (DatabaseNotFound, "no such file or folder"),
}


def store_failure(error: BaseException) -> StoreFailure | None:
    """The infrastructure failure a driver or OS error means, or None if it is not one.

    Only the operational kind of error is translated (a lost connection, a full
    disk, a refused write, a missing database, a value the column cannot hold):
    an integrity error or a programming error is a bug and stays an exception.
    """
    if isinstance(error, SecretKeyError):
        return SecretKeyUnusable(str(error))
    if isinstance(error, IntegrityError):
        return None  # a refused UPDATE of history, a broken constraint: never hidden
    if isinstance(error, DBAPIError):
        found = _by_message(str(error.orig) if error.orig is not None else str(error))
        if found is not None:
            return found
        if error.connection_invalidated:
            return DatabaseUnavailable("the connection to the database was lost")
        if isinstance(error, DataError):
            return ValueOutOfRange("a value the database cannot hold")
        if isinstance(error, OperationalError):
            return DatabaseUnavailable(f"the database failed: {_first_line(error.orig)}")
        return None
    if isinstance(error, OSError) and error.errno in _ERRNOS:
        kind, words = _ERRNOS[error.errno]
        return kind(words)
    return None


def _by_message(message: str) -> StoreFailure | None:
    lowered = message.lower()
    for needle, kind, words in _MESSAGES:
        if needle in lowered:
            return kind(words)
    return None


def _first_line(detail: object) -> str:
    # A driver's message may quote the statement or its parameters: keep its first line only.
    return str(detail).strip().splitlines()[0][:200] if str(detail).strip() else "unknown"
