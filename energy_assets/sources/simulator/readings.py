"""Simulated readings of one UTC day: every meter's consumption with the anomalies and the
imperfections of real exports (duplicates, late and revised re-sends, gaps, NaN, estimates)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pyarrow as pa

from checks.contracts import (
    BRONZE_ANOMALY_LABELS,
    BRONZE_METER_READINGS,
)
from energy_assets.sources.simulator.anomalies import (
    _label,
    _Rows,
    _Theft,
    _theft,
    _unit_error_window,
)
from energy_assets.sources.simulator.config import (
    _STREAM_DAY,
    _STREAM_UNKNOWN,
    _TWO_PI,
    _US_PER_DAY,
    _US_PER_HOUR,
    _US_PER_MIN,
    _YEAR_DAYS,
    COOLING_BASE_C,
    HEATING_BASE_C,
    LATE_ONLY_SHARE,
    LATE_REVISED_SHARE,
    LOCATIONS,
    MAX_METERS,
    P_DAY_MISSING,
    P_DUPLICATE,
    P_ESTIMATED,
    P_FLATLINE,
    P_GAP,
    P_LATE,
    P_NAN,
    P_SPIKE,
    P_UNKNOWN_METER_DAY,
    P_ZERO_DROPOUT,
    SOURCE,
    UNIT_ERROR_METER_INDEX,
    UNKNOWN_METER_ID,
    IntArray,
    SimulatorConfig,
    _day_start_us,
    _days_array,
    _strings,
    _ts_array,
)
from energy_assets.sources.simulator.meters import _Meters, _meters
from energy_assets.sources.simulator.profiles import _local_calendar, _profile
from energy_assets.sources.simulator.shapes import BURST_FACTOR, day_shapes
from energy_assets.sources.simulator.weather import _truth


@dataclass(frozen=True)
class SimulatedReadings:
    """One day of readings as received plus the answer key of the anomalies injected into them."""

    readings: pa.Table
    """Rows of `bronze/meter_readings`."""
    labels: pa.Table
    """Rows of `bronze/anomaly_labels`."""


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
