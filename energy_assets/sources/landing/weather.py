"""Landing weather files (`weather/*.csv|*.parquet`) parsed into `bronze/weather` rows."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

import polars as pl

from checks.contracts import (
    BRONZE_WEATHER,
    WEATHER_FIELDS,
)
from checks.contracts.vocabularies import WEATHER_KINDS
from energy_assets.sources.landing.files import DEFAULT_MAX_BYTES, ParsedFile, _Ctx
from energy_assets.sources.landing.parsing import (
    _UTC_TS,
    _cleaned,
    _common,
    _finish,
    _float,
    _opt,
    _reasons,
    _run,
    _split,
    _with_instant,
)

WEATHER_REQUIRED = ("location_id", "timestamp", "temperature_c")
WEATHER_OPTIONAL = (
    "relative_humidity_pct",
    "wind_speed_ms",
    "cloud_cover_pct",
    "shortwave_radiation_wm2",
    "kind",
    "issued_at",
)


# --- weather ----------------------------------------------------------------------------------


def parse_weather_file(
    path: Path,
    location_timezones: Mapping[str, str],
    *,
    batch_id: str,
    ingested_at_utc: datetime,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ParsedFile:
    """A weather file as `bronze/weather` rows.

    Timestamps without offset are local time of the location (`location_timezones`); for a
    location of unknown zone such rows are rejected (timestamps with an offset are accepted).
    `kind` defaults to `observation`; a `forecast` row needs `issued_at`; observations get a null
    `issued_at_utc` whatever the file says.
    """

    def parse(ctx: _Ctx, raw: pl.DataFrame) -> ParsedFile:
        frame = _cleaned(raw)
        kind_raw = _opt(frame, "kind")
        kind = kind_raw.str.to_lowercase().fill_null("observation")
        issued_raw = _opt(frame, "issued_at")
        frame = frame.with_columns(
            kind.alias("_kind"),
            issued_raw.alias("_issued_raw"),
            pl.col("location_id")
            .replace_strict(dict(location_timezones), default=None, return_dtype=pl.String)
            .alias("_zone"),
        )
        no_zone = "timestamp without offset for a location of unknown time zone"
        frame = _with_instant(
            frame,
            raw="timestamp",
            zone="_zone",
            out="_valid",
            rank_keys=["location_id", "_kind", "_issued_raw"],
            no_zone_reason=no_zone,
        )
        frame = _with_instant(
            frame,
            raw="_issued_raw",
            zone="_zone",
            out="_issued",
            rank_keys=None,
            no_zone_reason=no_zone.replace("timestamp", "issued_at"),
            label="issued_at",
        )
        values, errors = [], []
        for name in WEATHER_FIELDS:
            value, error = _float(_opt(frame, name), name)
            values.append(value.alias(f"_{name}"))
            errors.append(error)
        frame = frame.with_columns(values)
        is_forecast = pl.col("_kind") == "forecast"
        errors += [
            pl.when(pl.col("location_id").is_null()).then(pl.lit("missing location_id")),
            pl.col("_valid_error"),
            pl.when(~pl.col("_kind").is_in(WEATHER_KINDS)).then(
                pl.format("unknown kind {}: expected observation or forecast", kind_raw)
            ),
            pl.when(is_forecast & pl.col("_issued_raw").is_null()).then(
                pl.lit("forecast without issued_at")
            ),
            pl.when(is_forecast & pl.col("_issued_raw").is_not_null()).then(
                pl.col("_issued_error")
            ),
        ]
        frame = frame.with_columns(_reasons(errors))
        day = pl.col("_valid").dt.date()
        good, rejections = _split(ctx, raw, frame, day=day)
        good = good.select(
            *_common(ctx),
            "location_id",
            pl.col("_valid").alias("valid_at_utc"),
            pl.when(pl.col("_kind") == "forecast")
            .then(pl.col("_issued"))
            .otherwise(pl.lit(None, _UTC_TS))
            .alias("issued_at_utc"),
            pl.col("_kind").alias("kind"),
            *[pl.col(f"_{name}").alias(name) for name in WEATHER_FIELDS],
            pl.col("_valid").dt.date().alias("day"),
        )
        return _finish(ctx, good, rejections)

    return _run(
        path,
        schema=BRONZE_WEATHER.schema,
        batch_id=batch_id,
        ingested_at_utc=ingested_at_utc,
        max_bytes=max_bytes,
        required=WEATHER_REQUIRED,
        optional=WEATHER_OPTIONAL,
        parse=parse,
        chunk_key="location_id",
    )
