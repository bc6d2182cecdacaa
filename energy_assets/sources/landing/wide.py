"""Wide reading exports (one row per meter and local day, one column per interval) turned into
the long layout, so they land exactly like it.

A file is wide when it has a `date` column and no `timestamp`. Its columns: `meter_id`, `date`
(YYYY-MM-DD, the meter's local day), `unit` (`kWh`, `Wh` or `kW`, one per file) and N value
columns, N = 24, 48 or 96, named so that each one's place in the day is explicit:

- `h1`..`hN`: numbered intervals, hour-ending style (`h1` is the first interval, 00:00-01:00 for
  N = 24); `h0`..`h(N-1)`: numbered from zero, hour-beginning style (`h0` is 00:00-01:00);
- `00:00`..`23:00` (clock times including 00:00): the interval each column starts;
  `01:00`..`24:00` (including 24:00): the interval each column ends.

Any other set of value columns rejects the file: no convention is guessed. A value may carry
thousands separators (`16,853` is 16853; a comma anywhere else is not a number). An empty cell is
no reading (the spring-forward hour of a local day has none). A 24-column day holds one 02:00 on
a fall-back day: the repeated hour is the earlier one, the later one is missing.
"""

from __future__ import annotations

import re

import polars as pl

from energy_assets.sources.landing.files import _Ctx, _FileRejectedError

SLOTS_PER_DAY = (24, 48, 96)
UNIT_COLUMNS = {"kwh": "energy_kwh", "wh": "energy_wh", "kw": "power_kw"}
_KEYS = ("meter_id", "date", "unit")
_NUMBERED = re.compile(r"^h(\d{1,2})$", re.IGNORECASE)
_CLOCK = re.compile(r"^(\d{2}):(\d{2})$")
_THOUSANDS = r"^-?\d{1,3}(,\d{3})+(\.\d+)?$"


def is_wide(frame: pl.DataFrame) -> bool:
    return "date" in frame.columns and "timestamp" not in frame.columns


def slot_starts(columns: list[str]) -> dict[str, str] | None:
    """Value column -> the local start (`HH:MM`) of its interval, or None when the columns are
    not one of the stated layouts."""
    n = len(columns)
    if n not in SLOTS_PER_DAY:
        return None
    step = 1440 // n
    numbered = [_NUMBERED.match(c) for c in columns]
    if all(numbered):
        numbers = [int(m.group(1)) for m in numbered if m]
        if sorted(numbers) == list(range(1, n + 1)):
            offset = 1
        elif sorted(numbers) == list(range(n)):
            offset = 0
        else:
            return None
        minutes = [(k - offset) * step for k in numbers]
    elif all(clock := [_CLOCK.match(c) for c in columns]):
        stamps = [int(m.group(1)) * 60 + int(m.group(2)) for m in clock if m]
        if sorted(stamps) == [k * step for k in range(n)]:
            minutes = stamps
        elif sorted(stamps) == [k * step for k in range(1, n + 1)]:
            minutes = [m - step for m in stamps]
        else:
            return None
    else:
        return None
    return {c: f"{m // 60:02d}:{m % 60:02d}" for c, m in zip(columns, minutes, strict=True)}


def wide_to_long(ctx: _Ctx, frame: pl.DataFrame) -> pl.DataFrame:
    """A wide readings file as long rows (`meter_id`, `timestamp` local, the unit's energy
    column, `interval_minutes`), all strings; a long file is returned as it is."""
    if not is_wide(frame):
        return frame
    missing = [c for c in _KEYS if c not in frame.columns]
    if missing:
        raise _FileRejectedError(
            f"wide file (a date column): missing {missing}", frame.columns, ctx.written_days(frame)
        )
    values = [c for c in frame.columns if c not in _KEYS]
    starts = slot_starts(values)
    if starts is None:
        raise _FileRejectedError(
            f"wide file: {len(values)} value columns {values[:3]}... are not h1..hN, "
            "h0..h(N-1), or the HH:MM starts (00:00..) or ends (..24:00) of N equal "
            f"intervals, N one of {SLOTS_PER_DAY}",
            frame.columns,
            ctx.written_days(frame),
        )
    units = frame.get_column("unit").str.strip_chars().str.to_lowercase().unique().to_list()
    if len(units) != 1 or units[0] not in UNIT_COLUMNS:
        raise _FileRejectedError(
            f"wide file: unit must be one of kWh, Wh, kW, the same on every row; found {units}",
            frame.columns,
            ctx.written_days(frame),
        )
    value = pl.col("value").str.strip_chars()
    long = (
        frame.unpivot(values, index=["meter_id", "date"], variable_name="slot")
        .filter(pl.col("value").str.strip_chars().replace("", None).is_not_null())
        .select(
            "meter_id",
            pl.concat_str(
                [
                    pl.col("date").str.strip_chars(),
                    pl.lit("T"),
                    pl.col("slot").replace_strict(starts, return_dtype=pl.String),
                ]
            ).alias("timestamp"),
            pl.when(value.str.contains(_THOUSANDS))
            .then(value.str.replace_all(",", "", literal=True))
            .otherwise(value)
            .alias(UNIT_COLUMNS[units[0]]),
            pl.lit(str(1440 // len(values))).alias("interval_minutes"),
        )
    )
    return long
