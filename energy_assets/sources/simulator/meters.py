"""Simulated meters: who they are (customer type, location, size, sensitivity to temperature),
drawn once per configuration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from checks.contracts import (
    BRONZE_METERS,
)
from energy_assets.sources.simulator.config import (
    _P,
    _R,
    _STREAM_METER,
    _TYPE_CYCLE,
    CLEAN_METER_MODULUS,
    CUSTOMER_TYPES,
    DEFAULT_INSTALLED_ON,
    LATE_INSTALLS,
    LOCATIONS,
    MAX_METERS,
    SOURCE,
    UNIT_ERROR_METER_INDEX,
    BoolArray,
    FloatArray,
    IntArray,
    SimulatorConfig,
)


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
