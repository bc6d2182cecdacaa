"""Domain checks on meter data: what a schema cannot see because it needs groups, order or time.

Each check is a pure function over a `pa.Table` (polars and pandas frames are accepted too) that
returns a `CheckOutcome`; the Dagster layer decides which are blocking. All work is done with
vectorised polars expressions; the only Python loops run over distinct time zones or distinct
(time zone, local date) pairs, never over rows.

One module per theme: `frames` (shared helpers), `completeness`, `alignment` (DST, grids),
`units`, `flatlines`, `weather` (calendars, weather coverage), `freshness`; this package
re-exports their checks.
"""

from __future__ import annotations

from checks.domain.alignment import (
    dst_day_lengths,
    interval_alignment,
    is_time_zone,
    off_grid_reasons,
)
from checks.domain.completeness import completeness, duplicate_keys
from checks.domain.flatlines import DEFAULT_FLATLINE_RUN, flatline_expr, flatline_mask, flatlines
from checks.domain.frames import MAX_NAMED, ArrayLike, TableLike, meter_key
from checks.domain.freshness import freshness, latest_instant
from checks.domain.lags import lags_current
from checks.domain.units import unit_jumps
from checks.domain.weather import has_holiday_calendar, holiday_calendars, weather_coverage

__all__ = [
    "DEFAULT_FLATLINE_RUN",
    "MAX_NAMED",
    "ArrayLike",
    "TableLike",
    "completeness",
    "dst_day_lengths",
    "duplicate_keys",
    "flatline_expr",
    "flatline_mask",
    "flatlines",
    "freshness",
    "has_holiday_calendar",
    "holiday_calendars",
    "interval_alignment",
    "is_time_zone",
    "lags_current",
    "latest_instant",
    "meter_key",
    "off_grid_reasons",
    "unit_jumps",
    "weather_coverage",
]
