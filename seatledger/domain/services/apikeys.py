"""Use cases of API keys: make one (its secret shown once), list them, revoke one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from attrs import field, frozen
from returns.result import Failure, Result, Success

from seatledger.domain.apikeys import PREFIX, ApiKey, digest
from seatledger.domain.authorisation import Action
from seatledger.domain.errors import ApiKeyExists, ApiKeyRevoked, LedgerError, UnknownApiKey
from seatledger.domain.identifiers import OrgId, valid_id, valid_text
from seatledger.domain.recording import assign_recorded_at
from seatledger.domain.services.access import POLICY, record, standing
from seatledger.domain.services.context import Services
from seatledger.domain.services.organisations import require_organisation


@frozen
class ApiKeyView:
    """A key without its digest: what `apikey list` shows."""

    name: str
    org: OrgId | None
    created_at: datetime
    created_by: str
    revoked_at: datetime | None

    @staticmethod
    def of(key: ApiKey) -> ApiKeyView:
        return ApiKeyView(key.name, key.org, key.created_at, key.created_by, key.revoked_at)


@frozen
class NewApiKey:
    """A key just made, with its secret: the only time the secret is seen."""

    key: ApiKeyView
    secret: str = field(repr=False)


def create_api_key(
    services: Services,
    name: str,
    org: str | None,
    *,
    actor: str,
    new_secret: Callable[[], str],
) -> Result[NewApiKey, LedgerError]:
    """Make the key ``name`` for ``org`` (None: an operator key); operators only."""
    checked = valid_id("API key", name)
    if isinstance(checked, Failure):
        return Failure(checked.failure())
    who = valid_text("actor", actor)
    if isinstance(who, Failure):
        return Failure(who.failure())
    with services.uow.transaction(write=True) as store:
        scope: OrgId | None = None
        if org is not None:
            found = require_organisation(store, org)
            if isinstance(found, Failure):
                return Failure(found.failure())
            scope = found.unwrap().id
        allowed = POLICY.check_operator_task(standing(store, who.unwrap()), Action.APIKEY_CREATE)
        if isinstance(allowed, Failure):
            return Failure(allowed.failure())
        if store.api_key(checked.unwrap()) is not None:
            return Failure(ApiKeyExists(checked.unwrap()))
        recorded = assign_recorded_at(services.clock, store.head())
        if isinstance(recorded, Failure):
            return Failure(recorded.failure())
        secret = PREFIX + new_secret()
        key = ApiKey(checked.unwrap(), scope, digest(secret), recorded.unwrap(), who.unwrap())
        store.add_api_key(key)
        record(
            store, recorded.unwrap(), who.unwrap(), allowed.unwrap(), Action.APIKEY_CREATE,
            org=scope, subject=key.name,
            text=f"API key {key.name} made for " + (scope or "every organisation (operator)"),
        )  # fmt: skip
        services.uow.commit()
        return Success(NewApiKey(ApiKeyView.of(key), secret))


def revoke_api_key(services: Services, name: str, *, actor: str) -> Result[ApiKeyView, LedgerError]:
    """Revoke the key ``name`` for good; operators only."""
    with services.uow.transaction(write=True) as store:
        allowed = POLICY.check_operator_task(standing(store, actor), Action.APIKEY_REVOKE)
        if isinstance(allowed, Failure):
            return Failure(allowed.failure())
        found = store.api_key(name)
        if found is None:
            return Failure(UnknownApiKey(name))
        if not found.active:
            return Failure(ApiKeyRevoked(name))
        recorded = assign_recorded_at(services.clock, store.head())
        if isinstance(recorded, Failure):
            return Failure(recorded.failure())
        store.revoke_api_key(name, recorded.unwrap())
        record(
            store, recorded.unwrap(), actor, allowed.unwrap(), Action.APIKEY_REVOKE,
            org=found.org, subject=name, text=f"API key {name} revoked",
        )  # fmt: skip
        services.uow.commit()
        return Success(
            ApiKeyView(found.name, found.org, found.created_at, found.created_by, recorded.unwrap())
        )


def list_api_keys(services: Services) -> Sequence[ApiKeyView]:
    """Every key (revoked ones too), without digests."""
    with services.uow.transaction(write=False) as store:
        return [ApiKeyView.of(k) for k in store.api_keys()]


def authenticate(services: Services, secret: str) -> ApiKey | None:
    """The active key whose secret this is, or None (unknown or revoked)."""
    with services.uow.transaction(write=False) as store:
        found = store.api_key_by_digest(digest(secret))
    if found is None or not found.active or not found.matches(secret):
        return None
    return found
