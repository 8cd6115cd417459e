"""Run many seatledger commands in one process, acknowledging each on stdout as it succeeds.

Usage: python crash_driver.py COMMANDS.json (a JSON list of argv lists). The
crash harness SIGKILLs this process at a random moment: every command it saw
acknowledged ("ACK n", flushed after the command returned 0) must survive.
The commands go through the console script's own ``run``, exactly like
``python -m seatledger.entrypoints.cli.main ARGS``, minus Python's start-up
per command.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from seatledger.entrypoints.cli.main import run


def main() -> None:
    commands = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    for number, argv in enumerate(commands):
        code = run(argv)
        if code != 0:
            print(f"FAIL {number} {code}", flush=True)
            sys.exit(code)
        print(f"ACK {number}", file=sys.__stdout__, flush=True)


if __name__ == "__main__":
    main()
