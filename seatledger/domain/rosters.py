"""Rosters from a learning-management system, mapped to seats (see docs/rosters.md).

A roster export (OneRoster 1.2 CSV, Canvas SIS) lists enrollments: a user in
a class of a school, with a role, a status and optional begin and end dates.
Billing wants seats: one per user per paying organisation. This module is the
whole mapping, in three pure steps:

1. ``intended_seats``: the rows, read with a ``RosterPolicy`` (which roles are
   billable and as which seat kind, which organisation level pays, whether
   Canvas ``completed``/``inactive`` enrollments still bill), become one
   ``SeatIntent`` per user and paying organisation;
2. ``plan_changes``: the intents, compared with what the ledger holds, become
   seat changes (activate, reactivate, deactivate, complete) and the seats
   left unchanged; in bulk mode a seat of an organisation in the roster's scope
   that the roster no longer lists is deactivated as of the import date;
3. ``threshold_breaches``: which organisations a bulk roster would deactivate
   more than the allowed share of.

Nothing here reads a file or the ledger: the reader is an adapter, the use
case is ``services/rosters.py``.
"""

from __future__ import annotations

import enum
import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from attrs import field, frozen
from returns.result import Failure, Result, Success

from seatledger.domain.errors import InvalidBillableRoles, RosterProblem
from seatledger.domain.identifiers import OrgId, SeatId, valid_id
from seatledger.domain.seat import FactKind, SeatKind

ONE_DAY = timedelta(days=1)
_NO_PAYER = "the row names no organisation (a Canvas roster needs --org: the one that pays)"


class RosterFormat(enum.Enum):
    ONEROSTER = "oneroster"
    CANVAS = "canvas"


class RosterMode(enum.Enum):
    """``bulk``: the file is the whole roster; ``delta``: only the rows that changed."""

    BULK = "bulk"
    DELTA = "delta"


class RowStatus(enum.Enum):
    """An enrollment's status, in one vocabulary for both formats.

    OneRoster ``active`` (or empty, in bulk files) and ``tobedeleted``; Canvas
    ``active``, ``deleted`` (and ``deleted_last_completed``), ``completed``
    and ``inactive``.
    """

    ACTIVE = "active"
    DELETED = "deleted"
    COMPLETED = "completed"
    INACTIVE = "inactive"


# OneRoster dates are calendar dates (``endDate`` the last day, inclusive);
# Canvas dates are instants (``end_date`` the moment the enrollment ends).
RosterDay = date | datetime


@frozen
class RosterOrg:
    sourced_id: str
    name: str
    type: str
    parent: str | None
    file: str
    line: int


@frozen
class RosterUser:
    sourced_id: str
    name: str
    deleted: bool
    file: str
    line: int


@frozen
class RosterEnrollment:
    """One enrollment row; ``org`` is the school (OneRoster ``schoolSourcedId``) or None."""

    file: str
    line: int
    user: str
    org: str | None
    role: str
    status: RowStatus
    begin: RosterDay | None = None
    end: RosterDay | None = None


@frozen
class Roster:
    """A roster as read from its files.

    ``users`` and ``orgs`` are None when their file is absent; ``*_bulk``
    says whether the file present is the whole set (the manifest's ``bulk``).
    ``problems`` are the rows the reader already refused.
    """

    format: RosterFormat
    mode: RosterMode
    enrollments: tuple[RosterEnrollment, ...]
    users: Mapping[str, RosterUser] | None = None
    users_bulk: bool = False
    orgs: Mapping[str, RosterOrg] | None = None
    orgs_bulk: bool = False
    problems: tuple[RosterProblem, ...] = ()
    digest: str = ""


DEFAULT_BILLABLE: Mapping[str, SeatKind] = {"student": SeatKind.STUDENT}


@frozen
class RosterPolicy:
    """How a roster becomes seats, where vendors differ.

    ``billable`` maps each billable role to the seat kind it takes (other
    roles are ignored); ``pay_level`` is the OneRoster org ``type`` that pays
    (the enrollment's school, or the first organisation of that type above
    it); ``org`` is the paying organisation of a Canvas roster;
    ``bill_completed`` and ``bill_inactive`` say whether those enrollments
    still hold a seat; a bulk roster may deactivate at most ``threshold`` per
    cent of an organisation's active seats unless ``force``.
    """

    billable: Mapping[str, SeatKind] = field(factory=lambda: dict(DEFAULT_BILLABLE))
    pay_level: str = "school"
    org: OrgId | None = None
    bill_completed: bool = False
    bill_inactive: bool = True
    threshold: int = 10
    force: bool = False


def parse_billable_roles(text: str) -> Result[dict[str, SeatKind], InvalidBillableRoles]:
    """``student,teacher:regular``: roles, each with an optional seat kind.

    A role named ``student`` takes a student seat unless told otherwise; every
    other role a regular one.
    """
    roles: dict[str, SeatKind] = {}
    for part in text.split(","):
        spec = part.strip()
        if not spec:
            continue
        role, _, kind_text = spec.partition(":")
        role = role.strip()
        if not role:
            return Failure(InvalidBillableRoles(text, f"{spec!r} names no role"))
        if kind_text.strip():
            kind = SeatKind.parse(kind_text)
            if isinstance(kind, Failure):
                return Failure(
                    InvalidBillableRoles(text, f"{kind_text.strip()!r} is not a seat kind")
                )
            roles[role] = kind.unwrap()
        else:
            roles[role] = SeatKind.STUDENT if role.lower() == "student" else SeatKind.REGULAR
    if not roles:
        return Failure(InvalidBillableRoles(text, "it names no role"))
    return Success(roles)


def seat_for(user: str, org: str) -> SeatId:
    """The seat of a user at a paying organisation: ``USER.ORG``, or a digest if that is no id.

    The digest (for long identifiers such as two UUIDs) is stable, so the same
    user and organisation always name the same seat.
    """
    plain = f"{user}.{org}"
    if isinstance(valid_id("seat", plain), Success):
        return SeatId(plain)
    digest = hashlib.sha256(f"{user}\n{org}".encode()).hexdigest()[:40]
    return SeatId(f"roster-{digest}")


class IntentState(enum.Enum):
    OPEN = "open"  # active today, since ``start``
    CLOSED = "closed"  # was active over ``[start, end)``, which ended on or before today
    ENDED = "ended"  # the roster ends it (deleted, completed ...) on ``end``


@frozen
class SeatIntent:
    """What the roster says one seat should be, and the row it was first named on."""

    seat: SeatId
    user: str
    org: OrgId
    holder: str
    kind: SeatKind
    state: IntentState
    start: date
    end: date | None
    ended_by: FactKind
    file: str
    line: int


@frozen
class Intents:
    """The intended seats, the organisations a bulk roster speaks for, and the rows refused."""

    seats: Mapping[SeatId, SeatIntent]
    scope: frozenset[OrgId]
    sources: Mapping[OrgId, RosterOrg | None]
    problems: tuple[RosterProblem, ...]
    ignored: tuple[RosterProblem, ...]


def start_day(day: RosterDay, timezone: str) -> date:
    """The first day an enrollment counts: its begin date, or its begin instant's date."""
    if isinstance(day, datetime):
        return day.astimezone(ZoneInfo(timezone)).date()
    return day


def end_day(day: RosterDay, timezone: str) -> date:
    """The first day an enrollment no longer counts (seatledger's half-open end).

    A OneRoster ``endDate`` is the last day of the enrollment, inclusive, so
    the seat ends the day after. A Canvas ``end_date`` is an instant: the seat
    ends on its day if it is that day's midnight, else the day after.
    """
    if isinstance(day, datetime):
        local = day.astimezone(ZoneInfo(timezone))
        midnight = local.hour == local.minute == local.second == local.microsecond == 0
        return local.date() if midnight else local.date() + ONE_DAY
    return day + ONE_DAY


def _bills(status: RowStatus, policy: RosterPolicy) -> bool:
    if status is RowStatus.ACTIVE:
        return True
    if status is RowStatus.COMPLETED:
        return policy.bill_completed
    if status is RowStatus.INACTIVE:
        return policy.bill_inactive
    return False


def _payer(
    school: str, roster: Roster, level: str, cache: dict[str, str | RosterProblem | None]
) -> str | None:
    """The paying organisation's id for a school, or None (the cache then holds why not)."""
    if school in cache:
        found = cache[school]
        return found if isinstance(found, str) else None
    orgs = roster.orgs
    result: str | None = None
    reason = ""
    if orgs is None:
        if level == "school":
            result = school
        else:
            reason = (
                f"orgs.csv is absent, so the {level} that pays for school {school!r} is unknown"
            )
    else:
        seen: set[str] = set()
        current: str | None = school
        while current is not None:
            if current in seen:
                reason = f"the organisations above {school!r} form a cycle at {current!r}"
                break
            seen.add(current)
            org = orgs.get(current)
            if org is None:
                if current == school and not roster.orgs_bulk and level == "school":
                    result = school
                else:
                    reason = f"organisation {current!r} is not in orgs.csv"
                break
            if org.type == level:
                result = current
                break
            current = org.parent
        else:
            reason = f"no organisation of type {level!r} at or above {school!r}"
    cache[school] = result if result is not None else RosterProblem("", 0, reason)
    return result


def intended_seats(
    roster: Roster,
    policy: RosterPolicy,
    *,
    zone_of: Callable[[OrgId], str],
    today_of: Callable[[OrgId], date],
) -> Intents:
    """One intent per user and paying organisation, or the rows that cannot say one.

    ``zone_of`` and ``today_of`` give a paying organisation's time zone and
    today's date in it (instants become dates there).
    """
    problems: list[RosterProblem] = list(roster.problems)
    ignored: list[RosterProblem] = []
    cache: dict[str, str | RosterProblem | None] = {}
    groups: dict[tuple[str, OrgId], list[RosterEnrollment]] = defaultdict(list)
    for row in roster.enrollments:
        if row.role not in policy.billable:
            ignored.append(RosterProblem(row.file, row.line, f"role {row.role!r} is not billable"))
            continue
        users = roster.users
        if users is not None and roster.users_bulk and row.user not in users:
            problems.append(
                RosterProblem(
                    row.file, row.line, f"user {row.user!r} is not in users.csv (a bulk file)"
                )
            )
            continue
        payer: str | None
        if policy.org is not None:
            payer = policy.org
        elif row.org is None:
            problems.append(RosterProblem(row.file, row.line, _NO_PAYER))
            continue
        else:
            payer = _payer(row.org, roster, policy.pay_level, cache)
            if payer is None:
                why = cache[row.org]
                reason = why.reason if isinstance(why, RosterProblem) else "no paying organisation"
                problems.append(RosterProblem(row.file, row.line, reason))
                continue
        if isinstance(valid_id("organisation", payer), Failure):
            problems.append(
                RosterProblem(
                    row.file, row.line, f"{payer!r} cannot be a seatledger organisation id"
                )
            )
            continue
        org = OrgId(payer)
        zone = zone_of(org)
        if (
            row.begin is not None
            and row.end is not None
            and end_day(row.end, zone) <= start_day(row.begin, zone)
        ):
            problems.append(
                RosterProblem(row.file, row.line, "the enrollment ends before it begins")
            )
            continue
        groups[(row.user, org)].append(row)

    seats: dict[SeatId, SeatIntent] = {}
    named: dict[SeatId, tuple[str, OrgId]] = {}
    for (user, org), rows in groups.items():
        seat = seat_for(user, org)
        first = rows[0]
        if named.setdefault(seat, (user, org)) != (user, org):
            other = named[seat]
            problems.append(
                RosterProblem(
                    first.file,
                    first.line,
                    f"user {user!r} at {org!r} and user {other[0]!r} at {other[1]!r} "
                    f"would share seat {seat!r}",
                )
            )
            continue
        intent = _intent(seat, user, org, rows, roster, policy, zone_of(org), today_of(org))
        if isinstance(intent, RosterProblem):
            ignored.append(intent)
        else:
            seats[seat] = intent

    scope: set[OrgId] = {OrgId(policy.org)} if policy.org is not None else set()
    sources: dict[OrgId, RosterOrg | None] = {}
    if policy.org is None:
        for intent in seats.values():
            scope.add(intent.org)
        if roster.orgs is not None:
            for org_row in roster.orgs.values():
                if org_row.type == policy.pay_level and isinstance(
                    valid_id("organisation", org_row.sourced_id), Success
                ):
                    scope.add(OrgId(org_row.sourced_id))
    for org in scope:
        sources[org] = roster.orgs.get(org) if roster.orgs is not None else None
    return Intents(seats, frozenset(scope), sources, tuple(problems), tuple(ignored))


def _intent(
    seat: SeatId,
    user: str,
    org: OrgId,
    rows: Sequence[RosterEnrollment],
    roster: Roster,
    policy: RosterPolicy,
    zone: str,
    today: date,
) -> SeatIntent | RosterProblem:
    person = roster.users.get(user) if roster.users is not None else None
    gone = person is not None and person.deleted
    name = person.name if person is not None and person.name else ""
    holder = f"{name} ({user})" if name else user
    kinds = {policy.billable[row.role] for row in rows}
    kind = SeatKind.REGULAR if SeatKind.REGULAR in kinds else SeatKind.STUDENT
    first = rows[0]

    def make(state: IntentState, start: date, end: date | None, ended_by: FactKind) -> SeatIntent:
        return SeatIntent(seat, user, org, holder, kind, state, start, end, ended_by, *_at(first))

    live = [r for r in rows if not gone and _bills(r.status, policy)]
    started = [r for r in live if r.begin is None or start_day(r.begin, zone) <= today]
    if started:
        begins = [start_day(r.begin, zone) for r in started if r.begin is not None]
        start = min(begins) if begins else today
        ends = [end_day(r.end, zone) if r.end is not None else None for r in started]
        end = None if any(e is None for e in ends) else max(e for e in ends if e is not None)
        if end is None or end > today:
            return make(IntentState.OPEN, start, None, FactKind.DEACTIVATED)
        return make(IntentState.CLOSED, start, end, FactKind.DEACTIVATED)
    ended = [r for r in rows if gone or not _bills(r.status, policy)]
    if ended:
        last = max(min(end_day(r.end, zone), today) if r.end is not None else today for r in ended)
        completed = all(r.status is RowStatus.COMPLETED for r in ended) and not gone
        kind_of_end = FactKind.COMPLETED if completed else FactKind.DEACTIVATED
        return make(IntentState.ENDED, last, last, kind_of_end)
    begins_on = min(start_day(r.begin, zone) for r in live if r.begin is not None)
    return RosterProblem(
        first.file,
        first.line,
        f"the enrollment begins on {begins_on.isoformat()}, after today ({today.isoformat()})",
    )


def _at(row: RosterEnrollment) -> tuple[str, int]:
    return (row.file, row.line)


# --- against the ledger --------------------------------------------------------------------


@frozen
class LedgerSeat:
    """What the ledger holds of a seat: its latest active interval (None: none left)."""

    seat: SeatId
    start: date | None
    end: date | None
    payer: OrgId | None

    @property
    def is_open(self) -> bool:
        return self.start is not None and self.end is None


class ChangeAction(enum.Enum):
    ACTIVATE = "activate"
    REACTIVATE = "reactivate"
    DEACTIVATE = "deactivate"
    COMPLETE = "complete"


@frozen
class SeatChange:
    """One change a roster makes; ``deactivated_on`` is a new seat's end, if it is past."""

    action: ChangeAction
    seat: SeatId
    org: OrgId
    holder: str
    kind: SeatKind
    on: date
    deactivated_on: date | None
    why: str


@frozen
class SeatUnchanged:
    seat: SeatId
    org: OrgId
    holder: str


@frozen
class RosterPlan:
    changes: tuple[SeatChange, ...]
    unchanged: tuple[SeatUnchanged, ...]
    problems: tuple[RosterProblem, ...]


def plan_changes(
    intents: Mapping[SeatId, SeatIntent],
    ledger: Mapping[SeatId, LedgerSeat],
    *,
    missing: Iterable[tuple[OrgId, SeatId, str]] = (),
    today_of: Callable[[OrgId], date],
    source: str,
) -> RosterPlan:
    """The seat changes that make the ledger say what the intents say.

    ``ledger`` holds every intent's seat that exists; ``missing`` (bulk mode)
    the open seats of the roster's organisations, each with its holder: those
    without an intent are deactivated as of the import date. History is never
    rewritten: an open seat stays open with its own activation date, a
    closed one stays closed.
    """
    changes: list[SeatChange] = []
    unchanged: list[SeatUnchanged] = []
    problems: list[RosterProblem] = []
    for seat, intent in intents.items():
        where = f"{intent.file} line {intent.line}"
        held = ledger.get(seat)
        same = SeatUnchanged(seat, intent.org, intent.holder)
        today = today_of(intent.org)

        def change(
            action: ChangeAction,
            on: date,
            why: str,
            end: date | None = None,
            intent: SeatIntent = intent,
        ) -> None:
            changes.append(
                SeatChange(
                    action, intent.seat, intent.org, intent.holder, intent.kind, on, end, why
                )
            )

        if held is not None and held.start is None:
            problems.append(
                RosterProblem(
                    intent.file,
                    intent.line,
                    f"seat {seat!r} exists but every activation of it was retracted; "
                    "activate it by hand",
                )
            )
            continue
        if intent.state is IntentState.OPEN:
            if held is None:
                change(ChangeAction.ACTIVATE, intent.start, where)
            elif held.is_open:
                unchanged.append(same)
            else:
                assert held.end is not None
                # A begin date before the seat's last end is the old enrollment: the
                # gap was real as far as the ledger knew, so it reopens today.
                on = intent.start if intent.start >= held.end else today
                change(ChangeAction.REACTIVATE, on, where)
        elif intent.state is IntentState.CLOSED:
            assert intent.end is not None
            if held is None:
                change(ChangeAction.ACTIVATE, intent.start, where, intent.end)
            elif held.is_open:
                assert held.start is not None
                change(_closing(intent.ended_by), max(intent.end, held.start), where)
            else:
                unchanged.append(same)
        else:
            assert intent.end is not None
            if held is not None and held.is_open:
                assert held.start is not None
                change(_closing(intent.ended_by), max(intent.end, held.start), where)
            elif held is not None:
                unchanged.append(same)
            # A roster that ends a seat seatledger never had changes nothing.
    for org, seat, holder in missing:
        if seat in intents:
            continue
        changes.append(
            SeatChange(
                ChangeAction.DEACTIVATE,
                seat,
                org,
                holder,
                SeatKind.REGULAR,
                today_of(org),
                None,
                f"missing from the bulk roster {source}",
            )
        )
    return RosterPlan(tuple(changes), tuple(unchanged), tuple(problems))


def _closing(kind: FactKind) -> ChangeAction:
    return ChangeAction.COMPLETE if kind is FactKind.COMPLETED else ChangeAction.DEACTIVATE


@frozen
class ThresholdBreach:
    org: OrgId
    deactivating: int
    seats: int


def threshold_breaches(
    changes: Iterable[SeatChange], open_seats: Mapping[OrgId, int], threshold: int
) -> tuple[ThresholdBreach, ...]:
    """The organisations that would lose more than ``threshold`` % of their active seats."""
    closing: dict[OrgId, int] = defaultdict(int)
    for change in changes:
        if change.action in (ChangeAction.DEACTIVATE, ChangeAction.COMPLETE):
            closing[change.org] += 1
    breaches = [
        ThresholdBreach(org, count, open_seats.get(org, 0))
        for org, count in sorted(closing.items())
        if open_seats.get(org, 0) > 0 and count * 100 > threshold * open_seats[org]
    ]
    return tuple(breaches)


@frozen
class RosterReport:
    """What a roster import did (or, in a dry run, would do)."""

    source: str
    format: RosterFormat
    mode: RosterMode
    dry_run: bool
    activate: tuple[SeatChange, ...]
    deactivate: tuple[SeatChange, ...]
    unchanged: tuple[SeatUnchanged, ...]
    refused: tuple[RosterProblem, ...]
    ignored: tuple[RosterProblem, ...]
    created_organisations: tuple[OrgId, ...] = ()
    threshold: tuple[ThresholdBreach, ...] = ()
    facts: int = 0
