"""Writing the planned KYC rows (``kyc``): verifications, documents with their files in private
storage, compliance checks and the status history."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from tqdm import tqdm

from dashboard.models.enums import DocumentStatus, KycDocumentType, ReviewableEntity
from dashboard.seed import clock, images
from dashboard.seed import copy as fmt
from dashboard.seed.clock import DAY_MS, NULL_MS
from dashboard.seed.context import Context
from dashboard.seed.ids import ordered, uuid7
from dashboard.seed.kyc import V, KycRows
from dashboard.seed.kyc_copy import COUNTRY3, DOC_FILES, POOL_SIZE, PROVIDERS


def _ms(values: list) -> np.ndarray:
    return np.array([NULL_MS if x is None else x for x in values], dtype=np.int64)


def _refs(values: list) -> np.ndarray:
    return fmt.optional_uuid(np.array([x or b"" for x in values], dtype="S32"))


def write(ctx: Context, rows: KycRows) -> None:
    rng = ctx.streams.np("kyc-ids")
    c = ctx.customers
    v = rows.verifications
    submitted = _ms(v["submitted"])
    vids = uuid7(rng, submitted)
    users = np.array(v["user"], dtype=np.int64)
    ctx.copy("kyc_verifications", {
        "id": fmt.uuid(vids), "user_id": fmt.ref(c.ids, users), "attempt": fmt.integer(v["attempt"]),
        "status": fmt.text([str(s) for s in v["status"]]), "document_type": fmt.text([str(s) for s in v["document_type"]]),
        "document_number": fmt.text(v["document_number"]), "first_name": fmt.text(v["first_name"]),
        "last_name": fmt.text(v["last_name"]), "date_of_birth": fmt.text([d.isoformat() for d in v["dob"]]),
        "address": fmt.text(v["address"]), "country": fmt.text(v["country"]),
        "extracted_document_number": fmt.text(v["x_number"]), "extracted_first_name": fmt.text(v["x_first"]),
        "extracted_last_name": fmt.text(v["x_last"]),
        "extracted_date_of_birth": fmt.text([d and d.isoformat() for d in v["x_dob"]]),
        "extracted_address": fmt.text(v["x_address"]), "risk_level": fmt.text([r and str(r) for r in v["risk"]]),
        "claimed_by_id": _refs(v["claimed_by"]), "claimed_until": fmt.ts(_ms(v["claimed_until"])),
        "claimed_since": fmt.ts(_ms(v["claimed_since"])),
        "first_approved_by_id": _refs(v["first_by"]), "first_approved_at": fmt.ts(_ms(v["first_at"])),
        "rejection_code": fmt.text(v["rejection_code"]), "rejection_reason": fmt.text(v["rejection_reason"]),
        "internal_note": fmt.text(v["internal_note"]), "reviewed_by_id": _refs(v["reviewed_by"]),
        "reviewed_at": fmt.ts(_ms(v["reviewed_at"])), "submitted_at": fmt.ts(submitted),
        "created_at": fmt.ts(submitted), "updated_at": fmt.ts(_ms(v["updated"])),
    }, order=ordered(vids))
    dids = _write_documents(ctx, rows, vids)
    _write_checks(ctx, rows, vids)
    _history(ctx, rows, vids, dids)


def _history(ctx: Context, rows: KycRows, vids: np.ndarray, dids: np.ndarray) -> None:
    for entity, ids in ((ReviewableEntity.KYC_VERIFICATION, vids), (ReviewableEntity.KYC_DOCUMENT, dids)):
        events = [e for e in rows.events if e[0] == entity]
        if not events:
            continue
        ctx.history.add(entity, ids[[e[1] for e in events]], [e[2] and str(e[2]) for e in events],
                        np.array([str(e[3]) for e in events], dtype=object), np.array([e[4] for e in events]),
                        actors=[e[5] or b"" for e in events], reasons=[e[6] for e in events])


def _document_file(ctx: Context, rows: KycRows, doc: int, vid: bytes, uid: bytes) -> tuple[str, int, str]:
    """Render (or reuse from the pool) the file of one document; return (key, size, sha256)."""
    d, v, c = rows.documents, rows.verifications, ctx.customers
    kind = d["type"][doc]
    ver = d["verification"][doc]
    file_name, _ = DOC_FILES[kind]
    is_open = d["status"][doc] == DocumentStatus.PENDING or v["status"][ver] == V.AWAITING_SECOND_REVIEW
    seed = (ctx.streams.seed * 1_000_003 + doc) % (2**31)
    if ctx.profile.per_row_images or is_open:
        key = f"kyc/{uid.decode()}/{vid.decode()}/{file_name}"
        size, digest = ctx.files.put(key, _render(kind, v, ver, c, seed))
        return key, size, digest
    slot = doc % POOL_SIZE
    key = f"kyc/pool/{slot:02d}-{file_name}"
    size, digest = ctx.files.shared(key, lambda: _render(kind, v, ver, c, slot))
    return key, size, digest


def _render(kind: KycDocumentType, v: dict, ver: int, c, seed: int) -> bytes:
    user = v["user"][ver]
    doc_type, country = str(v["document_type"][ver]), v["country"][ver]
    first, last = v["x_first"][ver] or v["first_name"][ver], v["x_last"][ver] or v["last_name"][ver]
    dob, number, expiry = v["x_dob"][ver] or v["dob"][ver], v["x_number"][ver] or v["document_number"][ver], v["expiry"][ver]
    if v["rejection_code"][ver] == "DOCUMENT_EXPIRED":
        expiry = clock.AS_OF - timedelta(days=40 + seed % 300)
    if kind == KycDocumentType.ID_FRONT:
        return images.id_front(doc_type, country, first, last, dob, number, expiry, seed)
    if kind == KycDocumentType.ID_BACK:
        return images.id_back(doc_type, COUNTRY3[country], first, last, dob, number, expiry, seed)
    if kind == KycDocumentType.SELFIE:
        return images.selfie(seed)
    issued = date(1970, 1, 1) + timedelta(days=int(v["submitted"][ver] // DAY_MS) - 20)
    name = f"{v['first_name'][ver]} {v['last_name'][ver]}"
    if kind == KycDocumentType.PROOF_OF_ADDRESS:
        return images.proof_of_address(name, c.address[user], c.city[user], issued, seed)
    return images.wealth_statement(name, f"USD {(seed % 90 + 10) * 25_000:,}.00", issued, seed)


def _write_documents(ctx: Context, rows: KycRows, vids: np.ndarray) -> np.ndarray:
    d, c = rows.documents, ctx.customers
    uploaded = _ms(d["uploaded"])
    dids = uuid7(ctx.streams.np("kyc-document-ids"), uploaded)
    keys, sizes, digests = [], [], []
    n = len(d["user"])
    for doc in tqdm(range(n), desc="  KYC files", unit=" files", leave=False, disable=ctx.quiet or n < 5_000):
        key, size, digest = _document_file(ctx, rows, doc, bytes(vids[d["verification"][doc]]), bytes(c.ids[d["user"][doc]]))
        keys.append(key)
        sizes.append(size)
        digests.append(digest)
    mime = [DOC_FILES[k][1] for k in d["type"]]
    ctx.copy("kyc_documents", {
        "id": fmt.uuid(dids), "user_id": fmt.ref(c.ids, np.array(d["user"])),
        "verification_id": fmt.ref(vids, np.array(d["verification"])), "document_type": fmt.text([str(k) for k in d["type"]]),
        "storage_key": fmt.text(keys), "file_name": fmt.text(d["file_name"]), "file_size": fmt.integer(sizes),
        "mime_type": fmt.text(mime), "sha256": fmt.text(digests), "status": fmt.text([str(s) for s in d["status"]]),
        "rejection_reason": fmt.text(d["reason"]), "reviewed_by": _refs(d["reviewed_by"]),
        "reviewed_at": fmt.ts(_ms(d["reviewed_at"])), "uploaded_at": fmt.ts(uploaded), "created_at": fmt.ts(uploaded),
    }, order=ordered(dids))
    return dids


def _write_checks(ctx: Context, rows: KycRows, vids: np.ndarray) -> None:
    r, c = rows.checks, ctx.customers
    checked = _ms(r["checked"])
    ids = uuid7(ctx.streams.np("compliance-ids"), checked)
    ver = np.array([-1 if x is None else x for x in r["verification"]], dtype=np.int64)
    ctx.copy("compliance_records", {
        "id": fmt.uuid(ids), "user_id": fmt.ref(c.ids, np.array(r["user"])), "verification_id": fmt.ref(vids, ver),
        "check_type": fmt.text([str(t) for t in r["type"]]), "provider": fmt.text([PROVIDERS[t][0] for t in r["type"]]),
        "provider_reference": fmt.text(r["reference"]), "result": fmt.text([str(x) for x in r["result"]]),
        "risk_level": fmt.text([str(x) for x in r["risk"]]), "risk_score": fmt.integer(r["score"]),
        "flags": fmt.json(r["flags"]), "details": fmt.json(r["details"]), "checked_at": fmt.ts(checked),
        "expires_at": fmt.ts(_ms(r["expires"])), "created_at": fmt.ts(checked),
    }, order=ordered(ids))


