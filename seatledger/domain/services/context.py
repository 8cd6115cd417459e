"""What every use case needs: a unit of work and a clock; and where secrets are kept."""

from __future__ import annotations

from collections.abc import Callable

from attrs import frozen

from seatledger.domain.ports import Clock, UnitOfWork
from seatledger.domain.seals import SignatureChecker, Signer


@frozen
class Services:
    """The outside world as the use cases see it; built by the composition root.

    ``signer`` signs the seal of each issued document and ``seal_keys`` checks
    seals (decision 0037): both hold keys the database never sees, and are
    None when none is configured. ``pause`` waits before a PIN or passphrase
    is checked after earlier wrong ones (decision 0038); None waits not at
    all, which only tests of the domain choose: the composition root always
    gives the real one. ``webhook_hosts`` are the internal or plain-http hosts
    a webhook URL may name all the same (decision 0039).
    """

    uow: UnitOfWork
    clock: Clock
    signer: Signer | None = None
    seal_keys: SignatureChecker | None = None
    pause: Callable[[float], None] | None = None
    webhook_hosts: frozenset[str] = frozenset()
