"""The domain rules of each table, one `TableRules` per lake path in `DOMAIN_RULES`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandera.pandas as pa

from checks.contracts import (
    BRONZE_ANOMALY_LABELS,
    BRONZE_API_RESPONSES,
    BRONZE_GRID_CARBON_INTENSITY,
    BRONZE_LANDING_FILES,
    BRONZE_METER_READINGS,
    BRONZE_METERS,
    BRONZE_MQTT_MESSAGES,
    BRONZE_QUARANTINE,
    BRONZE_WEATHER,
    GOLD_ANOMALIES,
    GOLD_ANOMALY_EVALUATION,
    GOLD_CARBON_EMISSIONS,
    GOLD_CLUSTER_CENTROIDS,
    GOLD_CONSUMPTION_FEATURES,
    GOLD_FORECAST_BACKTEST,
    GOLD_FORECASTS,
    GOLD_METER_CLUSTERS,
    GOLD_QUALITY_SCORECARD,
    GOLD_REGION_FORECASTS,
    INTERVAL_MINUTES,
    OPS_ALERTS,
    OPS_PIPELINE_EMISSIONS,
    SILVER_METER_READINGS,
    SILVER_METERS,
    SILVER_WEATHER,
)
from checks.contracts.vocabularies import (
    ALERT_KINDS,
    ALERT_SEVERITIES,
    ANOMALY_SEVERITIES,
    ANOMALY_TYPES,
    CLUSTER_STATUSES,
    FEEDBACK_VERDICTS,
    INTENSITY_SOURCES,
    LANDING_KINDS,
    LANDING_STATUSES,
    PROFILE_DAY_TYPES,
    REPORTED_UNITS,
    SCORECARD_STATUSES,
    WEATHER_KINDS,
    WEATHER_SOURCES,
)
from checks.schemas.columns import (
    WEATHER_RANGES,
    finite,
    non_negative,
    pct,
    temperature,
    valid_timezone,
)
from checks.schemas.row_rules import (
    FORECAST_BAND,
    RowRule,
    day_is_utc_date_of,
    day_within,
    fallback_explained,
    issued_exactly_when,
    null_exactly_when,
    ordered,
    quantiles_ordered,
)

# ---------------------------------------------------------------- the rules, one entry per table


@dataclass(frozen=True)
class TableRules:
    """Domain rules of one table: checks per column, and rules across the columns of a row."""

    columns: Mapping[str, Sequence[pa.Check]] = field(default_factory=dict)
    rows: Sequence[RowRule] = ()


DOMAIN_RULES: dict[str, TableRules] = {
    BRONZE_LANDING_FILES.path: TableRules(
        columns={
            "kind": [pa.Check.isin(LANDING_KINDS)],
            "status": [pa.Check.isin(LANDING_STATUSES)],
            "rows": [non_negative()],
            "rows_rejected": [non_negative()],
        }
    ),
    OPS_ALERTS.path: TableRules(
        columns={
            "kind": [pa.Check.isin(ALERT_KINDS)],
            "severity": [pa.Check.isin(ALERT_SEVERITIES)],
            "delivery_attempts": [non_negative()],
        }
    ),
    BRONZE_METER_READINGS.path: TableRules(
        columns={
            "interval_minutes": [pa.Check.isin(INTERVAL_MINUTES)],
            "reported_unit": [pa.Check.isin(REPORTED_UNITS)],
        },
        rows=[day_is_utc_date_of("interval_start_utc")],
    ),
    BRONZE_WEATHER.path: TableRules(columns={"kind": [pa.Check.isin(WEATHER_KINDS)]}),
    BRONZE_METERS.path: TableRules(columns={"interval_minutes": [pa.Check.isin(INTERVAL_MINUTES)]}),
    BRONZE_QUARANTINE.path: TableRules(),
    BRONZE_ANOMALY_LABELS.path: TableRules(
        rows=[ordered("start_utc", "end_utc"), day_is_utc_date_of("start_utc")]
    ),
    SILVER_METER_READINGS.path: TableRules(
        columns={
            "interval_minutes": [pa.Check.isin(INTERVAL_MINUTES)],
            "energy_kwh": [finite()],
            "duplicates_removed": [non_negative()],
        },
        rows=[
            null_exactly_when("energy_kwh", "is_missing"),
            day_is_utc_date_of("interval_start_utc"),
        ],
    ),
    SILVER_WEATHER.path: TableRules(
        columns={"kind": [pa.Check.isin(WEATHER_KINDS)], **WEATHER_RANGES},
        rows=[issued_exactly_when("issued_at_utc", "kind")],
    ),
    SILVER_METERS.path: TableRules(
        columns={
            "interval_minutes": [pa.Check.isin(INTERVAL_MINUTES)],
            "timezone": [valid_timezone()],
            "latitude": [pa.Check.in_range(-90, 90)],
            "longitude": [pa.Check.in_range(-180, 180)],
        }
    ),
    GOLD_CONSUMPTION_FEATURES.path: TableRules(
        columns={
            "interval_minutes": [pa.Check.isin(INTERVAL_MINUTES)],
            "energy_kwh": [finite()],
            "local_hour": [pa.Check.in_range(0, 23)],
            "local_minute_of_day": [pa.Check.in_range(0, 1439)],
            "local_day_of_week": [pa.Check.in_range(0, 6)],
            "month": [pa.Check.in_range(1, 12)],
            "day_of_year": [pa.Check.in_range(1, 366)],
            **WEATHER_RANGES,
            "weather_source": [pa.Check.isin(WEATHER_SOURCES)],
            "observed_temperature_c": [finite(), temperature()],
            "heating_degree_c": [non_negative()],
            "cooling_degree_c": [non_negative()],
            "lag_1d_kwh": [finite()],
            "lag_2d_kwh": [finite()],
            "lag_7d_kwh": [finite()],
        },
        rows=[
            null_exactly_when("energy_kwh", "is_missing"),
            issued_exactly_when("weather_issued_at_utc", "weather_source"),
            day_is_utc_date_of("interval_start_utc"),
        ],
    ),
    GOLD_QUALITY_SCORECARD.path: TableRules(
        columns={
            **{
                f.name: [non_negative()]
                for f in GOLD_QUALITY_SCORECARD.schema
                if f.name.endswith(("_intervals", "_readings", "_rows", "_removed"))
            },
            "completeness_pct": [pct()],
            "status": [pa.Check.isin(SCORECARD_STATUSES)],
        }
    ),
    GOLD_FORECASTS.path: TableRules(
        columns={
            "interval_minutes": [pa.Check.isin(INTERVAL_MINUTES)],
            **{column: [finite()] for column in FORECAST_BAND},
            "weather_source": [pa.Check.isin(WEATHER_SOURCES)],
        },
        rows=[
            quantiles_ordered(),
            ordered("issued_at_utc", "interval_start_utc"),
            fallback_explained(),
            day_is_utc_date_of("interval_start_utc"),
        ],
    ),
    GOLD_REGION_FORECASTS.path: TableRules(
        columns={
            **{column: [finite()] for column in FORECAST_BAND},
            "meters": [pa.Check.gt(0)],
            "fallback_meters": [non_negative()],
        },
        rows=[
            quantiles_ordered(),
            ordered("fallback_meters", "meters", strict=False),
            ordered("issued_at_utc", "hour_start_utc"),
            day_is_utc_date_of("hour_start_utc"),
        ],
    ),
    GOLD_ANOMALIES.path: TableRules(
        columns={
            "anomaly_type": [pa.Check.isin(ANOMALY_TYPES)],
            "interval_count": [pa.Check.gt(0)],
            "expected_source": [pa.Check.isin(("model", "profile", "none"))],
            "score": [finite()],
            "severity": [pa.Check.isin(ANOMALY_SEVERITIES)],
            "feedback_verdict": [pa.Check.isin(FEEDBACK_VERDICTS)],
        },
        rows=[
            ordered("event_start_utc", "event_end_utc"),
            day_within("event_start_utc", "event_end_utc"),
        ],
    ),
    GOLD_ANOMALY_EVALUATION.path: TableRules(
        columns={
            **{column: [pa.Check.in_range(0, 1)] for column in ("precision", "recall", "f1")},
            **{
                f.name: [non_negative()]
                for f in GOLD_ANOMALY_EVALUATION.schema
                if f.name.endswith("_events")
            },
            "false_alarms_per_meter_month": [non_negative()],
            "false_alarms_after_event_per_meter_month": [non_negative()],
        },
        rows=[ordered("first_day", "last_day", strict=False)],
    ),
    BRONZE_MQTT_MESSAGES.path: TableRules(),
    BRONZE_API_RESPONSES.path: TableRules(columns={"status": [pa.Check.in_range(100, 599)]}),
    GOLD_FORECAST_BACKTEST.path: TableRules(
        columns={
            "level": [pa.Check.isin(("meter", "region"))],
            "forecaster": [
                pa.Check.isin(("forecast", "same_time_yesterday", "same_time_last_week", "vanilla"))
            ],
            "intervals": [pa.Check.gt(0)],
            **{c: [finite()] for c in ("actual_kwh", "forecast_kwh", "mape_pct", "pinball_kwh")},
            **{c: [finite(), non_negative()] for c in ("mae_kwh", "rmse_kwh")},
            "coverage_pct": [pa.Check.in_range(0, 100)],
            "fallback_intervals": [non_negative()],
        },
        rows=[
            RowRule(
                "fallback_intervals_counted_for_the_forecast_only",
                lambda df: (
                    (df["fallback_intervals"].notna() == (df["forecaster"] == "forecast"))
                    & (df["fallback_intervals"].fillna(0) <= df["intervals"])
                ).fillna(False),
            )
        ],
    ),
    BRONZE_GRID_CARBON_INTENSITY.path: TableRules(
        columns={"interval_minutes": [pa.Check.isin(INTERVAL_MINUTES)]},
        rows=[day_is_utc_date_of("interval_start_utc")],
    ),
    GOLD_CARBON_EMISSIONS.path: TableRules(
        columns={
            "energy_kwh": [finite()],
            "emissions_kgco2e": [finite()],
            "intensity_gco2e_per_kwh": [non_negative()],
            "measured_share": [pa.Check.in_range(0, 1)],
            "intensity_source": [pa.Check.isin(INTENSITY_SOURCES)],
        }
    ),
    OPS_PIPELINE_EMISSIONS.path: TableRules(
        columns={
            "duration_s": [non_negative()],
            "energy_kwh": [non_negative()],
            "emissions_kgco2e": [non_negative()],
        },
        rows=[day_is_utc_date_of("measured_at_utc")],
    ),
    GOLD_METER_CLUSTERS.path: TableRules(
        columns={
            "status": [pa.Check.isin(CLUSTER_STATUSES)],
            "previous_status": [pa.Check.isin(CLUSTER_STATUSES)],
            "distance_to_centroid": [non_negative()],
            "working_days": [non_negative()],
            "non_working_days": [non_negative()],
            "silhouette": [pa.Check.in_range(-1, 1)],
        }
    ),
    GOLD_CLUSTER_CENTROIDS.path: TableRules(
        columns={
            "day_type": [pa.Check.isin(PROFILE_DAY_TYPES)],
            "local_hour": [pa.Check.in_range(0, 23)],
            "relative_load": [finite()],
            "meters": [pa.Check.gt(0)],
        }
    ),
}
"""Domain rules per table path. Every contract has an entry; every named column exists."""
