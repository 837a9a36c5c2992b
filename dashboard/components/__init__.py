"""Reusable UI pieces. No data access here: components take values (or Vars) and draw them."""

from .layout import layout
from .page import empty_state, error_callout, page_header
from .stat_card import stat_card

__all__ = ["empty_state", "error_callout", "layout", "page_header", "stat_card"]
