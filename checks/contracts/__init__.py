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
            _f("is_bridge_day", pa.bool_(), False),
            _f("is_end_of_year", pa.bool_(), False),
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

GOLD_ANOMALIES = TableContract(
    layer="gold",
    name="anomalies",
    grain="meter x anomaly event x UTC day (an event over several days has a row per day)",
    key=("event_id", "day"),
    schema=pa.schema(
        [
            _f("meter_id", pa.string(), False),
            _f("region", pa.string()),
            _f("event_id", pa.string(), False),
            _f("anomaly_type", pa.string(), False),
            _f("event_start_utc", UTC_TS, False),
            _f("event_end_utc", UTC_TS, False),
            _f("interval_count", pa.int32(), False),
            _f("energy_kwh", pa.float64()),
            _f("expected_kwh", pa.float64()),
            _f("expected_low_kwh", pa.float64()),
            _f("expected_high_kwh", pa.float64()),
            _f("expected_source", pa.string(), False),
            _f("score", pa.float64(), False),
            _f("severity", pa.string(), False),
            _f("detectors", pa.string(), False),
            _f("reason", pa.string(), False),
            _f("feedback_verdict", pa.string()),
            _f("detected_at_utc", UTC_TS, False),
            DAY,
        ]
    ),
)
"""`event_id` is `{meter_id}:{anomaly_type}:{event start ISO}`, stable across re-runs and days;
`event_start_utc`..`event_end_utc` (end exclusive) is the event's whole extent as known on that
day; `interval_count` and the kWh sums cover the flagged intervals of this day only (energy is
null where the readings were missing, e.g. a dropout sent as gaps). `expected_source` says what
the expectation came from: `model` (the day-ahead XGBoost under observed weather), `profile`
(the meter's own median by hour and day type, when no model applies) or `none` (too little
history). `feedback_verdict` is the latest acknowledgement (`confirmed`/`false_alarm`)."""

GOLD_ANOMALY_EVALUATION = TableContract(
    layer="gold",
    name="anomaly_evaluation",
    grain="anomaly type (plus `overall`) of the latest evaluation",
    key=("anomaly_type",),
    partitioned=False,
    schema=pa.schema(
        [
            _f("anomaly_type", pa.string(), False),
            _f("labelled_events", pa.int32(), False),
            _f("found_events", pa.int32(), False),
            _f("flagged_events", pa.int32(), False),
            _f("true_flagged_events", pa.int32(), False),
            _f("precision", pa.float64()),
            _f("recall", pa.float64()),
            _f("f1", pa.float64()),
            _f("false_alarms_per_meter_month", pa.float64()),
            _f("false_alarms_after_event_per_meter_month", pa.float64()),
            _f("first_day", pa.date32(), False),
            _f("last_day", pa.date32(), False),
            _f("mlflow_run_id", pa.string()),
            _f("evaluated_at_utc", UTC_TS, False),
        ]
    ),
)
"""Event-level scores of the detectors against `bronze/anomaly_labels` over `first_day`..`last_day`:
a labelled event is found when a flagged event of the same meter overlaps it (`recall` =
found/labelled; per type, the flagged event may be of any type), a flagged event is true when it
overlaps a labelled event (`precision`); `false_alarms_per_meter_month` counts flagged events on
meters without any label, per 30 meter-days. Null where a ratio has no denominator."""

BRONZE_API_RESPONSES = TableContract(
    layer="bronze",
    name="api_responses",
    grain="one HTTP response of a network source, as received",
    key=(),
    schema=pa.schema(
        [
            _f("source", pa.string(), False),
            _f("dataset", pa.string(), False),
            _f("subject", pa.string(), False),
            _f("endpoint", pa.string(), False),
            _f("params", pa.string(), False),
            _f("fetched_at_utc", UTC_TS, False),
            _f("status", pa.int32(), False),
            _f("attempts", pa.int32(), False),
            _f("body", pa.string(), False),
            DAY,
        ]
    ),
)
"""Raw responses, so a parser fix can be replayed without fetching again (`ENERGY_API_REPLAY=1`).
`dataset` is what was asked (`observation`/`forecast`, or an éCO2mix dataset id), `subject` whom
about (a location or a region), `params` the query as sorted JSON (API keys removed); `day` is the
UTC day the response covers (each request asks for one day of one location or region)."""

BRONZE_GRID_CARBON_INTENSITY = TableContract(
    layer="bronze",
    name="grid_carbon_intensity",
    grain="one grid carbon intensity value as received: region x interval x dataset",
    key=(),
    schema=pa.schema(
        [
            _f("source", pa.string(), False),
            _f("region", pa.string(), False),
            _f("interval_start_utc", UTC_TS, False),
            _f("interval_minutes", pa.int16(), False),
            _f("carbon_intensity_gco2e_per_kwh", pa.float64()),
            _f("dataset", pa.string(), False),
            _f("ingested_at_utc", UTC_TS, False),
            _f("batch_id", pa.string(), False),
            DAY,
        ]
    ),
)
"""The carbon intensity of a region's electricity mix (éCO2mix `taux_co2`); a consolidated value
is ingested after the real-time one of the same interval, so the latest received wins."""

GOLD_CARBON_EMISSIONS = TableContract(
    layer="gold",
    name="carbon_emissions",
    grain="meter x UTC day",
    key=("meter_id", "day"),
    schema=pa.schema(
        [
            _f("meter_id", pa.string(), False),
            _f("region", pa.string()),
            _f("country", pa.string()),
            _f("energy_kwh", pa.float64(), False),
            _f("emissions_kgco2e", pa.float64()),
            _f("intensity_gco2e_per_kwh", pa.float64()),
            _f("measured_share", pa.float64(), False),
            _f("intensity_source", pa.string(), False),
            _f("factor_reference", pa.string()),
            DAY,
        ]
    ),
)
"""Emissions of the energy a meter used: each interval's energy times the grid's carbon intensity
at that hour, from éCO2mix for its region where published (`measured_share` of the meter-day's
intervals), else the country's yearly factor (`factor_reference` names source and year).
`intensity_source` is `eco2mix`, `country_factor`, `mixed` or `unknown` (no factor for the
country: emissions null). `intensity_gco2e_per_kwh` is the energy-weighted mean."""

OPS_PIPELINE_EMISSIONS = TableContract(
    layer="ops",
    name="pipeline_emissions",
    grain="one asset materialization (run x asset)",
    key=("run_id", "asset_key"),
    schema=pa.schema(
        [
            _f("run_id", pa.string(), False),
            _f("asset_key", pa.string(), False),
            _f("partition_start", pa.date32()),
            _f("partition_end", pa.date32()),
            _f("duration_s", pa.float64(), False),
            _f("energy_kwh", pa.float64(), False),
            _f("emissions_kgco2e", pa.float64(), False),
            _f("country_iso_code", pa.string(), False),
            _f("measured_at_utc", UTC_TS, False),
            DAY,
        ]
    ),
)
"""The pipeline's own footprint, measured by codecarbon's offline tracker for the country of
`ENERGY_EMISSIONS_COUNTRY`; `day` is the UTC day of measurement, `partition_end` exclusive."""

GOLD_FORECAST_BACKTEST = TableContract(
    layer="gold",
    name="forecast_backtest",
    grain="level (meter or region) x meter or region x target UTC day x forecaster",
    key=("level", "entity_id", "day", "forecaster"),
    schema=pa.schema(
        [
            _f("level", pa.string(), False),
            _f("entity_id", pa.string(), False),
            _f("region", pa.string(), False),
            _f("forecaster", pa.string(), False),
            _f("intervals", pa.int32(), False),
            _f("actual_kwh", pa.float64(), False),
            _f("forecast_kwh", pa.float64(), False),
            _f("mae_kwh", pa.float64(), False),
            _f("rmse_kwh", pa.float64(), False),
            _f("mape_pct", pa.float64()),
            _f("pinball_kwh", pa.float64()),
            _f("coverage_pct", pa.float64()),
            _f("fallback_intervals", pa.int32()),
            _f("mlflow_run_id", pa.string(), False),
            _f("backtested_at_utc", UTC_TS, False),
            DAY,
        ]
    ),
)
"""The rolling-origin backtest's scores per day: `level` `meter` (`entity_id` a meter) or
`region` (`entity_id` a region, scored on hourly sums, `intervals` are hours); `forecaster` is
`forecast` (the model, or its fallback where it could not run: `fallback_intervals`) or a naive
baseline (`same_time_yesterday`, `same_time_last_week`, `vanilla` the benchmark regression; no
band, so no pinball or coverage).
Every forecaster of a day is scored on the same intervals. A backtest replaces its days."""


GOLD_METER_CLUSTERS = TableContract(
    layer="gold",
    name="meter_clusters",
    grain="meter x month (`day` is the month's first UTC day)",
    key=("meter_id", "day"),
    schema=pa.schema(
        [
            _f("meter_id", pa.string(), False),
            _f("cluster_id", pa.int32()),
            _f("status", pa.string(), False),
            _f("previous_cluster_id", pa.int32()),
            _f("previous_status", pa.string()),
            _f("is_cluster_change", pa.bool_(), False),
            _f("distance_to_centroid", pa.float64()),
            _f("level_kwh", pa.float64()),
            _f("working_days", pa.int32(), False),
            _f("non_working_days", pa.int32(), False),
            _f("customer_type", pa.string()),
            _f("clusters", pa.int32(), False),
            _f("silhouette", pa.float64()),
            DAY,
        ]
    ),
)
"""Each meter's load-profile segment in a month (`ml.clustering`). `status` is `clustered`,
`outlier` (DBSCAN: fits no cluster; `cluster_id` null, `distance_to_centroid` to the nearest),
`too_few_days` or `no_consumption` (no profile). `previous_*` are the meter's previous month;
`is_cluster_change` is true when it had a profile both months and its cluster differs (an
outlier has none).
`level_kwh` is the mean hourly energy the profile was scaled by; `customer_type` is the contract
label, for comparison. `clusters` and `silhouette` describe the month's KMeans fit."""

GOLD_CLUSTER_CENTROIDS = TableContract(
    layer="gold",
    name="cluster_centroids",
    grain="month x cluster x day type x local hour (`day` is the month's first UTC day)",
    key=("cluster_id", "day_type", "local_hour", "day"),
    schema=pa.schema(
        [
            _f("cluster_id", pa.int32(), False),
            _f("day_type", pa.string(), False),
            _f("local_hour", pa.int8(), False),
            _f("relative_load", pa.float64(), False),
            _f("meters", pa.int32(), False),
            DAY,
        ]
    ),
)
"""The mean normalised profile of each cluster: `relative_load` is energy in that local hour over
the meter's mean hourly energy (1.0 = its average hour); `day_type` `working` or `non_working`
(weekends and public holidays); `meters` in the cluster that month."""

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
    GOLD_ANOMALIES,
    GOLD_ANOMALY_EVALUATION,
    BRONZE_API_RESPONSES,
    BRONZE_GRID_CARBON_INTENSITY,
    GOLD_CARBON_EMISSIONS,
    OPS_PIPELINE_EMISSIONS,
    GOLD_FORECAST_BACKTEST,
    GOLD_METER_CLUSTERS,
    GOLD_CLUSTER_CENTROIDS,
)


def contract(path: str) -> TableContract:
    """The contract of a table by its lake path, e.g. `silver/meter_readings`."""
    for table in ALL_TABLES:
        if table.path == path:
            return table
    raise KeyError(f"no table {path!r} in the lake contracts")
