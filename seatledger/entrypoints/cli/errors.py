"""The one place where the command line turns failures into messages and exit codes.

Exit codes (CLI.md): 0 done; 1 refused by a rule or bad input, nothing
changed; 2 usage error. With ``--json`` an error is ``{"error": {"code",
"message"}}`` on stderr; without it, a line naming the rule and the value.
"""

from __future__ import annotations

import json
from typing import IO, Any, ClassVar, NoReturn, TypeVar

import click
from attrs import frozen
from returns.result import Failure, Result

from seatledger.adapters.store_errors import StoreBusy
from seatledger.domain.errors import LedgerError

T = TypeVar("T")

REFUSED = 1
USAGE = 2


def json_requested() -> bool:
    """True if the running command was given the global ``--json``."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return False
    return bool(ctx.find_root().params.get("as_json", False))


class Refused(click.ClickException):
    """A business failure on its way out: exit code 1, the error's code and message."""

    exit_code = REFUSED

    def __init__(self, error: LedgerError, *, as_json: bool) -> None:
        super().__init__(error.message)
        self.error = error
        self.as_json = as_json

    def show(self, file: IO[Any] | None = None) -> None:
        if self.as_json:
            click.echo(error_document(self.error.code, self.error.message), err=True)
        else:
            click.echo(f"seatledger: refused ({self.error.code}): {self.error.message}", err=True)


def refuse(error: LedgerError) -> NoReturn:
    """Stop the command with a business failure."""
    raise Refused(error, as_json=json_requested())


def unwrap(result: Result[T, LedgerError]) -> T:
    """The value of a successful result; a failure stops the command (exit 1)."""
    if isinstance(result, Failure):
        refuse(result.failure())
    return result.unwrap()


def error_document(code: str, message: str) -> str:
    return json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False)


def show_click_error(error: click.ClickException, *, as_json: bool) -> int:
    """Print a usage or other click error (as JSON if asked) and return its exit code."""
    if isinstance(error, Refused) or not as_json:
        error.show()
    else:
        code = "usage-error" if isinstance(error, click.UsageError) else "error"
        click.echo(error_document(code, error.format_message()), err=True)
    return error.exit_code


@frozen
class DatabaseBusy(LedgerError):
    """The store's write lock stayed held by another process: nothing was changed."""

    code: ClassVar[str] = "database-busy"
    detail: str

    @property
    def message(self) -> str:
        return self.detail


def show_store_busy(error: StoreBusy, *, as_json: bool) -> int:
    """A busy database is refused like a business failure: exit 1, code and message."""
    Refused(DatabaseBusy(str(error)), as_json=as_json).show()
    return REFUSED
