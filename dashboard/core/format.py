"""Display formats shared by every screen (no Reflex, no database)."""

from __future__ import annotations


def hours_text(hours: float) -> str:
    """A duration in hours as an officer reads it: "25 min", "7 h", "3 d"."""
    if hours < 1:
        return f"{max(int(hours * 60), 0)} min"
    if hours < 48:
        return f"{int(hours)} h"
    return f"{int(hours // 24)} d"
