"""How much data each profile generates.

``demo`` is small enough to load in seconds and shows every queue state; ``large`` is the benchmark
data set (10,000 customers, each with a portfolio, plus 12 staff). Both print their staff sign-ins
(published passwords: local demos and benchmarks only; refused with ``DASHBOARD_ENV=prod``). ``tiny``
and ``large_slice`` (the large profile's staff and settings at a small size) exist for the test suite
only (the CLI offers demo|large).
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.models.enums import ReviewableEntity, Role

ALL_HISTORY = frozenset(ReviewableEntity)


@dataclass(frozen=True)
class StaffAccount:
    email: str
    role: Role
    first_name: str
    last_name: str
    password: str | None  # None: no usable password (the account cannot sign in)


# One account per staff role; two COMPLIANCE and two TREASURER accounts for four-eyes reviews.
DEMO_STAFF = (
    StaffAccount("admin@demo.local", Role.ADMIN, "Amelia", "Hart", "Admin-Demo-2026!"),
    StaffAccount("compliance@demo.local", Role.COMPLIANCE, "Kofi", "Mensah", "Compliance-Demo-2026!"),
    StaffAccount("compliance2@demo.local", Role.COMPLIANCE, "Lena", "Vogel", "Compliance2-Demo-2026!"),
    StaffAccount("treasurer@demo.local", Role.TREASURER, "Daniel", "Okafor", "Treasurer-Demo-2026!"),
    StaffAccount("treasurer2@demo.local", Role.TREASURER, "Sofia", "Marin", "Treasurer2-Demo-2026!"),
    StaffAccount("manager@demo.local", Role.MANAGER, "Marcus", "Reid", "Manager-Demo-2026!"),
    StaffAccount("support@demo.local", Role.SUPPORT, "Priya", "Nair", "Support-Demo-2026!"),
    StaffAccount("support2@demo.local", Role.SUPPORT, "Tom", "Becker", "Support2-Demo-2026!"),
)

# A customer who is an officer of savings groups (seed 004): OWNER of two groups, TREASURER of one.
DEMO_OFFICER = StaffAccount("officer@demo.local", Role.CUSTOMER, "Chidi", "Eze", "Officer-Demo-2026!")


def _bench_staff() -> tuple[StaffAccount, ...]:
    """admin1, compliance1-3, treasurer1-3, manager1, support1-4 @bench.local, each with a printed
    password (``Bench-<name>-2026!``) so a browser benchmark can sign in."""
    team = [("admin", Role.ADMIN, 1), ("compliance", Role.COMPLIANCE, 3), ("treasurer", Role.TREASURER, 3),
            ("manager", Role.MANAGER, 1), ("support", Role.SUPPORT, 4)]
    names = [("Grace", "Adams"), ("Yaw", "Boateng"), ("Ines", "Duarte"), ("Felix", "Wagner"), ("Amara", "Obi"),
             ("Lucas", "Moreau"), ("Hana", "Kimura"), ("Omar", "Haddad"), ("Nora", "Lindqvist"),
             ("Samuel", "Asante"), ("Clara", "Rossi"), ("Ethan", "Brooks")]
    accounts, i = [], 0
    for prefix, role, count in team:
        for n in range(1, count + 1):
            first, last = names[i]
            accounts.append(StaffAccount(f"{prefix}{n}@bench.local", role, first, last, f"Bench-{prefix}{n}-2026!"))
            i += 1
    return tuple(accounts)


BENCH_STAFF = _bench_staff()


@dataclass(frozen=True)
class Profile:
    name: str
    users: int  # total rows in ``users`` (staff + customers)
    staff: tuple[StaffAccount, ...]
    portfolios: int | None  # None: every customer has one
    transactions: int
    crypto_transactions: int
    gift_card_orders: int
    tickets: int
    messages: int
    groups: int
    withdrawals: int
    ledger_entries: int
    trades_per_year: float  # admin-executed trades per funded portfolio and year
    officer: StaffAccount | None = None  # a customer group officer with a known login
    per_row_images: bool = True  # False: decided cases share a small pool of image files
    history: frozenset[ReviewableEntity] = ALL_HISTORY  # which items get status_history rows

    @property
    def customers(self) -> int:
        return self.users - len(self.staff)


PROFILES: dict[str, Profile] = {
    "demo": Profile(
        name="demo", users=300 + len(DEMO_STAFF), staff=DEMO_STAFF, portfolios=100, transactions=10_000,
        crypto_transactions=400, gift_card_orders=200, tickets=200, messages=1_000, groups=20,
        withdrawals=200, ledger_entries=3_000, trades_per_year=10, officer=DEMO_OFFICER,
    ),
    "large": Profile(
        name="large", users=10_000 + len(BENCH_STAFF), staff=BENCH_STAFF, portfolios=None, transactions=1_000_000,
        crypto_transactions=200_000, gift_card_orders=50_000, tickets=50_000, messages=250_000,
        groups=1_000, withdrawals=20_000, ledger_entries=1_000_000, trades_per_year=6,
        per_row_images=False,
        history=frozenset(ALL_HISTORY - {ReviewableEntity.TRANSACTION, ReviewableEntity.CRYPTO_TRANSACTION}),
    ),
    # For the test suite: every queue state, in a couple of seconds.
    "tiny": Profile(
        name="tiny", users=70 + len(DEMO_STAFF), staff=DEMO_STAFF, portfolios=24, transactions=1_500,
        crypto_transactions=80, gift_card_orders=40, tickets=30, messages=150, groups=4,
        withdrawals=48, ledger_entries=400, trades_per_year=8, officer=DEMO_OFFICER,
    ),
    # For the test suite: the large profile's staff, settings and history at a tiny size.
    "large_slice": Profile(
        name="large_slice", users=90 + len(BENCH_STAFF), staff=BENCH_STAFF, portfolios=None, transactions=2_000,
        crypto_transactions=120, gift_card_orders=40, tickets=40, messages=200, groups=5, withdrawals=60,
        ledger_entries=600, trades_per_year=6, per_row_images=False,
        history=frozenset(ALL_HISTORY - {ReviewableEntity.TRANSACTION, ReviewableEntity.CRYPTO_TRANSACTION}),
    ),
}
