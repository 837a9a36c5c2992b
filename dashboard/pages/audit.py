"""Audit log (``/audit``, ``Perm.AUDIT_VIEW``: administrators and compliance officers).

- Filters (actor, action or action prefix, record type and id, UTC date range), applied on submit.
- The log newest first, keyset pages of 50 ("Newer" / "Older") from ``audit_query.list_entries``.
- A row opens the whole entry: before/after/details as pretty-printed JSON in a code block (text only).
- A record's timeline (``timeline_for``), also reachable by URL from any screen:
  ``/audit?target_type=transactions&target_id=<uuid>`` (validated by the service).
- The chain's head and size (cheap), and a full "Verify chain" walk on demand, one at a time per server.
- CSV export of the current filters (``Perm.AUDIT_EXPORT``), downloaded by the browser.

Every public handler is guarded; arguments are untrusted. Only a page of display strings is sent to the
browser; the full entries of that page (for the detail view) stay in a backend-only var.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import reflex as rx

from dashboard.ui import screens as routes
from dashboard.ui.components import error_callout, layout, page_header
from dashboard.ui.components.data_table import data_table, labelled, pager
from dashboard.ui.components.page import empty_state
from dashboard.db import run_db
from dashboard.core.permissions import Perm
from dashboard.services import audit as audit_service
from dashboard.services import audit_query
from dashboard.core.errors import DomainError, InvalidInput, NotAuthenticated
from dashboard.ui.auth_state import AuthState, current_actor, guarded

log = logging.getLogger(__name__)

SCREEN = routes.screen_for(routes.AUDIT)
PAGE_SIZE = 50
TIMELINE_LIMIT = 100
FILTER_FIELDS = ("actor", "action", "target_type", "target_id", "date_from", "date_to")
FILTER_LABELS = {
    "actor": "Actor",
    "action": "Action",
    "target_type": "Record type",
    "target_id": "Record id",
    "date_from": "From date",
    "date_to": "To date",
    "date range": "Dates",
}
LIST_COLUMNS = ("seq", "when", "actor", "actor_role", "action", "target", "target_type", "target_id", "description",
                "changes")
LOAD_ERROR = "The audit log could not be read from the database. Try again in a moment."
EXPORT_PERMISSION = Perm.AUDIT_EXPORT.value

# One full-chain verification at a time in this server process: it reads the whole table.
_verify_lock = threading.Lock()


# --- plain helpers --------------------------------------------------------------------------------
def _friendly(message: str) -> str:
    """The service names a bad filter by its key ("date_from: ..."); show the label instead."""
    key, sep, rest = message.partition(": ")
    if sep and key in FILTER_LABELS:
        return f"{FILTER_LABELS[key]}: {rest}"
    return message


def _filters_from_form(form_data: Any) -> dict[str, str]:
    if not isinstance(form_data, Mapping):
        raise InvalidInput("The filters could not be read. Reload the page and try again.")
    out: dict[str, str] = {}
    for name in FILTER_FIELDS:
        value = form_data.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise InvalidInput(f"{FILTER_LABELS[name]}: expected text, got {type(value).__name__}")
        out[name] = value.strip()
    return out  # other keys (Reflex also submits controls by their id) are ignored


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
    return routes.AUDIT + "?" + urlencode({"target_type": target_type, "target_id": target_id})


def _list_row(entry: audit_query.AuditEntry) -> dict[str, str]:
    full = entry.as_dict()
    return {key: str(full[key]) for key in LIST_COLUMNS}


def _detail(entry: audit_query.AuditEntry) -> dict[str, str]:
    full = {key: str(value) for key, value in entry.as_dict().items()}
    for key in ("before", "after", "details"):
        full[key] = _pretty(full[key])
    full["timeline_href"] = _timeline_href(entry.target_type, entry.target_id)
    return full


def _first_page_and_chain(session: Any, *, actor: Any, filters: dict[str, str]) -> tuple[Any, dict[str, Any]]:
    """One transaction for the page load: the newest page and the chain summary."""
    page = audit_query.list_entries(session, actor=actor, filters=filters, limit=PAGE_SIZE)
    return page, audit_query.chain_status(session)


def _chain_view(status: Mapping[str, Any]) -> dict[str, str]:
    return {
        "head_seq": "—" if status.get("head_seq") is None else f"{status['head_seq']:,}",
        "rows": str(status.get("rows_label") or "0"),
        "head_at": str(status.get("head_at") or "—"),
        "head_hash": (str(status.get("head_hash") or "")[:16] + "…") if status.get("head_hash") else "—",
    }


# --- state ----------------------------------------------------------------------------------------
class AuditState(AuthState):
    # the list (one page, display strings)
    entries: list[dict[str, str]] = []
    loading: bool = False
    error: str = ""
    has_newer: bool = False
    has_older: bool = False
    page_number: int = 1
    _next_cursor: int | None = None
    _prev_cursor: int | None = None
    _full: dict[str, dict[str, str]] = {}  # seq -> every field, for the detail view (backend only)

    # filters: what the form shows, and what the list was read with
    filters: dict[str, str] = {name: "" for name in FILTER_FIELDS}
    filter_error: str = ""
    filters_key: int = 0  # changes when the server resets the form, so its inputs show the new values
    active_filters: int = 0

    # the entry dialog
    detail: dict[str, str] = {}
    detail_open: bool = False

    # a record's timeline (from the URL)
    timeline: list[dict[str, str]] = []
    timeline_type: str = ""
    timeline_id: str = ""
    timeline_error: str = ""
    timeline_loading: bool = False
    timeline_label: str = ""

    # chain
    chain: dict[str, str] = {}
    verifying: bool = False
    verify_ok: str = ""  # "yes", "no" or "" (not run)
    verify_message: str = ""

    exporting: bool = False

    # --- reads ----------------------------------------------------------------------------------
    def _show_page(self, page: audit_query.AuditPage) -> None:
        self.entries = [_list_row(e) for e in page.entries]
        self._full = {str(e.seq): _detail(e) for e in page.entries} | {
            k: v for k, v in self._full.items() if k in self._timeline_seqs()
        }
        self._next_cursor = page.next_cursor
        self._prev_cursor = page.prev_cursor
        self.has_older = page.has_more and page.next_cursor is not None
        self.has_newer = page.prev_cursor is not None
        if not self.has_newer:
            self.page_number = 1

    @rx.var
    def page_label(self) -> str:
        n = len(self.entries)
        if n == 0:
            return "No entries match" if self.active_filters else ""
        return (
            f"Page {self.page_number:,} · {n} entr{'y' if n == 1 else 'ies'}, newest first"
            + (" (filtered)" if self.active_filters else "")
        )

    def _timeline_seqs(self) -> set[str]:
        return {row["seq"] for row in self.timeline}

    def _fail(self) -> None:
        self.entries = []
        self.error = LOAD_ERROR
        self.has_newer = self.has_older = False

    async def _read(self, *, after_seq: int | None = None, before_seq: int | None = None) -> bool:
        try:
            page = await run_db(
                audit_query.list_entries,
                actor=current_actor(),
                filters=dict(self.filters),
                after_seq=after_seq,
                before_seq=before_seq,
                limit=PAGE_SIZE,
            )
        except DomainError as exc:
            self.filter_error = _friendly(str(exc))
            if isinstance(exc, NotAuthenticated):
                raise
            return False
        except Exception:
            log.exception("audit: reading the log failed")
            self._fail()
            return False
        finally:
            self.loading = False
        self.error = ""
        self._show_page(page)
        return True

    async def _load_timeline(self, target_type: Any, target_id: Any) -> None:
        self.timeline_type = target_type if isinstance(target_type, str) else ""
        self.timeline_id = target_id if isinstance(target_id, str) else ""
        self.timeline_label = " ".join(p for p in (self.timeline_type, self.timeline_id) if p)[:140]
        try:
            rows = await run_db(
                audit_query.timeline_for,
                actor=current_actor(),
                target_type=target_type,
                target_id=target_id,
                limit=TIMELINE_LIMIT,
            )
        except NotAuthenticated:
            raise
        except DomainError as exc:
            self.timeline = []
            self.timeline_error = _friendly(str(exc))
            return
        except Exception:
            log.exception("audit: reading a timeline failed")
            self.timeline = []
            self.timeline_error = LOAD_ERROR
            return
        finally:
            self.timeline_loading = False
        self.timeline_error = ""
        self.timeline = [_list_row(e) for e in rows]
        self._full = {**self._full, **{str(e.seq): _detail(e) for e in rows}}

    @guarded(Perm.AUDIT_VIEW, opens_page=True)
    async def load_audit(self):
        """Page load: the newest page with the current filters, the chain summary, and the timeline
        of ``?target_type=...&target_id=...`` when the URL names a record."""
        params = self.router.url.query_parameters
        wanted_type, wanted_id = params.get("target_type", ""), params.get("target_id", "")
        self.detail_open = False
        self.detail = {}
        self.loading = True
        self.page_number = 1
        self.timeline = []
        self.timeline_error = ""
        self.timeline_type = self.timeline_id = self.timeline_label = ""
        self.timeline_loading = bool(wanted_type or wanted_id)
        yield
        if self.timeline_loading:
            await self._load_timeline(wanted_type, wanted_id)
        try:
            page, status = await run_db(_first_page_and_chain, actor=current_actor(), filters=dict(self.filters))
        except NotAuthenticated:
            raise
        except DomainError as exc:  # filters kept from an earlier visit no longer pass: start afresh
            self.filter_error = _friendly(str(exc))
            self.loading = False
            return
        except Exception:
            log.exception("audit: loading the page failed")
            self.loading = False
            self._fail()
            return
        self.loading = False
        self.error = ""
        self._show_page(page)
        self.chain = _chain_view(status)

    @guarded(Perm.AUDIT_VIEW)
    async def apply_filters(self, form_data: Any = None):
        """The filter form (fields ``FILTER_FIELDS``). Validated by the service before anything is read;
        a bad filter is named and the list stays as it was."""
        try:
            wanted = _filters_from_form(form_data)
            audit_query.parse_filters(wanted)
        except InvalidInput as exc:
            self.filter_error = _friendly(str(exc))
            return
        previous = dict(self.filters)
        self.filters = wanted
        self.active_filters = sum(1 for v in wanted.values() if v)
        self.filter_error = ""
        self.page_number = 1
        self.loading = True
        yield
        if not await self._read():
            self.filters = previous
            self.active_filters = sum(1 for v in previous.values() if v)

    @guarded(Perm.AUDIT_VIEW)
    async def clear_filters(self):
        self.filters = {name: "" for name in FILTER_FIELDS}
        self.active_filters = 0
        self.filter_error = ""
        self.filters_key += 1
        self.page_number = 1
        self.loading = True
        yield
        await self._read()

    @guarded(Perm.AUDIT_VIEW)
    async def older_page(self):
        if self._next_cursor is None:
            return
        self.loading = True
        yield
        cursor = self._next_cursor
        self.page_number += 1
        if not await self._read(after_seq=cursor):
            self.page_number -= 1

    @guarded(Perm.AUDIT_VIEW)
    async def newer_page(self):
        if self._prev_cursor is None:
            return
        self.loading = True
        yield
        cursor = self._prev_cursor
        self.page_number = max(1, self.page_number - 1)
        await self._read(before_seq=cursor)

    @guarded(Perm.AUDIT_VIEW)
    async def newest_page(self):
        self.loading = True
        self.page_number = 1
        yield
        await self._read()

    @guarded(Perm.AUDIT_VIEW)
    async def open_entry(self, seq: Any = None):
        """Show one entry of the page or of the timeline (by its ``seq``, as text)."""
        key = str(seq) if isinstance(seq, (str, int)) and not isinstance(seq, bool) else ""
        entry = self._full.get(key.strip()) if key and len(key) <= 20 else None
        if entry is None:
            yield rx.toast.error("This entry is not on the page any more. Refresh the list and try again.")
            return
        self.detail = dict(entry)
        self.detail_open = True

    @guarded(Perm.AUDIT_VIEW)
    async def set_detail_open(self, value: Any = False):
        """The entry dialog's ``on_open_change``: only closes."""
        if value is False:
            self.detail_open = False

    @guarded(Perm.AUDIT_VIEW)
    async def verify_chain(self):
        """Walk the whole chain (slow on a big log: one at a time per server, in a worker thread)."""
        if not _verify_lock.acquire(blocking=False):
            self.verify_ok = ""
            self.verify_message = "A verification is already running on this server. Try again when it has finished."
            yield rx.toast.warning(self.verify_message)
            return
        try:
            self.verifying = True
            self.verify_ok = ""
            self.verify_message = "Verifying every entry of the chain…"
            yield
            started = datetime.now(UTC)
            try:
                result = await run_db(audit_service.verify_chain)
                status = await run_db(audit_query.chain_status)
            except Exception:
                log.exception("audit: verifying the chain failed")
                self.verify_ok = ""
                self.verify_message = "The verification could not run (database error). Try again in a moment."
                yield rx.toast.error(self.verify_message)
                return
            self.chain = _chain_view(status)
            when = started.strftime("%Y-%m-%d %H:%M:%S UTC")
            if result.ok:
                self.verify_ok = "yes"
                self.verify_message = (
                    f"Chain intact: {result.rows_checked:,} entries checked in {result.elapsed:.2f} s "
                    f"(started {when})."
                )
                yield rx.toast.success("The audit chain is intact.")
            else:
                self.verify_ok = "no"
                self.verify_message = (
                    f"Chain BROKEN at seq {result.bad_seq} (id {result.bad_id}): the first {result.kind_label} "
                    f"entry. {result.detail}. {result.rows_checked:,} entries checked (started {when})."
                )
                yield rx.toast.error("The audit chain is broken. See the details on the page.")
        finally:
            self.verifying = False
            _verify_lock.release()

    @guarded(Perm.AUDIT_EXPORT)
    async def export_csv(self):
        """The log with the current filters as a CSV download (the export itself is audited)."""
        self.exporting = True
        yield
        try:
            data = await run_db(audit_query.export_csv, actor=current_actor(), filters=dict(self.filters))
        except NotAuthenticated:
            raise
        except DomainError as exc:
            yield rx.toast.error(_friendly(str(exc)))
            return
        except Exception:
            log.exception("audit: the CSV export failed")
            yield rx.toast.error("The export could not be made (database error). Try again in a moment.")
            return
        finally:
            self.exporting = False
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        yield rx.download(data=data, filename=f"audit-log-{stamp}.csv", mime_type="text/csv")


# --- page -----------------------------------------------------------------------------------------
A = AuditState


def _filter_input(name: str, label: str, placeholder: str, *, type_: str = "text",
                  max_length: int = 64) -> rx.Component:
    control_id = f"audit-filter-{name.replace('_', '-')}"
    return labelled(
        label,
        rx.input(
            name=name,
            default_value=A.filters[name],
            placeholder=placeholder,
            type=type_,
            max_length=max_length,
            width="100%",
            id=control_id,
        ),
        html_for=control_id,
        width="100%",
    )


FILTER_HINT = (
    "Action: an exact action (staff.deactivated) or a prefix ending in “.” (staff.). "
    "Dates are whole UTC days, both included. Press Enter to apply."
)


def _filters_form() -> rx.Component:
    return rx.card(
        rx.form(
            rx.grid(
                _filter_input("actor", "Actor", "email contains…", max_length=255),
                _filter_input("action", "Action", "e.g. staff. or kyc.approved"),
                _filter_input("target_type", "Record type", "e.g. user"),
                _filter_input("target_id", "Record id", "e.g. 3f2a…"),
                _filter_input("date_from", "From (UTC)", "", type_="date", max_length=10),
                _filter_input("date_to", "To (UTC)", "", type_="date", max_length=10),
                rx.hstack(
                    rx.button(rx.icon("filter", size=14), "Apply filters", type="submit", loading=A.loading,
                              custom_attrs={"data-testid": "apply-filters"}),
                    rx.button("Clear", type="button", on_click=A.clear_filters, variant="soft", color_scheme="gray"),
                    rx.cond(
                        A.active_filters > 0,
                        rx.badge(A.active_filters.to_string() + " active", variant="soft", radius="full"),
                    ),
                    spacing="2",
                    align="center",
                    align_self="end",
                    grid_column=rx.breakpoints(initial="auto", lg="span 2"),
                ),
                columns=rx.breakpoints(initial="1", sm="2", lg="4"),
                spacing="3",
                width="100%",
            ),
            rx.text(FILTER_HINT, size="1", color="var(--gray-10)", margin_top="0.6rem"),
            rx.cond(
                A.filter_error != "",
                rx.callout.root(
                    rx.callout.icon(rx.icon("triangle_alert")),
                    rx.callout.text(A.filter_error),
                    color_scheme="red",
                    variant="surface",
                    size="1",
                    role="alert",
                    margin_top="0.6rem",
                    custom_attrs={"data-testid": "filter-error"},
                ),
            ),
            on_submit=A.apply_filters,
            reset_on_submit=False,
            no_validate=True,
            key=A.filters_key.to_string(),
            custom_attrs={"data-testid": "audit-filters", "aria-label": "Audit log filters"},
        ),
        size="2",
        width="100%",
        margin_bottom="1rem",
    )


def _chain_card() -> rx.Component:
    def fact(label: str, value: rx.Var) -> rx.Component:
        return rx.vstack(
            rx.text(label, size="1", color="var(--gray-11)"),
            rx.text(value, size="3", weight="bold", style={"font_variant_numeric": "tabular-nums"}),
            spacing="0",
        )

    return rx.card(
        rx.flex(
            rx.hstack(
                rx.center(
                    rx.icon("link", size=18, color="var(--accent-11)"),
                    width="2.25rem",
                    height="2.25rem",
                    border_radius="var(--radius-3)",
                    background_color="var(--accent-a3)",
                    flex_shrink="0",
                ),
                fact("Entries", A.chain["rows"]),
                fact("Head seq", A.chain["head_seq"]),
                fact("Last entry", A.chain["head_at"]),
                spacing="5",
                align="center",
                wrap="wrap",
            ),
            rx.button(
                rx.icon("shield_check", size=15),
                "Verify chain",
                on_click=A.verify_chain,
                loading=A.verifying,
                variant="soft",
                custom_attrs={"data-testid": "verify-chain"},
            ),
            justify="between",
            align="center",
            gap="3",
            wrap="wrap",
        ),
        rx.cond(
            A.verify_message != "",
            rx.callout.root(
                rx.callout.icon(
                    rx.match(A.verify_ok, ("yes", rx.icon("circle_check")), ("no", rx.icon("octagon_alert")),
                             rx.icon("info"))
                ),
                rx.callout.text(A.verify_message),
                color_scheme=rx.match(A.verify_ok, ("yes", "green"), ("no", "red"), "gray"),
                variant="surface",
                size="1",
                margin_top="0.75rem",
                role=rx.cond(A.verify_ok == "no", "alert", "status"),
                custom_attrs={"data-testid": "verify-result"},
            ),
        ),
        size="2",
        width="100%",
        margin_bottom="1.25rem",
    )


_CLAMP2 = {"display": "-webkit-box", "WebkitLineClamp": "2", "WebkitBoxOrient": "vertical", "overflow": "hidden"}
_ELLIPSIS = {"overflow": "hidden", "text_overflow": "ellipsis", "white_space": "nowrap"}


def _entry_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.button(
                row["when"],
                on_click=A.open_entry(row["seq"]),
                variant="ghost",
                size="1",
                color_scheme="gray",
                white_space="nowrap",
                style={"font_variant_numeric": "tabular-nums"},
                custom_attrs={"aria-label": "Open entry " + row["seq"], "data-testid": "open-entry"},
            ),
        ),
        rx.table.cell(
            rx.vstack(
                rx.text(row["actor"], size="2", max_width="13rem", style=_ELLIPSIS, title=row["actor"]),
                rx.text(row["actor_role"], size="1", color="var(--gray-11)"),
                spacing="0",
            )
        ),
        rx.table.cell(rx.code(row["action"], variant="soft", size="1", white_space="nowrap")),
        rx.table.cell(
            rx.vstack(
                rx.text(row["target_type"], size="1", color="var(--gray-12)"),
                rx.text(row["target_id"], size="1", color="var(--gray-11)", max_width="10rem", style=_ELLIPSIS,
                        title=row["target_id"]),
                spacing="0",
            )
        ),
        rx.table.cell(
            rx.vstack(
                rx.text(row["description"], size="2", style=_CLAMP2, title=row["description"]),
                rx.cond(
                    row["changes"] != "",
                    rx.text(row["changes"], size="1", color="var(--gray-11)", style=_CLAMP2, title=row["changes"]),
                ),
                spacing="0",
            )
        ),
        on_click=A.open_entry(row["seq"]),
        cursor="pointer",
        _hover={"background_color": "var(--gray-a2)"},
        custom_attrs={"data-testid": "audit-row", "data-seq": row["seq"]},
    )


COLUMNS = [("Time (UTC)", "10.5rem"), ("Actor", "14rem"), ("Action", "11rem"), ("Record", "11rem"), "What changed"]


def _timeline_card() -> rx.Component:
    return rx.card(
        rx.flex(
            rx.hstack(
                rx.icon("history", size=18, color="var(--accent-11)"),
                rx.text("Timeline of ", rx.code(A.timeline_label, size="2"), size="3", weight="medium"),
                align="center",
                spacing="2",
            ),
            rx.link(rx.button(rx.icon("x", size=14), "Close timeline", variant="soft", color_scheme="gray", size="1"),
                    href=routes.AUDIT),
            justify="between",
            align="center",
            margin_bottom="0.75rem",
        ),
        rx.cond(
            A.timeline_error != "",
            rx.callout.root(rx.callout.icon(rx.icon("triangle_alert")), rx.callout.text(A.timeline_error),
                            color_scheme="red", variant="surface", size="1", role="alert"),
            rx.cond(
                A.timeline_loading,
                rx.hstack(rx.spinner(size="2"), rx.text("Reading the timeline…", size="2"), align="center"),
                rx.cond(
                    A.timeline.length() == 0,
                    rx.text("No audit entries about this record.", size="2", color="var(--gray-11)"),
                    rx.box(
                        rx.table.root(
                            rx.table.header(rx.table.row(*[
                                rx.table.column_header_cell(h, color="var(--gray-11)") for h in
                                ("Time (UTC)", "Actor", "Action", "What changed")
                            ])),
                            rx.table.body(rx.foreach(A.timeline, _timeline_row)),
                            variant="ghost",
                            size="1",
                            width="100%",
                        ),
                        max_height="22rem",
                        overflow_y="auto",
                    ),
                ),
            ),
        ),
        rx.text(
            "Newest first, at most ", str(TIMELINE_LIMIT), " entries. Link to this view from any screen: ",
            rx.code("/audit?target_type=…&target_id=…", size="1"),
            size="1",
            color="var(--gray-10)",
            margin_top="0.5rem",
        ),
        size="2",
        width="100%",
        margin_bottom="1.25rem",
        custom_attrs={"data-testid": "timeline"},
    )


def _timeline_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.button(row["when"], on_click=A.open_entry(row["seq"]), variant="ghost", size="1", color_scheme="gray",
                      white_space="nowrap", custom_attrs={"aria-label": "Open entry " + row["seq"]})
        ),
        rx.table.cell(rx.text(row["actor"], size="1")),
        rx.table.cell(rx.code(row["action"], variant="soft", size="1")),
        rx.table.cell(rx.text(rx.cond(row["changes"] != "", row["changes"], row["description"]), size="1")),
        custom_attrs={"data-testid": "timeline-row"},
    )


def _json_block(title: str, key: str) -> rx.Component:
    return rx.cond(
        A.detail[key] != "",
        rx.vstack(
            rx.text(title, size="2", weight="medium"),
            rx.code_block(
                A.detail[key],
                language="json",
                wrap_long_lines=True,
                custom_style={"margin": "0", "font_size": "12px", "max_height": "16rem", "overflow": "auto"},
                width="100%",
            ),
            spacing="1",
            width="100%",
        ),
    )


def _detail_fact(label: str, value: rx.Var) -> rx.Component:
    return rx.data_list.item(
        rx.data_list.label(label, min_width="7rem"),
        rx.data_list.value(rx.text(value, size="2", word_break="break-all")),
    )


def _detail_dialog() -> rx.Component:
    d = A.detail
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.hstack(rx.text("Audit entry"), rx.code(d["action"], size="3"), spacing="2",
                                      align="center")),
            rx.dialog.description(d["description"], size="2", color="var(--gray-11)", margin_bottom="0.75rem"),
            rx.data_list.root(
                _detail_fact("Seq", d["seq"]),
                _detail_fact("Time", d["when_iso"]),
                _detail_fact("Actor", d["actor"] + rx.cond(d["actor_role"] != "", " (" + d["actor_role"] + ")", "")),
                _detail_fact("Record", rx.cond(d["target"] != "", d["target"], "—")),
                _detail_fact("IP address", rx.cond(d["ip_address"] != "", d["ip_address"], "—")),
                _detail_fact("Session", rx.cond(d["session_id"] != "", d["session_id"], "—")),
                _detail_fact("Correlation", d["correlation_id"]),
                _detail_fact("Entry id", d["id"]),
                size="1",
                margin_bottom="1rem",
            ),
            rx.vstack(
                _json_block("Before", "before"),
                _json_block("After", "after"),
                _json_block("Details", "details"),
                spacing="3",
                width="100%",
            ),
            rx.flex(
                rx.cond(
                    d["timeline_href"] != "",
                    rx.link(
                        rx.button(rx.icon("history", size=14), "Timeline of this record", variant="soft"),
                        href=d["timeline_href"],
                        custom_attrs={"data-testid": "timeline-link"},
                    ),
                ),
                rx.dialog.close(rx.button("Close", variant="soft", color_scheme="gray")),
                justify="end",
                gap="3",
                margin_top="1.25rem",
            ),
            max_width="46rem",
            custom_attrs={"data-testid": "entry-dialog"},
        ),
        open=A.detail_open,
        on_open_change=A.set_detail_open,
    )


def _export_button() -> rx.Component:
    return rx.cond(
        A.officer_permissions.contains(EXPORT_PERMISSION),
        rx.button(
            rx.icon("download", size=15),
            "Export CSV",
            on_click=A.export_csv,
            loading=A.exporting,
            variant="soft",
            custom_attrs={"data-testid": "export-csv"},
        ),
    )


def audit_page() -> rx.Component:
    return layout(
        page_header(SCREEN.title, SCREEN.summary, _export_button()),
        rx.cond(A.error != "", error_callout(A.error)),
        _chain_card(),
        rx.cond((A.timeline_label != "") | A.timeline_loading | (A.timeline_error != ""), _timeline_card()),
        _filters_form(),
        data_table(
            COLUMNS,
            A.entries,
            _entry_row,
            loading=A.loading,
            is_empty=A.entries.length() == 0,
            empty=rx.cond(
                A.active_filters > 0,
                empty_state("No entries match", "Change or clear the filters to see more of the log.", "search_x"),
                empty_state("The log is empty", "Back-office actions appear here as they happen.", "scroll_text"),
            ),
            caption="Audit log entries, newest first",
            test_id="audit-table",
        ),
        pager(
            label=A.page_label,
            has_prev=A.has_newer,
            has_next=A.has_older,
            on_prev=A.newer_page,
            on_next=A.older_page,
            loading=A.loading,
            prev_text="Newer",
            next_text="Older",
            extra=rx.cond(
                A.page_number > 1,
                rx.button("Newest", on_click=A.newest_page, variant="soft", color_scheme="gray", size="2"),
            ),
            test_id="audit-pager",
        ),
        _detail_dialog(),
        active=routes.AUDIT,
    )
