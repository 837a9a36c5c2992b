"""Customers of the five platforms: names, contact details and sign-up dates.

Names and street addresses come from Faker (one seeded instance per locale); cities, time zones and
phone prefixes from the small country table below, so the places are real.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import numpy as np
from faker import Faker

from dashboard.models.enums import AccountType, KycStatus, Language, Platform, TwoFactorMethod
from dashboard.seed import copy as fmt
from dashboard.seed import clock
from dashboard.seed.clock import DAY_MS, HOUR_MS, NULL_MS, uniform_between
from dashboard.seed.context import Context
from dashboard.seed.ids import Streams, ordered, uuid7
from dashboard.seed.profiles import Profile


@dataclass(frozen=True)
class Country:
    locales: tuple[str, ...]
    cities: tuple[str, ...]
    timezone: str
    language: Language
    calling_code: str
    phone_digits: int
    currency: str  # fiat currency of the customer's deposits


COUNTRIES: dict[str, Country] = {
    "US": Country(("en_US",), ("New York", "Los Angeles", "Chicago", "Houston", "Miami", "Seattle", "Boston", "Austin"),
                  "America/New_York", Language.EN, "1", 10, "USD"),
    "CA": Country(("en_CA",), ("Toronto", "Vancouver", "Montreal", "Calgary", "Ottawa"),
                  "America/Toronto", Language.EN, "1", 10, "USD"),
    "GB": Country(("en_GB",), ("London", "Manchester", "Birmingham", "Leeds", "Glasgow", "Bristol", "Edinburgh"),
                  "Europe/London", Language.EN, "44", 10, "GBP"),
    "IE": Country(("en_IE",), ("Dublin", "Cork", "Galway", "Limerick"), "Europe/Dublin", Language.EN, "353", 9, "EUR"),
    "DE": Country(("de_DE",), ("Berlin", "Hamburg", "München", "Köln", "Frankfurt am Main", "Stuttgart", "Leipzig"),
                  "Europe/Berlin", Language.DE, "49", 11, "EUR"),
    "CH": Country(("de_CH", "fr_CH"), ("Zürich", "Genève", "Basel", "Bern", "Lausanne"),
                  "Europe/Zurich", Language.DE, "41", 9, "EUR"),
    "FR": Country(("fr_FR",), ("Paris", "Lyon", "Marseille", "Toulouse", "Nice", "Bordeaux", "Lille"),
                  "Europe/Paris", Language.FR, "33", 9, "EUR"),
    "ES": Country(("es_ES",), ("Madrid", "Barcelona", "Valencia", "Sevilla", "Bilbao", "Málaga"),
                  "Europe/Madrid", Language.ES, "34", 9, "EUR"),
    "NL": Country(("nl_NL",), ("Amsterdam", "Rotterdam", "Utrecht", "The Hague", "Eindhoven"),
                  "Europe/Amsterdam", Language.EN, "31", 9, "EUR"),
    "PT": Country(("pt_PT",), ("Lisboa", "Porto", "Braga", "Coimbra"), "Europe/Lisbon", Language.EN, "351", 9, "EUR"),
    "BR": Country(("pt_BR",), ("São Paulo", "Rio de Janeiro", "Belo Horizonte", "Curitiba", "Recife"),
                  "America/Sao_Paulo", Language.EN, "55", 11, "USD"),
    "GH": Country(("tw_GH",), ("Accra", "Kumasi", "Tamale", "Takoradi", "Cape Coast", "Tema"),
                  "Africa/Accra", Language.EN, "233", 9, "USD"),
    "NG": Country(("yo_NG", "ig_NG", "ha_NG", "en_NG"), ("Lagos", "Abuja", "Ibadan", "Port Harcourt", "Kano", "Enugu"),
                  "Africa/Lagos", Language.EN, "234", 10, "USD"),
    "ZA": Country(("zu_ZA",), ("Johannesburg", "Cape Town", "Durban", "Pretoria"),
                  "Africa/Johannesburg", Language.EN, "27", 9, "USD"),
    "KE": Country(("en_KE",), ("Nairobi", "Mombasa", "Kisumu", "Nakuru"), "Africa/Nairobi", Language.EN, "254", 9, "USD"),
}

PLATFORM_WEIGHTS = {Platform.VIP: 30, Platform.VALIFI: 20, Platform.CRYPTO: 20, Platform.DIBOAS: 15, Platform.TREASURY: 15}

PLATFORM_COUNTRIES: dict[Platform, dict[str, int]] = {
    Platform.VIP: {"US": 28, "GB": 15, "DE": 12, "CH": 9, "FR": 8, "CA": 8, "ES": 6, "NL": 6, "IE": 4, "PT": 4},
    Platform.VALIFI: {"US": 25, "GB": 15, "NG": 15, "ZA": 10, "CA": 10, "KE": 8, "DE": 7, "GH": 5, "IE": 5},
    Platform.CRYPTO: {"GH": 85, "NG": 10, "GB": 5},
    Platform.DIBOAS: {"BR": 30, "US": 20, "PT": 15, "ES": 15, "DE": 10, "FR": 10},
    Platform.TREASURY: {"NG": 90, "GH": 5, "GB": 5},
}

CRYPTO_ACCOUNT_SHARE = {Platform.VIP: 0.45, Platform.VALIFI: 0.5, Platform.CRYPTO: 1.0, Platform.DIBOAS: 0.4,
                        Platform.TREASURY: 0.0}
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")  # reserved for documentation (RFC 2606)
PORTFOLIO_PLATFORMS = (Platform.VIP, Platform.VALIFI, Platform.DIBOAS)


@dataclass
class Customers:
    ids: np.ndarray
    created_ms: np.ndarray
    platform: np.ndarray
    country: np.ndarray
    nationality: np.ndarray
    account_type: np.ndarray
    first_name: list[str]
    last_name: list[str]
    email: list[str]
    username: list[str | None]
    phone: list[str]
    address: list[str]
    city: list[str]
    dob_days: np.ndarray
    language: np.ndarray
    timezone: np.ndarray
    journey: np.ndarray  # KYC journey code, see kyc.JOURNEYS
    has_portfolio: np.ndarray
    is_active: np.ndarray
    email_verified: np.ndarray
    two_factor_method: np.ndarray
    last_login_ms: np.ndarray
    password_hash: list[str | None]
    # Filled in by the KYC step
    kyc_status: np.ndarray = field(default_factory=lambda: np.array([]))
    kyc_rejection_reason: list[str | None] = field(default_factory=list)
    kyc_approved_ms: np.ndarray = field(default_factory=lambda: np.array([]))
    kyc_approved_by: np.ndarray = field(default_factory=lambda: np.array([]))  # S32, b"" when NULL
    updated_ms: np.ndarray = field(default_factory=lambda: np.array([]))

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def approved(self) -> np.ndarray:
        return self.kyc_status == KycStatus.APPROVED.value


def _choose(rng: np.random.Generator, weights: dict, n: int) -> np.ndarray:
    keys = list(weights)
    p = np.array([weights[k] for k in keys], dtype=float)
    return np.array([str(k) for k in keys])[rng.choice(len(keys), n, p=p / p.sum())]


def _ensure_each(rng: np.random.Generator, values: np.ndarray, required: list[str], skip: int = 0) -> None:
    """Make sure each of ``required`` occurs at least once (overwriting random rows after ``skip``)."""
    for value in required:
        if not (values == value).any():
            values[rng.integers(skip, len(values))] = value


def _ascii(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalpha()) or "user"


class _NameBook:
    """One seeded Faker per locale; names and street addresses drawn in a fixed order."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.fakers: dict[str, Faker] = {}

    def faker(self, locale: str) -> Faker:
        if locale not in self.fakers:
            fake = Faker(locale)
            fake.seed_instance(f"{self.seed}:{locale}")
            self.fakers[locale] = fake
        return self.fakers[locale]


def _emails(rng: np.random.Generator, first: list[str], last: list[str], reserved: set[str]) -> list[str]:
    taken = set(reserved)
    out = []
    patterns = rng.integers(0, 4, len(first))
    numbers = rng.integers(1, 99, len(first))
    domains = rng.integers(0, len(EMAIL_DOMAINS), len(first))
    for f, l, pattern, number, domain in zip(first, last, patterns, numbers, domains):
        f, l = _ascii(f), _ascii(l)
        local = (f"{f}.{l}", f"{f}{l}{number}", f"{f[0]}.{l}", f"{f}_{l}{number}")[pattern]
        email = f"{local}@{EMAIL_DOMAINS[domain]}"
        counter = 2
        while email in taken:
            email = f"{local}{counter}@{EMAIL_DOMAINS[domain]}"
            counter += 1
        taken.add(email)
        out.append(email)
    return out


def _usernames(emails: list[str], platform: np.ndarray) -> list[str | None]:
    """Usernames exist on the platforms that have them (Valifi, Crypto Buy/Sell); unique."""
    wanted = {Platform.VALIFI.value, Platform.CRYPTO.value}
    taken: set[str] = set()
    out: list[str | None] = []
    for email, p in zip(emails, platform):
        if p not in wanted:
            out.append(None)
            continue
        base = email.split("@")[0].replace(".", "_")
        name, counter = base, 2
        while name in taken:
            name, counter = f"{base}{counter}", counter + 1
        taken.add(name)
        out.append(name)
    return out


def _phones(rng: np.random.Generator, countries: np.ndarray) -> list[str]:
    out = []
    for code in countries:
        c = COUNTRIES[code]
        if c.calling_code == "1":  # fictional 555-01xx numbers
            out.append(f"+1{rng.integers(201, 990)}55501{rng.integers(0, 100):02d}")
        else:
            national = "".join(str(d) for d in rng.integers(0, 10, c.phone_digits - 1))
            out.append(f"+{c.calling_code}{rng.integers(2, 10)}{national}")
    return out


def _portfolio_owners(rng: np.random.Generator, profile: Profile, platform: np.ndarray, journey: np.ndarray,
                      approved_journeys: np.ndarray) -> np.ndarray:
    n = len(platform)
    if profile.portfolios is None:
        return np.ones(n, dtype=bool)
    eligible = np.isin(platform, [p.value for p in PORTFOLIO_PLATFORMS])
    # Mostly customers who will pass KYC (a funded portfolio needs an approved KYC).
    weight = np.where(eligible, np.where(np.isin(journey, approved_journeys), 6.0, 1.0), 0.0)
    chosen = rng.choice(n, profile.portfolios, replace=False, p=weight / weight.sum())
    owners = np.zeros(n, dtype=bool)
    owners[chosen] = True
    return owners


def _countries(rng: np.random.Generator, platform: np.ndarray) -> np.ndarray:
    country = np.empty(len(platform), dtype="U2")
    for p, weights in PLATFORM_COUNTRIES.items():
        mask = platform == p.value
        country[mask] = _choose(rng, weights, int(mask.sum()))
    return country


def _names(streams: Streams, rng: np.random.Generator, country: np.ndarray) -> tuple[list[str], ...]:
    book = _NameBook(streams.seed)
    first, last, street, city = [], [], [], []
    for code in country:
        c = COUNTRIES[code]
        fake = book.faker(c.locales[int(rng.integers(0, len(c.locales)))])
        first.append(fake.first_name())
        last.append(fake.last_name())
        street.append(fake.street_address().replace("\n", ", "))
        city.append(c.cities[int(rng.integers(0, len(c.cities)))])
    return first, last, street, city


def build_customers(profile: Profile, streams: Streams, journeys: np.ndarray, approved_journeys: np.ndarray,
                    officer_hash: str | None) -> Customers:
    """``journeys``: the KYC journey of each customer (drawn by the KYC step). With a demo officer,
    customer 0 is that officer."""
    rng = streams.np("customers")
    n = profile.customers
    officer = profile.officer
    platform = _choose(rng, PLATFORM_WEIGHTS, n)
    if officer is not None:
        platform[0] = Platform.TREASURY.value
    _ensure_each(rng, platform, [p.value for p in PLATFORM_WEIGHTS], skip=1)
    country = _countries(rng, platform)
    has_portfolio = _portfolio_owners(rng, profile, platform, journeys, approved_journeys)

    # Portfolio owners signed up before the snapshot window; everyone else at any time.
    created = np.where(
        has_portfolio,
        uniform_between(rng, np.full(n, clock.HISTORY_START_MS), clock.WINDOW_START_MS - 20 * DAY_MS),
        uniform_between(rng, np.full(n, clock.HISTORY_START_MS), clock.NOW_MS - 2 * HOUR_MS),
    )
    first, last, street, city = _names(streams, rng, country)
    foreign = rng.random(n) < 0.1
    nationality = np.where(foreign, np.array(list(COUNTRIES))[rng.integers(0, len(COUNTRIES), n)], country)
    crypto_share = np.array([CRYPTO_ACCOUNT_SHARE[Platform(p)] for p in platform])
    account_type = np.where(rng.random(n) < crypto_share, AccountType.CRYPTO.value, AccountType.STOCK.value)
    age_days = (rng.triangular(19, 33, 78, n) * 365.25).astype(np.int64)
    # Customers use e-mail or SMS codes; authenticator apps are for staff (their secrets are enrolled
    # by the auth service, not generated here).
    two_factor = np.array([m.value for m in (TwoFactorMethod.NONE, TwoFactorMethod.EMAIL, TwoFactorMethod.SMS)])[
        rng.choice(3, n, p=[0.6, 0.25, 0.15])]
    reserved = {a.email for a in profile.staff} | ({officer.email} if officer else set())
    emails = _emails(rng, first, last, reserved)
    password_hash: list[str | None] = [None] * n  # customers never sign in to the dashboard
    if officer is not None:
        country[0], nationality[0], account_type[0] = "NG", "NG", AccountType.STOCK.value
        first[0], last[0], emails[0], city[0] = officer.first_name, officer.last_name, officer.email, "Lagos"
        created[0] = clock.HISTORY_START_MS + 3 * DAY_MS
        password_hash[0] = officer_hash
    is_active = rng.random(n) > 0.02
    is_active[0] = True
    last_login = np.where(is_active, uniform_between(rng, created, clock.NOW_MS - HOUR_MS), created + HOUR_MS)
    return Customers(
        ids=uuid7(rng, created), created_ms=created, platform=platform, country=country,
        nationality=nationality, account_type=account_type, first_name=first, last_name=last, email=emails,
        username=_usernames(emails, platform), phone=_phones(rng, country), address=street, city=city,
        dob_days=clock.AS_OF_DAY - age_days, language=np.array([COUNTRIES[c].language.value for c in country]),
        timezone=np.array([COUNTRIES[c].timezone for c in country]), journey=journeys,
        has_portfolio=has_portfolio, is_active=is_active, email_verified=rng.random(n) < 0.93,
        two_factor_method=two_factor, last_login_ms=last_login, password_hash=password_hash,
    )


PREFERENCE_CURRENCY = {"GH": "GHS", "NG": "NGN", "GB": "GBP"}


def write_users(ctx: Context, staff_hashes: list[str | None]) -> None:
    """Staff and customers in one COPY, sorted by id."""
    staff, c = ctx.staff, ctx.customers
    rng = ctx.streams.np("users-write")
    k, n = len(staff.accounts), len(c)
    hashes = staff_hashes + c.password_hash
    staff_ms = staff.created_ms
    created = np.concatenate([staff_ms, c.created_ms])
    eur = {code for code, country in COUNTRIES.items() if country.currency == "EUR"}
    currency = [PREFERENCE_CURRENCY.get(code, "EUR" if code in eur else "USD") for code in c.country]
    themes = rng.choice(["light", "dark", "system"], n)
    prefs = [{} for _ in range(k)] + [
        {"currency": cur, "theme": str(theme), "weekly_summary": bool(w)}
        for cur, theme, w in zip(currency, themes, rng.random(n) < 0.6)]
    approved_by = c.kyc_approved_by
    columns = {
        "id": fmt.uuid(np.concatenate([staff.ids, c.ids])),
        "email": fmt.text([a.email for a in staff.accounts] + c.email),
        "username": fmt.text([None] * k + c.username),
        "password_hash": fmt.text(hashes),
        "role": fmt.text([a.role.value for a in staff.accounts] + ["CUSTOMER"] * n),
        "platform": fmt.text(["STAFF"] * k + c.platform.tolist()),
        "first_name": fmt.text([a.first_name for a in staff.accounts] + c.first_name),
        "last_name": fmt.text([a.last_name for a in staff.accounts] + c.last_name),
        "phone": fmt.text([None] * k + c.phone),
        "address": fmt.text([None] * k + c.address),
        "city": fmt.text([None] * k + c.city),
        "country": fmt.text([None] * k + c.country.tolist()),
        "nationality": fmt.text([None] * k + c.nationality.tolist()),
        "date_of_birth": fmt.text([None] * k + fmt.date(c.dob_days).tolist()),
        "timezone": fmt.text(["UTC"] * k + c.timezone.tolist()),
        "language": fmt.text(["EN"] * k + c.language.tolist()),
        "account_type": fmt.text([None] * k + c.account_type.tolist()),
        "kyc_status": fmt.text(["NOT_STARTED"] * k + c.kyc_status.tolist()),
        "kyc_rejection_reason": fmt.text([None] * k + c.kyc_rejection_reason),
        "kyc_approved_at": fmt.ts(np.concatenate([np.full(k, NULL_MS), c.kyc_approved_ms])),
        "kyc_approved_by": fmt.text([None] * k + [b.decode() or None for b in approved_by.tolist()]),
        "two_factor_enabled": fmt.boolean(np.concatenate([np.zeros(k, bool), c.two_factor_method != "NONE"])),
        "two_factor_method": fmt.text(["NONE"] * k + c.two_factor_method.tolist()),
        "login_alerts": fmt.boolean(np.ones(k + n, bool)),
        "preferences": fmt.json(prefs),
        "password_changed_at": fmt.ts(np.where([h is not None for h in hashes], created, NULL_MS)),
        "is_active": fmt.boolean(np.concatenate([np.ones(k, bool), c.is_active])),
        "email_verified": fmt.boolean(np.concatenate([np.ones(k, bool), c.email_verified | c.approved])),
        "last_login_at": fmt.ts(np.concatenate([np.full(k, NULL_MS), c.last_login_ms])),
        "created_at": fmt.ts(created),
        "updated_at": fmt.ts(np.concatenate([staff_ms, np.maximum(c.updated_ms, c.last_login_ms)])),
    }
    ids = np.concatenate([staff.ids, c.ids])
    ctx.copy("users", columns, order=ordered(ids))
