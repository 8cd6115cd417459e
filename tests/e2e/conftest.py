"""Fixtures of the end-to-end tests; the driver itself is in ``cli_driver``."""

from cli_driver import cli

__all__ = ["cli"]
