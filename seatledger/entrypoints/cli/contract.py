"""``seatledger contract``: an organisation's plan, cadence, reference rule and terms.

Every value is parsed by the domain's own parsers (amounts by
``parse_amount``, dates by ``parse_date``, periods by ``Period.parse``), so a
bad value is a refusal with its code (exit 1), not a usage error.
"""

from __future__ import annotations

from decimal import Decimal

import click

from seatledger.adapters.serialisation import contract_document, money
from seatledger.domain.catalog import Cadence
from seatledger.domain.contracts import Contract, PaymentMethod
from seatledger.domain.errors import InvalidContract
from seatledger.domain.money import parse_amount
from seatledger.domain.policies import (
    AnnualStart,
    ContractPolicies,
    LeaveAnnual,
    NegativeBalance,
    OverageDocument,
    PaidCoverage,
    VatTreatment,
)
from seatledger.domain.services import commands as c
from seatledger.domain.services import contracts, organisations
from seatledger.domain.services.contracts import REMOVABLE, ContractTerms
from seatledger.entrypoints.cli.app import (
    App,
    accepts_idempotency_key,
    day_option,
    pass_app,
    period_option,
)
from seatledger.entrypoints.cli.errors import refuse, unwrap
from seatledger.entrypoints.cli.output import emit_json, print_table, say


@click.group()
def contract() -> None:
    """Set and show an organisation's contract (plan, cadence, reference date, terms).

    A contract is never edited: each 'contract set' appends a version. The
    first applies from the current period; a change from the next one.

    \b
    Example:
      seatledger contract set north --plan standard --cadence monthly
      seatledger contract set xtra --plan standard --cadence monthly \\
          --reference month-start --licensed 400 --overage-price 12.50
      seatledger contract show north
    """


def _choice(value: str | None, name: str, allowed: tuple[str, ...]) -> str | None:
    if value is None:
        return None
    cleaned = value.strip().lower()
    if cleaned not in allowed:
        refuse(InvalidContract(name, f"{value!r} is not one of {', '.join(allowed)}"))
    return cleaned


def _whole(value: str | None, name: str) -> int | None:
    if value is None:
        return None
    cleaned = value.strip()
    if not cleaned.isascii() or not cleaned.isdigit():
        refuse(InvalidContract(name, f"{value[:40]!r} is not a whole number"))
    if len(cleaned.lstrip("0")) > 9:  # refused before it is converted: no count is that large
        refuse(InvalidContract(name, f"{value[:40]!r}... is too large: at most 9 digits"))
    return int(cleaned)


def terms_from_options(
    *,
    plan: str | None,
    cadence: str | None,
    reference: str | None,
    year_start: str | None,
    count_days_before: str | None,
    licensed: str | None,
    overage_price: str | None,
    vat: str | None,
    trial_until: str | None,
    payment_method: str | None,
    discount: str | None,
    from_: str | None,
    annual_start: str | None = None,
    leave_annual: str | None = None,
    transfer_coverage: str | None = None,
    negative_balance: str | None = None,
    overage_invoice: str | None = None,
    remove: tuple[str, ...] = (),
    vat_category: str | None = None,
) -> ContractTerms:
    """The options of 'contract set' as ``ContractTerms``; a bad value refuses (exit 1)."""
    starts = _choice(annual_start, "annual start", tuple(p.value for p in AnnualStart))
    leaves = _choice(leave_annual, "leave annual", tuple(p.value for p in LeaveAnnual))
    carried = _choice(transfer_coverage, "transfer coverage", tuple(p.value for p in PaidCoverage))
    negative = _choice(
        negative_balance, "negative balance", tuple(p.value for p in NegativeBalance)
    )
    overage = _choice(overage_invoice, "overage invoice", tuple(p.value for p in OverageDocument))
    treatment = _choice(vat_category, "VAT category", tuple(p.value for p in VatTreatment))
    removed = frozenset(_choice(r, "remove", REMOVABLE) or "" for r in remove)
    cadence_text = _choice(cadence, "cadence", tuple(c.value for c in Cadence))
    method_text = _choice(payment_method, "payment method", tuple(m.value for m in PaymentMethod))
    price: Decimal | None = None
    if overage_price is not None:
        price = unwrap(parse_amount(overage_price, field="overage price", max_places=4))
    vat_percent: Decimal | None = None
    if vat is not None:
        vat_percent = unwrap(parse_amount(vat.strip().rstrip("%"), field="VAT percent"))
    return ContractTerms(
        plan=plan.strip() if plan is not None else None,
        cadence=Cadence(cadence_text) if cadence_text else None,
        reference=reference.strip() if reference is not None else None,
        year_start=year_start,
        count_days_before=_whole(count_days_before, "count days before"),
        licensed=_whole(licensed, "licensed"),
        overage_price=price,
        vat_percent=vat_percent,
        trial_until=day_option(trial_until),
        payment_method=PaymentMethod(method_text) if method_text else None,
        discount_code=discount.strip() if discount is not None else None,
        effective_from=period_option(from_),
        annual_start=AnnualStart(starts) if starts else None,
        leave_annual=LeaveAnnual(leaves) if leaves else None,
        paid_coverage=PaidCoverage(carried) if carried else None,
        negative_balance=NegativeBalance(negative) if negative else None,
        overage_document=OverageDocument(overage) if overage else None,
        vat_treatment=VatTreatment(treatment) if treatment else None,
        remove=removed,
    )


@accepts_idempotency_key
@contract.command("set")
@click.argument("org_id", metavar="ORG")
@click.option("--plan", metavar="PLAN", help="A plan of the catalog: standard, starter, blended.")
@click.option("--cadence", metavar="monthly|annual", help="Billed every month or every year.")
@click.option(
    "--reference",
    metavar="month-end|month-start|day:N",
    help="When seats are counted each month [default for a first contract: month-end].",
)
@click.option(
    "--year-start", metavar="MM-DD", help="Annual contracts: the day the (training) year starts."
)
@click.option(
    "--count-days-before",
    metavar="N",
    help="Annual contracts: count N days before the year start [default: 1].",
)
@click.option("--licensed", metavar="N", help="Seats in the licence; more are billed as overage.")
@click.option("--overage-price", metavar="AMOUNT", help="Price per seat above --licensed.")
@click.option("--vat", metavar="PERCENT", help="VAT percent [default: the catalog's, 21].")
@click.option(
    "--trial-until",
    metavar="DATE",
    help="A trial: nothing is invoiced for periods counted on or before DATE.",
)
@click.option(
    "--payment-method",
    metavar="card|sepa|none",
    help="An automatic method (card or sepa) is needed to change plan.",
)
@click.option("--discount", metavar="CODE", help="A discount code of the catalog.")
@click.option(
    "--from",
    "from_",
    metavar="YYYY-MM",
    help="First period of this version [default: this period for a first contract, else the next].",
)
@click.option(
    "--annual-start",
    metavar="pro-rata|monthly|next-year",
    help="Annual contracts that start or switch to annual mid-year: pay the months to the "
    "year start as a share of the annual price, as monthly fees, or not at all "
    "[default: pro-rata].",
)
@click.option(
    "--leave-annual",
    metavar="wait|credit",
    help="Switching from annual to monthly mid-year: start the new terms when the paid year "
    "ends, or now and credit the year's unused whole months [default: wait].",
)
@click.option(
    "--transfer-coverage",
    metavar="carried|credited",
    help="A seat leaving this organisation after it paid in advance: the months paid stay paid "
    "and the receiver pays after them, or the whole months after it left are credited here "
    "[default: carried].",
)
@click.option(
    "--negative-balance",
    metavar="credit-note|carry",
    help="When credits exceed charges: issue a credit note, or carry the credit to the next "
    "invoice [default: credit-note].",
)
@click.option(
    "--overage-invoice",
    metavar="same|separate",
    help="Licensed contracts: bill the overage on the invoice, or on an overage invoice of its "
    "own [default: same].",
)
@click.option(
    "--vat-category",
    metavar="standard|zero|exempt",
    help="How the supplies are taxed: at --vat (category S; reverse charged, AE at 0 %, when "
    "seller and buyer are in two EU countries and the buyer has a VAT id), zero-rated (Z) or "
    "exempt (E), both at 0 % [default: standard].",
)
@click.option(
    "--remove",
    metavar="discount|licence|trial",
    multiple=True,
    help="Remove a term from this version on (repeatable): the discount code, the licence "
    "(and its overage price) or the trial date.",
)
@pass_app
def set_(
    app: App,
    org_id: str,
    plan: str | None,
    cadence: str | None,
    reference: str | None,
    year_start: str | None,
    count_days_before: str | None,
    licensed: str | None,
    overage_price: str | None,
    vat: str | None,
    trial_until: str | None,
    payment_method: str | None,
    discount: str | None,
    from_: str | None,
    annual_start: str | None,
    leave_annual: str | None,
    transfer_coverage: str | None,
    negative_balance: str | None,
    overage_invoice: str | None,
    remove: tuple[str, ...],
    vat_category: str | None,
) -> None:
    """Append a new version of ORG's contract; options left out keep their values.

    Changing the plan needs an automatic payment method (card or sepa) on
    file and costs nothing extra; it applies from the next period. A trial
    without a plan (--trial-until only) invoices nothing; after it the
    organisation has no active subscription until a plan is chosen.

    \b
    Example:
      seatledger contract set north --plan standard --cadence monthly
      seatledger contract set college --plan blended --cadence annual --year-start 09-01
      seatledger contract set xtra --plan standard --cadence monthly \\
          --reference month-start --licensed 400 --overage-price 12.50
      seatledger contract set newco --trial-until 2025-10-31
      seatledger contract set north --plan blended --payment-method sepa --from 2025-12
      seatledger contract set north --cadence annual --year-start 09-01   # 325.00 to September
      seatledger contract set north --remove discount
    """
    terms = terms_from_options(
        plan=plan,
        cadence=cadence,
        reference=reference,
        year_start=year_start,
        count_days_before=count_days_before,
        licensed=licensed,
        overage_price=overage_price,
        vat=vat,
        trial_until=trial_until,
        payment_method=payment_method,
        discount=discount,
        from_=from_,
        annual_start=annual_start,
        leave_annual=leave_annual,
        transfer_coverage=transfer_coverage,
        negative_balance=negative_balance,
        overage_invoice=overage_invoice,
        remove=remove,
        vat_category=vat_category,
    )
    catalog = app.catalog()
    added = unwrap(app.execute(c.SetContract(org_id, terms, app.actor)))
    if app.as_json:
        emit_json(contract_document(added))
        return
    say(f"contract version {added.version} for {added.org}, from {added.effective_from}: ")
    say(f"  {describe_contract(added, catalog.currency)}")


def describe_contract(found: Contract, currency: str) -> str:
    """One line saying what a contract version agrees."""
    if found.plan is None:
        what = "no plan (trial)"
    else:
        what = f"plan {found.plan}, billed {found.cadence.value}"
    if found.cadence is Cadence.ANNUAL:
        when = (
            f"counted {found.count_days_before} day(s) before the year start "
            f"{found.year_start or '-'}"
        )
    else:
        when = f"counted on {found.reference}"
    parts = [what, when, f"VAT {found.vat_percent}%"]
    if found.licensed is not None and found.overage_price is not None:
        parts.append(
            f"licensed {found.licensed}, overage {money(found.overage_price, currency)} per seat"
        )
    if found.trial_until is not None:
        parts.append(f"trial until {found.trial_until.isoformat()}")
    parts.append(f"payment method {found.payment_method.value}")
    if found.discount_code:
        parts.append(f"discount {found.discount_code}")
    default = ContractPolicies().as_text()
    chosen = [f"{k.replace('_', ' ')} {v}" for k, v in found.policies.as_text().items()]
    if found.policies.as_text() != default:
        parts.append("policies: " + ", ".join(chosen))
    return "; ".join(parts)


@contract.command("show")
@click.argument("org_id", metavar="ORG")
@pass_app
def show(app: App, org_id: str) -> None:
    """Show ORG's contract in force this period, its subscription status, and every version.

    \b
    Example:
      seatledger contract show north
      seatledger --json contract show north
    """
    status = unwrap(contracts.contract_status(app.services(), org_id))
    if app.as_json:
        emit_json(
            {
                "org": org_id,
                "status": status.status.value,
                "in_force": contract_document(status.contract) if status.contract else None,
                "versions": [contract_document(c) for c in status.versions],
            }
        )
        return
    currency = unwrap(organisations.get_organisation(app.services(), org_id)).currency
    say(f"{org_id}: {status.status.value}")
    if status.contract is not None:
        say(
            f"in force: version {status.contract.version}: "
            f"{describe_contract(status.contract, currency)}"
        )
    if not status.versions:
        say(f"no contract yet: set one with 'seatledger contract set {org_id} --plan PLAN'")
        return
    print_table(
        ("version", "from", "recorded", "by", "terms"),
        [
            (
                c.version,
                str(c.effective_from),
                c.recorded_at,
                c.actor,
                describe_contract(c, currency),
            )
            for c in status.versions
        ],
    )
