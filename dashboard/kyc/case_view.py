"""The KYC case view: header with the decisions, documents, entered vs extracted data, applicant,
compliance record, timeline, and the approve / reject dialogs."""

from __future__ import annotations

import reflex as rx

from dashboard.core.permissions import Perm
from dashboard.kyc import rules
from dashboard.kyc.state import KycState as K
from dashboard.ui.components.confirm import confirm_dialog
from dashboard.ui.components.dialogs import form_dialog
from dashboard.ui.components.data_table import labelled, status_badge

REVIEW_PERMISSION = Perm.KYC_REVIEW.value
SLA_COLOURS = {"overdue": "red", "due_soon": "amber", "on_time": "green"}
RISK_COLOURS = {"Low": "green", "Medium": "amber", "High": "orange", "Critical": "red"}
STATUS_COLOURS = {"Pending": "gray", "Under Review": "blue", "Awaiting Second Review": "purple",
                  "Approved": "green", "Rejected": "red", "Resubmit Required": "amber"}
DOC_COLOURS = {"Pending": "gray", "Approved": "green", "Rejected": "red"}
REASON_GROUPS = (
    ("Resubmission (customer may try again)", rules.RETRY),
    ("Final rejection", rules.FINAL),
)


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
                              on_click=K.ask("doc_reject", doc["id"]),
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
                      on_click=K.ask("approve", ""), color_scheme="green", custom_attrs={"data-testid": "kyc-approve"}),
            rx.button(rx.icon("x", size=15), "Reject…", on_click=K.ask("reject", ""), color_scheme="red", variant="soft",
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
    return form_dialog(
        "Reject this case",
        labelled("Reason", rx.select.root(
            rx.select.trigger(placeholder="Choose a reason", width="100%", id="kyc-reason"),
            rx.select.content(*[
                rx.select.group(
                    rx.select.label(title),
                    *[rx.select.item(r.title, value=r.code) for r in rules.REASONS.values() if r.kind == kind],
                )
                for title, kind in REASON_GROUPS
            ]),
            name="reason_code",
        ), html_for="kyc-reason", width="100%"),
        labelled("Message to the customer (optional: the reason's standard text is used)",
                 rx.text_area(name="message", id="kyc-message", max_length=rules.MAX_MESSAGE,
                              width="100%", rows="3"), html_for="kyc-message", width="100%"),
        labelled("Internal note (never shown to the customer)",
                 rx.text_area(name="internal_note", id="kyc-note", max_length=rules.MAX_NOTE,
                              width="100%", rows="3"), html_for="kyc-note", width="100%"),
        description=("Resubmission reasons let the customer try again (Resubmit Required); final reasons close the "
                     "case (Rejected)."),
        open=K.dialog == "reject", on_open_change=K.dialog_changed, on_submit=K.submit_reject,
        error=K.dialog_error, error_test_id="kyc-dialog-error", submit_label="Reject case", busy=K.busy,
        submit_test_id="kyc-reject-submit", max_width="34rem", test_id="kyc-reject-dialog",
    )


def _doc_reject_dialog() -> rx.Component:
    return form_dialog(
        "Reject document: " + K.doc_reject_name,
        labelled("Reason", rx.input(name="doc_reason", id="kyc-doc-reason", width="100%",
                                    max_length=rules.MAX_DOC_REASON, placeholder="e.g. Image is blurry"),
                 html_for="kyc-doc-reason", width="100%"),
        open=K.dialog == "doc_reject", on_open_change=K.dialog_changed, on_submit=K.submit_document_rejection,
        error=K.dialog_error, submit_label="Reject document", busy=K.busy, submit_test_id="kyc-doc-reject-submit",
        reset_on_submit=True, max_width="28rem",
    )


def case_view() -> rx.Component:
    return rx.vstack(
        rx.box(rx.button(rx.icon("arrow_left", size=14), "Back to the queue", on_click=K.close_item,
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
            open=K.dialog == "approve",
            on_open_change=K.dialog_changed,
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
