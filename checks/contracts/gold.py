"""Gold contracts: features, forecasts, anomalies, scorecards and clusters."""

from __future__ import annotations

import pyarrow as pa

from checks.contracts.base import DAY, UTC_TS, TableContract, _f
from checks.contracts.silver import WEATHER_FIELDS

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
