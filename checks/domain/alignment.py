"""Time-zone checks: local day lengths across DST changes, intervals on the meter's grid."""

from __future__ import annotations

import functools
import zoneinfo
from datetime import UTC, datetime, time, timedelta

import polars as pl

from checks.domain.frames import _DAY_US, _MINUTE_US, TableLike, _frame, _names, _require
from checks.result import CheckOutcome

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


def _grid_offset(frame: pl.DataFrame) -> tuple[pl.Expr, pl.Expr]:
    """`offset_seconds` of each interval start from its grid (null when unjudged), `_judged`."""
    _require(frame, ["interval_start_utc", "interval_minutes"], "interval_alignment")
    step = pl.col("interval_minutes").cast(pl.Int64) * _MINUTE_US
    judged = step.is_not_null() & (step > 0)
    offset_us = (pl.col("interval_start_utc").dt.epoch("us") % _DAY_US) % step
    return (
        pl.when(judged).then(offset_us // 1_000_000).alias("offset_seconds"),
        judged.fill_null(False).alias("_judged"),
    )


def off_grid_reasons(readings: TableLike) -> list[str | None]:
    """For each reading, why it breaks `interval_alignment` (None when on its grid or unjudged)."""
    frame = _frame(readings)
    offsets = frame.select(*_grid_offset(frame), pl.col("interval_minutes"))
    return (
        offsets.select(
            pl.when(pl.col("offset_seconds").fill_null(0) != 0).then(
                pl.format(
                    "starts {} s off its {}-minute grid", "offset_seconds", "interval_minutes"
                )
            )
        )
        .to_series()
        .to_list()
    )


def interval_alignment(readings: TableLike) -> CheckOutcome:
    """Each interval starts on its grid: a multiple of `interval_minutes` since midnight UTC.

    Off-grid instants (a clock skew, a local time parsed as UTC with a half-hour offset) would
    make two rows for one interval or none. Rows without a positive `interval_minutes` cannot be
    judged and are counted in `unjudged_rows` (the schema check catches them).
    """
    frame = _frame(readings)
    ident = [
        c for c in ("meter_id", "interval_start_utc", "interval_minutes") if c in frame.columns
    ]
    shown = frame.select(*ident, *_grid_offset(frame))
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
