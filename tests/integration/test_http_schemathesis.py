"""Schemathesis against a live ``seatledger serve``: generated requests from the OpenAPI document.

For every operation, bounded examples (hypothesis) are sent with an operator key: no answer is
a 500, every answer matches the documented status codes, content types and schemas, and a
write that fails leaves every table as it was.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import schemathesis
from http_server import make_key, running, seatledger
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

EXAMPLES = 15
# A well-formed request may still break a business rule, which the contract answers with 422
# (a future date, a wrong PIN, a seat kind the catalog lacks): not a failure here.
EXCLUDED = [positive_data_acceptance]
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
TABLES = ("organisations", "seat_facts", "contract_versions", "usage_records", "admins",
          "invoices", "audit_log", "idempotency_keys", "outbox", "contacts")  # fmt: skip


def snapshot(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


@pytest.mark.slow
def test_generated_requests_get_documented_answers_and_failed_writes_change_nothing(
    tmp_path: Path,
) -> None:
    db = tmp_path / "ledger.db"
    url = f"sqlite:///{db}"
    assert seatledger(url, "init").returncode == 0
    key = make_key(url, "back-office")
    # Something to find: two organisations, a seat, an admin, a pending transfer.
    for args in (["org", "add", "north", "--name", "North"],
                 ["org", "add", "south", "--name", "South"],
                 ["seat", "activate", "s-1", "--org", "north"],
                 ["transfer", "request", "s-1", "--to", "south"]):  # fmt: skip
        assert seatledger(url, *args, today="2025-09-15").returncode == 0, args
    with running(url, today="2025-09-15") as live:
        schema = schemathesis.openapi.from_url(f"{live.base}/v1/openapi.json")
        headers = {"Authorization": f"Bearer {key}"}
        checked = 0
        for found in schema.get_all_operations():
            operation = found.ok()

            @settings(max_examples=EXAMPLES, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))  # fmt: skip
            @given(case=operation.as_strategy())
            def answers(case: schemathesis.Case) -> None:
                before = snapshot(db) if case.method.upper() in WRITES else None
                response = case.call(headers=headers)
                assert response.status_code < 500, (case.method, case.path, response.text)
                case.validate_response(response, excluded_checks=EXCLUDED)
                if before is not None and response.status_code >= 400:
                    assert snapshot(db) == before, (case.method, case.path, response.text)

            answers()
            checked += 1
    assert checked >= 20
