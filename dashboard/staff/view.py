"""The staff & sessions screen (``/staff``): the accounts tab, the sessions tab, and the dialogs."""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.staff import rules
from dashboard.staff.dialogs import dialogs, role_options
from dashboard.staff.state import StaffState as S
from dashboard.ui import screens
from dashboard.ui.auth_state import AuthState
from dashboard.ui.components import error_callout, layout, page_header
from dashboard.ui.components.data_table import data_table, filter_bar, labelled, status_badge
from dashboard.ui.components.filters import filter_error, list_pager
from dashboard.ui.components.page import empty_state
from dashboard.ui.forms import ALL

SCREEN = screens.STAFF_SCREEN
STATUS_COLOURS = {"Active": "green", "Locked": "amber", "Deactivated": "gray"}


def _row_menu(row: rx.Var) -> rx.Component:
    is_me = row["email"] == AuthState.officer_email
    return rx.dropdown_menu.root(
        rx.dropdown_menu.trigger(
            rx.icon_button(
                rx.icon("ellipsis", size=16),
                variant="ghost",
                color_scheme="gray",
                size="2",
                custom_attrs={"aria-label": "Actions for " + row["email"], "data-testid": "row-actions"},
            ),
        ),
        rx.dropdown_menu.content(
            rx.dropdown_menu.item(
                rx.icon("shield", size=14), "Change role…",
                on_select=S.ask("role", row["id"]),
                disabled=is_me,
            ),
            rx.dropdown_menu.item(
                rx.icon("key_round", size=14), "Reset password…",
                on_select=S.ask("password", row["id"]),
            ),
            rx.dropdown_menu.item(
                rx.icon("smartphone", size=14), "Reset two-step sign-in…",
                on_select=S.ask("two_factor", row["id"]),
                disabled=(row["two_factor"] != "On") | is_me,
            ),
            rx.dropdown_menu.separator(),
            rx.cond(
                row["is_active"] == "yes",
                rx.dropdown_menu.item(
                    rx.icon("user_x", size=14), "Deactivate…",
                    on_select=S.ask("deactivate", row["id"]),
                    color="red",
                    disabled=is_me,
                ),
                rx.dropdown_menu.item(
                    rx.icon("user_check", size=14), "Reactivate…",
                    on_select=S.ask("reactivate", row["id"]),
                ),
            ),
            align="end",
        ),
        modal=False,
    )


def _muted(text: rx.Var, **props: Any) -> rx.Component:
    return rx.text(text, size="2", color="var(--gray-11)", white_space="nowrap", **props)


def _staff_table_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.hstack(
                    rx.text(row["name"], size="2", weight="medium", color="var(--gray-12)"),
                    rx.cond(row["email"] == AuthState.officer_email, rx.badge("You", size="1", variant="soft")),
                    spacing="2",
                    align="center",
                ),
                rx.text(row["email"], size="1", color="var(--gray-11)"),
                spacing="0",
            ),
        ),
        rx.table.cell(rx.text(row["role_label"], size="2", white_space="nowrap")),
        rx.table.cell(
            rx.cond(
                row["status"] == "Locked",
                rx.tooltip(status_badge(row["status"], STATUS_COLOURS), content="Locked until " + row["locked_until"]),
                status_badge(row["status"], STATUS_COLOURS),
            )
        ),
        rx.table.cell(
            rx.cond(
                row["two_factor"] == "On",
                rx.hstack(rx.icon("shield_check", size=14, color="var(--green-11)"), rx.text("On", size="2"),
                          spacing="1", align="center"),
                _muted("Off"),
            )
        ),
        rx.table.cell(_muted(row["last_login"])),
        rx.table.cell(_muted(row["created"])),
        rx.table.cell(_row_menu(row), text_align="right"),
        align="center",
        custom_attrs={"data-testid": "staff-row", "data-email": row["email"]},
    )


def _filter(name: str) -> rx.Var:
    """The applied value of one of the list's filters ("" before the page has loaded)."""
    return rx.cond(S.filters[name], S.filters[name], "")


def _staff_tab() -> rx.Component:
    return rx.box(
        filter_bar(
            labelled(
                "Search",
                rx.debounce_input(
                    rx.input(
                        rx.input.slot(rx.icon("search", size=15)),
                        value=_filter("search"),
                        on_change=lambda value: S.set_filter("search", value),
                        placeholder="Name or email",
                        max_length=rules.MAX_SEARCH_LENGTH,
                        width="18rem",
                        id="staff-search",
                        type="search",
                    ),
                    debounce_timeout=350,
                ),
                html_for="staff-search",
            ),
            labelled(
                "Role",
                rx.select.root(
                    rx.select.trigger(width="12rem", id="staff-role-filter"),
                    rx.select.content(rx.select.item("All roles", value=ALL), *role_options()),
                    value=rx.cond(S.filters["role"], S.filters["role"], ALL),
                    on_change=lambda value: S.set_filter("role", value),
                ),
                html_for="staff-role-filter",
            ),
            rx.el.label(
                rx.hstack(
                    rx.switch(checked=_filter("inactive") == "yes", on_change=lambda on: S.set_filter("inactive", on),
                              id="staff-inactive"),
                    rx.text("Include deactivated", size="2"),
                    align="center",
                    spacing="2",
                    height="2rem",
                ),
            ),
            rx.spacer(),
            _refresh(),
            test_id="staff-filters",
        ),
        filter_error(S, "staff"),
        data_table(
            ["Staff member", ("Role", "10rem"), ("Status", "7.5rem"), ("Two-step", "6rem"), ("Last sign-in", "11rem"),
             ("Created", "11rem"), ("", "3rem")],
            S.rows,
            _staff_table_row,
            loading=S.loading,
            is_empty=S.rows.length() == 0,
            empty=rx.cond(
                S.error != "",
                empty_state("Nothing to show", "The list could not be read.", "circle_alert"),
                empty_state("No staff accounts match",
                            "Change the search or the role filter, or include deactivated accounts.", "users"),
            ),
            caption="Staff accounts",
            test_id="staff-table",
        ),
        list_pager(S, "staff", label=S.count_label),
    )


def _refresh() -> rx.Component:
    return rx.button(rx.icon("refresh_cw", size=14), "Refresh", on_click=S.refresh, variant="soft",
                     color_scheme="gray", loading=S.loading)


def _session_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.hstack(
                    rx.text(row["name"], size="2", weight="medium"),
                    rx.cond(row["is_current"] == "yes", rx.badge("This session", size="1", variant="soft")),
                    spacing="2",
                    align="center",
                ),
                rx.text(row["email"], size="1", color="var(--gray-11)"),
                spacing="0",
            )
        ),
        rx.table.cell(
            rx.vstack(
                rx.text(row["device"], size="2"),
                rx.cond(row["status"] != "Signed in", rx.text(row["status"], size="1", color="var(--amber-11)")),
                spacing="0",
            )
        ),
        rx.table.cell(rx.code(row["ip_address"], variant="ghost", size="2")),
        rx.table.cell(_muted(row["created"])),
        rx.table.cell(_muted(row["last_active"])),
        rx.table.cell(_muted(row["expires"])),
        rx.table.cell(
            rx.button(
                "Revoke",
                on_click=S.ask("revoke", row["id"]),
                variant="soft",
                color_scheme="red",
                size="1",
                custom_attrs={"aria-label": "Revoke the session of " + row["email"]},
            ),
            text_align="right",
        ),
        align="center",
        custom_attrs={"data-testid": "session-row"},
    )


def _sessions_tab() -> rx.Component:
    return rx.box(
        rx.flex(
            rx.text(
                "Back-office sessions that are signed in now (or waiting for the second step). "
                "Ending one signs that browser out at its next action.",
                size="2",
                color="var(--gray-11)",
            ),
            _refresh(),
            justify="between",
            align="center",
            gap="3",
            margin_bottom="1rem",
        ),
        data_table(
            ["User", ("Device", "9rem"), ("IP address", "9rem"), ("Signed in", "10.5rem"), ("Last active", "10.5rem"),
             ("Expires", "10.5rem"), ("", "5rem")],
            S.rows,
            _session_row,
            loading=S.loading,
            is_empty=S.rows.length() == 0,
            empty=empty_state("No open sessions", "Nobody is signed in to the back office right now.", "monitor"),
            caption="Open sessions",
            test_id="sessions-table",
        ),
        list_pager(S, "sessions", label=S.count_label),
    )


def staff_page() -> rx.Component:
    return layout(
        page_header(
            SCREEN.title,
            SCREEN.summary,
            rx.button(rx.icon("user_plus", size=15), "New staff member", on_click=S.ask("create", ""),
                      custom_attrs={"data-testid": "new-staff"}),
        ),
        rx.cond(S.error != "", error_callout(S.error)),
        rx.tabs.root(
            rx.tabs.list(
                rx.tabs.trigger("Staff", value=rules.STAFF_TAB),
                rx.tabs.trigger("Active sessions", value=rules.SESSIONS_TAB),
            ),
            rx.tabs.content(_staff_tab(), value=rules.STAFF_TAB, padding_top="1.25rem"),
            rx.tabs.content(_sessions_tab(), value=rules.SESSIONS_TAB, padding_top="1.25rem"),
            value=S.tab,
            on_change=S.show_tab,
        ),
        *dialogs(),
        active=SCREEN.route,
    )
