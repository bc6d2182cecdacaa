"""No run lost to one bad partition: a five-day backfill in which one day has no reading at all
(a feed outage) and another holds a row breaking the silver contract lands every other day, and
every downstream table for them, with the bad row in quarantine and the reason it was refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta

import dagster as dg
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from checks.contracts import (
    BRONZE_QUARANTINE,
    GOLD_CONSUMPTION_FEATURES,
    GOLD_FORECASTS,
    SILVER_METER_READINGS,
)
from energy_assets.definitions import defs
from energy_assets.defs.lake import silver
from energy_assets.marts import marts_io
from energy_assets.storage.lake import Chunk, Lake
from tests.integration.pipeline import materialize_dimensions

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FIRST, LAST = date(2024, 3, 4), date(2024, 3, 8)
OUTAGE, BROKEN = date(2024, 3, 5), date(2024, 3, 7)
DAYS = [FIRST + timedelta(days=i) for i in range((LAST - FIRST).days + 1)]
BROKEN_ROW = 10
"""The row of BROKEN's silver chunk given a NaN energy (a transform fault the contract catches)."""

LAKE = dg.AssetSelection.groups("bronze", "silver", "gold") | dg.AssetSelection.assets(
    ["gold", "anomalies"]
)
FORECASTS = dg.AssetSelection.assets(["gold", "forecasts"], ["gold", "region_forecasts"])
MARTS = dg.AssetSelection.groups("marts")


def daily(selection: dg.AssetSelection) -> dg.AssetSelection:
    """The daily assets of `selection` (a range run holds only partitioned assets)."""
    graph = defs.resolve_asset_graph()
    return dg.AssetSelection.assets(
        *(k for k in selection.resolve(graph) if graph.get(k).partitions_def is not None)
    )


def backfill(
    instance: dg.DagsterInstance, selection: dg.AssetSelection
) -> dg.ExecuteInProcessResult:
    """One run of the daily assets of `selection` over the five days, as a backfill runs it."""
    return dg.materialize(
        defs.assets,
        instance=instance,
        resources=defs.resources,
        selection=daily(selection),
        tags={
            ASSET_PARTITION_RANGE_START_TAG: FIRST.isoformat(),
            ASSET_PARTITION_RANGE_END_TAG: LAST.isoformat(),
        },
        raise_on_error=False,
    )


def _readings() -> str:
    lines = ["meter_id,timestamp,energy_kwh,interval_minutes"]
    for day in DAYS:
        if day == OUTAGE:
            continue
        for meter, level in (("ZONE-A", 900.0), ("ZONE-B", 40.0)):
            for quarter in range(96):
                hour, minute = divmod(quarter * 15, 60)
                value = level * (1 + 0.3 * (8 <= hour < 20)) + quarter % 5
                lines.append(f"{meter},{day}T{hour:02d}:{minute:02d}:00Z,{value},15")
    return "\n".join(lines) + "\n"


def _with_a_broken_row(chunks: Iterator[tuple[Chunk, object]]) -> Iterator[tuple[Chunk, object]]:
    """The silver chunks, one row of BROKEN's with a NaN energy that no flag explains."""
    for chunk, cleaned in chunks:
        table = chunk.table
        if chunk.start <= BROKEN < chunk.end:
            broken_day = pc.equal(table["day"], pa.scalar(BROKEN, pa.date32()))
            position = [i for i, hit in enumerate(broken_day.to_pylist()) if hit][BROKEN_ROW]
            energy = table["energy_kwh"].to_pylist()
            energy[position] = float("nan")
            column = table.schema.get_field_index("energy_kwh")
            table = table.set_column(
                column, "energy_kwh", pa.array(energy, table.schema.field(column).type)
            )
        yield Chunk(chunk.start, chunk.end, table), cleaned


@pytest.fixture(scope="module")
def backfilled(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Lake, list[dg.ExecuteInProcessResult]]]:
    """The five days backfilled once (lake layers and anomalies, forecasts, marts: the runs an
    asset backfill makes), with the outage and the broken row."""
    tmp_path = tmp_path_factory.mktemp("isolation")
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    lake = Lake(str(tmp_path / "lake"))
    for kind, name, text in (
        ("meters", "meters.csv", "meter_id,location_id\nZONE-A,X\nZONE-B,X\n"),
        ("readings", "readings.csv", _readings()),
    ):
        folder = lake.landing_root / kind
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    original = silver.silver_readings_chunks
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name, value in {
            "ENERGY_LAKE_ROOT": lake.root,
            "DAGSTER_HOME": str(home),
            "ENERGY_SOURCES": "landing",
            "ENERGY_START_DATE": FIRST.isoformat(),
            "DO_NOT_TRACK": "1",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        }.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
        monkeypatch.delenv("ENERGY_MARTS_DIR", raising=False)
        monkeypatch.setattr(
            silver, "silver_readings_chunks", lambda *args: _with_a_broken_row(original(*args))
        )
        with dg.DagsterInstance.get() as instance:
            assert materialize_dimensions(instance).success
            results = [backfill(instance, s) for s in (LAKE, FORECASTS, MARTS)]
            yield lake, results


def _days(lake: Lake, table) -> set[date]:
    return set(lake.read(table, columns=["day"])["day"].to_pylist())


def test_one_empty_day_and_one_broken_row_stop_no_other_day(backfilled) -> None:
    lake, results = backfilled

    assert [r.success for r in results] == [True, True, True]
    good = set(DAYS) - {OUTAGE}
    readings = pl.from_arrow(lake.read(SILVER_METER_READINGS))
    assert isinstance(readings, pl.DataFrame)
    present = readings.filter(pl.col("energy_kwh").is_not_null())
    assert set(present["day"].to_list()) == good
    assert not readings["energy_kwh"].is_nan().any()
    assert good <= _days(lake, GOLD_CONSUMPTION_FEATURES)
    assert good - {FIRST} <= _days(lake, GOLD_FORECASTS)
    materialized = {
        (event.asset_key.to_user_string(), event.partition)
        for r in results
        for event in r.get_asset_materialization_events()
        if event.asset_key is not None
    }
    for asset in ("gold/anomalies", "marts/consumption_meter_daily", "marts/quality_daily"):
        assert {(asset, d.isoformat()) for d in good} <= materialized
    exported = marts_io.exports_dir(marts_io.marts_dir(lake))
    assert exported.exists()


def test_the_broken_row_is_in_quarantine_with_the_rule_it_breaks(backfilled) -> None:
    lake, results = backfilled

    quarantine = lake.read(BRONZE_QUARANTINE).to_pylist()
    refused = [q for q in quarantine if q["rejected_by"] == "checks:silver/meter_readings"]
    assert len(refused) == 1
    (row,) = refused
    assert row["day"] == BROKEN
    assert row["reason"] == "refused by matches_contract: energy_kwh:finite"
    assert json.loads(row["record"])["meter_id"] == row["meter_id"]
    checks = {
        (e.asset_key.to_user_string(), e.check_name): e
        for e in results[0].get_asset_check_evaluations()
    }
    contract = checks[("silver/meter_readings", "matches_contract")]
    assert contract.passed
    assert contract.metadata["quarantined_rows"].value == 1
