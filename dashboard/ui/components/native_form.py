"""A plain HTML ``<form>`` that the browser submits itself.

Reflex's ``rx.form``/``rx.el.form`` always attach a submit handler that calls ``preventDefault``
and turns the submit into a websocket event. Sign-in and sign-out must be real form posts (the
server answers with an HttpOnly cookie and a redirect), so they use this element instead.

The ``action`` is the relative path (right in production, where one port serves the frontend and
the backend, and without JavaScript); just before the browser submits, a small handler points it at
the backend's own origin, which differs in development (another port). It does not cancel the
submit.
"""

from __future__ import annotations

import reflex as rx
from reflex_base.components.component import field
from reflex_base.constants import Dirs
from reflex_base.utils.imports import ImportVar
from reflex_base.vars import VarData
from reflex_base.vars.base import Var
from reflex_components_core.el.elements.base import BaseHTML


class NativeForm(BaseHTML):
    tag = "form"

    action: Var[str] = field(doc="URL the browser posts the form to")
    method: Var[str] = field(doc="HTTP method")
    auto_complete: Var[str] = field(doc="on/off")


def _retarget(path: str) -> Var:
    return Var(
        _js_expr=(
            "((ev) => { try { ev.currentTarget.action = getBackendURL(env.PING).origin + "
            f"{path!r}; }} catch (e) {{}} }})"
        ),
        _var_data=VarData(
            imports={
                "$/env.json": [ImportVar(tag="env", is_default=True)],
                f"$/{Dirs.STATE_PATH}": [ImportVar(tag="getBackendURL")],
            }
        ),
    )


def native_form(*children: rx.Component, action: str, **props) -> rx.Component:
    """A form the browser posts to the backend path ``action`` (e.g. ``routes.AUTH_LOGIN``)."""
    custom = dict(props.pop("custom_attrs", {}) or {})
    custom["onSubmit"] = _retarget(action)
    return NativeForm.create(*children, action=action, method="post", custom_attrs=custom, **props)
