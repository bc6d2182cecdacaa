"""Deterministic simulator of smart meters, weather, weather forecasts and labelled anomalies.

Why it exists: the lakehouse must run end to end with no network and no real data, and anomaly
detectors need an answer key. Every table for UTC day D is a pure function of (config, D): nothing
reads the clock and nothing carries state from one day to the next, so each Dagster daily partition
can be built alone, in any order, and re-running it gives identical rows.

How randomness stays independent of everything but (seed, what, when):
- a meter's draws for a day come from `default_rng([seed, meter_index, day_ordinal, stream])`;
- multi-day phenomena are pure functions of time: weather anomalies are sums of seeded sinusoids,
  theft periods are drawn per (seed, 28-day block) and Wh weeks per (seed, 56-day block), so any
  day can tell on its own whether it lies inside one;
- draws shared by all meters (theft blocks) take row `i` of a `(n_meters, k)` uniform draw, which
  depends only on `i` because each uniform consumes a fixed share of the stream: meter `i` behaves
  the same whatever `n_meters` is.

Bronze keeps what real exports look like (duplicates, late and revised re-sends, gaps, NaN,
estimated readings, a meter reporting Wh as kWh, an unregistered meter id); silver cleans it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from checks.contracts import (
    BRONZE_ANOMALY_LABELS,
    BRONZE_METER_READINGS,
    BRONZE_METERS,
    BRONZE_WEATHER,
    UTC_TS,
    WEATHER_FIELDS,
)
from energy_assets.sources.simulator_shapes import BURST_FACTOR, day_shapes

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
    """Add the shapes of `simulator_shapes` (partial-day bursts, drops then recovery, level
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


@dataclass(frozen=True)
class SimulatedReadings:
    """One day of readings as received plus the answer key of the anomalies injected into them."""

    readings: pa.Table
    """Rows of `bronze/meter_readings`."""
    labels: pa.Table
    """Rows of `bronze/anomaly_labels`."""


# --------------------------------------------------------------------------------------------
# Time helpers


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


# --------------------------------------------------------------------------------------------
# Weather truth


@dataclass(frozen=True)
class _Waves:
    """Per-location sums of sinusoids: smooth, seeded, defined at every instant."""

    periods_days: FloatArray  # (n_locations, k)
    phases: FloatArray
    amplitudes: FloatArray

    def at(self, loc: IntArray, t_days: FloatArray) -> FloatArray:
        angle = _TWO_PI * t_days[..., None] / self.periods_days[loc] + self.phases[loc]
        return np.asarray(np.sum(self.amplitudes[loc] * np.sin(angle), axis=-1))


def _draw_waves(
    rngs: list[np.random.Generator], k: int, lo: float, hi: float, sd: FloatArray
) -> _Waves:
    """k sinusoids per location, periods log-uniform in [lo, hi] days, total spread sd."""
    periods = np.empty((len(rngs), k))
    phases = np.empty((len(rngs), k))
    amps = np.empty((len(rngs), k))
    for i, rng in enumerate(rngs):
        u = rng.random((3, k))
        periods[i] = np.exp(np.log(lo) + u[0] * (np.log(hi) - np.log(lo)))
        phases[i] = _TWO_PI * u[1]
        weights = 0.5 + 0.5 * u[2]
        # a sum of sinusoids with amplitudes a has variance sum(a^2) / 2
        amps[i] = weights * sd[i] * math.sqrt(2.0) / np.sqrt(np.sum(weights**2))
    return _Waves(periods, phases, amps)


@lru_cache(maxsize=16)
def _weather_waves(seed: int) -> dict[str, _Waves]:
    rngs = [np.random.default_rng([seed, i, _STREAM_WEATHER]) for i in range(len(LOCATIONS))]
    ones = np.ones(len(LOCATIONS))
    # fixed draw order: each variable takes the next block of every location's stream
    return {
        "temperature": _draw_waves(rngs, 6, 2.0, 20.0, _SYNOPTIC_SD),
        "cloud": _draw_waves(rngs, 6, 0.75, 10.0, ones),
        "humidity": _draw_waves(rngs, 4, 1.0, 10.0, ones),
        "wind": _draw_waves(rngs, 5, 0.5, 8.0, ones),
    }


def _sun(loc: IntArray, t_days: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Day of year, local solar hour and sine of the solar elevation (no equation of time)."""
    doy = (t_days - _J2000_DAYS) % _YEAR_DAYS
    declination = -0.4091 * np.cos(_TWO_PI * (doy + 10.0) / _YEAR_DAYS)
    solar_hour = ((t_days % 1.0) * 24.0 + _LON_DEG[loc] / 15.0) % 24.0
    hour_angle = (solar_hour - 12.0) * (math.pi / 12.0)
    lat = _LAT_RAD[loc]
    sin_elev = np.sin(lat) * np.sin(declination) + np.cos(lat) * np.cos(declination) * np.cos(
        hour_angle
    )
    return doy, solar_hour, sin_elev


def _clear_sky_wm2(sin_elev: FloatArray) -> FloatArray:
    """Haurwitz clear-sky global horizontal irradiance."""
    s = np.maximum(sin_elev, 1e-3)
    return np.where(sin_elev > 0.0, 1098.0 * s * np.exp(-0.057 / s), 0.0)


def _cloud_attenuated(clear: FloatArray, cloud_pct: FloatArray) -> FloatArray:
    """Kasten-Czeplak cloud attenuation."""
    return clear * (1.0 - 0.75 * (np.clip(cloud_pct, 0.0, 100.0) / 100.0) ** 3.4)


def _truth(seed: int, loc: IntArray, t_days: FloatArray) -> dict[str, FloatArray]:
    """The weather that happened at (location index, instant in days since epoch), broadcast."""
    loc, t_days = np.broadcast_arrays(np.asarray(loc, dtype=np.int64), np.asarray(t_days, float))
    waves = _weather_waves(seed)
    doy, solar_hour, sin_elev = _sun(loc, t_days)
    winter = np.cos(_TWO_PI * (doy - 15.0) / _YEAR_DAYS)  # +1 mid-January, -1 mid-July
    cloud_logit = (
        _CLOUD_LOGIT[loc] + _CLOUD_WINTER[loc] * winter + 1.7 * waves["cloud"].at(loc, t_days)
    )
    cloud = 100.0 / (1.0 + np.exp(-cloud_logit))
    diurnal_shape = np.cos(_TWO_PI * (solar_hour - 15.0) / 24.0)  # warmest mid-afternoon
    diurnal = _DIURNAL_T[loc] * (1.0 - 0.5 * cloud / 100.0) * (1.0 - 0.25 * winter) * diurnal_shape
    seasonal = _MEAN_T[loc] + _SEASON_T[loc] * np.cos(_TWO_PI * (doy - 200.0) / _YEAR_DAYS)
    temperature = seasonal + diurnal + waves["temperature"].at(loc, t_days)
    humidity = np.clip(
        _RH[loc]
        + 10.0 * waves["humidity"].at(loc, t_days)
        + 12.0 * (cloud / 100.0 - 0.5)
        - 2.0 * diurnal,
        8.0,
        100.0,
    )
    wind = _WIND[loc] * np.exp(0.4 * waves["wind"].at(loc, t_days) - 0.08)
    wind = wind * (1.0 + 0.15 * np.cos(_TWO_PI * (solar_hour - 14.0) / 24.0))
    clear = _clear_sky_wm2(sin_elev)
    return {
        "temperature_c": temperature,
        "relative_humidity_pct": humidity,
        "wind_speed_ms": wind,
        "cloud_cover_pct": cloud,
        "shortwave_radiation_wm2": _cloud_attenuated(clear, cloud),
        "clear_sky_wm2": clear,
    }


def true_weather(
    config: SimulatorConfig, location_ids: npt.ArrayLike, instants_utc: npt.ArrayLike
) -> dict[str, FloatArray]:
    """The underlying weather truth at any instants: what observations report and what consumption
    responds to. `location_ids` and `instants_utc` (datetime64, read as UTC) broadcast together;
    the result maps each of `WEATHER_FIELDS` to an array of the broadcast shape."""
    ids = np.asarray(location_ids, dtype=object)
    try:
        loc = np.vectorize(_LOCATION_INDEX.__getitem__, otypes=[np.int64])(ids)
    except KeyError as exc:
        raise KeyError(f"unknown location id {exc.args[0]!r}") from None
    us = np.asarray(instants_utc).astype("datetime64[us]").astype(np.int64)
    truth = _truth(config.seed, loc, us / _US_PER_DAY)
    return {name: truth[name] for name in WEATHER_FIELDS}


# --------------------------------------------------------------------------------------------
# Weather table


def _forecast_errors(config: SimulatorConfig, loc: int, issue_ordinal: int) -> FloatArray:
    """Errors of one issue along its horizon (rows: temperature, humidity, wind, cloud; column
    h-1 is horizon h hours): a random walk whose spread at horizon h is a + b*h, so forecasts
    drift away from the truth coherently instead of jittering."""
    max_h = 24 * (config.forecast_days_ahead + 1) - config.weather_issue_hour_utc - 1
    h = np.arange(0, max_h + 1, dtype=np.float64)
    a = np.array([0.6, 3.0, 0.4, 8.0])[:, None]
    b = np.array([0.035, 0.12, 0.02, 0.35])[:, None]
    sd = a + b * h
    sd[:, 0] = 0.0
    step_sd = np.sqrt(np.diff(sd**2, axis=1))
    rng = np.random.default_rng([config.seed, loc, issue_ordinal, _STREAM_FORECAST])
    return np.asarray(np.cumsum(step_sd * rng.standard_normal(step_sd.shape), axis=1))


def simulate_weather(config: SimulatorConfig, day: date) -> pa.Table:
    """Weather rows valid on UTC `day`: 24 hourly observations per location (truth as a station
    reports it) and the forecasts of every issue that covers the day's hours (truth plus an error
    growing with the horizon). Rows of `bronze/weather`."""
    day_us = _day_start_us(day)
    n_loc = len(LOCATIONS)
    hours = np.arange(24)
    valid_us = day_us + hours * _US_PER_HOUR
    truth = _truth(
        config.seed, np.arange(n_loc)[:, None], (valid_us / _US_PER_DAY)[None, :]
    )  # (n_loc, 24)

    cols: dict[str, list[Any]] = {name: [] for name in BRONZE_WEATHER.schema.names}

    def add(
        loc: int,
        idx: IntArray,
        values: dict[str, FloatArray],
        issued_us: int | None,
        ingested_us: int,
        batch_id: str,
    ) -> None:
        n = len(idx)
        cols["source"].append(_strings([SOURCE], np.zeros(n)))
        cols["location_id"].append(_strings([LOCATIONS[loc].location_id], np.zeros(n)))
        cols["valid_at_utc"].append(_ts_array(valid_us[idx]))
        cols["issued_at_utc"].append(
            pa.nulls(n, type=UTC_TS) if issued_us is None else _ts_array(issued_us, n)
        )
        kind = "observation" if issued_us is None else "forecast"
        cols["kind"].append(_strings([kind], np.zeros(n)))
        for name in WEATHER_FIELDS:
            cols[name].append(pa.array(np.round(values[name], 1), type=pa.float64()))
        cols["ingested_at_utc"].append(_ts_array(ingested_us, n))
        cols["batch_id"].append(_strings([batch_id], np.zeros(n)))
        cols["day"].append(_days_array(day, n))

    for loc in range(n_loc):
        observed = {name: truth[name][loc] for name in WEATHER_FIELDS}
        add(loc, hours, observed, None, day_us + _US_PER_DAY + _US_PER_HOUR, f"{SOURCE}-{day}")

    for back in range(config.forecast_days_ahead, -1, -1):
        issue_day = day - timedelta(days=back)
        issued_us = _day_start_us(issue_day) + config.weather_issue_hour_utc * _US_PER_HOUR
        covered_until = _day_start_us(issue_day) + (config.forecast_days_ahead + 1) * _US_PER_DAY
        idx = hours[(valid_us > issued_us) & (valid_us < covered_until)]
        if len(idx) == 0:
            continue
        horizon = (valid_us[idx] - issued_us) // _US_PER_HOUR
        for loc in range(n_loc):
            err = _forecast_errors(config, loc, issue_day.toordinal())[:, horizon - 1]
            cloud = np.clip(truth["cloud_cover_pct"][loc, idx] + err[3], 0.0, 100.0)
            forecast = {
                "temperature_c": truth["temperature_c"][loc, idx] + err[0],
                "relative_humidity_pct": np.clip(
                    truth["relative_humidity_pct"][loc, idx] + err[1], 5.0, 100.0
                ),
                "wind_speed_ms": np.maximum(truth["wind_speed_ms"][loc, idx] + err[2], 0.0),
                "cloud_cover_pct": cloud,
                "shortwave_radiation_wm2": _cloud_attenuated(
                    truth["clear_sky_wm2"][loc, idx], cloud
                ),
            }
            add(
                loc,
                idx,
                forecast,
                issued_us,
                issued_us + 20 * _US_PER_MIN,
                f"{SOURCE}-forecast-{issue_day}",
            )

    arrays = [pa.concat_arrays(cols[name]) for name in BRONZE_WEATHER.schema.names]
    return pa.Table.from_arrays(arrays, schema=BRONZE_WEATHER.schema)


# --------------------------------------------------------------------------------------------
# Meters


@dataclass(frozen=True)
class _Meters:
    """The registry as arrays, indexed by meter index (MTR-0001 is index 0)."""

    ids: npt.NDArray[np.object_]
    loc: IntArray
    ctype: IntArray
    interval: IntArray
    installed: IntArray  # ordinal of the installation day
    scale_kw: FloatArray  # typical mean power
    heat: FloatArray  # extra load per degree below HEATING_BASE_C, as a fraction
    cool: FloatArray  # extra load per degree above COOLING_BASE_C, as a fraction
    sigma: FloatArray  # interval noise (lognormal sd)
    pv_kwp: FloatArray  # rooftop solar capacity (prosumers)
    shift_h: FloatArray  # habits: the profile runs this many hours later
    clean: BoolArray


def _meter_id(index: int) -> str:
    return f"MTR-{index + 1:04d}"


# Per customer type (residential, commercial, industrial, prosumer): (low, width) of a uniform.
_SCALE_KW = ((0.5, 0.8), (5.0, 8.0), (25.0, 40.0), (0.5, 0.8))
_HEAT_PER_C = ((0.01, 0.05), (0.005, 0.015), (0.0, 0.008), (0.01, 0.04))
_COOL_PER_C = ((0.0, 0.03), (0.02, 0.03), (0.0, 0.015), (0.0, 0.03))
_NOISE_SD = ((0.12, 0.06), (0.06, 0.03), (0.04, 0.02), (0.12, 0.06))


def _by_type(table: tuple[tuple[float, float], ...], ctype: IntArray, u: FloatArray) -> FloatArray:
    low, width = np.array(table).T
    return low[ctype] + width[ctype] * u


@lru_cache(maxsize=8)
def _meters(config: SimulatorConfig) -> _Meters:
    n = config.n_meters
    if not 1 <= n <= MAX_METERS:
        raise ValueError(f"n_meters must be between 1 and {MAX_METERS}, got {n}")
    index = np.arange(n)
    loc = index % len(LOCATIONS)
    ctype = np.array(_TYPE_CYCLE, dtype=np.int64)[(index // len(LOCATIONS)) % len(_TYPE_CYCLE)]
    u = np.stack(
        [np.random.default_rng([config.seed, i, _STREAM_METER]).random(8) for i in range(n)]
    )
    home = (ctype == _R) | (ctype == _P)
    installed = np.full(n, DEFAULT_INSTALLED_ON.toordinal(), dtype=np.int64)
    for i, on in LATE_INSTALLS.items():
        if i < n:
            installed[i] = on.toordinal()
    return _Meters(
        ids=np.array([_meter_id(i) for i in range(n)], dtype=np.object_),
        loc=loc,
        ctype=ctype,
        interval=np.where(home & (u[:, 3] < 0.35), 30, 15),
        installed=installed,
        scale_kw=_by_type(_SCALE_KW, ctype, u[:, 0]),
        heat=_by_type(_HEAT_PER_C, ctype, u[:, 1]),
        cool=_by_type(_COOL_PER_C, ctype, u[:, 2]),
        sigma=_by_type(_NOISE_SD, ctype, u[:, 6]),
        pv_kwp=np.where(ctype == _P, 3.0 + 5.0 * u[:, 4], 0.0),
        shift_h=(u[:, 5] - 0.5) * 1.5,
        clean=index % CLEAN_METER_MODULUS == 3,
    )


def clean_meter_ids(config: SimulatorConfig) -> set[str]:
    """Meters that never get an injected anomaly: any alarm on them is a false alarm."""
    meters = _meters(config)
    return set(meters.ids[meters.clean].tolist())


def unit_error_meter_id(config: SimulatorConfig) -> str | None:
    """The meter that now and then reports Wh labelled kWh (None when the fleet is too small)."""
    return _meter_id(UNIT_ERROR_METER_INDEX) if config.n_meters > UNIT_ERROR_METER_INDEX else None


def simulate_meters(config: SimulatorConfig) -> pa.Table:
    """The meter registry, each meter described in a batch dated the day it was installed.
    Rows of `bronze/meters`."""
    meters = _meters(config)
    n = config.n_meters
    locs = [LOCATIONS[i] for i in meters.loc]
    installed = [date.fromordinal(int(o)) for o in meters.installed]
    columns: dict[str, Any] = {
        "source": [SOURCE] * n,
        "meter_id": meters.ids.tolist(),
        "location_id": [loc.location_id for loc in locs],
        "region": [loc.region for loc in locs],
        "timezone": [loc.timezone for loc in locs],
        "country": [loc.country for loc in locs],
        "subdivision": [loc.subdivision for loc in locs],
        "customer_type": [CUSTOMER_TYPES[t] for t in meters.ctype],
        "interval_minutes": meters.interval.astype(np.int16),
        "can_export": meters.ctype == _P,
        "latitude": [loc.latitude for loc in locs],
        "longitude": [loc.longitude for loc in locs],
        "installed_on": installed,
        "ingested_at_utc": [datetime.combine(d, datetime.min.time(), UTC) for d in installed],
        "batch_id": [f"{SOURCE}-meters-{d}" for d in installed],
    }
    return pa.Table.from_pydict(columns, schema=BRONZE_METERS.schema)


# --------------------------------------------------------------------------------------------
# Calendar and load profiles


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


# --------------------------------------------------------------------------------------------
# Multi-day anomalies: pure functions of time


@dataclass(frozen=True)
class _Theft:
    active: BoolArray  # per meter index, on the day
    factor: FloatArray
    start: IntArray  # ordinal of the first day
    length: IntArray  # days


def _theft_candidates(
    config: SimulatorConfig, block: int
) -> tuple[BoolArray, IntArray, IntArray, FloatArray]:
    u = np.random.default_rng([config.seed, block, _STREAM_THEFT]).random((config.n_meters, 4))
    gate = u[:, 0] < P_THEFT_PER_BLOCK
    start = block * THEFT_BLOCK_DAYS + np.floor(u[:, 1] * THEFT_BLOCK_DAYS).astype(np.int64)
    length = 5 + np.floor(u[:, 2] * 16).astype(np.int64)
    return gate, start, length, 0.3 + 0.3 * u[:, 3]


def _theft(config: SimulatorConfig, meters: _Meters, ordinal: int) -> _Theft:
    """Theft periods (consumption x 0.3-0.6 for 5-20 days): at most one candidate per meter and
    28-day block; a candidate overlapping the previous block's candidate is dropped, so active
    periods never overlap and a day only needs blocks b-2..b to know its state."""
    block = ordinal // THEFT_BLOCK_DAYS
    cands = [_theft_candidates(config, b) for b in (block - 2, block - 1, block)]
    n = config.n_meters
    active = np.zeros(n, dtype=bool)
    factor = np.ones(n)
    start = np.zeros(n, dtype=np.int64)
    length = np.zeros(n, dtype=np.int64)
    for prev, cur in ((cands[0], cands[1]), (cands[1], cands[2])):
        gate, s, ln, f = cur
        valid = (
            gate & ~(prev[0] & (prev[1] + prev[2] > s)) & ~meters.clean & (s >= meters.installed)
        )
        on = valid & (s <= ordinal) & (ordinal < s + ln)
        active |= on
        factor = np.where(on, f, factor)
        start = np.where(on, s, start)
        length = np.where(on, ln, length)
    return _Theft(active, factor, start, length)


def _unit_error_window(config: SimulatorConfig, ordinal: int) -> tuple[int, int] | None:
    """(first day ordinal, days) of the Wh week of the designated meter if `ordinal` is in one."""
    if config.n_meters <= UNIT_ERROR_METER_INDEX:
        return None
    meters = _meters(config)
    i = UNIT_ERROR_METER_INDEX
    if meters.clean[i] or ordinal < meters.installed[i]:
        return None
    block = ordinal // UNIT_ERROR_BLOCK_DAYS
    u = np.random.default_rng([config.seed, block, _STREAM_UNIT]).random(2)
    length = 6 + int(u[1] * 3)
    start = block * UNIT_ERROR_BLOCK_DAYS + int(u[0] * (UNIT_ERROR_BLOCK_DAYS - length + 1))
    if start < meters.installed[i] or not start <= ordinal < start + length:
        return None
    return start, length


# --------------------------------------------------------------------------------------------
# Readings


@dataclass
class _Rows:
    """Readings of one interval group as parallel arrays (meter index, not id, until the end)."""

    meter: IntArray
    start_us: IntArray
    energy: FloatArray
    estimated: BoolArray
    late_days: IntArray  # 0 for the regular batch

    @staticmethod
    def concat(parts: list[_Rows]) -> _Rows:
        return _Rows(
            *(np.concatenate([getattr(p, f) for p in parts]) for f in _Rows.__dataclass_fields__)
        )


def _label(
    meter_id: str,
    kind: str,
    event_start: date | int,
    start_us: int,
    end_us: int,
    magnitude: float,
    description: str,
    day: date,
) -> dict[str, Any]:
    first = event_start if isinstance(event_start, date) else date.fromordinal(event_start)
    return {
        "event_id": f"{meter_id}-{kind}-{first}",
        "meter_id": meter_id,
        "anomaly_type": kind,
        "start_utc": _utc(start_us),
        "end_utc": _utc(end_us),
        "magnitude": float(magnitude),
        "description": description,
        "day": day,
    }


def _simulate_group(
    config: SimulatorConfig,
    day: date,
    meters: _Meters,
    sel: IntArray,
    interval: int,
    theft: _Theft,
    unit_window: tuple[int, int] | None,
    inject: bool,
    labels: list[dict[str, Any]],
) -> _Rows:
    n, m = len(sel), 1440 // interval
    ordinal = day.toordinal()
    day_us = _day_start_us(day)
    step_us = interval * _US_PER_MIN
    hours = interval / 60.0
    starts = day_us + np.arange(m, dtype=np.int64) * step_us
    weather = _truth(
        config.seed,
        np.arange(len(LOCATIONS))[:, None],
        ((starts + step_us // 2) / _US_PER_DAY)[None, :],
    )
    loc = meters.loc[sel]
    temp = weather["temperature_c"][loc]
    ghi = weather["shortwave_radiation_wm2"][loc]
    local_hour, day_type = _local_calendar(day, interval)
    ctype = meters.ctype[sel]

    # One generator per meter-day, fixed layout: 16 scalars, 96 normals, 6 x 96 uniforms.
    scalars = np.empty((n, 16))
    normals = np.empty((n, 96))
    uniforms = np.empty((n, 6, 96))
    for j, i in enumerate(sel.tolist()):
        rng = np.random.default_rng([config.seed, i, ordinal, _STREAM_DAY])
        scalars[j] = rng.random(16)
        normals[j] = rng.standard_normal(96)
        uniforms[j] = rng.random((6, 96))
    normals = normals[:, :m]
    uniforms = uniforms[:, :, :m]

    doy = day.timetuple().tm_yday
    winter = math.cos(_TWO_PI * (doy - 15) / _YEAR_DAYS)
    season = 1.0 + np.array([0.12, 0.05, 0.0, 0.12])[ctype] * winter
    shape = _profile(
        ctype[:, None], (local_hour[loc] - meters.shift_h[sel][:, None]) % 24, day_type[loc]
    )
    weather_factor = (
        1.0
        + meters.heat[sel][:, None] * np.maximum(HEATING_BASE_C - temp, 0.0)
        + meters.cool[sel][:, None] * np.maximum(temp - COOLING_BASE_C, 0.0)
    )
    sigma = meters.sigma[sel][:, None]
    noise = np.exp(sigma * normals - 0.5 * sigma**2)
    day_factor = np.exp(0.1 * (scalars[:, 8] - 0.5))[:, None]
    gross = meters.scale_kw[sel][:, None] * hours * season[:, None] * shape * weather_factor
    gross = gross * noise * day_factor

    # Anomaly events: decided from the draws whether injected or not, so that the uninjected
    # counterfactual has exactly the same gaps and messiness.
    event = np.zeros((n, m), dtype=bool)
    cols = np.arange(m)
    day_end_us = day_us + _US_PER_DAY
    thief = theft.active[sel]
    unit_j = -1
    if unit_window is not None:
        found = np.flatnonzero(sel == UNIT_ERROR_METER_INDEX)
        unit_j = int(found[0]) if len(found) else -1
    injected = np.where(thief[:, None], gross * theft.factor[sel][:, None], gross)
    shapes = (
        day_shapes(config.seed, sel, meters.clean[sel], ordinal, m) if config.hard_shapes else None
    )
    if shapes is not None:
        injected = injected * shapes.factor
    intraday: list[tuple[int, str, int, int, float]] = []  # (row, kind, first col, length, x)
    thresholds = np.cumsum([P_SPIKE, P_ZERO_DROPOUT, P_FLATLINE])
    kinds = np.searchsorted(thresholds, scalars[:, 0], side="right")
    for j in np.flatnonzero((kinds < 3) & ~meters.clean[sel]).tolist():
        kind = int(kinds[j])
        if kind == 0:
            length = 1 + int(scalars[j, 1] * 3)
            magnitude = 3.0 + 5.0 * scalars[j, 3]
        else:
            span_h = 2.0 + 10.0 * scalars[j, 3] if kind == 1 else 4.0 + 20.0 * scalars[j, 3]
            length = min(m, max(1, round(span_h * 60 / interval)))
            magnitude = 0.0
        first = int(scalars[j, 2] * (m - length + 1))
        event[j, first : first + length] = True
        intraday.append((j, ("spike", "zero_dropout", "flatline")[kind], first, length, magnitude))
        if kind == 0:
            injected[j, first : first + length] *= magnitude

    pv = meters.pv_kwp[sel][:, None] * ghi / 1000.0 * hours
    net = injected - pv
    for j, kind_name, first, length, factor in intraday:
        stop = first + length
        magnitude = factor
        if kind_name == "zero_dropout":
            net[j, first:stop] = 0.0
        elif kind_name == "flatline":
            stuck = round(float(net[j, first]), 3)
            magnitude = stuck if stuck != 0.0 else 0.001
            net[j, first:stop] = magnitude
        span_h = length * interval / 60.0
        description = {
            "spike": f"consumption x{magnitude:.1f} over {length} interval(s)",
            "zero_dropout": f"meter reported exact zeros for {span_h:g} h",
            "flatline": f"meter stuck at {magnitude:.3f} kWh for {span_h:g} h",
        }[kind_name]
        first_us = int(starts[first])
        labels.append(
            _label(meters.ids[sel[j]], kind_name, day, first_us, first_us + length * step_us,
                   magnitude, description, day)
        )  # fmt: skip
    for j in np.flatnonzero(thief).tolist():
        i = int(sel[j])
        f, s, ln = float(theft.factor[i]), int(theft.start[i]), int(theft.length[i])
        description = (
            f"consumption x{f:.2f} for {ln} days from {date.fromordinal(s)} (possible theft)"
        )
        labels.append(
            _label(meters.ids[i], "sustained_drop", s, day_us, day_end_us, f, description, day)
        )
    if unit_j >= 0 and unit_window is not None:
        s, ln = unit_window
        net[unit_j] *= 1000.0
        description = f"values in Wh labelled kWh (x1000) for {ln} days from {date.fromordinal(s)}"
        labels.append(
            _label(meters.ids[UNIT_ERROR_METER_INDEX], "unit_error", s, day_us, day_end_us,
                   1000.0, description, day)
        )  # fmt: skip
    if shapes is not None:
        net = np.where(shapes.burst, net * BURST_FACTOR, net)
        event |= shapes.burst
        for extra in shapes.events:
            first_us = int(starts[extra.first_col])
            labels.append(
                _label(meters.ids[sel[extra.row]], extra.kind, extra.first_day, first_us,
                       int(starts[extra.stop_col - 1]) + step_us, extra.magnitude,
                       extra.description, day)
            )  # fmt: skip
    values = np.round(net if inject else gross - pv, 3)

    # Messiness, never on an injected anomaly's intervals (they stay observable as injected).
    has_event = event.any(axis=1) | thief
    if shapes is not None:
        has_event[[extra.row for extra in shapes.events]] = True
    if unit_j >= 0:
        has_event[unit_j] = True
    gap_len = 1 + np.floor(scalars[:, 6] * 8).astype(np.int64)
    gap_first = np.floor(scalars[:, 5] * (m - gap_len + 1)).astype(np.int64)
    gap = (
        (scalars[:, 4] < P_GAP)[:, None]
        & (cols >= gap_first[:, None])
        & (cols < (gap_first + gap_len)[:, None])
    )
    gap |= ((scalars[:, 7] < P_DAY_MISSING) & ~has_event)[:, None]
    gap &= ~event
    duplicate = uniforms[:, 0] < P_DUPLICATE
    late = (uniforms[:, 1] < P_LATE) & ~gap
    late_days = 2 + np.floor(uniforms[:, 2] * 3).astype(np.int64)
    late_only = late & (uniforms[:, 3] < LATE_ONLY_SHARE) & ~event
    revised = (
        late
        & (uniforms[:, 3] >= LATE_ONLY_SHARE)
        & (uniforms[:, 3] < LATE_ONLY_SHARE + LATE_REVISED_SHARE)
        & ~event
    )
    nan = (uniforms[:, 5] < P_NAN) & ~event
    estimated = (uniforms[:, 5] >= P_NAN) & (uniforms[:, 5] < P_NAN + P_ESTIMATED) & ~event
    regular_values = np.where(
        estimated, np.round(values * np.exp(0.3 * (uniforms[:, 4] - 0.5)), 3), values
    )
    regular_values = np.where(nan, np.nan, regular_values)
    late_values = np.where(
        revised, np.round(values * (1.0 + 0.1 * (uniforms[:, 4] - 0.5)), 3), values
    )

    present = ~gap & ~late_only
    counts = present.astype(np.int64) + (present & duplicate)
    reg = np.repeat(np.arange(n * m), counts.ravel())
    lat = np.flatnonzero(late.ravel())
    rows_j = np.concatenate([reg // m, lat // m])
    rows_c = np.concatenate([reg % m, lat % m])
    return _Rows(
        meter=sel[rows_j],
        start_us=starts[rows_c],
        energy=np.concatenate([regular_values.ravel()[reg], late_values.ravel()[lat]]),
        estimated=np.concatenate([estimated.ravel()[reg], np.zeros(len(lat), dtype=bool)]),
        late_days=np.concatenate([np.zeros(len(reg), dtype=np.int64), late_days.ravel()[lat]]),
    )


def _unknown_meter_rows(config: SimulatorConfig, day: date) -> _Rows:
    """Now and then a few readings for a meter id no registry knows."""
    rng = np.random.default_rng([config.seed, day.toordinal(), _STREAM_UNKNOWN])
    u = rng.random(2)
    k = 1 + int(u[1] * 3) if u[0] < P_UNKNOWN_METER_DAY else 0
    cols = np.sort(rng.choice(96, size=k, replace=False)).astype(np.int64)
    return _Rows(
        meter=np.full(k, MAX_METERS, dtype=np.int64),  # MTR-9999
        start_us=_day_start_us(day) + cols * 15 * _US_PER_MIN,
        energy=np.round(0.05 + 0.45 * rng.random(k), 3),
        estimated=np.zeros(k, dtype=bool),
        late_days=np.zeros(k, dtype=np.int64),
    )


def simulate_readings(
    config: SimulatorConfig, day: date, *, inject_anomalies: bool = True
) -> SimulatedReadings:
    """Readings whose interval starts on UTC `day`, as received (regular batch ingested the next
    day at 01:00 UTC, late re-sends 2-4 days later), and one label row per injected anomaly event
    touching the day.

    `inject_anomalies=False` gives the counterfactual: the same rows, gaps and messiness with the
    values the meters would have reported without the anomalies (labels are still returned)."""
    meters = _meters(config)
    ordinal = day.toordinal()
    installed = meters.installed <= ordinal
    theft = _theft(config, meters, ordinal)
    unit_window = _unit_error_window(config, ordinal)
    labels: list[dict[str, Any]] = []
    parts = []
    for interval in (15, 30):
        sel = np.flatnonzero(installed & (meters.interval == interval))
        if len(sel):
            parts.append(
                _simulate_group(
                    config, day, meters, sel, interval, theft, unit_window, inject_anomalies, labels
                )
            )
    parts.append(_unknown_meter_rows(config, day))
    rows = _Rows.concat(parts)
    order = np.lexsort((rows.late_days, rows.start_us, rows.meter))
    rows = _Rows(*(getattr(rows, f)[order] for f in _Rows.__dataclass_fields__))

    n = len(rows.meter)
    meter_pos = np.minimum(rows.meter, config.n_meters)
    intervals = np.append(meters.interval, 15).astype(np.int16)
    day_us = _day_start_us(day)
    batch_names = [f"{SOURCE}-{day}"] + [
        f"{SOURCE}-resend-{day + timedelta(days=k)}" for k in (1, 2, 3, 4)
    ]
    ingested = np.where(
        rows.late_days == 0,
        day_us + _US_PER_DAY + _US_PER_HOUR,
        day_us + rows.late_days * _US_PER_DAY + 3 * _US_PER_HOUR,
    )
    readings = pa.Table.from_arrays(
        [
            _strings([SOURCE], np.zeros(n)),
            _strings([*meters.ids.tolist(), UNKNOWN_METER_ID], meter_pos),
            _ts_array(rows.start_us),
            pa.array(intervals[meter_pos], type=pa.int16()),
            pa.array(rows.energy, type=pa.float64()),
            _strings(["kWh"], np.zeros(n)),
            pa.array(rows.estimated, type=pa.bool_()),
            _ts_array(ingested),
            _strings(batch_names, rows.late_days),
            _days_array(day, n),
        ],
        schema=BRONZE_METER_READINGS.schema,
    )
    labels.sort(key=lambda r: (r["meter_id"], r["start_utc"], r["anomaly_type"]))
    return SimulatedReadings(
        readings=readings,
        labels=pa.Table.from_pylist(labels, schema=BRONZE_ANOMALY_LABELS.schema),
    )
