"""``Ledger.transfers`` gives a pending request the sender's next count date as its deadline.

An annual sender whose year starts on 1 September counts on 31 August: a
request sent in July is due then, not at the end of July; the receiver's
notification in the outbox names the same day.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import seatledger


def test_an_annual_sender_s_request_is_due_on_31_august(tmp_path: Path) -> None:
    with seatledger.connect(str(tmp_path / "ledger.db"), today=date(2025, 7, 1)) as ledger:
        ledger.add_organisation("north", "North Clinic")
        ledger.add_organisation("south", "South Clinic")
        ledger.set_contract("north", plan="standard", cadence="annual", year_start="09-01")
        ledger.activate("p-1", "north")
        july = ledger.with_today(date(2025, 7, 10))
        request = july.request_transfer("p-1", "south")
        [view] = july.transfers("north", pending_only=True)
        assert (view.request.id, view.deadline) == (request.id, date(2025, 8, 31))
        [message] = [e.message for e in july.outbox() if e.message.org == "south"]
        assert message.data["deadline"] == "2025-08-31"
        assert "Approve it on or before 2025-08-31" in message.body
