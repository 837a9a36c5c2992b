"""The app shell in a real browser: sidebar, overview figures from the database, navigation."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.engine import make_url

from dashboard.ui import screens as routes
from tests.e2e.conftest import ARTIFACTS, AppServer

pytestmark = pytest.mark.e2e

SIDEBAR_SCREENS = (*routes.SCREENS, *routes.RECORD_SCREENS)


def _nav(page: Page):
    return page.get_by_role("navigation", name="Main navigation")


def test_overview_lists_every_screen_and_shows_the_counts_from_the_database(
    admin_page: Page, app_server: AppServer, e2e_expected_counts: dict[str, int]
) -> None:
    page = admin_page
    started = time.monotonic()
    page.goto("/")

    nav = _nav(page)
    for screen in SIDEBAR_SCREENS:
        expect(nav.get_by_role("link", name=screen.title)).to_be_visible()
    expect(nav.locator("[aria-current=page]")).to_have_text(routes.OVERVIEW_SCREEN.title)
    expect(page.get_by_role("heading", level=1)).to_have_text("Overview")

    for key, count in e2e_expected_counts.items():
        expect(page.get_by_test_id(f"count-{key}").locator("[data-value]")).to_have_text(str(count))
    app_server.record("overview_time_to_data_s", time.monotonic() - started)
    expect(page.get_by_text(re.compile(r"Exact counts, read at \d\d:\d\d:\d\d UTC"))).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "shell.png"), full_page=True)
    assert page.console_errors == []


@pytest.mark.parametrize("screen", routes.SIGNED_IN_SCREENS[1:], ids=[s.route for s in routes.SIGNED_IN_SCREENS[1:]])
def test_the_sidebar_opens_each_screen(admin_page: Page, screen: routes.Screen) -> None:
    page = admin_page
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Overview")

    _nav(page).get_by_role("link", name=screen.title).click()

    expect(page).to_have_url(re.compile(re.escape(screen.route) + r"/?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(screen.title)
    expect(_nav(page).locator("[aria-current=page]")).to_have_text(screen.title)
    expect(page).to_have_title(f"{screen.title} · {routes.PRODUCT_NAME}")
    expect(page.get_by_test_id("access-denied")).to_have_count(0)
    assert page.console_errors == []


def test_a_count_card_opens_its_queue(admin_page: Page) -> None:
    page = admin_page
    page.goto("/")
    page.get_by_test_id("count-tickets_open").click()

    expect(page).to_have_url(re.compile(re.escape(routes.SUPPORT) + r"/?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(routes.screen_for(routes.SUPPORT).title)


def test_a_placeholder_opened_directly_is_served_by_the_prod_build(admin_page: Page) -> None:
    page = admin_page
    response = page.goto(routes.GROUPS)

    assert response is not None and response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text(routes.screen_for(routes.GROUPS).title)


def test_overview_says_when_the_database_is_unavailable_and_recovers(
    admin_page: Page, e2e_db_url: str, pg_server_url: str, e2e_expected_counts: dict[str, int]
) -> None:
    page = admin_page
    kyc_count = page.get_by_test_id("count-kyc_waiting").locator("[data-value]")
    page.goto("/")
    expect(kyc_count).to_have_text(str(e2e_expected_counts["kyc_waiting"]))

    # With the database gone even the session cannot be checked: the officer is told so, and
    # nothing on the page pretends to be fresh.
    with _database_unavailable(pg_server_url, make_url(e2e_db_url).database):
        page.get_by_role("button", name="Refresh").click()
        expect(page.get_by_text("The server could not check your session")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "shell-db-down.png"), full_page=True)

    page.get_by_role("button", name="Refresh").click()
    expect(kyc_count).to_have_text(str(e2e_expected_counts["kyc_waiting"]))


@contextmanager
def _database_unavailable(server_url: str, name: str) -> Iterator[None]:
    """Refuse new connections to database ``name`` and cut the open ones; undone on exit."""
    admin = make_url(server_url).set(database="postgres", drivername="postgresql")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
        try:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
            yield
        finally:
            conn.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
