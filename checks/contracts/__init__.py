"""Data contracts of the lake: one Arrow schema per table, the single source of column truth.

Writers cast to these schemas before writing, pandera schemas in `checks.schemas` are derived from
them, and dbt sources document the same columns. Every partitioned table carries `day` (the UTC
date its rows belong to), which is also its Delta partition column.

Each layer's contracts live in their own module (`base`, `bronze`, `silver`, `gold`, `ops`); this
package re-exports them and holds the catalogue of every table (`ALL_TABLES`, `contract`).
"""

from __future__ import annotations

from checks.contracts.base import DAY, INTERVAL_MINUTES, UTC_TS, TableContract
from checks.contracts.bronze import (
    BRONZE_ANOMALY_LABELS,
    BRONZE_API_RESPONSES,
    BRONZE_GRID_CARBON_INTENSITY,
    BRONZE_LANDING_FILES,
    BRONZE_METER_READINGS,
    BRONZE_METERS,
    BRONZE_MQTT_MESSAGES,
    BRONZE_QUARANTINE,
    BRONZE_WEATHER,
    METER_COLUMNS,
)
from checks.contracts.gold import (
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
)
from checks.contracts.ops import OPS_ALERTS, OPS_PIPELINE_EMISSIONS
from checks.contracts.silver import (
    SILVER_METER_READINGS,
    SILVER_METERS,
    SILVER_WEATHER,
    WEATHER_FIELDS,
)

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
    BRONZE_MQTT_MESSAGES,
)


def contract(path: str) -> TableContract:
    """The contract of a table by its lake path, e.g. `silver/meter_readings`."""
    for table in ALL_TABLES:
        if table.path == path:
            return table
    raise KeyError(f"no table {path!r} in the lake contracts")


__all__ = [
    "ALL_TABLES",
    "BRONZE_ANOMALY_LABELS",
    "BRONZE_API_RESPONSES",
    "BRONZE_GRID_CARBON_INTENSITY",
    "BRONZE_LANDING_FILES",
    "BRONZE_METERS",
    "BRONZE_METER_READINGS",
    "BRONZE_MQTT_MESSAGES",
    "BRONZE_QUARANTINE",
    "BRONZE_WEATHER",
    "DAY",
    "GOLD_ANOMALIES",
    "GOLD_ANOMALY_EVALUATION",
    "GOLD_CARBON_EMISSIONS",
    "GOLD_CLUSTER_CENTROIDS",
    "GOLD_CONSUMPTION_FEATURES",
    "GOLD_FORECASTS",
    "GOLD_FORECAST_BACKTEST",
    "GOLD_METER_CLUSTERS",
    "GOLD_QUALITY_SCORECARD",
    "GOLD_REGION_FORECASTS",
    "INTERVAL_MINUTES",
    "METER_COLUMNS",
    "OPS_ALERTS",
    "OPS_PIPELINE_EMISSIONS",
    "SILVER_METERS",
    "SILVER_METER_READINGS",
    "SILVER_WEATHER",
    "UTC_TS",
    "WEATHER_FIELDS",
    "TableContract",
    "contract",
]
