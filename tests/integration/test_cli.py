from __future__ import annotations

import dagster as dg
import pytest

from checks.contracts import (
    BRONZE_WEATHER,
    GOLD_QUALITY_SCORECARD,
    SILVER_METER_READINGS,
    SILVER_WEATHER,
)
from energy_assets.cli import main


def materialized_in(instance: dg.DagsterInstance, run_id: str) -> set[str]:
    return {
        event.dagster_event.asset_key.to_user_string()
        for event in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
        if event.dagster_event and event.dagster_event.asset_key
    }


def test_backfill_runs_dimensions_then_the_whole_range_in_one_run(lake, instance, capsys) -> None:
    assert main(["backfill", "--start", "2024-03-30", "--end", "2024-03-31"]) == 0

    runs = [r.dagster_run for r in reversed(instance.get_run_records())]  # oldest first
    selections = [materialized_in(instance, run.run_id) for run in runs]
    assert selections[0] == {"bronze/meters", "silver/meters"}
    assert {"bronze/meter_readings", "silver/meter_readings", "gold/consumption_features"} <= (
        selections[1]
    )
    assert runs[1].tags["dagster/asset_partition_range_start"] == "2024-03-30"
    assert runs[1].tags["dagster/asset_partition_range_end"] == "2024-03-31"
    backtest = next(i for i, s in enumerate(selections) if "ml/day_ahead_backtest" in s)
    forecasts = next(i for i, s in enumerate(selections) if "gold/forecasts" in s)
    assert backtest > 1 and forecasts > 1  # after the days they read
    assert not any("ml/day_ahead_model" in s for s in selections)  # no whole week in the range
    assert len(lake.partition_days(GOLD_QUALITY_SCORECARD)) == 2
    assert "backfill succeeded" in capsys.readouterr().out


def test_backfill_of_a_selection_materializes_only_that(lake, instance) -> None:
    assert (
        main(
            [
                "backfill",
                "--start",
                "2024-03-30",
                "--end",
                "2024-03-30",
                "--select",
                "key:bronze/weather",
            ]
        )
        == 0
    )
    assert len(instance.get_run_records()) == 1
    assert lake.row_count(BRONZE_WEATHER) > 0
    assert not lake.exists(SILVER_METER_READINGS)
    assert instance.get_latest_materialization_event(dg.AssetKey(["bronze", "weather"]))


def test_backfill_in_runs_of_n_days_goes_layer_by_layer(lake, instance) -> None:
    select = "key:bronze/weather or key:silver/weather"
    args = ["backfill", "--start", "2024-03-29", "--end", "2024-03-31", "--select", select]
    assert main([*args, "--partitions-per-run", "2"]) == 0

    runs = [r.dagster_run for r in reversed(instance.get_run_records())]  # oldest first
    assert [
        (
            run.tags["dagster/asset_partition_range_start"],
            run.tags["dagster/asset_partition_range_end"],
            materialized_in(instance, run.run_id),
        )
        for run in runs
    ] == [
        ("2024-03-29", "2024-03-30", {"bronze/weather"}),
        ("2024-03-31", "2024-03-31", {"bronze/weather"}),
        ("2024-03-29", "2024-03-30", {"silver/weather"}),
        ("2024-03-31", "2024-03-31", {"silver/weather"}),
    ]
    assert len(lake.partition_days(SILVER_WEATHER)) == 3


def test_status_lists_every_table_with_partitions_rows_and_version(lake, instance, capsys) -> None:
    main(["backfill", "--start", "2024-03-30", "--end", "2024-03-30"])
    capsys.readouterr()
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if line.startswith("silver/meter_readings"))
    _, version, rows, partitions, first, last = line.split()
    assert (partitions, first, last) == ("1", "2024-03-30", "2024-03-30")
    assert int(rows) > 0 and int(version) >= 0


def test_backfill_refuses_a_reversed_range(lake) -> None:
    with pytest.raises(SystemExit, match="before"):
        main(["backfill", "--start", "2024-03-30", "--end", "2024-03-01"])


def test_a_selection_cutting_a_multi_asset_runs_the_whole_multi_asset_with_progress(
    lake, instance, capsys
) -> None:
    """The example of `energy-lake backfill --help` takes bronze/meter_readings without the other
    outputs of its multi-asset; they are added, and the run says what it does as it goes."""
    select = ["--select", "+key:gold/consumption_features"]
    assert main(["backfill", "--start", "2024-03-30", "--end", "2024-03-30", *select]) == 0

    out = capsys.readouterr().out
    assert "selected too (built together with bronze/meter_readings)" in out
    assert instance.get_latest_materialization_event(dg.AssetKey(["bronze", "anomaly_labels"]))
    assert "[run 2/2 " in out
    assert "gold/consumption_features 2024-03-30..2024-03-30: " in out
    assert "rows so far" in out
