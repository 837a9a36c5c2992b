"""Argument types shared by the commands: every number is checked, bad input exits with status 2."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from datetime import date


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


def iso_day(text: str) -> date:
    """A day written YYYY-MM-DD (nothing else: no times, no other formats)."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text or ""):
        raise argparse.ArgumentTypeError(f"expected a day as YYYY-MM-DD, got {text[:40]!r}")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a valid day") from None
