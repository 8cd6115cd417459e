"""The official Peppol BIS Billing 3.0 rules, run on exported documents by the tests.

``../shared/validators/peppol/validate-peppol`` (beside the repository, as CI lays it
out) checks the OASIS UBL 2.1 schema, the CEN EN 16931 rules and the OpenPEPPOL BIS 3.0
rules; it needs ``saxonche`` and ``lxml`` (in the test extras).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VALIDATOR = ROOT.parent / "shared" / "validators" / "peppol" / "validate-peppol"


def validate(paths: list[Path]) -> str:
    """Run the validator on the files in one call; its report. Every file must pass."""
    if not VALIDATOR.exists():
        pytest.fail(f"the Peppol validator is not beside the repository: {VALIDATOR}")
    done = subprocess.run(
        [sys.executable, str(VALIDATOR), *map(str, paths)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count(": valid\n") == len(paths), done.stdout
    return done.stdout
