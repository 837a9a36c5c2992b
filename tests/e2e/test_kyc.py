"""KYC review in a real browser (issue 4): a compliance officer opens the oldest case, views a document
(the image loads through the authorised route) and asks for a resubmission; a high-risk approval needs a
second officer.

Needs from tests/e2e/conftest.py: a session fixture ``e2e_private_dir`` (a temporary folder) that
``app_server`` passes to the server as ``DASHBOARD_PRIVATE_FILES_DIR``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from dashboard.ui import screens as routes
from dashboard.db import make_engine
from dashboard.models import ActivityLog, User
from tests.e2e.accounts import PASSWORD
from tests.e2e.conftest import ARTIFACTS, UI_TIMEOUT_MS
from tests.e2e.kyc_data import SECOND_OFFICER, KycCases, close_leftovers, insert_kyc_cases

pytestmark = pytest.mark.e2e


def _engine(url: str):
    return make_engine(url, poolclass=NullPool)


@pytest.fixture(scope="session")
def kyc_cases(e2e_db_url: str, e2e_private_dir: Path) -> KycCases:
    engine = _engine(e2e_db_url)
    try:
        with Session(engine) as session:
            cases = insert_kyc_cases(session, e2e_private_dir)
            session.commit()
    finally:
        engine.dispose()
    return cases


@pytest.fixture(scope="module", autouse=True)
def _queue_left_as_found(e2e_db_url: str) -> Iterator[None]:
    yield
    engine = _engine(e2e_db_url)
    try:
        with Session(engine) as session:
            close_leftovers(session)
            session.commit()
    finally:
        engine.dispose()


def _kyc_status(url: str, user_id: str) -> str:
    engine = _engine(url)
    try:
        with Session(engine) as session:
            return session.get(User, uuid.UUID(user_id)).kyc_status
    finally:
        engine.dispose()


def _sign_in_as(page: Page, email: str, next_path: str) -> None:
    page.goto(f"{routes.LOGIN}?next={next_path}")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#sign-in").click()
    expect(page.get_by_test_id("officer-menu")).to_be_visible()


def _image_loaded(page: Page, index: int = 0) -> bool:
    image = page.get_by_test_id("kyc-doc-image").nth(index)
    expect(image).to_be_visible()
    page.wait_for_function(
        "(el) => el.complete && el.naturalWidth > 0", arg=image.element_handle(), timeout=UI_TIMEOUT_MS
    )
    return True


def test_an_officer_rejects_the_oldest_case_with_a_retry_reason(page: Page, kyc_cases: KycCases,
                                                               e2e_db_url: str) -> None:
    _sign_in_as(page, "compliance@e2e.test", routes.KYC)
    expect(page.get_by_role("heading", level=1)).to_have_text("KYC review")
    rows = page.get_by_test_id("kyc-row")
    expect(rows.first).to_have_attribute("data-case", kyc_cases.low_case)
    expect(page.get_by_test_id("kyc-count-PENDING")).to_be_visible()
    expect(rows.first.get_by_test_id("kyc-sla")).to_contain_text("Overdue")
    page.screenshot(path=str(ARTIFACTS / "kyc-queue.png"), full_page=True)

    rows.first.get_by_test_id("kyc-open").click()
    header = page.get_by_test_id("kyc-case-header")
    expect(header).to_have_attribute("data-status", "UNDER_REVIEW")
    expect(page.get_by_test_id("kyc-claim")).to_contain_text("compliance@e2e.test")
    assert _image_loaded(page, 0)

    # the same document through the route, with this browser's cookie: bytes and no-store
    doc_url = page.get_by_test_id("kyc-doc-image").first.get_attribute("src")
    response = page.request.get(doc_url)
    assert response.status == 200 and response.headers["content-type"] == "image/jpeg"
    assert "no-store" in response.headers["cache-control"]
    page.screenshot(path=str(ARTIFACTS / "kyc-case.png"), full_page=True)

    page.get_by_test_id("kyc-reject").click()
    dialog = page.get_by_test_id("kyc-reject-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("#kyc-reason").click()
    page.get_by_role("option", name="Glare hides part of the document").click()
    dialog.locator("#kyc-note").fill("Glare over the MRZ; asked for a new photo.")
    page.screenshot(path=str(ARTIFACTS / "kyc-reject-dialog.png"), full_page=True)
    dialog.get_by_test_id("kyc-reject-submit").click()
    expect(dialog).to_be_hidden()
    expect(header).to_have_attribute("data-status", "RESUBMIT_REQUIRED")
    expect(page.get_by_test_id("kyc-approve")).to_have_count(0)

    page.get_by_test_id("kyc-back").click()
    expect(page.get_by_test_id("kyc-table")).to_be_visible()
    expect(page.locator(f'[data-testid=kyc-row][data-case="{kyc_cases.low_case}"]')).to_have_count(0)
    assert _kyc_status(e2e_db_url, kyc_cases.low_user) == "RESUBMIT_REQUIRED"

    engine = _engine(e2e_db_url)
    with Session(engine) as session:
        viewed = session.execute(sa.select(sa.func.count()).select_from(ActivityLog)
                                 .where(ActivityLog.action == "kyc.document_viewed")).scalar_one()
    engine.dispose()
    assert viewed >= 1
    assert page.console_errors == []


def test_a_high_risk_approval_needs_a_second_officer(page: Page, browser, app_server, kyc_cases: KycCases,
                                                      e2e_db_url: str) -> None:
    _sign_in_as(page, "compliance@e2e.test", f"{routes.KYC}?case={kyc_cases.high_case}")
    page.goto(f"{routes.KYC}?case={kyc_cases.high_case}")
    header = page.get_by_test_id("kyc-case-header")
    expect(header).to_have_attribute("data-status", "UNDER_REVIEW")
    expect(header).to_contain_text("High risk")
    expect(page.locator('[data-testid=kyc-compare-row][data-state="mismatch"]')).to_have_count(1)
    page.get_by_test_id("kyc-approve").click()
    page.get_by_test_id("kyc-approve-dialog-confirm").click()
    expect(header).to_have_attribute("data-status", "AWAITING_SECOND_REVIEW")
    expect(page.get_by_test_id("kyc-approve")).to_have_count(0)  # the first approver cannot confirm
    page.screenshot(path=str(ARTIFACTS / "kyc-first-approval.png"), full_page=True)
    assert _kyc_status(e2e_db_url, kyc_cases.high_user) == "UNDER_REVIEW"

    context = browser.new_context(base_url=app_server.url, viewport={"width": 1366, "height": 860})
    second = context.new_page()
    second.set_default_timeout(UI_TIMEOUT_MS)
    try:
        _sign_in_as(second, SECOND_OFFICER, routes.KYC)
        second.goto(f"{routes.KYC}?case={kyc_cases.high_case}")
        header2 = second.get_by_test_id("kyc-case-header")
        expect(header2).to_have_attribute("data-status", "AWAITING_SECOND_REVIEW")
        expect(header2).to_contain_text("First approval by compliance@e2e.test")
        assert _image_loaded(second, 0)
        second.get_by_test_id("kyc-approve").click()
        expect(second.get_by_test_id("kyc-approve-dialog")).to_contain_text("Confirm the second review")
        second.get_by_test_id("kyc-approve-dialog-confirm").click()
        expect(header2).to_have_attribute("data-status", "APPROVED")
        second.screenshot(path=str(ARTIFACTS / "kyc-second-approval.png"), full_page=True)
    finally:
        context.close()
    assert _kyc_status(e2e_db_url, kyc_cases.high_user) == "APPROVED"
