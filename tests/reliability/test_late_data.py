"""Late data reaches every day that reads it: rebuilding silver for earlier days makes the gold
features of the days whose lags read them follow (the lake's automation requests them), and until
they are rebuilt the features' `lags_current` check names them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from checks.contracts import GOLD_CONSUMPTION_FEATURES
from energy_assets.cli import main
from energy_assets.definitions import defs
from energy_assets.storage.lake import Lake
from tests.integration.pipeline import materialize_days, materialize_dimensions

pytestmark = [pytest.mark.integration, pytest.mark.slow]

LATER = (date(2024, 3, 11), date(2024, 3, 12))
EARLIER = (date(2024, 3, 4), date(2024, 3, 10))
FEATURES = dg.AssetKey(["gold", "consumption_features"])


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dg.DagsterInstance]:
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("ENERGY_LAKE_ROOT", str(tmp_path / "lake"))
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("ENERGY_SIM_METERS", "2")
    monkeypatch.setenv("ENERGY_SOURCES", "simulator")
    with dg.DagsterInstance.get() as dagster_instance:
        yield dagster_instance


def _lags_of(lake: Lake, day: date) -> pl.DataFrame:
    frame = pl.from_arrow(lake.read(GOLD_CONSUMPTION_FEATURES, day, day + timedelta(days=1)))
    assert isinstance(frame, pl.DataFrame)
    return frame.select("lag_1d_kwh", "lag_7d_kwh")


def test_an_earlier_range_built_late_is_named_by_the_check_and_requested_downstream(
    instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    lake = Lake(str(tmp_path / "lake"))
    assert materialize_dimensions(instance).success
    assert materialize_days(instance, *LATER).success
    baseline = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    assert _lags_of(lake, LATER[0])["lag_1d_kwh"].null_count() == _lags_of(lake, LATER[0]).height

    earlier = materialize_days(instance, *EARLIER)

    assert earlier.success
    check = next(
        e
        for e in earlier.get_asset_check_evaluations()
        if e.asset_key == FEATURES and e.check_name == "lags_current"
    )
    assert not check.passed
    assert check.severity == dg.AssetCheckSeverity.WARN
    assert check.metadata["stale_days"].value == "2024-03-11, 2024-03-12"

    ticked = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=baseline.cursor)
    assert {d.isoformat() for d in LATER} <= ticked.get_requested_partitions(FEATURES)

    rebuilt = dg.materialize(
        defs.assets,
        instance=instance,
        resources=defs.resources,
        selection=[FEATURES],
        tags={
            ASSET_PARTITION_RANGE_START_TAG: LATER[0].isoformat(),
            ASSET_PARTITION_RANGE_END_TAG: LATER[1].isoformat(),
        },
    )
    assert rebuilt.success
    lags = _lags_of(lake, LATER[0])
    # Only the intervals silver itself misses stay null (the simulator drops a few readings).
    assert lags["lag_1d_kwh"].null_count() < lags.height // 10
    assert lags["lag_7d_kwh"].null_count() < lags.height // 10
    (after,) = [e for e in rebuilt.get_asset_check_evaluations() if e.check_name == "lags_current"]
    assert after.passed


def test_a_cli_backfill_of_earlier_days_names_the_later_days_whose_lags_are_now_stale(
    instance: dg.DagsterInstance, capsys: pytest.CaptureFixture[str]
) -> None:
    assert materialize_dimensions(instance).success
    assert materialize_days(instance, *LATER).success
    select = "key:bronze/* or key:silver/* or key:gold/consumption_features"

    assert (
        main(["backfill", "--start", "2024-03-10", "--end", "2024-03-10", "--select", select]) == 0
    )

    out = capsys.readouterr().out
    assert (
        "stale: gold/consumption_features of 2024-03-11..2024-03-12 read these days through "
        "their lags; rebuild them: energy-lake backfill --start 2024-03-11 --end 2024-03-12 "
        "--select 'key:gold/consumption_features'"
    ) in out
