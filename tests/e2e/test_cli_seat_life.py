"""A billing administrator sets up organisations and lives through a seat's life."""

from __future__ import annotations

from cli_driver import Cli


def test_init_creates_the_schema_then_says_it_is_up_to_date(cli: Cli):
    first = cli.json("init")
    assert first["previous_revision"] is None
    assert first["revision"]
    assert first["changed"] is True
    again = cli.json("init")
    assert again["previous_revision"] == again["revision"] == first["revision"]
    assert again["changed"] is False
    assert "up to date" in cli.ok("init")


def test_the_first_command_on_a_missing_sqlite_file_creates_it_and_says_so(cli: Cli):
    outcome = cli("org", "list")
    assert outcome.code == 0
    assert "created a new database" in outcome.err
    assert cli.db.exists()
    assert "created" not in cli("org", "list").err


def test_xtra_lease_is_added_listed_and_shown_in_json(cli: Cli):
    added = cli.json(
        "org",
        "add",
        "xtra",
        "--name",
        "Xtra Lease",
        "--timezone",
        "America/Chicago",
        "--currency",
        "usd",
        today="2017-08-01",
    )
    assert added == {
        "org": "xtra",
        "name": "Xtra Lease",
        "timezone": "America/Chicago",
        "currency": "USD",
        "billing_relationship": True,
        "timezone_changes": [],
        # Its details as a buyer on invoice documents, none set yet.
        **dict.fromkeys(
            (
                "legal_name",
                "vat_id",
                "address",
                "city",
                "postcode",
                "country",
                "peppol_id",
                "buyer_reference",
                "sepa_mandate",
            ),
        ),
    }
    cli.ok(
        "org",
        "add",
        "guests",
        "--name",
        "Guest school",
        "--no-billing-relationship",
        today="2017-08-01",
    )
    listed = cli.json("org", "list")
    assert [(o["org"], o["billing_relationship"]) for o in listed["organisations"]] == [
        ("guests", False),
        ("xtra", True),
    ]
    cli.ok("seat", "activate", "s-001", "--org", "xtra", today="2017-08-02")
    shown = cli.json("org", "show", "xtra", today="2017-08-03")
    assert shown["name"] == "Xtra Lease"
    assert (shown["today"], shown["active_seats"]) == ("2017-08-03", 1)
    assert "Xtra Lease" in cli.ok("org", "list")


def test_a_seat_is_activated_deactivated_reactivated_completed_and_its_history_tells_all(
    cli: Cli,
):
    cli.ok("org", "add", "xtra", "--name", "Xtra Lease", today="2017-03-01")
    activated = cli.json(
        "seat",
        "activate",
        "s-001",
        "--org",
        "xtra",
        "--holder",
        "Ada Lovelace",
        "--kind",
        "student",
        "--addon",
        "library",
        today="2017-03-01",
    )
    assert activated["kind"] == "activated"
    assert activated["effective_on"] == "2017-03-01"
    assert activated["recorded_at"] == "2017-03-01T00:00:00.000001Z"  # just after the org
    assert activated["actor"] == "lisa"
    assert activated["addons"] == ["library"]

    text = cli.ok("seat", "deactivate", "s-001", today="2017-06-30")
    assert "seat s-001 deactivated on 2017-06-30" in text
    cli.ok("seat", "reactivate", "s-001", "--kind", "regular", today="2017-09-04")
    completed = cli.json(
        "seat",
        "complete",
        "s-001",
        "--on",
        "2017-12-20",
        "--reason",
        "graduated",
        today="2017-12-22",
    )
    assert (completed["kind"], completed["reason"]) == ("completed", "graduated")

    history = cli.json("seat", "history", "s-001")
    assert [(f["seq"], f["kind"], f["effective_on"]) for f in history["facts"]] == [
        (1, "activated", "2017-03-01"),
        (2, "deactivated", "2017-06-30"),
        (3, "reactivated", "2017-09-04"),
        (4, "completed", "2017-12-20"),
    ]
    assert [
        (i["start"], i["end"], i["ended_by"], i["seat_kind"]) for i in history["active_intervals"]
    ] == [
        ("2017-03-01", "2017-06-30", "deactivated", "student"),
        ("2017-09-04", "2017-12-20", "completed", "regular"),
    ]
    assert history["payer_intervals"] == [{"org": "xtra", "start": "2017-03-01", "end": None}]
    table = cli.ok("seat", "history", "s-001")
    assert "graduated" in table
    assert "active intervals" in table


def test_a_backdated_deactivation_without_a_reason_is_refused_and_with_one_accepted(cli: Cli):
    cli.ok("org", "add", "xtra", "--name", "Xtra Lease", today="2017-03-01")
    cli.ok("seat", "activate", "s-001", "--org", "xtra", today="2017-03-01")
    refused = cli("seat", "deactivate", "s-001", "--on", "2017-09-15", today="2017-10-02")
    assert refused.code == 1
    assert "backdated-without-reason" in refused.err
    assert "2017-09-15 lies before today (2017-10-02)" in refused.err
    accepted = cli.json(
        "seat",
        "deactivate",
        "s-001",
        "--on",
        "2017-09-15",
        "--reason",
        "left in September",
        today="2017-10-02",
    )
    assert accepted["effective_on"] == "2017-09-15"
    assert accepted["recorded_at"].startswith("2017-10-02")


def test_a_wrong_date_is_corrected_and_a_mistake_retracted_both_staying_in_history(cli: Cli):
    cli.ok("org", "add", "xtra", "--name", "Xtra Lease", today="2017-03-01")
    cli.ok("seat", "activate", "s-001", "--org", "xtra", today="2017-03-01")
    cli.ok("seat", "deactivate", "s-001", today="2017-09-15")
    corrected = cli.json(
        "seat",
        "correct",
        "s-001",
        "2",
        "--on",
        "2017-08-29",
        "--reason",
        "HR: left in August",
        today="2017-10-02",
    )
    assert (corrected["seq"], corrected["supersedes"]) == (3, 2)
    retracted = cli.json(
        "seat", "retract", "s-001", "3", "--reason", "she never left", today="2017-10-03"
    )
    assert (retracted["kind"], retracted["supersedes"]) == ("retracted", 3)
    history = cli.json("seat", "history", "s-001")
    assert [(f["seq"], f["superseded_by"]) for f in history["facts"]] == [
        (1, None),
        (2, 3),
        (3, 4),
        (4, None),
    ]
    assert history["active_intervals"][0]["end"] is None


def test_the_actor_comes_from_the_global_option_before_the_environment(cli: Cli):
    cli.ok("org", "add", "xtra", "--name", "Xtra Lease", today="2017-03-01")
    fact = cli.json(
        "--actor", "jean", "seat", "activate", "s-1", "--org", "xtra", today="2017-03-01"
    )
    assert fact["actor"] == "jean"


def test_seatledger_today_in_the_environment_moves_the_clock_like_the_option(cli: Cli):
    cli.env["SEATLEDGER_TODAY"] = "2017-03-01"
    cli.ok("org", "add", "xtra", "--name", "Xtra Lease")
    fact = cli.json("seat", "activate", "s-1", "--org", "xtra")
    assert (fact["effective_on"], fact["recorded_at"][:10]) == ("2017-03-01", "2017-03-01")
    later = cli.json("seat", "deactivate", "s-1", today="2017-04-01")
    assert later["effective_on"] == "2017-04-01"
