from __future__ import annotations

import os
import time
from datetime import date
from pathlib import Path

import dagster as dg
import pyarrow.compute as pc
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from checks.contracts import (
    BRONZE_LANDING_FILES,
    BRONZE_QUARANTINE,
    GOLD_CONSUMPTION_FEATURES,
    SILVER_METER_READINGS,
)
from energy_assets.definitions import defs
from energy_assets.defs.lake import automation
from energy_assets.sources.landing.files import SETTLE_SECONDS
from tests.integration.test_landing_source import drop, readings_csv

DAY = date(2024, 10, 27)
METERS_CSV = (
    "meter_id,location_id,region,timezone,country,customer_type,interval_minutes\n"
    "HOME-1,PAR,FR-IDF,Europe/Paris,FR,residential,15\n"
)
WEATHER_CSV = "location_id,timestamp,temperature_c\n" + "".join(
    f"PAR,2024-10-27T{h:02d}:00:00Z,{8 + h / 4}\n" for h in range(24)
)


def tick(instance: dg.DagsterInstance, cursor: str | None) -> dg.SensorResult | dg.SkipReason:
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, definitions=defs, resources=defs.resources
    )
    return defs.resolve_sensor_def("landing_sensor")(context)


def run(instance: dg.DagsterInstance, request: dg.RunRequest) -> None:
    result = dg.materialize(
        defs.assets,
        instance=instance,
        resources=defs.resources,
        selection=request.asset_selection,
        tags=request.tags,
    )
    assert result.success


def test_files_dropped_in_landing_are_ingested_once_and_bad_ones_quarantined_and_moved_aside(
    lake, instance, monkeypatch
) -> None:
    monkeypatch.setenv("ENERGY_SOURCES", "landing")
    drop(lake, "readings", "export.csv", readings_csv())  # before its meter is described
    drop(lake, "readings", "export-renamed.csv", readings_csv())
    drop(lake, "readings", "broken.csv", "meter,when,kwh\nHOME-1,2024-10-27T00:00Z,1\n")
    drop(
        lake, "readings", "ghost.csv", "meter_id,timestamp,energy_kwh\nGHOST,2024-10-27T10:00Z,1\n"
    )
    drop(lake, "readings", "empty.csv", "")
    # an empty file may be an upload just begun: it is judged once unchanged for the settle time
    settled = time.time() - SETTLE_SECONDS - 1
    os.utime(lake.landing_root / "readings" / "empty.csv", (settled, settled))
    drop(
        lake, "readings", "badtime.csv", "meter_id,timestamp,energy_kwh\nHOME-1,27/10/2024 10h,1\n"
    )
    drop(
        lake,
        "readings",
        "mixed.csv",
        "meter_id,timestamp,energy_kwh,energy_wh\nHOME-1,2024-10-27T10:00Z,1,\n",
    )
    drop(lake, "weather", "obs.csv", WEATHER_CSV)
    drop(lake, "meters", "meters.csv", METERS_CSV)

    # First tick: only the meters; readings and weather wait until bronze/meters holds them.
    first = tick(instance, None)
    assert isinstance(first, dg.SensorResult)
    assert [
        sorted(k.to_user_string() for k in r.asset_selection or []) for r in first.run_requests
    ] == [["bronze/meters", "silver/meters"]]
    assert isinstance(tick(instance, first.cursor), dg.SkipReason)
    run(instance, first.run_requests[0])

    second = tick(instance, first.cursor)
    assert isinstance(second, dg.SensorResult)
    assert len(second.run_requests) == 2  # export.csv and obs.csv; the rest is refused
    for request in second.run_requests:
        assert request.tags[ASSET_PARTITION_RANGE_START_TAG] == DAY.isoformat()
        assert request.tags[ASSET_PARTITION_RANGE_END_TAG] == DAY.isoformat()
        run(instance, request)

    assert lake.read(SILVER_METER_READINGS).num_rows == 96  # the renamed copy was not ingested
    features = lake.read(GOLD_CONSUMPTION_FEATURES)
    assert features.num_rows == 96
    assert set(features["weather_source"].to_pylist()) == {"observation"}

    landing_root = lake.landing_root
    assert not any(any((landing_root / k).iterdir()) for k in ("meters", "readings", "weather"))
    assert sorted(p.name for p in (landing_root / "_processed" / "readings").iterdir()) == [
        "export.csv"
    ]
    rejected = sorted(p.name for p in (landing_root / "_rejected" / "readings").iterdir())
    assert rejected == [
        "badtime.csv",
        "broken.csv",
        "empty.csv",
        "export-renamed.csv",
        "ghost.csv",
        "mixed.csv",
    ]

    quarantine = lake.read(BRONZE_QUARANTINE).to_pylist()
    reasons = {r["source_file"].split("/")[-1]: r["reason"] for r in quarantine if r["source_file"]}
    assert "unknown columns" in reasons["broken.csv"]
    assert "empty file" in reasons["empty.csv"]
    assert "unparsable timestamp: 27/10/2024 10h" in reasons["badtime.csv"]
    assert "meter never described" in reasons["ghost.csv"]
    assert "mixed units" in reasons["mixed.csv"]
    assert "duplicate" in reasons["export-renamed.csv"]

    ledger = lake.read(BRONZE_LANDING_FILES)
    statuses = dict(
        zip(ledger["landed_path"].to_pylist(), ledger["status"].to_pylist(), strict=True)
    )
    assert sorted(statuses.values()).count("accepted") == 3
    assert statuses[str(landing_root / "readings" / "export-renamed.csv")] == "duplicate"
    accepted = ledger.filter(pc.equal(ledger["status"], "accepted"))
    assert sorted(accepted["rows"].to_pylist()) == [1, 24, 96]

    # Late data for an earlier day rebuilds that day only; nothing else is waiting.
    assert isinstance(tick(instance, second.cursor), dg.SkipReason)
    drop(
        lake, "readings", "late.csv", "meter_id,timestamp,energy_kwh\nHOME-1,2024-10-20T10:00Z,1\n"
    )
    late = tick(instance, second.cursor)
    assert isinstance(late, dg.SensorResult)
    (request,) = late.run_requests
    assert request.tags[ASSET_PARTITION_RANGE_START_TAG] == "2024-10-20"
    assert request.tags[ASSET_PARTITION_RANGE_END_TAG] == "2024-10-20"
    run(instance, request)
    assert lake.partition_days(SILVER_METER_READINGS) == [date(2024, 10, 20), DAY]
    assert lake.read(SILVER_METER_READINGS, DAY, date(2024, 10, 28)).num_rows == 96


def test_rows_a_run_quarantined_for_a_waiting_file_follow_it_when_the_sensor_moves_it(
    lake, instance, monkeypatch
) -> None:
    monkeypatch.setenv("ENERGY_SOURCES", "landing")
    drop(lake, "meters", "meters.csv", METERS_CSV)
    first = tick(instance, None)
    assert isinstance(first, dg.SensorResult)
    run(instance, first.run_requests[0])
    drop(lake, "readings", "export.csv", readings_csv())  # two bad rows among 96 good
    drop(
        lake, "readings", "ghost.csv", "meter_id,timestamp,energy_kwh\nGHOST,2024-10-27T10:00Z,1\n"
    )
    # a backfill of the day reads the files while they still wait in the inbox
    backfill = dg.materialize(
        defs.assets,
        instance=instance,
        resources=defs.resources,
        selection=[
            "bronze/meter_readings",
            "bronze/anomaly_labels",
            "bronze/grid_carbon_intensity",
        ],
        partition_key=DAY.isoformat(),
    )
    assert backfill.success

    second = tick(instance, first.cursor)
    assert isinstance(second, dg.SensorResult)
    for request in second.run_requests:
        run(instance, request)

    quarantine = lake.read(BRONZE_QUARANTINE).to_pylist()
    filed = sorted(
        (str(Path(r["source_file"]).relative_to(lake.landing_root)), r["reason"].split(":")[0])
        for r in quarantine
    )
    assert filed == [  # each bad row once, filed where its file went
        ("_processed/readings/export.csv", "meter never described"),
        ("_processed/readings/export.csv", "unparsable timestamp"),
        ("_rejected/readings/ghost.csv", "meter never described"),
    ]


def test_a_tick_past_its_time_judges_no_further_file_and_the_next_tick_takes_the_rest(
    lake, instance, monkeypatch
) -> None:
    monkeypatch.setenv("ENERGY_SOURCES", "landing")
    monkeypatch.setattr(automation, "TICK_SECONDS", 0.0)  # every tick out of time after one file
    drop(lake, "meters", "meters.csv", METERS_CSV)
    drop(lake, "readings", "a.csv", readings_csv())
    drop(lake, "readings", "b.csv", "meter_id,timestamp,energy_kwh\nHOME-1,2024-10-27T10:00Z,1\n")
    first = tick(instance, None)
    assert isinstance(first, dg.SensorResult)
    run(instance, first.run_requests[0])
    inbox = lake.landing_root / "readings"

    cursor = first.cursor
    left = []
    for _ in range(2):
        result = tick(instance, cursor)
        assert isinstance(result, dg.SensorResult)
        cursor = result.cursor
        left.append(sorted(p.name for p in inbox.iterdir()))

    assert left == [["b.csv"], []]
    judged = lake.read(BRONZE_LANDING_FILES).select(["landed_path", "status"]).to_pylist()
    assert sorted((j["landed_path"], j["status"]) for j in judged) == [
        (str(lake.landing_root / "meters" / "meters.csv"), "accepted"),
        (str(inbox / "a.csv"), "accepted"),
        (str(inbox / "b.csv"), "accepted"),
    ]
