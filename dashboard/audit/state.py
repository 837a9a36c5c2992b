"""The audit log screen's state (``/audit``, ``Perm.AUDIT_VIEW``: administrators and compliance officers).

- The log newest first in keyset pages of 50: the shared list mechanism, where "Older" is the next
  page, "Newer" the previous one and "Newest" the first. The filters (actor, action or action prefix,
  record type and id, UTC date range) stay in the state, not the URL: the URL's ``target_type`` /
  ``target_id`` name a record whose timeline is shown above the log (a link from any screen).
- A row opens the whole entry (the open item): before/after/details as pretty-printed JSON text, kept in
  a backend-only var until then (only a page of display strings is sent to the browser).
- The chain's head and size, its last signed checkpoint (kept outside the database) and whether that
  entry still matches, and a full "Verify chain" walk on demand, one at a time per server.
- CSV export of the current filters (``Perm.AUDIT_EXPORT``): made in a worker process, fetched by the
  browser once from ``/_download/<token>`` (never pushed through the websocket).
- Both long actions are background events in the long-work pool (``core/longwork``): the officer's other
  events, and everyone else's, go on meanwhile.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlencode

import reflex as rx

from dashboard.audit import export, queries, rules
from dashboard.audit.entries import AuditEntry
from dashboard.audit.verify import ChainCheck
from dashboard.core import storage
from dashboard.config import get_settings
from dashboard.core.errors import DomainError, NotFound
from dashboard.core.longwork import run_long
from dashboard.core.listing import Page
from dashboard.core.permissions import Perm
from dashboard.db import run_db
from dashboard.ui import screens
from dashboard.ui.auth_state import SCREEN, AuthState, current_actor, guarded
from dashboard.ui.list_state import ListSpec, ListState

LIST_COLUMNS = ("seq", "when", "actor", "actor_role", "action", "target", "target_type", "target_id", "description",
                "changes")
LOAD_ERROR = "The audit log could not be read from the database. Try again in a moment."
GONE = "This entry is not on the page any more. Refresh the list and try again."
VERIFY_FAILED = "The verification could not run (database error). Try again in a moment."
EXPORT_FAILED = "The export could not be made (database error). Try again in a moment."
VERIFY_BUSY = "A verification is already running on this server. Try again when it has finished."
log = logging.getLogger(__name__)

# One full-chain verification at a time in this server process: it reads the whole table.
_verify_lock = threading.Lock()


def _pretty(compact: str) -> str:
    """Compact JSON from the service as indented text (shown in a code block, never as HTML)."""
    if not compact:
        return ""
    try:
        return json.dumps(json.loads(compact), indent=2, sort_keys=True, ensure_ascii=False)
    except ValueError:
        return compact


def _timeline_href(target_type: str, target_id: str) -> str:
    if not target_type or not target_id:
        return ""
    return screens.AUDIT + "?" + urlencode({"target_type": target_type, "target_id": target_id})


def _list_row(entry: AuditEntry) -> dict[str, str]:
    full = entry.as_dict()
    return {key: str(full[key]) for key in LIST_COLUMNS}


def _details(entries: list[AuditEntry]) -> dict[str, dict[str, str]]:
    """seq -> every field of the entry as text, for the entry dialog."""
    out = {}
    for entry in entries:
        full = {key: str(value) for key, value in entry.as_dict().items()}
        for key in ("before", "after", "details"):
            full[key] = _pretty(full[key])
        full["timeline_href"] = _timeline_href(entry.target_type, entry.target_id)
        out[str(entry.seq)] = full
    return out


CHECKPOINT_STATES = {
    "none": "Until the first is signed (outside the database), only the chain's key protects the newest entries",
    "matches": "Its entry is still in the log, unchanged",
    "broken": "Does NOT match the log",
    "unreadable": "The checkpoint file cannot be trusted",
}


def _chain_view(status: Mapping[str, Any]) -> dict[str, str]:
    cp = status.get("checkpoint") or {"state": "none"}
    return {
        "checkpoint_seq": "—" if cp.get("seq") is None else f"{cp['seq']:,}",
        "checkpoint_at": str(cp.get("at") or "—").replace("T", " ").replace("+00:00", " UTC"),
        "checkpoint_state": cp["state"],
        "checkpoint_note": CHECKPOINT_STATES[cp["state"]] + (f": {cp['detail']}" if cp.get("detail") else ""),
        "head_seq": "—" if status.get("head_seq") is None else f"{status['head_seq']:,}",
        "rows": str(status.get("rows_label") or "0"),
        "head_at": str(status.get("head_at") or "—"),
        "head_hash": (str(status.get("head_hash") or "")[:16] + "…") if status.get("head_hash") else "—",
    }


def _verdict(result: ChainCheck, started: datetime) -> tuple[str, str]:
    """("yes" or "no", the sentence shown under the chain card)."""
    when = started.strftime("%Y-%m-%d %H:%M:%S UTC")
    if result.ok:
        return "yes", (f"Chain intact: {result.rows_checked:,} entries checked in {result.elapsed:.2f} s "
                       f"(started {when}).")
    return "no", (f"Chain BROKEN at seq {result.bad_seq} (id {result.bad_id}): the first {result.kind_label} "
                  f"entry. {result.detail}. {result.rows_checked:,} entries checked (started {when}).")


class AuditState(ListState, AuthState):
    screen: ClassVar[screens.Screen] = screens.AUDIT_SCREEN
    spec: ClassVar[ListSpec] = ListSpec(filter_keys=rules.FILTER_FIELDS, max_filter=rules.MAX_ACTOR,
                                        page_size=rules.PAGE_SIZE, in_url=False)

    _full: dict[str, dict[str, str]] = {}  # seq -> every field, for the entry dialog (backend only)
    detail: dict[str, str] = {}  # the open entry

    # a record's timeline (from the URL)
    timeline: list[dict[str, str]] = []
    timeline_error: str = ""
    timeline_loading: bool = False
    timeline_label: str = ""

    # chain
    chain: dict[str, str] = {}
    verifying: bool = False
    verify_ok: str = ""  # "yes", "no" or "" (not run)
    verify_message: str = ""

    exporting: bool = False

    @rx.var
    def page_label(self) -> str:
        n = len(self.rows)
        if n == 0:
            return "No entries match" if self.active_filters else ""
        return (
            f"Page {self.page_number:,} · {n} entr{'y' if n == 1 else 'ies'}, newest first"
            + (" (filtered)" if self.active_filters else "")
        )

    @rx.var
    def detail_open(self) -> bool:
        return self.open_id != ""

    # --- the list mechanism's hooks -------------------------------------------------------------------
    def _count_filters(self, wanted: dict[str, str]) -> int:
        return rules.count_filters(wanted)

    async def _fetch(self, after: str | None) -> Page:
        page = await run_db(queries.list_entries, actor=current_actor(), filters=dict(self.filters),
                            after_seq=after, limit=rules.PAGE_SIZE)
        cursor = None if page.next_cursor is None else str(page.next_cursor)
        return Page([_list_row(e) for e in page.entries], cursor, {"full": _details(page.entries)})

    def _show_page(self, page: Page) -> None:
        on_timeline = {row["seq"] for row in self.timeline}
        self._full = page.extra["full"] | {k: v for k, v in self._full.items() if k in on_timeline}

    async def _load_item(self, item_id: str) -> None:
        entry = self._full.get(item_id)
        if entry is None:
            raise NotFound(GONE)
        self.detail = dict(entry)

    def _clear_item(self) -> None:
        self.detail = {}

    def _restore_screen_params(self, params: Mapping[str, Any]) -> None:
        """``?target_type=...&target_id=...`` names a record whose timeline is read on load."""
        self.timeline, self.timeline_error, self.timeline_label = [], "", ""
        self.timeline_loading = bool(params.get("target_type", "") or params.get("target_id", ""))

    async def _on_load(self) -> None:
        """The chain summary, and the timeline of ``?target_type=...&target_id=...`` when the URL names a
        record."""
        if self.timeline_loading:
            await self._load_timeline()
        ok, status = await self._run(queries.chain_status, into="error", failure=LOAD_ERROR)
        if ok:
            self.chain = _chain_view(status)

    async def _load_timeline(self) -> None:
        params = self.router.url.query_parameters
        target_type, target_id = params.get("target_type", ""), params.get("target_id", "")
        shown = [p for p in (target_type, target_id) if isinstance(p, str) and p]
        self.timeline_label = " ".join(shown)[:140]
        ok, rows = await self._run(queries.timeline_for, into="timeline_error", failure=LOAD_ERROR,
                                   target_type=target_type, target_id=target_id, limit=rules.TIMELINE_LIMIT)
        self.timeline_loading = False
        if not ok:
            self.timeline_error = rules.friendly(self.timeline_error)
            return
        self.timeline = [_list_row(e) for e in rows]
        self._full = {**self._full, **_details(rows)}

    # --- the screen's own handlers ---------------------------------------------------------------------
    @guarded(SCREEN)
    async def set_detail_open(self, value: Any = False):
        """The entry dialog's ``on_open_change``: only closes."""
        if value is False:
            self._forget_item()

    @guarded(SCREEN, background=True)
    async def verify_chain(self):
        """Walk the whole chain: slow on a big log, so a background event (the tab's other events go on)
        running the walk in the long-work process pool, one at a time per server."""
        if not _verify_lock.acquire(blocking=False):
            async with self:
                self.verify_ok = ""
                self.verify_message = VERIFY_BUSY
            yield rx.toast.warning(VERIFY_BUSY)
            return
        try:
            async with self:
                self.verifying = True
                self.verify_ok = ""
                self.verify_message = "Verifying every entry of the chain…"
            started = datetime.now(UTC)
            try:
                result, status = await run_long(queries.verify_with_status, actor=current_actor(),
                                                checkpoint_dir=get_settings().audit_checkpoint_dir)
            except DomainError:
                raise
            except Exception:
                log.exception("AuditState: verifying the chain failed")
                async with self:
                    self.verify_message = VERIFY_FAILED
                yield rx.toast.error(VERIFY_FAILED)
                return
            async with self:
                self.chain = _chain_view(status)
                self.verify_ok, self.verify_message = _verdict(result, started)
            if result.ok:
                yield rx.toast.success("The audit chain is intact.")
            else:
                yield rx.toast.error("The audit chain is broken. See the details on the page.")
        finally:
            async with self:
                self.verifying = False
            _verify_lock.release()

    @guarded(Perm.AUDIT_EXPORT, background=True)
    async def export_csv(self):
        """The log with the current filters as a CSV file: streamed into a private file in the long-work
        pool (audited there), then fetched once by the browser from ``/_download/<token>``."""
        async with self:
            if self.exporting:
                return
            self.exporting = True
            filters = dict(self.filters)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        try:
            url, _rows = await run_long(export.export_download, actor=current_actor(), filters=filters,
                                        file_name=f"audit-log-{stamp}.csv", base=storage.root())
        except DomainError:
            raise
        except Exception:
            log.exception("AuditState: the export failed")
            raise DomainError(EXPORT_FAILED) from None
        finally:
            async with self:
                self.exporting = False
        yield rx.download(url=url)
