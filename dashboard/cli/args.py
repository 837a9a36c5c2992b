"""Argument types shared by the commands: every number is checked, bad input exits with status 2."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def bounded_int(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < low or value > high:
            raise argparse.ArgumentTypeError(f"expected a number from {low:,} to {high:,}, got {value:,}")
        return value

    return parse


positive_int = bounded_int(1, 100_000)
seed_value = bounded_int(1, 2**31 - 1)
