"""A feed outage on one day, and meters described by nothing but their id and location: a range
run still builds every other day, and says which day had nothing."""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg
import polars as pl
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from checks.contracts import GOLD_ANOMALIES, GOLD_CONSUMPTION_FEATURES
from energy_assets.definitions import defs
from energy_assets.defs.tables import key
from energy_assets.storage.lake import Lake
from tests.integration.pipeline import materialize_days, materialize_dimensions

FIRST, LAST = date(2024, 3, 4), date(2024, 3, 8)
OUTAGE = date(2024, 3, 6)


def _drop(lake: Lake, kind: str, name: str, text: str) -> None:
    folder = lake.landing_root / kind
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)


def _readings_without(outage: date) -> str:
    lines = ["meter_id,timestamp,energy_kwh,interval_minutes"]
    day = FIRST
    while day <= LAST:
        if day != outage:
            for meter, level in (("ZONE-A", 900.0), ("ZONE-B", 40.0)):
                for quarter in range(96):
                    hour, minute = divmod(quarter * 15, 60)
                    value = level * (1 + 0.3 * (8 <= hour < 20)) + quarter % 5
                    lines.append(f"{meter},{day}T{hour:02d}:{minute:02d}:00Z,{value},15")
        day += timedelta(days=1)
    return "\n".join(lines) + "\n"


def test_a_day_without_any_reading_is_a_warning_and_every_other_day_is_built(
    lake: Lake, instance: dg.DagsterInstance, monkeypatch
) -> None:
    monkeypatch.setenv("ENERGY_SOURCES", "landing")
    monkeypatch.setenv("ENERGY_START_DATE", FIRST.isoformat())
    # The README's minimal meters file: no country, so no holiday calendar for any meter.
    _drop(lake, "meters", "meters.csv", "meter_id,location_id\nZONE-A,X\nZONE-B,X\n")
    _drop(lake, "readings", "readings.csv", _readings_without(OUTAGE))

    assert materialize_dimensions(instance).success
    assert materialize_days(instance, FIRST, LAST).success
    features = pl.from_arrow(lake.read(GOLD_CONSUMPTION_FEATURES))
    assert isinstance(features, pl.DataFrame)
    with_readings = features.filter(pl.col("energy_kwh").is_not_null())
    assert sorted(with_readings["day"].unique().to_list()) == [
        d for d in (FIRST + timedelta(days=i) for i in range(5)) if d != OUTAGE
    ]
    assert not features["is_holiday"].any()

    result = dg.materialize(
        defs.assets,
        instance=instance,
        resources=defs.resources,
        selection=dg.AssetSelection.assets(key(GOLD_ANOMALIES)),
        tags={
            ASSET_PARTITION_RANGE_START_TAG: FIRST.isoformat(),
            ASSET_PARTITION_RANGE_END_TAG: LAST.isoformat(),
        },
    )

    assert result.success
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert not checks["inputs_present"].passed
    assert checks["inputs_present"].severity == dg.AssetCheckSeverity.WARN
    assert checks["matches_contract"].passed
    materialization = result.asset_materializations_for_node("gold__anomalies")[0]
    assert materialization.metadata["days_without_inputs"].value == [OUTAGE.isoformat()]
    assert materialization.metadata["days"].value == 5
