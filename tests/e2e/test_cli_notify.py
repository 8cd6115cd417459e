"""Notifications from the command line: contacts, the outbox, delivery and reminders."""

from __future__ import annotations

import base64
import json

import pytest
from cli_driver import Cli
from local_servers import LOOPBACK, EphemeralController, Receiver, Recorder
from standardwebhooks import Webhook

SECRET = "north-webhook-secret-0123456789"


@pytest.fixture
def clinics(cli: Cli) -> Cli:
    cli.ok("org", "add", "north", "--name", "North Clinic", today="2025-10-01")
    cli.ok("org", "add", "south", "--name", "South Clinic", today="2025-10-01")
    cli.ok("seat", "activate", "p-17", "--org", "north", today="2025-10-01")
    return cli


def test_a_contact_takes_addresses_and_a_webhook_whose_secret_is_never_shown(
    clinics: Cli,
) -> None:
    clinics.env["SEATLEDGER_WEBHOOK_SECRET"] = SECRET
    shown = clinics.json(
        "org", "contact", "north", "--email", "billing@north.example",
        "--webhook-url", "https://north.example/hook", "--webhook-secret", today="2025-10-01",
    )  # fmt: skip
    assert shown == {
        "org": "north",
        "emails": ["billing@north.example"],
        "webhook_url": "https://north.example/hook",
        "webhook_secret": "set",
    }
    outcome = clinics("org", "contact", "north", today="2025-10-01")
    assert SECRET not in outcome.out + outcome.err
    assert "secret set, never shown" in outcome.out


def test_a_webhook_without_a_secret_is_refused(clinics: Cli) -> None:
    clinics.refused(
        "invalid-text", "org", "contact", "north", "--webhook-url", "https://n.example/h",
        today="2025-10-01",
    )  # fmt: skip


def test_a_transfer_request_waits_in_the_outbox_until_delivered_by_email_and_webhook(
    clinics: Cli, smtp_server: tuple[EphemeralController, Recorder], webhook_receiver: Receiver
) -> None:
    controller, recorder = smtp_server
    clinics.ok("org", "contact", "south", "--email", "billing@south.example", today="2025-10-01")
    clinics.env["SEATLEDGER_WEBHOOK_SECRET"] = SECRET
    # The local receiver is plain http on loopback: the documented opt-in (decision 0039).
    clinics.env["SEATLEDGER_ALLOW_WEBHOOK_HOSTS"] = "127.0.0.1"
    clinics.ok(
        "org", "contact", "south", "--webhook-url", webhook_receiver.url, "--webhook-secret",
        today="2025-10-01",
    )  # fmt: skip
    request = clinics.ok("transfer", "request", "p-17", "--to", "south", today="2025-10-02")
    request_id = request.splitlines()[0].strip()
    pending = clinics.json("notify", "list", "--status", "pending", today="2025-10-02")
    assert [m["id"] for m in pending["messages"]] == [f"transfer-requested:{request_id}"]
    clinics.env.update(
        {"SEATLEDGER_SMTP_HOST": LOOPBACK, "SEATLEDGER_SMTP_PORT": str(controller.port),
         "SEATLEDGER_SMTP_FROM": "billing@vendor.example"}
    )  # fmt: skip
    report = clinics.json("notify", "deliver", today="2025-10-02")
    assert (report["attempted"], report["delivered"]) == (1, 1)
    assert report["messages"][0]["channels"] == ["email", "log", "webhook"]
    [mail] = recorder.received()
    assert mail["X-Seatledger-Message-Id"] == f"transfer-requested:{request_id}"
    assert "awaits your approval" in mail.get_content()
    [(_, headers, body)] = webhook_receiver.requests
    assert json.loads(body)["data"]["id"] == f"transfer-requested:{request_id}"
    assert headers["webhook-signature"].startswith("v1,")
    again = clinics.json("notify", "deliver", today="2025-10-02")
    assert again["attempted"] == 0


def test_reminders_on_the_first_of_the_month_are_sent_once_however_often_remind_runs(
    clinics: Cli,
) -> None:
    first = clinics.json("remind", today="2025-11-01")
    assert [m["id"] for m in first["due"]] == ["review-seats:north:2025-11-01"]
    assert first["new"] == 1
    assert first["delivery"]["delivered"] == 1
    second = clinics.json("remind", today="2025-11-01")
    assert second["new"] == 0
    assert second["delivery"]["attempted"] == 0


def test_a_pending_request_is_reminded_three_days_before_the_month_end(clinics: Cli) -> None:
    clinics.ok("transfer", "request", "p-17", "--to", "south", today="2025-10-20")
    quiet = clinics.json("remind", "--no-deliver", today="2025-10-27")
    assert quiet["due"] == []
    due = clinics.json("remind", "--no-deliver", today="2025-10-28")
    assert [(m["kind"], m["org"]) for m in due["due"]] == [("pending-transfers", "north")]


def test_a_bad_days_before_is_refused(clinics: Cli) -> None:
    clinics.refused("invalid-text", "remind", "--days-before", "40", today="2025-10-28")


def test_every_notify_command_explains_itself_with_an_example(cli: Cli) -> None:
    for args in (("notify", "--help"), ("notify", "deliver", "--help"),
                 ("notify", "list", "--help"), ("remind", "--help"),
                 ("org", "contact", "--help")):  # fmt: skip
        assert "Example:" in cli.ok(*args)


def test_a_rotation_prints_the_new_secret_once_and_signs_with_both_until_it_ends(
    clinics: Cli, webhook_receiver: Receiver
) -> None:
    old = "whsec_" + base64.b64encode(b"an old secret of 24 bytes").decode()
    clinics.env["SEATLEDGER_WEBHOOK_SECRET"] = old
    clinics.env["SEATLEDGER_ALLOW_WEBHOOK_HOSTS"] = "127.0.0.1"  # the loopback opt-in (0039)
    clinics.ok("org", "contact", "south", "--webhook-url", webhook_receiver.url,
               "--webhook-secret", today="2025-10-01")  # fmt: skip
    del clinics.env["SEATLEDGER_WEBHOOK_SECRET"]
    rotated = clinics.json("org", "contact", "south", "--rotate-secret", today="2025-10-01")
    new = rotated["new_webhook_secret"]
    assert new.startswith("whsec_")
    assert rotated["previous_webhook_secret"] == "set"
    shown = clinics("org", "contact", "south", today="2025-10-01")
    assert new not in shown.out + shown.err
    assert old not in shown.out + shown.err
    clinics.ok("transfer", "request", "p-17", "--to", "south", today="2025-10-02")
    assert clinics.json("notify", "deliver", today="2025-10-02")["delivered"] == 1
    [(_, headers, body)] = webhook_receiver.requests
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        assert Webhook(secret).verify(body, headers)["type"] == "transfer-requested"
    ended = clinics.json("org", "contact", "south", "--end-rotation", today="2025-10-02")
    assert "previous_webhook_secret" not in ended


def test_a_receiver_answering_410_gone_disables_the_webhook_until_it_is_set_again(
    clinics: Cli, webhook_receiver: Receiver
) -> None:
    clinics.env["SEATLEDGER_WEBHOOK_SECRET"] = SECRET
    clinics.env["SEATLEDGER_ALLOW_WEBHOOK_HOSTS"] = "127.0.0.1"  # the loopback opt-in (0039)
    clinics.ok("org", "contact", "south", "--webhook-url", webhook_receiver.url,
               "--webhook-secret", today="2025-10-01")  # fmt: skip
    webhook_receiver.script = [410]
    clinics.ok("transfer", "request", "p-17", "--to", "south", today="2025-10-02")
    report = clinics.json("notify", "deliver", today="2025-10-02")
    assert "410 Gone" in json.dumps(report["messages"])  # the log took it; the webhook did not
    shown = clinics.json("org", "contact", "south", today="2025-10-02")
    assert shown["webhook_disabled_at"].startswith("2025-10-02")
    trail = clinics.json("audit", "--org", "south", today="2025-10-02")["entries"]
    assert any("410 Gone" in e["summary"] for e in trail)
    clinics.ok("transfer", "withdraw", clinics.json("transfer", "list", "--org", "south",
               today="2025-10-02")["requests"][0]["request"], today="2025-10-02")  # fmt: skip
    clinics.ok("transfer", "request", "p-17", "--to", "south", today="2025-10-03")
    # the withdrawal and the new request both reach the log, neither the gone endpoint
    assert clinics.json("notify", "deliver", today="2025-10-03")["attempted"] == 2
    assert len(webhook_receiver.requests) == 1  # nothing more was posted to the gone endpoint
    clinics.ok("org", "contact", "south", "--webhook-url", webhook_receiver.url,
               today="2025-10-03")  # fmt: skip
    assert "webhook_disabled_at" not in clinics.json("org", "contact", "south", today="2025-10-03")
