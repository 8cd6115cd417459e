"""What every use case needs: a unit of work and a clock."""

from __future__ import annotations

from attrs import frozen

from seatledger.domain.ports import Clock, UnitOfWork


@frozen
class Services:
    """The outside world as the use cases see it; built by the composition root."""

    uow: UnitOfWork
    clock: Clock
