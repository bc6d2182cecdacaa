from __future__ import annotations

from datetime import date

import pyarrow.compute as pc

from checks.contracts import (
    BRONZE_QUARANTINE,
    GOLD_CONSUMPTION_FEATURES,
    GOLD_QUALITY_SCORECARD,
    SILVER_METER_READINGS,
    SILVER_METERS,
)
from tests.integration.pipeline import materialize_days, materialize_dimensions

DAY = date(2024, 10, 27)  # DST ends in Europe/Paris: the local day has 25 hours


def drop(lake, kind: str, name: str, text: str) -> None:
    folder = lake.landing_root / kind
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)


def readings_csv() -> str:
    lines = ["meter_id,timestamp,energy_wh"]
    for hour in range(24):
        for minute in (0, 15, 30, 45):
            lines.append(f"HOME-1,2024-10-27T{hour:02d}:{minute:02d}:00Z,{250 + minute}")
    lines.append("GHOST-9,2024-10-27T10:00:00Z,100")
    lines.append("HOME-1,not-a-time,100")
    return "\n".join(lines) + "\n"


def test_files_dropped_in_the_landing_folder_flow_to_gold_and_bad_input_to_quarantine(
    lake, instance, monkeypatch
) -> None:
    monkeypatch.setenv("ENERGY_SOURCES", "landing")
    drop(
        lake,
        "meters",
        "meters.csv",
        "meter_id,location_id,region,timezone,country,customer_type,interval_minutes\n"
        "HOME-1,PAR,FR-IDF,Europe/Paris,FR,residential,15\n",
    )
    drop(lake, "readings", "export.csv", readings_csv())
    drop(lake, "readings", "broken.csv", "meter,when,kwh\nHOME-1,2024-10-27T00:00Z,1\n")
    drop(
        lake,
        "weather",
        "obs.csv",
        "location_id,timestamp,temperature_c\n"
        + "".join(f"PAR,2024-10-27T{h:02d}:00:00Z,{8 + h / 4}\n" for h in range(24)),
    )

    assert materialize_dimensions(instance).success
    assert materialize_days(instance, DAY, DAY).success

    assert lake.read(SILVER_METERS)["meter_id"].to_pylist() == ["HOME-1"]
    silver = lake.read(SILVER_METER_READINGS)
    assert silver.num_rows == 96
    assert pc.min(silver["energy_kwh"]).as_py() == 0.25  # Wh converted to kWh
    features = lake.read(GOLD_CONSUMPTION_FEATURES)
    assert set(features["weather_source"].to_pylist()) == {"observation"}
    quarantine = lake.read(BRONZE_QUARANTINE).to_pylist()
    reasons = {(r["source_file"] or "").split("/")[-1]: r["reason"] for r in quarantine}
    assert "unknown columns" in reasons["broken.csv"] or "missing" in reasons["broken.csv"]
    assert any("meter never described" in r["reason"] for r in quarantine)
    assert any("timestamp" in r["reason"] for r in quarantine)
    card = lake.read(GOLD_QUALITY_SCORECARD).to_pylist()
    assert card[0]["completeness_pct"] == 100.0
