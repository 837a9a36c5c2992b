"""Signing in, in a real browser: each staff role sees only its screens; customers are refused."""

from __future__ import annotations

import re

import pyotp
import pytest
from playwright.sync_api import Page, expect

from dashboard.ui import screens as routes
from dashboard.core.permissions import permissions_for
from dashboard.auth import rules as auth
from tests.e2e.accounts import ADMIN_TOTP_SECRET, PASSWORD, email_for
from tests.e2e.conftest import ARTIFACTS, sign_in

pytestmark = pytest.mark.e2e

NO_TOTP_ROLES = ["COMPLIANCE", "TREASURER", "MANAGER", "SUPPORT", "GROUP_OFFICER"]


def _nav(page: Page):
    return page.get_by_role("navigation", name="Main navigation")


def _expected_titles(role: str) -> list[str]:
    perms = {p.value for p in permissions_for(role)}
    return [screen.title for screen in routes.SIGNED_IN_SCREENS if screen.perm in perms]


@pytest.mark.parametrize("role", NO_TOTP_ROLES)
def test_each_role_sees_only_its_screens(page: Page, role: str) -> None:
    sign_in(page, role)

    nav = _nav(page)
    expected = _expected_titles(role)
    for title in expected:
        expect(nav.get_by_role("link", name=title)).to_be_visible()
    expect(nav.get_by_role("link")).to_have_count(len(expected) + 1)  # + the product name link
    expect(page.get_by_test_id("officer-menu")).to_contain_text(email_for(role))
    if role == "GROUP_OFFICER":  # no overview: group officers land on their approvals
        expect(page).to_have_url(re.compile(re.escape(routes.GROUPS) + r"/?$"))
    page.screenshot(path=str(ARTIFACTS / f"signed-in-{role.lower()}.png"), full_page=True)
    assert page.console_errors == []


@pytest.mark.parametrize(("role", "route"), [("SUPPORT", routes.KYC), ("MANAGER", routes.AUDIT), ("GROUP_OFFICER", routes.OVERVIEW)])
def test_a_screen_outside_the_role_shows_access_denied(page: Page, role: str, route: str) -> None:
    sign_in(page, role)
    page.goto(route)

    expect(page.get_by_test_id("access-denied")).to_be_visible()
    expect(page.get_by_text("You do not have permission to do this.")).to_be_visible()  # the toast


def test_admin_signs_in_with_an_authenticator_code(admin_page: Page) -> None:
    # admin_storage signed in through the form and the code step; the session it made works here.
    admin_page.goto("/")
    expect(admin_page.get_by_test_id("officer-menu")).to_contain_text(email_for("ADMIN"))
    expect(_nav(admin_page).get_by_role("link", name="Staff & sessions")).to_be_visible()


def test_admin_with_a_wrong_code_is_not_signed_in(page: Page) -> None:
    page.goto(routes.LOGIN)
    page.locator("#email").fill(email_for("ADMIN"))
    page.locator("#password").fill(PASSWORD)
    page.locator("#sign-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-step sign-in")
    right = pyotp.TOTP(ADMIN_TOTP_SECRET).now()
    page.locator("#code").fill("000000" if right != "000000" else "111111")
    page.locator("#verify").click()

    expect(page.get_by_role("alert")).to_contain_text(auth.BAD_CODE)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))


def test_a_customer_with_the_right_password_gets_the_unknown_email_answer(page: Page) -> None:
    """Issue 12, finding 3: the sign-in page says nothing about customer accounts."""
    page.goto(routes.LOGIN)
    page.locator("#email").fill(email_for("CUSTOMER"))
    page.locator("#password").fill(PASSWORD)
    page.locator("#sign-in").click()

    expect(page.get_by_role("alert")).to_contain_text(auth.BAD_CREDENTIALS)
    assert [c for c in page.context.cookies() if c["name"] == "bo_session"] == []
    page.screenshot(path=str(ARTIFACTS / "login-refused.png"), full_page=True)


def test_a_wrong_password_gets_the_same_message_as_an_unknown_email(page: Page) -> None:
    for email in (email_for("SUPPORT"), "nobody@e2e.test"):
        page.goto(routes.LOGIN)
        page.locator("#email").fill(email)
        page.locator("#password").fill("not-the-password-1")
        page.locator("#sign-in").click()
        expect(page.get_by_role("alert")).to_contain_text(auth.BAD_CREDENTIALS)


def test_the_session_cookie_is_http_only_and_strict(page: Page) -> None:
    sign_in(page, "MANAGER")
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "bo_session"]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert page.evaluate("document.cookie").find("bo_session") == -1  # page scripts cannot read it


def test_sign_out_ends_the_session_on_the_server(page: Page) -> None:
    sign_in(page, "TREASURER")
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "bo_session"]

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("alert")).to_contain_text("You are signed out.")

    # Even a copy of the old cookie no longer works: the server revoked the session.
    page.context.add_cookies([{k: cookie[k] for k in ("name", "value", "domain", "path")}])
    page.goto(routes.TRANSACTIONS)
    expect(page).to_have_url(re.compile(r"/login"))


def test_an_unsigned_visitor_is_sent_to_sign_in_and_back(page: Page) -> None:
    page.goto(routes.SUPPORT)
    expect(page).to_have_url(re.compile(r"/login\?next=/support"))
    page.screenshot(path=str(ARTIFACTS / "login.png"), full_page=True)
    page.locator("#email").fill(email_for("SUPPORT"))
    page.locator("#password").fill(PASSWORD)
    page.locator("#sign-in").click()
    expect(page).to_have_url(re.compile(re.escape(routes.SUPPORT) + r"/?$"))
