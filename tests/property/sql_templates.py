"""SQLite for the differential property tests: a file migrated once, copied for every example.

Migrating a database takes longer than a Hypothesis example should, so each
test module migrates one template file (the ``sqlite_template`` fixture in
this folder's ``conftest.py``) and every example runs on a fresh copy.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine

from seatledger.adapters.sql.engine import make_engine
from seatledger.adapters.sql.migrate import upgrade


def migrated_template(folder: Path) -> Path:
    """A SQLite ledger at the newest revision, its WAL checkpointed into the file."""
    path = folder / "template.db"
    engine = make_engine(str(path))
    upgrade(engine)
    engine.dispose()  # the last connection checkpoints the WAL into the file
    return path


def fresh_copy(template: Path) -> Iterator[Engine]:
    """An engine on a private copy of ``template``, removed afterwards (``for engine in …``)."""
    folder = Path(tempfile.mkdtemp(prefix="seatledger-prop-"))
    target = folder / "ledger.db"
    shutil.copyfile(template, target)
    engine = make_engine(str(target))
    try:
        yield engine
    finally:
        engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)
