"""KYC review (``/kyc``): the queue and the open case.

The queue is the shared list mechanism (filters, search, keyset pages, ``?case=<id>`` opens a case);
this state adds the case's vars and the decisions. Each handler parses its input and calls one query or
action; errors become messages in ``AuthState._run`` / ``guarded``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import reflex as rx

from dashboard.core.listing import Page
from dashboard.core.permissions import Perm
from dashboard.db import run_db
from dashboard.kyc import actions, queries, rules
from dashboard.ui import screens
from dashboard.ui.auth_state import AuthState, current_actor, guarded
from dashboard.ui.forms import form_fields, id_arg
from dashboard.ui.dialog_state import DialogState
from dashboard.ui.list_state import ListSpec, ListState
from dashboard.ui.screens import Screen
from dashboard.models.enums import label

SAVE_ERROR = "The decision could not be saved (database error). Nothing was changed; try again."


class KycState(ListState, DialogState, AuthState):
    screen: ClassVar[Screen] = screens.KYC_SCREEN
    dialogs: ClassVar[tuple[str, ...]] = ("approve", "reject", "doc_reject")
    dialog_perm: ClassVar[str] = Perm.KYC_REVIEW
    spec: ClassVar[ListSpec] = ListSpec(filter_keys=rules.FILTER_KEYS, item_param="case", item_noun="Cases",
                                        order_note=", oldest first", page_size=rules.PAGE_SIZE)

    counts: list[dict[str, str]] = []
    overdue: str = "0"
    sla_hours: str = ""

    # the open case
    case_notice: str = ""
    can_decide: bool = False
    summary: dict[str, str] = {}
    applicant: dict[str, str] = {}
    comparison: list[dict[str, str]] = []
    documents: list[dict[str, str]] = []
    checks: list[dict[str, str]] = []
    timeline: list[dict[str, str]] = []

    # the document being rejected (dialog "doc_reject")
    doc_reject_id: str = ""
    doc_reject_name: str = ""

    # --- the list mechanism's hooks ---------------------------------------------------------------
    async def _fetch(self, after: str | None) -> Page:
        page = await run_db(queries.list_queue, actor=current_actor(), filters=dict(self.filters), after=after,
                            limit=self.spec.page_size)
        return Page([r.as_strings() for r in page.rows], page.next_cursor,
                    {"counts": page.counts, "overdue": page.overdue, "sla_hours": page.sla_hours})

    def _count_filters(self, wanted: dict[str, str]) -> int:
        return rules.parse_filters(wanted).active()

    def _show_page(self, page: Page) -> None:
        self.counts = [{"status": s, "label": label(s), "count": f"{n:,}"} for s, n in page.extra["counts"].items()]
        self.overdue = f"{page.extra['overdue']:,}"
        self.sla_hours = str(page.extra["sla_hours"])

    async def _load_item(self, item_id: str) -> None:
        view = await run_db(actions.open_case, actor=current_actor(), case_id=item_id)
        self.case_notice = view.notice
        self.can_decide = view.can_decide
        self.summary = view.summary
        self.applicant = view.applicant
        self.comparison = view.comparison
        self.documents = view.documents
        self.checks = view.checks
        self.timeline = view.timeline

    def _clear_item(self) -> None:
        self.case_notice = ""
        self.can_decide = False
        self.summary, self.applicant = {}, {}
        self.comparison, self.documents, self.checks, self.timeline = [], [], [], []
        self._close_dialog()

    def _why_not_dialog(self, which: str) -> str:
        return "" if self.open_id else "Open a case first."

    async def _prepare_dialog(self, which: str, target: Any) -> str:
        """"doc_reject" names the document of the open case to reject."""
        if which != "doc_reject":
            return ""
        doc = id_arg(target, "document")
        match = next((d for d in self.documents if d.get("id") == doc), None)
        if match is None:
            return "That document is not part of the open case."
        self.doc_reject_id, self.doc_reject_name = doc, match.get("type_label", "")
        return ""

    async def _decide(self, fn: Any, **kwargs: Any) -> bool:
        """Run one decision on the open case; on success re-read the case."""
        if not self.open_id:
            self.dialog_error = "Open a case first."
            return False
        ok, _ = await self._submit(fn, failure=SAVE_ERROR, case_id=self.open_id,
                                   expected_status=self.summary.get("status") or None, **kwargs)
        await self._show_item(self.open_id)  # also after a refusal: the case as it is now
        return ok

    def _document_status(self, doc_id: str) -> str | None:
        """The status the open case showed for one of its documents."""
        return next((d.get("status") or None for d in self.documents if d.get("id") == doc_id), None)

    async def _back_to_first_page(self) -> None:
        self._reset_pages()
        await self._read("")

    # --- the case ---------------------------------------------------------------------------------
    @guarded(Perm.KYC_REVIEW)
    async def release_case(self):
        """Give the open case back to the queue."""
        if not self.open_id:
            return
        await self._run(actions.release, failure=SAVE_ERROR, case_id=self.open_id)
        self._forget_item()
        yield rx.toast.success("The case is back in the queue.")
        self.loading = True
        yield
        await self._back_to_first_page()
        yield self._sync_url()

    @guarded(Perm.KYC_REVIEW)
    async def approve_document(self, document_id: Any):
        doc = id_arg(document_id, "document")
        if await self._decide(actions.decide_document, document_id=doc, decision="APPROVE",
                              expected_document_status=self._document_status(doc)):
            yield rx.toast.success("Document approved.")
        else:
            yield rx.toast.error(self.dialog_error)
            self.dialog_error = ""

    @guarded(Perm.KYC_REVIEW)
    async def submit_document_rejection(self, form_data: Any):
        reason = form_fields(form_data, ("doc_reason",))["doc_reason"]
        if not self.doc_reject_id:
            self.dialog_error = "Choose a document first."
            return
        if await self._decide(actions.decide_document, document_id=self.doc_reject_id, decision="REJECT",
                              reason=reason, expected_document_status=self._document_status(self.doc_reject_id)):
            self._close_dialog()
            yield rx.toast.success("Document rejected.")

    @guarded(Perm.KYC_REVIEW)
    async def confirm_approve(self):
        """Approve (first approval for a high-risk case) or confirm a second review."""
        second = self.summary.get("status") == "AWAITING_SECOND_REVIEW"
        if not await self._decide(actions.confirm_second_review if second else actions.approve):
            return
        self._close_dialog()
        if self.summary.get("status", "") == "AWAITING_SECOND_REVIEW":
            yield rx.toast.success("First approval recorded. A second compliance officer must confirm it.")
        else:
            yield rx.toast.success("Case approved. The customer is verified.")
        await self._back_to_first_page()

    @guarded(Perm.KYC_REVIEW)
    async def submit_reject(self, form_data: Any):
        """The rejection form: ``reason_code`` (from the taxonomy), ``message`` (to the customer,
        optional: the reason's standard text is used when empty) and ``internal_note``."""
        form = form_fields(form_data, ("reason_code", "message", "internal_note"))
        if not form["reason_code"]:
            self.dialog_error = "Choose a reason for the rejection."
            return
        if not await self._decide(actions.reject, reason_code=form["reason_code"], message=form["message"],
                                  internal_note=form["internal_note"]):
            return
        self._close_dialog()
        retry = self.summary.get("status") == "RESUBMIT_REQUIRED"
        yield rx.toast.success("Resubmission requested." if retry else "Case rejected.")
        await self._back_to_first_page()
