"""The HTTP API as a Litestar application (docs/http.md, decision 0034).

``create_app`` builds the routes over one ``HttpLedger``. Every write builds
its command value (``domain/services/commands.py``) with the caller's key
name as the actor and runs it through the one dispatcher; ``Idempotency-Key``
makes it happen at most once. Answers use the command line's JSON shapes
(``adapters/serialisation.py``); errors are problem details (``problems.py``).
The OpenAPI 3.1 document at ``/v1/openapi.json`` is generated from these
routes and their attrs bodies.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Final, TypeVar, cast

from litestar import Litestar, Request, Response, Router, get, patch, post, put
from litestar.datastructures import State
from litestar.enums import MediaType, ScopeType
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.spec import Components, SecurityScheme
from litestar.params import Parameter
from litestar.plugins.attrs import AttrsSchemaPlugin
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from returns.result import Failure, Result

from seatledger.adapters.serialisation import (
    admin_document,
    contract_document,
    evidence_csv,
    evidence_document,
    history_document,
    invoice_document,
    request_view_document,
    run_document,
    seats_answer_document,
    to_json,
    transfer_document,
    verification_document,
)
from seatledger.adapters.sql import schema_revision
from seatledger.domain.apikeys import ApiKey
from seatledger.domain.catalog import Cadence
from seatledger.domain.contracts import PaymentMethod
from seatledger.domain.dates import Period, parse_date, parse_instant
from seatledger.domain.errors import InvalidContract, LedgerError
from seatledger.domain.identifiers import OrgId
from seatledger.domain.policies import (
    AnnualStart,
    LeaveAnnual,
    NegativeBalance,
    OverageDocument,
    PaidCoverage,
)
from seatledger.domain.queries import RangeMode
from seatledger.domain.seat import SeatKind
from seatledger.domain.services import billing, organisations, questions, seats, transfers
from seatledger.domain.services import commands as c
from seatledger.domain.services.contracts import ContractTerms
from seatledger.domain.services.transfers import RequestView
from seatledger.entrypoints.http import bodies
from seatledger.entrypoints.http.documents import (
    FactDocument,
    Health,
    InvoiceDocument,
    InvoicesPage,
    OrganisationDocument,
    OrganisationsPage,
    RunDocument,
    SeatsPage,
    TransferDocument,
    TransfersPage,
    VerifyDocument,
)
from seatledger.entrypoints.http.ledger import HttpLedger, Json, require_operator, scope_check
from seatledger.entrypoints.http.problems import MEDIA_TYPE, Problem, ProblemDocument, refused

T = TypeVar("T")
LOG: Final = logging.getLogger("seatledger.http")

MAX_BODY: Final = 1024 * 1024
OPENAPI_MEDIA_TYPE: Final = "application/vnd.oai.openapi+json"
IDEMPOTENCY_HEADER: Final = "idempotency-key"

KeyHeader = Annotated[
    str | None,
    Parameter(
        header="Idempotency-Key",
        required=False,
        description="1-200 printable ASCII characters: the same key and body replay the first "
        "answer; another body is refused (422); while the first runs: 409.",
    ),
]
Limit = Annotated[int, Parameter(ge=1, le=1000, description="page size, 1-1000")]
Cursor = Annotated[
    str | None, Parameter(required=False, description="next_cursor of the page before")
]

_PROBLEMS: Final = {
    status: ResponseSpec(ProblemDocument, description=why, media_type=MEDIA_TYPE)
    for status, why in (
        (400, "malformed request"),
        (401, "no API key, or an unknown or revoked one"),
        (403, "this key may not do this"),
        (404, "unknown id"),
        (409, "refused by a rule, or the same Idempotency-Key still running"),
        (413, "request body over 1 MiB"),
        (422, "invalid input"),
        (503, "database busy: nothing was changed, retry"),
    )
}


def _ok(result: Result[T, LedgerError]) -> T:
    if isinstance(result, Failure):
        raise refused(result.failure())
    return result.unwrap()


def _day(text: str | None) -> date | None:
    return None if text is None else _ok(parse_date(text))


def _instant(text: str | None) -> datetime | None:
    return None if text is None else _ok(parse_instant(text))


def _choice(kind: Any, value: str | None, what: str) -> Any:
    if value is None:
        return None
    for member in kind:
        if member.value == value:
            return member
    choices = ", ".join(m.value for m in kind)
    raise refused(InvalidContract(what, f"{value!r} is not one of {choices}"))


def _amount(value: str | None, what: str) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        raise refused(InvalidContract(what, f"{value!r} is not a decimal amount")) from None


def _terms(body: bodies.ContractBody) -> ContractTerms:
    period = None if body.effective_from is None else _ok(Period.parse(body.effective_from))
    return ContractTerms(
        plan=body.plan,
        cadence=_choice(Cadence, body.cadence, "cadence"),
        reference=body.reference,
        year_start=body.year_start,
        count_days_before=body.count_days_before,
        licensed=body.licensed,
        overage_price=_amount(body.overage_price, "overage_price"),
        vat_percent=_amount(body.vat, "vat"),
        trial_until=_day(body.trial_until),
        payment_method=_choice(PaymentMethod, body.payment_method, "payment_method"),
        discount_code=body.discount,
        effective_from=period,
        annual_start=_choice(AnnualStart, body.annual_start, "annual_start"),
        leave_annual=_choice(LeaveAnnual, body.leave_annual, "leave_annual"),
        paid_coverage=_choice(PaidCoverage, body.transfer_coverage, "transfer_coverage"),
        negative_balance=_choice(NegativeBalance, body.negative_balance, "negative_balance"),
        overage_document=_choice(OverageDocument, body.overage_invoice, "overage_invoice"),
        remove=frozenset(body.remove or ()),
    )


# --- pagination ----------------------------------------------------------------------------
def _page(
    items: Sequence[T], key: Callable[[T], str], limit: int, after: str | None
) -> tuple[list[T], bool, str | None]:
    """Items after the cursor (in ``key`` order), at most ``limit``; more?; the next cursor.

    A cursor is the sort key of the last row of the page before (callers treat it as
    opaque), so any text is a position: rows after it.
    """
    ordered = sorted(items, key=key)
    if after is not None:
        ordered = [item for item in ordered if key(item) > after]
    chosen = ordered[:limit]
    more = len(ordered) > limit
    return chosen, more, key(chosen[-1]) if more and chosen else None


def _listing(items: Sequence[T], key: Callable[[T], str], render: Callable[[T], Json],
             limit: int, after: str | None) -> Json:  # fmt: skip
    chosen, more, cursor = _page(items, key, limit, after)
    return {"data": [render(i) for i in chosen], "has_more": more, "next_cursor": cursor}


# --- the application -------------------------------------------------------------------------
def create_app(ledger: HttpLedger) -> Litestar:
    """The HTTP API over ``ledger`` (closed by the application's shutdown)."""

    def caller(request: Request[Any, Any, State]) -> ApiKey:
        key = ledger.caller(request.headers.get("authorization"))
        request.scope["state"]["seatledger_caller"] = key.name
        return key

    def seat_payers(seat: str) -> tuple[OrgId, ...]:
        """Every organisation that has paid for the seat, the current payer last."""
        history = ledger.read(lambda s: seats.history(s, seat))
        return tuple(owner.org for owner in history.timeline.owners)

    def request_sides(caller_key: ApiKey, request_id: str) -> tuple[OrgId, OrgId] | None:
        if caller_key.org is None:
            return None
        views = ledger.read(lambda s: transfers.list_requests(s, caller_key.org))
        found = next((v for v in views if v.request.id == request_id), None)
        if found is None:
            raise Problem(403, "forbidden-organisation", f"{request_id} is not {caller_key.org}'s")
        return found.request.sender, found.request.receiver

    def organisation_json(value: Any) -> Json:
        document: Json = to_json(value)
        return document

    # --- service -----------------------------------------------------------------------
    @get("/v1/health", tags=["service"], sync_to_thread=True)
    def health() -> Health:
        """200 with the schema revision when the database is reachable."""
        from seatledger.adapters.sql import SqlUnitOfWork

        uow = ledger.services().uow
        engine = uow.engine if isinstance(uow, SqlUnitOfWork) else None
        return {"status": "ok", "schema_revision": schema_revision(engine) if engine else None}

    # --- organisations ---------------------------------------------------------------------
    @get("/v1/organisations", tags=["organisations"], sync_to_thread=True, responses=_PROBLEMS)
    def list_organisations(
        request: Request[Any, Any, State], limit: Limit = 100, starting_after: Cursor = None
    ) -> OrganisationsPage:
        """The organisations (an organisation key sees only its own)."""
        key = caller(request)
        found = [
            o
            for o in ledger.plain(organisations.list_organisations)
            if key.org is None or o.id == key.org
        ]
        return cast(
            OrganisationsPage,
            _listing(found, lambda o: o.id, organisation_json, limit, starting_after),
        )

    @post("/v1/organisations", tags=["organisations"], sync_to_thread=True, responses=_PROBLEMS)
    def add_organisation(
        request: Request[Any, Any, State], data: bodies.NewOrganisation, idempotency_key: KeyHeader
    ) -> Response[OrganisationDocument]:
        """Register an organisation (operator keys only): 201."""
        key = caller(request)
        require_operator(key, "adding an organisation")
        added = ledger.write(
            c.AddOrganisation(data.org, data.name, data.timezone, data.currency,
                              data.billing_relationship, key.name),
            idempotency_key,
        )  # fmt: skip
        return Response(cast(OrganisationDocument, organisation_json(added)), status_code=201)

    @get("/v1/organisations/{org:str}", tags=["organisations"], sync_to_thread=True,
         responses=_PROBLEMS)  # fmt: skip
    def get_organisation(request: Request[Any, Any, State], org: str) -> OrganisationDocument:
        scope_check(caller(request), org)
        found = ledger.read(lambda s: organisations.get_organisation(s, org))
        return cast(OrganisationDocument, organisation_json(found))

    @patch("/v1/organisations/{org:str}", tags=["organisations"], sync_to_thread=True,
           responses=_PROBLEMS)  # fmt: skip
    def set_organisation(
        request: Request[Any, Any, State],
        org: str,
        data: bodies.OrganisationChange,
        idempotency_key: KeyHeader,
    ) -> OrganisationDocument:
        """Change the fields of ``org set`` (a key left out keeps its value)."""
        key = caller(request)
        scope_check(key, org)
        since = _day(data.timezone_from)
        changed = ledger.write(
            c.SetOrganisation(org, data.name, data.timezone, since, data.billing_relationship,
                              key.name),
            idempotency_key,
        )  # fmt: skip
        return cast(OrganisationDocument, organisation_json(changed))

    @put("/v1/organisations/{org:str}/contract", tags=["organisations"], sync_to_thread=True,
         responses=_PROBLEMS)  # fmt: skip
    def set_contract(
        request: Request[Any, Any, State], org: str, data: bodies.ContractBody,
        idempotency_key: KeyHeader,
    ) -> Json:  # fmt: skip
        """Append a contract version (the options of ``contract set`` as JSON keys)."""
        key = caller(request)
        scope_check(key, org)
        added = ledger.write(c.SetContract(org, _terms(data), key.name), idempotency_key)
        return contract_document(added)

    @post("/v1/organisations/{org:str}/admins", tags=["organisations"], sync_to_thread=True,
          responses=_PROBLEMS)  # fmt: skip
    def add_admin(
        request: Request[Any, Any, State], org: str, data: bodies.NewAdmin,
        idempotency_key: KeyHeader,
    ) -> Response[Json]:  # fmt: skip
        """Give the organisation an admin with a PIN (kept only as a salted hash): 201."""
        key = caller(request)
        scope_check(key, org)
        added = ledger.write(c.AddAdmin(org, data.admin, data.pin, actor=key.name), idempotency_key)
        return Response(admin_document(added), status_code=201)

    @get("/v1/organisations/{org:str}/seats", tags=["seats"], sync_to_thread=True,
         responses=_PROBLEMS)  # fmt: skip
    def list_seats(
        request: Request[Any, Any, State],
        org: str,
        on: Annotated[str | None, Parameter(required=False, description="YYYY-MM-DD")] = None,
        first: Annotated[str | None, Parameter(query="from", required=False)] = None,
        last: Annotated[str | None, Parameter(query="to", required=False)] = None,
        mode: Annotated[str, Parameter(pattern="^(overlapping|throughout)$")] = "overlapping",
        as_known_at: Annotated[str | None, Parameter(required=False)] = None,
        limit: Limit = 100,
        starting_after: Cursor = None,
    ) -> SeatsPage:
        """The seats billed to ``org`` on a date (``on``) or within ``from``..``to``."""
        scope_check(caller(request), org)
        ranged = first is not None or last is not None
        if (on is not None) == ranged or (ranged and (first is None or last is None)):
            raise Problem(400, "invalid-query", "give on=DATE, or from=DATE and to=DATE")
        known_at = _instant(as_known_at)
        if on is not None:
            day = _day(on)
            assert day is not None
            answer = ledger.read(lambda s: questions.seats_on(s, org, day, known_at))
        else:
            start, end = _day(first), _day(last)
            assert start is not None
            assert end is not None
            chosen = RangeMode(mode)
            answer = ledger.read(
                lambda s: questions.seats_within(s, org, start, end, chosen, known_at)
            )
        document = seats_answer_document(answer)
        rows, more, cursor = _page(
            document["seats"], lambda r: str(r["seat"]), limit, starting_after
        )
        page = {**document, "seats": rows, "has_more": more, "next_cursor": cursor}
        return cast(SeatsPage, page)

    @post("/v1/organisations/{org:str}/usage", tags=["organisations"], sync_to_thread=True,
          responses=_PROBLEMS)  # fmt: skip
    def record_usage(
        request: Request[Any, Any, State], org: str, data: bodies.UsageBody,
        idempotency_key: KeyHeader,
    ) -> Response[Json]:  # fmt: skip
        """Record usage (billed in arrears): 201."""
        key = caller(request)
        scope_check(key, org)
        recorded = ledger.write(
            c.RecordUsage(org, data.kind, data.quantity, _day(data.on), key.name), idempotency_key
        )
        return Response(to_json(recorded), status_code=201)

    # --- seats -----------------------------------------------------------------------------
    @post("/v1/seats/{seat:str}/activate", tags=["seats"], sync_to_thread=True,
          responses=_PROBLEMS)  # fmt: skip
    def activate(
        request: Request[Any, Any, State], seat: str, data: bodies.Activation,
        idempotency_key: KeyHeader,
    ) -> Response[FactDocument]:  # fmt: skip
        """Open a new seat billed to ``org``: 201, the fact recorded."""
        key = caller(request)
        scope_check(key, data.org)
        kind = _ok(SeatKind.parse(data.kind))
        fact = ledger.write(
            c.ActivateSeat(seat, data.org, key.name, _day(data.on), kind, data.holder,
                           tuple(data.addons or ()), data.reason),
            idempotency_key,
        )  # fmt: skip
        return Response(to_json(fact), status_code=201)

    def seat_change(name: str, make: type[c.DeactivateSeat | c.CompleteSeat | c.ReactivateSeat],
                    what: str) -> Any:  # fmt: skip
        @post(f"/v1/seats/{{seat:str}}/{name}", tags=["seats"], sync_to_thread=True,
              responses=_PROBLEMS, operation_id=f"{name}_seat", summary=what,
              status_code=200)  # fmt: skip
        def change(
            request: Request[Any, Any, State], seat: str, data: bodies.SeatChange,
            idempotency_key: KeyHeader,
        ) -> FactDocument:  # fmt: skip
            key = caller(request)
            scope_check(key, *seat_payers(seat)[-1:])
            fact = ledger.write(make(seat, key.name, _day(data.on), data.reason), idempotency_key)
            return to_json(fact)  # type: ignore[no-any-return]

        return change

    @get("/v1/seats/{seat:str}/history", tags=["seats"], sync_to_thread=True, responses=_PROBLEMS)
    def seat_history(request: Request[Any, Any, State], seat: str) -> Json:
        """Every fact of the seat, its active intervals and payers."""
        scope_check(caller(request), *seat_payers(seat))
        return history_document(ledger.read(lambda s: seats.history(s, seat)))

    # --- transfers -------------------------------------------------------------------------
    @post("/v1/transfers", tags=["transfers"], sync_to_thread=True, responses=_PROBLEMS)
    def request_transfer(
        request: Request[Any, Any, State], data: bodies.NewTransfer, idempotency_key: KeyHeader
    ) -> Response[TransferDocument]:
        """The paying organisation asks ``to`` to take over billing: 201."""
        key = caller(request)
        scope_check(key, *seat_payers(data.seat)[-1:])
        made = ledger.write(
            c.RequestTransfer(data.seat, data.to, key.name, data.expires_in_days, data.reason),
            idempotency_key,
        )
        views = ledger.read(lambda s: transfers.list_requests(s, made.sender))
        deadline = next((v.deadline for v in views if v.request.id == made.id), None)
        return Response(
            cast(TransferDocument, transfer_document(made, deadline=deadline)), status_code=201
        )

    def decision(name: str, make: type[c.ApproveTransfer | c.RejectTransfer]) -> Any:
        @post(f"/v1/transfers/{{request_id:str}}/{name}", tags=["transfers"], sync_to_thread=True,
              responses=_PROBLEMS, operation_id=f"{name}_transfer", status_code=200)  # fmt: skip
        def decide(
            request: Request[Any, Any, State], request_id: str, data: bodies.Decision,
            idempotency_key: KeyHeader,
        ) -> TransferDocument:  # fmt: skip
            """The receiving organisation decides, with an admin's PIN."""
            key = caller(request)
            sides = request_sides(key, request_id)
            if sides is not None:
                scope_check(key, sides[1])
            decided = ledger.write(
                make(request_id, data.admin, data.pin, actor=key.name, reason=data.reason),
                idempotency_key,
            )
            return cast(TransferDocument, transfer_document(decided))

        return decide

    @post("/v1/transfers/{request_id:str}/withdraw", tags=["transfers"], sync_to_thread=True,
          responses=_PROBLEMS, status_code=200)  # fmt: skip
    def withdraw(
        request: Request[Any, Any, State], request_id: str, data: bodies.Withdrawal,
        idempotency_key: KeyHeader,
    ) -> TransferDocument:  # fmt: skip
        """The sender takes its pending request back."""
        key = caller(request)
        sides = request_sides(key, request_id)
        if sides is not None:
            scope_check(key, sides[0])
        done = ledger.write(c.WithdrawTransfer(request_id, key.name, data.reason), idempotency_key)
        return cast(TransferDocument, transfer_document(done))

    @get("/v1/transfers", tags=["transfers"], sync_to_thread=True, responses=_PROBLEMS)
    def list_transfers(
        request: Request[Any, Any, State],
        org: Annotated[str | None, Parameter(required=False)] = None,
        pending: bool = False,
        limit: Limit = 100,
        starting_after: Cursor = None,
    ) -> TransfersPage:
        """Requests sent or received by ``org`` (an organisation key: its own)."""
        key = caller(request)
        chosen = org if org is not None else key.org
        if key.org is not None:
            scope_check(key, chosen)
        views = ledger.read(lambda s: transfers.list_requests(s, chosen, pending_only=pending))

        def by_id(v: RequestView) -> str:
            return f"{v.request.id.split('-')[-1]:0>12}" if v.request.id else ""

        return cast(
            TransfersPage, _listing(views, by_id, request_view_document, limit, starting_after)
        )

    @post("/v1/takeovers", tags=["transfers"], sync_to_thread=True, responses=_PROBLEMS)
    def take_over(
        request: Request[Any, Any, State], data: bodies.NewTakeover, idempotency_key: KeyHeader
    ) -> Response[FactDocument]:
        """An admin of ``by`` takes over the seat's billing at once: 201."""
        key = caller(request)
        scope_check(key, data.by)
        fact = ledger.write(
            c.TakeOver(data.seat, data.by, data.admin, data.pin, actor=key.name,
                       reason=data.reason),
            idempotency_key,
        )  # fmt: skip
        return Response(to_json(fact), status_code=201)

    # --- billing and proof ---------------------------------------------------------------------
    @post("/v1/billing-runs", tags=["billing"], sync_to_thread=True, responses=_PROBLEMS,
          status_code=200)  # fmt: skip
    def bill_run(
        request: Request[Any, Any, State], data: bodies.BillingRun, idempotency_key: KeyHeader
    ) -> RunDocument:
        """Bill a period (idempotent by itself: a retry issues nothing twice)."""
        key = caller(request)
        if key.org is not None:
            scope_check(key, data.org)
        period = _ok(Period.parse(data.period))
        catalog = ledger.catalog()
        report = ledger.run_keyed(
            idempotency_key,
            lambda: billing.bill_run(
                ledger.services(), catalog, period, org=data.org, dry_run=data.dry_run,
                actor=key.name,
            ),
        )  # fmt: skip
        return cast(RunDocument, run_document(_ok(report)))

    @get("/v1/invoices", tags=["billing"], sync_to_thread=True, responses=_PROBLEMS)
    def list_invoices(
        request: Request[Any, Any, State],
        org: Annotated[str | None, Parameter(required=False)] = None,
        period: Annotated[str | None, Parameter(required=False, description="YYYY-MM")] = None,
        limit: Limit = 100,
        starting_after: Cursor = None,
    ) -> InvoicesPage:
        key = caller(request)
        chosen = org if org is not None else key.org
        if key.org is not None:
            scope_check(key, chosen)
        asked = None if period is None else _ok(Period.parse(period))
        found = ledger.read(lambda s: billing.list_invoices(s, chosen, asked))
        return cast(
            InvoicesPage, _listing(found, lambda i: i.id, invoice_document, limit, starting_after)
        )

    def invoice_of(key: ApiKey, invoice: str) -> Any:
        found = ledger.read(lambda s: billing.get_invoice(s, invoice))
        scope_check(key, found.org)
        return found

    @get("/v1/invoices/{invoice:str}", tags=["billing"], sync_to_thread=True, responses=_PROBLEMS)
    def get_invoice(request: Request[Any, Any, State], invoice: str) -> InvoiceDocument:
        return cast(InvoiceDocument, invoice_document(invoice_of(caller(request), invoice)))

    @get("/v1/invoices/{invoice:str}/evidence", tags=["billing"], sync_to_thread=True,
         responses=_PROBLEMS)  # fmt: skip
    def get_evidence(request: Request[Any, Any, State], invoice: str) -> Response[Any]:
        """The invoice's frozen evidence (JSON; ``Accept: text/csv`` gives the CSV export)."""
        found = invoice_of(caller(request), invoice)
        if "text/csv" in request.headers.get("accept", ""):
            return Response(evidence_csv(found.evidence.seats), media_type="text/csv")
        return Response(evidence_document(found))

    @post("/v1/invoices/{invoice:str}/verify", tags=["billing"], sync_to_thread=True,
          status_code=200, responses=_PROBLEMS)  # fmt: skip
    def verify_invoice(request: Request[Any, Any, State], invoice: str) -> VerifyDocument:
        """Recompute the invoice from history as known at its cut; check its hash."""
        invoice_of(caller(request), invoice)
        checked = ledger.read(lambda s: billing.verify_invoice(s, invoice))
        document = verification_document(checked)
        return cast(
            VerifyDocument, {"invoice": checked.invoice, "verified": checked.ok, **document}
        )

    protected = [
        list_organisations, add_organisation, get_organisation, set_organisation,
        set_contract, add_admin, list_seats, record_usage, activate,
        seat_change("deactivate", c.DeactivateSeat, "End the seat's active interval"),
        seat_change("complete", c.CompleteSeat, "Mark the seat's training completed"),
        seat_change("reactivate", c.ReactivateSeat, "Open a new active interval"),
        # On a path with two methods Litestar 2.25 wraps the first sync handler twice, which
        # only a handler answering plain JSON survives: the GETs come first.
        seat_history, list_transfers, request_transfer,
        decision("approve", c.ApproveTransfer), decision("reject", c.RejectTransfer),
        withdraw, take_over, bill_run, list_invoices, get_invoice,
        get_evidence, verify_invoice,
    ]  # fmt: skip

    @get("/v1/openapi.json", include_in_schema=False)
    async def openapi_document(request: Request[Any, Any, State]) -> Response[Any]:
        """The OpenAPI 3.1 document, generated from these routes (served here rather than by
        Litestar's own controller, whose catch-all would answer other /v1 paths in HTML)."""
        return Response(request.app.openapi_schema.to_schema(), media_type=OPENAPI_MEDIA_TYPE)

    # Every route but the health check and the document needs a key.
    keyed = Router(path="/", route_handlers=protected, security=[{"bearer": []}])
    return Litestar(
        route_handlers=[health, openapi_document, keyed],
        plugins=[AttrsSchemaPlugin()],
        exception_handlers={
            Problem: _problem_response,
            ValidationException: _validation_response,
            HTTPException: _http_response,
            Exception: _crash_response,
        },
        middleware=[_access_log],
        request_max_body_size=MAX_BODY,
        openapi_config=OpenAPIConfig(
            title="seatledger",
            version="1",
            description="Seat billing over HTTP: the same use cases as the command line "
            "(docs/http.md).",
            path="/_openapi",
            render_plugins=[],
            enabled_endpoints={"openapi.json"},
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(type="http", scheme="bearer", description="API key")
                }
            ),
            use_handler_docstrings=True,
            operation_id_creator=_operation_id,
        ),
        on_shutdown=[ledger.close],
        debug=False,
    )


def _operation_id(handler: Any, method: Any, path: Any) -> str:
    """Each operation named after its handler (the API's own name for the use case)."""
    chosen = handler.operation_id
    if isinstance(chosen, str):
        return chosen
    fn = handler.fn
    while hasattr(fn, "func"):  # sync handlers are wrapped, sometimes twice
        fn = fn.func
    return str(getattr(fn, "__name__", handler.handler_name))


# --- errors ------------------------------------------------------------------------------------
def _problem(status: int, code: str, detail: str) -> Response[Any]:
    document = Problem(status, code, detail).document()
    content = {k: getattr(document, k) for k in ("type", "title", "status", "detail", "code")}
    headers = {"Retry-After": "1"} if status == 503 else None
    return Response(content, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _problem_response(_: Request[Any, Any, State], exc: Problem) -> Response[Any]:
    return _problem(exc.status, exc.code, exc.detail)


def _validation_response(_: Request[Any, Any, State], exc: ValidationException) -> Response[Any]:
    extra = exc.extra if isinstance(exc.extra, list) else []
    where = "; ".join(
        f"{e.get('key', '?')}: {e.get('message', '')}" for e in extra if isinstance(e, dict)
    )
    return _problem(400, "invalid-request", where or exc.detail)


def _http_response(_: Request[Any, Any, State], exc: HTTPException) -> Response[Any]:
    code = {404: "not-found", 405: "method-not-allowed", 413: "body-too-large"}.get(
        exc.status_code, "invalid-request"
    )
    return _problem(exc.status_code, code, exc.detail)


def _crash_response(request: Request[Any, Any, State], exc: Exception) -> Response[Any]:
    LOG.exception("internal error on %s %s", request.method, request.url.path)
    return _problem(500, "internal-error", "an internal error; nothing was changed")


# --- request logging (never bodies, headers or query strings: PINs and keys stay out) ------------
def _access_log(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        started, status = time.perf_counter(), 0

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await app(scope, receive, sending)
        finally:
            state = scope.get("state") or {}
            LOG.info(
                "%s %s %d %.1fms key=%s",
                scope.get("method", "?"),
                scope.get("path", "?"),
                status,
                (time.perf_counter() - started) * 1000,
                state.get("seatledger_caller", "-"),
            )

    return middleware


MEDIA_JSON: Final = MediaType.JSON
