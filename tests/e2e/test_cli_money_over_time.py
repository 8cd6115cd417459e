"""Money over a contract's life, through the command line (docs/billing.md, "Billed coverage").

Each test is one sequence a billing administrator runs with the shipped
catalog: cadence switches both ways, an annual contract signed mid-year,
usage priced under the plan it was used under, a plan chosen after a
trial, transfers between monthly and annual organisations, credits at the
VAT of the invoice they correct, a 'once' discount with a missed month,
licences with overage, and balances that turn negative. Every amount is
worked out by hand in the test's docstring.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cli_driver import Cli

PIN = "482193"


def org(cli: Cli, name: str, *terms: str, day: str = "2025-08-20") -> None:
    cli.ok("org", "add", name, "--name", name.title(), "--timezone", "Europe/Brussels", today=day)
    if terms:
        cli.ok("contract", "set", name, *terms, today=day)


def seats(cli: Cli, name: str, count: int, day: str = "2025-08-20", prefix: str = "") -> None:
    for i in range(count):
        cli.ok("seat", "activate", f"{prefix or name}-{i}", "--org", name, today=day)


def run(cli: Cli, period: str, today: str, only: str | None = None) -> dict[str, Any]:
    document: dict[str, Any] = cli.json(
        "bill", "run", "--period", period, *(["--org", only] if only else []), today=today
    )
    return document


def outcome(document: dict[str, Any], name: str) -> dict[str, Any]:
    [found] = [o for o in document["outcomes"] if o["org"] == name]
    return found


def invoice(document: dict[str, Any], name: str) -> dict[str, Any]:
    [found] = [i for i in document["invoices"] if i["org"] == name]
    return found


def assert_all_verify(cli: Cli) -> None:
    checked = cli.json("invoice", "verify", "--all")
    assert checked["checked"] > 0
    assert checked["failed"] == [], checked


def amounts(doc: dict[str, Any]) -> list[tuple[str, int, str, str]]:
    return [(ln["kind"], ln["quantity"], ln["unit_price"], ln["amount"]) for ln in doc["lines"]]


ANNUAL = ("--plan", "standard", "--cadence", "annual", "--year-start", "09-01")
MONTHLY = ("--plan", "standard", "--cadence", "monthly")


def test_annual_to_monthly_waits_for_the_paid_year_to_end(cli: Cli):
    """2 seats paid 2 x 390.00 for the year from 1 September; a switch to monthly in October
    bills nothing more until the year ends, then 2 x 39.00 from September 2026."""
    org(cli, "acme", *ANNUAL, "--from", "2025-09")
    seats(cli, "acme", 2)
    september = invoice(run(cli, "2025-09", "2025-09-01"), "acme")
    assert september["subtotal"] == "780.00"
    cli.ok("contract", "set", "acme", "--cadence", "monthly", today="2025-10-05")
    for period, day in (("2025-10", "2025-11-01"), ("2025-11", "2025-12-01"),
                        ("2026-08", "2026-09-01")):  # fmt: skip
        assert outcome(run(cli, period, day), "acme")["outcome"] == "nothing to bill"
    next_year = invoice(run(cli, "2026-09", "2026-10-01"), "acme")
    assert amounts(next_year) == [("seat", 2, "39.00", "78.00")]


def test_annual_to_monthly_with_credit_credits_the_unused_whole_months(cli: Cli):
    """--leave-annual credit: the year ends after September and October (2 of 12 months,
    65.00 a seat), so 2 x (390.00 - 65.00) = 650.00 is credited at 21 %; November's 2 x 39.00
    leaves -572.00 + VAT -120.12 = -692.12: a credit note, never a negative invoice."""
    org(cli, "acme", *ANNUAL, "--from", "2025-09")
    seats(cli, "acme", 2)
    run(cli, "2025-09", "2025-09-01")
    cli.ok("contract", "set", "acme", "--cadence", "monthly", "--leave-annual", "credit",
           today="2025-10-05")  # fmt: skip
    november = run(cli, "2025-11", "2025-12-01")
    note = invoice(november, "acme")
    assert note["invoice"] == "CN-2025-11-acme"
    assert note["document"] == "credit-note"
    assert note["corrects"] == ["INV-2025-09-acme"]
    assert amounts(note) == [("seat", 2, "39.00", "78.00"), ("adjustment", 1, "-650.00", "-650.00")]
    assert (note["subtotal"], note["vat"], note["total"]) == ("-572.00", "-120.12", "-692.12")
    assert_all_verify(cli)


def test_monthly_to_annual_in_october_pays_ten_twelfths_from_november(cli: Cli):
    """Monthly 2 x 39.00 for September and October; annual from November pays the 10 months
    to the year start pro rata: 2 x 325.00 = 650.00, then 2 x 390.00 in September 2026."""
    org(cli, "bolt", *MONTHLY, day="2025-09-01")
    seats(cli, "bolt", 2, day="2025-09-01")
    assert invoice(run(cli, "2025-09", "2025-10-01"), "bolt")["subtotal"] == "78.00"
    cli.ok("contract", "set", "bolt", "--cadence", "annual", "--year-start", "09-01",
           today="2025-10-05")  # fmt: skip
    assert invoice(run(cli, "2025-10", "2025-11-01"), "bolt")["subtotal"] == "78.00"
    november = invoice(run(cli, "2025-11", "2025-11-02"), "bolt")
    assert amounts(november) == [("seat", 2, "325.00", "650.00")]
    assert "10 of 12 months, 2025-11 to 2026-08" in november["lines"][0]["description"]
    assert november["lines"][0]["covers"] == {
        "from": "2025-11", "months": 10, "counted_on": "2025-10-31",
    }  # fmt: skip
    assert outcome(run(cli, "2025-12", "2026-01-01"), "bolt")["outcome"] == "nothing to bill"
    assert invoice(run(cli, "2026-09", "2026-09-01"), "bolt")["subtotal"] == "780.00"


def test_an_annual_contract_signed_mid_year_pays_to_the_next_year_start(cli: Cli):
    """Signed on 15 November, year start 1 September, 4 seats active on 31 October:
    4 x 325.00 (10 of 12 months of 390.00) = 1300.00 + 21 % = 1573.00, billed at once."""
    org(cli, "cara", day="2025-10-01")
    seats(cli, "cara", 4, day="2025-10-01")
    cli.ok("contract", "set", "cara", *ANNUAL, today="2025-11-15")
    november = invoice(run(cli, "2025-11", "2025-11-15"), "cara")
    assert amounts(november) == [("seat", 4, "325.00", "1300.00")]
    assert november["total"] == "1573.00"
    assert outcome(run(cli, "2026-01", "2026-02-01"), "cara")["outcome"] == "nothing to bill"


def test_usage_is_priced_at_the_plan_in_force_when_it_was_used(cli: Cli):
    """3 new dossiers in September on Standard (included) are not billed on October's invoice
    after a move to Starter; 3 made in September on Starter are 3 x 5.00 after a move back."""
    org(cli, "dina", *MONTHLY, "--payment-method", "card", day="2025-09-01")
    org(cli, "emil", "--plan", "starter", "--cadence", "monthly", "--payment-method", "card",
        day="2025-09-01")  # fmt: skip
    for name in ("dina", "emil"):
        seats(cli, name, 1, day="2025-09-01")
    for name in ("dina", "emil"):
        cli.ok("usage", "record", name, "new-dossier", "--quantity", "3", "--on", "2025-09-10",
               today="2025-09-10")  # fmt: skip
    cli.ok("contract", "set", "dina", "--plan", "starter", today="2025-09-20")
    cli.ok("contract", "set", "emil", "--plan", "standard", today="2025-09-20")
    october = run(cli, "2025-10", "2025-11-01")
    assert amounts(invoice(october, "dina")) == [("seat", 1, "15.00", "15.00")]
    assert amounts(invoice(october, "emil")) == [
        ("seat", 1, "39.00", "39.00"), ("usage", 3, "5.00", "15.00"),
    ]  # fmt: skip


def test_a_plan_chosen_after_a_trial_bills_the_month_it_was_chosen_in(cli: Cli):
    """Trial until 15 September, plan chosen on 10 October: subscribed at once, and October
    is billed (2 x 39.00), not skipped until November."""
    org(cli, "fay", "--trial-until", "2025-09-15", day="2025-09-01")
    seats(cli, "fay", 2, day="2025-09-01")
    cli.ok("contract", "set", "fay", *MONTHLY, today="2025-10-10")
    assert cli.json("contract", "show", "fay", today="2025-10-10")["status"] == "active"
    assert invoice(run(cli, "2025-10", "2025-11-01"), "fay")["subtotal"] == "78.00"


def admin(cli: Cli, name: str, day: str) -> None:
    cli.ok("admin", "add", name, "boss", today=day, pin=PIN)


def test_a_seat_paid_for_the_year_moving_to_a_monthly_organisation_is_not_paid_twice(cli: Cli):
    """Annual 'gold' paid 390.00 for p-1 on 1 September; 'mono' (monthly) takes it over on
    10 October. Mono pays its own seat (39.00) but not p-1 until the paid year ends."""
    org(cli, "gold", *ANNUAL, "--from", "2025-09")
    seats(cli, "gold", 1, prefix="p")
    org(cli, "mono", *MONTHLY, day="2025-09-01")
    seats(cli, "mono", 1, day="2025-09-01", prefix="m")
    admin(cli, "mono", "2025-09-01")
    run(cli, "2025-09", "2025-10-01")
    cli.ok("takeover", "p-0", "--by", "mono", "--admin", "boss", today="2025-10-10", pin=PIN)
    october = invoice(run(cli, "2025-10", "2025-11-01"), "mono")
    assert amounts(october) == [("seat", 1, "39.00", "39.00")]
    assert "p-0" in " ".join(cli.ok("invoice", "explain", october["invoice"]).split())
    september_2026 = invoice(run(cli, "2026-09", "2026-10-01"), "mono")
    assert amounts(september_2026) == [("seat", 2, "39.00", "78.00")]


def test_a_seat_taken_over_by_an_annual_organisation_after_its_count_is_paid_by_it(cli: Cli):
    """Monthly 'mono' paid September for p-0; annual 'gold' (counted 31 August) takes it over
    on 10 October. Mono no longer pays it in October; gold pays the 11 months October to
    August: 390.00 x 11/12 = 357.50, on its invoice for November (counted 31 October)."""
    org(cli, "gold", *ANNUAL, "--from", "2025-09")
    seats(cli, "gold", 1, prefix="g")
    org(cli, "mono", *MONTHLY, day="2025-09-01")
    seats(cli, "mono", 2, day="2025-09-01", prefix="p")
    admin(cli, "gold", "2025-09-01")
    september = run(cli, "2025-09", "2025-10-01")
    assert invoice(september, "gold")["subtotal"] == "390.00"
    assert invoice(september, "mono")["subtotal"] == "78.00"
    cli.ok("takeover", "p-0", "--by", "gold", "--admin", "boss", today="2025-10-10", pin=PIN)
    october = run(cli, "2025-10", "2025-11-01")
    assert amounts(invoice(october, "mono")) == [("seat", 1, "39.00", "39.00")]
    assert outcome(october, "gold")["outcome"] == "nothing to bill"
    november = run(cli, "2025-11", "2025-12-01")
    taken = invoice(november, "gold")
    assert amounts(taken) == [("seat", 1, "357.50", "357.50")]
    assert "taken over during 2025-10" in taken["lines"][0]["description"]
    assert_all_verify(cli)


def test_a_late_credit_to_a_21_percent_invoice_gives_the_vat_back_after_reverse_charge(cli: Cli):
    """September at 21 % (2 x 39.00 + 16.38). VAT becomes 0 % (reverse charge) from October; a
    deactivation backdated into September credits 39.00 at 21 %: October is 39.00 at 0 % and
    -39.00 at 21 %, VAT -8.19: a credit note of -8.19."""
    org(cli, "hugo", *MONTHLY, day="2025-09-01")
    seats(cli, "hugo", 2, day="2025-09-01")
    cli.ok("contract", "set", "hugo", "--vat", "0", today="2025-09-20")  # from October
    assert invoice(run(cli, "2025-09", "2025-10-01"), "hugo")["vat"] == "16.38"
    cli.ok(
        "seat", "deactivate", "hugo-1", "--on", "2025-09-15", "--reason", "left", today="2025-10-03"
    )
    october = invoice(run(cli, "2025-10", "2025-11-01"), "hugo")
    assert october["document"] == "credit-note"
    assert amounts(october) == [
        ("seat", 1, "39.00", "39.00"),
        ("adjustment", 1, "-39.00", "-39.00"),
    ]
    assert october["lines"][1]["vat_rate"] == "21"
    assert october["vat_breakdown"] == [
        {"rate": "0", "base": "39.00", "vat": "0.00"},
        {"rate": "21", "base": "-39.00", "vat": "-8.19"},
    ]
    assert (october["subtotal"], october["vat"], october["total"]) == ("0.00", "-8.19", "-8.19")


def test_a_negative_balance_is_carried_to_the_next_invoice_when_the_contract_says_so(cli: Cli):
    """--negative-balance carry: 3 seats (117.00) in September; two leave backdated into
    September and the third is deactivated in October. October has nothing to charge, so the
    -78.00 credit waits; November's new seat (39.00) takes... nothing, it would go below zero;
    December's 3 new seats (117.00) take it: 117.00 - 78.00 = 39.00."""
    org(cli, "ivo", *MONTHLY, "--negative-balance", "carry", day="2025-09-01")
    seats(cli, "ivo", 3, day="2025-09-01")
    run(cli, "2025-09", "2025-10-01")
    for i in (1, 2):
        cli.ok("seat", "deactivate", f"ivo-{i}", "--on", "2025-09-15", "--reason", "left",
               today="2025-10-02")  # fmt: skip
    cli.ok("seat", "deactivate", "ivo-0", "--on", "2025-10-05", today="2025-10-05")
    assert outcome(run(cli, "2025-10", "2025-11-01"), "ivo")["outcome"] == "nothing to bill"
    cli.ok("seat", "activate", "ivo-3", "--org", "ivo", today="2025-11-02")
    november = invoice(run(cli, "2025-11", "2025-12-01"), "ivo")
    assert amounts(november) == [("seat", 1, "39.00", "39.00")]
    for i in (4, 5):
        cli.ok("seat", "activate", f"ivo-{i}", "--org", "ivo", today="2025-12-02")
    december = invoice(run(cli, "2025-12", "2026-01-01"), "ivo")
    assert amounts(december) == [
        ("seat", 3, "39.00", "117.00"),
        ("adjustment", 1, "-78.00", "-78.00"),
    ]
    assert december["total"] == "47.19"


def test_a_once_discount_is_not_taken_again_when_a_missed_month_is_billed_later(cli: Cli):
    """FIRST50 (50.00 off once): October is billed first and takes it; September, billed
    afterwards, does not (117.00, not 67.00)."""
    org(cli, "juno", *MONTHLY, "--discount", "FIRST50", day="2025-09-01")
    seats(cli, "juno", 3, day="2025-09-01")
    october = invoice(run(cli, "2025-10", "2025-11-01"), "juno")
    assert october["subtotal"] == "67.00"
    september = invoice(run(cli, "2025-09", "2025-11-02"), "juno")
    assert september["subtotal"] == "117.00"
    assert all(line["kind"] != "discount" for line in september["lines"])


def test_a_licence_is_its_fee_and_only_the_seats_above_it_are_overage(cli: Cli):
    """5 seats on a 4-seat licence at 12.50 overage: 4 x 39.00 = 156.00 licence + 1 x 12.50
    overage = 168.50 (not 5 x 39.00 + 12.50). With --overage-invoice separate the overage is
    its own document, OVG-2025-09-kilo, with the seats as its proof."""
    org(cli, "kilo", *MONTHLY, "--licensed", "4", "--overage-price", "12.50", day="2025-09-01")
    org(cli, "lima", *MONTHLY, "--licensed", "4", "--overage-price", "12.50",
        "--overage-invoice", "separate", day="2025-09-01")  # fmt: skip
    for name in ("kilo", "lima"):
        seats(cli, name, 5, day="2025-09-01")
    september = run(cli, "2025-09", "2025-10-01")
    assert amounts(invoice(september, "kilo")) == [
        ("seat", 4, "39.00", "156.00"), ("overage", 1, "12.50", "12.50"),
    ]  # fmt: skip
    lima = [i for i in september["invoices"] if i["org"] == "lima"]
    assert [(i["invoice"], amounts(i)) for i in lima] == [
        ("INV-2025-09-lima", [("seat", 4, "39.00", "156.00")]),
        ("OVG-2025-09-lima", [("overage", 1, "12.50", "12.50")]),
    ]
    assert lima[1]["seats_counted"] == 5
    assert cli.json("invoice", "verify", "OVG-2025-09-lima")["ok"] is True
    again = run(cli, "2025-09", "2025-10-02")
    assert outcome(again, "lima")["outcome"] == "already issued"


def test_a_run_bills_everyone_else_when_one_organisation_cannot_be_billed(cli: Cli, tmp_path: Path):
    """'mike' is on Blended, which a replacement catalog no longer has: the run issues
    north's invoice, names mike with its reason, and exits 1."""
    org(cli, "mike", "--plan", "blended", "--cadence", "monthly", day="2025-09-01")
    org(cli, "nora", *MONTHLY, day="2025-09-01")
    for name in ("mike", "nora"):
        seats(cli, name, 1, day="2025-09-01")
    from seatledger.adapters.catalog import loader

    shipped = Path(loader.__file__).with_name("default.toml").read_text(encoding="utf-8")
    start = shipped.index("[plans.blended]")
    end = shipped.index("[student_rate]")
    catalog = tmp_path / "no-blended.toml"
    catalog.write_text(shipped[:start] + shipped[end:], encoding="utf-8")
    done = cli("--catalog", str(catalog), "bill", "run", "--period", "2025-09",
               today="2025-10-01")  # fmt: skip
    assert done.code == 1, done
    assert "INV-2025-09-nora" in done.out
    assert "mike: unknown-plan" in done.err
    assert "issued in this run: INV-2025-09-nora" in done.err
    listed = cli.json("invoice", "list")
    assert [i["invoice"] for i in listed["invoices"]] == ["INV-2025-09-nora"]


def test_a_discount_a_licence_and_a_trial_can_be_removed_from_a_period_on(cli: Cli):
    """--remove drops a term from the next period on: PARTNER5 (5 % off) stops, the 2-seat
    licence becomes per-seat billing (3 x 39.00), and each removal is an audited version."""
    org(cli, "oslo", *MONTHLY, "--discount", "PARTNER5", "--licensed", "2",
        "--overage-price", "12.50", day="2025-09-01")  # fmt: skip
    seats(cli, "oslo", 3, day="2025-09-01")
    september = invoice(run(cli, "2025-09", "2025-10-01"), "oslo")
    assert amounts(september) == [
        ("seat", 2, "39.00", "78.00"), ("overage", 1, "12.50", "12.50"),
        ("discount", 1, "-4.53", "-4.53"),
    ]  # fmt: skip
    done = cli.json("contract", "set", "oslo", "--remove", "discount", "--remove", "licence",
                    today="2025-10-02")  # fmt: skip
    assert (done["discount_code"], done["licensed"], done["overage_price"]) == (None, None, None)
    assert done["effective_from"] == "2025-11"
    assert invoice(run(cli, "2025-10", "2025-11-01"), "oslo")["subtotal"] == "85.97"
    assert amounts(invoice(run(cli, "2025-11", "2025-12-01"), "oslo")) == [
        ("seat", 3, "39.00", "117.00")
    ]
    entries = cli.json("audit", "--org", "oslo")["entries"]
    assert [e["action"] for e in entries].count("contract.set") == 2
    message = cli.refused("invalid-contract", "contract", "set", "oslo", "--remove", "plan")
    assert "discount, licence, trial" in message
    message = cli.refused("invalid-contract", "contract", "set", "oslo", "--discount",
                          "FIRST50", "--remove", "discount")  # fmt: skip
    assert "cannot both set and remove discount" in message


def test_removing_a_trial_bills_from_the_next_period(cli: Cli):
    """A plan with a trial until 31 December; removing the trial on 1 November bills December
    (a change applies from the next period)."""
    org(cli, "pisa", *MONTHLY, "--trial-until", "2025-12-31", day="2025-10-01")
    seats(cli, "pisa", 1, day="2025-10-01")
    assert outcome(run(cli, "2025-10", "2025-11-01"), "pisa")["outcome"] == "in trial"
    cli.ok("contract", "set", "pisa", "--remove", "trial", today="2025-11-01")
    assert outcome(run(cli, "2025-11", "2025-11-02"), "pisa")["outcome"] == "in trial"
    assert invoice(run(cli, "2025-12", "2026-01-01"), "pisa")["subtotal"] == "39.00"
