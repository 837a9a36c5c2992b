"""Issue 12, finding 7: exports reach the browser through ``/_download/<token>`` (authorised, bound to
the session that asked, single use, short-lived, never cached), audited once when made."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session

from dashboard import models as m
from dashboard.audit import export
from dashboard.auth.sessions import resolve_session
from dashboard.core.longwork import run_long
from tests.service.private_files_client import client, views
from tests.ui.signin import open_session, staff_user


def _export(engine: Engine, token: str, private_dir: Path) -> str:
    with Session(engine) as s, s.begin():
        actor = resolve_session(s, token=token)
    url, _ = asyncio.run(run_long(export.export_download, actor=actor, filters={}, file_name="audit-x.csv",
                                  base=private_dir))
    return url


def _officers(engine: Engine) -> tuple[str, str]:
    with Session(engine) as s, s.begin():
        admin = staff_user(s, "COMPLIANCE")
        first, _ = open_session(s, admin)
        second, _ = open_session(s, admin)  # the same officer, another sign-in
    return first, second


def test_an_export_is_fetched_once_by_its_own_session(app_engine: Engine, private_dir: Path) -> None:
    token, other = _officers(app_engine)
    url = _export(app_engine, token, private_dir)

    assert url.startswith("/_download/") and views(app_engine, "audit.export") == 1
    assert client().get(url).status_code == 401  # no session
    assert client(other).get(url).status_code == 404  # another session of the same officer
    response = client(token).get(url)
    assert response.status_code == 200
    assert response.headers["cache-control"].startswith("no-store")
    assert response.headers["content-disposition"] == 'attachment; filename="audit-x.csv"'
    assert next(csv.reader(io.StringIO(response.content.decode())))[0] == "seq"
    assert client(token).get(url).status_code == 404  # single use
    assert list((private_dir / "downloads").iterdir()) == []  # deleted once sent
    assert views(app_engine, "audit.export") == 1  # audited once, when made


def test_an_expired_download_is_refused_and_swept(app_engine: Engine, private_dir: Path) -> None:
    token, _ = _officers(app_engine)
    url = _export(app_engine, token, private_dir)
    with app_engine.begin() as conn:
        conn.execute(sa.text("UPDATE pending_downloads SET created_at = now() - interval '10 minutes', "
                             "expires_at = now() - interval '5 minutes'"))

    assert client(token).get(url).status_code == 404
    _export(app_engine, token, private_dir)  # a new offer sweeps the expired one and its file
    with Session(app_engine) as s:
        assert s.execute(sa.select(sa.func.count()).select_from(m.PendingDownload)).scalar_one() == 1
    assert len(list((private_dir / "downloads").iterdir())) == 1


def test_a_made_up_token_is_not_found(app_engine: Engine) -> None:
    token, _ = _officers(app_engine)
    assert client(token).get("/_download/" + "A" * 43).status_code == 404
    assert client(token).get("/_download/..%2F..%2Fetc").status_code == 404
