"""KYC review (``/kyc``, issue 4): the queue of open submissions and the case view.

- Queue: open cases oldest first, keyset pages of 50 ("Next" / "Previous" / "First page"), the age of
  each case against the SLA as a badge, counts per status, filters (status, country, document type,
  risk level, assigned to me / unassigned, submitted date range) and a search by name, email or
  document number, applied on submit and validated by the service.
- Case view (``/kyc?case=<id>`` opens one directly): opening claims the case for a compliance officer;
  the applicant, the documents inline from ``/_private/kyc/<id>`` (authorised and audited by
  ``dashboard/private_files.py``), entered vs extracted data with mismatches marked, the compliance
  checks and the timeline; per-document approve/reject; approve (four-eyes for high risk); reject with a
  reason from the taxonomy, a message for the customer and an internal note.

Every public handler is guarded; arguments are untrusted and parsed by ``services.kyc``. Only display
strings go to the browser; the page cursors stay in backend-only vars.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import reflex as rx

from dashboard import keyset

from dashboard.ui import screens as routes
from dashboard.ui.components import error_callout, layout, page_header
from dashboard.ui.components.confirm import confirm_dialog
from dashboard.ui.components.data_table import data_table, filter_bar, labelled, pager, status_badge
from dashboard.ui.components.page import empty_state
from dashboard.db import run_db
from dashboard.models.enums import IdDocumentType, RiskLevel, label
from dashboard.core.permissions import Perm
from dashboard.services import kyc as kyc_service
from dashboard.core.errors import DomainError, InvalidInput, NotAuthenticated
from dashboard.ui.auth_state import AuthState, current_actor, guarded

log = logging.getLogger(__name__)

SCREEN = routes.screen_for(routes.KYC)
PAGE_SIZE = kyc_service.PAGE_SIZE
LOAD_ERROR = "The KYC queue could not be read from the database. Try again in a moment."
CASE_ERROR = "The case could not be read from the database. Try again in a moment."
SAVE_ERROR = "The decision could not be saved (database error). Nothing was changed; try again."
ALL = "all"
REVIEW_PERMISSION = Perm.KYC_REVIEW.value
EMPTY_FILTERS = {k: "" for k in kyc_service.FILTER_KEYS}
SLA_COLOURS = {"overdue": "red", "due_soon": "amber", "on_time": "green"}
RISK_COLOURS = {"Low": "green", "Medium": "amber", "High": "orange", "Critical": "red"}
STATUS_COLOURS = {"Pending": "gray", "Under Review": "blue", "Awaiting Second Review": "purple",
                  "Approved": "green", "Rejected": "red", "Resubmit Required": "amber"}
DOC_COLOURS = {"Pending": "gray", "Approved": "green", "Rejected": "red"}


def _form(form_data: Any, keys: tuple[str, ...]) -> dict[str, str]:
    if not isinstance(form_data, Mapping):
        raise InvalidInput("The form could not be read. Reload the page and try again.")
    out: dict[str, str] = {}
    for key in keys:
        value = form_data.get(key, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise InvalidInput("The form could not be read: expected text.")
        out[key] = "" if value == ALL else value.strip()
    return out


def _text_arg(value: Any) -> str:
    if not isinstance(value, str) or len(value) > 64:
        raise InvalidInput("That id is not valid.")
    return value.strip()


class KycState(AuthState):
    # queue (one page of display strings)
    rows: list[dict[str, str]] = []
    counts: list[dict[str, str]] = []
    overdue: str = "0"
    sla_hours: str = ""
    loading: bool = False
    error: str = ""
    page_number: int = 1
    has_next: bool = False
    _starts: list[str] = []  # the cursor each visited page started after ("" = the first page)
    _next_cursor: str = ""

    filters: dict[str, str] = dict(EMPTY_FILTERS)
    filter_error: str = ""
    filters_key: int = 0
    active_filters: int = 0

    # the open case
    case_id: str = ""
    case_loading: bool = False
    case_error: str = ""
    case_notice: str = ""
    can_decide: bool = False
    summary: dict[str, str] = {}
    applicant: dict[str, str] = {}
    comparison: list[dict[str, str]] = []
    documents: list[dict[str, str]] = []
    checks: list[dict[str, str]] = []
    timeline: list[dict[str, str]] = []

    # dialogs
    approve_open: bool = False
    reject_open: bool = False
    doc_reject_open: bool = False
    doc_reject_id: str = ""
    doc_reject_name: str = ""
    dialog_error: str = ""
    busy: bool = False

    # --- helpers ----------------------------------------------------------------------------------
    @rx.var
    def page_label(self) -> str:
        n = len(self.rows)
        if n == 0:
            return ""
        first = (self.page_number - 1) * PAGE_SIZE + 1
        return f"Cases {first:,}–{first + n - 1:,}, oldest first" + (" (filtered)" if self.active_filters else "")

    @rx.var
    def has_prev(self) -> bool:
        return self.page_number > 1

    async def _read(self, start: str) -> bool:
        try:
            page = await run_db(kyc_service.list_queue, actor=current_actor(), filters=dict(self.filters),
                                after=start or None, limit=PAGE_SIZE)
        except NotAuthenticated:
            raise
        except DomainError as exc:
            self.filter_error = str(exc)
            return False
        except Exception:
            log.exception("kyc: reading the queue failed")
            self.rows = []
            self.error = LOAD_ERROR
            self.has_next = False
            return False
        finally:
            self.loading = False
        self.error = ""
        self.rows = [r.as_strings() for r in page.rows]
        self._next_cursor = page.next_cursor or ""
        self.has_next = page.next_cursor is not None
        self.counts = [{"status": s, "label": label(s), "count": f"{n:,}"} for s, n in page.counts.items()]
        self.overdue = f"{page.overdue:,}"
        self.sla_hours = str(page.sla_hours)
        return True

    def _clear_case(self) -> None:
        self.case_id = ""
        self.case_error = self.case_notice = ""
        self.can_decide = False
        self.summary, self.applicant = {}, {}
        self.comparison, self.documents, self.checks, self.timeline = [], [], [], []
        self.approve_open = self.reject_open = self.doc_reject_open = False
        self.dialog_error = ""

    async def _load_case(self, case_id: Any) -> None:
        try:
            view = await run_db(kyc_service.open_case, actor=current_actor(), case_id=case_id)
        except NotAuthenticated:
            raise
        except DomainError as exc:
            self._clear_case()
            self.case_error = str(exc)
            return
        except Exception:
            log.exception("kyc: opening a case failed")
            self._clear_case()
            self.case_error = CASE_ERROR
            return
        finally:
            self.case_loading = False
        self.case_id = view.id
        self.case_error = ""
        self.case_notice = view.notice
        self.can_decide = view.can_decide
        self.summary = view.summary
        self.applicant = view.applicant
        self.comparison = view.comparison
        self.documents = view.documents
        self.checks = view.checks
        self.timeline = view.timeline

    async def _decide(self, fn: Any, **kwargs: Any) -> bool:
        """Run one decision service for the open case; on success reload the case and the queue."""
        if not self.case_id:
            self.dialog_error = "Open a case first."
            return False
        self.busy = True
        try:
            await run_db(fn, actor=current_actor(), case_id=self.case_id, **kwargs)
        except NotAuthenticated:
            raise
        except DomainError as exc:
            self.dialog_error = str(exc)
            return False
        except Exception:
            log.exception("kyc: a decision failed")
            self.dialog_error = SAVE_ERROR
            return False
        finally:
            self.busy = False
        self.dialog_error = ""
        await self._load_case(self.case_id)
        return True

    # --- page load, queue -------------------------------------------------------------------------
    @guarded(Perm.KYC_VIEW, opens_page=True)
    async def load_kyc(self):
        """Page load: the first page of the queue; ``?case=<id>`` also opens that case."""
        wanted = self.router.url.query_parameters.get("case", "")
        self._clear_case()
        self.loading = True
        keyset.reset(self)
        self.case_loading = bool(wanted)
        yield
        if wanted:
            await self._load_case(wanted if isinstance(wanted, str) else "")
        await self._read("")

    @guarded(Perm.KYC_VIEW)
    async def apply_filters(self, form_data: Any):
        try:
            wanted = _form(form_data, kyc_service.FILTER_KEYS)
            parsed = kyc_service.parse_filters(wanted)
        except InvalidInput as exc:
            self.filter_error = str(exc)
            return
        previous = dict(self.filters)
        self.filters = wanted
        self.active_filters = parsed.active()
        self.filter_error = ""
        keyset.reset(self)
        self.loading = True
        yield
        if not await self._read(""):
            self.filters = previous
            self.active_filters = kyc_service.parse_filters(previous).active()

    @guarded(Perm.KYC_VIEW)
    async def clear_filters(self):
        self.filters = dict(EMPTY_FILTERS)
        self.active_filters = 0
        self.filter_error = ""
        self.filters_key += 1
        keyset.reset(self)
        self.loading = True
        yield
        await self._read("")

    @guarded(Perm.KYC_VIEW)
    async def next_page(self):
        async for event in keyset.next_page(self):
            yield event

    @guarded(Perm.KYC_VIEW)
    async def prev_page(self):
        async for event in keyset.prev_page(self):
            yield event

    @guarded(Perm.KYC_VIEW)
    async def first_page(self):
        async for event in keyset.first_page(self):
            yield event

    # --- the case ---------------------------------------------------------------------------------
    @guarded(Perm.KYC_VIEW)
    async def open_case(self, case_id: Any):
        """Open (and, for a reviewer, claim) a case by its id."""
        try:
            wanted = _text_arg(case_id)
            kyc_service.parse_id(wanted)
        except InvalidInput as exc:
            yield rx.toast.error(str(exc))
            return
        self.case_loading = True
        yield
        await self._load_case(wanted)
        if self.case_error:
            yield rx.toast.error(self.case_error)

    @guarded(Perm.KYC_VIEW)
    async def back_to_queue(self):
        self._clear_case()
        self.loading = True
        yield
        await self._read(keyset.current_start(self))

    @guarded(Perm.KYC_REVIEW)
    async def release_case(self):
        """Give the open case back to the queue."""
        if not self.case_id:
            return
        try:
            await run_db(kyc_service.release, actor=current_actor(), case_id=self.case_id)
        except NotAuthenticated:
            raise
        except DomainError as exc:
            yield rx.toast.error(str(exc))
            return
        except Exception:
            log.exception("kyc: releasing a case failed")
            yield rx.toast.error(SAVE_ERROR)
            return
        self._clear_case()
        yield rx.toast.success("The case is back in the queue.")
        self.loading = True
        yield
        await self._read("")
        keyset.reset(self)

    @guarded(Perm.KYC_REVIEW)
    async def approve_document(self, document_id: Any):
        try:
            doc = _text_arg(document_id)
        except InvalidInput as exc:
            yield rx.toast.error(str(exc))
            return
        if await self._decide(kyc_service.decide_document, document_id=doc, decision="APPROVE"):
            yield rx.toast.success("Document approved.")
        else:
            yield rx.toast.error(self.dialog_error)
            self.dialog_error = ""

    @guarded(Perm.KYC_REVIEW)
    async def ask_reject_document(self, document_id: Any):
        try:
            doc = _text_arg(document_id)
        except InvalidInput as exc:
            yield rx.toast.error(str(exc))
            return
        match = next((d for d in self.documents if d.get("id") == doc), None)
        if match is None:
            yield rx.toast.error("That document is not part of the open case.")
            return
        self.doc_reject_id = doc
        self.doc_reject_name = match.get("type_label", "")
        self.dialog_error = ""
        self.doc_reject_open = True

    @guarded(Perm.KYC_REVIEW)
    async def submit_document_rejection(self, form_data: Any):
        try:
            reason = _form(form_data, ("doc_reason",))["doc_reason"]
        except InvalidInput as exc:
            self.dialog_error = str(exc)
            return
        if not self.doc_reject_id:
            self.dialog_error = "Choose a document first."
            return
        if await self._decide(kyc_service.decide_document, document_id=self.doc_reject_id, decision="REJECT",
                              reason=reason):
            self.doc_reject_open = False
            yield rx.toast.success("Document rejected.")

    @guarded(Perm.KYC_REVIEW)
    async def set_doc_reject_open(self, value: Any):
        if value is False:
            self.doc_reject_open = False
            self.dialog_error = ""

    @guarded(Perm.KYC_REVIEW)
    async def ask_approve(self):
        if not self.case_id:
            return
        self.dialog_error = ""
        self.approve_open = True

    @guarded(Perm.KYC_REVIEW)
    async def set_approve_open(self, value: Any):
        if value is False:
            self.approve_open = False
            self.dialog_error = ""

    @guarded(Perm.KYC_REVIEW)
    async def confirm_approve(self):
        """Approve (first approval for a high-risk case) or confirm a second review."""
        second = self.summary.get("status") == "AWAITING_SECOND_REVIEW"
        fn = kyc_service.confirm_second_review if second else kyc_service.approve
        if not await self._decide(fn):
            return
        self.approve_open = False
        status = self.summary.get("status", "")
        if status == "AWAITING_SECOND_REVIEW":
            yield rx.toast.success("First approval recorded. A second compliance officer must confirm it.")
        else:
            yield rx.toast.success("Case approved. The customer is verified.")
        await self._read("")
        keyset.reset(self)

    @guarded(Perm.KYC_REVIEW)
    async def ask_reject(self):
        if not self.case_id:
            return
        self.dialog_error = ""
        self.reject_open = True

    @guarded(Perm.KYC_REVIEW)
    async def set_reject_open(self, value: Any):
        if value is False:
            self.reject_open = False
            self.dialog_error = ""

    @guarded(Perm.KYC_REVIEW)
    async def submit_reject(self, form_data: Any):
        """The rejection form: ``reason_code`` (from the taxonomy), ``message`` (to the customer,
        optional: the reason's text is used when empty) and ``internal_note``."""
        try:
            form = _form(form_data, ("reason_code", "message", "internal_note"))
        except InvalidInput as exc:
            self.dialog_error = str(exc)
            return
        if not form["reason_code"]:
            self.dialog_error = "Choose a reason for the rejection."
            return
        if not await self._decide(kyc_service.reject, reason_code=form["reason_code"], message=form["message"],
                                  internal_note=form["internal_note"]):
            return
        self.reject_open = False
        retry = self.summary.get("status") == "RESUBMIT_REQUIRED"
        yield rx.toast.success("Resubmission requested." if retry else "Case rejected.")
        await self._read("")
        keyset.reset(self)


# Until dashboard.py registers ``KycState.load_kyc``: the old name of the page's state.


# --- page -----------------------------------------------------------------------------------------
K = KycState
REASON_GROUPS = (
    ("Resubmission (customer may try again)", kyc_service.RETRY),
    ("Final rejection", kyc_service.FINAL),
)


def _select(name: str, label_text: str, items: list[tuple[str, str]], width: str = "11rem") -> rx.Component:
    control_id = f"kyc-filter-{name.replace('_', '-')}"
    return labelled(
        label_text,
        rx.select.root(
            rx.select.trigger(width=width, id=control_id),
            rx.select.content(rx.select.item("All", value=ALL), *[rx.select.item(t, value=v) for v, t in items]),
            name=name,
            default_value=rx.cond(K.filters[name] != "", K.filters[name], ALL),
        ),
        html_for=control_id,
    )


def _input(name: str, label_text: str, placeholder: str = "", *, type_: str = "text", width: str = "10rem",
           max_length: int = 100) -> rx.Component:
    control_id = f"kyc-filter-{name.replace('_', '-')}"
    return labelled(
        label_text,
        rx.input(name=name, default_value=K.filters[name], placeholder=placeholder, type=type_, width=width,
                 max_length=max_length, id=control_id),
        html_for=control_id,
    )


def _filters() -> rx.Component:
    return rx.form(
        filter_bar(
            _input("search", "Search", "Name, email or document no.", type_="search", width="16rem"),
            _select("status", "Status", [(s, label(s)) for s in kyc_service.OPEN], "12rem"),
            _input("country", "Country", "e.g. GB", width="5rem", max_length=2),
            _select("document_type", "Document", [(t.value, label(t.value)) for t in IdDocumentType]),
            _select("risk_level", "Risk", [(r.value, label(r.value)) for r in RiskLevel] + [("NONE", "Not screened")],
                    "9rem"),
            _select("assigned", "Assigned", [("me", "To me"), ("unassigned", "Unassigned")], "9rem"),
            _input("date_from", "Submitted from", type_="date", width="9.5rem", max_length=10),
            _input("date_to", "Submitted to", type_="date", width="9.5rem", max_length=10),
            rx.hstack(
                rx.button(rx.icon("filter", size=14), "Apply", type="submit", loading=K.loading,
                          custom_attrs={"data-testid": "kyc-apply"}),
                rx.button("Clear", type="button", on_click=K.clear_filters, variant="soft", color_scheme="gray"),
                spacing="2",
            ),
            test_id="kyc-filters",
        ),
        rx.cond(K.filter_error != "",
                rx.callout.root(rx.callout.icon(rx.icon("triangle_alert")), rx.callout.text(K.filter_error),
                                color_scheme="red", variant="surface", size="1", role="alert", margin_bottom="1rem",
                                custom_attrs={"data-testid": "kyc-filter-error"})),
        on_submit=K.apply_filters,
        reset_on_submit=False,
        no_validate=True,
        key=K.filters_key.to_string(),
        custom_attrs={"aria-label": "KYC queue filters"},
    )


def _count_card(item: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(item["label"], size="1", color="var(--gray-11)"),
            rx.text(item["count"], size="5", weight="bold", custom_attrs={"data-value": item["count"]}),
            spacing="0",
        ),
        size="1",
        min_width="10rem",
        custom_attrs={"data-testid": "kyc-count-" + item["status"]},
    )


def _counts() -> rx.Component:
    return rx.flex(
        rx.foreach(K.counts, _count_card),
        rx.card(
            rx.vstack(
                rx.text("Past the ", K.sla_hours, " h SLA", size="1", color="var(--gray-11)"),
                rx.text(K.overdue, size="5", weight="bold", color="var(--red-11)"),
                spacing="0",
            ),
            size="1",
            min_width="10rem",
            custom_attrs={"data-testid": "kyc-count-overdue"},
        ),
        gap="3",
        wrap="wrap",
        margin_bottom="1rem",
    )


def _queue_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.button(row["name"], on_click=K.open_case(row["id"]), variant="ghost", size="2",
                          custom_attrs={"data-testid": "kyc-open"}),
                rx.text(row["email"], size="1", color="var(--gray-11)"),
                spacing="0",
                align="start",
            )
        ),
        rx.table.cell(status_badge(row["status_label"], STATUS_COLOURS)),
        rx.table.cell(rx.text(row["document_type"], " · ", row["country"], size="2", white_space="nowrap"),
                      rx.text(row["document_number"], size="1", color="var(--gray-11)")),
        rx.table.cell(status_badge(row["risk_label"], RISK_COLOURS)),
        rx.table.cell(rx.text(row["submitted"], size="2", white_space="nowrap"),
                      rx.text(row["age"], " old", size="1", color="var(--gray-11)")),
        rx.table.cell(rx.badge(row["sla_label"], variant="soft", radius="full",
                               color_scheme=rx.match(row["sla_state"], *SLA_COLOURS.items(), "gray"),
                               custom_attrs={"data-testid": "kyc-sla"})),
        rx.table.cell(rx.cond(row["claimed_by"] != "", rx.text(row["claimed_by"], size="1"),
                              rx.text("Unassigned", size="1", color="var(--gray-10)"))),
        custom_attrs={"data-testid": "kyc-row", "data-case": row["id"]},
    )


def _queue() -> rx.Component:
    return rx.fragment(
        _counts(),
        _filters(),
        data_table(
            ["Applicant", ("Status", "9rem"), ("Document", "10rem"), ("Risk", "6rem"), ("Submitted", "9rem"),
             ("SLA", "8rem"), ("Reviewer", "10rem")],
            K.rows,
            _queue_row,
            loading=K.loading,
            is_empty=K.rows.length() == 0,
            empty=rx.cond(
                K.active_filters > 0,
                empty_state("No cases match", "Change or clear the filters.", "search_x"),
                empty_state("The queue is empty", "New identity submissions appear here.", "inbox"),
            ),
            caption="Open KYC cases, oldest first",
            test_id="kyc-table",
        ),
        pager(label=K.page_label, has_prev=K.has_prev, has_next=K.has_next, on_prev=K.prev_page,
              on_next=K.next_page, loading=K.loading,
              extra=rx.cond(K.page_number > 1, rx.button("First page", on_click=K.first_page, variant="soft",
                                                         color_scheme="gray", size="2")),
              test_id="kyc-pager"),
    )


# --- case view ------------------------------------------------------------------------------------
def _fact(name: str, value: rx.Var) -> rx.Component:
    return rx.data_list.item(rx.data_list.label(name, min_width="8rem"),
                             rx.data_list.value(rx.text(value, size="2", word_break="break-word")))


def _applicant_card() -> rx.Component:
    a = K.applicant
    return rx.card(
        rx.heading("Applicant", size="3", margin_bottom="0.5rem"),
        rx.data_list.root(
            _fact("Name", a["name"]), _fact("Email", a["email"]), _fact("Phone", a["phone"]),
            _fact("Date of birth", a["date_of_birth"]), _fact("Address", a["address"]),
            _fact("Country", a["country"]), _fact("Nationality", a["nationality"]),
            _fact("Platform", a["platform"]), _fact("Account type", a["account_type"]),
            _fact("KYC status", a["kyc_status"]), _fact("Customer since", a["member_since"]),
            size="1",
        ),
        size="2",
        custom_attrs={"data-testid": "kyc-applicant"},
    )


def _compare_row(row: rx.Var) -> rx.Component:
    mismatch = row["state"] == "mismatch"
    return rx.table.row(
        rx.table.cell(rx.text(row["field"], size="2", weight="medium")),
        rx.table.cell(rx.text(row["entered"], size="2")),
        rx.table.cell(rx.text(row["extracted"], size="2", color=rx.cond(mismatch, "var(--red-11)", "inherit"),
                              weight=rx.cond(mismatch, "bold", "regular"))),
        rx.table.cell(rx.match(
            row["state"],
            ("mismatch", rx.badge(rx.icon("triangle_alert", size=12), "Mismatch", color_scheme="red", variant="solid")),
            ("match", rx.badge("Match", color_scheme="green", variant="soft")),
            rx.badge("Not read", color_scheme="gray", variant="soft"),
        )),
        background_color=rx.cond(mismatch, "var(--red-a3)", "transparent"),
        custom_attrs={"data-testid": "kyc-compare-row", "data-state": row["state"]},
    )


def _comparison_card() -> rx.Component:
    return rx.card(
        rx.heading("Entered vs extracted", size="3", margin_bottom="0.5rem"),
        rx.table.root(
            rx.table.header(rx.table.row(
                rx.table.column_header_cell("Field"), rx.table.column_header_cell("Entered by the customer"),
                rx.table.column_header_cell("Read from the document"), rx.table.column_header_cell(""))),
            rx.table.body(rx.foreach(K.comparison, _compare_row)),
            variant="ghost", size="1", width="100%",
        ),
        size="2",
        custom_attrs={"data-testid": "kyc-comparison"},
    )


def _document_card(doc: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(doc["type_label"], weight="bold", size="2"),
                status_badge(doc["status_label"], DOC_COLOURS),
                justify="between", width="100%", align="center",
            ),
            rx.cond(
                doc["url"] != "",
                rx.cond(
                    doc["is_image"] == "yes",
                    rx.link(
                        rx.image(src=doc["url"], alt=doc["type_label"], width="100%", height="11rem",
                                 object_fit="contain", background="var(--gray-3)", border_radius="6px",
                                 loading="lazy", custom_attrs={"data-testid": "kyc-doc-image"}),
                        href=doc["url"], is_external=True,
                    ),
                    rx.center(rx.link(rx.hstack(rx.icon("file_text", size=18), rx.text("Open PDF")), href=doc["url"],
                                      is_external=True),
                              height="11rem", background="var(--gray-3)", border_radius="6px", width="100%"),
                ),
                rx.center(rx.text("You may not view document files.", size="1", color="var(--gray-11)"),
                          height="11rem", background="var(--gray-3)", border_radius="6px", width="100%"),
            ),
            rx.text(doc["file_name"], " · ", doc["size"], size="1", color="var(--gray-11)"),
            rx.cond(doc["reason"] != "", rx.text("Reason: ", doc["reason"], size="1", color="var(--red-11)")),
            rx.cond(
                K.can_decide & (doc["status"] == "PENDING"),
                rx.hstack(
                    rx.button(rx.icon("check", size=14), "Approve", size="1", variant="soft", color_scheme="green",
                              on_click=K.approve_document(doc["id"]), custom_attrs={"data-testid": "kyc-doc-approve"}),
                    rx.button(rx.icon("x", size=14), "Reject", size="1", variant="soft", color_scheme="red",
                              on_click=K.ask_reject_document(doc["id"]),
                              custom_attrs={"data-testid": "kyc-doc-reject"}),
                    spacing="2",
                ),
            ),
            spacing="2",
            width="100%",
        ),
        size="1",
        width="100%",
        custom_attrs={"data-testid": "kyc-document", "data-type": doc["type"]},
    )


def _check_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row["type"], weight="medium", size="2"), rx.text(row["provider"], size="1",
                                                                              color="var(--gray-11)")),
        rx.table.cell(status_badge(row["result_label"], {"Clear": "green", "Consider": "amber", "Match": "red",
                                                         "Error": "gray"})),
        rx.table.cell(status_badge(row["risk_label"], RISK_COLOURS)),
        rx.table.cell(row["score"]),
        rx.table.cell(rx.text(row["flags"], size="1")),
        rx.table.cell(rx.text(row["checked"], size="1")),
    )


def _checks_card() -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.heading("Compliance record", size="3"),
            status_badge(K.summary["risk_label"], RISK_COLOURS),
            rx.text("Highest score ", K.summary["risk_score"], size="2", color="var(--gray-11)"),
            spacing="3", align="center", margin_bottom="0.5rem",
        ),
        rx.cond(
            K.checks.length() > 0,
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in
                                               ("Check", "Result", "Risk", "Score", "Flags", "Checked")])),
                rx.table.body(rx.foreach(K.checks, _check_row)),
                variant="ghost", size="1", width="100%",
            ),
            rx.text("No screening recorded for this case.", size="2", color="var(--gray-11)"),
        ),
        size="2",
        custom_attrs={"data-testid": "kyc-checks"},
    )


def _timeline_item(item: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.icon(rx.match(item["kind"], ("submission", "upload"), ("note", "sticky_note"), "circle_dot"), size=14,
                color="var(--gray-10)", margin_top="3px"),
        rx.vstack(
            rx.text(item["title"], size="2", weight="medium"),
            rx.cond(item["detail"] != "", rx.text(item["detail"], size="1", color="var(--gray-11)")),
            rx.text(item["when"], rx.cond(item["actor"] != "", " · " + item["actor"], ""), size="1",
                    color="var(--gray-10)"),
            spacing="0",
        ),
        spacing="2",
        align="start",
        custom_attrs={"data-testid": "kyc-timeline-item"},
    )


def _timeline_card() -> rx.Component:
    return rx.card(
        rx.heading("Timeline", size="3", margin_bottom="0.5rem"),
        rx.vstack(rx.foreach(K.timeline, _timeline_item), spacing="3", max_height="24rem", overflow_y="auto"),
        size="2",
        custom_attrs={"data-testid": "kyc-timeline"},
    )


def _decision_bar() -> rx.Component:
    s = K.summary
    awaiting = s["status"] == "AWAITING_SECOND_REVIEW"
    return rx.cond(
        K.officer_permissions.contains(REVIEW_PERMISSION) & K.can_decide,
        rx.hstack(
            rx.button(rx.icon("check", size=15), rx.cond(awaiting, "Confirm approval (second review)", "Approve"),
                      on_click=K.ask_approve, color_scheme="green", custom_attrs={"data-testid": "kyc-approve"}),
            rx.button(rx.icon("x", size=15), "Reject…", on_click=K.ask_reject, color_scheme="red", variant="soft",
                      custom_attrs={"data-testid": "kyc-reject"}),
            rx.cond(s["mine"] == "yes",
                    rx.button("Release to queue", on_click=K.release_case, variant="soft", color_scheme="gray",
                              custom_attrs={"data-testid": "kyc-release"})),
            spacing="2",
        ),
    )


def _case_header() -> rx.Component:
    s = K.summary
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.hstack(
                    rx.heading(K.applicant["name"], size="5"),
                    status_badge(s["status_label"], STATUS_COLOURS),
                    rx.cond(s["sla_label"] != "",
                            rx.badge(s["sla_label"], variant="soft", radius="full",
                                     color_scheme=rx.match(s["sla_state"], *SLA_COLOURS.items(), "gray"))),
                    rx.cond(s["high_risk"] == "yes",
                            rx.badge(rx.icon("shield_alert", size=12), "High risk: four-eyes", color_scheme="red",
                                     variant="solid")),
                    spacing="2", align="center", wrap="wrap",
                ),
                rx.text("Attempt ", s["attempt"], " · ", s["document_type"], " · submitted ", s["submitted"],
                        size="2", color="var(--gray-11)"),
                rx.cond(s["claimed_by"] != "",
                        rx.text("Being reviewed by ", s["claimed_by"], " until ", s["claimed_until"], size="2",
                                custom_attrs={"data-testid": "kyc-claim"})),
                rx.cond(s["first_approved_by"] != "",
                        rx.text("First approval by ", s["first_approved_by"], " at ", s["first_approved_at"],
                                size="2", color="var(--purple-11)")),
                rx.cond(s["rejection_reason"] != "",
                        rx.text("Message to the customer: ", s["rejection_reason"], size="2")),
                rx.cond(s["internal_note"] != "",
                        rx.text("Internal note: ", s["internal_note"], size="2", color="var(--gray-11)")),
                spacing="1",
            ),
            _decision_bar(),
            justify="between", align="start", gap="3", wrap="wrap",
        ),
        size="2",
        custom_attrs={"data-testid": "kyc-case-header", "data-status": s["status"]},
    )


def _reject_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Reject this case"),
            rx.dialog.description(
                "Resubmission reasons let the customer try again (Resubmit Required); final reasons close the "
                "case (Rejected).", size="2", margin_bottom="0.75rem"),
            rx.form(
                rx.vstack(
                    labelled("Reason", rx.select.root(
                        rx.select.trigger(placeholder="Choose a reason", width="100%", id="kyc-reason"),
                        rx.select.content(*[
                            rx.select.group(
                                rx.select.label(title),
                                *[rx.select.item(r.title, value=r.code) for r in kyc_service.REASONS.values()
                                  if r.kind == kind],
                            )
                            for title, kind in REASON_GROUPS
                        ]),
                        name="reason_code",
                    ), html_for="kyc-reason", width="100%"),
                    labelled("Message to the customer (optional: the reason's standard text is used)",
                             rx.text_area(name="message", id="kyc-message", max_length=kyc_service.MAX_MESSAGE,
                                          width="100%", rows="3"), html_for="kyc-message", width="100%"),
                    labelled("Internal note (never shown to the customer)",
                             rx.text_area(name="internal_note", id="kyc-note", max_length=kyc_service.MAX_NOTE,
                                          width="100%", rows="3"), html_for="kyc-note", width="100%"),
                    rx.cond(K.dialog_error != "",
                            rx.callout.root(rx.callout.icon(rx.icon("triangle_alert")), rx.callout.text(K.dialog_error),
                                            color_scheme="red", variant="surface", size="1", role="alert",
                                            width="100%", custom_attrs={"data-testid": "kyc-dialog-error"})),
                    rx.flex(
                        rx.dialog.close(rx.button("Cancel", type="button", variant="soft", color_scheme="gray")),
                        rx.button("Reject case", type="submit", color_scheme="red", loading=K.busy,
                                  custom_attrs={"data-testid": "kyc-reject-submit"}),
                        gap="3", justify="end", width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=K.submit_reject,
                reset_on_submit=False,
            ),
            max_width="34rem",
            custom_attrs={"data-testid": "kyc-reject-dialog"},
        ),
        open=K.reject_open,
        on_open_change=K.set_reject_open,
    )


def _doc_reject_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Reject document: ", K.doc_reject_name),
            rx.form(
                rx.vstack(
                    labelled("Reason", rx.input(name="doc_reason", id="kyc-doc-reason", width="100%",
                                                max_length=kyc_service.MAX_DOC_REASON,
                                                placeholder="e.g. Image is blurry"),
                             html_for="kyc-doc-reason", width="100%"),
                    rx.cond(K.dialog_error != "",
                            rx.callout.root(rx.callout.icon(rx.icon("triangle_alert")), rx.callout.text(K.dialog_error),
                                            color_scheme="red", variant="surface", size="1", role="alert",
                                            width="100%")),
                    rx.flex(
                        rx.dialog.close(rx.button("Cancel", type="button", variant="soft", color_scheme="gray")),
                        rx.button("Reject document", type="submit", color_scheme="red", loading=K.busy,
                                  custom_attrs={"data-testid": "kyc-doc-reject-submit"}),
                        gap="3", justify="end", width="100%",
                    ),
                    spacing="3", width="100%",
                ),
                on_submit=K.submit_document_rejection,
                reset_on_submit=True,
            ),
            max_width="28rem",
        ),
        open=K.doc_reject_open,
        on_open_change=K.set_doc_reject_open,
    )


def _case_view() -> rx.Component:
    return rx.vstack(
        rx.box(rx.button(rx.icon("arrow_left", size=14), "Back to the queue", on_click=K.back_to_queue,
                         variant="ghost", custom_attrs={"data-testid": "kyc-back"})),
        rx.cond(K.case_notice != "",
                rx.callout.root(rx.callout.icon(rx.icon("info")), rx.callout.text(K.case_notice), color_scheme="amber",
                                variant="surface", size="1", width="100%",
                                custom_attrs={"data-testid": "kyc-case-notice"})),
        _case_header(),
        rx.grid(
            rx.foreach(K.documents, _document_card),
            columns=rx.breakpoints(initial="1", sm="2", lg="3"),
            spacing="3",
            width="100%",
            custom_attrs={"data-testid": "kyc-documents"},
        ),
        rx.grid(_comparison_card(), _applicant_card(), columns=rx.breakpoints(initial="1", lg="2"), spacing="3",
                width="100%"),
        rx.grid(_checks_card(), _timeline_card(), columns=rx.breakpoints(initial="1", lg="2"), spacing="3",
                width="100%"),
        confirm_dialog(
            open=K.approve_open,
            on_open_change=K.set_approve_open,
            title=rx.cond(K.summary["status"] == "AWAITING_SECOND_REVIEW", "Confirm the second review?",
                          "Approve this case?"),
            description=rx.cond(
                K.summary["high_risk"] == "yes",
                rx.cond(K.summary["status"] == "AWAITING_SECOND_REVIEW",
                        "The customer becomes verified. You confirm another officer's first approval.",
                        "High-risk case: your approval is the first of two. A different compliance officer must "
                        "confirm it."),
                "The customer becomes verified and is told so. Pending documents are approved with the case.",
            ),
            confirm_label="Approve",
            on_confirm=K.confirm_approve,
            busy=K.busy,
            error=K.dialog_error,
            danger=False,
            test_id="kyc-approve-dialog",
        ),
        _reject_dialog(),
        _doc_reject_dialog(),
        spacing="3",
        width="100%",
        align="stretch",
        custom_attrs={"data-testid": "kyc-case"},
    )


def kyc_page() -> rx.Component:
    return layout(
        page_header(SCREEN.title, SCREEN.summary),
        rx.cond(K.error != "", error_callout(K.error)),
        rx.cond(K.case_error != "", error_callout(K.case_error)),
        rx.cond(
            K.case_id != "",
            _case_view(),
            rx.cond(K.case_loading, rx.center(rx.spinner(size="3"), padding="3rem"), _queue()),
        ),
        active=SCREEN.route,
    )
