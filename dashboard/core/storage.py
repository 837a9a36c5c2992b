"""Private file storage: KYC documents, payment proofs and ticket attachments.

Files live under ``settings.private_files_dir`` (default ``.data/private``), which is outside
``assets/`` and outside Reflex's upload folder, so no web route serves them. The dashboard reads a
file only through an authorised service that audits the view. Keys are relative POSIX paths.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from dashboard.config import get_settings
from dashboard.core.errors import NotFound

_KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")


class InvalidStorageKey(ValueError):
    pass


def root() -> Path:
    return Path(get_settings().private_files_dir).resolve()


def path_for(key: str, *, base: Path | None = None) -> Path:
    """The file for ``key``; refuses absolute paths, ``..`` and anything escaping the root."""
    if not isinstance(key, str) or not _KEY_RE.match(key) or ".." in PurePosixPath(key).parts:
        raise InvalidStorageKey(f"invalid storage key: {key!r}")
    base = (base or root()).resolve()
    path = (base / key).resolve()
    if base not in path.parents:
        raise InvalidStorageKey(f"invalid storage key: {key!r}")
    return path


def stored_file(key: str, *, unsafe: str, missing: str) -> Path:
    """The file stored under ``key`` for serving: ``NotFound(unsafe)`` when the key could point outside
    the private folder, ``NotFound(missing)`` when nothing is there."""
    try:
        path = path_for(key)
    except InvalidStorageKey:
        raise NotFound(unsafe) from None
    if not path.is_file():
        raise NotFound(missing)
    return path


def write(key: str, data: bytes, *, base: Path | None = None) -> str:
    """Store ``data`` under ``key``; return its SHA-256."""
    path = path_for(key, base=base)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return hashlib.sha256(data).hexdigest()


def read(key: str, *, base: Path | None = None) -> bytes:
    return path_for(key, base=base).read_bytes()


@dataclass(frozen=True)
class ServedFile:
    """A private file an authorised, audited lookup has located, and how a browser may show it (read by
    the private-file routes, ``dashboard/web/private_files.py``)."""

    path: Path
    media_type: str
    file_name: str  # already safe to quote in a Content-Disposition header
    inline: bool = True  # False: sent as a download
    sandbox: bool = True  # False only where the browser's viewer will not run sandboxed (KYC PDFs)
