"""Reading a file a user names, bounded: only a regular file, and never more than a limit.

A FIFO would block the open until someone writes to it, and ``/dev/zero``
never ends; both are refused before they are read, and a regular file is
read at most ``limit + 1`` bytes, so a file that is too large is refused
without being held in memory whole.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Final

MIB: Final = 1024 * 1024


class UnreadableFile(ValueError):
    """Why a file was not read: not a regular file, too large, or an OS error."""


def read_bounded(path: Path, limit: int) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``limit`` bytes."""
    try:
        # O_NONBLOCK: a FIFO opened without a writer would otherwise block the open itself.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as error:
        raise UnreadableFile(f"cannot be read: {error.strerror or error}") from None
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(handle.fileno()).st_mode
        if not stat.S_ISREG(mode):
            raise UnreadableFile("is not a regular file (a device, a pipe or a folder)")
        try:
            data = handle.read(limit + 1)
        except OSError as error:
            raise UnreadableFile(f"cannot be read: {error.strerror or error}") from None
    if len(data) > limit:
        raise UnreadableFile(f"is larger than {limit // MIB} MiB")
    return data
