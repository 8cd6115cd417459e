"""The embedding API in a closed ledger: operators, the actor of every write, the audit trail."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

import seatledger
from seatledger.domain.authorisation import Action, Role


def test_a_host_closes_the_ledger_and_asks_the_trail(tmp_path: Path) -> None:
    with seatledger.connect(
        str(tmp_path / "seats.db"), today=date(2026, 9, 1), actor="olga"
    ) as ledger:
        assert ledger.operators() == []
        ledger.add_operator("olga")
        assert [o.name for o in ledger.operators()] == ["olga"]
        ledger.add_organisation("acme", "Acme Care")
        ledger.add_admin("acme", "ada", pin="482913")
        with pytest.raises(seatledger.LedgerRefused) as refused:
            ledger.add_admin("acme", "eve", pin="112358", actor="ada")
        assert refused.value.code == "not-authorised"
        as_ada = ledger.with_actor("ada")
        as_ada.activate("learner-17", "acme")
        with pytest.raises(seatledger.LedgerRefused) as refused:
            ledger.with_actor("bob").deactivate("learner-17")
        assert "'bob' may not seat.deactivate for organisation 'acme'" in refused.value.message
        with pytest.raises(seatledger.LedgerRefused):
            as_ada.bill_run("2026-08")
        trail = ledger.audit(org="acme")
        assert [(e.action, e.actor, e.role) for e in trail] == [
            (Action.ORG_ADD, "olga", Role.OPERATOR),
            (Action.ADMIN_ADD, "olga", Role.OPERATOR),
            (Action.SEAT_ACTIVATE, "ada", Role.ADMIN),
        ]
        assert [e.seat for e in ledger.audit(seat="learner-17")] == ["learner-17"]
        assert ledger.audit(org="acme", first="2026-09-02") == []
