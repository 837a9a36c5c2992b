"""The transaction queues in a real browser (TREASURER): approve a deposit, decline a withdrawal with a
reason, bulk-approve three deposits, and a maker-checker withdrawal completed by a second treasurer."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from dashboard.ui import screens as routes
from tests.e2e.accounts import PASSWORD
from tests.e2e.conftest import ARTIFACTS, UI_TIMEOUT_MS, _tab, sign_in
from tests.e2e.transactions_data import SECOND_TREASURER, TxData, status_of, tx_data  # noqa: F401

pytestmark = pytest.mark.e2e


@pytest.fixture
def treasurer_page(browser, app_server):
    context, tab = _tab(browser, app_server)
    sign_in(tab, "TREASURER", next_path=routes.TRANSACTIONS)
    yield tab
    context.close()


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"transactions-{name}.png"), full_page=True)


def _open_by_search(page: Page, text: str, reference: str) -> None:
    page.locator("#tx-filter-search").fill(text)
    page.get_by_test_id("apply-filters").click()
    row = page.locator(f'[data-testid=tx-row][data-reference="{reference}"]')
    expect(row).to_be_visible()
    row.get_by_test_id("open-item").click()
    expect(page.get_by_test_id("detail-panel")).to_be_visible()
    expect(page.get_by_test_id("detail-panel")).to_contain_text(reference)


def test_a_treasurer_approves_a_deposit(treasurer_page: Page, tx_data: TxData, e2e_db_url: str) -> None:
    page = treasurer_page
    page.goto(routes.TRANSACTIONS)
    expect(page.get_by_role("heading", level=1)).to_have_text("Transaction queues")
    expect(page.get_by_test_id("tx-row").first).to_be_visible()
    _shot(page, "queue")
    _open_by_search(page, "BANK-E2E-1", tx_data.deposit_ref)
    panel = page.get_by_test_id("detail-panel")
    expect(panel).to_contain_text("Approved")  # KYC status
    expect(panel).to_contain_text("$20,000.00")  # portfolio cash
    _shot(page, "detail")
    panel.get_by_test_id("approve").click()
    expect(panel).to_contain_text("This item is no longer pending.")
    expect(panel.get_by_test_id("detail-history")).to_contain_text("Completed")
    assert status_of(e2e_db_url, tx_data.deposit_ref) == "COMPLETED"
    _shot(page, "approved")
    assert page.console_errors == []


def test_a_treasurer_declines_a_withdrawal_with_a_reason(treasurer_page: Page, tx_data: TxData, e2e_db_url: str) -> None:
    page = treasurer_page
    page.goto(f"{routes.TRANSACTIONS}?tab=deposits&item={tx_data.withdrawal}")
    panel = page.get_by_test_id("detail-panel")
    expect(panel).to_contain_text(tx_data.withdrawal_ref)
    panel.get_by_test_id("decline").click()
    expect(page.get_by_test_id("detail-error")).to_contain_text("A reason is required")
    assert status_of(e2e_db_url, tx_data.withdrawal_ref) == "PENDING"
    panel.locator("#tx-reason").fill("Destination account not verified")
    panel.get_by_test_id("decline").click()
    expect(panel).to_contain_text("Destination account not verified")
    expect(panel).to_contain_text("This item is no longer pending.")
    assert status_of(e2e_db_url, tx_data.withdrawal_ref) == "DECLINED"
    _shot(page, "declined")


def test_a_treasurer_bulk_approves_three_deposits(treasurer_page: Page, tx_data: TxData, e2e_db_url: str) -> None:
    page = treasurer_page
    page.goto(routes.TRANSACTIONS)
    page.locator("#tx-filter-user").fill(tx_data.bulk_email)
    page.get_by_test_id("apply-filters").click()
    expect(page.get_by_test_id("tx-row")).to_have_count(3)
    page.get_by_test_id("select-page").click()
    expect(page.get_by_text("3 selected")).to_be_visible()
    page.get_by_test_id("bulk-approve").click()
    dialog = page.get_by_test_id("bulk-dialog")
    expect(dialog).to_contain_text("3 pending items")
    expect(dialog).to_contain_text("$750.00")
    _shot(page, "bulk-confirm")
    dialog.get_by_test_id("bulk-confirm").click()
    results = page.get_by_test_id("bulk-results")
    expect(results).to_contain_text("3 of 3 items done")
    expect(page.locator("[data-testid=bulk-result][data-outcome=done]")).to_have_count(3)
    expect(page.get_by_test_id("tx-row")).to_have_count(0)
    assert [status_of(e2e_db_url, ref) for ref in tx_data.bulk_refs] == ["COMPLETED"] * 3
    _shot(page, "bulk-done")


def test_maker_checker_needs_a_second_treasurer(treasurer_page: Page, tx_data: TxData, e2e_db_url: str,
                                                browser, app_server) -> None:
    page = treasurer_page
    page.goto(f"{routes.TRANSACTIONS}?item={tx_data.big}")
    panel = page.get_by_test_id("detail-panel")
    expect(panel).to_contain_text("$12,500.00")
    panel.get_by_test_id("approve").click()
    expect(panel).to_contain_text("Awaiting Second Approval")
    expect(panel.get_by_test_id("approve")).to_have_text("Give second approval")
    panel.get_by_test_id("approve").click()  # the same treasurer cannot complete it
    expect(page.get_by_test_id("detail-error")).to_contain_text("different treasurer")
    assert status_of(e2e_db_url, tx_data.big_ref) == "AWAITING_SECOND_APPROVAL"
    _shot(page, "maker")

    context, other = _tab(browser, app_server)
    try:
        other.goto(routes.LOGIN + f"?next={routes.TRANSACTIONS}")
        other.locator("#email").fill(SECOND_TREASURER)
        other.locator("#password").fill(PASSWORD)
        other.locator("#sign-in").click()
        expect(other.get_by_test_id("officer-menu")).to_be_visible(timeout=UI_TIMEOUT_MS)
        other.goto(f"{routes.TRANSACTIONS}?item={tx_data.big}")
        panel2 = other.get_by_test_id("detail-panel")
        expect(panel2).to_contain_text(tx_data.big_ref)
        panel2.get_by_test_id("approve").click()
        expect(panel2).to_contain_text("This item is no longer pending.")
        expect(panel2.get_by_test_id("detail-history")).to_contain_text("Awaiting Second Approval")
        assert status_of(e2e_db_url, tx_data.big_ref) == "COMPLETED"
        _shot(other, "checker")
        assert other.console_errors == []
    finally:
        context.close()
