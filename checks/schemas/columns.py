"""Reusable column checks: finite values, percentages, physical ranges, IANA time zones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa

from checks.contracts.silver import WEATHER_FIELDS
from checks.domain.alignment import is_time_zone

# ---------------------------------------------------------------- reusable column checks


def _finite(series: pd.Series) -> pd.Series:
    # Nulls never reach a column check (pandera drops them); NaN is not null in ArrowDtype.
    return pd.Series(np.isfinite(series.astype("float64").to_numpy()), index=series.index)


def finite() -> pa.Check:
    """Neither NaN nor ±inf: a missing value must be null, never NaN."""
    return pa.Check(_finite, name="finite")


def pct() -> pa.Check:
    return pa.Check.in_range(0, 100)


def non_negative() -> pa.Check:
    return pa.Check.ge(0)


def temperature() -> pa.Check:
    """Air temperature in °C a surface station can plausibly report."""
    return pa.Check.in_range(-60, 60)


def _valid_timezone(series: pd.Series) -> pd.Series:
    valid = [name for name in series.unique() if is_time_zone(str(name))]
    return series.isin(valid)


def valid_timezone() -> pa.Check:
    return pa.Check(_valid_timezone, name="iana_timezone")


WEATHER_RANGES: dict[str, list[pa.Check]] = {
    "temperature_c": [finite(), temperature()],
    "relative_humidity_pct": [pct()],
    "wind_speed_ms": [non_negative()],
    "cloud_cover_pct": [pct()],
    "shortwave_radiation_wm2": [non_negative()],
}
assert set(WEATHER_RANGES) == set(WEATHER_FIELDS)
