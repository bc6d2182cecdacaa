"""Data contracts of the lake: one Arrow schema per table, the single source of column truth.

Writers cast to these schemas before writing, pandera schemas in `checks.schemas` are derived from
them, and dbt sources document the same columns. Every partitioned table carries `day` (the UTC
date its rows belong to), which is also its Delta partition column.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

UTC_TS = pa.timestamp("us", tz="UTC")
INTERVAL_MINUTES = (5, 10, 15, 30, 60)
"""Interval lengths a meter may have: each divides an hour, so every grid aligns to UTC hours."""
DAY = pa.field("day", pa.date32(), nullable=False)


def _f(name: str, dtype: pa.DataType, nullable: bool = True) -> pa.Field:
    return pa.field(name, dtype, nullable=nullable)


@dataclass(frozen=True)
class TableContract:
    """A lake table: where it lives, its grain, its key and its columns."""

    layer: str
    name: str
    grain: str
    key: tuple[str, ...]
    schema: pa.Schema
    partitioned: bool = True

    @property
    def path(self) -> str:
        return f"{self.layer}/{self.name}"

    @property
    def columns(self) -> list[str]:
        return self.schema.names


BRONZE_METER_READINGS = TableContract(
    layer="bronze",
    name="meter_readings",
    grain="one reading as received (duplicates and late re-sends included)",
    key=(),
    schema=pa.schema(
        [
            _f("source", pa.string(), False),
            _f("meter_id", pa.string(), False),
            _f("interval_start_utc", UTC_TS, False),
            _f("interval_minutes", pa.int16()),
            _f("energy_kwh", pa.float64()),
            _f("reported_unit", pa.string(), False),
            _f("is_estimated", pa.bool_()),
            _f("ingested_at_utc", UTC_TS, False),
            _f("batch_id", pa.string(), False),
            DAY,
        ]
    ),
)
"""`energy_kwh` is the value converted by the unit the source *declared* (`reported_unit`:
kWh, Wh, or kW mean power). An undeclared unit error (Wh values labelled kWh) is left for silver."""

BRONZE_WEATHER = TableContract(
    layer="bronze",
    name="weather",
    grain="one weather value as received: location x valid time x issue time",
    key=(),
    schema=pa.schema(
        [
            _f("source", pa.string(), False),
            _f("location_id", pa.string(), False),
            _f("valid_at_utc", UTC_TS, False),
            _f("issued_at_utc", UTC_TS),
            _f("kind", pa.string(), False),
            _f("temperature_c", pa.float64()),
            _f("relative_humidity_pct", pa.float64()),
            _f("wind_speed_ms", pa.float64()),
            _f("cloud_cover_pct", pa.float64()),
            _f("shortwave_radiation_wm2", pa.float64()),
            _f("ingested_at_utc", UTC_TS, False),
            _f("batch_id", pa.string(), False),
            DAY,
        ]
    ),
)

METER_COLUMNS = [
    _f("meter_id", pa.string(), False),
    _f("location_id", pa.string(), False),
    _f("region", pa.string()),
    _f("timezone", pa.string(), False),
    _f("country", pa.string()),
    _f("subdivision", pa.string()),
    _f("customer_type", pa.string()),
    _f("interval_minutes", pa.int16()),
    _f("can_export", pa.bool_()),
    _f("latitude", pa.float64()),
    _f("longitude", pa.float64()),
    _f("installed_on", pa.date32()),
]

BRONZE_METERS = TableContract(
    layer="bronze",
    name="meters",
    grain="one meter as described by one source in one batch",
    key=(),
    partitioned=False,
    schema=pa.schema(
        [
            _f("source", pa.string(), False),
            *METER_COLUMNS,
            _f("ingested_at_utc", UTC_TS, False),
            _f("batch_id", pa.string(), False),
        ]
    ),
)

BRONZE_QUARANTINE = TableContract(
    layer="bronze",
    name="quarantine",
    grain="one rejected input row or file",
    key=(),
    schema=pa.schema(
        [
            _f("rejected_by", pa.string(), False),
            _f("source", pa.string(), False),
            _f("source_file", pa.string()),
            _f("meter_id", pa.string()),
            _f("location_id", pa.string()),
            _f("record", pa.string(), False),
            _f("reason", pa.string(), False),
            _f("rejected_at_utc", UTC_TS, False),
            DAY,
        ]
    ),
)
"""`record` is the rejected row as JSON (or the file's description); `rejected_by` names the step,
so each step replaces only its own quarantine rows of a day."""

BRONZE_ANOMALY_LABELS = TableContract(
    layer="bronze",
    name="anomaly_labels",
    grain="injected anomaly event x UTC day (the answer key, never read by detectors)",
    key=("event_id", "day"),
    schema=pa.schema(
        [
            _f("event_id", pa.string(), False),
            _f("meter_id", pa.string(), False),
            _f("anomaly_type", pa.string(), False),
            _f("start_utc", UTC_TS, False),
            _f("end_utc", UTC_TS, False),
            _f("magnitude", pa.float64()),
            _f("description", pa.string()),
            DAY,
        ]
    ),
)

SILVER_METER_READINGS = TableContract(
    layer="silver",
    name="meter_readings",
    grain="meter x interval on the meter's grid; gaps are explicit rows with null energy",
    key=("meter_id", "interval_start_utc"),
    schema=pa.schema(
        [
            _f("meter_id", pa.string(), False),
            _f("interval_start_utc", UTC_TS, False),
            _f("interval_minutes", pa.int16(), False),
            _f("energy_kwh", pa.float64()),
            _f("source", pa.string()),
            _f("is_missing", pa.bool_(), False),
            _f("is_estimated", pa.bool_(), False),
            _f("is_late", pa.bool_(), False),
            _f("is_negative", pa.bool_(), False),
            _f("is_flatline", pa.bool_(), False),
            _f("is_unit_corrected", pa.bool_(), False),
            _f("is_realigned", pa.bool_(), False),
            _f("duplicates_removed", pa.int32(), False),
            _f("ingested_at_utc", UTC_TS),
            DAY,
        ]
    ),
)

SILVER_WEATHER = TableContract(
    layer="silver",
    name="weather",
    grain="location x valid hour x issue time (observations have a null issue time)",
    key=("location_id", "valid_at_utc", "kind", "issued_at_utc"),
    schema=pa.schema(
        [
            _f("location_id", pa.string(), False),
            _f("valid_at_utc", UTC_TS, False),
            _f("issued_at_utc", UTC_TS),
            _f("kind", pa.string(), False),
            _f("horizon_hours", pa.float64()),
            _f("temperature_c", pa.float64()),
            _f("relative_humidity_pct", pa.float64()),
            _f("wind_speed_ms", pa.float64()),
            _f("cloud_cover_pct", pa.float64()),
            _f("shortwave_radiation_wm2", pa.float64()),
            _f("source", pa.string(), False),
            DAY,
        ]
    ),
)

SILVER_METERS = TableContract(
    layer="silver",
    name="meters",
    grain="meter (current version)",
    key=("meter_id",),
    partitioned=False,
    schema=pa.schema(
        [*METER_COLUMNS, _f("source", pa.string(), False), _f("described_at_utc", UTC_TS, False)]
    ),
)

WEATHER_FIELDS = (
    "temperature_c",
    "relative_humidity_pct",
    "wind_speed_ms",
    "cloud_cover_pct",
    "shortwave_radiation_wm2",
)

GOLD_CONSUMPTION_FEATURES = TableContract(
    layer="gold",
    name="consumption_features",
    grain="meter x interval",
    key=("meter_id", "interval_start_utc"),
    schema=pa.schema(
        [
            _f("meter_id", pa.string(), False),
            _f("interval_start_utc", UTC_TS, False),
            _f("interval_minutes", pa.int16(), False),
            _f("energy_kwh", pa.float64()),
            _f("is_missing", pa.bool_(), False),
            _f("location_id", pa.string(), False),
            _f("region", pa.string()),
            _f("customer_type", pa.string()),
            _f("local_date", pa.date32(), False),
            _f("local_hour", pa.int8(), False),
            _f("local_minute_of_day", pa.int16(), False),
            _f("local_day_of_week", pa.int8(), False),
            _f("is_weekend", pa.bool_(), False),
            _f("is_holiday", pa.bool_(), False),
            _f("month", pa.int8(), False),
            _f("day_of_year", pa.int16(), False),
            *[_f(name, pa.float64()) for name in WEATHER_FIELDS],
            _f("weather_issued_at_utc", UTC_TS),
            _f("weather_source", pa.string(), False),
            _f("observed_temperature_c", pa.float64()),
            _f("heating_degree_c", pa.float64()),
            _f("cooling_degree_c", pa.float64()),
            _f("lag_1d_kwh", pa.float64()),
            _f("lag_2d_kwh", pa.float64()),
            _f("lag_7d_kwh", pa.float64()),
            DAY,
        ]
    ),
)
"""Weather columns hold the forecast as known at the day-ahead issue time (`weather_source` =
`forecast`), or the observation standing in where no archived forecast exists (`observation`), or
nothing (`missing`). `observed_temperature_c` is what actually happened, for anomaly models."""

GOLD_QUALITY_SCORECARD = TableContract(
    layer="gold",
    name="quality_scorecard",
    grain="meter x UTC day",
    key=("meter_id", "day"),
    schema=pa.schema(
        [
            _f("meter_id", pa.string(), False),
            _f("expected_intervals", pa.int32(), False),
            _f("received_intervals", pa.int32(), False),
            _f("missing_intervals", pa.int32(), False),
            _f("completeness_pct", pa.float64(), False),
            _f("duplicates_removed", pa.int32(), False),
            _f("late_readings", pa.int32(), False),
            _f("estimated_intervals", pa.int32(), False),
            _f("negative_intervals", pa.int32(), False),
            _f("flatline_intervals", pa.int32(), False),
            _f("unit_corrected_intervals", pa.int32(), False),
            _f("realigned_intervals", pa.int32(), False),
            _f("quarantined_rows", pa.int32(), False),
            _f("status", pa.string(), False),
            _f("reasons", pa.string(), False),
            DAY,
        ]
    ),
)

BRONZE_LANDING_FILES = TableContract(
    layer="bronze",
    name="landing_files",
    grain="one file dropped in the landing folder, as judged by the landing sensor",
    key=("path",),
    schema=pa.schema(
        [
            _f("path", pa.string(), False),
            _f("landed_path", pa.string(), False),
            _f("sha256", pa.string(), False),
            _f("kind", pa.string(), False),
            _f("status", pa.string(), False),
            _f("first_day", pa.date32()),
            _f("last_day", pa.date32()),
            _f("rows", pa.int64(), False),
            _f("rows_rejected", pa.int64(), False),
            _f("size_bytes", pa.int64(), False),
            _f("reason", pa.string()),
            _f("processed_at_utc", UTC_TS, False),
        ]
    ),
    partitioned=False,
)
"""`path` is where the file lies now (`landing/_processed/...` or `landing/_rejected/...`),
`landed_path` where it was dropped; `status` is accepted, rejected or duplicate (same `sha256` as an
accepted file); `first_day`..`last_day` are the UTC days its accepted rows cover."""

OPS_ALERTS = TableContract(
    layer="ops",
    name="alerts",
    grain="one alert raised by a sensor (a failed run or a failed asset check)",
    key=("alert_id",),
    schema=pa.schema(
        [
            _f("alert_id", pa.string(), False),
            _f("kind", pa.string(), False),
            _f("severity", pa.string(), False),
            _f("run_id", pa.string(), False),
            _f("job_name", pa.string(), False),
            _f("asset_key", pa.string()),
            _f("check_name", pa.string()),
            _f("partition", pa.string()),
            _f("message", pa.string(), False),
            _f("raised_at_utc", UTC_TS, False),
            _f("is_delivered", pa.bool_(), False),
            _f("delivery_attempts", pa.int32(), False),
        ]
    ),
    partitioned=False,
)
"""`kind` is run_failure or check_failure; `is_delivered` says whether the webhook
(`ENERGY_ALERT_WEBHOOK`) acknowledged it, after `delivery_attempts` tries (0 when none is set)."""

GOLD_FORECASTS = TableContract(
    layer="gold",
    name="forecasts",
    grain="meter x target interval of one day-ahead issue (re-issuing a day replaces it)",
    key=("meter_id", "interval_start_utc"),
    schema=pa.schema(
        [
            _f("meter_id", pa.string(), False),
            _f("interval_start_utc", UTC_TS, False),
            _f("interval_minutes", pa.int16(), False),
            _f("region", pa.string()),
            _f("forecast_kwh", pa.float64(), False),
            _f("p10_kwh", pa.float64(), False),
            _f("p90_kwh", pa.float64(), False),
            _f("issued_at_utc", UTC_TS, False),
            _f("model_name", pa.string(), False),
            _f("model_version", pa.string()),
            _f("model_used", pa.string(), False),
            _f("fallback_reason", pa.string()),
            _f("weather_source", pa.string(), False),
            DAY,
        ]
    ),
)
"""`model_name`/`model_version` name the registered model of the target day's training week
(version null when none was trained); `model_used` is what made the row: that model, or a
`fallback:*` with its `fallback_reason`. `day` is the target day."""

GOLD_REGION_FORECASTS = TableContract(
    layer="gold",
    name="region_forecasts",
    grain="region x target UTC hour of one day-ahead issue",
    key=("region", "hour_start_utc"),
    schema=pa.schema(
        [
            _f("region", pa.string(), False),
            _f("hour_start_utc", UTC_TS, False),
            _f("forecast_kwh", pa.float64(), False),
            _f("p10_kwh", pa.float64(), False),
            _f("p90_kwh", pa.float64(), False),
            _f("meters", pa.int32(), False),
            _f("fallback_meters", pa.int32(), False),
            _f("issued_at_utc", UTC_TS, False),
            _f("model_version", pa.string()),
            DAY,
        ]
    ),
)
"""Sums of the meter forecasts of each region and hour (meters without a region count under
`unknown`). The band sums the meters' P10s and P90s: exact if meters err together, otherwise wider
than the region's own P10-P90, so it is a conservative band."""

ALL_TABLES: tuple[TableContract, ...] = (
    BRONZE_METER_READINGS,
    BRONZE_WEATHER,
    BRONZE_METERS,
    BRONZE_QUARANTINE,
    BRONZE_ANOMALY_LABELS,
    SILVER_METER_READINGS,
    SILVER_WEATHER,
    SILVER_METERS,
    GOLD_CONSUMPTION_FEATURES,
    GOLD_QUALITY_SCORECARD,
    BRONZE_LANDING_FILES,
    OPS_ALERTS,
    GOLD_FORECASTS,
    GOLD_REGION_FORECASTS,
)


def contract(path: str) -> TableContract:
    """The contract of a table by its lake path, e.g. `silver/meter_readings`."""
    for table in ALL_TABLES:
        if table.path == path:
            return table
    raise KeyError(f"no table {path!r} in the lake contracts")
