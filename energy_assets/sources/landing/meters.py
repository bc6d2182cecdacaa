"""Landing meter files (`meters/*.csv|*.parquet`) parsed into `bronze/meters` rows."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl

from checks.contracts import (
    BRONZE_METERS,
)
from energy_assets.sources.landing.files import DEFAULT_MAX_BYTES, ParsedFile, _Ctx
from energy_assets.sources.landing.parsing import (
    _bool,
    _cleaned,
    _common,
    _finish,
    _float,
    _iana_zones,
    _interval,
    _opt,
    _reasons,
    _run,
    _split,
)

METER_REQUIRED = ("meter_id", "location_id")
METER_OPTIONAL = (
    "region",
    "timezone",
    "country",
    "subdivision",
    "customer_type",
    "latitude",
    "longitude",
    "interval_minutes",
    "can_export",
    "installed_on",
)


# --- meters -----------------------------------------------------------------------------------


def parse_meters_file(
    path: Path, *, batch_id: str, ingested_at_utc: datetime, max_bytes: int = DEFAULT_MAX_BYTES
) -> ParsedFile:
    """A meters file as `bronze/meters` rows.

    Rejected rows: missing `meter_id` or `location_id`, unknown time zone, a value that does not
    parse (numbers, booleans, `installed_on` as YYYY-MM-DD, latitude/longitude out of range), a
    meter described more than once with different values (all its rows). An exact repeat of a row
    lands once and the repeats are rejected as duplicates.
    """

    def parse(ctx: _Ctx, raw: pl.DataFrame) -> ParsedFile:
        frame = _cleaned(raw)
        zone = _opt(frame, "timezone").fill_null("UTC")
        latitude, latitude_error = _float(_opt(frame, "latitude"), "latitude")
        longitude, longitude_error = _float(_opt(frame, "longitude"), "longitude")
        interval, interval_error = _interval(_opt(frame, "interval_minutes"))
        can_export, can_export_error = _bool(_opt(frame, "can_export"), "can_export")
        customer_type = _opt(frame, "customer_type")
        installed_raw = _opt(frame, "installed_on")
        installed = installed_raw.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
        data_columns = list(raw.columns)
        frame = frame.with_columns(
            zone.alias("_zone"),
            latitude.alias("_latitude"),
            longitude.alias("_longitude"),
            interval.alias("_interval"),
            can_export.fill_null(customer_type.str.to_lowercase() == "prosumer")
            .fill_null(False)
            .alias("_can_export"),
            installed.alias("_installed"),
            pl.struct(data_columns).alias("_content"),
        )
        frame = frame.with_columns(
            pl.col("_content").n_unique().over("meter_id").alias("_versions"),
            pl.int_range(pl.len()).over("meter_id", "_content").alias("_repeat"),
        )
        errors = [
            pl.when(pl.col("meter_id").is_null()).then(pl.lit("missing meter_id")),
            pl.when(pl.col("location_id").is_null()).then(pl.lit("missing location_id")),
            pl.when(~pl.col("_zone").is_in(sorted(_iana_zones()))).then(
                pl.format("unknown time zone {}", pl.col("_zone"))
            ),
            latitude_error,
            pl.when(pl.col("_latitude").abs() > 90).then(
                pl.format("latitude out of range: {}", _opt(frame, "latitude"))
            ),
            longitude_error,
            pl.when(pl.col("_longitude").abs() > 180).then(
                pl.format("longitude out of range: {}", _opt(frame, "longitude"))
            ),
            interval_error,
            can_export_error,
            pl.when(installed_raw.is_not_null() & pl.col("_installed").is_null()).then(
                pl.format("installed_on is not a date (YYYY-MM-DD): {}", installed_raw)
            ),
            pl.when(pl.col("meter_id").is_not_null() & (pl.col("_versions") > 1)).then(
                pl.format(
                    "meter {} described {} times in this file with different values",
                    pl.col("meter_id"),
                    pl.col("_versions"),
                )
            ),
            pl.when(
                pl.col("meter_id").is_not_null()
                & (pl.col("_versions") == 1)
                & (pl.col("_repeat") > 0)
            ).then(pl.lit("duplicate of an earlier row of this file")),
        ]
        frame = frame.with_columns(_reasons(errors))
        good, rejections = _split(ctx, raw, frame, day=pl.lit(None, pl.Date))
        good = good.select(
            *_common(ctx),
            "meter_id",
            "location_id",
            _opt(good, "region").alias("region"),
            pl.col("_zone").alias("timezone"),
            _opt(good, "country").alias("country"),
            _opt(good, "subdivision").alias("subdivision"),
            _opt(good, "customer_type").alias("customer_type"),
            pl.col("_interval").alias("interval_minutes"),
            pl.col("_can_export").alias("can_export"),
            pl.col("_latitude").alias("latitude"),
            pl.col("_longitude").alias("longitude"),
            pl.col("_installed").alias("installed_on"),
        )
        return _finish(ctx, good, rejections)

    return _run(
        path,
        schema=BRONZE_METERS.schema,
        batch_id=batch_id,
        ingested_at_utc=ingested_at_utc,
        max_bytes=max_bytes,
        required=METER_REQUIRED,
        optional=METER_OPTIONAL,
        parse=parse,
    )
