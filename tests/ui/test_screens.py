"""Each screen is declared once (dashboard/ui/screens.py) and everything reads that declaration: the
app registers exactly those pages, each page's on-load handler checks the screen's own permission, and
the sidebar's sections come from the same entries."""

from __future__ import annotations

import pytest

import dashboard.dashboard as app_module
from dashboard.core.permissions import Perm
from dashboard.ui import screens
from dashboard.ui.auth_state import PUBLIC, permission_of

APP = app_module.app


def _route_key(route: str) -> str:
    return route.strip("/") or "index"


def test_the_app_registers_exactly_the_declared_screens() -> None:
    assert set(APP._unevaluated_pages) == {_route_key(s.route) for s in screens.ALL_SCREENS}
    assert len({s.route for s in screens.ALL_SCREENS}) == len(screens.ALL_SCREENS)


@pytest.mark.parametrize("screen", screens.ALL_SCREENS, ids=[s.route for s in screens.ALL_SCREENS])
def test_each_page_loads_through_a_handler_guarded_by_the_screens_permission(screen: screens.Screen) -> None:
    page = APP._unevaluated_pages[_route_key(screen.route)]
    assert page.title == f"{screen.title} · {screens.PRODUCT_NAME}"
    assert page.component is app_module.resolve(screen.page)
    handler = page.on_load
    state_cls = app_module.resolve(screen.on_load.rpartition(".")[0])
    assert handler.fn is state_cls.event_handlers[screen.on_load.rpartition(".")[2]].fn
    assert permission_of(state_cls, handler.fn) == screen.perm


def test_every_permission_is_a_known_one_and_sign_in_is_the_only_public_screen() -> None:
    for screen in screens.ALL_SCREENS:
        assert screen.perm == PUBLIC or screen.perm in set(Perm), screen
    assert {s.route for s in screens.ALL_SCREENS if s.perm == PUBLIC} == {screens.LOGIN, screens.LOGIN_2FA}
    assert all(s.section == "" for s in screens.ALL_SCREENS if s.perm == PUBLIC)


def test_the_sidebar_sections_come_from_the_registry() -> None:
    assert screens.SIGNED_IN_SCREENS == (screens.OVERVIEW_SCREEN, *screens.SCREENS, *screens.RECORD_SCREENS)
    assert [s.route for s in screens.RECORD_SCREENS] == [screens.AUDIT, screens.STAFF]
