"""The simulator's injected anomalies: theft periods, Wh-as-kWh weeks, and the label rows that
are the detectors' answer key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from energy_assets.sources.simulator.config import (
    _STREAM_THEFT,
    _STREAM_UNIT,
    P_THEFT_PER_BLOCK,
    THEFT_BLOCK_DAYS,
    UNIT_ERROR_BLOCK_DAYS,
    UNIT_ERROR_METER_INDEX,
    BoolArray,
    FloatArray,
    IntArray,
    SimulatorConfig,
    _utc,
)
from energy_assets.sources.simulator.meters import _Meters, _meters


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
