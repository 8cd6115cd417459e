"""Driving the `seatledger` command line in tests: in-process by default, or as subprocesses.

``Cli`` runs ``seatledger`` with the environment a user would set
(``SEATLEDGER_DB``, ``SEATLEDGER_ACTOR``) and returns the exit code, stdout
and stderr. By default it calls the console script's own ``run`` in this
process (the same code path as the installed script, minus the ~1 s of
Python start-up per command), so the suite stays fast; set
``SEATLEDGER_E2E_SUBPROCESS=1`` to run every command as a real subprocess.
``test_cli_process.py`` always uses subprocesses, so the installed script
itself is covered either way.

PINs reach a command the way a script gives them: ``cli(..., pin="4821")``
sets ``SEATLEDGER_PIN`` for that one command only.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from attrs import frozen

from seatledger.entrypoints.cli.main import run

SUBPROCESS = os.environ.get("SEATLEDGER_E2E_SUBPROCESS") == "1"
# The user's environment must not leak into the tests.
OWN_VARIABLES = (
    "SEATLEDGER_DB",
    "SEATLEDGER_TODAY",
    "SEATLEDGER_ACTOR",
    "SEATLEDGER_CATALOG",
    "SEATLEDGER_PIN",
    "SEATLEDGER_WEBHOOK_SECRET",
    "SEATLEDGER_SMTP_HOST",
    "SEATLEDGER_SMTP_PORT",
    "SEATLEDGER_SMTP_FROM",
    "SEATLEDGER_SMTP_STARTTLS",
    "SEATLEDGER_SMTP_USER",
    "SEATLEDGER_SMTP_PASSWORD",
    "SEATLEDGER_SIGNING_KEY",
    "SEATLEDGER_VERIFY_KEYS",
    "SEATLEDGER_SECRETS_KEY",
    "SEATLEDGER_SECRET_KEY",
    "SEATLEDGER_ALLOW_WEBHOOK_HOSTS",
)


@frozen
class Outcome:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    def error(self) -> dict[str, str]:
        """The ``{"error": {...}}`` object a ``--json`` command printed on stderr."""
        document: dict[str, dict[str, str]] = json.loads(self.err)
        return document["error"]


@contextlib.contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in (*OWN_VARIABLES, *values)}
    for key in OWN_VARIABLES:
        os.environ.pop(key, None)
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class Cli:
    """``seatledger`` on one database, acting as one user."""

    def __init__(self, db: Path, *, actor: str = "lisa", subprocess_: bool = SUBPROCESS) -> None:
        self.db = db
        self.env = {"SEATLEDGER_DB": f"sqlite:///{db}", "SEATLEDGER_ACTOR": actor}
        self.subprocess = subprocess_

    def __call__(
        self,
        *args: str,
        today: str | None = None,
        json_: bool = False,
        pin: str | None = None,
    ) -> Outcome:
        argv = [*(["--json"] if json_ else []), *(["--today", today] if today else []), *args]
        env = dict(self.env) if pin is None else {**self.env, "SEATLEDGER_PIN": pin}
        if self.subprocess:
            return run_process(argv, env, cwd=self.db.parent)
        out, err = io.StringIO(), io.StringIO()
        with (
            environment(env),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
        ):
            code = run(argv)
        return Outcome(code, out.getvalue(), err.getvalue())

    def ok(self, *args: str, today: str | None = None, pin: str | None = None) -> str:
        """Run a command that must succeed; its stdout."""
        outcome = self(*args, today=today, pin=pin)
        assert outcome.code == 0, outcome
        return outcome.out

    def json(self, *args: str, today: str | None = None, pin: str | None = None) -> Any:
        """Run a command with --json that must succeed; its parsed stdout."""
        outcome = self(*args, today=today, json_=True, pin=pin)
        assert outcome.code == 0, outcome
        return outcome.json()

    def refused(
        self, code: str, *args: str, today: str | None = None, pin: str | None = None
    ) -> str:
        """Run a command that must be refused (exit 1) with ``code``; the error message."""
        outcome = self(*args, today=today, json_=True, pin=pin)
        assert outcome.code == 1, outcome
        assert outcome.out == "", outcome
        error = outcome.error()
        assert error["code"] == code, error
        return error["message"]


def run_process(argv: list[str], env: Mapping[str, str], *, cwd: Path) -> Outcome:
    """``python -m seatledger.entrypoints.cli.main ARGS`` in a clean environment."""
    clean = {k: v for k, v in os.environ.items() if k not in OWN_VARIABLES}
    clean.update(env)
    done = subprocess.run(
        [sys.executable, "-m", "seatledger.entrypoints.cli.main", *argv],
        capture_output=True,
        text=True,
        env=clean,
        cwd=cwd,
        timeout=120,
        check=False,
    )
    return Outcome(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """A fresh database for one test."""
    return Cli(tmp_path / "ledger.db")


def write_csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path
