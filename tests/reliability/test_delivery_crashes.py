"""Crashes during delivery: SIGKILL ``notify deliver`` mid-SMTP and mid-HTTP; nothing is lost.

The companion of ``test_crashes.py`` (which kills delivery on the log
channel only) for the two channels that leave the machine: e-mail, through a
real local SMTP server (``smtp_server``), and signed webhooks, through a real
local HTTP receiver (``webhook_receiver``).

A template ledger is built once per test: ``ORGS`` organisations, each with
one seat, a contact (an e-mail address, or a webhook URL and secret) and an
issued September invoice, so the outbox holds one ``invoice-issued`` message
per organisation. Each round copies it, starts ``seatledger --today
2025-10-01 notify deliver`` as a real process and SIGKILLs it, either after a
random delay spread over the command's measured duration (as in
``test_crashes.py``: start-up, claim, sending, exit), or just after the
server received a random number of this round's messages (so the kill lands
between sending a message and recording it, the window at-least-once is
about). Then it checks:

* ``PRAGMA integrity_check`` is ``ok``, the ledger head is the last fact,
  every invoice verifies;
* no outbox message was lost or invented, each is pending or delivered, all
  delivered if the process exited 0;
* every message recorded as delivered really reached the server, exactly
  once (it is never sent again);
* the next day's ``notify deliver`` (after the killed run's lease has run
  out) exits 0, attempts exactly the pending messages and delivers them all,
  over the channel (``email``/``webhook``) as well as the log;
* every message id reached the server at least once; a message is received
  twice at most, and only the one in flight when the process died (the
  deliverer sends one message at a time, recording each before the next);
* each e-mail goes to its organisation's address and names its message id in
  ``X-Seatledger-Message-Id`` and ``Message-ID``; each webhook is a complete
  request whose Standard Webhooks signature verifies with the organisation's
  secret and whose ``webhook-id`` is the id in its body.

Each round is told apart at the server: e-mail by its envelope sender
(``SEATLEDGER_SMTP_FROM``), webhooks by their URL path (set on the copy with
``org contact``), so a late arrival from an earlier round cannot stand in for
a lost message.

``SEATLEDGER_CRASH_RUNS`` sets the kills per test (default 6 here) and
``SEATLEDGER_CRASH_SEED`` the seed, as in ``test_crashes.py``::

    SEATLEDGER_CRASH_RUNS=200 pytest tests/reliability/test_delivery_crashes.py
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import json
import os
import random
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Mapping
from email.message import EmailMessage
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from local_servers import LOOPBACK, EphemeralController, Receiver, Recorder
from reliability_support import (
    Cli,
    billable_orgs,
    check_database,
    cli_argv,
    copy_db,
    process_env,
)

from seatledger.adapters.notify.signature import verify_signature
from seatledger.adapters.notify.smtp import message_id_header

RUNS = int(os.environ.get("SEATLEDGER_CRASH_RUNS", "6"))
SEED = int(os.environ.get("SEATLEDGER_CRASH_SEED", "20251123"))
ORGS = 20
SECRET = "delivery-crash-webhook-secret-0123"
DELIVER = cli_argv(["--json", "--today", "2025-10-01", "notify", "deliver"])
# The next day: any lease the killed run took (five minutes) has run out by then.
FINISH = cli_argv(["--json", "--today", "2025-10-02", "notify", "deliver"])
POLL = 0.001  # seconds between looks at a running process and the server
LIMIT = 120.0  # seconds any one CLI process may take before the test gives up on it


# --- the ledger -------------------------------------------------------------------------------


def address(org: str) -> str:
    return f"billing@{org}.example"


def build_ledger(base: Path, contact: Callable[[Cli, str], None]) -> Path:
    """ORGS organisations, each with a contact and an issued September invoice, undelivered."""
    db = base / "template.db"
    cli = Cli(db)
    orgs = [f"d{i:02d}" for i in range(ORGS)]
    billable_orgs(cli, orgs, seats_each=1, tmp=base)
    for org in orgs:
        contact(cli, org)
    issued = cli.json("bill", "run", "--period", "2025-09", today="2025-10-01")
    assert len(issued["invoices"]) == ORGS, issued
    return db


def remove_db(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def outbox(db: Path) -> dict[str, tuple[str, str, frozenset[str]]]:
    """Each message id: its organisation, status and the channels that took it (read in SQL)."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        rows = conn.execute(
            "SELECT message_id, org_id, status, delivered_channels FROM outbox"
        ).fetchall()
    return {row[0]: (row[1], row[2], frozenset(c for c in row[3].split(",") if c)) for row in rows}


def statuses(db: Path) -> dict[str, str]:
    return {message: status for message, (_, status, _) in outbox(db).items()}


# --- processes --------------------------------------------------------------------------------


def timed(
    argv: list[str], env: Mapping[str, str]
) -> tuple[subprocess.CompletedProcess[str], float]:
    start = time.monotonic()
    done = subprocess.run(
        argv, capture_output=True, text=True, env=dict(env), timeout=LIMIT, check=False
    )
    return done, time.monotonic() - start


def kill_when(
    argv: list[str], env: Mapping[str, str], *, delay: float, ready: Callable[[], bool]
) -> int | None:
    """Start ``argv``; SIGKILL it once ``delay`` seconds passed or ``ready()`` holds.

    The exit code, or None if it was killed (it may have committed just
    before: the checks accept either).
    """
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(env)
    )
    deadline = time.monotonic() + delay
    while process.poll() is None and time.monotonic() < deadline and not ready():
        time.sleep(POLL)
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=LIMIT)
        return None
    _, err = process.communicate(timeout=LIMIT)
    assert "Traceback" not in err, err
    return process.returncode


def startup(db: Path) -> float:
    """How long the CLI takes to start and open the database, before any real work."""
    _, took = timed(cli_argv(["--json", "org", "list"]), process_env(db))
    return took


class Plan:
    """When each round's kill comes: a timer, or the n-th message reaching the server.

    Every third round (the first included) is killed by a timer spread over
    the command's duration (a few kills land in the start-up); the others
    just after the server received a random number of the round's messages
    (plus up to 2 ms), which puts the kill in the middle of the sending.
    """

    def __init__(self, seed: int, duration: float, start: float) -> None:
        self.rng = random.Random(seed)
        self.duration, self.start = duration, start

    def kill(self, round_: int) -> tuple[float, int | None]:
        """``(seconds, None)``: a timer; ``(seconds, n)``: that long after the n-th arrival."""
        if round_ % 3 == 0:
            low = 0.05 if self.rng.random() < 0.1 else self.start * 0.8
            return self.rng.uniform(low, max(self.duration * 1.05, low + 0.01)), None
        return self.rng.uniform(0.0, 0.002), self.rng.randint(1, ORGS // 2)


def kill_round(
    plan: Plan, round_: int, env: Mapping[str, str], received: Callable[[], int]
) -> tuple[int | None, str]:
    """Run DELIVER and kill it as ``plan`` says; (exit code or None, how it was killed)."""
    delay, after = plan.kill(round_)
    if after is None:
        return kill_when(DELIVER, env, delay=delay, ready=lambda: False), f"after {delay:.3f} s"
    reached: list[float] = []

    def ready() -> bool:
        if not reached and received() >= after:
            reached.append(time.monotonic())
        return bool(reached) and time.monotonic() - reached[0] >= delay

    code = kill_when(DELIVER, env, delay=LIMIT, ready=ready)
    return code, f"{delay * 1000:.1f} ms after message {after} arrived"


# --- the checks shared by both channels ---------------------------------------------------------


class Tally:
    """What the rounds saw, for the closing report and the check that kills hit the sending."""

    def __init__(self) -> None:
        self.rounds: list[str] = []
        self.partly_delivered = 0
        self.duplicates = 0

    def report(self, channel: str) -> str:
        return (
            f"{channel}: {len(self.rounds)} kills, {self.partly_delivered} left the outbox "
            f"partly delivered, {self.duplicates} message(s) received twice in all"
        )


def check_after_kill(
    db: Path, waiting: Mapping[str, str], code: int | None, arrived: Counter[str], how: str
) -> dict[str, str]:
    """The outbox right after the kill: nothing lost, invented or recorded but never sent."""
    check_database(db)
    after = statuses(db)
    assert after.keys() == waiting.keys(), f"a message was lost or invented ({how})"
    assert set(after.values()) <= {"pending", "delivered"}, (how, after)
    if code == 0:
        assert set(after.values()) == {"delivered"}, (how, after)
    # Recorded as delivered only after the server said yes: so the server has it.
    never_sent = {m for m, status in after.items() if status == "delivered" and not arrived[m]}
    assert not never_sent, f"recorded as delivered but never received ({how}): {never_sent}"
    return after


def check_finished(
    db: Path,
    env: Mapping[str, str],
    channel: str,
    after_kill: Mapping[str, str],
    arrived: Callable[[], Counter[str]],
    how: str,
    tally: Tally,
) -> None:
    """Run FINISH; every message delivered (channel and log), each received once or twice."""
    pending = {m for m, status in after_kill.items() if status == "pending"}
    done, _ = timed(FINISH, env)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert {m["id"] for m in report["messages"]} == pending, (how, report)
    assert (report["attempted"], report["delivered"]) == (len(pending), len(pending)), report
    final = outbox(db)
    assert final.keys() == after_kill.keys()
    everywhere = ("delivered", frozenset({"log", channel}))
    not_done = {m: (s, ch) for m, (_, s, ch) in final.items() if (s, ch) != everywhere}
    assert not not_done, f"not delivered over {channel} and the log ({how}): {not_done}"
    received = arrived()
    assert set(received) <= set(final), f"received a message the outbox never had ({how})"
    lost = set(final) - set(received)
    assert not lost, f"{len(lost)} message(s) never reached the server ({how}): {sorted(lost)}"
    twice = {m: n for m, n in received.items() if n > 1}
    resent = {m: n for m, n in twice.items() if after_kill[m] == "delivered"}
    assert not resent, f"recorded as delivered, then sent again ({how}): {resent}"
    # At least once, not "many times": only the message in flight at the kill
    # (sent, not yet recorded) goes out twice.
    assert max(received.values()) <= 2, (how, twice)
    assert len(twice) <= 1, f"{len(twice)} messages received twice ({how}): {twice}"
    tally.duplicates += len(twice)
    tally.partly_delivered += 0 < len(pending) < len(after_kill)
    tally.rounds.append(f"{how}: {len(pending)} pending, {len(twice)} received twice")


# --- e-mail -----------------------------------------------------------------------------------


def accepted(recorder: Recorder, sender: str) -> int:
    """How many e-mails from ``sender`` the server accepted (cheap: looked at while polling)."""
    return sum(1 for envelope in list(recorder.envelopes) if envelope.mail_from == sender)


def mails_from(recorder: Recorder, sender: str) -> list[tuple[list[str], EmailMessage]]:
    """The e-mails the server accepted from ``sender``: (recipients, parsed message)."""
    found = []
    for envelope in list(recorder.envelopes):
        if envelope.mail_from != sender:
            continue
        mail = email.message_from_bytes(
            envelope.original_content or b"", policy=email.policy.default
        )
        assert isinstance(mail, EmailMessage)
        found.append((list(envelope.rcpt_tos), mail))
    return found


def mailed_ids(
    recorder: Recorder, sender: str, orgs: Mapping[str, str] | None = None
) -> Counter[str]:
    """How often each message id arrived by e-mail from ``sender``; with ``orgs``, checks each."""
    counted: Counter[str] = Counter()
    for recipients, mail in mails_from(recorder, sender):
        message_id = str(mail["X-Seatledger-Message-Id"])
        counted[message_id] += 1
        if orgs is not None:
            org = orgs.get(message_id)
            assert org is not None, f"an e-mail for a message the outbox never had: {message_id}"
            assert recipients == [address(org)], (message_id, recipients)
            assert str(mail["X-Seatledger-Org"]) == org
            domain = sender.rsplit("@", 1)[1]
            assert str(mail["Message-ID"]) == message_id_header(message_id, domain), mail
    return counted


def test_a_killed_smtp_delivery_loses_no_message_and_finishes_when_run_again(
    smtp_server: tuple[EphemeralController, Recorder], tmp_path: Path
) -> None:
    """At least once over SMTP: whatever the kill interrupted reaches the server on the next run."""
    controller, recorder = smtp_server

    def contact(cli: Cli, org: str) -> None:
        cli.ok("org", "contact", org, "--email", address(org), today="2025-09-01")

    template = build_ledger(tmp_path, contact)
    waiting = statuses(template)
    assert len(waiting) == ORGS
    assert set(waiting.values()) == {"pending"}
    orgs = {message: org for message, (org, _, _) in outbox(template).items()}

    def env_for(db: Path, sender: str) -> dict[str, str]:
        return process_env(
            db,
            {"SEATLEDGER_SMTP_HOST": LOOPBACK, "SEATLEDGER_SMTP_PORT": str(controller.port),
             "SEATLEDGER_SMTP_FROM": sender},
        )  # fmt: skip

    # Uninterrupted, every message goes out once, over e-mail and the log.
    calibrate = copy_db(template, tmp_path / "calibrate.db")
    full, duration = timed(DELIVER, env_for(calibrate, "calibrate@vendor.example"))
    assert full.returncode == 0, full.stderr
    assert mailed_ids(recorder, "calibrate@vendor.example", orgs) == Counter(waiting.keys())
    assert {ch for _, _, ch in outbox(calibrate).values()} == {frozenset({"log", "email"})}
    plan = Plan(SEED + 11, duration, startup(template))
    tally = Tally()
    for round_ in range(RUNS):
        db = copy_db(template, tmp_path / f"r{round_}.db")
        sender = f"round-{round_}@vendor.example"
        env = env_for(db, sender)
        code, how = kill_round(plan, round_, env, partial(accepted, recorder, sender))
        how = f"round {round_}, killed {how}"
        after = check_after_kill(db, waiting, code, mailed_ids(recorder, sender), how)
        check_finished(db, env, "email", after,
                       partial(mailed_ids, recorder, sender, orgs), how, tally)  # fmt: skip
        remove_db(db)
    print(tally.report("e-mail"), *tally.rounds, sep="\n  ")
    # A harness whose kills never hit the sending would prove nothing.
    assert tally.partly_delivered or RUNS < 2, tally.report("e-mail")


# --- webhooks ---------------------------------------------------------------------------------


def posted(receiver: Receiver, path: str) -> int:
    """How many requests reached ``path`` (cheap: looked at while polling)."""
    with receiver.lock:
        return sum(1 for got, _, _ in receiver.requests if got == path)


def posts_to(receiver: Receiver, path: str) -> list[tuple[dict[str, str], bytes]]:
    """The requests the receiver got on ``path``: (headers with lower-case names, body)."""
    with receiver.lock:
        requests = list(receiver.requests)
    return [
        ({k.lower(): v for k, v in headers.items()}, body)
        for got, headers, body in requests
        if got == path
    ]


def complete(headers: Mapping[str, str], body: bytes) -> bool:
    """The whole body arrived (a request cut off by the kill is not a delivery)."""
    return len(body) == int(headers.get("content-length", "-1"))


def posted_ids(
    receiver: Receiver, path: str, orgs: Mapping[str, str] | None = None
) -> Counter[str]:
    """How often each message id was POSTed whole to ``path``; with ``orgs``, checks each."""
    counted: Counter[str] = Counter()
    for headers, body in posts_to(receiver, path):
        if not complete(headers, body):
            continue
        message: dict[str, Any] = json.loads(body)["data"]
        counted[message["id"]] += 1
        if orgs is not None:
            assert orgs.get(message["id"]) == message["org"], message["id"]
            assert headers.get("webhook-id") == message["id"], headers
            assert headers.get("content-type") == "application/json", headers
            signature = headers.get("webhook-signature")
            assert signature is not None, headers
            assert signature.startswith("v1,"), signature
            assert verify_signature(
                SECRET, message["id"], headers.get("webhook-timestamp", ""), body, signature,
                now=time.time(),
            ), f"the signature of {message['id']} does not verify"  # fmt: skip
    return counted


def test_a_killed_webhook_delivery_loses_no_message_and_finishes_when_run_again(
    webhook_receiver: Receiver, tmp_path: Path
) -> None:
    """At least once over webhooks: whatever the kill interrupted is POSTed on the next run."""
    receiver = webhook_receiver
    base_path = urlsplit(receiver.url).path

    def contact(cli: Cli, org: str) -> None:
        cli.env["SEATLEDGER_WEBHOOK_SECRET"] = SECRET
        # The local receiver is plain http on loopback: the documented opt-in (decision 0039).
        cli.env["SEATLEDGER_ALLOW_WEBHOOK_HOSTS"] = "127.0.0.1"
        cli.ok("org", "contact", org, "--webhook-url", f"{receiver.url}/template",
               "--webhook-secret", today="2025-09-01")  # fmt: skip

    template = build_ledger(tmp_path, contact)
    waiting = statuses(template)
    assert len(waiting) == ORGS
    assert set(waiting.values()) == {"pending"}
    orgs = {message: org for message, (org, _, _) in outbox(template).items()}

    def aim(db: Path, name: str) -> str:
        """Point every organisation's webhook of ``db`` at its own path; the path."""
        cli = Cli(db)  # no secret in its environment: the one set stays
        cli.env["SEATLEDGER_ALLOW_WEBHOOK_HOSTS"] = "127.0.0.1"  # the opt-in, as above
        for org in sorted(set(orgs.values())):
            cli.ok("org", "contact", org, "--webhook-url", f"{receiver.url}/{name}",
                   today="2025-10-01")  # fmt: skip
        return f"{base_path}/{name}"

    # Uninterrupted, every message goes out once, over the webhook and the log.
    calibrate = copy_db(template, tmp_path / "calibrate.db")
    path = aim(calibrate, "calibrate")
    full, duration = timed(DELIVER, process_env(calibrate))
    assert full.returncode == 0, full.stderr
    assert posted_ids(receiver, path, orgs) == Counter(waiting.keys())
    assert {ch for _, _, ch in outbox(calibrate).values()} == {frozenset({"log", "webhook"})}
    plan = Plan(SEED + 12, duration, startup(template))
    tally = Tally()
    cut_off = 0
    for round_ in range(RUNS):
        db = copy_db(template, tmp_path / f"r{round_}.db")
        path = aim(db, f"round-{round_}")
        env = process_env(db)
        code, how = kill_round(plan, round_, env, partial(posted, receiver, path))
        how = f"round {round_}, killed {how}"
        after = check_after_kill(db, waiting, code, posted_ids(receiver, path), how)
        check_finished(db, env, "webhook", after,
                       partial(posted_ids, receiver, path, orgs), how, tally)  # fmt: skip
        cut_off += sum(1 for h, b in posts_to(receiver, path) if not complete(h, b))
        remove_db(db)
    print(tally.report("webhook"), f"{cut_off} request(s) cut off", *tally.rounds, sep="\n  ")
    assert tally.partly_delivered or RUNS < 2, tally.report("webhook")
