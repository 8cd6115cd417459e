"""seatledger: a seat-billing rules engine."""

__version__ = "0.1.0"
