"""KYC review: the queue, the case view, claims and decisions.

Rules
- Reading the queue or a case needs ``kyc.view``; claiming and deciding need ``kyc.review``; the
  document files need ``kyc.documents.view`` (checked by ``document_file``, audited on every view).
- Opening a case claims it for ``settings.kyc_claim_minutes`` ("being reviewed by ..."; PENDING ->
  UNDER_REVIEW). A case another officer holds is shown read-only and every decision on it is refused.
  A claim ends on a decision, on ``release`` or when it expires.
- Every change locks the case row first (``SELECT ... FOR UPDATE``) and re-checks its status and claim
  under the lock, so two officers acting at once change it once: the second sees the first's result
  and gets a ``Conflict``.
- One transaction per decision: the verification, its documents, ``users.kyc_status`` (+ approved
  at/by or the rejection message), a status-history row, a notification to the customer, an outbox
  event and the audit entry.
- Four-eyes: approving a HIGH or CRITICAL case records the first approval (-> AWAITING_SECOND_REVIEW,
  claim released); a *different* officer confirms it (``confirm_second_review``).
- Rejections take a code from ``REASONS``: RETRY -> RESUBMIT_REQUIRED (the customer may submit
  again), FINAL -> REJECTED. The message the customer sees is kept apart from the internal note.

Ids arrive as text and are parsed here; every argument is validated before anything is written.
"""
