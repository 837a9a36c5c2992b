"""The summary printed at the end of a seed: row counts, step times and (demo) sign-in details."""

from __future__ import annotations

from dashboard.models.enums import GroupRole
from dashboard.seed import clock
from dashboard.seed.context import Context
from dashboard.seed.profiles import Profile


def _table(headers: tuple[str, ...], rows: list[tuple], right: set[int] = frozenset()) -> list[str]:
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *rows)]

    def line(cells: tuple) -> str:
        return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    return [line(headers), line(tuple("-" * w for w in widths))] + [line(r) for r in rows]


def _officers(ctx: Context, limit: int) -> list[tuple[str, str]]:
    """(email, roles) of a few customers who are group officers."""
    t = ctx.extras.get("treasury")
    names = ctx.extras.get("group_names", [])
    if t is None:
        return []
    roles: dict[int, list[str]] = {}
    for m in t.members:
        if m.role != GroupRole.MEMBER and m.removed < 0:
            roles.setdefault(m.user, []).append(f"{m.role.value} of {names[m.group]}")
    def short(found: list[str]) -> str:
        return "; ".join(found[:3]) + (f" (+{len(found) - 3} more)" if len(found) > 3 else "")

    return [(ctx.customers.email[user], short(found)) for user, found in list(roles.items())[:limit]]


def summary(profile: Profile, seed: int, counts: dict[str, int], timings: list[tuple[str, float]], elapsed: float,
            ctx: Context) -> None:
    as_of = f"{clock.NOW:%Y-%m-%d %H:%M} UTC"
    out = [f"seed: profile {profile.name}, seed {seed}, data as of {as_of}: loaded in {elapsed:.1f} s", ""]
    out += _table(("table", "rows"), [(t, f"{n:,}") for t, n in counts.items()] + [("total", f"{sum(counts.values()):,}")], {1})
    out.append("")
    out += _table(("step", "seconds"), [(name, f"{secs:.1f}") for name, secs in timings] + [("total", f"{elapsed:.1f}")], {1})
    out.append("")
    logins = [a for a in profile.staff if a.password]
    if logins:
        rows = [(a.email, a.role.value, a.password) for a in logins]
        if profile.officer:
            rows.append((profile.officer.email, "CUSTOMER (group officer)", profile.officer.password))
        kind = "Demo" if profile.officer else "Benchmark"
        out.append(f"{kind} sign-in (published passwords: for local demos and benchmarks only):")
        out += _table(("email", "role", "password"), rows)
        out.append("")
    else:
        out.append("Staff accounts (no password set, they cannot sign in): "
                   + ", ".join(f"{a.email} ({a.role.value})" for a in profile.staff))
        out.append("")
    officers = _officers(ctx, 4 if profile.officer else 3)
    if officers:
        out.append("Group officers (customers who sign in to the group-approval screen only):")
        out += [f"  {email}: {roles}" for email, roles in officers]
    print("\n".join(out))
