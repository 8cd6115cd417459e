"""``seatledger notify`` and ``seatledger remind``: delivering the outbox, and today's reminders."""

from __future__ import annotations

import os
import time
from typing import Any

import click
from returns.result import Failure, Result, Success

from seatledger.domain.dates import iso_instant
from seatledger.domain.errors import InvalidText
from seatledger.domain.outbox import DeliveryStatus, OutboxEntry, RetrySchedule
from seatledger.domain.reminders import ReminderPolicy
from seatledger.domain.services import notify as use_cases
from seatledger.domain.services.notify import DeliveryReport
from seatledger.entrypoints.bootstrap import notifiers
from seatledger.entrypoints.cli.app import App, pass_app
from seatledger.entrypoints.cli.errors import unwrap
from seatledger.entrypoints.cli.output import emit_json, print_table, say


def entry_json(entry: OutboxEntry) -> dict[str, Any]:
    return {
        "id": entry.message.id,
        "kind": entry.message.kind.value,
        "org": entry.message.org,
        "subject": entry.message.subject,
        "status": entry.status.value,
        "attempts": entry.attempts,
        "channels": sorted(ch.value for ch in entry.delivered_channels),
        "next_attempt_at": iso_instant(entry.next_attempt_at),
        "last_error": entry.last_error,
    }


def report_json(report: DeliveryReport) -> dict[str, Any]:
    return {
        "attempted": report.attempted,
        "delivered": report.delivered,
        "waiting": report.waiting,
        "undeliverable": report.undeliverable,
        "messages": [entry_json(e) for e in report.entries],
    }


def _summary(report: DeliveryReport) -> str:
    return (
        f"{report.attempted} message(s) attempted: {report.delivered} delivered, "
        f"{report.waiting} waiting to retry, {report.undeliverable} undeliverable"
    )


def _deliver(app: App, limit: int) -> DeliveryReport:
    channels = unwrap(notifiers(os.environ))
    return unwrap(
        use_cases.deliver(
            app.services(), channels, limit=limit, schedule=RetrySchedule(), actor=app.actor
        )
    )


@click.group()
def notify() -> None:
    """Deliver the outbox of notifications, and look at it.

    Commands that cause a message (transfers, take-overs, invoices, reminders)
    put it in the outbox in the same transaction; `notify deliver` sends what
    is due over the log, e-mail (SEATLEDGER_SMTP_HOST …) and each
    organisation's webhook, at least once.

    \b
    Example:
      seatledger notify deliver
      seatledger notify deliver --loop --interval 30
      seatledger notify list --status pending
    """


@notify.command("deliver")
@click.option("--loop", is_flag=True, help="Keep delivering until interrupted.")
@click.option("--interval", default=30.0, show_default=True, help="Seconds between rounds.")
@click.option(
    "--limit",
    default=100,
    show_default=True,
    type=click.IntRange(1, 1_000_000),
    help="Messages per round at most (1 to 1000000).",
)
@click.option("--rounds", type=int, default=None, help="With --loop: stop after N rounds.")
@pass_app
def deliver(app: App, loop: bool, interval: float, limit: int, rounds: int | None) -> None:
    """Send the messages that are due; retry failed ones on a schedule.

    Each message goes to the log (standard error), to the organisation's
    e-mail addresses when SEATLEDGER_SMTP_HOST is set, and to its webhook
    (signed with HMAC-SHA256) when it has one. Receivers deduplicate on the
    message id: a message may arrive twice, never zero times.

    \b
    Environment:
      SEATLEDGER_SMTP_HOST, SEATLEDGER_SMTP_PORT (25), SEATLEDGER_SMTP_FROM,
      SEATLEDGER_SMTP_STARTTLS=1, SEATLEDGER_SMTP_USER, SEATLEDGER_SMTP_PASSWORD

    \b
    Example:
      SEATLEDGER_SMTP_HOST=mail.example.com seatledger notify deliver
      seatledger notify deliver --loop --interval 30
    """
    done = 0
    while True:
        report = _deliver(app, limit)
        done += 1
        if app.as_json and not loop:
            emit_json(report_json(report))
        elif report.attempted or not loop:
            say(_summary(report))
        if not loop or (rounds is not None and done >= rounds):
            return
        time.sleep(interval)


@notify.command("list")
@click.option(
    "--status",
    type=click.Choice([s.value for s in DeliveryStatus]),
    default=None,
    help="Only messages in this state.",
)
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 1_000_000))
@pass_app
def list_(app: App, status: str | None, limit: int) -> None:
    """The outbox: each message, its state, attempts and last error.

    \b
    Example:
      seatledger notify list --status pending
    """
    wanted = DeliveryStatus(status) if status else None
    entries = use_cases.outbox(app.services(), wanted, limit)
    if app.as_json:
        emit_json({"messages": [entry_json(e) for e in entries]})
        return
    print_table(
        ["message", "org", "status", "attempts", "channels", "last error"],
        [
            [
                e.message.id,
                e.message.org,
                e.status.value,
                e.attempts,
                ",".join(sorted(ch.value for ch in e.delivered_channels)) or "-",
                e.last_error or "-",
            ]
            for e in entries
        ],
    )


@click.command()
@click.option(
    "--days-before",
    default=3,
    show_default=True,
    help="Remind this many days before each reference date (and on it).",
)
@click.option("--no-deliver", is_flag=True, help="Only put the reminders in the outbox.")
@pass_app
def remind(app: App, days_before: int, no_deliver: bool) -> None:
    """Today's reminders, put in the outbox and delivered.

    On the first of the month: review your active seats. DAYS-BEFORE days
    before each reference date, and on it: transfer requests you sent that
    are not yet approved (they will still be billed to you), and contracts
    at or above their licensed count. Before a trial ends: choose a plan.
    Running it again the same day sends nothing twice.

    \b
    Example:
      seatledger remind
      seatledger --today 2025-10-28 remind --days-before 3
    """
    policy = unwrap(_policy(days_before))
    report = unwrap(use_cases.remind(app.services(), policy, actor=app.actor))
    delivered = None if no_deliver else _deliver(app, 1000)
    if app.as_json:
        emit_json(
            {
                "due": [
                    {"id": m.id, "kind": m.kind.value, "org": m.org, "subject": m.subject}
                    for m in report.due
                ],
                "new": report.new,
                "delivery": report_json(delivered) if delivered else None,
            }
        )
        return
    if not report.due:
        say("no reminders are due today")
    for message in report.due:
        say(f"{message.org}: {message.subject} [{message.id}]")
    say(f"{report.new} new in the outbox ({len(report.due) - report.new} already there)")
    if delivered is not None:
        say(_summary(delivered))


def _policy(days_before: int) -> Result[ReminderPolicy, InvalidText]:
    if not 0 <= days_before <= 27:
        return Failure(InvalidText("--days-before", f"{days_before} is not from 0 to 27"))
    return Success(ReminderPolicy(days_before_reference=days_before))
