"""Plans, contracts and invoices from the command line, as a billing administrator runs them.

Every flow is dated with ``--today`` so that the simulated clock passes the
reference dates exactly as it would in a month of real work. The prices are
those of the shipped catalog (docs/billing.md).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from cli_driver import Cli, write_csv

INVOICE_KEYS = {
    "invoice",
    "org",
    "period",
    "reference_date",
    "status",
    "currency",
    "lines",
    "subtotal",
    "vat_rate",
    "vat",
    "total",
    "evidence_hash",
}
LINE_KEYS = {"kind", "description", "quantity", "unit_price", "amount"}


def north_with_three_seats(
    cli: Cli, *, plan: str = "standard", extra: tuple[str, ...] = ()
) -> None:
    """North Clinic, a monthly month-end contract from September 2025, three seats."""
    cli.ok("org", "add", "north", "--name", "North Clinic", today="2025-09-01")
    cli.ok(
        "contract", "set", "north", "--plan", plan, "--cadence", "monthly", *extra,
        today="2025-09-01",
    )  # fmt: skip
    for seat in ("s0", "s1", "s2"):
        cli.ok("seat", "activate", seat, "--org", "north", "--holder", f"holder {seat}",
               today="2025-09-02")  # fmt: skip


def issued(cli: Cli, period: str, today: str, org: str | None = None) -> dict[str, Any]:
    """Bill ``period`` on ``today`` (for ``org``); the one invoice of the run."""
    args = ["bill", "run", "--period", period, *(["--org", org] if org else [])]
    run = cli.json(*args, today=today)
    assert run["period"] == period
    assert run["dry_run"] is False
    assert len(run["invoices"]) == 1, run
    invoice: dict[str, Any] = run["invoices"][0]
    return invoice


def test_three_standard_seats_cost_117_plus_24_57_vat_is_141_57(cli: Cli):
    north_with_three_seats(cli)
    invoice = issued(cli, "2025-09", "2025-10-01")
    assert invoice.keys() >= INVOICE_KEYS
    assert {key: invoice[key] for key in INVOICE_KEYS - {"lines", "evidence_hash"}} == {
        "invoice": "INV-2025-09-north",
        "org": "north",
        "period": "2025-09",
        "reference_date": "2025-09-30",
        "status": "issued",
        "currency": "EUR",
        "subtotal": "117.00",
        "vat_rate": "21",
        "vat": "24.57",
        "total": "141.57",
    }
    [line] = invoice["lines"]
    assert line.keys() >= LINE_KEYS
    assert (line["kind"], line["quantity"], line["unit_price"], line["amount"]) == (
        "seat", 3, "39.00", "117.00",
    )  # fmt: skip
    assert len(invoice["evidence_hash"]) == 64
    shown = cli.ok("invoice", "show", "INV-2025-09-north")
    assert "141.57 EUR" in shown
    assert "24.57" in shown
    assert cli.json("invoice", "show", "INV-2025-09-north") == invoice


def test_a_second_run_issues_nothing_new(cli: Cli):
    north_with_three_seats(cli)
    first = issued(cli, "2025-09", "2025-10-01")
    again = cli.json("bill", "run", "--period", "2025-09", today="2025-10-02")
    assert [o["outcome"] for o in again["outcomes"]] == ["already issued"]
    assert again["invoices"] == [first]
    listed = cli.json("invoice", "list")["invoices"]
    assert [i["invoice"] for i in listed] == ["INV-2025-09-north"]
    text = cli.ok("bill", "run", "--period", "2025-09", today="2025-10-02")
    assert "already issued" in text


def test_billing_before_the_reference_date_is_refused_and_a_dry_run_forecasts(cli: Cli):
    north_with_three_seats(cli)
    message = cli.refused(
        "reference-date-not-reached", "bill", "run", "--period", "2025-09", "--org", "north",
        today="2025-09-20",
    )  # fmt: skip
    assert "2025-09-30" in message
    everyone = cli.json("bill", "run", "--period", "2025-09", today="2025-09-20")
    assert [(o["org"], o["outcome"]) for o in everyone["outcomes"]] == [("north", "not due yet")]
    assert everyone["invoices"] == []
    forecast = cli.json("bill", "run", "--period", "2025-09", "--dry-run", today="2025-09-20")
    assert forecast["dry_run"] is True
    [invoice] = forecast["invoices"]
    assert (invoice["status"], invoice["total"]) == ("forecast", "141.57")
    text = cli.ok("bill", "run", "--period", "2025-09", "--dry-run", today="2025-09-20")
    assert "FORECAST" in text
    assert "nothing was issued" in text
    assert cli.json("invoice", "list")["invoices"] == []
    cli.refused("unknown-invoice", "invoice", "show", "INV-2025-09-north")


def test_an_annual_contract_is_counted_the_day_before_the_year_starts(cli: Cli):
    cli.ok("org", "add", "college", "--name", "City College", today="2025-08-01")
    cli.ok(
        "contract", "set", "college", "--plan", "standard", "--cadence", "annual",
        "--year-start", "09-01", today="2025-08-01",
    )  # fmt: skip
    for n in range(5):
        cli.ok("seat", "activate", f"c{n}", "--org", "college", today="2025-08-10")
    # Activated on the year start itself: counted at the next year start.
    cli.ok("seat", "activate", "late", "--org", "college", today="2025-09-01")
    invoice = issued(cli, "2025-09", "2025-09-02")
    assert invoice["reference_date"] == "2025-08-31"
    [line] = invoice["lines"]
    assert (line["quantity"], line["unit_price"], line["amount"]) == (5, "390.00", "1950.00")
    assert (invoice["vat"], invoice["total"]) == ("409.50", "2359.50")
    october = cli.json("bill", "run", "--period", "2025-10", today="2025-11-01")
    assert [o["outcome"] for o in october["outcomes"]] == ["nothing to bill"]
    assert cli.json("contract", "show", "college", today="2025-10-31")["status"] == "active"


def test_starter_usage_goes_on_the_next_invoice(cli: Cli):
    cli.ok("org", "add", "kauri", "--name", "Kauri Health", today="2025-09-01")
    cli.ok("contract", "set", "kauri", "--plan", "starter", "--cadence", "monthly",
           today="2025-09-01")  # fmt: skip
    cli.ok("seat", "activate", "k1", "--org", "kauri", today="2025-09-01")
    cli.ok("seat", "activate", "k2", "--org", "kauri", today="2025-09-01")
    recorded = cli.json("usage", "record", "kauri", "new-dossier", "--quantity", "3",
                        today="2025-09-14")  # fmt: skip
    assert (recorded["kind"], recorded["quantity"], recorded["on"]) == (
        "new-dossier", 3, "2025-09-14",
    )  # fmt: skip
    september = issued(cli, "2025-09", "2025-10-01")
    assert [(li["kind"], li["amount"]) for li in september["lines"]] == [("seat", "30.00")]
    october = issued(cli, "2025-10", "2025-11-01")
    assert [(li["kind"], li["quantity"], li["amount"]) for li in october["lines"]] == [
        ("seat", 2, "30.00"),
        ("usage", 3, "15.00"),
    ]
    assert october["subtotal"] == "45.00"
    evidence = cli.json("invoice", "evidence", october["invoice"], "--format", "json")
    assert [(u["kind"], u["quantity"], u["on"]) for u in evidence["usage"]] == [
        ("new-dossier", 3, "2025-09-14")
    ]
    cli.refused("unknown-usage-kind", "usage", "record", "kauri", "coffee", today="2025-10-31")
    cli.refused("invalid-quantity", "usage", "record", "kauri", "new-dossier", "--quantity",
                "-2", today="2025-10-31")  # fmt: skip
    cli.refused("future-date", "usage", "record", "kauri", "new-dossier", "--on", "2025-11-05",
                today="2025-10-31")  # fmt: skip


def test_403_seats_on_a_400_seat_licence_bill_3_overage_seats(cli: Cli, tmp_path: Path):
    cli.ok("org", "add", "xtra", "--name", "Xtra Lease", today="2025-08-01")
    rows = [f"x{n:03d},xtra,2025-03-01,,regular,holder {n}" for n in range(403)]
    path = write_csv(tmp_path / "xtra.csv", "seat,org,activated_on,deactivated_on,kind,holder",
                     rows)  # fmt: skip
    cli.ok("seat", "import", str(path), today="2025-08-01")
    cli.ok(
        "contract", "set", "xtra", "--plan", "standard", "--cadence", "monthly",
        "--reference", "month-start", "--licensed", "400", "--overage-price", "12.50",
        today="2025-08-01",
    )  # fmt: skip
    invoice = issued(cli, "2025-09", "2025-09-02")
    assert invoice["reference_date"] == "2025-09-01"
    overage = [li for li in invoice["lines"] if li["kind"] == "overage"]
    assert [(li["quantity"], li["unit_price"], li["amount"]) for li in overage] == [
        (3, "12.50", "37.50")
    ]
    evidence = cli.json("invoice", "evidence", "INV-2025-09-xtra", "--format", "json")
    assert evidence["count"] == 403
    assert evidence["evidence_hash"] == invoice["evidence_hash"]
    explained = cli.ok("invoice", "explain", "INV-2025-09-xtra")
    assert "400" in explained
    assert "overage" in explained.lower()


def test_a_discount_code_takes_10_percent_off_the_first_three_invoices(cli: Cli):
    north_with_three_seats(cli, extra=("--discount", "WELCOME10"))
    totals = []
    for period, today in (
        ("2025-09", "2025-10-01"),
        ("2025-10", "2025-11-01"),
        ("2025-11", "2025-12-01"),
        ("2025-12", "2026-01-01"),
    ):
        invoice = issued(cli, period, today)
        discounts = [li["amount"] for li in invoice["lines"] if li["kind"] == "discount"]
        totals.append((discounts, invoice["subtotal"], invoice["vat"], invoice["total"]))
    assert totals == [
        (["-11.70"], "105.30", "22.11", "127.41"),
        (["-11.70"], "105.30", "22.11", "127.41"),
        (["-11.70"], "105.30", "22.11", "127.41"),
        ([], "117.00", "24.57", "141.57"),
    ]
    cli.refused("unknown-discount-code", "contract", "set", "north", "--discount",
                        "FREE100", today="2026-01-01")  # fmt: skip


def test_a_trial_then_no_active_subscription_until_a_plan_is_chosen(cli: Cli):
    cli.ok("org", "add", "newco", "--name", "New Co", today="2025-09-01")
    assert cli.json("org", "show", "newco", today="2025-09-01")["subscription"] == (
        "no active subscription"
    )
    cli.ok("contract", "set", "newco", "--trial-until", "2025-09-30", today="2025-09-01")
    cli.ok("seat", "activate", "n1", "--org", "newco", today="2025-09-01")
    assert cli.json("org", "show", "newco", today="2025-09-15")["subscription"] == "trial"
    september = cli.json("bill", "run", "--period", "2025-09", today="2025-10-01")
    assert [o["outcome"] for o in september["outcomes"]] == ["in trial"]
    october = cli.json("bill", "run", "--period", "2025-10", today="2025-11-01")
    assert [o["outcome"] for o in october["outcomes"]] == ["no active subscription"]
    assert cli.json("org", "show", "newco", today="2025-10-31")["subscription"] == (
        "no active subscription"
    )
    cli.refused("no-active-subscription", "bill", "run", "--period", "2025-10", "--org",
                "newco", today="2025-10-31")  # fmt: skip
    assert "no active subscription" in cli.ok("bill", "run", "--period", "2025-10",
                                              today="2025-10-31")  # fmt: skip
    # Choosing a first plan after the trial needs no payment method.
    cli.ok("contract", "set", "newco", "--plan", "standard", "--cadence", "monthly",
           today="2025-10-31")  # fmt: skip
    assert cli.json("contract", "show", "newco", today="2025-11-01")["status"] == "active"
    assert issued(cli, "2025-11", "2025-12-01")["total"] == "47.19"


def test_a_plan_change_needs_a_payment_method_and_applies_next_period(cli: Cli):
    north_with_three_seats(cli)
    before = cli.json("contract", "show", "north", today="2025-09-10")
    message = cli.refused("payment-method-required", "contract", "set", "north", "--plan",
                          "blended", today="2025-09-10")  # fmt: skip
    assert "blended" in message
    assert cli.json("contract", "show", "north", today="2025-09-10") == before
    changed = cli.json("contract", "set", "north", "--plan", "blended", "--payment-method",
                       "card", today="2025-09-10")  # fmt: skip
    assert (changed["plan"], changed["effective_from"], changed["version"]) == (
        "blended", "2025-10", 2,
    )  # fmt: skip
    shown = cli.json("contract", "show", "north", today="2025-09-10")
    assert shown["in_force"]["plan"] == "standard"
    assert [v["plan"] for v in shown["versions"]] == ["standard", "blended"]
    assert issued(cli, "2025-09", "2025-10-01")["subtotal"] == "117.00"
    assert issued(cli, "2025-10", "2025-11-01")["subtotal"] == "177.00"


@pytest.mark.parametrize(
    ("options", "code"),
    [
        (("--overage-price", "1e3", "--licensed", "4"), "invalid-amount"),
        (("--licensed", "many", "--overage-price", "2.00"), "invalid-contract"),
        (("--trial-until", "9/1/2025"), "invalid-date"),
        (("--from", "2025-13"), "invalid-period"),
        (("--cadence", "weekly"), "invalid-contract"),
        (("--reference", "weekly"), "invalid-reference-rule"),
        (("--plan", "platinum"), "unknown-plan"),
        (("--plan", "starter", "--cadence", "annual", "--year-start", "09-01"),
         "cadence-not-offered"),
        (("--cadence", "annual"), "invalid-contract"),
        (("--year-start", "13-01"), "invalid-year-start"),
        (("--payment-method", "cash"), "invalid-contract"),
        (("--vat", "121"), "invalid-contract"),
    ],
)  # fmt: skip
def test_a_bad_contract_value_is_refused_and_changes_nothing(
    cli: Cli, options: tuple[str, ...], code: str
):
    cli.ok("org", "add", "north", "--name", "North Clinic", today="2025-09-01")
    cli.ok("contract", "set", "north", "--plan", "standard", "--cadence", "monthly",
                   today="2025-09-01")  # fmt: skip
    before = cli.json("contract", "show", "north", today="2025-09-02")
    cli.refused(code, "contract", "set", "north", *options, today="2025-09-02")
    assert cli.json("contract", "show", "north", today="2025-09-02") == before


def test_a_backdated_correction_becomes_an_adjustment_on_the_next_invoice(cli: Cli):
    north_with_three_seats(cli)
    september = issued(cli, "2025-09", "2025-10-01")
    cli.ok("seat", "deactivate", "s2", "--on", "2025-09-12", "--reason", "left on 12 September",
           today="2025-10-06")  # fmt: skip
    october = issued(cli, "2025-10", "2025-11-01")
    adjustments = [li for li in october["lines"] if li["kind"] == "adjustment"]
    assert len(adjustments) == 1
    [adjustment] = adjustments
    assert adjustment["amount"] == "-39.00"
    assert adjustment["refers_to"] == "INV-2025-09-north"
    assert adjustment["seats"] == ["s2"]
    assert october["subtotal"] == "39.00"  # 2 seats x 39.00 - 39.00
    # The September invoice is untouched and still proves itself as issued.
    assert cli.json("invoice", "show", "INV-2025-09-north") == september
    for invoice in ("INV-2025-09-north", "INV-2025-10-north"):
        assert "every check passed" in cli.ok("invoice", "verify", invoice)
    explained = cli.ok("invoice", "explain", "INV-2025-10-north")
    assert "INV-2025-09-north" in explained


def test_verify_explain_and_evidence_prove_an_invoice(cli: Cli):
    north_with_three_seats(cli)
    cli.ok("seat", "deactivate", "s1", "--on", "2025-12-01", today="2025-12-01")
    invoice = issued(cli, "2025-09", "2025-12-01")  # billed late, after the deactivation
    checks = cli.json("invoice", "verify", "INV-2025-09-north", today="2025-12-01")
    assert checks == {
        "invoice": "INV-2025-09-north",
        "ok": True,
        "hash_matches": True,
        "seats_match": True,
        "lines_match": True,
        "adjustments_match": True,
        "sealed": True,
        "seal": "unchecked",
        "facts_match": True,
        "problems": [],
    }
    explained = cli.ok("invoice", "explain", "INV-2025-09-north")
    assert "counted on 2025-09-30" in explained
    assert invoice["evidence_hash"] in explained
    as_csv = cli.ok("invoice", "evidence", "INV-2025-09-north", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(as_csv)))
    assert list(rows[0]) == [
        "seat", "holder", "kind", "activated_on", "deactivated_on", "paying_org", "addons",
    ]  # fmt: skip
    assert [(r["seat"], r["activated_on"], r["paying_org"]) for r in rows] == [
        ("s0", "2025-09-02", "north"),
        ("s1", "2025-09-02", "north"),
        ("s2", "2025-09-02", "north"),
    ]
    as_json = cli.json("invoice", "evidence", "INV-2025-09-north")
    assert as_json["count"] == 3
    assert as_json["evidence_hash"] == invoice["evidence_hash"]
    assert as_json["as_known_at"] == invoice["as_known_at"]
    assert as_json["seats"][0] == {
        "seat": "s0",
        "holder": "holder s0",
        "kind": "regular",
        "activated_on": "2025-09-02",
        "deactivated_on": None,
        "paying_org": "north",
        "addons": [],
    }
    cli.refused("unknown-invoice", "invoice", "verify", "INV-1999-01-north")


def test_an_invalid_catalog_is_refused_with_its_problems(cli: Cli, tmp_path: Path):
    bad = tmp_path / "prices.toml"
    bad.write_text('currency = "EUR"\n[plans.x]\nname = "X"\nmonthly = 39.0\n', encoding="utf-8")
    cli.ok("org", "add", "north", "--name", "North Clinic", today="2025-09-01")
    message = cli.refused(
        "invalid-catalog", "--catalog", str(bad), "contract", "set", "north", "--plan", "x",
        "--cadence", "monthly", today="2025-09-01",
    )  # fmt: skip
    assert "prices.toml" in message
    assert "39.0" in message
    assert cli.json("contract", "show", "north", today="2025-09-01")["versions"] == []


def test_an_own_catalog_prices_the_invoices(cli: Cli, tmp_path: Path):
    from seatledger.adapters.catalog import loader

    shipped = (Path(loader.__file__).parent / loader.SHIPPED).read_text(encoding="utf-8")
    own = tmp_path / "own.toml"
    own.write_text(shipped.replace('monthly = "39.00"', 'monthly = "40.00"'), encoding="utf-8")
    cli.ok("org", "add", "north", "--name", "North Clinic", today="2025-09-01")
    cli.ok("--catalog", str(own), "contract", "set", "north", "--plan", "standard",
                   "--cadence", "monthly", today="2025-09-01")  # fmt: skip
    cli.ok("seat", "activate", "s0", "--org", "north", today="2025-09-01")
    run = cli.json("--catalog", str(own), "bill", "run", "--period", "2025-09",
                           today="2025-10-01")  # fmt: skip
    assert run["invoices"][0]["subtotal"] == "40.00"


def test_a_valid_catalog_is_read_only_by_commands_that_price(cli: Cli, tmp_path: Path):
    bad = tmp_path / "prices.toml"
    bad.write_text("not toml at all [", encoding="utf-8")
    cli.ok("--catalog", str(bad), "org", "add", "north", "--name", "North", today="2025-09-01")
    message = cli.refused("invalid-catalog", "--catalog", str(bad), "bill", "run", "--period",
                          "2025-09", today="2025-09-30")  # fmt: skip
    assert "not valid TOML" in message


def billing_state(cli: Cli) -> dict[str, Any]:
    """Everything a refused billing command must leave unchanged, read through --json."""
    return {
        "contract": cli.json("contract", "show", "north", today="2025-10-31"),
        "org": cli.json("org", "show", "north", today="2025-10-31"),
        "invoices": cli.json("invoice", "list"),
        "october": cli.json("bill", "run", "--period", "2025-10", "--dry-run", today="2025-10-31"),
    }


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("bill", "run", "--period", "2025-11", "--org", "north"), "reference-date-not-reached"),
        (("bill", "run", "--period", "2025-13"), "invalid-period"),
        (("bill", "run", "--period", "2025-10", "--org", "nobody"), "unknown-organisation"),
        (("usage", "record", "north", "coffee"), "unknown-usage-kind"),
        (("usage", "record", "north", "new-dossier", "--on", "31/10/2025"), "invalid-date"),
        (("usage", "record", "north", "new-dossier", "--quantity", "0"), "invalid-quantity"),
        (("contract", "set", "north", "--plan", "blended"), "payment-method-required"),
        (("contract", "set", "north", "--from", "2025-10"), "invalid-contract"),
        (("invoice", "show", "INV-2025-10-north"), "unknown-invoice"),
        (("invoice", "list", "--period", "October"), "invalid-period"),
    ],
)
def test_a_refused_billing_command_changes_nothing(cli: Cli, args: tuple[str, ...], code: str):
    north_with_three_seats(cli)
    issued(cli, "2025-09", "2025-10-01")
    before = billing_state(cli)
    cli.refused(code, *args, today="2025-10-31")
    assert billing_state(cli) == before


def test_an_altered_invoice_fails_verification_with_invoice_mismatch(cli: Cli):
    """Someone drops the append-only triggers and edits an issued invoice's evidence."""
    import sqlite3

    north_with_three_seats(cli)
    issued(cli, "2025-09", "2025-10-01")
    with sqlite3.connect(cli.db) as conn:
        triggers = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name LIKE 'invoice%'"
        ).fetchall()
        for (name,) in triggers:
            conn.execute(f'DROP TRIGGER "{name}"')
        conn.execute(
            "UPDATE invoice_evidence_seats SET holder = 'someone else' WHERE seat_id = 's1'"
        )
    outcome = cli("invoice", "verify", "INV-2025-09-north", json_=True)
    assert outcome.code == 1
    checks = outcome.json()
    assert checks["ok"] is False
    assert checks["hash_matches"] is False
    assert any("hash" in problem for problem in checks["problems"])
    assert outcome.error()["code"] == "invoice-mismatch"
    text = cli("invoice", "verify", "INV-2025-09-north")
    assert text.code == 1
    assert "refused (invoice-mismatch)" in text.err
    assert "content hash does not match" in text.err
