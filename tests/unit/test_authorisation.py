"""The authorisation policy: every rule, allowed and refused, in an open and a closed ledger."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st
from returns.result import Failure, Result, Success

from seatledger.domain.authorisation import (
    RULES,
    Action,
    Authorisation,
    Role,
    Standing,
)
from seatledger.domain.errors import NotAuthorised
from seatledger.domain.identifiers import OrgId

POLICY = Authorisation()
NORTH, SOUTH = OrgId("north"), OrgId("south")

OPERATOR = Standing("olga", closed=True, operator=True)
NORTH_ADMIN = Standing("nora", closed=True, admin_of=frozenset({NORTH}))
SOUTH_ADMIN = Standing("sam", closed=True, admin_of=frozenset({SOUTH}))
STRANGER = Standing("mallory", closed=True)
ANYONE_OPEN = Standing.open("mallory")


def refused(result: Result[Role, NotAuthorised]) -> NotAuthorised:
    assert isinstance(result, Failure), f"expected a refusal, got {result!r}"
    return result.failure()


Check = Callable[[Standing], Result[Role, NotAuthorised]]

# (name, check for north's organisation, operator allowed?, north admin allowed?)
CHECKS: list[tuple[str, Check, bool, bool]] = [
    ("activate for north", lambda w: POLICY.check_activation(w, NORTH), True, True),
    (
        "deactivate north's seat",
        lambda w: POLICY.check_seat_change(w, Action.SEAT_DEACTIVATE, NORTH),
        True,
        True,
    ),
    (
        "correct north's seat",
        lambda w: POLICY.check_seat_change(w, Action.SEAT_CORRECT, NORTH),
        True,
        True,
    ),
    ("import for north", lambda w: POLICY.check_import(w, [NORTH]), True, True),
    ("request from north", lambda w: POLICY.check_request(w, NORTH), True, True),
    ("withdraw north's request", lambda w: POLICY.check_withdraw(w, NORTH), True, True),
    ("reject a request to north", lambda w: POLICY.check_reject(w, NORTH), True, True),
    ("approve a request to north", lambda w: POLICY.check_approve(w, NORTH), False, True),
    ("take over for north", lambda w: POLICY.check_take_over(w, NORTH), False, True),
    (
        "choose north's plan",
        lambda w: POLICY.check_contract(w, NORTH, vendor_terms=False),
        True,
        True,
    ),
    (
        "set north's licensed seats",
        lambda w: POLICY.check_contract(w, NORTH, vendor_terms=True),
        True,
        False,
    ),
    ("record north's usage", lambda w: POLICY.check_usage(w, NORTH), True, True),
    ("set north's contact", lambda w: POLICY.check_contact(w, NORTH), True, True),
    ("unlock with a PIN", lambda w: POLICY.check_unlock(w, NORTH, with_pin=True), True, True),
    (
        "unlock without a PIN",
        lambda w: POLICY.check_unlock(w, NORTH, with_pin=False),
        True,
        False,
    ),
    (
        "add an admin to north",
        lambda w: POLICY.check_operator_task(w, Action.ADMIN_ADD, NORTH),
        True,
        False,
    ),
    ("add an organisation", lambda w: POLICY.check_operator_task(w, Action.ORG_ADD), True, False),
    (
        "issue invoices",
        lambda w: POLICY.check_operator_task(w, Action.INVOICE_ISSUE),
        True,
        False,
    ),
    (
        "expire requests",
        lambda w: POLICY.check_operator_task(w, Action.TRANSFER_EXPIRE),
        True,
        False,
    ),
    ("add an operator", lambda w: POLICY.check_operator_task(w, Action.OPERATOR_ADD), True, False),
]
IDS = [c[0] for c in CHECKS]


# The one exception, unlocking without a PIN, is refused in an open ledger (decision 0029).
OPEN_CHECKS = [c for c in CHECKS if c[0] != "unlock without a PIN"]


@pytest.mark.parametrize(
    ("name", "check", "operator_may", "admin_may"), OPEN_CHECKS, ids=[c[0] for c in OPEN_CHECKS]
)
def test_an_open_ledger_lets_anyone_do_it(
    name: str, check: Check, operator_may: bool, admin_may: bool
) -> None:
    assert check(ANYONE_OPEN) == Success(Role.OPEN)


def test_an_open_ledger_refuses_to_unlock_without_another_admins_pin() -> None:
    refused = POLICY.check_unlock(ANYONE_OPEN, NORTH, with_pin=False)
    assert isinstance(refused, Failure)
    assert refused.failure().code == "not-authorised"
    assert "another admin's PIN" in refused.failure().message


@pytest.mark.parametrize(("name", "check", "operator_may", "admin_may"), CHECKS, ids=IDS)
def test_a_closed_ledger_allows_operators_by_the_table(
    name: str, check: Check, operator_may: bool, admin_may: bool
) -> None:
    if operator_may:
        assert check(OPERATOR) == Success(Role.OPERATOR)
    else:
        assert refused(check(OPERATOR)).actor == "olga"


@pytest.mark.parametrize(("name", "check", "operator_may", "admin_may"), CHECKS, ids=IDS)
def test_a_closed_ledger_allows_the_organisations_admin_by_the_table(
    name: str, check: Check, operator_may: bool, admin_may: bool
) -> None:
    if admin_may:
        assert check(NORTH_ADMIN) == Success(Role.ADMIN)
    else:
        assert refused(check(NORTH_ADMIN)).code == "not-authorised"


@pytest.mark.parametrize(("name", "check", "operator_may", "admin_may"), CHECKS, ids=IDS)
def test_a_closed_ledger_refuses_an_admin_of_another_organisation_and_a_stranger(
    name: str, check: Check, operator_may: bool, admin_may: bool
) -> None:
    refused(check(SOUTH_ADMIN))
    refused(check(STRANGER))


def test_the_refusal_names_the_actor_the_action_and_the_organisation() -> None:
    error = refused(POLICY.check_seat_change(SOUTH_ADMIN, Action.SEAT_DEACTIVATE, NORTH))
    assert error.code == "not-authorised"
    assert error.message == (
        "'sam' may not seat.deactivate for organisation 'north': "
        "only an operator or an admin of the organisation may"
    )


def test_an_import_needs_the_actor_allowed_for_every_organisation_in_it() -> None:
    both = Standing("nora", closed=True, admin_of=frozenset({NORTH, SOUTH}))
    assert POLICY.check_import(both, [NORTH, SOUTH]) == Success(Role.ADMIN)
    assert refused(POLICY.check_import(NORTH_ADMIN, [NORTH, SOUTH])).org == "south"


def test_a_seat_with_no_payer_can_be_changed_only_by_an_operator() -> None:
    refused(POLICY.check_seat_change(NORTH_ADMIN, Action.SEAT_RETRACT, None))
    assert POLICY.check_seat_change(OPERATOR, Action.SEAT_RETRACT, None) == Success(Role.OPERATOR)


def test_an_operator_who_is_also_the_receivers_admin_approves_as_admin() -> None:
    both = Standing("olga", closed=True, operator=True, admin_of=frozenset({NORTH}))
    assert POLICY.check_approve(both, NORTH) == Success(Role.ADMIN)
    assert POLICY.check_request(both, NORTH) == Success(Role.OPERATOR)


# The table, restated independently: who may do each action in a closed ledger.
OPERATORS_ONLY = {
    Action.ORG_ADD,
    Action.ORG_SET,
    Action.OPERATOR_ADD,
    Action.ADMIN_ADD,
    Action.TRANSFER_EXPIRE,
    Action.INVOICE_ISSUE,
    Action.SELLER_SET,
    Action.INVOICE_SEAL,
    Action.REMIND,
    Action.DELIVER,
    Action.SEAT_OWNER_CHANGE,
    Action.APIKEY_CREATE,
    Action.APIKEY_REVOKE,
}
ADMINS_ONLY = {Action.TRANSFER_APPROVE, Action.TRANSFER_TAKE_OVER}


@given(
    action=st.sampled_from(Action),
    operator=st.booleans(),
    admin_here=st.booleans(),
    admin_elsewhere=st.booleans(),
    closed=st.booleans(),
)
def test_every_action_and_role_pair_follows_the_policy_table(
    action: Action, operator: bool, admin_here: bool, admin_elsewhere: bool, closed: bool
) -> None:
    admin_of = {NORTH} if admin_here else set()
    if admin_elsewhere:
        admin_of.add(SOUTH)
    who = Standing("x", closed=closed, operator=operator, admin_of=frozenset(admin_of))
    result = POLICY.check(who, action, NORTH)
    if not closed:
        expected: Role | None = Role.OPEN
    elif operator and action not in ADMINS_ONLY:
        expected = Role.OPERATOR
    elif admin_here and action not in OPERATORS_ONLY:
        expected = Role.ADMIN
    else:
        expected = None
    if expected is None:
        assert refused(result).action == action.value
    else:
        assert result == Success(expected)


def test_the_table_has_a_rule_for_every_action() -> None:
    assert set(RULES) == set(Action)
