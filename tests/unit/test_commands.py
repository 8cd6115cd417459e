"""Commands as data: each write is one frozen value whose name and fields are its fingerprint.

Decision 0010 makes the fingerprint a stored contract: a key stored by an
earlier seatledger must still match its retry. Each case pairs a command
value with the mapping the command line and the embedding API built by hand
before writes were values (copied from their code), and pins the SHA-256
both gave then, so a change to a command's fields that would orphan stored
keys fails here.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from seatledger.domain.catalog import Cadence
from seatledger.domain.contracts import PaymentMethod
from seatledger.domain.dates import Period
from seatledger.domain.idempotency import fingerprint
from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.policies import AnnualStart
from seatledger.domain.seat import SeatKind
from seatledger.domain.services import commands as c
from seatledger.domain.services.contracts import ContractTerms
from seatledger.domain.services.dispatch import HANDLERS
from seatledger.domain.services.imports import ImportRow
from seatledger.entrypoints.dispatcher import CODECS

D = date(2025, 9, 15)
ROWS = (
    ImportRow(
        2,
        SeatId("s-1"),
        OrgId("acme"),
        date(2025, 1, 1),
        None,
        SeatKind.REGULAR,
        "Ada",
        frozenset({"library"}),
    ),
    ImportRow(
        3, SeatId("s-2"), OrgId("acme"), date(2025, 1, 1), D, SeatKind.STUDENT, "", frozenset()
    ),
)
TERMS = ContractTerms(
    plan="standard",
    cadence=Cadence.MONTHLY,
    licensed=10,
    overage_price=Decimal("12.50"),
    vat_percent=Decimal("21"),
    payment_method=PaymentMethod.CARD,
    effective_from=Period(2025, 9),
)
TERMS_POLICY = ContractTerms(
    plan="standard", annual_start=AnnualStart.MONTHLY, remove=frozenset({"discount"})
)

# (the command value, the mapping the CLI and the API built by hand before commands were values)
CASES = [
    (
        c.AddOrganisation("acme", "Acme Care", "Europe/Amsterdam", "EUR", True, "ops"),
        "org.add",
        {
            "org": "acme",
            "name": "Acme Care",
            "timezone": "Europe/Amsterdam",
            "currency": "EUR",
            "billing_relationship": True,
            "actor": "ops",
        },
    ),
    (
        c.SetOrganisation("acme", None, "Europe/London", D, None, "ops"),
        "org.set",
        {
            "org": "acme",
            "name": None,
            "timezone": "Europe/London",
            "timezone_from": D,
            "billing_relationship": None,
            "actor": "ops",
        },
    ),
    (
        c.SetContact(
            "acme",
            ["a@acme.test"],
            "https://acme.test/hook",
            "whsec_c2VjcmV0c2VjcmV0c2VjcmV0",
            actor="ops",
        ),
        "org.contact",
        {
            "org": "acme",
            "emails": ["a@acme.test"],
            "webhook_url": "https://acme.test/hook",
            "webhook_secret": True,
            "actor": "ops",
        },
    ),
    (
        c.SetContact("acme", None, None, None, actor="ops"),
        "org.contact",
        {
            "org": "acme",
            "emails": None,
            "webhook_url": None,
            "webhook_secret": False,
            "actor": "ops",
        },
    ),
    (
        c.AddAdmin("acme", "alice", "1234", actor="ops"),
        "admin.add",
        {"org": "acme", "admin": "alice", "actor": "ops"},
    ),
    (
        c.UnlockAdmin("acme", "alice", "bob", "9999", actor="ops"),
        "admin.unlock",
        {"org": "acme", "admin": "alice", "by": "bob", "actor": "ops"},
    ),
    (
        c.ActivateSeat(
            "s-1", "acme", "ops", D, SeatKind.STUDENT, "Ada", ("zeta", "library"), "paper"
        ),
        "seat.activate",
        {
            "seat": "s-1",
            "org": "acme",
            "actor": "ops",
            "on": D,
            "kind": SeatKind.STUDENT,
            "holder": "Ada",
            "addons": frozenset({"library", "zeta"}),
            "reason": "paper",
        },
    ),
    (
        c.ActivateSeat("s-1", "acme", "ops", None, SeatKind.REGULAR, "", ()),
        "seat.activate",
        {
            "seat": "s-1",
            "org": "acme",
            "actor": "ops",
            "on": None,
            "kind": SeatKind.REGULAR,
            "holder": "",
            "addons": frozenset(),
            "reason": None,
        },
    ),
    (
        c.DeactivateSeat("s-1", "ops", D, "left"),
        "seat.deactivate",
        {"seat": "s-1", "actor": "ops", "on": D, "reason": "left"},
    ),
    (
        c.CompleteSeat("s-1", "ops", None, None),
        "seat.complete",
        {"seat": "s-1", "actor": "ops", "on": None, "reason": None},
    ),
    (
        c.ReactivateSeat("s-1", "ops", D, "back", SeatKind.REGULAR, "Ada B", ("library",)),
        "seat.reactivate",
        {
            "seat": "s-1",
            "actor": "ops",
            "on": D,
            "reason": "back",
            "kind": SeatKind.REGULAR,
            "holder": "Ada B",
            "addons": frozenset({"library"}),
        },
    ),
    (
        c.ReactivateSeat("s-1", "ops", None, None),
        "seat.reactivate",
        {
            "seat": "s-1",
            "actor": "ops",
            "on": None,
            "reason": None,
            "kind": None,
            "holder": None,
            "addons": None,
        },
    ),
    (
        c.CorrectFact("s-1", 7, D, "ops", "HR"),
        "seat.correct",
        {"seat": "s-1", "seq": 7, "on": D, "actor": "ops", "reason": "HR"},
    ),
    (
        c.RetractFact("s-1", 9, "ops", "mistake"),
        "seat.retract",
        {"seat": "s-1", "seq": 9, "actor": "ops", "reason": "mistake"},
    ),
    (
        c.AddAddon("s-1", "library", "ops", D, "asked"),
        "seat.addon-add",
        {"seat": "s-1", "addon": "library", "actor": "ops", "on": D, "reason": "asked"},
    ),
    (
        c.RemoveAddon("s-1", "library", "ops", None, None),
        "seat.addon-remove",
        {"seat": "s-1", "addon": "library", "actor": "ops", "on": None, "reason": None},
    ),
    (
        c.ImportSeats(ROWS, "seats.csv", "ops"),
        "seat.import",
        {"rows": list(ROWS), "source": "seats.csv", "actor": "ops"},
    ),
    (
        c.RequestTransfer("s-1", "beta", "ops", 30, "moving"),
        "transfer.request",
        {"seat": "s-1", "to": "beta", "actor": "ops", "expires_in_days": 30, "reason": "moving"},
    ),
    (
        c.ApproveTransfer("TR-1", "bob", "1234", actor="ops", reason="ok"),
        "transfer.approve",
        {"request": "TR-1", "admin": "bob", "actor": "ops", "reason": "ok"},
    ),
    (
        c.RejectTransfer("TR-1", "bob", "1234", actor="ops"),
        "transfer.reject",
        {"request": "TR-1", "admin": "bob", "actor": "ops", "reason": None},
    ),
    (
        c.WithdrawTransfer("TR-1", "ops"),
        "transfer.withdraw",
        {"request": "TR-1", "actor": "ops", "reason": None},
    ),
    (c.ExpireTransfers("ops"), "transfer.expire", {"actor": "ops"}),
    (
        c.TakeOver("s-1", "beta", "bob", "1234", actor="ops", reason="ours"),
        "takeover",
        {"seat": "s-1", "by": "beta", "admin": "bob", "actor": "ops", "reason": "ours"},
    ),
    (
        c.SetContract("acme", TERMS, "ops"),
        "contract.set",
        {"org": "acme", "terms": TERMS, "actor": "ops"},
    ),
    (
        c.SetContract("acme", TERMS_POLICY, "ops"),
        "contract.set",
        {"org": "acme", "terms": TERMS_POLICY, "actor": "ops"},
    ),
    (
        c.RecordUsage("acme", "dossier", 3, D, "ops"),
        "usage.record",
        {"org": "acme", "kind": "dossier", "quantity": 3, "on": D, "actor": "ops"},
    ),
    (
        c.CorrectUsage(4, 2, None, "typo", "ops"),
        "usage.correct",
        {"record": 4, "quantity": 2, "on": None, "reason": "typo", "actor": "ops"},
    ),
    (
        c.RetractUsage(4, "never", "ops"),
        "usage.retract",
        {"record": 4, "reason": "never", "actor": "ops"},
    ),
]
# The fingerprints the hand-built mappings gave before commands were values.
PINNED = [
    "57b8940a993fd6168d575146f27d936c67cc71a22d51d6a0e7e300403b6bbc9c",  # org.add
    "876feab972548b00c2ceb42f3134e896fbb867d092d92d39b198f72e902d2516",  # org.set
    "c7b614a03ad965f524d4f5df09b03c6f9d5fcd78975aca0d5fff4ed9db27ec51",  # org.contact
    "549f92f87c9ad7db8866abf04bfa4b6482c3638841b2f07374ee0c214c1170ec",  # org.contact
    "34c0d347957841fb46d5a39343a904f1726c90842ef11bd58dab1a83f8b8a45e",  # admin.add
    "2afbeb91c7960a98b0f095a8def3baa652035c479858566f42448510af3f23bc",  # admin.unlock
    "37130d1818e81fabf3935cce7c8912eabc9733e3e67934b2088c85268bd94082",  # seat.activate
    "20bf45a346065c34cea3d19cdb7300d41c22081022cbb1d53c5c90e4bbe91de1",  # seat.activate
    "9ba80a90beead32fe8defd48739046aa3caefcb944be4c2078411a4f28408d98",  # seat.deactivate
    "24ed4da2aae5a62f9399a50a85ef08349351c9994c61fb18eec56a3ab88c69de",  # seat.complete
    "f60d53151078b91b4e648088d97c9b42fd339f005e02cd75aabba386149e3b6a",  # seat.reactivate
    "c6d0694154f486e73d4584e332ddebd922362114faeb22c8a44c0dbc9b33d2e5",  # seat.reactivate
    "9b6d575e5a2e4fec8c45292e059d18511e45c5f333379b836ee8e921ed3b9e9a",  # seat.correct
    "43f1c3612d46272a414a3f260d80ee8a28c8a6c9f075de8ff47650c5a18bd9f9",  # seat.retract
    "159bf5d47663057ac8f64403dd5829d346de44ba687ef53a5f28c328c36a88dd",  # seat.addon-add
    "ffa1100e7617a2ef5cc23793bdf31e4069de87df0a4e7cdbdba7ba940116ec71",  # seat.addon-remove
    "bea362d1f31b2edd3ca028495a08f04af931d101e1680f2b9951324e563b4a0b",  # seat.import
    "724f5c1097c99affd0ddfd915a8be0afe3579ad03e70092f78b9c9f1094991f6",  # transfer.request
    "5915a3ad1441287a89b13136c03f9a8160abb2210d2dd176b167455ed87b3edc",  # transfer.approve
    "efa9a85959d940afd38155c7a38f96a02a2bccb95d3040a7f9133646c1c0dd2e",  # transfer.reject
    "8aca3491563e5c76feae87678a4e6b01a5666bc617a21e8e6810c674afddbee1",  # transfer.withdraw
    "7a8deab2adbdfee4e2373321cb5cd2a28d434be7b025c2b22700d0937e635ac3",  # transfer.expire
    "dab60dd988c3cc08fd3286ffa275aa8f6a3be8dbcb2fcbff5ee90f013b2d5634",  # takeover
    "535cda435c0341353e9777a71db2fad8a5a32a73040b1cc0456e17af739a4489",  # contract.set
    "eb1d947ed201a54a07b6815edff0ebaa4a132269c3db930f0f4cb33e2712013d",  # contract.set
    "08db7028273e09cf66d1ceac43f0d8c3241a2052221c55e960416b8a75e4dcdf",  # usage.record
    "d3cc6bbd0ba46c7d6b751b9e850868e8499b9974ad94853100d2a20b471e8aa2",  # usage.correct
    "2f8a7b53663c118db7b668649610362f46a460c516078a1a564f5ce4e6da4ed4",  # usage.retract
]


@pytest.mark.parametrize(("command", "name", "before", "pinned"),
                         [(*case, pin) for case, pin in zip(CASES, PINNED, strict=True)],
                         ids=[f"{i}-{case[1]}" for i, case in enumerate(CASES)])  # fmt: skip
def test_a_command_value_keeps_the_fingerprint_its_hand_built_mapping_had(
    command: c.Command[object], name: str, before: dict[str, object], pinned: str
) -> None:
    assert name == command.NAME
    assert fingerprint(name, before) == pinned
    assert fingerprint(command.NAME, command.arguments()) == pinned


def test_add_ons_listed_in_another_order_are_the_same_command() -> None:
    one = c.ActivateSeat("s-1", "acme", "ops", D, SeatKind.REGULAR, "", ("zeta", "library"))
    other = c.ActivateSeat("s-1", "acme", "ops", D, SeatKind.REGULAR, "", ("library", "zeta"))
    assert fingerprint(one.NAME, one.arguments()) == fingerprint(other.NAME, other.arguments())


def test_a_pin_is_neither_in_the_fingerprint_nor_in_the_repr() -> None:
    approve = c.ApproveTransfer("TR-1", "bob", "4821", actor="ops")
    other_pin = c.ApproveTransfer("TR-1", "bob", "0000", actor="ops")
    assert "pin" not in approve.arguments()
    assert fingerprint(approve.NAME, approve.arguments()) == fingerprint(
        other_pin.NAME, other_pin.arguments()
    )
    assert "4821" not in repr(approve)


def test_a_webhook_secret_counts_only_as_given_and_never_shows() -> None:
    contact = c.SetContact("acme", None, "https://a.test/h", "whsec_dG9wc2VjcmV0IQ==", actor="o")
    assert contact.arguments()["webhook_secret"] is True
    assert "whsec_" not in repr(contact)


def test_a_rotation_changes_the_fingerprint_but_a_plain_contact_change_keeps_the_old_one() -> None:
    plain = c.SetContact("acme", None, None, None, actor="ops")
    rotated = c.SetContact("acme", None, None, "whsec_bmV3", actor="ops", rotate_secret=True)
    assert "rotate_secret" not in plain.arguments()
    assert rotated.arguments()["rotate_secret"] is True


def test_every_command_has_one_handler_and_one_result_codec() -> None:
    assert set(c.ALL) == set(HANDLERS) == set(CODECS)
    assert len({command.NAME for command in c.ALL}) == len(c.ALL)
