"""Domain checks on meter data: what a schema cannot see because it needs groups, order or time.

Each check is a pure function over a `pa.Table` (polars and pandas frames are accepted too) that
returns a `CheckOutcome`; the Dagster layer decides which are blocking. All work is done with
vectorised polars expressions; the only Python loops run over distinct time zones or distinct
(time zone, local date) pairs, never over rows.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any, TypeAlias

import holidays
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa

from checks.contracts.vocabularies import WEATHER_SOURCES
from checks.result import CheckOutcome, stringify

TableLike: TypeAlias = pa.Table | pl.DataFrame | pd.DataFrame
ArrayLike: TypeAlias = (
    pl.Series | np.ndarray | pa.Array | pa.ChunkedArray | pd.Series | Sequence[Any]
)

DEFAULT_FLATLINE_RUN = 8
"""Identical consecutive values that make a flatline: 8 intervals = 2 h on a 15-minute meter.

Real consumption measured to the Wh rarely repeats exactly for two hours; a stuck register or a
forward-filled gap does."""

MAX_NAMED = 50
"""How many meters (or meter@instant pairs) a failure names before `... and N more`."""

_DAY_US = 86_400_000_000
_MINUTE_US = 60_000_000


def meter_key(meter_ids: pl.Series) -> pl.Expr:
    """Each row's `meter_id` (String or Categorical) as its position in `meter_ids`, a registry's
    row order, or null for a meter not in it: an Enum cast maps ids to integers without a hash
    join, and the meter's attributes are then a gather away."""
    return pl.col("meter_id").cast(pl.Enum(meter_ids), strict=False).to_physical().cast(pl.UInt32)


def _frame(data: TableLike) -> pl.DataFrame:
    if isinstance(data, pl.DataFrame):
        return data
    if isinstance(data, pd.DataFrame):
        return pl.from_pandas(data)
    frame = pl.from_arrow(data)
    assert isinstance(frame, pl.DataFrame)
    return frame


def _require(frame: pl.DataFrame, columns: Iterable[str], check: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{check}: input lacks columns {missing}")


def _names(values: Iterable[object]) -> str:
    """Distinct values, sorted, comma-separated, cut after `MAX_NAMED`."""
    distinct = sorted({stringify(v) for v in values})
    shown = ", ".join(distinct[:MAX_NAMED])
    if len(distinct) > MAX_NAMED:
        shown += f", ... and {len(distinct) - MAX_NAMED} more"
    return shown


def _observed(frame: pl.DataFrame) -> pl.Expr:
    """Rows carrying a real reading: not a gap row, energy present and finite."""
    present = pl.col("energy_kwh").is_not_null() & pl.col("energy_kwh").is_finite()
    if "is_missing" in frame.columns:
        present = present & ~pl.col("is_missing").fill_null(False)
    return present


# ---------------------------------------------------------------- completeness


def completeness(
    silver_readings: TableLike, min_pct: float = 90.0, *, expected_from_grid: bool = True
) -> CheckOutcome:
    """Share of present intervals per meter and UTC day; fails naming meter-days under `min_pct`.

    Silver writes explicit gap rows (`is_missing`), so present / rows is the completeness. With
    `expected_from_grid` (default) the denominator is at least the day's grid size (1440 /
    `interval_minutes`), so a silver that forgot its gap rows cannot look complete; turn it off
    to judge a deliberately partial window.
    """
    frame = _frame(silver_readings)
    _require(
        frame, ["meter_id", "interval_start_utc", "interval_minutes", "is_missing"], "completeness"
    )
    day = pl.col("day") if "day" in frame.columns else pl.col("interval_start_utc").dt.date()
    per_day = (
        frame.group_by("meter_id", day.alias("day"))
        .agg(
            pl.len().alias("rows"),
            (~pl.col("is_missing")).sum().alias("present_intervals"),
            (1440 // pl.col("interval_minutes").cast(pl.Int64).min()).alias("grid_intervals"),
        )
        .with_columns(
            expected_intervals=(
                pl.max_horizontal("rows", "grid_intervals")
                if expected_from_grid
                else pl.col("rows")
            )
        )
        .with_columns(
            completeness_pct=100.0 * pl.col("present_intervals") / pl.col("expected_intervals")
        )
        .sort("meter_id", "day")
        .select("meter_id", "day", "expected_intervals", "present_intervals", "completeness_pct")
    )
    bad = per_day["completeness_pct"] < min_pct  # judged before rounding for display
    per_day = per_day.with_columns(pl.col("completeness_pct").round(2))
    failing = per_day.filter(bad)
    worst = per_day["completeness_pct"].min()
    return CheckOutcome.from_mask(
        "completeness",
        per_day,
        bad,
        passed_description=f"every meter-day is at least {min_pct:g}% complete",
        failed_description=f"{{failing}} of {{rows}} meter-days are under {min_pct:g}% complete: "
        + _names(failing["meter_id"]),
        metadata={
            "min_pct": float(min_pct),
            "worst_pct": float(worst) if isinstance(worst, int | float) else None,
            "meters": _names(failing["meter_id"]),
        },
    )


# ---------------------------------------------------------------- duplicates


def duplicate_keys(table: TableLike, key: Sequence[str]) -> CheckOutcome:
    """Rows sharing a key; every copy counts as failing (nulls in a key compare equal).

    A key is the grain of a table: a duplicate double-counts energy in every sum downstream.
    """
    key = list(key)
    if not key:
        raise ValueError("duplicate_keys needs at least one key column")
    frame = _frame(table)
    _require(frame, key, "duplicate_keys")
    with_copies = frame.select(*key, pl.len().over(key).alias("copies"))
    bad = with_copies["copies"] > 1
    duplicated_keys = with_copies.filter(bad).select(key).unique().height
    return CheckOutcome.from_mask(
        "duplicate_keys",
        with_copies,
        bad,
        passed_description=f"({', '.join(key)}) is unique",
        failed_description=f"{{failing}} rows share {duplicated_keys} values of ({', '.join(key)})",
        metadata={"key": ", ".join(key), "duplicated_keys": duplicated_keys},
    )


# ---------------------------------------------------------------- DST day lengths


def _local_day_bounds(pairs: pl.DataFrame) -> pl.DataFrame:
    """UTC start/end and true length of each distinct (timezone, local_date), from zoneinfo.

    Midnight is built with `fold=0`, which PEP 495 maps to the first instant of the day both when
    midnight repeats and when it is skipped (e.g. America/Santiago), so end - start is the day's
    true length: 23 h on spring-forward, 25 h on fall-back.
    """
    starts, ends = [], []
    for tz_name, local in pairs.select("timezone", "local_date").iter_rows():
        zone = zoneinfo.ZoneInfo(tz_name)
        starts.append(datetime.combine(local, time(), tzinfo=zone).astimezone(UTC))
        following = local + timedelta(days=1)
        ends.append(datetime.combine(following, time(), tzinfo=zone).astimezone(UTC))
    return pairs.with_columns(
        pl.Series("day_start_utc", starts, pl.Datetime("us", "UTC")),
        pl.Series("day_end_utc", ends, pl.Datetime("us", "UTC")),
    ).with_columns(
        expected_minutes=(pl.col("day_end_utc") - pl.col("day_start_utc")).dt.total_minutes()
    )


@functools.cache
def is_time_zone(name: str) -> bool:
    """Whether zoneinfo can load `name` (what every consumer of a meter's `timezone` does)."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _with_local_dates(rows: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """Rows with `local_date` in their meter's zone, and the zones that could not be used."""
    parts, unusable = [], []
    for (zone,), part in rows.partition_by("timezone", as_dict=True).items():
        if zone is None or not is_time_zone(str(zone)):
            unusable.append(str(zone))
            continue
        try:
            local = pl.col("interval_start_utc").dt.convert_time_zone(str(zone)).dt.date()
            parts.append(part.with_columns(local.alias("local_date")))
        except pl.exceptions.PolarsError:  # a zone zoneinfo knows and polars' database does not
            unusable.append(str(zone))
    empty = rows.clear().with_columns(pl.lit(None, pl.Date).alias("local_date"))
    return pl.concat([empty, *parts]), unusable


def dst_day_lengths(silver_readings: TableLike, meters: TableLike) -> CheckOutcome:
    """Each complete local day holds 23, 24 or 25 hours of intervals, as its time zone says.

    Intervals are grouped by the meter's local date (the rows' own `local_date` when they carry
    one, so the check judges the local calendar that produced it; else computed here); the
    minutes they cover (sum of `interval_minutes`) must equal the local day's true length. A
    calendar or grid built on a naive 24 h day loses an hour in autumn or invents one in spring,
    and every local daily sum is then wrong. Only local days whose whole span lies inside the
    meter's rows are judged: the ends of a UTC window are partial local days. Meters absent from
    `meters` (a table without columns counts as no meters), or with an unknown time zone, fail
    the check: they cannot be judged, and silently skipping them would hide them.
    """
    frame = _frame(silver_readings)
    _require(frame, ["meter_id", "interval_start_utc"], "dst_day_lengths")
    meter_frame = _frame(meters)
    if meter_frame.width == 0:  # no meter registry at all: every meter is unknown
        meter_frame = pl.DataFrame(schema={"meter_id": pl.String, "timezone": pl.String})
    _require(meter_frame, ["meter_id", "timezone"], "dst_day_lengths (meters)")
    zones = meter_frame.select(
        "meter_id",
        "timezone",
        pl.col("interval_minutes") if "interval_minutes" in meter_frame.columns else pl.lit(None),
    ).unique("meter_id", keep="last", maintain_order=True)
    zones = zones.rename({zones.columns[2]: "meter_interval_minutes"})
    own = "interval_minutes" in frame.columns
    given_dates = "local_date" in frame.columns
    rows = (
        frame.select(
            "meter_id",
            "interval_start_utc",
            *(["interval_minutes"] if own else []),
            *([pl.col("local_date").alias("given_local_date")] if given_dates else []),
        )
        .join(zones, on="meter_id", how="left")
        .with_columns(
            pl.coalesce(*(["interval_minutes"] if own else []), "meter_interval_minutes")
            .cast(pl.Int64)
            .alias("minutes")
        )
        .select(
            "meter_id",
            "timezone",
            "interval_start_utc",
            "minutes",
            *(["given_local_date"] if given_dates else []),
        )
    )
    local, unusable_zones = _with_local_dates(rows.filter(pl.col("minutes").is_not_null()))
    if given_dates:
        local = local.with_columns(local_date=pl.col("given_local_date"))
    unknown_meters = rows.filter(
        pl.col("minutes").is_null()
        | pl.col("timezone").is_null()
        | pl.col("timezone").is_in(unusable_zones)
    )["meter_id"].unique()

    span = local.group_by("meter_id").agg(
        pl.col("interval_start_utc").min().alias("data_start_utc"),
        (pl.col("interval_start_utc") + pl.duration(minutes=pl.col("minutes")))
        .max()
        .alias("data_end_utc"),
    )
    per_day = local.group_by("meter_id", "timezone", "local_date").agg(
        pl.len().alias("intervals"),
        pl.col("minutes").min().alias("interval_minutes"),
        pl.col("minutes").sum().alias("covered_minutes"),
    )
    bounds = _local_day_bounds(per_day.select("timezone", "local_date").unique())
    per_day = (
        per_day.join(bounds, on=["timezone", "local_date"])
        .join(span, on="meter_id")
        .filter(
            (pl.col("data_start_utc") <= pl.col("day_start_utc"))
            & (pl.col("data_end_utc") >= pl.col("day_end_utc"))
        )
        .sort("meter_id", "local_date")
        .select(
            "meter_id",
            "timezone",
            "local_date",
            "intervals",
            "interval_minutes",
            (pl.col("covered_minutes") / 60).alias("covered_hours"),
            (pl.col("expected_minutes") / 60).alias("expected_hours"),
        )
    )
    bad = per_day["covered_hours"] != per_day["expected_hours"]
    failing = per_day.filter(bad)
    named = _names(f"{m}@{d}" for m, d in failing.select("meter_id", "local_date").iter_rows())
    outcome = CheckOutcome.from_mask(
        "dst_day_lengths",
        per_day,
        bad,
        passed_description=f"all {per_day.height} complete local days have their true length",
        failed_description="{failing} of {rows} local days do not cover their true length: "
        + named,
        metadata={
            "judged_local_days": per_day.height,
            "judged_dst_days": int((per_day["expected_hours"] != 24).sum()),
            "failing_days": named,
            "unknown_meters": _names(unknown_meters),
        },
    )
    if unknown_meters.len():
        description = (
            f"{unknown_meters.len()} meters without a known time zone or interval: "
            + _names(unknown_meters)
        )
        if not outcome.passed:
            description = f"{outcome.description}; {description}"
        return CheckOutcome(
            outcome.name, False, description, outcome.failing_rows, outcome.metadata
        )
    return outcome


# ---------------------------------------------------------------- interval alignment


def interval_alignment(readings: TableLike) -> CheckOutcome:
    """Each interval starts on its grid: a multiple of `interval_minutes` since midnight UTC.

    Off-grid instants (a clock skew, a local time parsed as UTC with a half-hour offset) would
    make two rows for one interval or none. Rows without a positive `interval_minutes` cannot be
    judged and are counted in `unjudged_rows` (the schema check catches them).
    """
    frame = _frame(readings)
    _require(frame, ["interval_start_utc", "interval_minutes"], "interval_alignment")
    step = pl.col("interval_minutes").cast(pl.Int64) * _MINUTE_US
    judged = step.is_not_null() & (step > 0)
    offset_us = (pl.col("interval_start_utc").dt.epoch("us") % _DAY_US) % step
    ident = [
        c for c in ("meter_id", "interval_start_utc", "interval_minutes") if c in frame.columns
    ]
    shown = frame.select(
        *ident,
        pl.when(judged).then(offset_us // 1_000_000).alias("offset_seconds"),
        judged.fill_null(False).alias("_judged"),
    )
    bad = shown["offset_seconds"].fill_null(0) != 0
    return CheckOutcome.from_mask(
        "interval_alignment",
        shown,
        bad,
        columns=[*ident, "offset_seconds"],
        passed_description="every interval starts on its meter's grid",
        failed_description="{failing} of {rows} intervals start off their grid",
        metadata={"unjudged_rows": int((~shown["_judged"]).sum())},
    )


# ---------------------------------------------------------------- unit jumps


def unit_jumps(readings: TableLike, ratio: float = 200.0) -> CheckOutcome:
    """Consecutive positive readings of a meter whose ratio exceeds `ratio` up or down.

    A source switching between Wh and kWh without saying so shows as a x1000 (or /1000) step
    between neighbours; real consumption does not move x200 in one interval except from near
    zero, which is why zeros, negatives and gaps are left out and neighbours are the previous
    positive reading of the same meter. Both edges of a mislabelled stretch are reported.
    """
    if ratio <= 1:
        raise ValueError("ratio must be > 1")
    frame = _frame(readings)
    _require(frame, ["meter_id", "interval_start_utc", "energy_kwh"], "unit_jumps")
    positive = (
        frame.filter(_observed(frame) & (pl.col("energy_kwh") > 0))
        .select("meter_id", "interval_start_utc", "energy_kwh")
        .sort("meter_id", "interval_start_utc")
        .with_columns(pl.col("energy_kwh").shift(1).over("meter_id").alias("previous_kwh"))
        .with_columns((pl.col("energy_kwh") / pl.col("previous_kwh")).alias("jump_ratio"))
        .select("meter_id", "interval_start_utc", "previous_kwh", "energy_kwh", "jump_ratio")
    )
    bad = (positive["jump_ratio"] > ratio) | (positive["jump_ratio"] < 1 / ratio)
    failing = positive.filter(bad.fill_null(False))
    named = _names(
        f"{m}@{stringify(t)}"
        for m, t in failing.select("meter_id", "interval_start_utc").iter_rows()
    )
    return CheckOutcome.from_mask(
        "unit_jumps",
        positive,
        bad,
        passed_description=f"no reading jumps more than x{ratio:g} from its neighbour",
        failed_description=f"{{failing}} readings jump more than x{ratio:g}: {named}",
        metadata={
            "ratio": float(ratio),
            "meters": _names(failing["meter_id"]),
            "jumps": named,
        },
    )


# ---------------------------------------------------------------- flatlines


def flatline_expr(
    value: str = "energy_kwh",
    by: str | Sequence[str] | None = "meter_id",
    min_run: int = DEFAULT_FLATLINE_RUN,
) -> pl.Expr:
    """Polars expression: the row belongs to a run of ≥ `min_run` identical non-null values.

    The frame must be sorted by `by` (one column or several) then time. Runs stop at a change of
    `by`, at a different value and at a null or NaN (so runs of gaps are never flatlines); exact
    zeros do count, a meter stuck at zero is as broken as one stuck at 3.2. Use inside
    `with_columns`.
    """
    if min_run < 2:
        raise ValueError("min_run must be at least 2")
    numbers = pl.col(value).cast(pl.Float64)
    v = pl.when(numbers.is_nan()).then(None).otherwise(numbers)
    run = pl.struct(pl.col(by), v).rle_id() if by is not None else v.rle_id()
    return (v.is_not_null() & (pl.len().over(run) >= min_run)).fill_null(False)


def flatline_mask(
    energy: ArrayLike, meter_id: ArrayLike | None = None, *, min_run: int = DEFAULT_FLATLINE_RUN
) -> np.ndarray:
    """Boolean mask of values belonging to a run of ≥ `min_run` identical non-null values.

    `energy` (and `meter_id`, which breaks runs between meters) must be sorted by meter then
    time; see `flatline_expr` for the rules. Meant for silver's `is_flatline`, so the flag and
    the `flatlines` check agree by construction.
    """
    values = pl.Series("v", energy, strict=False).cast(pl.Float64)
    columns = {"v": values}
    if meter_id is not None:
        meters = pl.Series("m", meter_id, strict=False)
        if meters.len() != values.len():
            raise ValueError("energy and meter_id differ in length")
        columns["m"] = meters
    frame = pl.DataFrame(columns)
    by = "m" if meter_id is not None else None
    return frame.select(flatline_expr("v", by, min_run)).to_series().to_numpy()


def flatlines(
    readings: TableLike, max_share: float = 0.25, *, min_run: int = DEFAULT_FLATLINE_RUN
) -> CheckOutcome:
    """Meters whose share of flatline intervals among present intervals exceeds `max_share`.

    Flatlines are recomputed from the values (not read from `is_flatline`) so the check also
    verifies silver's flagging. A meter stuck for more than `max_share` of the window is more
    likely broken than idle.
    """
    frame = _frame(readings)
    _require(frame, ["meter_id", "interval_start_utc", "energy_kwh"], "flatlines")
    flagged = frame.sort("meter_id", "interval_start_utc").with_columns(
        flatline_expr("energy_kwh", "meter_id", min_run).alias("_flat"),
        _observed(frame).alias("_present"),
        pl.struct("meter_id", pl.col("energy_kwh")).rle_id().alias("_run"),
    )
    per_meter = (
        flagged.group_by("meter_id", maintain_order=True)
        .agg(
            pl.col("_present").sum().alias("present_intervals"),
            pl.col("_flat").sum().alias("flatline_intervals"),
            pl.col("_run").filter(pl.col("_flat")).unique_counts().max().alias("longest_run"),
        )
        .with_columns(
            flatline_share=(
                pl.col("flatline_intervals") / pl.max_horizontal("present_intervals", 1)
            ),
            longest_run=pl.col("longest_run").fill_null(0),
        )
    )
    bad = per_meter["flatline_share"] > max_share  # judged before rounding for display
    per_meter = per_meter.with_columns(pl.col("flatline_share").round(4))
    failing = per_meter.filter(bad)
    return CheckOutcome.from_mask(
        "flatlines",
        per_meter,
        bad,
        passed_description=f"no meter is flat for more than {max_share:.0%} of its intervals",
        failed_description=f"{{failing}} of {{rows}} meters are flat for more than "
        f"{max_share:.0%} of their intervals: " + _names(failing["meter_id"]),
        metadata={
            "max_share": float(max_share),
            "min_run": min_run,
            "meters": _names(failing["meter_id"]),
        },
    )


# ---------------------------------------------------------------- weather coverage


@functools.cache
def _supported_calendars() -> dict[str, list[str]]:
    return holidays.list_supported_countries()


def has_holiday_calendar(country: str | None, subdivision: str | None) -> bool:
    """Whether the `holidays` package knows this country (and subdivision, if given).

    Meters elsewhere get no holidays; the gold `holiday_calendars` check names them.
    """
    supported = _supported_calendars()
    return (
        bool(country)
        and country in supported
        and (not subdivision or subdivision in supported[country])
    )


def holiday_calendars(meters: TableLike) -> CheckOutcome:
    """Meters whose country/subdivision the `holidays` package does not know: their local
    calendar falls back to no public holidays at all, so day-type features are wrong there."""
    frame = _frame(meters)
    _require(frame, ["meter_id", "country", "subdivision"], "holiday_calendars")
    unknown = pl.Series(
        [
            not has_holiday_calendar(c, s)
            for c, s in frame.select("country", "subdivision").iter_rows()
        ],
        dtype=pl.Boolean,
    )
    return CheckOutcome.from_mask(
        "holiday_calendars",
        frame,
        unknown,
        passed_description="every meter's country has a public-holiday calendar",
        failed_description="{failing} of {rows} meters have no public-holiday calendar "
        "(treated as having no holidays): " + _names(frame.filter(unknown)["meter_id"]),
        columns=["meter_id", "country", "subdivision"],
    )


def weather_coverage(features: TableLike) -> CheckOutcome:
    """Every gold feature row has weather: `weather_source` is not `missing` and a temperature.

    The forecast model needs weather on every interval; a row without it is either dropped from
    training or forecast without its main driver. Metadata counts rows per `weather_source`.
    """
    frame = _frame(features)
    _require(
        frame,
        ["meter_id", "interval_start_utc", "weather_source", "temperature_c"],
        "weather_coverage",
    )
    shown = frame.select("meter_id", "interval_start_utc", "weather_source", "temperature_c")
    bad = (shown["weather_source"] == "missing").fill_null(True) | shown["temperature_c"].is_null()
    failing = shown.filter(bad)
    by_source = dict(shown["weather_source"].fill_null("null").value_counts().iter_rows())
    return CheckOutcome.from_mask(
        "weather_coverage",
        shown,
        bad,
        passed_description="every interval has weather",
        failed_description="{failing} of {rows} intervals have no weather: "
        + _names(failing["meter_id"]),
        metadata={
            **{f"{source}_rows": int(by_source.get(source, 0)) for source in WEATHER_SOURCES},
            "meters": _names(failing["meter_id"]),
        },
    )


# ---------------------------------------------------------------- freshness


def latest_instant(table: TableLike, column: str = "interval_start_utc") -> datetime | None:
    """The newest value of an instant column (None for an empty table or all nulls)."""
    latest = _frame(table)[column].max()
    assert latest is None or isinstance(latest, datetime)
    return latest


def freshness(
    latest_instant_utc: datetime | None, now_utc: datetime, max_age: timedelta
) -> CheckOutcome:
    """The newest data is at most `max_age` old at `now_utc`; no data at all is stale.

    Instants must be timezone-aware: a naive instant is a bug upstream, not stale data.
    """
    for label, instant in (("latest_instant_utc", latest_instant_utc), ("now_utc", now_utc)):
        if instant is not None and instant.tzinfo is None:
            raise ValueError(f"freshness: {label} must be timezone-aware")
    age = None if latest_instant_utc is None else now_utc - latest_instant_utc
    passed = age is not None and age <= max_age
    if age is None:
        description = "no data at all"
    elif passed:
        description = f"newest data is {age} old (limit {max_age})"
    else:
        description = f"newest data is {age} old, more than the {max_age} allowed"
    return CheckOutcome(
        name="freshness",
        passed=passed,
        description=description,
        failing_rows=0,
        metadata={
            "latest_instant_utc": stringify(latest_instant_utc),
            "now_utc": stringify(now_utc),
            "age_seconds": None if age is None else age.total_seconds(),
            "max_age_seconds": max_age.total_seconds(),
        },
    )


__all__ = [
    "DEFAULT_FLATLINE_RUN",
    "completeness",
    "dst_day_lengths",
    "duplicate_keys",
    "flatline_expr",
    "flatline_mask",
    "flatlines",
    "freshness",
    "interval_alignment",
    "latest_instant",
    "unit_jumps",
    "weather_coverage",
]
