"""Signed checkpoints of the audit chain's head, kept outside the database.

The keyed chain (``chain.py``) stops anyone without the audit key from editing, inserting or
re-hashing rows, but deleting the *newest* rows leaves a shorter chain that is still valid. So the
head is anchored outside the database: ``python -m dashboard.cli audit checkpoint`` (run periodically
by the job engine, and after every successful ``audit verify``) appends one line to
``<DASHBOARD_AUDIT_CHECKPOINT_DIR>/<database>.jsonl``::

    {"at": ..., "db": ..., "id": ..., "legacy_until": ..., "row_hash": ..., "rows": ..., "seq": ..., "v": 1, "mac": ...}

``mac`` is HMAC-SHA256 over the other fields (canonical JSON) with a key derived from the audit key,
so a checkpoint cannot be forged or edited without the key. ``legacy_until`` is the last seq allowed
to use the unkeyed SHA-256 scheme (``hash_version`` 1), so turning keyed rows back into unkeyed ones
is caught too. ``verify_chain`` checks the last checkpoint: its row must still be there with the same
hash. Rows written after the last checkpoint are only protected by the key: checkpoint often.
"""

from __future__ import annotations

import hmac
import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dashboard.audit.chain import audit_key
from dashboard.config import get_settings

FORMAT = 1
_TAIL_BYTES = 64 * 1024  # a line is about 300 bytes: the last one is always in the last 64 KiB


class CheckpointError(Exception):
    """The checkpoint file cannot be trusted: unreadable, malformed, or a signature does not match."""


@dataclass(frozen=True)
class Checkpoint:
    db: str
    seq: int
    id: str
    row_hash: str
    legacy_until: int | None  # the last seq that may use hash_version 1; None: none may
    rows: int
    at: str  # ISO time (UTC) the checkpoint was signed

    def label(self) -> str:
        return f"the checkpoint of seq {self.seq} signed at {self.at}"


def _mac(payload: dict) -> str:
    key = hmac.digest(audit_key(), b"dashboard.audit.checkpoint.v1", "sha256")
    body = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return hmac.digest(key, body, "sha256").hex()


def checkpoint_file(db: str, folder: Path | None = None) -> Path:
    folder = Path(folder) if folder is not None else Path(get_settings().audit_checkpoint_dir)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in db) or "_"
    return folder / f"{safe}.jsonl"


def parse_line(line: str, db: str) -> Checkpoint:
    """One line of the file, its signature checked; ``CheckpointError`` when it does not hold."""
    try:
        payload = json.loads(line)
        mac = payload.pop("mac")
        fields = {name: payload[name] for name in Checkpoint.__dataclass_fields__}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise CheckpointError("a checkpoint line is malformed") from None
    if not hmac.compare_digest(str(mac), _mac(payload)) or payload.get("v") != FORMAT:
        raise CheckpointError(
            f"the checkpoint of seq {payload.get('seq')} has a wrong signature "
            "(the file was edited, or it was signed with another audit key)"
        )
    if fields["db"] != db:
        raise CheckpointError(f"the checkpoint file belongs to database {fields['db']!r}, not {db!r}")
    return Checkpoint(**fields)


def last_checkpoint(db: str, folder: Path | None = None) -> Checkpoint | None:
    """The newest checkpoint of database ``db`` (None when there is none yet)."""
    path = checkpoint_file(db, folder)
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - _TAIL_BYTES))
            tail = fh.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CheckpointError(f"the checkpoint file cannot be read: {exc.strerror}") from None
    lines = [line for line in tail.decode("utf-8", "replace").splitlines() if line.strip()]
    return parse_line(lines[-1], db) if lines else None


def append_checkpoint(
    db: str, *, seq: int, id: str, row_hash: str, legacy_until: int | None, rows: int, folder: Path | None = None
) -> Checkpoint:
    """Sign and append one checkpoint (the folder is created for the service user only)."""
    cp = Checkpoint(db=db, seq=int(seq), id=str(id), row_hash=row_hash, legacy_until=legacy_until, rows=int(rows),
                    at=datetime.now(UTC).isoformat(timespec="seconds"))
    payload = {**asdict(cp), "v": FORMAT}
    line = json.dumps({**payload, "mac": _mac(payload)}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    path = checkpoint_file(db, folder)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (line + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return cp


def sign_head(db: str, result: Any, *, incremental: bool, folder: Path | None = None) -> str:
    """After an intact ``verify_chain`` (``result``: its ChainCheck), append a checkpoint of the head and
    say what was done (nothing to sign on an empty log or an unchanged head)."""
    previous = result.checkpoint
    if result.last_seq is None:
        return "the log is empty: nothing to sign"
    if previous is not None and previous.seq == result.last_seq:
        return f"head unchanged since {previous.label()}"
    legacy = result.legacy_until
    rows = result.rows_checked
    if incremental and previous is not None:  # the walk started at the checkpoint's own row
        legacy = previous.legacy_until if legacy is None else legacy
        rows += previous.rows - 1
    cp = append_checkpoint(db, seq=result.last_seq, id=result.last_id, row_hash=result.last_hash,
                           legacy_until=legacy, rows=rows, folder=folder)
    return f"checkpoint signed: seq {cp.seq} at {cp.at}"
