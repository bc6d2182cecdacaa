"""Latest received wins across landing files: each file's rows arrive when the file did."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import dagster as dg

from checks.contracts import SILVER_METER_READINGS, SILVER_METERS
from energy_assets.storage.lake import Lake
from tests.integration.pipeline import materialize_days, materialize_dimensions

DAY = date(2024, 3, 4)
HOUR = f"{DAY}T10:00:00Z"


def _drop(lake: Lake, kind: str, name: str, text: str, arrived: float) -> None:
    folder = lake.landing_root / kind
    folder.mkdir(parents=True, exist_ok=True)
    path: Path = folder / name
    path.write_text(text)
    os.utime(path, (arrived, arrived))


def test_the_latest_file_wins_for_readings_and_meter_descriptions_whatever_their_names(
    lake: Lake, instance: dg.DagsterInstance, monkeypatch
) -> None:
    monkeypatch.setenv("ENERGY_SOURCES", "landing")
    first = 1_709_600_000.0  # 2024-03-05, then one hour apart; names sort the other way
    meters = "meter_id,location_id,timezone,interval_minutes\nM-1,X,{zone},60\n"
    _drop(lake, "meters", "b_original.csv", meters.format(zone="Europe/Paris"), first)
    _drop(lake, "meters", "a_update.csv", meters.format(zone="Europe/London"), first + 3600)
    readings = "meter_id,timestamp,energy_kwh\nM-1,{hour},{value}\n"
    for name, value, arrived in (
        ("c_original.csv", 1.0, first),
        ("b_correction.csv", 5.0, first + 3600),
        ("a_second_correction.csv", 7.0, first + 7200),
    ):
        _drop(lake, "readings", name, readings.format(hour=HOUR, value=value), arrived)

    assert materialize_dimensions(instance).success
    assert materialize_days(instance, DAY, DAY).success

    assert lake.read(SILVER_METERS)["timezone"].to_pylist() == ["Europe/London"]
    silver = {
        r["interval_start_utc"].hour: r
        for r in lake.read(SILVER_METER_READINGS).to_pylist()
        if r["energy_kwh"] is not None
    }
    assert silver[10]["energy_kwh"] == 7.0
    assert silver[10]["duplicates_removed"] == 2
