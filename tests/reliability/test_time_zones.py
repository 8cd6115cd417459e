"""Time: seats are counted on the organisation's own calendar date, and billed once it has closed.

Three organisations in the zones the issue names, each counted at month end.
The reference date D is a date in the organisation's zone; the invoice is
issued once D has ended in every time zone (the closing rule: D + 1 at 12:00
UTC). The real clock (a ``FixedClock`` here) is moved to one microsecond
before, and to exactly, that instant: before, the run says "reference date
not reached", although D is long over in Kiritimati; at the close it
issues. Lord Howe is checked just after its half-hour daylight-saving change
(5 October 2025), Juneau just after its fall-back (2 November 2025). The
machine's own ``TZ`` is set to each zone in turn: it must not matter.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from reliability_support import Cli, write_import
from returns.result import Failure, Success

from seatledger.adapters.clock import FixedClock
from seatledger.domain.dates import Period
from seatledger.domain.errors import ReferenceDateNotReached
from seatledger.domain.services import billing, seats, transfers
from seatledger.domain.services.context import Services
from seatledger.entrypoints.bootstrap import Settings, catalog_for, open_services, pin_hasher

ZONES = {"kiri": "Pacific/Kiritimati", "howe": "Australia/Lord_Howe", "juneau": "America/Juneau"}
# (org, period, the instant its month-end reference date has ended everywhere, in UTC)
DUE = [
    ("kiri", Period(2025, 9), datetime(2025, 10, 1, 12, 0, tzinfo=UTC)),  # UTC+14
    ("howe", Period(2025, 10), datetime(2025, 11, 1, 12, 0, tzinfo=UTC)),  # UTC+11 (DST)
    ("juneau", Period(2025, 11), datetime(2025, 12, 1, 12, 0, tzinfo=UTC)),  # UTC-9 (no DST)
]


@pytest.fixture(params=list(ZONES.values()))
def machine_zone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    zone: str = request.param
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    yield zone  # type: ignore[misc]
    monkeypatch.undo()
    time.tzset()


def test_billing_falls_due_when_the_local_reference_date_has_closed_everywhere(
    tmp_path: Path, machine_zone: str
):
    db = tmp_path / "ledger.db"
    cli = Cli(db)
    rows = []
    for org, zone in ZONES.items():
        cli.ok("org", "add", org, "--name", org, "--timezone", zone, today="2025-09-01")
        cli.ok("contract", "set", org, "--plan", "standard", "--cadence", "monthly",
               today="2025-09-01")  # fmt: skip
        rows += [f"{org}-1,{org},2025-09-01,,,a", f"{org}-2,{org},2025-09-01,,,b"]
    cli.ok("seat", "import", str(write_import(tmp_path / "s.csv", rows)), today="2025-09-01")
    # Seat changes on the days the clocks change, and on a reference date itself, each
    # recorded after the previous billing (recorded instants never go backwards).
    changes: dict[str, list[tuple[list[str], str]]] = {
        "howe": [(["seat", "deactivate", "howe-2", "--on", "2025-10-05"], "2025-10-05")],
        "juneau": [
            (["seat", "activate", "juneau-3", "--org", "juneau", "--on", "2025-11-02"],
             "2025-11-02"),
            (["seat", "deactivate", "juneau-2", "--on", "2025-11-30"], "2025-11-30"),
        ],
    }  # fmt: skip
    catalog = catalog_for(Settings()).unwrap()
    opened = open_services(Settings(db_url=f"sqlite:///{db}")).unwrap()
    try:
        for org, period, close in DUE:
            for command, day in changes.get(org, []):
                cli.ok(*command, today=day)
            clock = FixedClock(close - timedelta(microseconds=1))
            # One microsecond before the close, the reference date is over in the
            # organisation's own zone but not yet everywhere.
            assert clock.today(ZONES[org]) > period.last_day
            assert billing.CLOSING.closes_at(period.last_day) == close
            services = Services(uow=opened.services.uow, clock=clock)
            early = billing.bill_run(services, catalog, period, org=org)
            assert isinstance(early, Failure), (org, early)
            assert isinstance(early.failure(), ReferenceDateNotReached)
            clock.set(close)
            on_time = billing.bill_run(services, catalog, period, org=org)
            assert isinstance(on_time, Success), (org, on_time)
            [outcome] = on_time.unwrap().outcomes
            assert outcome.outcome is billing.Outcome.ISSUED
    finally:
        opened.close()
    counted = {
        org: len(
            cli.json("invoice", "evidence", f"INV-{period}-{org}", "--format", "json")["seats"]
        )
        for org, period, _ in DUE
    }
    # howe-2 left on 5 October (before 31 October); juneau-2 leaves on 30 November itself,
    # so it is not counted on that day; juneau-3 joined on the fall-back day.
    assert counted == {"kiri": 2, "howe": 1, "juneau": 2}
    assert cli.json("invoice", "verify", "--all")["failed"] == []


def test_month_ends_in_the_organisations_zone_are_the_calendar_month_ends():
    assert Period(2024, 2).last_day == date(2024, 2, 29)
    assert Period(2025, 2).last_day == date(2025, 2, 28)
    assert Period(2025, 10).last_day == date(2025, 10, 31)


# Across the date line: UTC+14 and UTC-12 are 26 hours apart, so at 11:00 UTC it is already
# the 16th in Kiritimati and still the 14th at UTC-12.
ACROSS = datetime(2025, 10, 15, 11, 0, tzinfo=UTC)
PIN = "582046"


def test_an_approval_across_the_date_line_takes_effect_when_the_seat_opened(tmp_path: Path):
    db = tmp_path / "ledger.db"
    cli = Cli(db)
    cli.ok("org", "add", "kiri", "--name", "Kiri", "--timezone", "Pacific/Kiritimati",
           today="2025-10-01")  # fmt: skip
    cli.ok("org", "add", "west", "--name", "West", "--timezone", "Etc/GMT+12",
           today="2025-10-01")  # fmt: skip
    cli.ok("admin", "add", "west", "ada", today="2025-10-01", pin=PIN)
    opened = open_services(Settings(db_url=f"sqlite:///{db}")).unwrap()
    try:
        clock = FixedClock(ACROSS, step=timedelta(seconds=1))
        services = Services(uow=opened.services.uow, clock=clock)
        assert (clock.today("Pacific/Kiritimati"), clock.today("Etc/GMT+12")) == (
            date(2025, 10, 16), date(2025, 10, 14),
        )  # fmt: skip
        for seat in ("k-1", "k-2"):
            seats.activate(services, seat, "kiri", actor="kim").unwrap()
        request = transfers.request_transfer(services, "k-1", "west", actor="kim").unwrap()
        approved = transfers.approve(
            services, pin_hasher(), request.id, admin="ada", pin=PIN, actor="ada"
        )
        # Before this rule the approval was dated the 14th (West's today) and refused as
        # ownership-before-activation; it now takes effect on the 16th, when the seat opened.
        assert isinstance(approved, Success), approved
        assert approved.unwrap().decided_on == date(2025, 10, 16)
        taken = transfers.take_over(
            services, pin_hasher(), "k-2", "west", admin="ada", pin=PIN, actor="ada"
        )
        assert isinstance(taken, Success), taken
        assert taken.unwrap().effective_on == date(2025, 10, 16)
        # Never on a count date that has closed (decision 0012): the 16th is still open.
        assert billing.CLOSING.closes_at(date(2025, 10, 16)) > clock.now()
    finally:
        opened.close()

    # INV-1: on every day each seat is active, exactly one organisation pays for it.
    for day in ("2025-10-14", "2025-10-15", "2025-10-16", "2025-10-17"):
        billed = {
            org: [s["seat"] for s in cli.json("seats", org, "--on", day)["seats"]]
            for org in ("kiri", "west")
        }
        expected = {"kiri": [], "west": ["k-1", "k-2"] if day >= "2025-10-16" else []}
        assert billed == expected, day
    history = cli.json("seat", "history", "k-1")
    assert [(f["kind"], f["effective_on"]) for f in history["facts"]] == [
        ("activated", "2025-10-16"),
        ("transfer-requested", "2025-10-16"),
        ("transfer-approved", "2025-10-16"),
    ]
    assert [(p["org"], p["start"]) for p in history["payer_intervals"]] == [("west", "2025-10-16")]


def test_an_approval_on_the_same_side_of_the_date_line_is_dated_the_receivers_today(
    tmp_path: Path,
):
    db = tmp_path / "ledger.db"
    cli = Cli(db)
    for org in ("kiri", "kiri2"):
        cli.ok("org", "add", org, "--name", org, "--timezone", "Pacific/Kiritimati",
               today="2025-10-01")  # fmt: skip
    cli.ok("org", "add", "west", "--name", "West", "--timezone", "Etc/GMT+12", today="2025-10-01")
    cli.ok("admin", "add", "west", "ada", today="2025-10-01", pin=PIN)
    cli.ok("seat", "activate", "k-1", "--org", "kiri", today="2025-10-01")
    opened = open_services(Settings(db_url=f"sqlite:///{db}")).unwrap()
    try:
        clock = FixedClock(ACROSS, step=timedelta(seconds=1))
        services = Services(uow=opened.services.uow, clock=clock)
        request = transfers.request_transfer(services, "k-1", "west", actor="kim").unwrap()
        approved = transfers.approve(
            services, pin_hasher(), request.id, admin="ada", pin=PIN, actor="ada"
        ).unwrap()
    finally:
        opened.close()
    # The seat opened long before, so nothing began after West's today: the approval is
    # dated West's own date, the 14th, as every approval always was.
    assert approved.decided_on == date(2025, 10, 14)
    assert [s["seat"] for s in cli.json("seats", "west", "--on", "2025-10-14")["seats"]] == ["k-1"]
    assert cli.json("seats", "kiri", "--on", "2025-10-13")["count"] == 1
