"""The permission matrix of the service layer: every public function of every domain's queries,
actions and files modules, called as every kind of caller, with junk arguments.

Any code can call a service (a page handler, a job, a test, a future API), so the service checks the
actor itself: ``@requires(Perm.X)`` runs before anything else. For each function and caller:

- no actor at all -> ``NotAuthenticated``;
- a role without the permission -> ``NotAllowed`` with the generic refusal, and nothing is written;
- a role with it -> never that refusal (a junk argument may be refused with a clear ``DomainError``,
  never an unhandled exception).
"""

from __future__ import annotations

import importlib
import inspect
import uuid
from pathlib import Path

import pytest
from sqlmodel import Session

from dashboard.core.actor import Actor
from dashboard.core.errors import DomainError, NotAllowed, NotAuthenticated
from dashboard.core.permissions import GROUP_OFFICER, NOT_PERMITTED, has_permission
from dashboard.models.enums import Role

ROOT = Path(__file__).resolve().parents[2]
SERVICE_FILES = ("queries.py", "actions.py", "files.py")
# Public functions that take a session but no signed-in actor, and why.
NO_ACTOR = {
    "dashboard.staff.actions.create_admin": "bootstraps the first administrator from the command line",
}
ROLES = [r.value for r in Role] + [GROUP_OFFICER]
JUNK = "'; DROP TABLE users; --"


def _service_modules() -> list[str]:
    found = []
    for path in sorted((ROOT / "dashboard").glob("*/*.py")):
        if path.name in SERVICE_FILES:
            found.append(".".join(path.relative_to(ROOT).with_suffix("").parts))
    return found


def _functions() -> list[tuple[str, object]]:
    out = []
    for name in _service_modules():
        module = importlib.import_module(name)
        for attr, fn in vars(module).items():
            if attr.startswith("_") or not inspect.isfunction(fn) or fn.__module__ != name:
                continue
            params = list(inspect.signature(fn).parameters)
            if params[:1] == ["session"]:
                out.append((f"{name}.{attr}", fn))
    return out


FUNCTIONS = _functions()
CHECKED = [(n, f) for n, f in FUNCTIONS if n not in NO_ACTOR]


def test_every_domain_service_module_is_found() -> None:
    modules = _service_modules()
    assert "dashboard.kyc.queries" in modules and "dashboard.kyc.actions" in modules
    assert "dashboard.kyc.queries.list_queue" in {n for n, _ in FUNCTIONS}


@pytest.mark.parametrize(("name", "fn"), FUNCTIONS, ids=[n for n, _ in FUNCTIONS])
def test_every_service_function_declares_its_permission(name: str, fn: object) -> None:
    if name in NO_ACTOR:
        assert not hasattr(fn, "__permission__")
        return
    assert getattr(fn, "__permission__", None) is not None, f"{name}: decorate it with @requires(Perm.X)"
    assert "actor" in inspect.signature(fn).parameters


def _kwargs(fn: object) -> dict[str, object]:
    """Junk for every required keyword argument besides the session and the actor."""
    out: dict[str, object] = {}
    for param in list(inspect.signature(inspect.unwrap(fn)).parameters.values())[1:]:
        if param.name != "actor" and param.default is inspect.Parameter.empty:
            out[param.name] = JUNK
    return out


def _actor(role: str) -> Actor:
    return Actor(user_id=uuid.uuid4(), email=f"{role.lower()}@matrix.test", role=role)


def _call(db: Session, fn: object, actor: object) -> BaseException | None:
    savepoint = db.begin_nested()
    try:
        fn(db, actor=actor, **_kwargs(fn))
    except DomainError as exc:
        return exc
    finally:
        savepoint.rollback()
    return None


CASES = [(n, f, role) for n, f in CHECKED for role in ROLES]


@pytest.mark.parametrize(("name", "fn", "role"), CASES, ids=[f"{n}-{r}" for n, _, r in CASES])
def test_service_outcome_matches_the_permission_table(db: Session, name: str, fn: object, role: str) -> None:
    outcome = _call(db, fn, _actor(role))
    refused = isinstance(outcome, NotAllowed) and str(outcome) == NOT_PERMITTED
    assert refused == (not has_permission(role, fn.__permission__)), (name, role, outcome)


@pytest.mark.parametrize(("name", "fn"), CHECKED, ids=[n for n, _ in CHECKED])
def test_service_without_an_actor_asks_to_sign_in(db: Session, name: str, fn: object) -> None:
    assert isinstance(_call(db, fn, None), NotAuthenticated)
