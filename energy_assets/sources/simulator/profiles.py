"""The shape of a simulated meter's day: public holidays, local calendar and load profile per
customer type."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
import numpy as np

from energy_assets.sources.simulator.config import LOCATIONS, FloatArray, IntArray, Location


@lru_cache(maxsize=64)
def _holiday_calendar(country: str, subdivision: str | None, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=subdivision, years=year)


def _day_type(loc: Location, day: date) -> int:
    """0 weekday, 1 Saturday, 2 Sunday or public holiday."""
    if day.weekday() == 6 or day in _holiday_calendar(loc.country, loc.subdivision, day.year):
        return 2
    return 1 if day.weekday() == 5 else 0


def _offset_minutes(instant: datetime, zone: ZoneInfo) -> float:
    return (instant.astimezone(zone).utcoffset() or timedelta(0)) / timedelta(minutes=1)


@lru_cache(maxsize=256)
def _local_calendar(day: date, interval: int) -> tuple[FloatArray, IntArray]:
    """Local clock hour at each interval's midpoint and the local day type, per location.

    Offsets are taken per UTC hour, so a DST day keeps its 24 UTC hours and the profile shifts."""
    m = 1440 // interval
    starts_min = np.arange(m) * interval
    mid_min = starts_min + interval / 2.0
    local_hour = np.empty((len(LOCATIONS), m))
    day_type = np.empty((len(LOCATIONS), m), dtype=np.int64)
    base = datetime(day.year, day.month, day.day, tzinfo=UTC)
    for li, loc in enumerate(LOCATIONS):
        zone = ZoneInfo(loc.timezone)
        offsets = np.array([_offset_minutes(base + timedelta(hours=h), zone) for h in range(24)])
        local_min = mid_min + offsets[starts_min // 60]
        shift = np.floor_divide(local_min, 1440).astype(np.int64)
        local_hour[li] = (local_min % 1440) / 60.0
        types = np.array([_day_type(loc, day + timedelta(days=s)) for s in (-1, 0, 1)])
        day_type[li] = types[shift + 1]
    local_hour.flags.writeable = False
    day_type.flags.writeable = False
    return local_hour, day_type


def _bump(hour: FloatArray, center: float, width: float) -> FloatArray:
    d = (hour - center + 12.0) % 24.0 - 12.0
    return np.exp(-0.5 * (d / width) ** 2)


def _window(hour: FloatArray, start: float, end: float, edge: float = 0.4) -> FloatArray:
    return 1.0 / ((1.0 + np.exp(-(hour - start) / edge)) * (1.0 + np.exp(-(end - hour) / edge)))


def _profile(ctype: IntArray, hour: FloatArray, day_type: IntArray) -> FloatArray:
    """Relative load by customer type at a local clock hour on a day type (holidays = Sunday)."""
    workday = day_type == 0
    saturday = day_type == 1
    home = np.where(
        workday,
        0.35 + 0.5 * _bump(hour, 7.2, 0.9) + 0.25 * _bump(hour, 12.5, 2.0)
        + 1.0 * _bump(hour, 19.3, 1.8),
        0.38 + 0.45 * _bump(hour, 9.3, 1.4) + 0.45 * _bump(hour, 13.0, 2.2)
        + 0.95 * _bump(hour, 19.0, 2.0),
    )  # fmt: skip
    commercial = 0.25 + np.where(
        workday, _window(hour, 7.5, 19.0), np.where(saturday, 0.45 * _window(hour, 9.0, 17.0), 0.0)
    )
    industrial = np.where(
        workday,
        0.5 + 0.5 * _window(hour, 5.5, 22.0),
        np.where(saturday, 0.45 + 0.3 * _window(hour, 6.0, 14.0), 0.4),
    )
    return np.asarray(np.choose(ctype, [home, commercial, industrial, home]))
