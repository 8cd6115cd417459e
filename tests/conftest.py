"""Shared fixtures: a private PostgreSQL schema per test, and local SMTP and webhook servers."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from local_servers import smtp_server, webhook_receiver
from sqlalchemy import create_engine, make_url, text

POSTGRES_ENV = "SEATLEDGER_TEST_POSTGRES_URL"
# Real local servers (SMTP, webhooks) for any test that asks for them.
__all__ = ["postgres_url", "smtp_server", "webhook_receiver"]


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose connections work in a fresh, empty schema, dropped after the test.

    The schema is first on ``search_path`` (set through the connection's
    ``options``), so every table, Alembic's version table included, lives in it.
    """
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set: PostgreSQL tests skipped")
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
