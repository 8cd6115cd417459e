"""Infrastructure failures of a store that an entrypoint reports as a refusal, not a crash."""

from __future__ import annotations


class StoreBusy(RuntimeError):
    """Another process held the database's write lock for too long; nothing was changed."""

    def __init__(self, attempts: int) -> None:
        super().__init__(
            f"the database is busy: another process held its write lock through {attempts} "
            "attempts; nothing was changed, try again"
        )
