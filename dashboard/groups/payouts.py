"""Payout providers: the interface the group-withdrawal actions call, and a sandbox.

``PayoutProvider.send(reference=..., amount_kobo=..., beneficiary=...)`` returns a ``ProviderResult``:

- ``SUCCESS``: the transfer is done; ``provider_reference`` names it.
- ``PENDING``: accepted, the outcome arrives later as a ``webhook_event`` (``transfer.completed``).
- ``FAILED``: nothing was sent; ``error`` says why. The caller may retry later.

``reference`` is the idempotency key: the same reference sent twice must not pay twice (real
providers offer this; the sandbox remembers the references it paid and answers the first result).

The sandbox never touches the network. It fails on demand, for tests and demos:

- a beneficiary ``account_number`` ending in one of ``fail_suffixes`` (default ``"0000"``) fails;
- ``fail_next = n`` makes the next ``n`` calls fail whatever the account;
- an ``account_number`` ending in one of ``pending_suffixes`` (default ``"1111"``) is accepted as
  PENDING (confirmed later by a webhook).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

SUCCESS, PENDING, FAILED = "SUCCESS", "PENDING", "FAILED"


@dataclass(frozen=True)
class ProviderResult:
    status: str
    provider_reference: str | None = None
    error: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)


class PayoutProvider(Protocol):
    name: str

    def send(self, *, reference: str, amount_kobo: int, beneficiary: dict[str, Any]) -> ProviderResult: ...


class SandboxProvider:
    name = "sandbox"

    def __init__(self) -> None:
        self.fail_suffixes: tuple[str, ...] = ("0000",)
        self.pending_suffixes: tuple[str, ...] = ("1111",)
        self.fail_next = 0
        self.calls = 0
        self._paid: dict[str, ProviderResult] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self.fail_suffixes, self.pending_suffixes = ("0000",), ("1111",)
            self.fail_next = 0
            self.calls = 0
            self._paid.clear()

    def send(self, *, reference: str, amount_kobo: int, beneficiary: dict[str, Any]) -> ProviderResult:
        account = str((beneficiary or {}).get("account_number", ""))
        with self._lock:
            self.calls += 1
            if reference in self._paid:  # idempotent: the same transfer is never sent twice
                return self._paid[reference]
            failing = self.fail_next > 0 or any(account.endswith(s) for s in self.fail_suffixes if s)
            if self.fail_next > 0:
                self.fail_next -= 1
        payload = {"reference": reference, "amount": amount_kobo, "currency": "NGN"}
        if failing:
            return ProviderResult(FAILED, None, "Sandbox: the beneficiary bank refused the transfer",
                                  {**payload, "status": "FAILED"})
        status = PENDING if any(account.endswith(s) for s in self.pending_suffixes if s) else SUCCESS
        result = ProviderResult(status, f"SBX-{reference}", None,
                                {**payload, "status": "NEW" if status == PENDING else "SUCCESSFUL"})
        with self._lock:
            self._paid[reference] = result
        return result


SANDBOX = SandboxProvider()


def default_provider() -> PayoutProvider:
    return SANDBOX
