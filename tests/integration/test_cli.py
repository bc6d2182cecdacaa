from __future__ import annotations

import dagster as dg
import pytest

from checks.contracts import BRONZE_WEATHER, GOLD_QUALITY_SCORECARD, SILVER_METER_READINGS
from energy_assets.cli import main


def test_backfill_runs_dimensions_then_the_whole_range_in_one_run(lake, instance, capsys) -> None:
    assert main(["backfill", "--start", "2024-03-30", "--end", "2024-03-31"]) == 0

    runs = instance.get_run_records()
    assert len(runs) == 3  # the dimensions (and the backtest), the lake's days, the forecast days
    range_run = next(
        r.dagster_run for r in runs if "dagster/asset_partition_range_start" in r.dagster_run.tags
    )
    assert range_run.tags["dagster/asset_partition_range_end"] == "2024-03-31"
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
