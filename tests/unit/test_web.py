"""The plain-HTTP package (``dashboard/web/``): no reflex, the health endpoint, and the refusals every
private-file route gives before it touches the database."""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest

with warnings.catch_warnings():  # starlette prefers httpx2; httpx (a Reflex dependency) works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from dashboard.web.app import build_auth_app
from dashboard.web.private_files import TABLE

WEB_MODULES = ("dashboard.web", "dashboard.web.app", "dashboard.web.auth", "dashboard.web.health",
               "dashboard.web.private_files")


def test_the_web_package_never_imports_reflex() -> None:
    script = f"import sys\nfor m in {WEB_MODULES!r}: __import__(m)\nprint('reflex' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_healthz_says_ok_without_a_session() -> None:
    response = TestClient(build_auth_app()).get("/healthz")
    assert response.status_code == 200 and response.text == "ok"
    assert response.headers["cache-control"] == "no-store"


def test_the_table_serves_the_four_kinds_of_private_file() -> None:
    assert [kind.path for kind in TABLE] == [
        "/_private/kyc/{item_id}",
        "/_private/proofs/gift-card/{item_id}",
        "/_private/proofs/transaction/{item_id}",
        "/_private/support/attachments/{item_id}",
    ]


@pytest.mark.parametrize("kind", TABLE, ids=lambda kind: kind.path)
def test_every_private_file_route_refuses_a_missing_session_with_the_private_headers(kind) -> None:
    response = TestClient(build_auth_app()).get(kind.path.format(item_id="0d4f2c1e-0000-4000-8000-000000000000"))
    assert response.status_code == 401
    assert response.text == f"Sign in to view this {kind.noun}."
    assert response.headers["cache-control"] == "no-store, private"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in response.headers["content-security-policy"]


def test_every_backend_response_carries_the_frame_and_content_policies() -> None:
    """Issue 12, finding 8: pages (mounted inside the auth app, as Reflex does) and the app's own routes
    send a CSP with frame-ancestors 'none' and X-Frame-Options DENY; private files keep their own CSP."""
    import warnings

    from starlette.responses import HTMLResponse

    from dashboard.web.app import build_auth_app
    from dashboard.web.private_files import SANDBOX_CSP, _plain

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    async def page(scope, receive, send):
        await HTMLResponse("<html>page</html>")(scope, receive, send)

    app = build_auth_app()
    app.mount("", page)  # what Reflex does with its backend (and, in production, the built pages)
    client = TestClient(app)
    for path in ("/", "/transactions", "/healthz"):
        response = client.get(path)
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], path
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
    assert client.get("/_download/" + "A" * 43).headers["content-security-policy"] == SANDBOX_CSP
    assert _plain(404, "x").headers["content-security-policy"] == SANDBOX_CSP
