from __future__ import annotations

from datetime import date

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc

from checks.contracts import (
    ALL_TABLES,
    BRONZE_ANOMALY_LABELS,
    BRONZE_API_RESPONSES,
    BRONZE_GRID_CARBON_INTENSITY,
    BRONZE_QUARANTINE,
    GOLD_ANOMALIES,
    GOLD_CLUSTER_CENTROIDS,
    GOLD_CONSUMPTION_FEATURES,
    GOLD_FORECAST_BACKTEST,
    GOLD_FORECASTS,
    GOLD_METER_CLUSTERS,
    GOLD_QUALITY_SCORECARD,
    GOLD_REGION_FORECASTS,
    OPS_PIPELINE_EMISSIONS,
    SILVER_METER_READINGS,
    TableContract,
)
from energy_assets.storage.lake import Lake
from tests.integration.pipeline import materialize_days, materialize_dimensions

FIRST, DST_DAY, LAST = date(2024, 3, 30), date(2024, 3, 31), date(2024, 4, 1)
# the forecasting group's, not these runs
FORECAST_TABLES = (GOLD_FORECASTS, GOLD_REGION_FORECASTS, GOLD_FORECAST_BACKTEST)
NETWORK_ONLY = (BRONZE_API_RESPONSES,)  # written only when a network source is configured
MEASURED = (OPS_PIPELINE_EMISSIONS,)  # partitioned by the day of measurement, one row per run
ANOMALY_TABLES = (GOLD_ANOMALIES,)  # the anomalies group's, not these runs
MONTHLY = (GOLD_METER_CLUSTERS, GOLD_CLUSTER_CENTROIDS)  # the segments group's monthly partitions
PARTITIONED = [
    t
    for t in ALL_TABLES
    if t.partitioned
    and t not in FORECAST_TABLES + NETWORK_ONLY + MEASURED + ANOMALY_TABLES + MONTHLY
]
VOLATILE = {"rejected_at_utc"}  # when a row was quarantined is the only thing a re-run changes


def rows_of_day(lake: Lake, table: TableContract, day: date) -> list[tuple]:
    data = lake.read(table).filter(pc.equal(lake.read(table)["day"], pa.scalar(day, pa.date32())))
    columns = [c for c in table.columns if c not in VOLATILE]
    return sorted(tuple(map(repr, row.values())) for row in data.select(columns).to_pylist())


def test_a_range_is_materialized_in_one_run_and_every_layer_is_filled(lake, instance) -> None:
    assert materialize_dimensions(instance).success
    result = materialize_days(instance, FIRST, LAST)

    assert result.success
    runs = instance.get_run_records()
    assert len(runs) == 2
    for table in PARTITIONED:
        sparse = (BRONZE_QUARANTINE, BRONZE_ANOMALY_LABELS, BRONZE_GRID_CARBON_INTENSITY)
        if table in sparse:  # days without rows
            continue
        assert lake.partition_days(table) == [FIRST, DST_DAY, LAST], table.path
    features = lake.read(GOLD_CONSUMPTION_FEATURES)
    assert features.num_rows == lake.read(SILVER_METER_READINGS).num_rows > 0
    card = lake.read(GOLD_QUALITY_SCORECARD)
    assert set(card["status"].to_pylist()) <= {"good", "degraded", "bad"}


def test_blocking_contract_checks_pass_on_simulated_data(lake, instance) -> None:
    materialize_dimensions(instance)
    result = materialize_days(instance, FIRST, DST_DAY)
    contract_checks = [
        e for e in result.get_asset_check_evaluations() if e.check_name == "matches_contract"
    ]
    assert len(contract_checks) == 9
    failed = [
        (e.asset_key.to_user_string(), e.description) for e in contract_checks if not e.passed
    ]
    assert failed == []


def test_rematerializing_a_day_replaces_only_that_day_and_gives_the_same_rows(
    lake, instance
) -> None:
    materialize_dimensions(instance)
    assert materialize_days(instance, FIRST, LAST).success
    before = {
        (t.path, d): rows_of_day(lake, t, d) for t in PARTITIONED for d in (FIRST, DST_DAY, LAST)
    }
    versions = {t.path: lake.version(t) for t in PARTITIONED}

    assert materialize_days(instance, DST_DAY, DST_DAY).success

    for table in PARTITIONED:
        assert lake.version(table) > versions[table.path], f"{table.path} was not rewritten"
        for day in (FIRST, DST_DAY, LAST):
            assert rows_of_day(lake, table, day) == before[(table.path, day)], (table.path, day)


def test_the_runs_show_up_in_the_instance_with_their_partitions(lake, instance) -> None:
    materialize_dimensions(instance)
    materialize_days(instance, FIRST, LAST)
    materialization = instance.get_latest_materialization_event(
        dg.AssetKey(["silver", "meter_readings"])
    )
    assert materialization is not None
    metadata = materialization.asset_materialization.metadata
    assert metadata["window"].value == "[2024-03-30, 2024-04-02)"
    assert metadata["dagster/row_count"].value > 0


def test_the_local_calendar_is_checked_on_the_dst_day(lake, instance) -> None:
    materialize_dimensions(instance)
    result = materialize_days(instance, FIRST, LAST)
    dst = next(
        e
        for e in result.get_asset_check_evaluations()
        if e.check_name == "dst_day_lengths"
        and e.asset_key == dg.AssetKey(["gold", "consumption_features"])
    )
    assert dst.passed, dst.description
    assert dst.metadata["judged_dst_days"].value >= 1
