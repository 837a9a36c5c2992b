"""Group approvals in a real browser: a 2-of-3 withdrawal request approved by two officers, the
requester sees Approve disabled with the reason, the payout runs and the ledger shows the debit."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from dashboard.ui import screens as routes
from dashboard.db import make_engine
from tests.e2e.accounts import PASSWORD
from tests.e2e.conftest import ARTIFACTS, UI_TIMEOUT_MS
from tests.e2e.groups_data import (
    FAILING_ACCOUNT,
    FAILING_GROUP_NAME,
    OWNER,
    TREASURER_1,
    TREASURER_2,
    GroupRequest,
    insert_group_request,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def group_request(e2e_db_url: str) -> GroupRequest:
    engine = make_engine(e2e_db_url, poolclass=NullPool)
    try:
        with Session(engine) as session:
            found = insert_group_request(session)
            session.commit()
    finally:
        engine.dispose()
    return found


@pytest.fixture(scope="session")
def failing_request(e2e_db_url: str) -> GroupRequest:
    """A request of its own group whose beneficiary account the sandbox provider always refuses."""
    engine = make_engine(e2e_db_url, poolclass=NullPool)
    try:
        with Session(engine) as session:
            found = insert_group_request(session, group_name=FAILING_GROUP_NAME, account_number=FAILING_ACCOUNT)
            session.commit()
    finally:
        engine.dispose()
    return found


def _sign_in_as(page: Page, email: str, next_path: str) -> None:
    page.goto(f"{routes.LOGIN}?next={next_path}")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#sign-in").click()
    expect(page.get_by_test_id("officer-menu")).to_be_visible()


def _as(browser, app_server, email: str, path: str):
    context = browser.new_context(base_url=app_server.url, viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)
    _sign_in_as(page, email, path)
    page.goto(path)
    return context, page


def test_two_officers_approve_and_pay_a_2_of_3_request(browser, app_server, group_request: GroupRequest) -> None:
    path = f"{routes.GROUPS}?request={group_request.request_id}"

    # the requester: the list shows the request; Approve is disabled and says why
    context, page = _as(browser, app_server, OWNER, routes.GROUPS)
    try:
        row = page.get_by_test_id("groups-row").filter(has_text="E2E withdrawal circle")
        expect(row).to_contain_text("₦125,000.00")
        expect(row).to_contain_text("0 of 2")
        page.screenshot(path=str(ARTIFACTS / "groups-list.png"), full_page=True)
        page.goto(path)
        expect(page.get_by_test_id("groups-balance")).to_have_text("₦500,000.00")
        expect(page.get_by_test_id("groups-approve")).to_be_disabled()
        expect(page.get_by_test_id("groups-approve-why")).to_contain_text("You requested this")
        expect(page.get_by_test_id("groups-pay-why")).to_contain_text("Quorum not met")
        page.screenshot(path=str(ARTIFACTS / "groups-requester.png"), full_page=True)
    finally:
        context.close()

    # first treasurer approves: 1 of 2
    context, page = _as(browser, app_server, TREASURER_1, path)
    try:
        page.get_by_test_id("groups-approve").click()
        expect(page.get_by_test_id("groups-request")).to_contain_text("1 of 2")
        expect(page.get_by_test_id("groups-approve-why")).to_contain_text("You already approved")
        page.screenshot(path=str(ARTIFACTS / "groups-first-approval.png"), full_page=True)
    finally:
        context.close()

    # second treasurer approves (quorum), then pays; the ledger shows the debit
    context, page = _as(browser, app_server, TREASURER_2, path)
    try:
        page.get_by_test_id("groups-approve").click()
        expect(page.get_by_test_id("groups-request")).to_contain_text("Approved")
        expect(page.get_by_test_id("groups-pay")).to_be_enabled()
        page.get_by_test_id("groups-pay").click()
        page.get_by_test_id("groups-pay-dialog-confirm").click()
        expect(page.get_by_test_id("groups-request")).to_contain_text("Paid")
        expect(page.get_by_test_id("groups-balance")).to_have_text("₦375,000.00")
        ledger = page.get_by_test_id("groups-ledger")
        expect(ledger).to_contain_text("DEBIT")
        expect(ledger).to_contain_text(f"PAYOUT-{group_request.request_id}")
        expect(page.get_by_test_id("groups-payouts")).to_contain_text("SUCCESS")
        expect(page.get_by_test_id("groups-pay")).to_be_disabled()
        page.screenshot(path=str(ARTIFACTS / "groups-paid.png"), full_page=True)
    finally:
        context.close()


def test_a_failed_payout_is_not_sent_again_by_pay_and_retry_is_explicit(browser, app_server,
                                                                        failing_request: GroupRequest) -> None:
    """Issue 12, finding 8: after a failed payout, Pay no longer calls the provider; "Retry payout"
    (with its own confirmation) makes exactly one more attempt."""
    path = f"{routes.GROUPS}?request={failing_request.request_id}"
    context, page = _as(browser, app_server, TREASURER_1, path)
    try:
        page.get_by_test_id("groups-approve").click()
        expect(page.get_by_test_id("groups-request")).to_contain_text("1 of 2")
    finally:
        context.close()
    context, page = _as(browser, app_server, TREASURER_2, path)
    try:
        page.get_by_test_id("groups-approve").click()
        expect(page.get_by_test_id("groups-request")).to_contain_text("Approved")
        page.get_by_test_id("groups-pay").click()
        page.get_by_test_id("groups-pay-dialog-confirm").click()
        attempts = page.get_by_test_id("groups-payouts").locator("tbody tr").first.locator("td").nth(3)
        expect(page.get_by_test_id("groups-payouts")).to_contain_text("FAILED")
        expect(attempts).to_have_text("1")
        expect(page.get_by_test_id("groups-pay")).to_be_disabled()
        expect(page.get_by_test_id("groups-retry")).to_be_enabled()
        expect(page.get_by_test_id("groups-balance")).to_have_text("₦500,000.00")  # nothing left the group
        page.screenshot(path=str(ARTIFACTS / "groups-payout-failed.png"), full_page=True)

        page.get_by_test_id("groups-retry").click()
        page.get_by_test_id("groups-retry-dialog-confirm").click()
        expect(attempts).to_have_text("2")  # exactly one more provider attempt
        expect(page.get_by_test_id("groups-payouts")).to_contain_text("FAILED")
        expect(page.get_by_test_id("groups-balance")).to_have_text("₦500,000.00")
        page.screenshot(path=str(ARTIFACTS / "groups-payout-retried.png"), full_page=True)
    finally:
        context.close()
