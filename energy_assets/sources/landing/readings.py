"""Landing reading files (`readings/*.csv|*.parquet`) parsed into `bronze/meter_readings` rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import polars as pl

from checks.contracts import (
    BRONZE_METER_READINGS,
)
from energy_assets.sources.cadence import cadence_minutes
from energy_assets.sources.landing.files import (
    DEFAULT_MAX_BYTES,
    ParsedFile,
    _Ctx,
    _FileRejectedError,
)
from energy_assets.sources.landing.parsing import (
    _bool,
    _cleaned,
    _common,
    _finish,
    _float,
    _interval,
    _opt,
    _reasons,
    _run,
    _split,
    _with_instant,
)
from energy_assets.sources.landing.wide import wide_to_long
from energy_assets.sources.reading_limits import day_error, energy_error

READING_REQUIRED = ("meter_id", "timestamp")
ENERGY_COLUMNS: dict[str, str] = {"energy_kwh": "kWh", "energy_wh": "Wh", "power_kw": "kW"}
READING_OPTIONAL = ("interval_minutes", "is_estimated", *ENERGY_COLUMNS)


# --- readings ---------------------------------------------------------------------------------


def parse_readings_file(
    path: Path,
    meter_timezones: Mapping[str, str],
    meter_intervals: Mapping[str, int],
    *,
    batch_id: str,
    ingested_at_utc: datetime,
    max_bytes: int = DEFAULT_MAX_BYTES,
    days: tuple[date, date] | None = None,
    rejected_meters: Mapping[str, str] | None = None,
    frame: pl.DataFrame | None = None,
) -> ParsedFile:
    """A readings file (long, or wide: see `landing.wide`) as `bronze/meter_readings` rows.

    `frame`, when given, holds the rows (every column a string, e.g. decoded messages) instead of
    the file, which then only names them in rejections; its extra columns stay in the rejected
    records.

    `days` (first, last; inclusive), when given, bounds the UTC day a reading may start on: rows
    outside are rejected, filed on the day the file was ingested.

    `meter_timezones` (meter -> IANA zone) names the described meters: rows of any other meter are
    rejected, pointing at the meter's own rejection when `rejected_meters` (meter -> reason)
    names it. `meter_intervals` (meter -> minutes) supplies `interval_minutes` where the row has
    none (needed to turn `power_kw` into energy). `energy_kwh` is the value converted by the
    file's declared unit: kWh as is, Wh / 1000, kW x interval_minutes / 60.

    A reading coarser than its meter's declared grid (an hourly row, or hourly cadence, for a
    15-minute meter) is rejected: putting it in the first slot would leave the others empty,
    spreading it would invent a profile nobody measured.

    The file is rejected whole when it has no energy column or several (mixed units).
    """
    refused = dict(rejected_meters or {})

    def parse(ctx: _Ctx, raw: pl.DataFrame) -> ParsedFile:
        energy_columns = [c for c in ENERGY_COLUMNS if c in raw.columns]
        if len(energy_columns) != 1:
            what = (
                "no energy column"
                if not energy_columns
                else f"mixed units: several energy columns {energy_columns}"
            )
            raise _FileRejectedError(
                f"{what}; expected exactly one of {list(ENERGY_COLUMNS)}", raw.columns
            )
        energy_column = energy_columns[0]
        unit = ENERGY_COLUMNS[energy_column]
        frame = _cleaned(raw)
        described = pl.col("meter_id").is_in(list(meter_timezones))
        frame = frame.with_columns(
            pl.col("meter_id")
            .replace_strict(dict(meter_timezones), default=None, return_dtype=pl.String)
            .alias("_zone")
        )
        frame = _with_instant(
            frame,
            raw="timestamp",
            zone="_zone",
            out="_start",
            rank_keys=["meter_id"],
            no_zone_reason="no time zone for the meter",
        )
        value, value_error = _float(pl.col(energy_column), energy_column)
        row_interval, interval_error = _interval(_opt(frame, "interval_minutes"))
        known_intervals = {k: int(v) for k, v in meter_intervals.items() if v is not None}
        meter_interval = pl.col("meter_id").replace_strict(
            known_intervals, default=None, return_dtype=pl.Int64
        )
        # Rows without an interval take their meter's cadence in the file where the meter
        # declares none or a coarser one (finer readings, to be summed onto its grid).
        frame = frame.join(
            cadence_minutes(frame, "meter_id", "_start"),
            on="meter_id",
            how="left",
            maintain_order="left",
        )
        cadence = pl.col("cadence_minutes")
        interval = pl.coalesce(row_interval, pl.min_horizontal(cadence, meter_interval))
        if unit == "kWh":
            energy = value
        elif unit == "Wh":
            energy = value / 1000.0
        else:
            energy = value * interval / 60.0
        estimated, estimated_error = _bool(_opt(frame, "is_estimated"), "is_estimated")
        frame = frame.with_columns(
            interval.alias("_interval"), energy.alias("_energy"), estimated.alias("_estimated")
        )
        meter_error = (
            pl.when(pl.col("meter_id").is_null())
            .then(pl.lit("missing meter_id"))
            .when(~described & pl.col("meter_id").is_in(list(refused)))
            .then(
                pl.format(
                    "meter {} was rejected when described: {}",
                    pl.col("meter_id"),
                    pl.col("meter_id").replace_strict(
                        refused, default=None, return_dtype=pl.String
                    ),
                )
            )
            .when(~described)
            .then(pl.format("meter never described: {}", pl.col("meter_id")))
        )
        errors = [
            meter_error,
            # with a described meter, a timestamp error is worth reporting
            pl.when(described | pl.col("_start_error").str.starts_with("unparsable")).then(
                pl.col("_start_error")
            ),
            value_error,
            interval_error,
            pl.when(value_error.is_null()).then(
                energy_error(pl.col("_energy"), pl.col("_interval"))
            ),
            day_error(pl.col("_start").dt.date(), days) if days else pl.lit(None, pl.String),
            pl.when(
                described
                & pl.lit(unit == "kW")
                & pl.col("_interval").is_null()
                & _opt(frame, "interval_minutes").is_null()
            ).then(
                pl.format(
                    "power_kw needs the interval: no interval_minutes in the row, "
                    "none known for meter {} and no clear cadence in the file",
                    pl.col("meter_id"),
                )
            ),
            estimated_error,
            pl.when(
                interval_error.is_null()
                & (pl.coalesce(row_interval, cadence) > meter_interval).fill_null(False)
            ).then(
                pl.format(
                    "reading covers {} minutes, coarser than meter {}'s {}-minute grid "
                    "(not put into one slot, not spread over a profile nobody measured)",
                    pl.coalesce(row_interval, cadence),
                    pl.col("meter_id"),
                    meter_interval,
                )
            ),
        ]
        frame = frame.with_columns(_reasons(errors))
        day = pl.col("_start").dt.date()
        if days:
            day = pl.when(day.is_between(*days)).then(day).otherwise(pl.lit(ctx.ingested_day))
        good, rejections = _split(ctx, raw, frame, day=day)
        rows = good.select(
            *_common(ctx),
            "meter_id",
            pl.col("_start").alias("interval_start_utc"),
            pl.col("_interval").alias("interval_minutes"),
            pl.col("_energy").alias("energy_kwh"),
            pl.lit(unit).alias("reported_unit"),
            pl.col("_estimated").alias("is_estimated"),
            pl.col("_start").dt.date().alias("day"),
        )
        inferred = (
            good.filter(row_interval.is_null() & (cadence == pl.col("_interval")))
            .filter(meter_interval.is_null() | (cadence < meter_interval))
            .select("meter_id", "_interval")
            .unique()
        )
        return replace(
            _finish(ctx, rows, rejections), inferred_intervals=dict(inferred.iter_rows())
        )

    return _run(
        path,
        schema=BRONZE_METER_READINGS.schema,
        batch_id=batch_id,
        ingested_at_utc=ingested_at_utc,
        max_bytes=max_bytes,
        required=READING_REQUIRED,
        optional=READING_OPTIONAL,
        parse=parse,
        days=days,
        reshape=wide_to_long,
        frame=frame,
        chunk_key="meter_id",
    )
