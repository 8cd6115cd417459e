"""API keys: made by operators with a secret shown once, stored only as a hash, revoked for good."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from returns.result import Failure

from seatledger.adapters.clock import SimulatedDay
from seatledger.adapters.memory import InMemoryUnitOfWork
from seatledger.domain.apikeys import digest
from seatledger.domain.authorisation import Action
from seatledger.domain.errors import (
    IdempotencyKeyReused,
    InvalidDate,
    NotAuthorised,
    SeatNotActive,
    UnknownAddon,
    UnknownSeat,
)
from seatledger.domain.services import apikeys, operators
from seatledger.domain.services import commands as c
from seatledger.domain.services.context import Services
from seatledger.domain.services.organisations import add_organisation
from seatledger.entrypoints import bootstrap
from seatledger.entrypoints.http.ledger import HttpLedger
from seatledger.entrypoints.http.problems import Problem, status_of


def fixed_secret() -> str:
    return "k" * 43


@pytest.fixture
def services() -> Services:
    services = Services(InMemoryUnitOfWork(), SimulatedDay(date(2025, 10, 1)))
    add_organisation(services, "north", "North Clinic").unwrap()
    return services


def test_a_new_key_is_shown_once_and_only_its_sha256_is_stored(services: Services) -> None:
    made = apikeys.create_api_key(services, "lms", "north", actor="ops",
                                  new_secret=fixed_secret).unwrap()  # fmt: skip
    assert made.secret == "slk_" + "k" * 43
    assert made.key.org == "north"
    uow = services.uow
    assert isinstance(uow, InMemoryUnitOfWork)
    stored = uow.ledger.keys["lms"]
    assert stored.digest == digest(made.secret)
    assert made.secret not in repr(made)
    found = apikeys.authenticate(services, made.secret)
    assert found is not None
    assert found.name == "lms"
    assert apikeys.authenticate(services, made.secret + "x") is None


def test_a_revoked_key_no_longer_authenticates_and_cannot_be_revoked_twice(
    services: Services,
) -> None:
    made = apikeys.create_api_key(services, "lms", None, actor="ops",
                                  new_secret=fixed_secret).unwrap()  # fmt: skip
    revoked = apikeys.revoke_api_key(services, "lms", actor="ops").unwrap()
    assert revoked.revoked_at is not None
    assert apikeys.authenticate(services, made.secret) is None
    again = apikeys.revoke_api_key(services, "lms", actor="ops")
    assert isinstance(again, Failure)
    assert again.failure().code == "api-key-revoked"
    assert [k.name for k in apikeys.list_api_keys(services)] == ["lms"]


@pytest.mark.parametrize(
    ("name", "org", "code"),
    [("bad name", None, "invalid-identifier"), ("lms", "nowhere", "unknown-organisation")],
)
def test_a_bad_name_or_organisation_is_refused_and_changes_nothing(
    services: Services, name: str, org: str | None, code: str
) -> None:
    refused = apikeys.create_api_key(services, name, org, actor="ops", new_secret=fixed_secret)
    assert isinstance(refused, Failure)
    assert refused.failure().code == code
    assert apikeys.list_api_keys(services) == []


def test_in_a_closed_ledger_only_an_operator_makes_or_revokes_keys_and_each_is_audited(
    services: Services,
) -> None:
    operators.add_operator(services, "olga", actor="installer").unwrap()
    refused = apikeys.create_api_key(services, "lms", None, actor="mallory",
                                     new_secret=fixed_secret)  # fmt: skip
    assert isinstance(refused, Failure)
    assert refused.failure().code == "not-authorised"
    apikeys.create_api_key(services, "lms", None, actor="olga", new_secret=fixed_secret).unwrap()
    duplicate = apikeys.create_api_key(services, "lms", None, actor="olga",
                                       new_secret=fixed_secret)  # fmt: skip
    assert isinstance(duplicate, Failure)
    assert duplicate.failure().code == "api-key-exists"
    apikeys.revoke_api_key(services, "lms", actor="olga").unwrap()
    unknown = apikeys.revoke_api_key(services, "nope", actor="olga")
    assert isinstance(unknown, Failure)
    assert unknown.failure().code == "unknown-api-key"
    entries = operators.audit_trail(services).unwrap()
    actions = [(e.action, e.actor, e.subject) for e in entries if e.action.value.startswith("api")]
    assert actions == [(Action.APIKEY_CREATE, "olga", "lms"), (Action.APIKEY_REVOKE, "olga", "lms")]


def test_a_create_command_keeps_no_secret_in_its_fingerprint() -> None:
    assert c.CreateApiKey("lms", "north", "ops").arguments() == {
        "name": "lms", "org": "north", "actor": "ops"}  # fmt: skip


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (UnknownSeat("s-1"), 404),
        (SeatNotActive("s-1", date(2025, 10, 1)), 409),
        (InvalidDate("2025-02-30"), 422),
        (UnknownAddon("gold", ("library",)), 422),
        (NotAuthorised("mallory", "seat.activate", None, "x"), 403),
        (IdempotencyKeyReused("k", "seat.activate"), 422),
    ],
)
def test_each_refusal_has_one_http_status(error: object, status: int) -> None:
    assert status_of(error) == status  # type: ignore[arg-type]


def test_a_second_request_with_a_key_still_running_is_409_at_once(tmp_path: object) -> None:
    db = f"sqlite:///{tmp_path}/ledger.db"
    assert bootstrap.init_database(db)
    ledger = HttpLedger.open(bootstrap.Settings(db_url=db, today=date(2025, 10, 1)))
    started, release = threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        release.wait(10)
        return "done"

    answers: list[str] = []
    worker = threading.Thread(target=lambda: answers.append(ledger.run_keyed("k-1", slow)))
    worker.start()
    assert started.wait(10)
    with pytest.raises(Problem) as busy:
        ledger.write(c.AddOrganisation("north", "North", "Europe/Amsterdam", "EUR", True, "ops"),
                     "k-1")  # fmt: skip
    assert (busy.value.status, busy.value.code) == (409, "idempotency-key-in-use")
    release.set()
    worker.join(10)
    assert answers == ["done"]
    added = ledger.write(
        c.AddOrganisation("north", "North", "Europe/Amsterdam", "EUR", True, "ops"), "k-1"
    )
    assert added.id == "north"
    ledger.close()
