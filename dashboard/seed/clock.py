"""The calendar every generated row is anchored to: the data's "today" (``AS_OF``) and "now" (``NOW``).

By default the data is generated as of the day the generator runs, so a demo loaded this morning is
live today: open requests expire in the coming hours and days, SLA clocks are running, recent items
are recent. ``--as-of YYYY-MM-DD`` pins the calendar instead (the tests use it): a past day puts
``NOW`` at the end of that day, so the same seed and as-of give the same rows on any machine and any
day. The day the generator runs puts ``NOW`` at the current minute, so nothing is dated in the future.

``configure`` sets the module's calendar before a run; every generation step reads it as
``clock.NOW_MS`` and the like at call time (never copied at import). Times are integer milliseconds
since the Unix epoch (UTC) and days are integer day numbers since the epoch, so whole columns are
computed with numpy.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np

SNAPSHOT_DAYS = 365  # portfolio_snapshots cover the 365 days ending AS_OF
HISTORY_DAYS = 3 * 365  # customers signed up over the last three years

SECOND_MS = 1_000
MINUTE_MS = 60 * SECOND_MS
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS
NULL_MS = np.iinfo(np.int64).min  # marks a NULL timestamp in an int64 column


class FutureAsOf(ValueError):
    """The requested as-of day has not begun yet."""


def to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def day_number(day: date) -> int:
    return (day - date(1970, 1, 1)).days


def calendar_for(as_of: date | None, wall: datetime | None = None) -> tuple[date, datetime]:
    """(as-of day, now) for a run: ``as_of`` None means the run day (UTC). A past day ends at its
    midnight; the run day ends at the current minute. A day after the run day is refused."""
    wall = (wall or datetime.now(UTC)).astimezone(UTC)
    today = wall.date()
    day = today if as_of is None else as_of
    if day > today:
        raise FutureAsOf(f"the as-of day {day.isoformat()} is after today ({today.isoformat()}, UTC)")
    if day < today:
        return day, datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    return day, wall.replace(second=0, microsecond=0)


def configure(as_of: date, now: datetime) -> None:
    """Anchor every following generation step to ``as_of`` (the data's today) and ``now`` (a moment
    of that day, or its end)."""
    global AS_OF, NOW, NOW_MS, AS_OF_DAY, WINDOW_START_DAY, HISTORY_START_DAY, HISTORY_START_MS, WINDOW_START_MS
    start = datetime.combine(as_of, datetime.min.time(), tzinfo=UTC)
    if not start <= now <= start + timedelta(days=1):
        raise ValueError(f"now ({now.isoformat()}) must fall on the as-of day {as_of.isoformat()}")
    AS_OF, NOW = as_of, now
    NOW_MS = to_ms(now)
    AS_OF_DAY = day_number(as_of)
    WINDOW_START_DAY = AS_OF_DAY - SNAPSHOT_DAYS + 1  # first snapshot date
    HISTORY_START_DAY = AS_OF_DAY - HISTORY_DAYS + 1
    HISTORY_START_MS = HISTORY_START_DAY * DAY_MS
    WINDOW_START_MS = WINDOW_START_DAY * DAY_MS


# A calendar from the start, so that importing a step never fails; ``runner.run`` configures the real one.
AS_OF: date
NOW: datetime
NOW_MS: int
AS_OF_DAY: int
WINDOW_START_DAY: int
HISTORY_START_DAY: int
HISTORY_START_MS: int
WINDOW_START_MS: int
configure(*calendar_for(date(2026, 11, 20), datetime(2026, 11, 21, tzinfo=UTC)))


def days_of(ms: np.ndarray) -> np.ndarray:
    """Day numbers of millisecond timestamps."""
    return np.floor_divide(ms, DAY_MS)


def later(rng: np.random.Generator, start_ms: np.ndarray, low_ms, high_ms) -> np.ndarray:
    """A moment between ``low_ms`` and ``high_ms`` (scalars or arrays; log-uniform) after each
    start, and before NOW: when a start is too close to NOW the delay shrinks so the result stays
    in the past but after the start."""
    start_ms = np.asarray(start_ms, dtype=np.int64)
    low = np.log(np.maximum(low_ms, 1))
    high = np.log(np.maximum(high_ms, np.maximum(low_ms, 1) + 1))
    delay = np.exp(rng.uniform(low, high, start_ms.shape))
    room = np.maximum(NOW_MS - MINUTE_MS - start_ms, 1)
    delay = np.where(delay < room, delay, room * rng.uniform(0.05, 0.95, start_ms.shape))
    return start_ms + np.maximum(delay.astype(np.int64), 1)


def recent(rng: np.random.Generator, not_before_ms: np.ndarray, mean_age_ms: float, max_age_ms: float) -> np.ndarray:
    """Moments shortly before NOW (exponential age), never before ``not_before_ms``."""
    not_before_ms = np.asarray(not_before_ms, dtype=np.int64)
    age = np.minimum(rng.exponential(mean_age_ms, not_before_ms.shape), max_age_ms).astype(np.int64)
    moment = NOW_MS - 5 * MINUTE_MS - age
    fallback = not_before_ms + ((NOW_MS - not_before_ms) * rng.uniform(0.2, 0.8, not_before_ms.shape)).astype(np.int64)
    return np.where(moment > not_before_ms, moment, fallback)


def uniform_between(rng: np.random.Generator, start_ms: np.ndarray, end_ms: np.ndarray | int) -> np.ndarray:
    start_ms = np.asarray(start_ms, dtype=np.int64)
    span = np.maximum(np.asarray(end_ms, dtype=np.int64) - start_ms, 1)
    return start_ms + (rng.random(start_ms.shape) * span).astype(np.int64)
