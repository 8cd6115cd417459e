"""The demo: two years of a seat ledger, scripted day by day, and the questions it answers.

``run_demo`` drives the real use cases on the given services, moving a
simulated day from 2024-01-01 to 2025-12-31, so every fact has a realistic
recorded instant. Each day has routine churn (seats activated, deactivated,
completed, reactivated; some reported late and backdated with a reason; a
few corrected), then the named steps scheduled on that day run and report.
A seeded ``random.Random`` makes it deterministic.

The story is the dispute of seed 002: Xtra Lease is licensed for 400 seats;
the report of 1 September counts 403; in mid-October Xtra Lease disputes the
overage with today's count, 391; the ledger lists the 403 with their
activation and deactivation dates, and a later backdated correction does not
change the answer "as known at" the report's instant.

From July 2025 the organisations have contracts (the shipped catalog, in
euros: one vendor, one price list), billing runs on the 2nd of every month,
once the reference dates of the 1st and of the month's end have closed, two transfers are
approved (one in time, one a day too late), the backdated correction becomes
an adjustment line on Xtra Lease's next invoice, and every issued invoice is
verified at the end.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Protocol, TypeVar

from attrs import define, field, frozen
from returns.result import Failure, Result

from seatledger.adapters.documents.pdf import pdf_document
from seatledger.adapters.documents.ubl import ubl_document
from seatledger.adapters.serialisation import evidence_csv, money
from seatledger.domain.catalog import Cadence, Catalog
from seatledger.domain.contracts import PaymentMethod
from seatledger.domain.dates import Period, iso_instant
from seatledger.domain.errors import LedgerError
from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.invoice import Invoice, LineKind
from seatledger.domain.money import parse_amount
from seatledger.domain.ports import PinHasher
from seatledger.domain.queries import SeatRow
from seatledger.domain.reference_dates import MonthEnd
from seatledger.domain.seat import SeatFact, SeatKind
from seatledger.domain.services import (
    admins,
    billing,
    contracts,
    documents,
    imports,
    organisations,
    parties,
    questions,
    seats,
    transfers,
)
from seatledger.domain.services.billing import Outcome, RunReport
from seatledger.domain.services.context import Services
from seatledger.domain.services.contracts import ContractTerms
from seatledger.domain.services.imports import ImportRow
from seatledger.domain.services.parties import PartyChanges
from seatledger.domain.services.questions import SeatsAnswer
from seatledger.domain.transfers import TransferRequest
from seatledger.entrypoints.bootstrap import (
    Settings,
    catalog_for,
    pin_hasher,
    with_clock,
)

T = TypeVar("T")

ACTOR = "demo"
SEED = 2017_09_01
FIRST_DAY = date(2024, 1, 1)
LAST_DAY = date(2025, 12, 31)
ONE_DAY = timedelta(days=1)

XTRA = OrgId("xtra")
XTRA_LICENSED = 400
SNAPSHOT_DAY = date(2025, 9, 1)
DISPUTE_DAY = date(2025, 10, 17)
CORRECTION_DAY = date(2025, 10, 24)
CORRECTED_TO = date(2025, 8, 29)
# Xtra Lease's numbers: opening balance, then changes up to the report, then leavers.
XTRA_IMPORTED, XTRA_IMPORTED_GONE = 370, 25
XTRA_JOINERS, XTRA_LEAVERS_BEFORE = 88, 30
XTRA_LEAVERS_AFTER = 12

FIRST_NAMES: tuple[str, ...] = (
    "Ada",
    "Alan",
    "Grace",
    "Edsger",
    "Barbara",
    "Donald",
    "Frances",
    "Ken",
)
FIRST_NAMES += ("Margaret", "John", "Radia", "Hedy", "Linus", "Sophie", "Guido", "Mary")
LAST_NAMES: tuple[str, ...] = (
    "Lovelace",
    "Turing",
    "Hopper",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Allen",
)
LAST_NAMES += ("Hamilton", "Backus", "Perlman", "Lamarr", "Torvalds", "Wilson", "Wirth")


class Reporter(Protocol):
    """Where the demo tells its story (the command line prints it)."""

    def heading(self, text: str) -> None: ...

    def line(self, text: str) -> None: ...

    def table(self, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None: ...


@frozen
class DemoOrg:
    id: OrgId
    name: str
    timezone: str
    currency: str
    opening_seats: int
    joiners_per_year: int
    students: float


# One vendor, one price list: every organisation is invoiced in the catalog's euros,
# wherever it is (the time zone decides its calendar, not its currency).
ORGS = (
    DemoOrg(XTRA, "Xtra Lease", "America/Chicago", "EUR", XTRA_IMPORTED, 0, 0.0),
    DemoOrg(OrgId("nordwind"), "Nordwind Zorg", "Europe/Amsterdam", "EUR", 45, 40, 0.3),
    DemoOrg(OrgId("kauri"), "Kauri Health", "Pacific/Auckland", "EUR", 30, 30, 0.2),
    DemoOrg(OrgId("lakeshore"), "Lakeshore Clinics", "America/Chicago", "EUR", 35, 30, 0.1),
    DemoOrg(OrgId("sakura"), "Sakura Care", "Asia/Tokyo", "EUR", 25, 20, 0.25),
)
NORDWIND, KAURI, LAKESHORE, SAKURA = (o.id for o in ORGS[1:])
FJORD = OrgId("fjord")

# The billing story.
CONTRACTS_DAY = date(2025, 7, 1)
# July's month-start count date, the 1st, has closed everywhere by the 2nd.
FIRST_BILLING_DAY = date(2025, 7, 2)
PLAN_AFTER_TRIAL_DAY = date(2025, 8, 20)
ADMINS_DAY = date(2025, 10, 1)
PLAN_CHANGE_DAY = date(2025, 10, 6)
IN_TIME_REQUEST_DAY = date(2025, 10, 20)
LATE_REQUEST_DAY = date(2025, 10, 27)
IN_TIME_APPROVAL_DAY = date(2025, 10, 31)
LATE_APPROVAL_DAY = date(2025, 11, 1)
OVERAGE_PRICE = "12.50"
# Demo PINs: hashed with scrypt when the admins are added, never printed.
PINS = {(SAKURA, "haruki"): "582046", (SAKURA, "yui"): "730915", (NORDWIND, "noor"): "264871"}


@define
class SeatState:
    """What the script remembers of a seat, to pick valid changes."""

    org: OrgId
    opened_on: date
    closed_on: date | None = None
    close_fact: int | None = None
    kind: SeatKind = SeatKind.REGULAR


@define
class Demo:
    """The state of a running demo: the ledger, the day, the script's memory and findings."""

    base: Services
    report: Reporter
    catalog: Catalog
    pins: PinHasher
    rng: random.Random = field(factory=lambda: random.Random(SEED))
    # The billing story draws from its own generator, so the seat churn stays as it was.
    story_rng: random.Random = field(factory=lambda: random.Random(SEED + 1))
    # Seats awaiting a transfer decision: the churn leaves them alone.
    pinned: set[SeatId] = field(factory=set)
    in_time: TransferRequest | None = None
    too_late: TransferRequest | None = None
    runs: list[RunReport] = field(factory=list)
    day: date = FIRST_DAY
    seats: dict[SeatId, SeatState] = field(factory=dict)
    next_number: dict[OrgId, int] = field(factory=dict)
    xtra_plan: dict[date, list[str]] = field(factory=dict)
    changes: int = 0
    backdated: int = 0
    corrections: int = 0
    snapshot: SeatsAnswer | None = None
    dispute: SeatsAnswer | None = None
    corrected_seat: SeatId | None = None
    # Where the exported documents go (None: not written).
    documents: Path | None = None

    @property
    def services(self) -> Services:
        return with_clock(self.base, self.day)

    def new_seat_id(self, org: OrgId) -> SeatId:
        number = self.next_number.get(org, 0) + 1
        self.next_number[org] = number
        return SeatId(f"{org}-{number:04d}")

    def holder(self) -> str:
        return f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"

    def active(self, org: OrgId, on: date | None = None) -> list[SeatId]:
        day = on or self.day
        return sorted(
            sid
            for sid, s in self.seats.items()
            if s.org == org and s.opened_on <= day and (s.closed_on is None or s.closed_on > day)
        )

    def settled(self, org: OrgId) -> list[SeatId]:
        """Active seats opened before today: the ones a change today may close."""
        return [
            sid
            for sid in self.active(org)
            if self.seats[sid].opened_on < self.day and sid not in self.pinned
        ]


def done(result: Result[SeatFact, LedgerError]) -> SeatFact:
    """The demo's own script must never be refused: a refusal is a bug, so it stops loudly."""
    if isinstance(result, Failure):
        raise RuntimeError(f"the demo script was refused: {result.failure().message}")
    return result.unwrap()


def answered(result: Result[SeatsAnswer, LedgerError]) -> SeatsAnswer:
    if isinstance(result, Failure):
        raise RuntimeError(f"the demo's question was refused: {result.failure().message}")
    return result.unwrap()


def must(result: Result[T, LedgerError]) -> T:
    """Any use case of the demo's script: a refusal is a bug in the script."""
    if isinstance(result, Failure):
        raise RuntimeError(f"the demo script was refused: {result.failure().message}")
    return result.unwrap()


# --- named steps ---------------------------------------------------------------------


def open_the_ledger(demo: Demo) -> None:
    """Organisations, and the seats they already had, imported as an opening balance."""
    demo.report.heading(f"{demo.day}: the organisations and their existing seats")
    for org in ORGS:
        added = organisations.add_organisation(
            demo.services, org.id, org.name, org.timezone, org.currency
        )
        if isinstance(added, Failure):
            raise RuntimeError(f"the demo could not add {org.id}: {added.failure().message}")
    rows: list[ImportRow] = []
    for org in ORGS:
        gone = XTRA_IMPORTED_GONE if org.id == XTRA else org.opening_seats // 8
        for n in range(org.opening_seats):
            sid = demo.new_seat_id(org.id)
            opened = date(2022, 1, 3) + timedelta(days=demo.rng.randrange(0, 720))
            closed = None
            if n < gone:
                closed = opened + timedelta(days=demo.rng.randrange(1, 60))
                closed = min(closed, FIRST_DAY - ONE_DAY)
                if closed <= opened:
                    opened = closed - ONE_DAY
            kind = SeatKind.STUDENT if demo.rng.random() < org.students else SeatKind.REGULAR
            rows.append(
                ImportRow(
                    line=len(rows) + 2,
                    seat=sid,
                    org=org.id,
                    activated_on=opened,
                    deactivated_on=closed,
                    kind=kind,
                    holder=demo.holder(),
                    addons=frozenset({"library"}) if demo.rng.random() < 0.3 else frozenset(),
                )
            )
            demo.seats[sid] = SeatState(org.id, opened, closed, None, kind)
    imported = imports.import_seats(
        demo.services, rows, source="demo-opening-balance.csv", actor=ACTOR, catalog=demo.catalog
    )
    if isinstance(imported, Failure):
        raise RuntimeError(f"the demo import was refused: {imported.failure().message}")
    summary = imported.unwrap()
    demo.report.line(
        f"imported {summary.seats} seats ({summary.deactivated} already deactivated) for "
        f"{len(ORGS)} organisations in one all-or-nothing import"
    )
    demo.report.table(
        ("org", "name", "time zone", "currency", f"seats active on {demo.day}"),
        [(o.id, o.name, o.timezone, o.currency, len(demo.active(o.id))) for o in ORGS],
    )
    demo.report.line(
        f"Xtra Lease is licensed for {XTRA_LICENSED} seats; the contracts are signed on "
        f"{CONTRACTS_DAY}."
    )
    _plan_xtra(demo)


def take_the_overage_snapshot(demo: Demo) -> None:
    """The billing report of 1 September: a snapshot of active seats, compared to the licence."""
    demo.report.heading(f"{demo.day}: the monthly overage report")
    answer = answered(questions.seats_on(demo.services, XTRA, demo.day))
    demo.snapshot = answer
    assert answer.as_known_at is not None
    over = answer.count - XTRA_LICENSED
    demo.report.line(
        f"Xtra Lease: {answer.count} seats active on {demo.day}, licensed for "
        f"{XTRA_LICENSED}: {over} over, billed as an overage. The report is "
        f"'as known at' {iso_instant(answer.as_known_at)}."
    )


def answer_the_dispute(demo: Demo) -> None:
    """Xtra Lease disputes with today's count; the ledger lists the seats of 1 September."""
    demo.report.heading(f"{demo.day}: Xtra Lease disputes the overage invoice")
    today = answered(questions.seats_on(demo.services, XTRA, demo.day))
    demo.report.line(
        f"Xtra Lease says: 'today we only have {today.count} active users'. The ledger answers "
        f"with the seats active on {SNAPSHOT_DAY}, each with its activation AND deactivation "
        "date:"
    )
    answer = answered(questions.seats_on(demo.services, XTRA, SNAPSHOT_DAY))
    demo.dispute = answer
    demo.report.line(f"  seatledger seats xtra --on {SNAPSHOT_DAY}: {answer.count} seats")
    demo.report.table(*_seat_table(answer.rows[:10]))
    demo.report.line(f"  ... {answer.count - 10} more rows. Those that left since:")
    leavers = [r for r in answer.rows if r.deactivated_on is not None]
    demo.report.table(*_seat_table(leavers))
    demo.report.line(
        f"{answer.count} active on {SNAPSHOT_DAY} - {len(leavers)} deactivated since = "
        f"{answer.count - len(leavers)}: today's {today.count}. The overage stands."
    )


def record_a_late_correction(demo: Demo) -> None:
    """A backdated correction moves a leaver's date before the report's date."""
    demo.report.heading(f"{demo.day}: a backdated correction arrives")
    assert demo.dispute is not None
    target: tuple[SeatId, int, date] | None = None
    for row in demo.dispute.rows:
        state = demo.seats[row.seat]
        if row.activated_on < CORRECTED_TO and state.close_fact is not None:
            target = (row.seat, state.close_fact, row.deactivated_on or demo.day)
            break
    if target is None:
        raise RuntimeError("the demo found no leaver to correct")
    sid, seq, old = target
    reason = f"Xtra Lease HR: left on {CORRECTED_TO}, not {old}; reported late"
    fact = done(seats.correct(demo.services, sid, seq, on=CORRECTED_TO, actor=ACTOR, reason=reason))
    demo.corrected_seat = sid
    demo.corrections += 1
    demo.report.line(
        f"seatledger seat correct {sid} {seq} --on {CORRECTED_TO} --reason {reason!r}: "
        f"fact #{fact.seq} supersedes fact #{seq} (which stays in the history)"
    )


def show_what_is_known_when(demo: Demo) -> None:
    """The report's answer, asked again "as known at" its instant, is unchanged."""
    demo.report.heading(f"{demo.day}: the report of {SNAPSHOT_DAY}, asked again")
    snapshot = demo.snapshot
    assert snapshot is not None
    assert snapshot.as_known_at is not None
    cut = snapshot.as_known_at
    again = answered(questions.seats_on(demo.services, XTRA, SNAPSHOT_DAY, cut))
    now = answered(questions.seats_on(demo.services, XTRA, SNAPSHOT_DAY))
    same = again.rows == snapshot.rows
    demo.report.line(
        f"as known at {iso_instant(cut)} (the report): {again.count} seats, "
        f"{'the very same rows' if same else 'DIFFERENT ROWS (a bug)'}; the invoice can be "
        "reproduced exactly."
    )
    dropped = sorted({r.seat for r in snapshot.rows} - {r.seat for r in now.rows})
    demo.report.line(
        f"with everything known now: {now.count} seats ({', '.join(dropped) or 'none'} left "
        f"before {SNAPSHOT_DAY}, as corrected). The difference is for an adjustment on a later "
        "invoice, never an edit of the old one."
    )
    demo.report.line(
        f"  seatledger seats xtra --on {SNAPSHOT_DAY} --as-known-at {iso_instant(cut)}"
    )


def count_on_reference_dates(demo: Demo) -> None:
    """Seats per organisation on the last month-end reference dates."""
    demo.report.heading(f"{demo.day}: seats counted on the month-end reference dates")
    rule = MonthEnd()
    periods = [Period(2025, m) for m in range(7, 13)]
    ends = [rule.reference_date(p) for p in periods]
    rows = []
    for org in ORGS:
        counts = []
        for end in ends:
            counted = questions.count_on(demo.services, org.id, end)
            if isinstance(counted, Failure):
                raise RuntimeError(counted.failure().message)
            counts.append(counted.unwrap())
        rows.append((org.id, *counts))
    demo.report.table(("org", *(e.isoformat() for e in ends)), rows)
    demo.report.line(
        f"over two years: {demo.changes} seat changes by day, {demo.backdated} of them "
        f"reported late and backdated with a reason, {demo.corrections} corrections."
    )


# --- the billing story -----------------------------------------------------------------


def _contract(demo: Demo, org: OrgId, terms: ContractTerms) -> None:
    must(contracts.set_contract(demo.services, demo.catalog, org, terms, actor=ACTOR))


# The vendor, Belgian, and each client's details as a buyer (legal name, VAT id, address,
# Peppol id): Nordwind is Dutch with a VAT id, so its invoices are reverse charged.
SELLER = PartyChanges(
    legal_name="Leerlijn Seats BV", vat_id="BE0123456749", address="Korenmarkt 12",
    city="Gent", postcode="9000", country="BE", peppol_id="0208:0123456749",
)  # fmt: skip
SELLER_IBAN = "BE32123456789002"
BUYERS: dict[OrgId, tuple[PartyChanges, str | None]] = {
    XTRA: (PartyChanges("Xtra Lease Inc.", None, "200 Lake Street", "Chicago", "60601", "US",
                        "0088:0876543000018"), "PO-2025-0042"),
    NORDWIND: (PartyChanges("Stichting Nordwind Zorg", "NL000099998B57", "Dorpsstraat 3",
                            "Utrecht", "3511 AA", "NL", "9944:NL000099998B57"), None),
    KAURI: (PartyChanges("Kauri Health Ltd", None, "12 Queen Street", "Auckland", "1010", "NZ",
                         "0088:0491234000018"), None),
    LAKESHORE: (PartyChanges("Lakeshore Clinics LLC", None, "9 Shore Drive", "Evanston",
                             "60201", "US", "0088:0456789000012"), None),
    SAKURA: (PartyChanges("Sakura Care K.K.", None, "1-1 Marunouchi", "Tokyo", "100-0005",
                          "JP", "0088:0701234000018"), None),
    FJORD: (PartyChanges("Fjord Terapi AS", None, "Bryggen 4", "Bergen", "5003", "NO",
                         "0088:0942900000028"), None),
}  # fmt: skip


def _buyer(demo: Demo, org: OrgId, party: PartyChanges, reference: str | None = None) -> None:
    must(
        organisations.set_organisation(
            demo.services, org, party=party, buyer_reference=reference, actor=ACTOR
        )
    )


def sign_the_contracts(demo: Demo) -> None:
    """Every organisation signs a contract; a new one, Fjord, starts a trial."""
    demo.report.heading(f"{demo.day}: the seller, and the clients' details for their invoices")
    must(
        parties.set_seller(
            demo.services, SELLER, iban=SELLER_IBAN, invoice_series="LS", actor=ACTOR
        )
    )
    demo.report.line(
        f'  seatledger seller set --name "{SELLER.legal_name}" --vat-id {SELLER.vat_id} '
        f"--country BE --iban {SELLER_IBAN} --peppol-id {SELLER.peppol_id} --invoice-series LS"
    )
    demo.report.heading(f"{demo.day}: contracts (the shipped catalog, prices excluding 21% VAT)")
    must(organisations.add_organisation(demo.services, FJORD, "Fjord Terapi", "Europe/Oslo", "EUR"))
    for org, (party, reference) in BUYERS.items():
        _buyer(demo, org, party, reference)
    # Nordwind will pay by SEPA direct debit (from October): its mandate is on file.
    must(organisations.set_organisation(
        demo.services, NORDWIND, sepa_mandate="NW-SEPA-2025-01", actor=ACTOR))  # fmt: skip
    demo.report.line(
        '  seatledger org set nordwind --legal-name "Stichting Nordwind Zorg" --vat-id '
        "NL000099998B57 --country NL --peppol-id 9944:NL000099998B57 …: a Dutch client with a "
        "VAT id, so its invoices are reverse charged (VAT category AE, 0 %)"
    )
    for n in range(3):
        sid = demo.new_seat_id(FJORD)
        holder = f"{FIRST_NAMES[n]} {demo.story_rng.choice(LAST_NAMES)}"
        done(seats.activate(demo.services, sid, FJORD, actor=ACTOR, holder=holder))
        demo.seats[sid] = SeatState(FJORD, demo.day)
    overage = must_amount(OVERAGE_PRICE)
    _contract(
        demo,
        XTRA,
        ContractTerms(
            plan="standard",
            cadence=Cadence.MONTHLY,
            reference="month-start",
            licensed=XTRA_LICENSED,
            overage_price=overage,
        ),
    )
    _contract(demo, NORDWIND, ContractTerms(plan="standard", cadence=Cadence.MONTHLY))
    _contract(demo, KAURI, ContractTerms(plan="starter", cadence=Cadence.MONTHLY))
    _contract(
        demo, LAKESHORE, ContractTerms(plan="standard", cadence=Cadence.ANNUAL, year_start="09-01")
    )
    _contract(demo, SAKURA, ContractTerms(trial_until=date(2025, 8, 31)))
    _contract(demo, FJORD, ContractTerms(trial_until=date(2025, 8, 31)))
    demo.report.line(
        "  seatledger contract set xtra --plan standard --cadence monthly "
        f"--reference month-start --licensed {XTRA_LICENSED} --overage-price {OVERAGE_PRICE}"
    )
    demo.report.line(
        "  seatledger contract set lakeshore --plan standard --cadence annual --year-start 09-01"
    )
    demo.report.line("  seatledger contract set sakura --trial-until 2025-08-31")
    _contract_table(demo)


def _contract_table(demo: Demo) -> None:
    rows = []
    for org in [*(o.id for o in ORGS), FJORD]:
        status = must(contracts.contract_status(demo.services, org))
        current = status.contract
        latest = max(status.versions, key=lambda c: c.version)
        if current is None or current.plan is None:
            plan = "-"
            counted = "-"
        else:
            plan = f"{current.plan} {current.cadence.value}"
            counted = (
                f"day before {current.year_start}"
                if current.cadence is Cadence.ANNUAL
                else current.reference
            )
        extras = []
        if latest.licensed is not None and latest.overage_price is not None:
            extras.append(f"licensed {latest.licensed}, overage {latest.overage_price}")
        if latest.trial_until is not None:
            extras.append(f"trial until {latest.trial_until}")
        if latest.discount_code:
            extras.append(f"discount {latest.discount_code}")
        if latest.version > (current.version if current else 0):
            extras.append(f"from {latest.effective_from}: {latest.plan} {latest.cadence.value}")
        rows.append((org, status.status.value, plan, counted, "; ".join(extras) or "-"))
    demo.report.table(("org", "subscription", "plan", "counted on", "terms"), rows)


def must_amount(text: str) -> Decimal:
    parsed = parse_amount(text)
    if isinstance(parsed, Failure):
        raise RuntimeError(parsed.failure().message)
    return parsed.unwrap()


def record_new_dossiers(demo: Demo) -> None:
    """Kauri Health (starter) opens new dossiers every week, billed in arrears."""
    quantity = demo.story_rng.randint(0, 4)
    if quantity:
        must(
            contracts.record_usage(
                demo.services, demo.catalog, KAURI, "new-dossier", quantity=quantity, actor=ACTOR
            )
        )


def choose_a_plan_after_the_trial(demo: Demo) -> None:
    """Sakura Care chooses a plan with a discount code; Fjord lets its trial run out."""
    demo.report.heading(f"{demo.day}: a trial ends")
    _contract(
        demo,
        SAKURA,
        ContractTerms(plan="blended", cadence=Cadence.MONTHLY, discount_code="WELCOME10"),
    )
    demo.report.line(
        "  seatledger contract set sakura --plan blended --cadence monthly --discount WELCOME10"
    )
    demo.report.line(
        "Sakura Care chose Blended with WELCOME10 (10% off three invoices), from September; "
        "choosing a first plan needs no payment method. Fjord chose nothing: from September it "
        "has no active subscription."
    )


def add_the_admins(demo: Demo) -> None:
    """Admins with personal PINs; a wrong PIN is counted."""
    demo.report.heading(f"{demo.day}: admins and their PINs")
    for (org, admin), pin in PINS.items():
        must(admins.add_admin(demo.services, demo.pins, org, admin, pin))
        demo.report.line(
            f"  seatledger admin add {org} {admin}   (PIN typed at a hidden prompt, stored "
            "only as a salted scrypt hash)"
        )


def change_a_plan(demo: Demo) -> None:
    """Nordwind moves to Blended: refused without a payment method, then from next month."""
    demo.report.heading(f"{demo.day}: a plan change")
    refused = contracts.set_contract(
        demo.services, demo.catalog, NORDWIND, ContractTerms(plan="blended"), actor=ACTOR
    )
    if not isinstance(refused, Failure):
        raise RuntimeError("the plan change without a payment method was accepted")
    demo.report.line(f"  seatledger contract set nordwind --plan blended: refused "
                     f"({refused.failure().code}): {refused.failure().message}")  # fmt: skip
    _contract(demo, NORDWIND, ContractTerms(plan="blended", payment_method=PaymentMethod.SEPA))
    demo.report.line(
        "  seatledger contract set nordwind --plan blended --payment-method sepa: applies from "
        f"{Period.containing(demo.day).next()}, at no extra cost; October stays Standard."
    )


def _request(demo: Demo) -> TransferRequest:
    candidates = [sid for sid in demo.settled(NORDWIND) if demo.seats[sid].kind is SeatKind.REGULAR]
    sid = candidates[0]
    demo.pinned.add(sid)
    return must(
        transfers.request_transfer(
            demo.services, sid, SAKURA, actor=ACTOR, reason="the practitioner moved to Sakura Care"
        )
    )


def request_a_transfer_in_time(demo: Demo) -> None:
    demo.report.heading(f"{demo.day}: Nordwind asks Sakura Care to take over a seat")
    demo.in_time = _request(demo)
    _show_pending(demo, demo.in_time)


def request_a_transfer_late(demo: Demo) -> None:
    demo.report.heading(f"{demo.day}: another transfer request")
    demo.too_late = _request(demo)
    _show_pending(demo, demo.too_late)


def _show_pending(demo: Demo, made: TransferRequest) -> None:
    demo.report.line(f"  seatledger transfer request {made.seat} --to {SAKURA}: {made.id}")
    views = must(transfers.list_requests(demo.services, SAKURA, pending_only=True))
    demo.report.line(f"  seatledger transfer list --org {SAKURA} --pending")
    demo.report.table(
        ("request", "seat", "from", "to", "requested", "deadline"),
        [
            (v.request.id, v.request.seat, v.request.sender, v.request.receiver,
             v.request.requested_on, v.deadline)
            for v in views
        ],
    )  # fmt: skip
    demo.report.line(
        "Until Sakura's admin approves with a PIN, Nordwind pays; approved after the deadline, "
        "Nordwind still pays for that month."
    )


def _approve(demo: Demo, made: TransferRequest | None, verdict: str) -> None:
    assert made is not None
    # First a mistyped PIN: refused and counted, nothing else written.
    wrong = transfers.approve(demo.services, demo.pins, made.id, admin="haruki", pin="000000",
                              actor=ACTOR)  # fmt: skip
    if verdict == "in time" and isinstance(wrong, Failure):
        demo.report.line(
            f"  seatledger transfer approve {made.id} --admin haruki (a typo in the PIN): "
            f"refused ({wrong.failure().code}): {wrong.failure().message}"
        )
    pin = PINS[(SAKURA, "haruki")]
    done_ = must(transfers.approve(demo.services, demo.pins, made.id, admin="haruki", pin=pin,
                                   actor=ACTOR))  # fmt: skip
    demo.pinned.discard(made.seat)
    demo.seats[made.seat].org = SAKURA
    demo.report.line(
        f"  seatledger transfer approve {made.id} --admin haruki: approved on "
        f"{done_.decided_on} ({verdict} for the October reference date, 2025-10-31)"
    )


def approve_in_time(demo: Demo) -> None:
    demo.report.heading(f"{demo.day}: Sakura Care approves on the reference date")
    _approve(demo, demo.in_time, "in time")


def approve_too_late(demo: Demo) -> None:
    demo.report.heading(f"{demo.day}: Sakura Care approves the other request a day late")
    _approve(demo, demo.too_late, "too late")


def run_billing(demo: Demo) -> None:
    """On the 2nd: bill last month (month-end counts) and this month (month-start counts).

    The 2nd, because a count date is billed once it has ended in every time
    zone (the closing rule): the 1st has then closed, and so has the last
    day of the month before.
    """
    this = Period.containing(demo.day)
    periods = [this] if demo.day == FIRST_BILLING_DAY else [this.previous(), this]
    if demo.day == LAST_DAY:
        periods = [this]
    demo.report.heading(f"{demo.day}: billing runs")
    for period in periods:
        report = must(billing.bill_run(demo.services, demo.catalog, period))
        demo.runs.append(report)
        _summarise_run(demo, report)


def _summarise_run(demo: Demo, report: RunReport) -> None:
    issued = [o for o in report.outcomes if o.outcome is Outcome.ISSUED]
    others: dict[str, list[str]] = {}
    for o in report.outcomes:
        if o.outcome is not Outcome.ISSUED:
            others.setdefault(o.outcome.value, []).append(o.org)
    bills = ", ".join(
        f"{o.org} {money(o.invoice.total, o.invoice.currency)}" for o in issued if o.invoice
    )
    rest = "; ".join(f"{k}: {', '.join(v)}" for k, v in others.items())
    demo.report.line(
        f"  seatledger bill run --period {report.period}: issued {len(issued)}"
        + (f" ({bills})" if bills else "")
        + (f"; {rest}" if rest else "")
    )


def show_a_full_run(demo: Demo) -> None:
    """The run of September, printed in full, then a second run that issues nothing."""
    demo.report.heading(f"{demo.day}: seatledger bill run --period 2025-09, in full")
    september = [r for r in demo.runs if r.period == Period(2025, 9)][-1]
    rows = []
    for o in september.outcomes:
        invoice = o.invoice
        rows.append((
            o.org, o.outcome.value, invoice.id if invoice else "-",
            len(invoice.evidence.seats) if invoice else "-",
            money(invoice.total, invoice.currency) if invoice else "-", o.note or "-",
        ))  # fmt: skip
    demo.report.table(("org", "outcome", "invoice", "seats", "total EUR", "note"), rows)
    again = must(billing.bill_run(demo.services, demo.catalog, Period(2025, 9)))
    counts: dict[str, int] = {}
    for o in again.outcomes:
        counts[o.outcome.value] = counts.get(o.outcome.value, 0) + 1
    demo.report.line(
        "  seatledger bill run --period 2025-09 (again): "
        + ", ".join(f"{n} {k}" for k, n in counts.items())
        + ": a billing run is idempotent, nothing is issued twice."
    )


def who_pays_for_october(demo: Demo) -> None:
    """The two transfers on the October invoices."""
    demo.report.heading(f"{demo.day}: who pays for October's seats that changed hands")
    assert demo.in_time is not None
    assert demo.too_late is not None
    for made, verdict in ((demo.in_time, "in time"), (demo.too_late, "too late")):
        payers = []
        for org in (NORDWIND, SAKURA):
            invoice = must(billing.get_invoice(demo.services, f"INV-2025-10-{org}"))
            if any(row.seat == made.seat for row in invoice.evidence.seats):
                payers.append(invoice.id)
        demo.report.line(
            f"{made.seat}: requested {made.requested_on}, approved {verdict} -> counted on "
            f"{', '.join(payers) or 'no invoice'}"
        )
    demo.report.line(
        "Approved on 31 October, the seat is Sakura's on October's reference date; approved on "
        "1 November, Nordwind still pays for October and Sakura from November."
    )
    history = must(seats.history(demo.services, demo.too_late.seat))
    demo.report.line(f"  seatledger seat history {demo.too_late.seat} (its transfer facts):")
    demo.report.table(
        ("#", "kind", "effective", "actor", "org", "from", "request"),
        [
            (f.seq, f.kind.value, f.effective_on, f.actor, f.org, f.from_org, f.request)
            for f in (e.fact for e in history.entries)
            if f.request is not None
        ],
    )
    paid_by = ", ".join(
        f"{o.org} from {o.start}" + (f" until {o.end}" if o.end else "")
        for o in history.timeline.owners
    )
    demo.report.line(f"  paying organisation: {paid_by}")


def show_the_invoices(demo: Demo) -> None:
    """The invoices, one explained, its evidence, the adjustment, and every one verified."""
    demo.report.heading(f"{demo.day}: the invoices")
    issued = list(must(billing.list_invoices(demo.services)))
    demo.report.line(f"  seatledger invoice list: {len(issued)} invoices")
    demo.report.table(
        ("invoice", "counted on", "seats", "subtotal", "VAT", "total EUR"),
        [
            (
                i.id, i.evidence.reference_date or "-", len(i.evidence.seats),
                money(i.subtotal, i.currency), money(i.vat, i.currency),
                money(i.total, i.currency),
            )
            for i in issued
        ],
    )  # fmt: skip
    disputed = must(billing.get_invoice(demo.services, "INV-2025-09-xtra"))
    demo.report.heading(f"{demo.day}: seatledger invoice explain {disputed.id}")
    for text in billing.explain(disputed):
        demo.report.line(text)
    demo.report.heading(f"{demo.day}: seatledger invoice evidence {disputed.id} --format csv")
    demo.report.table(
        ("seat", "holder", "kind", "activated_on", "deactivated_on", "paying_org"),
        [
            (r.seat, r.holder, r.kind.value, r.activated_on, r.deactivated_on, r.paying_org)
            for r in disputed.evidence.seats[:8]
        ],
    )
    cut = disputed.evidence.as_known_at
    demo.report.line(
        f"... {len(disputed.evidence.seats)} seats in all, as known at "
        f"{iso_instant(cut) if cut else '-'}; SHA-256 {disputed.evidence_hash}"
    )
    demo.report.heading(f"{demo.day}: the late correction, as an adjustment")
    adjusted = [
        (i, line)
        for i in issued
        for line in i.lines
        if line.kind is LineKind.ADJUSTMENT and line.refers_to == disputed.id
    ]
    for invoice, line in adjusted:
        demo.report.line(
            f"{invoice.id}: {line.description}: {money(line.amount, invoice.currency)}"
        )
    others = sum(1 for i in issued for line in i.lines if line.kind is LineKind.ADJUSTMENT)
    demo.report.line(
        f"{disputed.id} itself is unchanged (it still verifies as issued). Adjustment lines in "
        f"all invoices: {others}. A late report or correction that changes an invoiced period "
        "lands on the organisation's next invoice, naming the invoice it corrects."
    )
    _verify_all(demo, issued)


def _verify_all(demo: Demo, issued: Sequence[Invoice]) -> None:
    demo.report.heading(f"{demo.day}: seatledger invoice verify, for every invoice")
    failed = []
    for invoice in issued:
        checked = must(billing.verify_invoice(demo.services, invoice.id))
        if not checked.ok:
            failed.append((invoice.id, checked.problems))
    if failed:
        raise RuntimeError(f"invoices that do not verify: {failed}")
    demo.report.line(
        f"all {len(issued)} invoices verified: content hash, seats recomputed as known at each "
        "invoice's cut, lines recomputed from the frozen prices, adjustments."
    )
    forecast = must(billing.bill_run(demo.services, demo.catalog, Period(2026, 1), dry_run=True))
    total = sum((o.invoice.total for o in forecast.outcomes if o.invoice is not None), Decimal(0))
    demo.report.line(
        f"  seatledger bill run --period 2026-01 --dry-run: a FORECAST of "
        f"{len(forecast.invoices)} invoices, {money(total, 'EUR')} EUR in all; nothing issued."
    )


# --- money over a contract's life: a cadence switch, an annual start, transfers ----------

OAKRIDGE, BIRCH = OrgId("oakridge"), OrgId("birch")
# The seats moved between a monthly and an annual organisation (set on the take-over day).
CADENCE_STORY: dict[str, SeatId] = {}
CADENCE_PINS = {(LAKESHORE, "lena"): "915302", (OAKRIDGE, "omar"): "407718"}


def open_two_more_clinics(demo: Demo) -> None:
    """Oakridge pays monthly; Birch has seats but no contract yet."""
    demo.report.heading(f"{demo.day}: two more clinics, for the story of money over time")
    for org, name, count in ((OAKRIDGE, "Oakridge Therapy", 3), (BIRCH, "Birch Praktijk", 4)):
        zone = "Europe/Brussels"
        must(organisations.add_organisation(demo.services, org, name, zone, "EUR"))
        for n in range(count):
            sid = demo.new_seat_id(org)
            holder = f"{FIRST_NAMES[n + 8]} {demo.story_rng.choice(LAST_NAMES)}"
            done(seats.activate(demo.services, sid, org, actor=ACTOR, holder=holder))
            demo.seats[sid] = SeatState(org, demo.day)
            demo.pinned.add(sid)
    _contract(demo, OAKRIDGE, ContractTerms(plan="standard", cadence=Cadence.MONTHLY))
    _buyer(demo, OAKRIDGE, PartyChanges(
        "Oakridge Therapy BV", "BE0412345614", "Eikenlaan 5", "Leuven", "3000", "BE",
        "0208:0412345614"))  # fmt: skip
    _buyer(demo, BIRCH, PartyChanges(
        "Birch Praktijk BV", "BE0523456738", "Berkenstraat 8", "Antwerpen", "2000", "BE",
        "0208:0523456738"))  # fmt: skip
    demo.report.line("  seatledger contract set oakridge --plan standard --cadence monthly")
    demo.report.line("  (birch has 4 seats and no contract: no active subscription yet)")


def add_the_cadence_admins(demo: Demo) -> None:
    for (org, admin), pin in CADENCE_PINS.items():
        must(admins.add_admin(demo.services, demo.pins, org, admin, pin))


def switch_oakridge_to_annual(demo: Demo) -> None:
    """Monthly to annual in October: from November, the 10 months to September pro rata."""
    demo.report.heading(f"{demo.day}: Oakridge switches from monthly to annual")
    _contract(demo, OAKRIDGE, ContractTerms(cadence=Cadence.ANNUAL, year_start="09-01"))
    demo.report.line(
        "  seatledger contract set oakridge --cadence annual --year-start 09-01: from 2025-11; "
        "November to August is billed as 10 of 12 months of the annual price (AnnualStart "
        "pro-rata), October still monthly."
    )


def take_over_across_cadences(demo: Demo) -> None:
    """A seat Lakeshore paid for the year moves to monthly Oakridge; a monthly seat of
    Nordwind moves to annual Lakeshore after its count."""
    demo.report.heading(f"{demo.day}: seats taken over between monthly and annual payers")
    paid = next(s for s in demo.settled(LAKESHORE) if demo.seats[s].kind is SeatKind.REGULAR)
    monthly = next(s for s in demo.settled(NORDWIND) if demo.seats[s].kind is SeatKind.REGULAR)
    for sid, to, admin in ((paid, OAKRIDGE, "omar"), (monthly, LAKESHORE, "lena")):
        pin = CADENCE_PINS[(to, admin)]
        must(
            transfers.take_over(
                demo.services, demo.pins, sid, to, admin=admin, pin=pin, actor=ACTOR,
                reason="the practitioner moved",
            )
        )  # fmt: skip
        demo.seats[sid].org = to
        demo.pinned.add(sid)
        demo.report.line(f"  seatledger takeover {sid} --by {to} --admin {admin}   (PIN)")
    CADENCE_STORY.update({"paid": paid, "monthly": monthly})


def sign_birch_mid_year(demo: Demo) -> None:
    """Birch signs an annual contract on 15 November, year from 1 September."""
    demo.report.heading(f"{demo.day}: Birch signs an annual contract mid-year")
    _contract(
        demo, BIRCH, ContractTerms(plan="standard", cadence=Cadence.ANNUAL, year_start="09-01")
    )
    demo.report.line(
        "  seatledger contract set birch --plan standard --cadence annual --year-start 09-01: "
        "from 2025-11, counted on 2025-10-31, the months to September pro rata."
    )


def show_money_over_time(demo: Demo) -> None:
    """The invoice lines of each part of the story."""
    demo.report.heading(f"{demo.day}: money over a contract's life, on the invoices")
    story = (
        (f"INV-2025-10-{OAKRIDGE}", "Oakridge, monthly in October, with Lakeshore's paid seat"),
        (f"INV-2025-11-{OAKRIDGE}", "Oakridge, annual from November"),
        (f"INV-2025-11-{BIRCH}", "Birch, annual signed on 15 November"),
        (f"INV-2025-11-{LAKESHORE}", "Lakeshore, annual, with Nordwind's monthly seat"),
    )
    for invoice_id, what in story:
        invoice = must(billing.get_invoice(demo.services, invoice_id))
        demo.report.line(f"{invoice_id} ({what}):")
        for line in invoice.lines:
            demo.report.line(
                f"  - {line.description}: {line.quantity} x {line.unit_price} = {line.amount}"
            )
        basis = invoice.evidence.basis
        if basis is not None and basis.covered_elsewhere:
            demo.report.line(
                f"    counted but paid in advance by another organisation, so owing nothing: "
                f"{', '.join(basis.covered_elsewhere)}"
            )
        demo.report.line(f"    total {money(invoice.total, invoice.currency)} EUR")


# A small Belgian clinic that closed in October, reported in November: a credit note.
FLEURIE = OrgId("fleurie")


def open_fleurie(demo: Demo) -> None:
    """Clinique Fleurie: two seats, monthly, counted on the 1st."""
    must(organisations.add_organisation(
        demo.services, FLEURIE, "Clinique Fleurie", "Europe/Brussels", "EUR"))  # fmt: skip
    _buyer(demo, FLEURIE, PartyChanges(
        "Clinique Fleurie SRL", "BE0634567862", "Rue des Fleurs 7", "Namur", "5000", "BE",
        "0208:0634567862"), "BC-77")  # fmt: skip
    for holder in ("Anaïs Dubois", "Zoë Lemaître"):
        sid = demo.new_seat_id(FLEURIE)
        done(seats.activate(demo.services, sid, FLEURIE, actor=ACTOR, holder=holder))
        demo.seats[sid] = SeatState(FLEURIE, demo.day)
        demo.pinned.add(sid)
    _contract(demo, FLEURIE, ContractTerms(
        plan="standard", cadence=Cadence.MONTHLY, reference="month-start"))  # fmt: skip


def close_fleurie_late(demo: Demo) -> None:
    """Both seats ended on 15 October, reported in November: November was billed for nothing."""
    demo.report.heading(f"{demo.day}: Clinique Fleurie closed in October, reported in November")
    for sid in [sid for sid, state in demo.seats.items() if state.org == FLEURIE]:
        _close(demo, sid, date(2025, 10, 15), "the clinic closed; reported late", complete=False)
    demo.report.line(
        "  seatledger seat deactivate … --on 2025-10-15 --reason …: December counts no seat, and "
        "November's invoice is credited, so December's document is a credit note"
    )


def export_documents(demo: Demo) -> None:
    """One invoice and one credit note, as PDF and as Peppol UBL."""
    demo.report.heading(f"{demo.day}: invoice documents (seatledger invoice export)")
    folder = demo.documents
    if folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    for invoice_id in (f"INV-2025-11-{NORDWIND}", f"CN-2025-12-{FLEURIE}"):
        view = must(documents.document_view(demo.services, invoice_id))
        csv_text = evidence_csv(view.invoice.evidence.seats)
        written = []
        for format_, data in (
            ("pdf", pdf_document(view, csv_text)),
            ("ubl", must(ubl_document(view, csv_text))),
        ):
            path = folder / f"{invoice_id}.{'xml' if format_ == 'ubl' else 'pdf'}"
            path.write_bytes(data)
            written.append(str(path))
        demo.report.line(
            f"  {view.kind_name.lower()} {view.number} ({invoice_id}, total "
            f"{money(view.total, view.currency)} EUR): {' and '.join(written)}"
        )
    demo.report.line(
        "  the UBL files are Peppol BIS Billing 3.0 documents (check them with the official "
        "rules: validate-peppol FILE.xml); the PDFs end with the proof annex"
    )


@frozen
class Step:
    """A named step of the demo's script, run on its day after that day's churn."""

    name: str
    day: date
    run: Callable[[Demo], None]


def _billing_days() -> list[date]:
    seconds = [date(2025, month, 2) for month in range(CONTRACTS_DAY.month + 1, 13)]
    return [*seconds, LAST_DAY]


def _fridays() -> list[date]:
    first = CONTRACTS_DAY + timedelta(days=(4 - CONTRACTS_DAY.weekday()) % 7)
    return [first + timedelta(days=7 * k) for k in range((LAST_DAY - first).days // 7 + 1)]


STEPS: tuple[Step, ...] = (
    Step("open the ledger", FIRST_DAY, open_the_ledger),
    Step("sign the contracts", CONTRACTS_DAY, sign_the_contracts),
    Step("bill July", FIRST_BILLING_DAY, run_billing),
    *(Step("new dossiers", day, record_new_dossiers) for day in _fridays()),
    Step("choose a plan after the trial", PLAN_AFTER_TRIAL_DAY, choose_a_plan_after_the_trial),
    Step("take the overage snapshot", SNAPSHOT_DAY, take_the_overage_snapshot),
    Step("add the admins", ADMINS_DAY, add_the_admins),
    Step("change a plan", PLAN_CHANGE_DAY, change_a_plan),
    Step("answer the dispute", DISPUTE_DAY, answer_the_dispute),
    Step("request a transfer in time", IN_TIME_REQUEST_DAY, request_a_transfer_in_time),
    Step("record a late correction", CORRECTION_DAY, record_a_late_correction),
    Step("request a transfer late", LATE_REQUEST_DAY, request_a_transfer_late),
    Step("approve in time", IN_TIME_APPROVAL_DAY, approve_in_time),
    Step("approve too late", LATE_APPROVAL_DAY, approve_too_late),
    *(Step("run billing", day, run_billing) for day in _billing_days()),
    Step("show a full run", date(2025, 10, 2), show_a_full_run),
    Step("open two more clinics", CONTRACTS_DAY, open_two_more_clinics),
    Step("open a clinic that will close", CONTRACTS_DAY, open_fleurie),
    Step("close it, reported late", date(2025, 11, 20), close_fleurie_late),
    Step("add the cadence admins", ADMINS_DAY, add_the_cadence_admins),
    Step("switch to annual", PLAN_CHANGE_DAY, switch_oakridge_to_annual),
    Step("take over across cadences", date(2025, 10, 10), take_over_across_cadences),
    Step("sign annual mid-year", date(2025, 11, 15), sign_birch_mid_year),
    Step("show money over time", date(2025, 12, 2), show_money_over_time),
    Step("who pays for October", date(2025, 11, 2), who_pays_for_october),
    Step("show what is known when", LAST_DAY, show_what_is_known_when),
    Step("show the invoices", LAST_DAY, show_the_invoices),
    Step("count on reference dates", LAST_DAY, count_on_reference_dates),
    Step("export documents", LAST_DAY, export_documents),
)


def run_demo(
    services: Services,
    report: Reporter,
    steps: Sequence[Step] = STEPS,
    *,
    catalog: Catalog | None = None,
    pins: PinHasher | None = None,
    documents_in: Path | None = None,
) -> Demo:
    """Play the script from FIRST_DAY to LAST_DAY on ``services`` (an empty ledger).

    The prices are the shipped catalog's unless ``catalog`` is given (its
    currency must be EUR); PINs are hashed with scrypt unless ``pins`` is given.
    """
    demo = Demo(
        base=services,
        report=report,
        catalog=catalog if catalog is not None else must(catalog_for(Settings())),
        pins=pins if pins is not None else pin_hasher(),
        documents=documents_in,
    )
    by_day: dict[date, list[Step]] = {}
    for step in steps:
        by_day.setdefault(step.day, []).append(step)
    day = FIRST_DAY
    while day <= LAST_DAY:
        demo.day = day
        if day != FIRST_DAY:
            _churn(demo)
        for step in by_day.get(day, []):
            step.run(demo)
        day += ONE_DAY
    return demo


# --- the routine churn ----------------------------------------------------------------


def _plan_xtra(demo: Demo) -> None:
    """Xtra Lease's changes, on fixed numbers so the report counts exactly 403."""
    before = _days(FIRST_DAY + ONE_DAY, SNAPSHOT_DAY - ONE_DAY)
    after = _days(SNAPSHOT_DAY + ONE_DAY, DISPUTE_DAY - ONE_DAY)
    for _ in range(XTRA_JOINERS):
        demo.xtra_plan.setdefault(demo.rng.choice(before), []).append("join")
    for _ in range(XTRA_LEAVERS_BEFORE):
        demo.xtra_plan.setdefault(demo.rng.choice(before), []).append("leave")
    for _ in range(XTRA_LEAVERS_AFTER):
        demo.xtra_plan.setdefault(demo.rng.choice(after), []).append("leave")


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _churn(demo: Demo) -> None:
    for action in demo.xtra_plan.get(demo.day, []):
        if action == "join":
            _activate(demo, XTRA, demo.day, None)
        else:
            _close(demo, demo.rng.choice(demo.settled(XTRA)), demo.day, None, complete=False)
    for org in ORGS[1:]:
        _churn_org(demo, org)


def _churn_org(demo: Demo, org: DemoOrg) -> None:
    rng = demo.rng
    daily = org.joiners_per_year / 365
    late = rng.random() < 0.2
    lag = timedelta(days=rng.randrange(1, 8)) if late else timedelta(0)
    reason = "reported late by the team lead" if late else None
    if rng.random() < daily:
        kind = SeatKind.STUDENT if rng.random() < org.students else SeatKind.REGULAR
        _activate(demo, org.id, demo.day - lag, reason, kind)
    if rng.random() < daily * 0.8:
        active = demo.settled(org.id)
        if active:
            sid = rng.choice(active)
            state = demo.seats[sid]
            on = max(demo.day - lag, state.opened_on + ONE_DAY)
            complete = state.kind is SeatKind.STUDENT and rng.random() < 0.5
            _close(demo, sid, on, reason if on < demo.day else None, complete=complete)
    if rng.random() < 0.01:
        closed = [
            sid
            for sid, s in demo.seats.items()
            if s.org == org.id and s.closed_on is not None and s.closed_on < demo.day
        ]
        if closed:
            sid = rng.choice(sorted(closed))
            done(seats.reactivate(demo.services, sid, actor=ACTOR))
            demo.seats[sid].opened_on = demo.day
            demo.seats[sid].closed_on = None
            demo.seats[sid].close_fact = None
            demo.changes += 1
    if rng.random() < 0.004:
        _correct_a_recent_leaver(demo, org)


def _activate(
    demo: Demo, org: OrgId, on: date, reason: str | None, kind: SeatKind = SeatKind.REGULAR
) -> None:
    sid = demo.new_seat_id(org)
    addons = ("library",) if demo.rng.random() < 0.3 else ()
    done(
        seats.activate(
            demo.services,
            sid,
            org,
            actor=ACTOR,
            on=on,
            kind=kind,
            holder=demo.holder(),
            addons=addons,
            reason=reason,
            catalog=demo.catalog,
        )
    )
    demo.seats[sid] = SeatState(org, on, None, None, kind)
    demo.changes += 1
    demo.backdated += 1 if on < demo.day else 0


def _close(demo: Demo, sid: SeatId, on: date, reason: str | None, *, complete: bool) -> None:
    use_case = seats.complete if complete else seats.deactivate
    fact = done(use_case(demo.services, sid, actor=ACTOR, on=on, reason=reason))
    demo.seats[sid].closed_on = on
    demo.seats[sid].close_fact = fact.seq
    demo.changes += 1
    demo.backdated += 1 if on < demo.day else 0


def _correct_a_recent_leaver(demo: Demo, org: DemoOrg) -> None:
    recent = sorted(
        sid
        for sid, s in demo.seats.items()
        if s.org == org.id
        and s.close_fact is not None
        and s.closed_on is not None
        and (demo.day - s.closed_on).days < 30
        and (s.closed_on - s.opened_on).days > 5
    )
    if not recent:
        return
    sid = demo.rng.choice(recent)
    state = demo.seats[sid]
    assert state.closed_on is not None
    assert state.close_fact is not None
    on = state.closed_on - timedelta(days=demo.rng.randrange(1, 5))
    fact = done(
        seats.correct(
            demo.services,
            sid,
            state.close_fact,
            on=on,
            actor=ACTOR,
            reason="the leaving date on the form was wrong",
        )
    )
    state.closed_on = on
    state.close_fact = fact.seq
    demo.corrections += 1


def _seat_table(rows: Sequence[SeatRow]) -> tuple[Sequence[str], Sequence[Sequence[object]]]:
    return (
        ("seat", "holder", "kind", "activated_on", "deactivated_on"),
        [(r.seat, r.holder, r.kind.value, r.activated_on, r.deactivated_on) for r in rows],
    )
