"""Add-ons are the catalog's: a name it does not sell is refused, never billed at nothing.

``seat activate``, ``seat reactivate`` and ``seat import`` all check each
add-on against the catalog in use (the shipped one sells ``library``; a
vendor's own ``--catalog`` may sell more). A refusal names the catalog's
add-ons, exits 1 with code ``unknown-addon`` (``import-rejected`` for a file,
by line), and changes nothing: no fact, no audit entry, no idempotency key.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_driver import Cli, write_csv

TODAY = "2025-09-10"
HEADER = "seat,org,activated_on,deactivated_on,kind,holder,addons"


@pytest.fixture
def acme(cli: Cli) -> Cli:
    cli.ok("org", "add", "acme", "--name", "Acme Training", today="2025-09-01")
    cli.ok("contract", "set", "acme", "--plan", "standard", "--cadence", "monthly",
           today="2025-09-01")  # fmt: skip
    cli.ok("seat", "activate", "p-0", "--org", "acme", "--addon", "library", today="2025-09-01")
    return cli


def state(cli: Cli) -> tuple[str, ...]:
    """Everything a refusal must leave as it was."""
    return (
        cli("seats", "acme", "--from", "2025-09-01", "--to", TODAY, json_=True).out,
        cli("seat", "history", "p-0", json_=True).out,
        cli("audit", "--org", "acme", json_=True).out,
    )


def test_a_misspelt_add_on_is_refused_naming_the_catalog_s_add_ons(acme: Cli):
    before = state(acme)
    as_text = acme("seat", "activate", "p-1", "--org", "acme", "--addon", "libary", today=TODAY)
    assert as_text.code == 1, as_text
    assert as_text.out == ""
    assert as_text.err.strip() == (
        "seatledger: refused (unknown-addon): unknown add-on 'libary': the catalog has: library"
    )
    message = acme.refused(
        "unknown-addon", "seat", "activate", "p-1", "--org", "acme", "--addon", "libary",
        today=TODAY,
    )  # fmt: skip
    assert message == "unknown add-on 'libary': the catalog has: library"
    assert state(acme) == before
    assert (
        acme.refused("unknown-seat", "seat", "history", "p-1")
        == "there is no seat 'p-1'; activate it first"
    )


def test_the_catalog_s_own_add_on_is_accepted_and_billed(acme: Cli):
    acme.ok("seat", "activate", "p-1", "--org", "acme", "--addon", "Library", today=TODAY)
    seats = acme.json("seats", "acme", "--on", "2025-09-30", today="2025-10-01")["seats"]
    assert [(s["seat"], s["addons"]) for s in seats] == [("p-0", ["library"]), ("p-1", ["library"])]
    run = acme.json("bill", "run", "--period", "2025-09", today="2025-10-02")
    addon_lines = [line for line in run["invoices"][0]["lines"] if line["kind"] == "addon"]
    assert [(line["quantity"], line["amount"]) for line in addon_lines] == [(2, "8.00")]


def test_a_vendor_catalog_with_two_add_ons_names_both(acme: Cli, tmp_path: Path):
    from seatledger.adapters.catalog import loader

    shipped = (Path(loader.__file__).parent / loader.SHIPPED).read_text(encoding="utf-8")
    own = tmp_path / "own.toml"
    own.write_text(
        shipped + '\n[addons.exam-room]\nname = "Exam room"\nmonthly = "2.00"\nannual = "20.00"\n',
        encoding="utf-8",
    )
    message = acme.refused(
        "unknown-addon", "--catalog", str(own), "seat", "activate", "p-1", "--org", "acme",
        "--addon", "library", "--addon", "exam", today=TODAY,
    )  # fmt: skip
    assert message == "unknown add-on 'exam': the catalog has: exam-room, library"
    acme.ok("--catalog", str(own), "seat", "activate", "p-1", "--org", "acme",
            "--addon", "exam-room", today=TODAY)  # fmt: skip
    # The shipped catalog does not sell exam-room: without --catalog it is refused.
    message = acme.refused(
        "unknown-addon", "seat", "activate", "p-2", "--org", "acme", "--addon", "exam-room",
        today=TODAY,
    )  # fmt: skip
    assert message == "unknown add-on 'exam-room': the catalog has: library"


def test_a_reactivation_with_an_unknown_add_on_is_refused_and_changes_nothing(acme: Cli):
    acme.ok("seat", "deactivate", "p-0", "--on", "2025-09-05", "--reason", "paused", today=TODAY)
    before = state(acme)
    message = acme.refused(
        "unknown-addon", "seat", "reactivate", "p-0", "--addon", "libary", today=TODAY
    )
    assert message == "unknown add-on 'libary': the catalog has: library"
    assert state(acme) == before
    # Without --addon the seat keeps the add-ons it had, so no catalog question arises.
    acme.ok("seat", "reactivate", "p-0", today=TODAY)
    [row] = acme.json("seats", "acme", "--on", TODAY, today=TODAY)["seats"]
    assert row["addons"] == ["library"]


def test_a_refused_keyed_activation_stores_no_key_and_can_be_retried_fixed(acme: Cli):
    acme.refused(
        "unknown-addon", "--idempotency-key", "job-17", "seat", "activate", "p-1", "--org",
        "acme", "--addon", "libary", today=TODAY,
    )  # fmt: skip
    done = acme.json("--idempotency-key", "job-17", "seat", "activate", "p-1", "--org", "acme",
                     "--addon", "library", today=TODAY)  # fmt: skip
    assert done["addons"] == ["library"]


def test_an_import_names_each_line_with_an_unknown_add_on_and_imports_nothing(
    acme: Cli, tmp_path: Path
):
    path = write_csv(
        tmp_path / "seats.csv",
        HEADER,
        [
            "i-1,acme,2025-09-01,,regular,Ann,library",
            "i-2,acme,2025-09-01,,regular,Bob,libary",
            "i-3,acme,2025-09-01,,student,Cas,library;forms",
            "i-4,acme,2025-09-01,,regular,Dee,",
        ],
    )
    before = state(acme)
    outcome = acme("seat", "import", str(path), today=TODAY)
    assert outcome.code == 1, outcome
    assert "refused (import-rejected): seats.csv: 2 problem(s), nothing was imported" in outcome.err
    assert "line 3, column addons: unknown add-on 'libary': the catalog has: library" in outcome.err
    assert "line 4, column addons: unknown add-on 'forms': the catalog has: library" in outcome.err
    assert (
        acme.refused("import-rejected", "seat", "import", str(path), today=TODAY).count(
            "unknown add-on"
        )
        == 2
    )
    assert state(acme) == before
    assert (
        acme.refused("unknown-seat", "seat", "history", "i-1")
        == "there is no seat 'i-1'; activate it first"
    )


def test_an_import_of_the_catalog_s_add_ons_is_written(acme: Cli, tmp_path: Path):
    path = write_csv(
        tmp_path / "seats.csv",
        HEADER,
        ["i-1,acme,2025-09-01,,regular,Ann,Library", "i-2,acme,2025-09-01,,regular,Bob,"],
    )
    assert acme.json("seat", "import", str(path), today=TODAY)["seats"] == 2
    seats = acme.json("seats", "acme", "--on", TODAY, today=TODAY)["seats"]
    assert {s["seat"]: s["addons"] for s in seats} == {
        "i-1": ["library"], "i-2": [], "p-0": ["library"],
    }  # fmt: skip
