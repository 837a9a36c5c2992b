"""Overview (``/``): the figures of the page. Everything here is an aggregate count: no customer data."""

from __future__ import annotations

from datetime import UTC, datetime

from dashboard.core.permissions import Perm
from dashboard.overview import queries
from dashboard.ui.auth_state import AuthState, guarded

NO_VALUE = "—"
DB_ERROR = (
    "The figures could not be read from the database, so they are unknown. "
    "Try again in a moment; if it keeps failing, the server log says why."
)


class OverviewState(AuthState):
    """Each card is drawn only for officers who may open the screen it links to."""

    loading: bool = True
    error: str = ""
    counts: dict[str, str] = {key: NO_VALUE for key in queries.COUNT_KEYS}
    checked_at: str = ""

    @guarded(Perm.OVERVIEW_VIEW, opens_page=True)
    async def load_overview(self):
        """Read the counts in a worker thread (never on the event loop). Takes no arguments."""
        self.loading = True
        self.error = ""
        yield
        try:
            ok, raw = await self._run(queries.overview_counts, into="error", failure=DB_ERROR)
        finally:
            self.loading = False
        if ok:  # counts as display strings with thousands separators (the browser gets text, not numbers)
            self.counts = {key: f"{int(raw[key]):,}" for key in queries.COUNT_KEYS}
            self.checked_at = datetime.now(UTC).strftime("%H:%M:%S UTC")
        else:
            self.counts = {key: NO_VALUE for key in queries.COUNT_KEYS}
            self.checked_at = ""
