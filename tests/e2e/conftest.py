"""Browser tests against the production build.

Once per test session:
- a database of its own (``dash_e2e_<pid>``), copied from the migrated template of tests/conftest.py and
  given a little waiting work (tests/e2e/data.py). Not ``test_db_url`` itself: the e2e rows are
  committed, and the ``db`` fixture promises every other test an empty schema in that database;
- ``reflex run --env prod`` on a free port (frontend and backend share it in prod), with
  ``DATABASE_URL`` pointing at that database, started through scripts/reflex-env.sh like the run script;
- Debian's Chromium driven by Playwright (closed when the e2e tests are done, see ``browser``).

A missing bun or Chromium fails the tests with a message saying what to install: they never skip.
The server's output goes to test-artifacts/e2e-server.log and is shown when it does not come up.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from dashboard.db import make_engine
from tests.conftest import create_database, drop_database
from tests.e2e.accounts import ADMIN_TOTP_SECRET, PASSWORD, email_for, insert_accounts
from tests.e2e.data import EXPECTED_COUNTS, insert_waiting_work

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
BUN_DEFAULT = ROOT / ".tools" / "bun" / "node_modules" / "bun" / "bin" / "bun.exe"
CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# First run on a fresh clone installs the frontend packages (bun, npm registry) before the build.
SERVER_START_TIMEOUT = float(os.environ.get("E2E_SERVER_TIMEOUT", "300"))
UI_TIMEOUT_MS = 15_000


@dataclass
class AppServer:
    url: str
    port: int
    log_path: Path
    start_seconds: float  # from `reflex run` to the first answered request (includes the prod build)
    timings: dict[str, float] = field(default_factory=dict)

    def record(self, name: str, seconds: float) -> None:
        """Keep a measured figure; all of them are written to test-artifacts/e2e-timings.json."""
        self.timings[name] = round(seconds, 3)
        ARTIFACTS.mkdir(exist_ok=True)
        figures = {"server_start_incl_prod_build_s": round(self.start_seconds, 3), **self.timings}
        (ARTIFACTS / "e2e-timings.json").write_text(json.dumps(figures, indent=2) + "\n")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _bun_path() -> Path:
    bun = Path(os.environ.get("REFLEX_BUN_PATH") or BUN_DEFAULT)
    if not (bun.is_file() and os.access(bun, os.X_OK)):
        pytest.fail(
            f"bun is not installed at {bun}: Reflex needs it to build the frontend. "
            "Run `scripts/bun.sh` (installs bun@1.4.4 from the npm registry into .tools/bun).",
            pytrace=False,
        )
    return bun


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no output)"


def _stop(proc: subprocess.Popen) -> None:
    """Stop the server and everything it started (its own process group)."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="session")
def e2e_expected_counts() -> dict[str, int]:
    """What the overview must show for the e2e database's rows."""
    return dict(EXPECTED_COUNTS)


@pytest.fixture(scope="session")
def e2e_db_url(pg_server_url: str, template_db: str) -> Iterator[str]:
    name = f"dash_e2e_{os.getpid()}"
    url = create_database(pg_server_url, name, template=template_db)
    engine = make_engine(url, poolclass=NullPool)
    try:
        with Session(engine) as session:
            insert_waiting_work(session)
            insert_accounts(session)
            session.commit()
    finally:
        engine.dispose()
    yield url
    drop_database(pg_server_url, name)


@pytest.fixture(scope="session")
def e2e_private_dir(tmp_path_factory) -> Path:
    """Private files (KYC documents, proofs) of the e2e server: never the developer's .data/."""
    return tmp_path_factory.mktemp("e2e-private")


@pytest.fixture(scope="session")
def app_server(e2e_db_url: str, e2e_private_dir: Path) -> Iterator[AppServer]:
    bun = _bun_path()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / "e2e-server.log"
    env = {
        **os.environ,
        "DATABASE_URL": e2e_db_url,
        "DASHBOARD_PRIVATE_FILES_DIR": str(e2e_private_dir),
        "DASHBOARD_ENV": "test",
        # CORS: the websocket handshake is refused (403) from any other origin.
        "DASHBOARD_ALLOWED_ORIGIN": url,
        # Every browser test signs in from 127.0.0.1, some accounts many times in a few minutes: lift the
        # sign-in throttle here (as for an office behind one address); tests/service/test_signin_oracle.py
        # checks the throttle itself.
        "DASHBOARD_SIGNIN_MAX_PER_ADDRESS": "10000",
        "DASHBOARD_SIGNIN_MAX_PER_EMAIL": "1000",
        "REFLEX_BUN_PATH": str(bun),
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        "bash",
        "-c",
        '. scripts/reflex-env.sh && exec "$0" -m reflex run --env prod --frontend-port "$1" --backend-host 127.0.0.1',
        sys.executable,
        str(port),
    ]
    started = time.monotonic()
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped as a whole
        )
    try:
        deadline = started + SERVER_START_TIMEOUT
        while not (_answers(url + "/ping") and _answers(url + "/")):
            if proc.poll() is not None:
                pytest.fail(
                    f"`reflex run --env prod` exited with code {proc.returncode} before serving {url}.\n"
                    f"--- last lines of {log_path} ---\n{_tail(log_path)}",
                    pytrace=False,
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"`reflex run --env prod` did not answer on {url} within {SERVER_START_TIMEOUT:.0f} s.\n"
                    f"--- last lines of {log_path} ---\n{_tail(log_path)}",
                    pytrace=False,
                )
            time.sleep(0.5)
        yield AppServer(url=url, port=port, log_path=log_path, start_seconds=time.monotonic() - started)
    finally:
        _stop(proc)


@pytest.fixture(scope="package")
def browser():
    """Chromium for the e2e package. Package scope on purpose: Playwright's sync API keeps an asyncio
    loop running while it is open, and ``asyncio.run()`` (page-state tests) fails inside one."""
    if not CHROMIUM.is_file():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: run `apt-get update && apt-get install -y chromium` "
            "(Playwright cannot download its own browsers here).",
            pytrace=False,
        )
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=UI_TIMEOUT_MS)
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        except PlaywrightError as exc:
            pytest.fail(f"Chromium at {CHROMIUM} did not start: {exc}", pytrace=False)
        yield chromium
        chromium.close()


def sign_in(page, key: str, *, next_path: str = "/") -> None:
    """Sign in through the login form as the account ``key`` (tests/e2e/accounts.py); ADMIN also
    passes the authenticator step with a code computed from its known secret."""
    from playwright.sync_api import expect

    page.goto("/login" + (f"?next={next_path}" if next_path != "/" else ""))
    page.locator("#email").fill(email_for(key))
    page.locator("#password").fill(PASSWORD)
    page.locator("#sign-in").click()
    if key == "ADMIN":
        import pyotp

        expect(page.get_by_role("heading", level=1)).to_have_text("Two-step sign-in")
        page.locator("#code").fill(pyotp.TOTP(ADMIN_TOTP_SECRET).now())
        page.locator("#verify").click()
    expect(page.get_by_test_id("officer-menu")).to_be_visible()


@pytest.fixture(scope="package")
def admin_storage(browser, app_server: AppServer) -> dict:
    """The ADMIN's signed-in browser storage (its HttpOnly session cookie), made once: an
    authenticator code can be used only once, so the admin signs in once per test package."""
    context = browser.new_context(base_url=app_server.url)
    tab = context.new_page()
    tab.set_default_timeout(UI_TIMEOUT_MS)
    sign_in(tab, "ADMIN")
    state = context.storage_state()
    context.close()
    return state


def _tab(browser, app_server: AppServer, storage_state: dict | None = None):
    context = browser.new_context(
        base_url=app_server.url, viewport={"width": 1366, "height": 860}, storage_state=storage_state
    )
    tab = context.new_page()
    tab.set_default_timeout(UI_TIMEOUT_MS)
    errors: list[str] = []
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.console_errors = errors
    return context, tab


@pytest.fixture
def page(browser, app_server: AppServer):
    """A fresh tab (own cookies and storage), not signed in; ``page.console_errors`` collects the
    browser console's errors and uncaught exceptions."""
    context, tab = _tab(browser, app_server)
    yield tab
    context.close()


@pytest.fixture
def admin_page(browser, app_server: AppServer, admin_storage: dict):
    """A fresh tab signed in as the ADMIN (who may open every screen)."""
    context, tab = _tab(browser, app_server, admin_storage)
    yield tab
    context.close()
