"""PIN hashing parameters and lockout, as documented in decision 0007 and docs/reliability.md."""

from __future__ import annotations

import base64
from pathlib import Path

from reliability_support import Cli

from seatledger.adapters.pin_hasher import ScryptPinHasher

PIN = "482913"


def test_a_pin_hash_is_salted_scrypt_n_2_15_r_8_p_1_with_16_byte_salt():
    hasher = ScryptPinHasher()
    first, second = hasher.hash(PIN), hasher.hash(PIN)
    scheme, log2_n, r, p, salt, key = first.split("$")
    assert (scheme, log2_n, r, p) == ("scrypt", "15", "8", "1")
    assert len(base64.b64decode(salt)) == 16
    assert len(base64.b64decode(key)) == 32
    assert first != second  # a fresh salt every time
    assert PIN not in first
    assert hasher.verify(PIN, first)
    assert hasher.verify(PIN, second)
    assert not hasher.verify("482914", first)
    assert not hasher.verify(PIN, "garbage")


def test_five_wrong_pins_lock_the_admin_and_the_pin_never_reaches_the_database(tmp_path: Path):
    db = tmp_path / "ledger.db"
    cli = Cli(db)
    for org in ("north", "south"):
        cli.ok("org", "add", org, "--name", org, today="2025-09-01")
    cli.ok("admin", "add", "south", "sam", today="2025-09-01", pin=PIN)
    cli.ok("seat", "activate", "p-1", "--org", "north", today="2025-09-01")
    request = cli.json("transfer", "request", "p-1", "--to", "south", today="2025-09-02")
    approve = ("transfer", "approve", request["request"], "--admin", "sam")
    for left in (4, 3, 2, 1):
        outcome = cli(*approve, today="2025-09-03", json_=True, pin="111111")
        assert outcome.code == 1
        assert outcome.error()["code"] == "wrong-pin"
        assert f"{left} attempt(s) left" in outcome.error()["message"]
    fifth = cli(*approve, today="2025-09-03", json_=True, pin="111111")
    assert fifth.error()["code"] in ("wrong-pin", "admin-locked")
    # Locked: even the right PIN is refused now, and the seat did not move.
    locked = cli(*approve, today="2025-09-03", json_=True, pin=PIN)
    assert locked.code == 1
    assert locked.error()["code"] == "admin-locked"
    [admin] = cli.json("admin", "list", "south")["admins"]
    assert admin["locked"] is True
    assert "scrypt" not in str(admin)
    assert cli.json("seats", "north", "--on", "2025-09-03")["seats"][0]["seat"] == "p-1"
    for path in tmp_path.iterdir():
        if path.name.startswith("ledger.db"):
            assert PIN.encode() not in path.read_bytes(), path.name
