"""Pattern (a): the host calls seatledger's API from its own events.

seatledger keeps the full history (the host's table is overwritten in
place), so the dispute question "who was active on the 1st of last month,
with both dates" is answered from the ledger even after the host's rows
changed.
"""

from __future__ import annotations

import seatledger

from .schema import Learner, seat_of

EVENT_REASON = "reported by the LMS"


class LmsEvents:
    """The host's event handlers, each one call of the embedding API.

    ``actor`` is the host's acting user, recorded on the fact. Events may
    arrive late (a queue), so each carries its effective date and a reason,
    which seatledger requires for a backdated fact.
    """

    def __init__(self, ledger: seatledger.Ledger) -> None:
        self.ledger = ledger

    def on_client_added(self, client_id: str, name: str, timezone: str) -> None:
        self.ledger.add_organisation(client_id, name, timezone=timezone)

    def on_learner_activated(self, learner: Learner, *, actor: str) -> None:
        self.ledger.activate(
            seat_of(learner.id),
            learner.client_id,
            on=learner.activated_on,
            kind="student" if learner.is_student else "regular",
            holder=learner.name,
            reason=EVENT_REASON,
            actor=actor,
        )

    def on_learner_deactivated(self, learner: Learner, *, actor: str) -> None:
        if learner.deactivated_on is None:
            raise ValueError(f"learner {learner.id} has no deactivation date")
        self.ledger.deactivate(
            seat_of(learner.id), on=learner.deactivated_on, reason=EVENT_REASON, actor=actor
        )
