"""A plain HTML ``<form>`` that the browser submits itself.

Reflex's ``rx.form``/``rx.el.form`` always attach a submit handler that calls ``preventDefault``
and turns the submit into a websocket event. Sign-in and sign-out must be real form posts (the
server answers with an HttpOnly cookie and a redirect), so they use this element instead.
"""

from __future__ import annotations

from reflex_base.components.component import field
from reflex_base.vars.base import Var
from reflex_components_core.el.elements.base import BaseHTML


class NativeForm(BaseHTML):
    tag = "form"

    action: Var[str] = field(doc="URL the browser posts the form to")
    method: Var[str] = field(doc="HTTP method")
    auto_complete: Var[str] = field(doc="on/off")


native_form = NativeForm.create
