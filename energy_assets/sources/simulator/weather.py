"""Simulated weather: the true weather of each location and hour, and the forecasts issued for
it, with errors that grow with the horizon."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from checks.contracts import (
    BRONZE_WEATHER,
    UTC_TS,
    WEATHER_FIELDS,
)
from energy_assets.sources.simulator.config import (
    _CLOUD_LOGIT,
    _CLOUD_WINTER,
    _DIURNAL_T,
    _J2000_DAYS,
    _LAT_RAD,
    _LOCATION_INDEX,
    _LON_DEG,
    _MEAN_T,
    _RH,
    _SEASON_T,
    _STREAM_FORECAST,
    _STREAM_WEATHER,
    _SYNOPTIC_SD,
    _TWO_PI,
    _US_PER_DAY,
    _US_PER_HOUR,
    _US_PER_MIN,
    _WIND,
    _YEAR_DAYS,
    LOCATIONS,
    SOURCE,
    FloatArray,
    IntArray,
    SimulatorConfig,
    _day_start_us,
    _days_array,
    _strings,
    _ts_array,
)


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
