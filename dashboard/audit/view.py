"""The audit log screen: the chain card, a record's timeline, the filters, the log and its pager, the
entry dialog. Reflex components only; the state is ``AuditState``."""

from __future__ import annotations

import reflex as rx

from dashboard.audit.rules import MAX_ACTOR, TIMELINE_LIMIT
from dashboard.audit.state import AuditState
from dashboard.core.permissions import Perm
from dashboard.ui import screens
from dashboard.ui.components import error_callout, layout, page_header
from dashboard.ui.components.page import error_note, icon_tile
from dashboard.ui.components.data_table import pager
from dashboard.ui.components.filters import filter_input, list_table

A = AuditState
SCREEN = screens.AUDIT_SCREEN
EXPORT_PERMISSION = Perm.AUDIT_EXPORT.value


def _filter_input(name: str, label: str, placeholder: str, *, type_: str = "text",
                  max_length: int = 64) -> rx.Component:
    return filter_input(A, "audit", name, label, placeholder, type_=type_, width="100%", max_length=max_length)


FILTER_HINT = (
    "Action: an exact action (staff.deactivated) or a prefix ending in “.” (staff.). "
    "Dates are whole UTC days, both included. Press Enter to apply."
)


def _filters_form() -> rx.Component:
    return rx.card(
        rx.form(
            rx.grid(
                _filter_input("actor", "Actor", "email contains…", max_length=MAX_ACTOR),
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
            error_note(A.filter_error, test_id="filter-error", margin_top="0.6rem"),
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
                icon_tile("link"),
                fact("Entries", A.chain["rows"]),
                fact("Head seq", A.chain["head_seq"]),
                fact("Last entry", A.chain["head_at"]),
                rx.box(
                    fact("Last checkpoint", rx.cond(A.chain["checkpoint_state"] == "none", "Not signed yet",
                                                     A.chain["checkpoint_seq"] + " · " + A.chain["checkpoint_at"])),
                    rx.text(A.chain["checkpoint_note"], size="1",
                            color=rx.match(A.chain["checkpoint_state"], ("matches", "var(--green-11)"),
                                           ("none", "var(--gray-11)"), "var(--red-11)")),
                    custom_attrs={"data-testid": "audit-checkpoint", "data-state": A.chain["checkpoint_state"]},
                ),
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
                on_click=A.open_item(row["seq"]),
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
        on_click=A.open_item(row["seq"]),
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
                    href=screens.AUDIT),
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
            rx.button(row["when"], on_click=A.open_item(row["seq"]), variant="ghost", size="1", color_scheme="gray",
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
        list_table(
            A, COLUMNS, _entry_row,
            empty=("The log is empty", "Back-office actions appear here as they happen.", "scroll_text"),
            no_match=("No entries match", "Change or clear the filters to see more of the log."),
            caption="Audit log entries, newest first", test_id="audit-table",
        ),
        pager(
            label=A.page_label,
            has_prev=A.has_prev,
            has_next=A.has_next,
            on_prev=A.prev_page,
            on_next=A.next_page,
            loading=A.loading,
            prev_text="Newer",
            next_text="Older",
            extra=rx.cond(
                A.page_number > 1,
                rx.button("Newest", on_click=A.first_page, variant="soft", color_scheme="gray", size="2"),
            ),
            test_id="audit-pager",
        ),
        _detail_dialog(),
        active=screens.AUDIT,
    )
