"""A minimal host LMS that keeps its own users table, and two ways to bill from it.

* ``schema.LmsDatabase``: the host's own SQLite schema (clients, learners)
  and the operations its admins perform.
* ``events.LmsEvents``: pattern (a), the host calls seatledger's API from its
  own events (learner activated, learner deactivated).
* ``repository.LmsUnitOfWork``: pattern (b), a read-only implementation of
  seatledger's repository port over the host's tables, so billing questions
  are computed straight from the host's data.

See ``docs/embedding.md``.
"""

from .events import LmsEvents
from .repository import READ_ONLY, LmsLedger, LmsUnitOfWork
from .schema import Learner, LearnerHooks, LmsDatabase, seat_of

__all__ = [
    "READ_ONLY",
    "Learner",
    "LearnerHooks",
    "LmsDatabase",
    "LmsEvents",
    "LmsLedger",
    "LmsUnitOfWork",
    "seat_of",
]
