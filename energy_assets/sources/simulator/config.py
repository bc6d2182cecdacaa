"""The simulator's configuration and constants: meters' mix, anomaly rates, random streams, the
locations and their climate, and the Arrow array helpers every table uses."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from checks.contracts import (
    UTC_TS,
)

FloatArray = npt.NDArray[np.float64]


IntArray = npt.NDArray[np.int64]


BoolArray = npt.NDArray[np.bool_]


SOURCE = "simulator"


RESIDENTIAL = "residential"


COMMERCIAL = "commercial"


INDUSTRIAL = "industrial"


PROSUMER = "prosumer"


CUSTOMER_TYPES: tuple[str, ...] = (RESIDENTIAL, COMMERCIAL, INDUSTRIAL, PROSUMER)


_R, _C, _I, _P = range(4)


# The k-th meter of every location takes type _TYPE_CYCLE[k % 10]: 60/20/10/10 % in the long run,
# and every location gets every type (a cycle on the global index would couple with locations).
_TYPE_CYCLE = (_R, _C, _R, _P, _R, _I, _R, _C, _R, _R)


DEFAULT_INSTALLED_ON = date(2020, 1, 1)


LATE_INSTALLS: dict[int, date] = {9: date(2024, 3, 1), 20: date(2024, 6, 15)}
"""Meter index -> installation day, for the few meters installed after the others."""


UNIT_ERROR_METER_INDEX = 2
"""The meter (MTR-0003) that reports Wh labelled kWh about one week in every 8 weeks."""


CLEAN_METER_MODULUS = 7
"""Meters whose index % 7 == 3 never get an injected anomaly (false alarms are measured on them)."""


UNKNOWN_METER_ID = "MTR-9999"
"""A meter id no registry describes, sent now and then so silver has something to quarantine."""


MAX_METERS = 9998


HEATING_BASE_C = 15.5


COOLING_BASE_C = 22.0


# Anomaly rates (per non-clean meter-day unless said otherwise).
P_SPIKE = 0.005


P_ZERO_DROPOUT = 0.004


P_FLATLINE = 0.004


P_THEFT_PER_BLOCK = 0.08


THEFT_BLOCK_DAYS = 28


UNIT_ERROR_BLOCK_DAYS = 56


# Messiness rates.
P_GAP = 0.05  # meter-days with a gap of 1-8 intervals


P_DAY_MISSING = 0.002  # meter-days with no reading at all


P_DUPLICATE = 0.005  # rows sent twice in the same batch


P_LATE = 0.015  # rows (re-)sent in a batch 2-4 days later


LATE_ONLY_SHARE = 0.2  # of late rows: missing from the regular batch


LATE_REVISED_SHARE = 0.4  # of late rows: re-sent with a revised value


P_NAN = 0.0003  # rows whose energy is NaN


P_ESTIMATED = 0.003  # rows flagged is_estimated (value is a guess)


P_UNKNOWN_METER_DAY = 0.15  # days with 1-3 readings for UNKNOWN_METER_ID


_STREAM_METER = 1


_STREAM_DAY = 2


_STREAM_THEFT = 3


_STREAM_UNIT = 4


_STREAM_WEATHER = 5


_STREAM_FORECAST = 6


_STREAM_UNKNOWN = 7


_US_PER_MIN = 60_000_000


_US_PER_HOUR = 60 * _US_PER_MIN


_US_PER_DAY = 24 * _US_PER_HOUR


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


_J2000_DAYS = 10957.0  # 2000-01-01 in days since the Unix epoch


_YEAR_DAYS = 365.2422


_TWO_PI = 2.0 * math.pi


@dataclass(frozen=True)
class SimulatorConfig:
    """What the simulator produces: everything else is a pure function of these and the day."""

    seed: int = 42
    n_meters: int = 50
    weather_issue_hour_utc: int = 6
    """Forecasts are issued once a day at this hour."""
    forecast_days_ahead: int = 3
    """Each issue covers the valid hours of the issue day and of the next this many days."""
    hard_shapes: bool = False
    """Add the shapes of `simulator.shapes` (partial-day bursts, drops then recovery, level
    shifts): the harder yardstick of the anomaly detectors."""


@dataclass(frozen=True)
class Location:
    """A weather location with its calendar (time zone, holidays) and its climate."""

    location_id: str
    name: str
    region: str
    country: str
    subdivision: str | None
    timezone: str
    latitude: float
    longitude: float
    annual_mean_temp_c: float
    seasonal_amplitude_c: float
    """Half the spread between the warmest and the coldest time of year."""
    diurnal_amplitude_c: float
    """Half the day-night spread under a clear sky."""
    synoptic_sd_c: float = 3.0
    """Spread of the multi-day weather anomaly."""
    cloud_logit: float = 0.0
    """Mean cloudiness on the logit scale (negative: sunny)."""
    cloud_winter_logit: float = 0.4
    """How much cloudier winter is than summer (logit scale)."""
    mean_wind_ms: float = 4.0
    mean_relative_humidity_pct: float = 75.0


LOCATIONS: tuple[Location, ...] = (
    Location("paris", "Paris", "FR-IDF", "FR", None, "Europe/Paris", 48.857, 2.352,
             12.5, 7.8, 4.5, 3.0, 0.3, 0.4, 3.8, 74.0),
    Location("marseille", "Marseille", "FR-PAC", "FR", None, "Europe/Paris", 43.296, 5.370,
             15.8, 8.5, 4.5, 2.5, -0.9, 0.5, 5.0, 66.0),
    Location("munich", "Munich", "DE-BY", "DE", "BY", "Europe/Berlin", 48.137, 11.575,
             9.5, 9.5, 5.0, 3.5, 0.4, 0.4, 3.0, 76.0),
    Location("seville", "Seville", "ES-AN", "ES", "AN", "Europe/Madrid", 37.389, -5.984,
             19.2, 8.5, 7.5, 2.2, -1.3, 0.8, 3.2, 60.0),
    Location("manchester", "Manchester", "GB-ENG", "GB", "ENG", "Europe/London", 53.481, -2.242,
             10.0, 6.0, 3.5, 2.5, 0.9, 0.3, 5.0, 80.0),
    Location("helsinki", "Helsinki", "FI-18", "FI", "18", "Europe/Helsinki", 60.170, 24.938,
             6.0, 11.5, 3.5, 4.0, 0.6, 0.6, 4.5, 79.0),
)  # fmt: skip


_LOCATION_INDEX = {loc.location_id: i for i, loc in enumerate(LOCATIONS)}


_LAT_RAD = np.radians([loc.latitude for loc in LOCATIONS])


_LON_DEG = np.array([loc.longitude for loc in LOCATIONS])


def _climate(name: str) -> FloatArray:
    return np.array([getattr(loc, name) for loc in LOCATIONS], dtype=np.float64)


_MEAN_T = _climate("annual_mean_temp_c")


_SEASON_T = _climate("seasonal_amplitude_c")


_DIURNAL_T = _climate("diurnal_amplitude_c")


_SYNOPTIC_SD = _climate("synoptic_sd_c")


_CLOUD_LOGIT = _climate("cloud_logit")


_CLOUD_WINTER = _climate("cloud_winter_logit")


_WIND = _climate("mean_wind_ms")


_RH = _climate("mean_relative_humidity_pct")


def _day_start_us(day: date) -> int:
    return (day.toordinal() - _EPOCH_ORDINAL) * _US_PER_DAY


def _ts_array(us: IntArray | int, n: int | None = None) -> pa.Array:
    values = np.full(n, us, dtype=np.int64) if n is not None else np.asarray(us, dtype=np.int64)
    return pa.array(values, type=UTC_TS)


def _strings(values: list[str], index: npt.ArrayLike) -> pa.Array:
    """values[index] as an Arrow string array (a take is ~30x faster than converting objects)."""
    return pa.array(values, type=pa.string()).take(pa.array(np.asarray(index, dtype=np.int64)))


def _days_array(day: date, n: int) -> pa.Array:
    return pa.array(np.full(n, day.toordinal() - _EPOCH_ORDINAL, dtype=np.int32), type=pa.date32())


def _utc(us: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us)
