"""The per-contract policies of money over a contract's life, with their defaults.

Each is a named choice stored on a contract version (``ContractPolicies``),
so two organisations on one ledger may be billed under different rules. The
rules themselves live where they act: ``coverage`` (annual starts, leaving
annual, transfers of paid coverage) and ``pricing`` (negative balances,
overage documents). ``docs/billing.md`` shows each with a worked example.
"""

from __future__ import annotations

import enum

from attrs import frozen


class AnnualStart(enum.Enum):
    """What a contract that starts or switches to annual mid-year pays until its year starts."""

    PRO_RATA = "pro-rata"
    MONTHLY = "monthly"
    NEXT_YEAR = "next-year"


class LeaveAnnual(enum.Enum):
    """What leaving an annual contract mid-year does to the year already paid."""

    WAIT = "wait"
    CREDIT = "credit"


class PaidCoverage(enum.Enum):
    """Who pays for the months a sender paid in advance when a seat moves away."""

    CARRIED = "carried"
    CREDITED = "credited"


class NegativeBalance(enum.Enum):
    """What a run issues when credits exceed charges: never a negative invoice."""

    CREDIT_NOTE = "credit-note"
    CARRY = "carry"


class OverageDocument(enum.Enum):
    """Where a licensed contract's overage goes: on the invoice, or a document of its own."""

    SAME = "same"
    SEPARATE = "separate"


class VatTreatment(enum.Enum):
    """How the contract's supplies are taxed: at its VAT rate (category S, or AE when the sale
    is reverse charged), zero-rated (Z) or exempt (E); the last two at 0 %."""

    STANDARD = "standard"
    ZERO = "zero"
    EXEMPT = "exempt"


@frozen
class ContractPolicies:
    """The policies a contract version is billed under; the defaults follow the seeds."""

    annual_start: AnnualStart = AnnualStart.PRO_RATA
    leave_annual: LeaveAnnual = LeaveAnnual.WAIT
    paid_coverage: PaidCoverage = PaidCoverage.CARRIED
    negative_balance: NegativeBalance = NegativeBalance.CREDIT_NOTE
    overage_document: OverageDocument = OverageDocument.SAME
    vat_treatment: VatTreatment = VatTreatment.STANDARD

    def as_text(self) -> dict[str, str]:
        """Each policy by its name and chosen value (how they are stored and shown)."""
        return {
            "annual_start": self.annual_start.value,
            "leave_annual": self.leave_annual.value,
            "paid_coverage": self.paid_coverage.value,
            "negative_balance": self.negative_balance.value,
            "overage_document": self.overage_document.value,
            "vat_treatment": self.vat_treatment.value,
        }

    @staticmethod
    def from_text(values: dict[str, str]) -> ContractPolicies:
        """The policies stored by ``as_text``; a missing name takes its default."""
        default = ContractPolicies()
        return ContractPolicies(
            annual_start=AnnualStart(values.get("annual_start", default.annual_start.value)),
            leave_annual=LeaveAnnual(values.get("leave_annual", default.leave_annual.value)),
            paid_coverage=PaidCoverage(values.get("paid_coverage", default.paid_coverage.value)),
            negative_balance=NegativeBalance(
                values.get("negative_balance", default.negative_balance.value)
            ),
            overage_document=OverageDocument(
                values.get("overage_document", default.overage_document.value)
            ),
            vat_treatment=VatTreatment(values.get("vat_treatment", default.vat_treatment.value)),
        )
