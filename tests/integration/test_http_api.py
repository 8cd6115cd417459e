"""The HTTP API against a real ``seatledger serve`` process on a free loopback port.

Each test starts the server on a fresh ledger (a SQLite file, or a private
PostgreSQL schema), makes its API keys with the command line, and talks to
it with a plain HTTP client (httpx), as a PHP or Ruby host would.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cli_driver import Cli
from http_server import Server, make_key, running, seatledger
from openapi_spec_validator import validate

from seatledger.adapters.sql.migrate import head_revision

TODAY = "2025-09-15"
JSON = {"content-type": "application/json"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        url: str = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'ledger.db'}"
    done = seatledger(url, "init")
    assert done.returncode == 0, done.stderr
    return url


@pytest.fixture
def server(db_url: str) -> Iterator[tuple[Server, str]]:
    key = make_key(db_url, "back-office")
    with running(db_url, today=TODAY) as found:
        yield found, key


def test_health_and_the_openapi_document_need_no_key_and_the_document_is_valid_3_1(
    server: tuple[Server, str],
) -> None:
    live, _ = server
    with live.client(None) as anonymous:
        health = anonymous.get("/v1/health").json()
        assert health == {"status": "ok", "schema_revision": head_revision()}
        document = anonymous.get("/v1/openapi.json").json()
        unknown = anonymous.get("/v1/no-such-resource")
    assert document["openapi"] == "3.1.0"
    validate(document)
    assert "/v1/openapi.json" not in document["paths"]
    assert document["paths"]["/v1/health"]["get"].get("security") is None
    assert document["paths"]["/v1/organisations"]["get"]["security"] == [{"bearer": []}]
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("application/problem+json")
    assert unknown.json()["code"] == "not-found"
    for path in ("/v1/organisations", "/v1/seats/{seat}/activate", "/v1/transfers",
                 "/v1/billing-runs", "/v1/invoices/{invoice}/evidence"):  # fmt: skip
        assert path in document["paths"]


def test_no_key_or_a_revoked_key_is_401_and_an_organisation_key_elsewhere_is_403(
    db_url: str,
) -> None:
    operator = make_key(db_url, "back-office")
    with running(db_url, today=TODAY) as live, live.client(operator) as ops:
        assert (
            ops.post("/v1/organisations", json={"org": "north", "name": "North"}).status_code == 201
        )
        assert (
            ops.post("/v1/organisations", json={"org": "south", "name": "South"}).status_code == 201
        )
        north_key = make_key(db_url, "north-portal", org="north")
        with live.client(None) as anonymous:
            missing = anonymous.get("/v1/organisations")
        assert missing.status_code == 401
        assert missing.headers["content-type"].startswith("application/problem+json")
        assert missing.json()["code"] == "unauthorised"
        with live.client(north_key) as north:
            assert [o["org"] for o in north.get("/v1/organisations").json()["data"]] == ["north"]
            elsewhere = north.get("/v1/organisations/south")
            assert elsewhere.status_code == 403
            assert elsewhere.json()["code"] == "forbidden-organisation"
            refused_write = north.post("/v1/seats/s-9/activate", json={"org": "south"})
            assert refused_write.status_code == 403
            assert seatledger(db_url, "apikey", "revoke", "north-portal").returncode == 0
            assert north.get("/v1/organisations/north").status_code == 401
    # the refused write changed nothing; the audit trail names the key as the actor
    trail = seatledger(db_url, "--json", "audit")
    assert "s-9" not in trail.stdout
    actors = {entry["actor"] for entry in json.loads(trail.stdout)["entries"]}
    assert "back-office" in actors


def test_an_idempotency_key_replays_the_first_answer_and_refuses_another_body(
    server: tuple[Server, str],
) -> None:
    live, key = server
    with live.client(key) as ops:
        ops.post("/v1/organisations", json={"org": "north", "name": "North"})
        first = ops.post("/v1/seats/s-1/activate", json={"org": "north", "holder": "Ada"},
                         headers={"Idempotency-Key": "act-1"})  # fmt: skip
        again = ops.post("/v1/seats/s-1/activate", json={"org": "north", "holder": "Ada"},
                         headers={"Idempotency-Key": "act-1"})  # fmt: skip
        other = ops.post("/v1/seats/s-1/activate", json={"org": "north", "holder": "Bo"},
                         headers={"Idempotency-Key": "act-1"})  # fmt: skip
        history = ops.get("/v1/seats/s-1/history").json()
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency-key-reused"
    assert len(history["facts"]) == 1


def test_refusals_carry_the_command_lines_codes_and_change_nothing(
    server: tuple[Server, str],
) -> None:
    live, key = server
    with live.client(key) as ops:
        ops.post("/v1/organisations", json={"org": "north", "name": "North"})
        ops.post("/v1/seats/s-1/activate", json={"org": "north"})
        cases = [
            (ops.post("/v1/seats/s-1/activate", json={"org": "north"}), 409, "seat-exists"),
            (ops.post("/v1/seats/s-2/activate", json={"org": "nowhere"}), 404,
             "unknown-organisation"),
            (ops.post("/v1/seats/s-2/activate", json={"org": "north", "on": "2025-02-30"}), 422,
             "invalid-date"),
            (ops.post("/v1/seats/s-2/activate", content=b"{not json", headers=JSON), 400,
             "invalid-request"),
            (ops.get("/v1/organisations?limit=0"), 400, "invalid-request"),
            (ops.get("/v1/organisations/north/seats"), 400, "invalid-query"),
            (ops.post("/v1/seats/s-2/activate", json={"org": "north"},
                      headers={"Idempotency-Key": "has space"}), 422, "invalid-idempotency-key"),
            (ops.post("/v1/seats/s-1/activate", content=b"x" * (1024 * 1024 + 1), headers=JSON),
             413, "body-too-large"),
        ]  # fmt: skip
        seats = ops.get("/v1/organisations/north/seats", params={"on": TODAY}).json()
    for answer, status, code in cases:
        assert answer.status_code == status, answer.text
        problem = answer.json()
        assert problem["code"] == code
        assert problem["status"] == status
        assert set(problem) == {"type", "title", "status", "detail", "code"}
    assert seats["count"] == 1


def test_lists_page_with_a_cursor_until_has_more_is_false(server: tuple[Server, str]) -> None:
    live, key = server
    with live.client(key) as ops:
        ops.post("/v1/organisations", json={"org": "north", "name": "North"})
        for n in range(5):
            ops.post(f"/v1/seats/s-{n}/activate", json={"org": "north"})
        seen, cursor, pages = [], None, 0
        while True:
            params = {"on": TODAY, "limit": 2, **({"starting_after": cursor} if cursor else {})}
            page = ops.get("/v1/organisations/north/seats", params=params).json()
            seen += [row["seat"] for row in page["seats"]]
            pages += 1
            assert page["count"] == 5
            if not page["has_more"]:
                assert page["next_cursor"] is None
                break
            cursor = page["next_cursor"]
    assert seen == [f"s-{n}" for n in range(5)]
    assert pages == 3


def test_sigterm_lets_an_in_flight_request_finish(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    assert seatledger(url, "init").returncode == 0
    key = make_key(url, "back-office")
    with running(url, today=TODAY) as live, live.client(key) as ops:
        ops.post("/v1/organisations", json={"org": "north", "name": "North"})
        answers: list[int] = []

        def bill() -> None:
            answers.append(ops.post("/v1/billing-runs", json={"period": "2025-08"}).status_code)

        worker = threading.Thread(target=bill)
        worker.start()
        time.sleep(0.05)
        live.process.send_signal(signal.SIGTERM)
        worker.join(timeout=30)
        # uvicorn drains, then ends by the signal it was sent (so a supervisor sees why)
        assert live.process.wait(timeout=30) in (0, -signal.SIGTERM)
    assert answers in ([200], [409])  # finished, answered (a refusal by a rule is an answer)
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{live.base}/v1/health", timeout=1)


def test_seed_002_the_dispute_over_http_equals_the_command_lines_answer(tmp_path: Path) -> None:
    """Xtra Lease disputes an overage: the seats active on 9/1/2017, with both dates."""
    db = tmp_path / "ledger.db"
    url = f"sqlite:///{db}"
    assert seatledger(url, "init").returncode == 0
    key = make_key(url, "jason")
    with running(url, today="2017-10-17") as live, live.client(key) as ops:
        ops.post(
            "/v1/organisations",
            json={
                "org": "xtra",
                "name": "Xtra Lease",
                "timezone": "America/Chicago",
                "currency": "USD",
            },
        )
        ops.put("/v1/organisations/xtra/contract",
                json={"plan": "standard", "cadence": "monthly", "licensed": 2,
                      "overage_price": "39.00", "effective_from": "2017-08"})  # fmt: skip
        for n in range(3):
            answer = ops.post(
                f"/v1/seats/x-{n}/activate",
                json={"org": "xtra", "on": "2017-08-01", "reason": "back-fill"},
            )
            assert answer.status_code == 201, answer.text
        ops.post("/v1/seats/x-0/deactivate", json={"on": "2017-09-15", "reason": "left"})
        on_day = ops.get("/v1/organisations/xtra/seats", params={"on": "2017-09-01"}).json()
        throughout = ops.get("/v1/organisations/xtra/seats",
                             params={"from": "2017-09-01", "to": "2017-09-30",
                                     "mode": "throughout"}).json()  # fmt: skip
        today = ops.get("/v1/organisations/xtra/seats", params={"on": "2017-10-17"}).json()
    cli = Cli(db)
    assert on_day["count"] == 3
    assert [s["deactivated_on"] for s in on_day["seats"]] == ["2017-09-15", None, None]
    assert today["count"] == 2
    for page, args in (
        (on_day, ["seats", "xtra", "--on", "2017-09-01"]),
        (throughout, ["seats", "xtra", "--from", "2017-09-01", "--to", "2017-09-30",
                      "--throughout"]),
    ):  # fmt: skip
        expected = cli.json(*args, today="2017-10-17")
        assert {k: v for k, v in page.items() if k not in ("has_more", "next_cursor")} == expected


def test_seed_000_a_transfer_approved_with_a_pin_over_http_equals_the_command_line(
    tmp_path: Path,
) -> None:
    db = tmp_path / "ledger.db"
    url = f"sqlite:///{db}"
    assert seatledger(url, "init").returncode == 0
    key = make_key(url, "back-office")
    with running(url, today="2025-09-10") as live, live.client(key) as ops:
        ops.post("/v1/organisations", json={"org": "north", "name": "North"})
        ops.post("/v1/organisations", json={"org": "south", "name": "South"})
        assert ops.post("/v1/organisations/south/admins",
                        json={"admin": "sam", "pin": "582046"}).status_code == 201  # fmt: skip
        ops.post("/v1/seats/p-17/activate", json={"org": "north", "holder": "Ada"})
        made = ops.post("/v1/transfers", json={"seat": "p-17", "to": "south"})
        assert made.status_code == 201
        request = made.json()
        assert {k: request[k] for k in ("seat", "from", "to", "status")} == {
            "seat": "p-17", "from": "north", "to": "south", "status": "pending"}  # fmt: skip
        wrong = ops.post(f"/v1/transfers/{request['request']}/approve",
                         json={"admin": "sam", "pin": "000000"})  # fmt: skip
        assert wrong.status_code == 422
        assert wrong.json()["code"] == "wrong-pin"
        approved = ops.post(f"/v1/transfers/{request['request']}/approve",
                            json={"admin": "sam", "pin": "582046"})  # fmt: skip
        assert approved.status_code == 200
        assert approved.json()["status"] == "approved"
        listed = ops.get("/v1/transfers", params={"org": "south"}).json()["data"]
        history = ops.get("/v1/seats/p-17/history").json()
    log = live.output()
    assert "POST /v1/transfers" in log  # requests are logged, without bodies or keys
    assert "582046" not in log
    assert key not in log
    cli = Cli(db)
    assert listed == cli.json("transfer", "list", "--org", "south", today="2025-09-10")["requests"]
    assert history == cli.json("seat", "history", "p-17", today="2025-09-10")


def test_a_key_used_over_http_replays_for_the_same_write_from_the_command_line(
    tmp_path: Path,
) -> None:
    """One command value per write: the HTTP body and the CLI options give one fingerprint."""
    db = tmp_path / "ledger.db"
    url = f"sqlite:///{db}"
    assert seatledger(url, "init").returncode == 0
    key = make_key(url, "back-office")
    with running(url, today=TODAY) as live, live.client(key) as ops:
        ops.post("/v1/organisations", json={"org": "north", "name": "North"})
        first = ops.post("/v1/seats/s-1/activate", json={"org": "north", "holder": "Ada"},
                         headers={"Idempotency-Key": "shared-1"})  # fmt: skip
        assert first.status_code == 201
    cli = Cli(db, actor="back-office")
    replayed = cli.json("--idempotency-key", "shared-1", "seat", "activate", "s-1",
                        "--org", "north", "--holder", "Ada", today=TODAY)  # fmt: skip
    assert replayed == first.json()
    assert cli.refused(
        "idempotency-key-reused", "--idempotency-key", "shared-1", "seat", "activate", "s-1",
        "--org", "north", "--holder", "Bo", today=TODAY,
    )  # fmt: skip
