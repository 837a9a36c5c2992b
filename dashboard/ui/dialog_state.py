"""The one mechanism for a screen's decision dialogs (approve, reject, decline, pay...).

A state mixes it in, names its dialogs and the permission that opens them (both annotated ``ClassVar``:
Reflex turns an unannotated class attribute into a var)::

    class KycState(ListState, DialogState, AuthState):
        dialogs: ClassVar[tuple[str, ...]] = ("approve", "reject", "doc_reject")
        dialog_perm: ClassVar[str] = Perm.KYC_REVIEW

The view opens one with ``on_click=State.ask("approve", "")`` (the "" matters: Reflex fills a missing
argument with the trigger's event, a click's mouse data) and binds
``open=State.dialog == "approve", on_open_change=State.dialog_changed``; a submit handler runs its action
through ``_submit`` (busy while it runs, a refusal shown in the dialog as ``dialog_error``).

A dialog about one row (an account, a canned reply, the bulk action) opens with
``State.ask("deactivate", row["id"])``: the state's ``_prepare_dialog`` checks the target and sets its own
vars for it before the dialog opens.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import reflex as rx

from dashboard.ui.auth_state import DIALOGS, FAILED, guarded
from dashboard.ui.forms import choice_arg

T = TypeVar("T")


class DialogState(rx.State, mixin=True):
    dialogs: ClassVar[tuple[str, ...]] = ()
    dialog_perm: ClassVar[str] = DIALOGS

    dialog: str = ""  # the open dialog, "" when none
    dialog_error: str = ""
    busy: bool = False

    def _why_not_dialog(self, which: str) -> str:
        """Why ``which`` cannot open now ("" when it can), e.g. no item is open."""
        return ""

    async def _prepare_dialog(self, which: str, target: Any) -> str:
        """Before ``which`` opens for ``target`` (untrusted, "" when none): check it and set the state's
        own vars for it. Returns why it cannot open ("" when it can); may raise ``InvalidInput``."""
        return ""

    def _close_dialog(self) -> None:
        self.dialog = ""
        self.dialog_error = ""

    async def _submit(self, fn: Callable[..., T], /, *, failure: str = FAILED, **kwargs: Any) -> tuple[bool, T | None]:
        """Run the dialog's action as the signed-in officer; a refusal stays in the dialog."""
        self.busy = True
        try:
            ok, result = await self._run(fn, into="dialog_error", failure=failure, **kwargs)
        finally:
            self.busy = False
        if ok:
            self.dialog_error = ""
        return ok, result

    @guarded(DIALOGS)
    async def ask(self, which: Any, target: Any = ""):
        """Open one of the state's dialogs (for ``target``, a row it concerns)."""
        wanted = choice_arg(which, self.dialogs, "dialog")
        why = self._why_not_dialog(wanted) or await self._prepare_dialog(wanted, target)
        if why:
            yield rx.toast.error(why)
            return
        self.dialog_error = ""
        self.dialog = wanted

    @guarded(DIALOGS)
    async def dialog_changed(self, value: Any):
        """The dialog's own open/close (Escape, Cancel, the overlay): only closing is honoured, and not
        while the dialog's action runs."""
        if value is False and not self.busy:
            self._close_dialog()
