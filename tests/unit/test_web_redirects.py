"""Where sign-in sends the browser next (dashboard/web/auth.py), without a database."""

from __future__ import annotations

import pytest

from dashboard.web.auth import safe_next


@pytest.mark.parametrize(
    "value",
    ["https://evil.example/", "//evil.example", "/\\evil.example", "javascript:alert(1)", "/_auth/logout",
     "/login", None, {"a": 1}, "/ok\r\nSet-Cookie: x=1"],
)
def test_next_never_leaves_the_site(value):
    assert safe_next(value) == "/"


def test_next_keeps_a_local_path():
    assert safe_next("/kyc?status=PENDING") == "/kyc?status=PENDING"

