"""Bronze to silver: deduplicate, normalise units, align to each meter's grid, make gaps explicit.

Plain functions over one UTC day of Arrow data (no Dagster), vectorised with polars. Every row
that cannot be cleaned comes back as a `Rejection` with its reason, never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl
import pyarrow as pa
from checks.domain import flatline_expr

from checks.contracts import (
    SILVER_METER_READINGS,
    SILVER_METERS,
    SILVER_WEATHER,
    WEATHER_FIELDS,
)
from checks.quarantine import Rejection

ALLOWED_INTERVAL_MINUTES = (5, 10, 15, 30, 60)
DEFAULT_INTERVAL_MINUTES = 15
US_PER_MINUTE = 60_000_000

# Mean power above which a meter-day's median can only be Wh labelled as kWh (x1000). A day's
# median is robust to a few spikes, and these ceilings sit far above any real meter of the type.
UNIT_ERROR_CEILING_KW: dict[str, float] = {
    "residential": 50.0,
    "prosumer": 50.0,
    "commercial": 2_000.0,
    "industrial": 10_000.0,
    "grid_region": 50_000_000.0,
}
DEFAULT_UNIT_ERROR_CEILING_KW = 10_000.0

WEATHER_RANGES: dict[str, tuple[float, float]] = {
    "temperature_c": (-60.0, 60.0),
    "relative_humidity_pct": (0.0, 100.0),
    "wind_speed_ms": (0.0, 75.0),
    "cloud_cover_pct": (0.0, 100.0),
    "shortwave_radiation_wm2": (0.0, 1_400.0),
}


@dataclass(frozen=True)
class CleaningParams:
    """Tunable thresholds of the silver step."""

    late_after: timedelta = timedelta(days=1)
    flatline_min_intervals: int = 8
    unit_error_ceiling_kw: dict[str, float] = field(
        default_factory=lambda: dict(UNIT_ERROR_CEILING_KW)
    )


@dataclass(frozen=True)
class Cleaned:
    """A cleaned table and the rows that could not be cleaned."""

    table: pa.Table
    rejections: list[Rejection]


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), tzinfo=UTC)
    return start, start + timedelta(days=1)


def _rejections(frame: pl.DataFrame, reason: pl.Expr) -> list[Rejection]:
    """One Rejection per row of `frame` (which carries `day`), keeping the raw row as the record."""
    if frame.height == 0:
        return []
    reasons = frame.select(reason).to_series().to_list()
    return [
        Rejection(
            record={k: v for k, v in record.items() if k != "day"},
            reason=str(why),
            day=record["day"],
            meter_id=record.get("meter_id"),
            location_id=record.get("location_id"),
        )
        for record, why in zip(frame.to_dicts(), reasons, strict=True)
    ]


def current_meters(bronze_meters: pa.Table) -> Cleaned:
    """The current description of each meter: the latest one received wins.

    Rows with an unknown time zone or an unsupported interval are rejected, because every local
    calendar and every grid downstream depends on them.
    """
    frame = pl.from_arrow(bronze_meters)
    assert isinstance(frame, pl.DataFrame)
    zones = frame.get_column("timezone").unique().drop_nulls().to_list()
    valid_zones = [z for z in zones if _is_zone(z)]
    bad_interval = pl.col("interval_minutes").is_not_null() & ~pl.col("interval_minutes").is_in(
        ALLOWED_INTERVAL_MINUTES
    )
    reason = (
        pl.when(~pl.col("timezone").is_in(valid_zones))
        .then(pl.format("unknown time zone {}", pl.col("timezone")))
        .otherwise(pl.format("unsupported interval_minutes {}", pl.col("interval_minutes")))
    )
    is_bad = ~pl.col("timezone").is_in(valid_zones) | bad_interval
    bad = frame.filter(is_bad)
    rejections = [
        Rejection(
            record={k: v for k, v in row.items() if k != "why"},
            reason=row["why"],
            day=row["ingested_at_utc"].date(),
            meter_id=row["meter_id"],
            location_id=row["location_id"],
        )
        for row in bad.with_columns(why=reason).to_dicts()
    ]
    current = (
        frame.filter(~is_bad)
        .sort(["ingested_at_utc", "source"])
        .group_by("meter_id", maintain_order=True)
        .last()
        .with_columns(
            described_at_utc=pl.col("ingested_at_utc"),
            can_export=pl.col("can_export").fill_null(pl.col("customer_type") == "prosumer"),
        )
        .sort("meter_id")
    )
    return Cleaned(_to_contract(current, SILVER_METERS.schema), rejections)


def _is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def clean_readings(
    bronze: pa.Table, meters: pa.Table, day: date, params: CleaningParams | None = None
) -> Cleaned:
    """Silver readings of one UTC day from its bronze rows and the current meters.

    - rows of meters never described are rejected;
    - re-sent readings collapse to the latest received (`duplicates_removed` counts the rest);
    - readings off the meter's grid move to the interval they fall in, finer readings are summed;
    - a meter-day whose median mean power is impossible for its type was sent in Wh: divided
      by 1000 and flagged;
    - every interval of every installed meter gets a row, gaps with null energy and `is_missing`.
    """
    params = params or CleaningParams()
    day_start, day_end = _day_bounds(day)
    readings = pl.from_arrow(bronze)
    registry = pl.from_arrow(meters)
    assert isinstance(readings, pl.DataFrame) and isinstance(registry, pl.DataFrame)
    registry = registry.select(
        "meter_id",
        pl.col("interval_minutes").cast(pl.Int64).alias("grid_minutes"),
        pl.col("customer_type"),
        pl.col("can_export").fill_null(False),
        pl.col("installed_on"),
    )
    unknown = readings.join(registry, on="meter_id", how="anti")
    rejections = _rejections(unknown, pl.format("meter never described: {}", pl.col("meter_id")))
    known = readings.join(registry, on="meter_id", how="inner").with_columns(
        grid_minutes=pl.coalesce(
            "grid_minutes", pl.col("interval_minutes").cast(pl.Int64), DEFAULT_INTERVAL_MINUTES
        ),
        energy_kwh=pl.when(pl.col("energy_kwh").is_nan())
        .then(None)
        .otherwise(pl.col("energy_kwh")),
    )
    versions = (
        known.sort("ingested_at_utc")
        .group_by(["meter_id", "interval_start_utc"], maintain_order=True)
        .agg(
            pl.col("energy_kwh").last(),
            pl.col("is_estimated").last().fill_null(False),
            pl.col("source").last(),
            pl.col("ingested_at_utc").last(),
            pl.col("interval_minutes").last(),
            pl.col("grid_minutes").first(),
            (pl.len() - 1).cast(pl.Int32).alias("duplicates_removed"),
        )
    )
    grid_us = pl.col("grid_minutes") * US_PER_MINUTE
    epoch_us = pl.col("interval_start_utc").dt.epoch("us")
    aligned = versions.with_columns(
        slot_utc=((epoch_us // grid_us) * grid_us).cast(pl.Datetime("us", "UTC")),
        is_finer=pl.col("interval_minutes").fill_null(pl.col("grid_minutes"))
        < pl.col("grid_minutes"),
    )
    per_slot = (
        aligned.sort("ingested_at_utc")
        .group_by(["meter_id", "slot_utc"], maintain_order=True)
        .agg(
            pl.when(pl.col("is_finer").all())
            .then(pl.col("energy_kwh").sum())
            .otherwise(pl.col("energy_kwh").last())
            .alias("energy_kwh"),
            pl.col("is_estimated").any(),
            pl.col("source").last(),
            pl.col("ingested_at_utc").max(),
            pl.col("grid_minutes").first(),
            pl.col("duplicates_removed").sum(),
            (pl.col("interval_start_utc") != pl.col("slot_utc")).any().alias("is_realigned"),
        )
    )
    grid = _expected_grid(registry, per_slot, day, day_start, day_end)
    silver = (
        grid.join(per_slot, on=["meter_id", "slot_utc", "grid_minutes"], how="left")
        .join(registry.select("meter_id", "customer_type", "can_export"), on="meter_id")
        .pipe(_correct_units, params)
        .with_columns(
            interval_start_utc=pl.col("slot_utc"),
            interval_minutes=pl.col("grid_minutes").cast(pl.Int16),
            is_missing=pl.col("energy_kwh").is_null(),
            is_estimated=pl.col("is_estimated").fill_null(False),
            is_late=(pl.col("ingested_at_utc") > day_end + params.late_after).fill_null(False),
            is_negative=((pl.col("energy_kwh") < 0) & ~pl.col("can_export")).fill_null(False),
            is_realigned=pl.col("is_realigned").fill_null(False),
            duplicates_removed=pl.col("duplicates_removed").fill_null(0),
            day=pl.lit(day),
        )
        .sort(["meter_id", "interval_start_utc"])
    )
    silver = silver.with_columns(
        is_flatline=flatline_expr("energy_kwh", "meter_id", params.flatline_min_intervals)
    )
    return Cleaned(_to_contract(silver, SILVER_METER_READINGS.schema), rejections)


def _expected_grid(
    registry: pl.DataFrame, per_slot: pl.DataFrame, day: date, start: datetime, end: datetime
) -> pl.DataFrame:
    """Every interval of the day for installed meters and for meters that sent readings anyway."""
    installed = registry.filter(
        pl.col("installed_on").is_null() | (pl.col("installed_on") <= day)
    ).select("meter_id", pl.col("grid_minutes").fill_null(DEFAULT_INTERVAL_MINUTES))
    reporting = per_slot.select("meter_id", "grid_minutes").unique()
    meters = pl.concat([installed, reporting]).unique(subset="meter_id", keep="first")
    frames = []
    for (minutes,), group in meters.group_by("grid_minutes"):
        slots = pl.datetime_range(
            start, end, f"{minutes}m", closed="left", eager=True, time_unit="us"
        ).alias("slot_utc")
        frames.append(group.join(slots.to_frame(), how="cross"))
    if not frames:
        return pl.DataFrame(
            schema={
                "meter_id": pl.String,
                "grid_minutes": pl.Int64,
                "slot_utc": pl.Datetime("us", "UTC"),
            }
        )
    return pl.concat(frames).select("meter_id", "grid_minutes", "slot_utc")


def _correct_units(frame: pl.DataFrame, params: CleaningParams) -> pl.DataFrame:
    ceilings = pl.DataFrame(
        {
            "customer_type": list(params.unit_error_ceiling_kw),
            "ceiling_kw": list(params.unit_error_ceiling_kw.values()),
        }
    )
    mean_power_kw = pl.col("energy_kwh") * 60.0 / pl.col("grid_minutes")
    return (
        frame.join(ceilings, on="customer_type", how="left")
        .with_columns(
            is_unit_corrected=(
                mean_power_kw.median().over("meter_id")
                > pl.col("ceiling_kw").fill_null(DEFAULT_UNIT_ERROR_CEILING_KW)
            ).fill_null(False)
        )
        .with_columns(
            energy_kwh=pl.when(pl.col("is_unit_corrected"))
            .then(pl.col("energy_kwh") / 1000.0)
            .otherwise(pl.col("energy_kwh"))
        )
    )


def clean_weather(bronze: pa.Table) -> Cleaned:
    """Silver weather: one value per location, valid time, kind and issue time, in range.

    Re-sent values collapse to the latest received. A value outside its physical range, a forecast
    without an issue time or issued after its valid time, or an unknown kind rejects the row.
    """
    frame = pl.from_arrow(bronze)
    assert isinstance(frame, pl.DataFrame)
    checks = [
        (~pl.col("kind").is_in(["observation", "forecast"]), pl.format("unknown kind {}", "kind")),
        (
            (pl.col("kind") == "forecast") & pl.col("issued_at_utc").is_null(),
            pl.lit("forecast without issued_at"),
        ),
        (
            (pl.col("kind") == "forecast") & (pl.col("issued_at_utc") > pl.col("valid_at_utc")),
            pl.lit("forecast issued after its valid time"),
        ),
    ] + [
        (
            ~pl.col(name).is_between(low, high) & pl.col(name).is_not_nan(),
            pl.format(f"{name} {{}} outside [{low}, {high}]", pl.col(name)),
        )
        for name, (low, high) in WEATHER_RANGES.items()
    ]
    reason = pl.when(checks[0][0]).then(checks[0][1])
    for condition, why in checks[1:]:
        reason = reason.when(condition).then(why)
    flagged = frame.with_columns(why=reason.otherwise(None))
    bad = flagged.filter(pl.col("why").is_not_null())
    rejections = _rejections(bad.drop("why"), pl.lit(bad.get_column("why")))
    good = (
        flagged.filter(pl.col("why").is_null())
        .with_columns(
            *[
                pl.when(pl.col(name).is_nan()).then(None).otherwise(pl.col(name)).alias(name)
                for name in WEATHER_FIELDS
            ],
            issued_at_utc=pl.when(pl.col("kind") == "observation")
            .then(None)
            .otherwise(pl.col("issued_at_utc")),
        )
        .sort("ingested_at_utc")
        .group_by(["location_id", "valid_at_utc", "kind", "issued_at_utc"], maintain_order=True)
        .last()
        .with_columns(
            horizon_hours=(pl.col("valid_at_utc") - pl.col("issued_at_utc")).dt.total_seconds()
            / 3600.0
        )
        .sort(["location_id", "valid_at_utc", "kind", "issued_at_utc"], nulls_last=False)
    )
    return Cleaned(_to_contract(good, SILVER_WEATHER.schema), rejections)


def _to_contract(frame: pl.DataFrame, schema: pa.Schema) -> pa.Table:
    return frame.select(schema.names).to_arrow().cast(schema)
