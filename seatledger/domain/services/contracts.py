"""Use cases of contracts and usage: set a contract (a new version), record usage."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import attrs
from attrs import frozen
from returns.result import Failure, Result, Success

from seatledger.domain.authorisation import Action
from seatledger.domain.catalog import Cadence, Catalog
from seatledger.domain.contracts import (
    Contract,
    PaymentMethod,
    SubscriptionStatus,
    contract_in_force,
    subscription_status,
)
from seatledger.domain.dates import Period
from seatledger.domain.errors import (
    FutureDate,
    InvalidContract,
    InvalidQuantity,
    LedgerError,
    PaymentMethodRequired,
    UnknownDiscountCode,
    UnknownUsageKind,
)
from seatledger.domain.invoice import ADDED
from seatledger.domain.money import HUNDRED, ZERO, minor_unit
from seatledger.domain.policies import (
    AnnualStart,
    ContractPolicies,
    LeaveAnnual,
    NegativeBalance,
    OverageDocument,
    PaidCoverage,
    VatTreatment,
)
from seatledger.domain.ports import LedgerHead
from seatledger.domain.recording import assign_recorded_at
from seatledger.domain.reference_dates import YearStart, parse_reference_rule
from seatledger.domain.services.access import POLICY, record, standing
from seatledger.domain.services.context import Services
from seatledger.domain.services.organisations import require_organisation
from seatledger.domain.services.seats import check_actor_and_reason
from seatledger.domain.usage import UsageRecord

MAX_USAGE_QUANTITY = 1_000_000
MAX_LICENSED = 1_000_000_000


def _in_minor_units(amount: Decimal, currency: str) -> bool:
    """True if ``amount`` needs no more decimals than the currency's minor unit."""
    return amount == amount.quantize(minor_unit(currency))


@frozen
class ContractTerms:
    """What ``contract set`` was asked to change; None keeps the current value."""

    plan: str | None = None
    cadence: Cadence | None = None
    reference: str | None = None
    year_start: str | None = None
    count_days_before: int | None = None
    licensed: int | None = None
    overage_price: Decimal | None = None
    vat_percent: Decimal | None = None
    trial_until: date | None = None
    payment_method: PaymentMethod | None = None
    discount_code: str | None = None
    effective_from: Period | None = None
    annual_start: AnnualStart | None = attrs.field(default=None, metadata=ADDED)
    leave_annual: LeaveAnnual | None = attrs.field(default=None, metadata=ADDED)
    paid_coverage: PaidCoverage | None = attrs.field(default=None, metadata=ADDED)
    negative_balance: NegativeBalance | None = attrs.field(default=None, metadata=ADDED)
    overage_document: OverageDocument | None = attrs.field(default=None, metadata=ADDED)
    vat_treatment: VatTreatment | None = attrs.field(default=None, metadata=ADDED)
    # Terms to remove from this version on: "discount", "licence", "trial".
    remove: frozenset[str] = attrs.field(default=frozenset(), metadata=ADDED)

    @property
    def vendor_terms(self) -> bool:
        """True if it sets a term only the vendor's operators may set (not the plan,
        cadence, payment method or discount code an organisation's admin may choose)."""
        return any(
            value is not None
            for value in (
                self.reference, self.year_start, self.count_days_before, self.licensed,
                self.overage_price, self.vat_percent, self.trial_until, *self._policies(),
            )
        ) or bool(self.remove - {"discount"})  # fmt: skip

    def _policies(self) -> tuple[object, ...]:
        return (
            self.annual_start, self.leave_annual, self.paid_coverage, self.negative_balance,
            self.overage_document, self.vat_treatment,
        )  # fmt: skip

    def policies_on(self, current: ContractPolicies) -> ContractPolicies:
        """``current`` with the policies these terms choose."""
        return ContractPolicies(
            annual_start=self.annual_start or current.annual_start,
            leave_annual=self.leave_annual or current.leave_annual,
            paid_coverage=self.paid_coverage or current.paid_coverage,
            negative_balance=self.negative_balance or current.negative_balance,
            overage_document=self.overage_document or current.overage_document,
            vat_treatment=self.vat_treatment or current.vat_treatment,
        )


REMOVABLE = ("discount", "licence", "trial")
_POLICY_FIELDS = (
    "annual_start", "leave_annual", "paid_coverage", "negative_balance", "overage_document",
    "vat_treatment",
)  # fmt: skip


def _check_terms(contract: Contract, catalog: Catalog) -> Result[Contract, LedgerError]:
    if contract.plan is not None:
        plan = catalog.plan(contract.plan)
        if isinstance(plan, Failure):
            return Failure(plan.failure())
        price = plan.unwrap().price(contract.cadence)
        if isinstance(price, Failure):
            return Failure(price.failure())
    rule = parse_reference_rule(contract.reference)
    if isinstance(rule, Failure):
        return Failure(rule.failure())
    if contract.cadence is Cadence.ANNUAL and contract.year_start is None:
        return Failure(InvalidContract("year start", "an annual contract needs --year-start MM-DD"))
    if not 0 <= contract.count_days_before <= 366:
        return Failure(InvalidContract("count days before", "must be from 0 to 366"))
    if contract.licensed is not None and not 0 <= contract.licensed <= MAX_LICENSED:
        return Failure(
            InvalidContract("licensed", f"{contract.licensed} is not from 0 to {MAX_LICENSED}")
        )
    if (contract.licensed is None) != (contract.overage_price is None):
        return Failure(InvalidContract("overage", "give --licensed and --overage-price together"))
    if contract.overage_price is not None and contract.overage_price < ZERO:
        return Failure(InvalidContract("overage price", "must not be negative"))
    if contract.overage_price is not None and not _in_minor_units(
        contract.overage_price, catalog.currency
    ):
        return Failure(
            InvalidContract(
                "overage price",
                f"{contract.overage_price} has more decimals than {catalog.currency} has",
            )
        )
    if not ZERO <= contract.vat_percent <= HUNDRED:
        return Failure(InvalidContract("VAT", f"{contract.vat_percent}% is not from 0 to 100"))
    if contract.discount_code is not None and contract.discount_code not in catalog.discounts:
        return Failure(UnknownDiscountCode(contract.discount_code))
    return Success(contract)


def set_contract(
    services: Services, catalog: Catalog, org: str, terms: ContractTerms, *, actor: str
) -> Result[Contract, LedgerError]:
    """Append a contract version for ``org``.

    The first contract applies from the current period; a change applies
    from the next period unless ``effective_from`` names a later one.
    Changing the plan needs an automatic payment method (card or SEPA) on
    file. Omitted terms keep their current values.
    """
    people = check_actor_and_reason(actor, None)
    if isinstance(people, Failure):
        return Failure(people.failure())
    who, _ = people.unwrap()
    with services.uow.transaction(write=True) as store:
        found = require_organisation(store, org)
        if isinstance(found, Failure):
            return Failure(found.failure())
        organisation = found.unwrap()
        allowed = POLICY.check_contract(
            standing(store, who, organisation.id), organisation.id, vendor_terms=terms.vendor_terms
        )
        if isinstance(allowed, Failure):
            return Failure(allowed.failure())
        if organisation.currency != catalog.currency:
            return Failure(
                InvalidContract(
                    "currency",
                    f"{organisation.id!r} is billed in {organisation.currency}, the catalog "
                    f"prices in {catalog.currency}",
                )
            )
        today = organisation.today(services.clock.today)
        current_period = Period.containing(today)
        versions = list(store.contracts(organisation.id))
        latest = max(versions, key=lambda c: c.version) if versions else None
        if latest is None:
            earliest = terms.effective_from or current_period
            base = Contract(
                org=organisation.id,
                plan=None,
                cadence=Cadence.MONTHLY,
                reference="month-end",
                effective_from=earliest,
                vat_percent=catalog.default_vat_percent,
            )
        else:
            # A change applies from the next period; choosing a first plan after a trial
            # applies from this one, which nothing has billed yet.
            first_plan = latest.plan is None and terms.plan is not None
            earliest = current_period if first_plan else current_period.next()
            if terms.effective_from is not None and terms.effective_from < earliest:
                return Failure(
                    InvalidContract(
                        "effective from",
                        f"a change applies from {earliest} at the earliest, not "
                        f"{terms.effective_from}",
                    )
                )
            base = latest
        year_start = base.year_start
        if terms.year_start is not None:
            parsed = YearStart.parse(terms.year_start)
            if isinstance(parsed, Failure):
                return Failure(parsed.failure())
            year_start = parsed.unwrap()
        unknown = sorted(terms.remove - set(REMOVABLE))
        if unknown:
            return Failure(
                InvalidContract(
                    "remove", f"{', '.join(unknown)}: only {', '.join(REMOVABLE)} can be removed"
                )
            )
        own = ("year_start", "effective_from", "remove", *_POLICY_FIELDS)
        changes = {
            k: v
            for k, v in attrs.asdict(terms, recurse=False).items()
            if v is not None and k not in own
        }
        clash = sorted(
            name
            for name, field in (
                ("discount", terms.discount_code), ("licence", terms.licensed),
                ("trial", terms.trial_until),
            )
            if name in terms.remove and field is not None
        )  # fmt: skip
        if clash:
            return Failure(
                InvalidContract("remove", f"cannot both set and remove {', '.join(clash)}")
            )
        if "discount" in terms.remove:
            changes["discount_code"] = None
        if "licence" in terms.remove:
            changes.update(licensed=None, overage_price=None)
        if "trial" in terms.remove:
            changes["trial_until"] = None
        changes["policies"] = terms.policies_on(base.policies)
        candidate = attrs.evolve(
            base,
            **changes,
            year_start=year_start,
            effective_from=terms.effective_from or earliest,
            version=(latest.version + 1) if latest else 1,
            actor=who,
        )
        checked = _check_terms(candidate, catalog)
        if isinstance(checked, Failure):
            return checked
        # Choosing a first plan (after a trial) is free; changing one needs card or SEPA.
        changes_plan = latest is not None and latest.plan not in (None, candidate.plan)
        if changes_plan and not candidate.payment_method.automatic:
            return Failure(PaymentMethodRequired(organisation.id, candidate.plan or "none"))
        head = store.head()
        recorded = assign_recorded_at(services.clock, head)
        if isinstance(recorded, Failure):
            return Failure(recorded.failure())
        stamped = attrs.evolve(candidate, recorded_at=recorded.unwrap())
        store.add_contract(stamped, LedgerHead(head.last_seq, recorded.unwrap()))
        record(
            store, recorded.unwrap(), who, allowed.unwrap(), Action.CONTRACT_SET,
            org=organisation.id, subject=f"version {stamped.version}",
            text=f"plan {stamped.plan or 'none'} {stamped.cadence.value}, from "
            f"{stamped.effective_from}",
        )  # fmt: skip
        services.uow.commit()
        return Success(stamped)


@frozen
class ContractStatus:
    """An organisation's contract in force for this period, and its subscription status."""

    contract: Contract | None
    status: SubscriptionStatus
    versions: tuple[Contract, ...]


def contract_status(services: Services, org: str) -> Result[ContractStatus, LedgerError]:
    with services.uow.transaction(write=False) as store:
        found = require_organisation(store, org)
        if isinstance(found, Failure):
            return Failure(found.failure())
        organisation = found.unwrap()
        today = organisation.today(services.clock.today)
        versions = tuple(store.contracts(organisation.id))
        current = contract_in_force(versions, Period.containing(today))
        return Success(ContractStatus(current, subscription_status(current, today), versions))


def record_usage(
    services: Services,
    catalog: Catalog,
    org: str,
    kind: str,
    *,
    quantity: int = 1,
    on: date | None = None,
    actor: str,
) -> Result[UsageRecord, LedgerError]:
    """Record usage (new dossiers, paid questionnaires), billed on the next period's invoice."""
    people = check_actor_and_reason(actor, None)
    if isinstance(people, Failure):
        return Failure(people.failure())
    who, _ = people.unwrap()
    if kind not in catalog.usage_kinds:
        return Failure(UnknownUsageKind(kind, sorted(catalog.usage_kinds)))
    if not 1 <= quantity <= MAX_USAGE_QUANTITY:
        return Failure(InvalidQuantity(str(quantity)))
    with services.uow.transaction(write=True) as store:
        found = require_organisation(store, org)
        if isinstance(found, Failure):
            return Failure(found.failure())
        organisation = found.unwrap()
        allowed = POLICY.check_usage(standing(store, who, organisation.id), organisation.id)
        if isinstance(allowed, Failure):
            return Failure(allowed.failure())
        today = organisation.today(services.clock.today)
        day = on or today
        if day > today:
            return Failure(FutureDate(day, today))
        head = store.head()
        recorded = assign_recorded_at(services.clock, head)
        if isinstance(recorded, Failure):
            return Failure(recorded.failure())
        usage = UsageRecord(
            seq=head.last_seq + 1,
            org=organisation.id,
            kind=kind,
            quantity=quantity,
            on=day,
            recorded_at=recorded.unwrap(),
            actor=who,
        )
        store.add_usage(usage, LedgerHead(usage.seq, recorded.unwrap()))
        record(
            store, recorded.unwrap(), who, allowed.unwrap(), Action.USAGE_RECORD,
            org=organisation.id, subject=f"usage #{usage.seq}",
            text=f"{usage.quantity} x {usage.kind} on {usage.on.isoformat()}",
        )  # fmt: skip
        services.uow.commit()
        return Success(usage)
