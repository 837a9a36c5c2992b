"""Files an officer asked for, fetched once over plain HTTP instead of through the websocket.

An export writes its file under ``<private folder>/downloads/`` (``open_file``) and then ``offer``s it in
the same transaction as its audit entry: a random token (only its hash is stored), bound to the officer's
sign-in session, valid for ``TTL`` (5 minutes). The page then navigates to ``/_download/<token>``;
``take`` hands the file to that same session only, once (the row is deleted as it is taken; another
session, an expired or an already used token all read as "not found"). Expired offers and their files
are swept whenever a new one is made. Served by ``dashboard/web/downloads.py``.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

import sqlalchemy as sa
from sqlmodel import Session

from dashboard.core import storage
from dashboard.core.actor import Actor
from dashboard.core.errors import NotAuthenticated, NotFound
from dashboard.models.downloads import PendingDownload

TTL = timedelta(minutes=5)
PREFIX = "/_download/"
FOLDER = "downloads"
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
_NAME_RE = re.compile(r"[^A-Za-z0-9._-]+")
GONE = "This download has expired or was already used. Export again."


@dataclass(frozen=True)
class Taken:
    path: Path
    file_name: str
    media_type: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_key(suffix: str = ".csv") -> str:
    """A fresh storage key under the downloads folder (random: nothing guessable on disk)."""
    return f"{FOLDER}/{uuid.uuid4().hex}{suffix}"


def open_file(key: str, *, base: Path | None = None) -> IO[bytes]:
    """Open the file for ``key`` for writing (binary), its folder made if missing, private to the user."""
    path = storage.path_for(key, base=base)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    return open(path, "xb", opener=lambda p, flags: os.open(p, flags, 0o600))


def discard(key: str, *, base: Path | None = None) -> None:
    try:
        storage.path_for(key, base=base).unlink(missing_ok=True)
    except (OSError, storage.InvalidStorageKey):
        pass


def sweep(session: Session, *, base: Path | None = None) -> int:
    """Forget the expired offers and delete their files."""
    keys = session.execute(
        sa.delete(PendingDownload).where(PendingDownload.expires_at <= sa.func.now())
        .returning(PendingDownload.storage_key)
    ).scalars().all()
    for key in keys:
        discard(key, base=base)
    return len(keys)


def offer(session: Session, *, actor: Actor, key: str, file_name: str, media_type: str = "text/csv",
          base: Path | None = None) -> str:
    """Offer the file written under ``key`` to the officer's session; return its URL (``/_download/...``)."""
    if actor.session_id is None or actor.user_id is None:
        raise NotAuthenticated("Please sign in.")
    sweep(session, base=base)
    token = secrets.token_urlsafe(32)
    size = storage.path_for(key, base=base).stat().st_size
    session.add(PendingDownload(
        token_hash=_hash(token), session_id=actor.session_id, user_id=actor.user_id, storage_key=key,
        file_name=_NAME_RE.sub("-", file_name)[:200] or "download", media_type=media_type, size_bytes=size,
        expires_at=datetime.now(UTC) + TTL,
    ))
    session.flush()
    return PREFIX + token


def take(session: Session, *, actor: Actor, token: str) -> Taken:
    """The offered file, for the session it was offered to, once. ``NotFound`` otherwise."""
    if not isinstance(token, str) or not _TOKEN_RE.match(token) or actor.session_id is None:
        raise NotFound(GONE)
    row = session.execute(
        sa.delete(PendingDownload)
        .where(PendingDownload.token_hash == _hash(token), PendingDownload.session_id == actor.session_id,
               PendingDownload.expires_at > sa.func.now())
        .returning(PendingDownload.storage_key, PendingDownload.file_name, PendingDownload.media_type)
    ).first()
    if row is None:
        raise NotFound(GONE)
    key, name, media = row
    path = storage.path_for(key)
    if not path.is_file():
        raise NotFound(GONE)
    return Taken(path, name, media)
