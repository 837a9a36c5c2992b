"""The audit log and the staff page in a real browser (ADMIN)."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from dashboard.ui import screens as routes
from tests.e2e.accounts import PASSWORD
from tests.e2e.conftest import ARTIFACTS

pytestmark = pytest.mark.e2e


def test_the_audit_log_lists_sign_ins_opens_an_entry_and_verifies_the_chain(admin_page: Page) -> None:
    page = admin_page
    page.goto(routes.AUDIT)

    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    rows = page.get_by_test_id("audit-row")
    expect(rows.first).to_be_visible()
    expect(page.get_by_test_id("audit-table")).to_contain_text("auth.sign_in")

    page.get_by_test_id("verify-chain").click()
    expect(page.get_by_test_id("verify-result")).to_contain_text("Chain intact")

    rows.first.get_by_test_id("open-entry").click()
    expect(page.get_by_test_id("entry-dialog")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "audit-entry.png"), full_page=True)
    page.keyboard.press("Escape")
    page.screenshot(path=str(ARTIFACTS / "audit.png"), full_page=True)
    assert page.console_errors == []


def test_admin_creates_a_staff_member_who_can_then_sign_in(admin_page: Page, browser, app_server) -> None:
    page = admin_page
    email = f"new-agent-{uuid.uuid4().hex[:6]}@e2e.test"
    page.goto(routes.STAFF)
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff & sessions")
    expect(page.get_by_test_id("staff-row").first).to_be_visible()

    page.get_by_role("button", name="New staff member").click()
    dialog = page.get_by_test_id("create-dialog")
    dialog.locator("#new-email").fill(email)
    dialog.locator("#new-first-name").fill("Nia")
    dialog.locator("#new-last-name").fill("Agent")
    dialog.locator("#new-password").fill(PASSWORD)
    dialog.get_by_test_id("create-submit").click()

    expect(page.locator(f'[data-testid=staff-row][data-email="{email}"]')).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "staff.png"), full_page=True)

    other = browser.new_context(base_url=app_server.url)
    tab = other.new_page()
    tab.goto(routes.LOGIN)
    tab.locator("#email").fill(email)
    tab.locator("#password").fill(PASSWORD)
    tab.locator("#sign-in").click()
    expect(tab.get_by_test_id("officer-menu")).to_contain_text(email)
    expect(tab.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Support inbox")).to_be_visible()
    other.close()


def test_a_short_password_is_refused_with_a_clear_message(admin_page: Page) -> None:
    page = admin_page
    page.goto(routes.STAFF)
    page.get_by_role("button", name="New staff member").click()
    dialog = page.get_by_test_id("create-dialog")
    dialog.locator("#new-email").fill(f"short-{uuid.uuid4().hex[:6]}@e2e.test")
    dialog.locator("#new-first-name").fill("Sho")
    dialog.locator("#new-last-name").fill("Rt")
    dialog.locator("#new-password").fill("short")
    dialog.get_by_test_id("create-submit").click()
    expect(dialog).to_contain_text(re.compile("at least 12 characters"))
