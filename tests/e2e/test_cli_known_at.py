"""Asking "as known at" an instant: a later backdated fact never changes an old answer."""

from __future__ import annotations

from cli_driver import Cli


def seats_on(cli: Cli, on: str, *known_at: str) -> dict[str, str | None]:
    args = ["seats", "xtra", "--on", on]
    if known_at:
        args += ["--as-known-at", known_at[0]]
    return {s["seat"]: s["deactivated_on"] for s in cli.json(*args)["seats"]}


def test_the_report_of_9_1_is_reproduced_exactly_after_a_backdated_deactivation_in_october(
    cli: Cli,
):
    cli.ok("org", "add", "xtra", "--name", "Xtra Lease", today="2017-08-01")
    for seat in ("s-1", "s-2", "s-3"):
        cli.ok("seat", "activate", seat, "--org", "xtra", today="2017-08-01")
    report = cli.json("seats", "xtra", "--on", "2017-09-01", today="2017-09-01")
    assert report["count"] == 3
    cut = report["as_known_at"]
    assert cut == "2017-08-01T00:00:00.000003Z"

    cli.ok(
        "seat",
        "deactivate",
        "s-2",
        "--on",
        "2017-08-29",
        "--reason",
        "HR told us late",
        today="2017-10-02",
    )

    assert seats_on(cli, "2017-09-01") == {"s-1": None, "s-3": None}
    assert seats_on(cli, "2017-09-01", cut) == {"s-1": None, "s-2": None, "s-3": None}
    again = cli.json("seats", "xtra", "--on", "2017-09-01", "--as-known-at", cut)
    # The same answer; only what was asked differs ("now" then, its cut now).
    assert (report["asked_as_known_at"], report["cut"]) == (None, "head")
    assert (again.pop("asked_as_known_at"), again.pop("cut")) == (cut, "asked")
    assert again == {k: v for k, v in report.items() if k not in ("asked_as_known_at", "cut")}
    # An offset is an instant too: 2017-10-02T01:00+02:00 is 23:00 UTC on 1 October.
    assert len(seats_on(cli, "2017-09-01", "2017-10-02T01:00:00+02:00")) == 3
    assert len(seats_on(cli, "2017-09-01", "2017-10-02T12:00:00Z")) == 2


def test_a_corrected_leaving_date_shows_the_old_date_as_known_before_the_correction(cli: Cli):
    cli.ok("org", "add", "xtra", "--name", "Xtra Lease", today="2017-08-01")
    cli.ok("seat", "activate", "s-1", "--org", "xtra", today="2017-08-01")
    fact = cli("seat", "deactivate", "s-1", today="2017-09-20", json_=True).json()
    cli.ok(
        "seat",
        "correct",
        "s-1",
        str(fact["seq"]),
        "--on",
        "2017-08-30",
        "--reason",
        "the form had the wrong date",
        today="2017-10-05",
    )

    assert seats_on(cli, "2017-09-01", "2017-10-01T00:00:00Z") == {"s-1": "2017-09-20"}
    assert seats_on(cli, "2017-09-01") == {}
    assert seats_on(cli, "2017-08-29") == {"s-1": "2017-08-30"}
    history = cli.json("seat", "history", "s-1")
    assert [(f["kind"], f["effective_on"], f["superseded_by"]) for f in history["facts"]] == [
        ("activated", "2017-08-01", None),
        ("deactivated", "2017-09-20", 3),
        ("deactivated", "2017-08-30", None),
    ]


def test_an_answer_asked_before_anything_was_recorded_is_empty(cli: Cli):
    cli.ok("org", "add", "xtra", "--name", "Xtra Lease", today="2017-08-01")
    cli.ok("seat", "activate", "s-1", "--org", "xtra", today="2017-08-01")
    answer = cli.json(
        "seats", "xtra", "--on", "2017-08-01", "--as-known-at", "2017-07-01T00:00:00Z"
    )
    assert (answer["count"], answer["as_known_at"]) == (0, "2017-07-01T00:00:00.000000Z")


def test_an_instant_after_the_last_fact_is_answered_as_known_at_that_fact_and_says_so(
    cli: Cli,
):
    cli.ok("org", "add", "xtra", "--name", "Xtra Lease", today="2025-09-01")
    for seat in ("s-1", "s-2"):
        cli.ok("seat", "activate", seat, "--org", "xtra", today="2025-09-01")
    future = "2030-01-01T00:00:00Z"
    answer = cli.json("seats", "xtra", "--on", "2025-09-30", "--as-known-at", future,
                      today="2025-09-30")  # fmt: skip
    head = "2025-09-01T00:00:00.000002Z"
    shown = "2030-01-01T00:00:00.000000Z"
    assert (answer["as_known_at"], answer["asked_as_known_at"], answer["cut"]) == (
        head, shown, "head",
    )  # fmt: skip
    assert [s["seat"] for s in answer["seats"]] == ["s-1", "s-2"]
    text = cli.ok("seats", "xtra", "--on", "2025-09-30", "--as-known-at", future,
                  today="2025-09-30")  # fmt: skip
    assert text.splitlines()[0] == (
        f"xtra: 2 seats billable on 2025-09-30 as known at {head} (the last recorded "
        f"instant: {shown} lies after it, so the answer stands for the ledger as it is now)"
    )
    ranged = cli.json("seats", "xtra", "--from", "2025-09-01", "--to", "2025-09-30",
                      "--as-known-at", future, today="2025-09-30")  # fmt: skip
    assert (ranged["as_known_at"], ranged["cut"]) == (head, "head")

    # A backdated deactivation is then recorded on 30 September, long before the future
    # instant: that instant now answers otherwise, but the first answer's own cut still
    # gives exactly its rows (INV-2).
    cli.ok("seat", "deactivate", "s-2", "--on", "2025-09-15", "--reason", "left",
           today="2025-09-30")  # fmt: skip
    moved = cli.json("seats", "xtra", "--on", "2025-09-30", "--as-known-at", future,
                     today="2025-10-05")  # fmt: skip
    assert [s["seat"] for s in moved["seats"]] == ["s-1"]
    assert moved["as_known_at"] > head
    again = cli.json("seats", "xtra", "--on", "2025-09-30", "--as-known-at", head,
                     today="2025-10-05")  # fmt: skip
    assert (again["as_known_at"], again["cut"]) == (head, "asked")
    assert again["seats"] == answer["seats"]
    assert "lies after it" not in cli.ok(
        "seats", "xtra", "--on", "2025-09-30", "--as-known-at", head, today="2025-10-05"
    )
