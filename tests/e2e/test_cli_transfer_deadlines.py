"""One deadline for a transfer request: the sender's next count date, wherever it is shown.

North is an annual customer whose training year starts on 1 September, so
its seats are counted on 31 August. A request it sends on 10 July must be
approved by 31 August (not by 31 July, the month end) for the receiver to
pay for the year. ``transfer request`` (text and JSON), ``transfer list``
(text and JSON), the receiver's notification and the sender's reminders
all name 31 August; a sender without a contract, or with a monthly one,
gets its own count date.
"""

from __future__ import annotations

import pytest
from cli_driver import Cli

REQUESTED = "2025-07-10"


@pytest.fixture
def clinics(cli: Cli) -> Cli:
    for org, name in (("north", "North Clinic"), ("south", "South Clinic"),
                      ("west", "West Clinic"), ("east", "East Clinic")):  # fmt: skip
        cli.ok("org", "add", org, "--name", name, today="2025-07-01")
    cli.ok("contract", "set", "north", "--plan", "standard", "--cadence", "annual",
           "--year-start", "09-01", today="2025-07-01")  # fmt: skip
    cli.ok("contract", "set", "west", "--plan", "standard", "--cadence", "monthly",
           "--reference", "day:15", today="2025-07-01")  # fmt: skip
    for seat, org in (("p-1", "north"), ("p-2", "north"), ("w-1", "west"), ("e-1", "east")):
        cli.ok("seat", "activate", seat, "--org", org, today="2025-07-01")
    return cli


def test_an_annual_sender_s_request_is_due_on_its_count_date_everywhere(clinics: Cli) -> None:
    text = clinics.ok("transfer", "request", "p-1", "--to", "south", today=REQUESTED)
    request = text.splitlines()[0]
    assert text.splitlines()[1] == (
        "requested: south to pay for seat p-1 instead of north. Approved on or before "
        "2025-08-31, south pays for that period; later, north still does."
    )
    made = clinics.json("transfer", "request", "p-2", "--to", "south", today=REQUESTED)
    assert made["deadline"] == "2025-08-31"

    listed = clinics.json("transfer", "list", "--org", "north", "--pending", today=REQUESTED)
    assert {(r["request"], r["deadline"]) for r in listed["requests"]} == {
        (request, "2025-08-31"), (made["request"], "2025-08-31"),
    }  # fmt: skip
    table = clinics.ok("transfer", "list", "--org", "north", "--pending", today=REQUESTED)
    assert "2025-08-31" in table
    assert "2025-07-31" not in table
    # Asked again later in July, the deadline is still the count date, not July's end.
    later = clinics.json("transfer", "list", "--org", "south", today="2025-07-30")
    assert {r["deadline"] for r in later["requests"]} == {"2025-08-31"}

    outbox = clinics.json("notify", "list", today=REQUESTED)
    subjects = {m["id"]: m["subject"] for m in outbox["messages"]}
    assert subjects[f"transfer-requested:{request}"].endswith(f"({request}, by 2025-08-31)")

    # The sender is reminded three days before its count date and on it, not at month end.
    assert clinics.json("remind", "--no-deliver", today="2025-07-28")["due"] == []
    for day in ("2025-08-28", "2025-08-31"):
        due = clinics.json("remind", "--no-deliver", today=day)["due"]
        [reminder] = [m for m in due if m["kind"] == "pending-transfers"]
        assert reminder["org"] == "north"
        assert reminder["subject"].endswith("billed to you on 2025-08-31 unless approved")


def test_a_monthly_sender_and_one_without_a_contract_have_their_own_count_dates(
    clinics: Cli,
) -> None:
    west = clinics.json("transfer", "request", "w-1", "--to", "south", today=REQUESTED)
    east = clinics.json("transfer", "request", "e-1", "--to", "south", today=REQUESTED)
    assert (west["deadline"], east["deadline"]) == ("2025-07-15", "2025-07-31")
    listed = clinics.json("transfer", "list", "--org", "south", "--pending", today=REQUESTED)
    assert {r["from"]: r["deadline"] for r in listed["requests"]} == {
        "west": "2025-07-15", "east": "2025-07-31",
    }  # fmt: skip
