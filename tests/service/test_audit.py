"""The audit log: written in the caller's transaction, append-only in the database, tamper-evident,
safe under concurrent writers, and readable by the audit page (filters, pages, timeline, export)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import threading
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from ipaddress import IPv4Address, IPv6Address

import psycopg
import pytest
from psycopg.rows import dict_row
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from dashboard.audit import chain as audit
from dashboard.audit.export import export_csv
from dashboard.audit.queries import chain_status, list_entries, timeline_for, verify_with_status
from dashboard.audit.rules import AuditFilters
from dashboard.audit.verify import verify_chain
from dashboard.bench.audit_fill import fill_synthetic
from dashboard.audit.checkpoint import checkpoint_file
from dashboard.cli.audit import cmd_checkpoint, cmd_verify
from dashboard.core.actor import Actor
from dashboard.core.errors import InvalidInput, NotAllowed, NotAuthenticated
from dashboard.core.permissions import GROUP_OFFICER, NOT_PERMITTED, NOT_SIGNED_IN, ROLE_PERMISSIONS, Perm
from dashboard.models import ActivityLog
from tests import factories as f
from tests.conftest import libpq

ALL_ROLES = ["ADMIN", "COMPLIANCE", "TREASURER", "MANAGER", "SUPPORT", GROUP_OFFICER, "CUSTOMER", None]
VIEWERS = {"ADMIN", "COMPLIANCE"}
EXPORTERS = {"ADMIN", "COMPLIANCE"}


CLI = Actor.system("cli")  # how the command line verifies the chain


def officer(role: str | None = "ADMIN", email: str | None = None, user_id: uuid.UUID | None = None, **kw) -> Actor:
    """Who an entry is written as (by default no user row: ``actor_id`` stays empty)."""
    return Actor(user_id=user_id, email=email or f"{(role or 'anon').lower()}@staff.example", role=role, **kw)


def reader(role: str = "ADMIN") -> Actor:
    """A signed-in officer reading the log (the reads refuse an actor without an account)."""
    return officer(role, user_id=uuid.uuid4())


def staff(session, role: str = "ADMIN") -> Actor:
    """A signed-in officer with a user row, for calls that write an entry as them (the export)."""
    user = f.user(session, role=role)
    return Actor(user_id=user.id, email=user.email, role=role)


def count(db, where: str = "true") -> int:
    return db.execute(text(f"SELECT count(*) FROM activity_logs WHERE {where}")).scalar_one()


def raw_rows(url: str) -> list[dict]:
    """Every row as psycopg returns it (UUID, datetime, dict, ipaddress objects), in seq order."""
    with psycopg.connect(libpq(url), row_factory=dict_row) as conn:
        return conn.execute("SELECT * FROM activity_logs ORDER BY seq").fetchall()


def commit_entries(engine, n: int, *, start: int = 0, **kw) -> list[ActivityLog]:
    entries = []
    for i in range(start, start + n):
        with Session(engine, expire_on_commit=False) as s, s.begin():
            entries.append(
                audit.record(s, actor=officer(ip_address="10.0.0.7"), action="kyc.approve", target_type="kyc_verification",
                             target_id=f"k{i}", description=f"entry {i}", before={"status": "PENDING"},
                             after={"status": "APPROVED", "n": i}, **kw)
            )
    return entries


def rolled_back_entry(engine) -> None:
    """A writer that rolls back: its seq is burnt, leaving a gap (gaps are normal)."""
    with Session(engine) as s:
        s.begin()
        audit.record(s, actor=officer(), action="kyc.approve", description="never committed")
        s.rollback()


def tamper(engine, *statements: tuple[str, dict]) -> None:
    """Write as a superuser bypassing the append-only triggers would."""
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        for sql, params in statements:
            conn.execute(text(sql), params)


def forged_hash(url: str, seq: int, **changes) -> str:
    """The row_hash a forger would compute for row ``seq`` with ``changes`` applied."""
    row = next(r for r in raw_rows(url) if r["seq"] == seq)
    row.update(changes)
    return audit.row_hash(row)


# --- writing ------------------------------------------------------------------------------------------


def test_record_joins_the_callers_transaction(fresh_engine):
    with Session(fresh_engine) as s:
        s.begin()
        f.user(s, role="ADMIN")
        audit.record(s, actor=officer(), action="staff.created", target_type="user", target_id="x")
        s.rollback()
    with Session(fresh_engine) as s:
        assert count(s) == 0, "the entry rolled back with the change it described"

    commit_entries(fresh_engine, 1)
    with Session(fresh_engine) as s:
        assert count(s) == 1


def test_entries_chain_and_round_trip_exactly(db, fresh_db_url):
    admin = f.user(db, role="ADMIN")
    when = datetime(2026, 3, 1, 12, 30, 45, 123456, tzinfo=timezone(timedelta(hours=2)))
    tricky = {
        "amount": Decimal("1234.50"),
        "rate": 0.1,  # a float that slipped in: kept exact as text
        "big": 12345678901234567890123,
        "negative": -7,
        "flag": True,
        "nothing": None,
        "when": when,
        "day": date(2026, 2, 28),
        "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        3: "int key",
        "tags": {"b", "a"},
        "nested": {"list": [1, "two", {"x": Decimal("0.00000001")}], "empty": {}},
        "text": "Zoë\n\"quoted\"\t💶 \\ back",
    }
    actors = [
        Actor(user_id=admin.id, email=admin.email, role="ADMIN", ip_address="2001:DB8::1", user_agent="UA 1",
              session_id=uuid.uuid4()),
        Actor(user_id=admin.id, email=admin.email, role="ADMIN", ip_address="10.1.2.3/32"),
        Actor(user_id=admin.id, email=admin.email, role="ADMIN", ip_address="::ffff:1.2.3.4"),
        Actor(user_id=admin.id, email=admin.email, role="ADMIN", ip_address="192.168.7.9/24"),
        None,  # the system
    ]
    entries = [
        audit.record(db, actor=a, action="kyc.approve", target_type="kyc_verification", target_id=uuid.uuid4(),
                     description="d", before={"status": "PENDING"}, after=tricky, details={"n": i})
        for i, a in enumerate(actors)
    ]
    assert entries[0].prev_hash == db.execute(
        text("SELECT row_hash FROM activity_logs WHERE seq < :s ORDER BY seq DESC LIMIT 1"), {"s": entries[0].seq}
    ).scalar()
    for earlier, later in zip(entries, entries[1:]):
        assert later.prev_hash == earlier.row_hash
        assert later.seq > earlier.seq
        assert later.created_at >= earlier.created_at
    assert entries[-1].actor_email == "system" and entries[-1].actor_id is None

    # read back as psycopg objects (UUID, aware datetime, dict, IPv4Address/IPv6Interface...)
    conn = db.connection().connection.driver_connection
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute("SELECT * FROM activity_logs WHERE seq >= %s ORDER BY seq", (entries[0].seq,)).fetchall()
    assert isinstance(rows[0]["ip_address"], IPv6Address) and isinstance(rows[1]["ip_address"], IPv4Address)
    for row, entry in zip(rows, entries):
        assert audit.row_hash(row) == row["row_hash"] == entry.row_hash
    assert rows[0]["after"]["amount"] == "1234.50" and rows[0]["after"]["rate"] == "0.1"
    assert rows[0]["after"]["big"] == 12345678901234567890123

    # and the verifier, which reads text casts, agrees
    result = verify_chain(db, actor=CLI, batch=2)
    assert result.ok, result.summary()
    assert result.rows_checked == count(db)


def test_record_refuses_a_bad_ip_and_a_snapshot_older_than_the_lock(fresh_engine):
    with Session(fresh_engine) as s, s.begin():
        with pytest.raises(InvalidInput, match="not an IP address"):
            audit.record(s, actor=officer(ip_address="300.1.1.1"), action="kyc.approve")
    with fresh_engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with Session(bind=conn) as s:
            with pytest.raises(RuntimeError, match="READ COMMITTED"):
                audit.record(s, actor=officer(), action="kyc.approve")


# --- append-only ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql, verb",
    [
        ("UPDATE activity_logs SET description = 'rewritten'", "UPDATE"),
        ("DELETE FROM activity_logs", "DELETE"),
        ("TRUNCATE activity_logs", "TRUNCATE"),
        ("TRUNCATE users CASCADE", "TRUNCATE"),
    ],
)
def test_the_database_refuses_to_change_history(db, sql, verb):
    audit.record(db, actor=officer(), action="kyc.approve", description="original")
    savepoint = db.begin_nested()
    with pytest.raises(DBAPIError) as info:
        db.execute(text(sql))
    savepoint.rollback()
    message = str(info.value.orig)
    assert f"activity_logs is append-only: {verb} refused" in message
    assert "can never be changed or removed" in message
    assert info.value.orig.sqlstate == "42501"
    assert db.execute(text("SELECT description FROM activity_logs")).scalar_one() == "original"


def test_the_orm_cannot_edit_an_entry_either(db):
    entry = audit.record(db, actor=officer(), action="kyc.approve", description="original")
    savepoint = db.begin_nested()
    entry.description = "edited"
    with pytest.raises(DBAPIError, match="append-only: UPDATE refused"):
        db.flush()
    savepoint.rollback()


# --- tamper evidence --------------------------------------------------------------------------------


def test_an_untouched_chain_verifies(fresh_engine, fresh_db_url):
    with fresh_engine.connect() as conn:
        empty = verify_chain(conn, actor=CLI)
    assert empty.ok and empty.rows_checked == 0
    commit_entries(fresh_engine, 3)
    rolled_back_entry(fresh_engine)  # a gap in seq is not tampering
    commit_entries(fresh_engine, 3, start=3)
    with fresh_engine.connect() as conn:
        result = verify_chain(conn, actor=CLI, batch=2)
    assert result.ok and result.rows_checked == 6 and result.kind is None
    assert "chain intact" in result.summary()


def test_altered_content_names_the_altered_row(fresh_engine):
    entries = commit_entries(fresh_engine, 5)
    tamper(fresh_engine, ("UPDATE activity_logs SET after = '{\"status\": \"REJECTED\"}' WHERE seq = :s",
                          {"s": entries[2].seq}))
    with fresh_engine.connect() as conn:
        result = verify_chain(conn, actor=CLI, batch=2)
    assert not result.ok
    assert (result.kind, result.bad_seq, result.bad_id) == ("altered", entries[2].seq, str(entries[2].id))
    assert result.rows_checked == 3


def test_a_rewritten_and_rehashed_row_is_named_as_altered(fresh_engine, fresh_db_url):
    entries = commit_entries(fresh_engine, 5)
    target = entries[1]
    new_hash = forged_hash(fresh_db_url, target.seq, description="nothing to see")
    tamper(fresh_engine, ("UPDATE activity_logs SET description = 'nothing to see', row_hash = :h WHERE seq = :s",
                          {"h": new_hash, "s": target.seq}))
    with fresh_engine.connect() as conn:
        result = verify_chain(conn, actor=CLI)
    assert (result.ok, result.kind, result.bad_seq, result.bad_id) == (False, "altered", target.seq, str(target.id))
    assert "re" in result.detail and "hash" in result.detail


def test_removed_rows_name_the_row_after_the_gap(fresh_engine):
    entries = commit_entries(fresh_engine, 6)
    tamper(fresh_engine, ("DELETE FROM activity_logs WHERE seq IN (:a, :b)", {"a": entries[2].seq, "b": entries[3].seq}))
    with fresh_engine.connect() as conn:
        result = verify_chain(conn, actor=CLI, batch=3)
    assert (result.ok, result.kind, result.bad_seq, result.bad_id) == (False, "removed", entries[4].seq, str(entries[4].id))
    assert result.kind_label == "removed"
    assert f"between seq {entries[1].seq} and {entries[4].seq}" in result.detail


def test_removing_the_oldest_rows_is_detected(fresh_engine):
    entries = commit_entries(fresh_engine, 4)
    tamper(fresh_engine, ("DELETE FROM activity_logs WHERE seq = :s", {"s": entries[0].seq}))
    with fresh_engine.connect() as conn:
        result = verify_chain(conn, actor=CLI)
    assert (result.kind, result.bad_seq) == ("removed", entries[1].seq)


def _forge_row(url: str, *, seq: int, prev_hash: str | None, good_hash: bool = True) -> tuple[str, str]:
    """Insert a plausible entry with a chosen seq and prev_hash; return (id, row_hash)."""
    row = {
        "seq": seq,
        "id": uuid.uuid4(),
        "created_at": datetime.now(timezone.utc),
        "actor_id": None,
        "actor_role": "ADMIN",
        "actor_email": "intruder@staff.example",
        "action": "transactions.approve",
        "target_type": "transaction",
        "target_id": "t-forged",
        "description": "approved",
        "before": {"status": "PENDING"},
        "after": {"status": "COMPLETED"},
        "details": None,
        "ip_address": "10.9.9.9",
        "user_agent": None,
        "session_id": None,
        "correlation_id": uuid.uuid4(),
        "prev_hash": prev_hash,
    }
    digest = audit.row_hash(row) if good_hash else "0" * 64
    with psycopg.connect(libpq(url)) as conn:
        conn.execute(
            "INSERT INTO activity_logs (seq, id, created_at, actor_role, actor_email, action, target_type, target_id, "
            "description, before, after, ip_address, correlation_id, prev_hash, row_hash) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s::jsonb, %s, %s, %s, %s)",
            (seq, row["id"], row["created_at"], "ADMIN", row["actor_email"], row["action"], "transaction",
             "t-forged", "approved", json.dumps(row["before"]), json.dumps(row["after"]), "10.9.9.9",
             row["correlation_id"], prev_hash, digest),
        )
    return str(row["id"]), digest


def _chain_with_a_gap(engine) -> tuple[list[ActivityLog], int]:
    first = commit_entries(engine, 3)
    rolled_back_entry(engine)
    second = commit_entries(engine, 3, start=3)
    gap = first[-1].seq + 1
    assert second[0].seq == gap + 1
    return first + second, gap


def test_a_row_inserted_with_a_forged_seq_and_consistent_hashes(fresh_engine, fresh_db_url):
    entries, gap = _chain_with_a_gap(fresh_engine)
    forged_id, _ = _forge_row(fresh_db_url, seq=gap, prev_hash=entries[2].row_hash)
    with fresh_engine.connect() as conn:
        result = verify_chain(conn, actor=CLI)
    assert (result.ok, result.kind, result.bad_seq, result.bad_id) == (False, "inserted", gap, forged_id)
    assert result.kind_label == "inserted out of place"
    assert f"links back to seq {entries[2].seq}" in result.detail


def test_a_row_inserted_with_a_made_up_prev_hash(fresh_engine, fresh_db_url):
    entries, gap = _chain_with_a_gap(fresh_engine)
    forged_id, _ = _forge_row(fresh_db_url, seq=gap, prev_hash="f" * 64)
    with fresh_engine.connect() as conn:
        result = verify_chain(conn, actor=CLI)
    assert (result.kind, result.bad_seq, result.bad_id) == ("inserted", gap, forged_id)


def test_a_row_linked_to_a_later_row_is_out_of_place(fresh_engine, fresh_db_url):
    entries, gap = _chain_with_a_gap(fresh_engine)
    forged_id, _ = _forge_row(fresh_db_url, seq=gap, prev_hash=entries[-1].row_hash)
    with fresh_engine.connect() as conn:
        result = verify_chain(conn, actor=CLI)
    assert (result.kind, result.bad_seq, result.bad_id) == ("inserted", gap, forged_id)
    assert "later row" in result.detail


def test_an_inserted_row_with_a_wrong_hash_is_altered(fresh_engine, fresh_db_url):
    entries, gap = _chain_with_a_gap(fresh_engine)
    forged_id, _ = _forge_row(fresh_db_url, seq=gap, prev_hash=entries[2].row_hash, good_hash=False)
    with fresh_engine.connect() as conn:
        result = verify_chain(conn, actor=CLI)
    assert (result.kind, result.bad_seq, result.bad_id) == ("altered", gap, forged_id)


def test_a_second_chain_start_is_out_of_place(fresh_engine, fresh_db_url):
    entries, gap = _chain_with_a_gap(fresh_engine)
    _forge_row(fresh_db_url, seq=gap, prev_hash=None)
    with fresh_engine.connect() as conn:
        result = verify_chain(conn, actor=CLI)
    assert (result.kind, result.bad_seq) == ("inserted", gap)


def test_the_cli_verify_exit_codes(fresh_engine, fresh_db_url):
    entries = commit_entries(fresh_engine, 4)
    out = io.StringIO()
    assert cmd_verify(fresh_db_url, out=out) == 0
    assert "rows checked: 4" in out.getvalue() and "chain intact" in out.getvalue()
    assert "time:" in out.getvalue()

    tamper(fresh_engine, ("UPDATE activity_logs SET actor_email = 'someone@else.example' WHERE seq = :s",
                          {"s": entries[1].seq}))
    out = io.StringIO()
    assert cmd_verify(fresh_db_url, out=out) == 1
    assert f"first altered row: seq {entries[1].seq}, id {entries[1].id}" in out.getvalue()


# --- the keyed chain and its checkpoints (issue 12, finding 6) ---------------------------------------


def _db_name(url: str) -> str:
    with psycopg.connect(libpq(url)) as conn:
        return conn.execute("SELECT current_database()").fetchone()[0]


def _verify(engine) -> object:
    with engine.connect() as conn:
        return verify_chain(conn, actor=CLI)


def _rechain_without_the_key(engine, url: str, from_seq: int, *, version: int | None = None, **changes) -> None:
    """What someone with write access but no key can do: edit row ``from_seq``, then recompute it and
    every later row with plain SHA-256 (optionally claiming ``hash_version``), so every link holds."""
    rows = raw_rows(url)
    statements, prev = [], None
    for row in rows:
        if row["seq"] == from_seq:
            row.update(changes)
        if row["seq"] >= from_seq:
            row["prev_hash"] = prev
            row["row_hash"] = audit.legacy_row_hash(row)
            statements.append((
                "UPDATE activity_logs SET description = :d, prev_hash = :p, row_hash = :h, "
                "hash_version = COALESCE(:v, hash_version) WHERE seq = :s",
                {"d": row["description"], "p": row["prev_hash"], "h": row["row_hash"], "v": version, "s": row["seq"]},
            ))
        prev = row["row_hash"]
    tamper(engine, *statements)


def test_a_clean_chain_with_checkpoints_verifies(fresh_engine, fresh_db_url, audit_checkpoints):
    commit_entries(fresh_engine, 3)
    out = io.StringIO()
    assert cmd_checkpoint(fresh_db_url, out=out) == 0, out.getvalue()
    assert "checkpoint signed: seq" in out.getvalue()
    entries = commit_entries(fresh_engine, 4, start=3)
    out = io.StringIO()
    assert cmd_checkpoint(fresh_db_url, out=out) == 0, out.getvalue()
    assert "rows checked: 5" in out.getvalue()  # only from the last checkpoint's row to the head
    assert cmd_verify(fresh_db_url, out=io.StringIO()) == 0  # head unchanged: nothing new to sign

    lines = checkpoint_file(_db_name(fresh_db_url), audit_checkpoints).read_text().splitlines()
    signed = [json.loads(line) for line in lines]
    assert [c["seq"] for c in signed] == [entries[0].seq - 1, entries[-1].seq]
    assert signed[-1]["row_hash"] == entries[-1].row_hash and signed[-1]["rows"] == 7
    assert all(len(c["mac"]) == 64 and c["legacy_until"] is None for c in signed)
    result = _verify(fresh_engine)
    assert result.ok and result.rows_checked == 7 and result.checkpoint.seq == entries[-1].seq
    assert "matches the checkpoint of seq" in result.summary()
    assert (audit_checkpoints.stat().st_mode & 0o777) == 0o700
    assert (checkpoint_file(_db_name(fresh_db_url), audit_checkpoints).stat().st_mode & 0o777) == 0o600


def test_rows_are_keyed_with_hmac_not_plain_sha256(fresh_engine, fresh_db_url):
    entry = commit_entries(fresh_engine, 1)[0]
    row = raw_rows(fresh_db_url)[0]
    assert row["hash_version"] == audit.HASH_HMAC == 2
    assert entry.row_hash == audit.row_hash(row) != hashlib.sha256(audit.canonical(row)).hexdigest()


def test_deleting_the_newest_rows_after_a_checkpoint_is_detected(fresh_engine, fresh_db_url):
    entries = commit_entries(fresh_engine, 6)
    assert cmd_verify(fresh_db_url, out=io.StringIO()) == 0  # signs a checkpoint of the head
    tamper(fresh_engine, ("DELETE FROM activity_logs WHERE seq >= :s", {"s": entries[3].seq}))
    result = _verify(fresh_engine)
    assert (result.ok, result.kind, result.bad_seq, result.bad_id) == (
        False, "removed", entries[-1].seq, str(entries[-1].id))
    assert "removed from the end" in result.detail and f"head is now seq {entries[2].seq}" in result.detail
    out = io.StringIO()
    assert cmd_verify(fresh_db_url, out=out) == 1
    assert cmd_checkpoint(fresh_db_url, out=io.StringIO()) == 1  # and signs nothing over the shorter chain
    assert f"first removed row: seq {entries[-1].seq}" in out.getvalue()


@pytest.mark.parametrize("version", [None, 1], ids=["claims-keyed", "claims-legacy-sha256"])
def test_an_edit_rechained_with_plain_sha256_is_detected(fresh_engine, fresh_db_url, version):
    entries = commit_entries(fresh_engine, 5)
    _rechain_without_the_key(fresh_engine, fresh_db_url, entries[2].seq, version=version,
                             description="nothing to see")
    result = _verify(fresh_engine)
    assert (result.ok, result.kind, result.bad_seq, result.bad_id) == (False, "altered", entries[2].seq,
                                                                       str(entries[2].id))
    assert cmd_verify(fresh_db_url, out=io.StringIO()) == 1


def test_a_whole_chain_downgraded_to_sha256_is_caught_by_the_checkpoint(fresh_engine, fresh_db_url):
    entries = commit_entries(fresh_engine, 4)
    assert cmd_verify(fresh_db_url, out=io.StringIO()) == 0
    _rechain_without_the_key(fresh_engine, fresh_db_url, entries[0].seq, version=1, description="rewritten")
    result = _verify(fresh_engine)
    assert (result.ok, result.kind, result.bad_seq) == (False, "altered", entries[0].seq)
    assert "without the audit key" in result.detail


def test_legacy_sha256_rows_before_the_key_still_verify(fresh_engine, fresh_db_url, audit_checkpoints):
    """Rows written before the migration keep hash_version 1; keyed rows follow and link to them."""
    prev = None
    with psycopg.connect(libpq(fresh_db_url)) as conn:
        for i in range(3):
            seq = conn.execute("SELECT nextval(pg_get_serial_sequence('activity_logs', 'seq'))").fetchone()[0]
            row = {name: None for name in audit.HASHED_FIELDS} | {
                "seq": seq, "id": uuid.uuid4(), "created_at": datetime.now(timezone.utc), "action": "kyc.approve",
                "description": f"before the key {i}", "prev_hash": prev}
            prev = audit.legacy_row_hash(row)
            conn.execute("INSERT INTO activity_logs (seq, id, created_at, action, description, prev_hash, row_hash, "
                         "hash_version) VALUES (%s, %s, %s, %s, %s, %s, %s, 1)",
                         (seq, row["id"], row["created_at"], "kyc.approve", row["description"], row["prev_hash"], prev))
    commit_entries(fresh_engine, 2)
    assert cmd_verify(fresh_db_url, out=io.StringIO()) == 0
    legacy_seq = raw_rows(fresh_db_url)[2]["seq"]
    assert json.loads(checkpoint_file(_db_name(fresh_db_url), audit_checkpoints).read_text())["legacy_until"] == legacy_seq
    result = _verify(fresh_engine)
    assert result.ok and result.rows_checked == 5 and result.legacy_until == legacy_seq


def test_an_edited_checkpoint_file_is_refused(fresh_engine, fresh_db_url, audit_checkpoints):
    commit_entries(fresh_engine, 3)
    assert cmd_verify(fresh_db_url, out=io.StringIO()) == 0
    path = checkpoint_file(_db_name(fresh_db_url), audit_checkpoints)
    signed = json.loads(path.read_text())
    path.write_text(json.dumps({**signed, "seq": signed["seq"] - 1}) + "\n")
    result = _verify(fresh_engine)
    assert (result.ok, result.kind) == (False, "checkpoint") and "wrong signature" in result.detail
    out = io.StringIO()
    assert cmd_verify(fresh_db_url, out=out) == 1 and "UNVERIFIABLE" in out.getvalue()


# --- concurrency ------------------------------------------------------------------------------------


def test_concurrent_writers_never_fork_the_chain(fresh_engine):
    threads, per_thread = 8, 25
    barrier = threading.Barrier(threads)
    committed = [0] * threads
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                with Session(fresh_engine) as s:
                    s.begin()
                    audit.record(s, actor=officer(email=f"w{k}@staff.example"), action="support.reply",
                                 target_type="support_ticket", target_id=f"t{k}-{i}", details={"i": i})
                    if (k + i) % 5 == 0:
                        s.rollback()
                    else:
                        s.commit()
                        committed[k] += 1
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    pool = [threading.Thread(target=writer, args=(k,)) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert not errors, errors

    with fresh_engine.connect() as conn:
        rows = conn.execute(text("SELECT seq, prev_hash, row_hash FROM activity_logs ORDER BY seq")).all()
        result = verify_chain(conn, actor=CLI, batch=37)
    assert len(rows) == sum(committed) == result.rows_checked
    assert result.ok, result.summary()
    assert rows[0].prev_hash is None
    for earlier, later in zip(rows, rows[1:]):
        assert later.seq > earlier.seq
        assert later.prev_hash == earlier.row_hash
    assert len({r.prev_hash for r in rows}) == len(rows), "no two entries share a predecessor"


# --- synthetic fill ---------------------------------------------------------------------------------


def test_fill_synthetic_continues_the_chain(fresh_engine, fresh_db_url):
    commit_entries(fresh_engine, 2)
    elapsed = fill_synthetic(fresh_db_url, 500, seed=7)
    assert elapsed > 0
    commit_entries(fresh_engine, 2, start=2)
    with fresh_engine.connect() as conn:
        result = verify_chain(conn, actor=CLI, batch=128)
        actions = {a for (a,) in conn.execute(text("SELECT DISTINCT action FROM activity_logs"))}
        stamps = [t for (t,) in conn.execute(text("SELECT created_at FROM activity_logs ORDER BY seq"))]
    assert result.ok and result.rows_checked == 504, result.summary()
    assert {"kyc.approve", "transactions.approve", "auth.sign_in", "support.reply", "groups.approve"} <= actions
    assert stamps == sorted(stamps), "created_at never decreases along seq"


# --- the audit page: list -----------------------------------------------------------------------------


@pytest.fixture
def logbook(db):
    """A small log: two officers and the system, several actions and targets (oldest first)."""
    alice = f.user(db, role="ADMIN", email="alice.admin@staff.example")
    bob = f.user(db, role="COMPLIANCE", email="bob.compliance@staff.example")
    a = Actor(user_id=alice.id, email=alice.email, role="ADMIN", ip_address="10.0.0.1")
    b = Actor(user_id=bob.id, email=bob.email, role="COMPLIANCE", ip_address="10.0.0.2")
    plan = [
        (a, "kyc.claim", "kyc_verification", "K1"),
        (b, "kyc.approve", "kyc_verification", "K1"),
        (a, "transactions.approve", "transaction", "T1"),
        (None, "jobs.portfolio_snapshot", None, None),
        (b, "kyc.reject", "kyc_verification", "K2"),
        (a, "support.reply", "support_ticket", "S1"),
        (b, "kyc.approve", "kyc_verification", "K3"),
        (a, "transactions.decline", "transaction", "T2"),
    ]
    entries = [
        audit.record(db, actor=who, action=action, target_type=tt, target_id=tid, description=f"{action} {tid}",
                     before={"status": "PENDING"}, after={"status": "DONE"})
        for who, action, tt, tid in plan
    ]
    return {"alice": alice, "bob": bob, "entries": entries}


def _seqs(page) -> list[int]:
    return [e.seq for e in page.entries]


def test_list_is_newest_first_with_display_strings(db, logbook):
    page = list_entries(db, actor=reader("COMPLIANCE"))
    entries = logbook["entries"]
    assert _seqs(page) == [e.seq for e in reversed(entries)]
    assert not page.has_more and page.next_cursor is None and page.prev_cursor is None
    newest = page.entries[0]
    assert newest.action == "transactions.decline"
    assert newest.actor == "alice.admin@staff.example" and newest.actor_role == "ADMIN"
    assert newest.target == "transaction T2" and newest.ip_address == "10.0.0.1"
    assert newest.changes == "status: PENDING → DONE"
    assert newest.when.endswith(" UTC") and newest.after == '{"status": "DONE"}'
    assert page.entries[4].actor == "system" and page.entries[4].target == ""
    assert all(isinstance(v, (str, int)) for v in newest.as_dict().values())


@pytest.mark.parametrize(
    "filters, expected",
    [
        ({"actor": "ALICE"}, ["kyc.claim", "transactions.approve", "support.reply", "transactions.decline"]),
        ({"actor": "bob.compliance@staff.example"}, ["kyc.approve", "kyc.reject", "kyc.approve"]),
        ({"actor": "system"}, ["jobs.portfolio_snapshot"]),
        ({"actor": "nobody"}, []),
        ({"actor": "100%_"}, []),
        ({"action": "kyc.approve"}, ["kyc.approve", "kyc.approve"]),
        ({"action": "kyc."}, ["kyc.claim", "kyc.approve", "kyc.reject", "kyc.approve"]),
        ({"action": "transactions.*"}, ["transactions.approve", "transactions.decline"]),
        ({"action": "groups."}, []),
        ({"target_type": "kyc_verification", "target_id": "K1"}, ["kyc.claim", "kyc.approve"]),
        ({"target_type": "transaction"}, ["transactions.approve", "transactions.decline"]),
        ({"actor": "bob", "action": "kyc.approve"}, ["kyc.approve", "kyc.approve"]),
        ({"actor": " ", "action": "", "target_type": "", "date_from": "", "date_to": None},
         ["kyc.claim", "kyc.approve", "transactions.approve", "jobs.portfolio_snapshot", "kyc.reject",
          "support.reply", "kyc.approve", "transactions.decline"]),
    ],
)
def test_list_filters(db, logbook, filters, expected):
    page = list_entries(db, actor=reader(), filters=filters, limit=200)
    assert [e.action for e in reversed(page.entries)] == expected


def test_list_filters_by_actor_id(db, logbook):
    page = list_entries(db, actor=reader(), filters=AuditFilters(actor=str(logbook["bob"].id)))
    assert {e.actor for e in page.entries} == {"bob.compliance@staff.example"} and len(page.entries) == 3
    assert list_entries(db, actor=reader(), filters={"actor": str(uuid.uuid4())}).entries == []


def test_list_filters_by_utc_day(db, logbook):
    first = logbook["entries"][0].created_at.astimezone(timezone.utc).date()
    last = logbook["entries"][-1].created_at.astimezone(timezone.utc).date()
    everything = list_entries(db, actor=reader(), filters={"date_from": first, "date_to": last.isoformat()})
    assert len(everything.entries) == 8
    assert list_entries(db, actor=reader(), filters={"date_to": first - timedelta(days=1)}).entries == []
    assert list_entries(db, actor=reader(), filters={"date_from": last + timedelta(days=1)}).entries == []
    assert len(list_entries(db, actor=reader(), filters={"date_from": first}).entries) == 8


def test_list_pages_by_keyset_both_ways(db, logbook):
    newest_first = [e.seq for e in reversed(logbook["entries"])]
    pages, page = [], list_entries(db, actor=reader(), limit=3)
    pages.append(_seqs(page))
    while page.has_more:
        page = list_entries(db, actor=reader(), limit=3, after_seq=page.next_cursor)
        pages.append(_seqs(page))
    assert pages == [newest_first[0:3], newest_first[3:6], newest_first[6:8]]
    assert page.next_cursor is None and page.prev_cursor == newest_first[6]

    back = list_entries(db, actor=reader(), limit=3, before_seq=page.prev_cursor)
    assert _seqs(back) == newest_first[3:6] and back.has_more and back.next_cursor == newest_first[5]
    back = list_entries(db, actor=reader(), limit=3, before_seq=str(back.prev_cursor))
    assert _seqs(back) == newest_first[0:3] and back.prev_cursor is None

    filtered = list_entries(db, actor=reader(), filters={"action": "kyc."}, limit=2)
    rest = list_entries(db, actor=reader(), filters={"action": "kyc."}, limit=2, after_seq=filtered.next_cursor)
    assert [e.action for e in filtered.entries + rest.entries] == ["kyc.approve", "kyc.reject", "kyc.approve", "kyc.claim"]
    assert not rest.has_more


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"filters": {"date_from": "2026-13-01"}}, "date_from: '2026-13-01' is not a date"),
        ({"filters": {"date_to": "yesterday"}}, "date_to: 'yesterday' is not a date"),
        ({"filters": {"date_from": datetime(2026, 1, 1)}}, "date_from: expected a date"),
        ({"filters": {"date_from": 20260101}}, "date_from: expected a date"),
        ({"filters": {"date_from": "2026-02-01", "date_to": "2026-01-31"}}, "is after"),
        ({"filters": {"action": "kyc approve"}}, "is not an action"),
        ({"filters": {"action": "kyc..approve"}}, "is not an action"),
        ({"filters": {"action": ".kyc"}}, "is not an action"),
        ({"filters": {"action": "?."}}, "is not an action prefix"),
        ({"filters": {"action": "x" * 65}}, "at most 64"),
        ({"filters": {"target_id": "K1"}}, "choose the record type"),
        ({"filters": {"target_type": "KYC Verification"}}, "is not a record type"),
        ({"filters": {"actor": "a\x00b"}}, "control characters"),
        ({"filters": {"actor": 42}}, "actor: expected text"),
        ({"filters": {"colour": "red"}}, "unknown filter: colour"),
        ({"filters": ["actor"]}, "filters must be"),
        ({"limit": 0}, "limit: must be from 1 to 200"),
        ({"limit": 201}, "limit: must be from 1 to 200"),
        ({"limit": "50"}, "limit: expected a whole number"),
        ({"limit": True}, "limit: expected a whole number"),
        ({"after_seq": -1}, "after_seq: not a valid page cursor"),
        ({"after_seq": "abc"}, "after_seq: not a valid page cursor"),
        ({"after_seq": 5, "before_seq": 9}, "either after_seq or before_seq"),
    ],
)
def test_list_validates_its_input(db, kwargs, message):
    with pytest.raises(InvalidInput) as info:
        list_entries(db, actor=reader(), **kwargs)
    assert message in str(info.value)


# --- permissions ------------------------------------------------------------------------------------


def test_the_role_table_matches_these_tests():
    assert {r for r in ALL_ROLES if r and Perm.AUDIT_VIEW in ROLE_PERMISSIONS[r]} == VIEWERS
    assert {r for r in ALL_ROLES if r and Perm.AUDIT_EXPORT in ROLE_PERMISSIONS[r]} == EXPORTERS


def _as(role, user_id=None):
    return None if role is None else officer(role, user_id=user_id or uuid.uuid4())


def _refused(role):
    """No actor: sign in first; a role without the permission: the generic refusal."""
    if role is None:
        return pytest.raises(NotAuthenticated)
    return pytest.raises(NotAllowed, match=f"^{re.escape(NOT_PERMITTED)}$")


@pytest.mark.parametrize("role", ALL_ROLES)
def test_who_may_read_the_audit_log(db, logbook, role):
    calls = [
        lambda: list_entries(db, actor=_as(role)),
        lambda: timeline_for(db, actor=_as(role), target_type="kyc_verification", target_id="K1"),
        lambda: chain_status(db, actor=_as(role)),
        lambda: verify_chain(db, actor=_as(role)),
        lambda: verify_with_status(db, actor=_as(role)),
    ]
    for call in calls:
        if role in VIEWERS:
            call()
        else:
            with _refused(role):
                call()


@pytest.mark.parametrize("call", [list_entries, chain_status, verify_chain, verify_with_status])
def test_the_reads_refuse_an_actor_without_an_account(db, call):
    with pytest.raises(NotAllowed) as info:
        call(db, actor=officer("ADMIN"))
    assert str(info.value) == NOT_SIGNED_IN
    assert call(db, actor=CLI) is not None, "the command line's system actor may read"


@pytest.mark.parametrize("role", ALL_ROLES)
def test_who_may_export_the_audit_log(db, logbook, role):
    before = count(db)
    if role in EXPORTERS:
        assert export_csv(db, actor=_as(role, logbook["alice"].id)).startswith(b"seq,")
        assert count(db) == before + 1
    else:
        with _refused(role):
            export_csv(db, actor=_as(role))
        assert count(db) == before, "a refused export writes nothing"


# --- timeline, export, status -------------------------------------------------------------------------


def test_timeline_for_one_record(db, logbook):
    items = timeline_for(db, actor=reader("COMPLIANCE"), target_type="kyc_verification", target_id="K1")
    assert [e.action for e in items] == ["kyc.approve", "kyc.claim"]
    assert timeline_for(db, actor=reader(), target_type="kyc_verification", target_id="K1", limit=1)[0].action == "kyc.approve"
    assert timeline_for(db, actor=reader(), target_type="kyc_verification", target_id="nope") == []
    with pytest.raises(InvalidInput, match="both the record type and its id"):
        timeline_for(db, actor=reader(), target_type="kyc_verification", target_id="")
    with pytest.raises(InvalidInput, match="limit"):
        timeline_for(db, actor=reader(), target_type="kyc_verification", target_id="K1", limit=0)


def _csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def test_export_content_and_its_own_audit_entry(db, logbook):
    auditor = Actor(user_id=logbook["bob"].id, email="bob.compliance@staff.example", role="COMPLIANCE")
    data = export_csv(db, actor=auditor, filters={"action": "kyc.", "date_from": "2000-01-01"})
    rows = _csv(data)
    assert [r["action"] for r in rows] == ["kyc.approve", "kyc.reject", "kyc.approve", "kyc.claim"]
    assert rows[0]["after"] == '{"status": "DONE"}' and rows[0]["ip_address"] == "10.0.0.2"
    assert rows[0]["created_at_utc"].endswith("Z") and len(rows[0]["row_hash"]) == 64
    assert set(rows[0]) >= {"seq", "actor_email", "target_type", "target_id", "description", "prev_hash", "id"}

    newest = list_entries(db, actor=auditor, limit=1).entries[0]
    assert newest.action == "audit.export" and newest.actor == "bob.compliance@staff.example"
    details = json.loads(newest.details)
    assert details["filters"] == {"action": "kyc.", "date_from": "2000-01-01"}
    assert details["rows"] == 4 and details["truncated"] is False
    assert details["sha256"] == hashlib.sha256(data).hexdigest()
    assert verify_chain(db, actor=CLI).ok

    capped = _csv(export_csv(db, actor=auditor, max_rows=2))
    assert len(capped) == 2 and capped[0]["action"] == "audit.export"
    assert json.loads(list_entries(db, actor=auditor, limit=1).entries[0].details)["truncated"] is True
    with pytest.raises(InvalidInput, match="max_rows"):
        export_csv(db, actor=auditor, max_rows=100_001)


def test_export_is_rolled_back_with_its_transaction(fresh_engine):
    commit_entries(fresh_engine, 2)
    with Session(fresh_engine) as s:
        s.begin()
        export_csv(s, actor=staff(s))
        assert count(s, "action = 'audit.export'") == 1
        s.rollback()
    with Session(fresh_engine) as s:
        assert count(s, "action = 'audit.export'") == 0


def test_export_neutralises_spreadsheet_formulas(db):
    attacks = ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd", "safe = text"]
    for i, description in enumerate(attacks):
        audit.record(db, actor=officer(email=f"=cmd{i}@staff.example"), action="support.reply",
                     target_type="support_ticket", target_id=f"-{i}", description=description)
    rows = _csv(export_csv(db, actor=staff(db), filters={"action": "support.reply"}))
    by_description = {r["description"] for r in rows}
    assert by_description == {"'" + a for a in attacks[:-1]} | {"safe = text"}
    assert all(r["actor_email"].startswith("'=cmd") for r in rows)
    assert all(r["target_id"].startswith("'-") for r in rows)
    assert all(not r["seq"].startswith("'") for r in rows)


def test_chain_status(db):
    empty = chain_status(db, actor=reader("COMPLIANCE"))
    assert empty["head_seq"] is None and empty["rows"] == 0 and empty["rows_exact"]
    entries = [audit.record(db, actor=officer(), action="kyc.approve") for _ in range(3)]
    status = chain_status(db, actor=reader())
    assert status["head_seq"] == entries[-1].seq and status["head_hash"] == entries[-1].row_hash
    assert status["rows"] == 3 and status["rows_label"] == "3" and status["head_at"].endswith("UTC")


def test_date_filters_match_a_brute_force_scan_on_spread_out_data(fresh_engine, fresh_db_url):
    fill_synthetic(fresh_db_url, 3000, seed=11)
    with Session(fresh_engine) as s:
        days = [d for (d,) in s.execute(text(
            "SELECT DISTINCT (created_at AT TIME ZONE 'UTC')::date FROM activity_logs ORDER BY 1"))]
        ranges = [(days[0], days[0]), (days[10], days[40]), (days[-1], days[-1]), (days[5], None), (None, days[7])]
        for start, end in ranges:
            for filters in ({}, {"action": "auth."}):
                want = [seq for (seq,) in s.execute(text(
                    "SELECT seq FROM activity_logs "
                    "WHERE (CAST(:a AS date) IS NULL OR created_at >= CAST(:a AS date)::timestamp AT TIME ZONE 'UTC') "
                    "AND (CAST(:b AS date) IS NULL OR created_at < (CAST(:b AS date) + 1)::timestamp AT TIME ZONE 'UTC') "
                    "AND (:p = '' OR action LIKE :p || '%') ORDER BY seq DESC"),
                    {"a": start, "b": end, "p": filters.get("action", "")})]
                got, page = [], list_entries(s, actor=reader(), limit=200,
                                             filters={**filters, "date_from": start, "date_to": end})
                got += _seqs(page)
                while page.has_more:
                    page = list_entries(s, actor=reader(), limit=200, after_seq=page.next_cursor,
                                        filters={**filters, "date_from": start, "date_to": end})
                    got += _seqs(page)
                assert got == want, (start, end, filters)
                assert want or filters, "every unfiltered range holds entries"
