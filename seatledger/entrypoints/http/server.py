"""``seatledger serve``: the HTTP API on uvicorn, a production ASGI server.

Settings reach each worker process through the same environment variables
as every command (``SEATLEDGER_DB``, ``SEATLEDGER_TODAY``,
``SEATLEDGER_CATALOG``), so ``--workers N`` starts N identical processes.
On SIGTERM (or Ctrl-C) uvicorn stops accepting connections and lets
in-flight requests finish (at most ``GRACE`` seconds) before it exits.
``SEATLEDGER_LOG_LEVEL`` (default ``info``: one line per request) sets how much is logged.
"""

from __future__ import annotations

import logging
import os
from datetime import date
from pathlib import Path
from typing import Final

import uvicorn
from litestar import Litestar

from seatledger.entrypoints import bootstrap
from seatledger.entrypoints.http.app import create_app
from seatledger.entrypoints.http.ledger import HttpLedger

GRACE: Final = 30  # seconds in-flight requests get to finish after SIGTERM
KEEP_ALIVE: Final = 5  # seconds an idle connection is kept open
MAX_CONNECTIONS: Final = 512  # beyond this many at once, 503 at the door


def app_from_environment() -> Litestar:
    """The application for the ledger the environment names (uvicorn's factory)."""
    today = os.environ.get("SEATLEDGER_TODAY")
    catalog = os.environ.get("SEATLEDGER_CATALOG")
    settings = bootstrap.Settings(
        db_url=bootstrap.database_url(os.environ.get("SEATLEDGER_DB")),
        today=date.fromisoformat(today) if today else None,
        catalog=Path(catalog) if catalog else None,
    )
    return create_app(HttpLedger.open(settings))


def serve(settings: bootstrap.Settings, *, host: str, port: int, workers: int) -> None:
    """Serve the ledger until SIGTERM or Ctrl-C; requests are logged without secrets."""
    os.environ["SEATLEDGER_DB"] = settings.db_url
    if settings.today is not None:
        os.environ["SEATLEDGER_TODAY"] = settings.today.isoformat()
    if settings.catalog is not None:
        os.environ["SEATLEDGER_CATALOG"] = str(settings.catalog)
    level = os.environ.get("SEATLEDGER_LOG_LEVEL", "info").upper()
    logging.basicConfig(level=level, format="%(asctime)s %(name)s %(message)s")
    uvicorn.run(
        "seatledger.entrypoints.http.server:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        timeout_keep_alive=KEEP_ALIVE,
        timeout_graceful_shutdown=GRACE,
        limit_concurrency=MAX_CONNECTIONS,
        access_log=False,  # the application logs each request itself, without secrets
        server_header=False,
        log_level=level.lower(),
    )
