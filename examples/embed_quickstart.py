"""seatledger embedded in a dozen lines: seats, a billing question, an invoice and its proof.

Run it with ``python examples/embed_quickstart.py``; it works in a temporary
directory and leaves nothing behind.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import seatledger


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = str(Path(folder) / "seats.db")
        with seatledger.connect(url, today=date(2026, 10, 1), actor="quickstart") as ledger:
            ledger.add_organisation("acme", "Acme Care")
            for n, day in enumerate([date(2026, 8, 3), date(2026, 9, 7), date(2026, 9, 21)]):
                ledger.activate(f"seat-{n}", "acme", on=day, reason="backfill", holder=f"L{n}")
            ledger.deactivate("seat-0", on=date(2026, 9, 30), reason="left on the 30th")
            billable = ledger.seats_on("acme", date(2026, 9, 30))
            print("billable on 2026-09-30:", ", ".join(row.seat for row in billable.rows))
            ledger.set_contract("acme", plan="standard", effective_from="2026-09")
            # September is counted on the 30th and billed once that day has ended everywhere.
            run = ledger.bill_run("2026-09")
            invoice = run.invoices[0]
            print(f"invoice {invoice.id}: total {invoice.total} {invoice.currency}")
            print("verified:", ledger.verify(invoice.id).ok)


if __name__ == "__main__":
    main()
