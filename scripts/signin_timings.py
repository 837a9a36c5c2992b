"""Sign-in timings (issue 12, findings 3 and 7): prints figures, asserts nothing.

1. median / p95 of N POSTs to /_auth/login (wrong password) through Starlette's TestClient on
   build_auth_app(), for the four kinds of account: staff, customer with a password, customer
   without one, unknown e-mail. Real cost-12 hashes.
2. how long a signed-in officer's request (resolve the session, in the app's worker threads) waits
   while 40 bad sign-ins run concurrently.

Usage: DATABASE_URL=postgresql://postgres@127.0.0.1:5432/<scratch db, migrated> python scripts/signin_timings.py
The throttle limits are raised for the run (the figures measure the work, not the throttle).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
import uuid
import warnings

import httpx
from sqlmodel import Session

from dashboard import db as dashboard_db
from dashboard.auth import passwords
from dashboard.auth.sessions import resolve_session
from dashboard.config import get_settings
from dashboard.models import User
from dashboard.web.app import build_auth_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

ORIGIN = "http://localhost:3000"
PASSWORD = "timing-password-123"
ROUNDS = int(os.environ.get("ROUNDS", "20"))


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def main() -> None:
    settings = get_settings()
    for name, value in (("signin_max_per_address", 100000), ("signin_max_per_email", 100000)):
        if name in type(settings).model_fields:
            setattr(settings, name, value)
    settings.allowed_origin = ORIGIN
    engine = dashboard_db.make_engine(os.environ["DATABASE_URL"])
    dashboard_db.set_engine(engine)
    tag = uuid.uuid4().hex[:6]
    hashed = passwords.hash_password(PASSWORD)
    emails = {
        "staff": f"staff-{tag}@timing.test",
        "customer with password": f"cust-{tag}@timing.test",
        "customer without password": f"bare-{tag}@timing.test",
        "unknown e-mail": f"nobody-{tag}@timing.test",
    }
    with Session(engine) as s, s.begin():
        s.add(User(email=emails["staff"], first_name="T", last_name="S", role="SUPPORT", platform="STAFF",
                   password_hash=hashed))
        s.add(User(email=emails["customer with password"], first_name="T", last_name="C", role="CUSTOMER",
                   account_type="STOCK", password_hash=hashed))
        s.add(User(email=emails["customer without password"], first_name="T", last_name="B", role="CUSTOMER",
                   account_type="STOCK", password_hash=None))
        s.add(User(email=f"officer-{tag}@timing.test", first_name="T", last_name="O", role="SUPPORT",
                   platform="STAFF", password_hash=hashed))

    with TestClient(build_auth_app(), base_url=ORIGIN, follow_redirects=False) as client:
        def post(email: str, password: str):
            return client.post("/_auth/login", data={"email": email, "password": password},
                               headers={"origin": ORIGIN})

        post(emails["unknown e-mail"], "warm-up-password")  # the dummy hash is made once
        print(f"sign-in timings, {ROUNDS} POSTs each (wrong password), ms")
        for kind, email in emails.items():
            times = []
            for n in range(ROUNDS):
                # staff: sign in right every 4th time so the staff lockout never kicks in
                password = PASSWORD if kind == "staff" and n % 4 == 3 else "wrong-password-999"
                start = time.perf_counter()
                post(email, password)
                times.append((time.perf_counter() - start) * 1000)
            print(f"  {kind:28s} median {statistics.median(times):7.1f}   p95 {pct(times, 0.95):7.1f}")
        token = post(f"officer-{tag}@timing.test", PASSWORD).cookies["bo_session"]

    async def officer_during_flood() -> None:
        transport = httpx.ASGITransport(app=build_auth_app(), client=("203.0.113.77", 1234))
        async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as http:
            async def officer(samples: list[float], stop: asyncio.Event) -> None:
                while not stop.is_set():
                    start = time.perf_counter()
                    await dashboard_db.run_db(resolve_session, token=token)
                    samples.append((time.perf_counter() - start) * 1000)
                    await asyncio.sleep(0.05)

            quiet: list[float] = []
            stop = asyncio.Event()
            task = asyncio.create_task(officer(quiet, stop))
            await asyncio.sleep(1.0)
            stop.set()
            await task
            busy: list[float] = []
            stop = asyncio.Event()
            task = asyncio.create_task(officer(busy, stop))
            start = time.perf_counter()
            await asyncio.gather(*(http.post("/_auth/login", headers={"origin": ORIGIN},
                                             data={"email": f"bad-{n}-{tag}@timing.test", "password": "wrong-pass-1"})
                                   for n in range(40)))
            flood = time.perf_counter() - start
            stop.set()
            await task
            print(f"officer's request (resolve session), ms: quiet median {statistics.median(quiet):.1f} "
                  f"p95 {pct(quiet, 0.95):.1f}; during 40 concurrent bad sign-ins ({flood:.1f} s, {len(busy)} requests) "
                  f"median {statistics.median(busy):.1f} p95 {pct(busy, 0.95):.1f} max {max(busy):.1f}")

    asyncio.run(officer_during_flood())


if __name__ == "__main__":
    main()
