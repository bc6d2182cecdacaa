"""Bronze to silver: deduplicate, normalise units, align to each meter's grid, make gaps explicit.

Plain functions over one UTC day of Arrow data (no Dagster), vectorised with polars. Every row
that cannot be cleaned comes back as a `Rejection` with its reason, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl
import pyarrow as pa

from checks.contracts import (
    INTERVAL_MINUTES,
    SILVER_METER_READINGS,
    SILVER_METERS,
    SILVER_WEATHER,
    WEATHER_FIELDS,
)
from checks.domain.flatlines import flatline_expr
from checks.domain.frames import meter_key
from checks.quarantine import Rejection
from energy_assets.transforms.unit_evidence import day_peaks, in_stretches, wh_stretches

DEFAULT_INTERVAL_MINUTES = 15
US_PER_MINUTE = 60_000_000

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


@dataclass(frozen=True)
class Cleaned:
    """A cleaned table and the rows that could not be cleaned."""

    table: pa.Table
    rejections: list[Rejection]


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
    frame = _frame(bronze_meters)
    zones = frame.get_column("timezone").unique().drop_nulls().to_list()
    valid_zones = [z for z in zones if _is_zone(z)]
    bad_interval = pl.col("interval_minutes").is_not_null() & ~pl.col("interval_minutes").is_in(
        INTERVAL_MINUTES
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
    bronze: pa.Table,
    meters: pa.Table,
    start: date,
    end: date,
    params: CleaningParams | None = None,
    context: UnitContext | None = None,
) -> Cleaned:
    """Silver readings of the UTC days [start, end) from their bronze rows and the current meters.

    `context`: the bronze readings of the days around the window (`unit_evidence.CONTEXT_DAYS` on
    each side, `unit_context`), only as evidence for unit corrections: never cleaned or written.

    - rows of meters never described are rejected;
    - re-sent readings collapse to the latest received (`duplicates_removed` counts the rest);
    - readings off the meter's grid move to the interval they fall in, finer readings are summed;
    - a stretch the meter's own series shows was sent in Wh (x1000 against its level before and
      after, `unit_evidence`) is divided by 1000 and flagged;
    - every interval of every installed meter gets a row, gaps with null energy and `is_missing`.

    Every rule works within a meter-day (unit evidence also reads `context`), so cleaning a window
    gives the same rows as cleaning each of its days: windows only make the work cheaper per row.
    """
    params = params or CleaningParams()
    readings = _frame(bronze)
    registry = _registry(meters)
    keyed = readings.with_columns(meter_key=meter_key(registry.get_column("meter_id")))
    unknown = keyed.filter(pl.col("meter_key").is_null()).drop("meter_key")
    rejections = _rejections(unknown, pl.format("meter never described: {}", pl.col("meter_id")))
    known = keyed.filter(pl.col("meter_key").is_not_null()).select(
        "meter_key",
        "interval_start_utc",
        "interval_minutes",
        "is_estimated",
        "source",
        "ingested_at_utc",
        grid_minutes=pl.coalesce(
            pl.lit(registry.get_column("grid_minutes")).gather(pl.col("meter_key")),
            pl.col("interval_minutes").cast(pl.Int64),
            DEFAULT_INTERVAL_MINUTES,
        ),
        energy_kwh=pl.when(pl.col("energy_kwh").is_nan())
        .then(None)
        .otherwise(pl.col("energy_kwh")),
    )
    own = _series(
        known.with_columns(
            minutes=pl.coalesce(pl.col("interval_minutes").cast(pl.Int64), "grid_minutes")
        )
    )
    if context is None:
        stretches = wh_stretches(own)
    else:
        stretches = wh_stretches(
            pl.concat([own, context.series], how="vertical_relaxed"),
            pl.concat([day_peaks(own), context.peaks], how="vertical_relaxed"),
        )
    per_slot = _onto_grid(_latest_versions(known))
    day_end = pl.col("slot_utc").dt.truncate("1d") + timedelta(days=1)
    grid = _expected_grid(registry, per_slot, start, end)
    # Both sides are sorted by meter then slot: an exact as-of join merges them in one pass.
    silver = (
        grid.join_asof(
            per_slot.drop("grid_minutes"),
            on="slot_utc",
            by="meter_key",
            strategy="backward",
            tolerance=timedelta(0),
            check_sortedness=False,
        )
        .with_columns(
            registry.get_column(name).gather(grid.get_column("meter_key"))
            for name in ("meter_id", "can_export")
        )
        .pipe(_correct_units, stretches)
        .with_columns(
            interval_start_utc=pl.col("slot_utc"),
            interval_minutes=pl.col("grid_minutes").cast(pl.Int16),
            is_missing=pl.col("energy_kwh").is_null(),
            is_estimated=pl.col("is_estimated").fill_null(False),
            is_late=(pl.col("ingested_at_utc") > day_end + params.late_after).fill_null(False),
            is_negative=((pl.col("energy_kwh") < 0) & ~pl.col("can_export")).fill_null(False),
            is_realigned=pl.col("is_realigned").fill_null(False),
            duplicates_removed=pl.col("duplicates_removed").fill_null(0),
            is_flatline=flatline_expr(
                "energy_kwh", ["meter_key", "day"], params.flatline_min_intervals
            ),
        )
    )
    return Cleaned(_to_contract(silver, SILVER_METER_READINGS.schema), rejections)


def _latest_versions(known: pl.DataFrame) -> pl.DataFrame:
    """One row per meter and interval start, the latest received; `duplicates_removed` counts
    the others. Sorting then comparing neighbours is much cheaper than a hash group-by."""
    ordered = known.sort(
        ["meter_key", "interval_start_utc", "ingested_at_utc"], maintain_order=True
    ).with_row_index("_row")
    is_last = (
        (pl.col("meter_key") != pl.col("meter_key").shift(-1))
        | (pl.col("interval_start_utc") != pl.col("interval_start_utc").shift(-1))
    ).fill_null(True)
    return (
        ordered.filter(is_last)
        .with_columns(
            duplicates_removed=(
                pl.col("_row").diff().fill_null(pl.col("_row").first() + 1) - 1
            ).cast(pl.Int32),
            is_estimated=pl.col("is_estimated").fill_null(False),
        )
        .drop("_row")
    )


def _onto_grid(versions: pl.DataFrame) -> pl.DataFrame:
    """Readings keyed by the grid slot they fall in, sorted by meter and slot: off-grid readings
    move to their slot, finer readings are summed, and a slot with several readings keeps the
    latest otherwise."""
    grid_us = pl.col("grid_minutes") * US_PER_MINUTE
    slotted = versions.with_columns(
        slot_utc=((pl.col("interval_start_utc").dt.epoch("us") // grid_us) * grid_us).cast(
            pl.Datetime("us", "UTC")
        ),
        is_finer=pl.col("interval_minutes").fill_null(pl.col("grid_minutes"))
        < pl.col("grid_minutes"),
    ).with_columns(is_realigned=pl.col("slot_utc") != pl.col("interval_start_utc"))
    columns = [
        "meter_key",
        "slot_utc",
        "energy_kwh",
        "is_estimated",
        "source",
        "ingested_at_utc",
        "grid_minutes",
        "duplicates_removed",
        "is_realigned",
    ]
    if not slotted.select((pl.col("is_realigned") | pl.col("is_finer")).any()).item():
        return slotted.select(columns)
    return (
        slotted.sort("ingested_at_utc", maintain_order=True)
        .group_by(["meter_key", "slot_utc"], maintain_order=True)
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
            pl.col("is_realigned").any(),
        )
        .select(columns)
        .sort("meter_key", "slot_utc")
    )


def _expected_grid(
    registry: pl.DataFrame, per_slot: pl.DataFrame, start: date, end: date
) -> pl.DataFrame:
    """Every interval of each day for installed meters, and for meters that sent readings anyway
    (`meter_key`, `grid_minutes`, `day`, `slot_utc`), sorted by meter and slot."""
    days = pl.date_range(start, end, "1d", closed="left", eager=True).alias("day").to_frame()
    undeclared = registry.filter(pl.col("grid_minutes").is_null()).get_column("meter_key")
    # A meter that declares no interval gets the one its readings carry (stated or inferred).
    observed = (
        per_slot.filter(pl.col("meter_key").is_in(undeclared.implode()))
        .group_by("meter_key")
        .agg(pl.col("grid_minutes").mode().min().alias("observed_minutes"))
    )
    installed = (
        registry.join(observed, on="meter_key", how="left")
        .select(
            "meter_key",
            pl.coalesce("grid_minutes", "observed_minutes", DEFAULT_INTERVAL_MINUTES).alias(
                "grid_minutes"
            ),
            "installed_on",
        )
        .join(days, how="cross")
        .filter(pl.col("installed_on").is_null() | (pl.col("installed_on") <= pl.col("day")))
        .drop("installed_on")
    )
    # `per_slot` is sorted by meter then slot: a meter-day starts where either changes.
    reporting = per_slot.select(
        "meter_key", "grid_minutes", pl.col("slot_utc").dt.date().alias("day")
    ).filter(
        (
            (pl.col("meter_key") != pl.col("meter_key").shift(1))
            | (pl.col("day") != pl.col("day").shift(1))
        ).fill_null(True)
    )
    meter_days = pl.concat([installed, reporting]).unique(subset=["meter_key", "day"], keep="first")
    offsets = pl.DataFrame(
        [
            {"grid_minutes": minutes, "offset_minutes": offset}
            for minutes in meter_days.get_column("grid_minutes").unique().to_list()
            for offset in range(0, 24 * 60, minutes)
        ],
        schema={"grid_minutes": pl.Int64, "offset_minutes": pl.Int64},
    )
    return (
        meter_days.sort("meter_key", "day")
        .join(offsets.sort("offset_minutes"), on="grid_minutes", maintain_order="left_right")
        .select(
            "meter_key",
            "grid_minutes",
            "day",
            slot_utc=pl.col("day").cast(pl.Datetime("us", "UTC"))
            + pl.duration(minutes=pl.col("offset_minutes")),
        )
    )


def _registry(meters: pa.Table) -> pl.DataFrame:
    """The current meters keyed by their row index (`meter_key`, the integer key of every meter
    id, null for ids never described), with the grid each declares (`grid_minutes`)."""
    return (
        _frame(meters)
        .select(
            "meter_id",
            pl.col("interval_minutes").cast(pl.Int64).alias("grid_minutes"),
            pl.col("can_export").fill_null(False),
            pl.col("installed_on"),
        )
        .with_row_index("meter_key")
    )


@dataclass(frozen=True)
class UnitContext:
    """Bronze readings of the days around a window, as the unit evidence reads them: each meter's
    mean power per reading (`series`) and each meter-day's peak (`peaks`). A day's context is
    built once (`unit_context`) and joined (`of`) to the others for every window it judges."""

    series: pl.DataFrame
    peaks: pl.DataFrame

    @staticmethod
    def of(parts: Sequence[UnitContext]) -> UnitContext:
        """The parts' evidence together, in their order."""
        return UnitContext(
            pl.concat([p.series for p in parts], rechunk=False),
            pl.concat([p.peaks for p in parts], rechunk=False),
        )


def unit_context(bronze: pa.Table, meters: pa.Table) -> UnitContext:
    """Bronze readings (`meter_id`, `interval_start_utc`, `interval_minutes`, `energy_kwh`,
    `ingested_at_utc`) as evidence for windows around them; readings of meters never described
    are left out (the window of their own days rejects them)."""
    registry = _registry(meters)
    keyed = _frame(bronze).with_columns(meter_key=meter_key(registry.get_column("meter_id")))
    series = _series(
        keyed.filter(pl.col("meter_key").is_not_null()).with_columns(
            minutes=pl.coalesce(
                pl.col("interval_minutes").cast(pl.Int64),
                pl.lit(registry.get_column("grid_minutes")).gather(pl.col("meter_key")),
                DEFAULT_INTERVAL_MINUTES,
            )
        )
    )
    return UnitContext(series, day_peaks(series))


def _series(rows: pl.DataFrame) -> pl.DataFrame:
    """Readings (`meter_key`, `interval_start_utc`, `minutes`, `energy_kwh`, `ingested_at_utc`) as
    the mean power series `unit_evidence.wh_stretches` reads."""
    return rows.select(
        "meter_key",
        "ingested_at_utc",
        at_utc="interval_start_utc",
        power_kw=pl.col("energy_kwh") * 60.0 / pl.col("minutes"),
    )


def _correct_units(frame: pl.DataFrame, stretches: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(in_stretches(frame, stretches, "slot_utc")).with_columns(
        energy_kwh=pl.when(pl.col("is_unit_corrected"))
        .then(pl.col("energy_kwh") / 1000.0)
        .otherwise(pl.col("energy_kwh"))
    )


def clean_weather(bronze: pa.Table) -> Cleaned:
    """Silver weather: one value per location, valid time, kind and issue time, in range.

    Re-sent values collapse to the latest received. A value outside its physical range, a forecast
    without an issue time or issued after its valid time, or an unknown kind rejects the row.
    """
    frame = _frame(bronze)
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
    first_reason = pl.coalesce(*[pl.when(condition).then(why) for condition, why in checks])
    flagged = frame.with_columns(why=first_reason)
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


def _frame(table: pa.Table) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def _to_contract(frame: pl.DataFrame, schema: pa.Schema) -> pa.Table:
    return frame.select(schema.names).to_arrow().cast(schema)
