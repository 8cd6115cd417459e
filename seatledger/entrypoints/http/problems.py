"""Errors as RFC 9457 problem details, carrying the command line's error codes.

The one place the HTTP API maps a refusal to a status: unknown ids 404, a
caller not allowed 403, malformed or invalid input 422 (400 when the
request itself cannot be read), a refusal by a rule 409, a busy database
503. Every problem is ``application/problem+json`` with ``type``,
``title``, ``status``, ``detail`` and ``code``.
"""

from __future__ import annotations

from typing import Final

from attrs import frozen

from seatledger.domain.errors import IdempotencyKeyReused, LedgerError, NotAuthorised

MEDIA_TYPE: Final = "application/problem+json"
TYPE_BASE: Final = "https://seatledger.dev/problems/"

_TITLES: Final = {
    400: "Bad request",
    401: "Unauthorised",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request body too large",
    422: "Unprocessable content",
    500: "Internal error",
    503: "Service unavailable",
}

# Codes that name well-formed input a rule checks (not a rule about the ledger's state).
_INPUT_CODES: Final = frozenset(
    {"naive-instant", "range-reversed", "future-date", "wrong-pin", "import-rejected",
     "backdated-without-reason", "reason-required", "same-organisation",
     # names the catalog does not know: input, not a missing resource
     "unknown-plan", "unknown-addon", "unknown-usage-kind", "unknown-discount-code"}
)  # fmt: skip


@frozen
class ProblemDocument:
    """An RFC 9457 problem: ``code`` is the command line's error code."""

    type: str
    title: str
    status: int
    detail: str
    code: str


class Problem(Exception):
    """Raised by a route to answer with a problem document."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail

    def document(self) -> ProblemDocument:
        return ProblemDocument(
            type=TYPE_BASE + self.code,
            title=_TITLES.get(self.status, "Error"),
            status=self.status,
            detail=self.detail,
            code=self.code,
        )


def status_of(error: LedgerError) -> int:
    """The HTTP status of a refusal (docs/http.md lists them)."""
    code = error.code
    if isinstance(error, NotAuthorised):
        return 403
    if isinstance(error, IdempotencyKeyReused):
        return 422
    if code.startswith("invalid-") or code in _INPUT_CODES:
        return 422
    if code.startswith("unknown-"):
        return 404
    if code == "database-busy":
        return 503
    return 409


def refused(error: LedgerError) -> Problem:
    return Problem(status_of(error), error.code, error.message)
