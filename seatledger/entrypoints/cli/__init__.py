"""The ``seatledger`` command line (see docs and CLI.md for the contract)."""
