"""Reusable UI pieces. No data access here: components take values (or Vars) and draw them."""

from dashboard.ui.components.layout import layout
from dashboard.ui.components.page import empty_state, error_callout, page_header
from dashboard.ui.components.stat_card import stat_card

__all__ = ["empty_state", "error_callout", "layout", "page_header", "stat_card"]
