"""Fixtures of the property tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from sql_templates import migrated_template


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite ledger, once per test module; examples run on copies (``fresh_copy``)."""
    return migrated_template(tmp_path_factory.mktemp("template"))
