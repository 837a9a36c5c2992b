"""Keyset paging shared by the list pages (KYC queue, support inbox, group requests).

A page state keeps ``page_number``, ``loading``, ``_starts`` (the cursor each visited page started
after; ``""`` is the first page) and ``_next_cursor``, and has ``async _read(start) -> bool`` that
loads the page after ``start``. Its guarded handlers delegate here, so each page still declares
its own permission; these helpers do no access checks of their own and are never handlers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any


def reset(state: Any) -> None:
    """Back to the first page (after a filter or sort change)."""
    state.page_number = 1
    state._starts = [""]


async def next_page(state: Any) -> AsyncIterator[None]:
    if not state._next_cursor:
        return
    state.loading = True
    yield
    start = state._next_cursor
    if await state._read(start):
        state._starts = [*state._starts[: state.page_number], start]
        state.page_number += 1


async def prev_page(state: Any) -> AsyncIterator[None]:
    if state.page_number <= 1:
        return
    state.loading = True
    yield
    starts = state._starts or [""]
    index = max(0, min(state.page_number - 2, len(starts) - 1))
    if await state._read(starts[index]):
        state.page_number = index + 1


async def first_page(state: Any) -> AsyncIterator[None]:
    state.loading = True
    yield
    if await state._read(""):
        reset(state)


def current_start(state: Any) -> str:
    """The cursor the page on screen started after (to re-read it in place)."""
    return state._starts[state.page_number - 1] if 0 < state.page_number <= len(state._starts) else ""
