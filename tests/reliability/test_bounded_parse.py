"""Landing files are parsed in chunks of whole meters (memory follows the chunk, not the file):
every row ends where a parse of the whole file puts it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from energy_assets.sources.landing import parsing
from energy_assets.sources.landing.files import ParsedFile
from energy_assets.sources.landing.readings import parse_readings_file
from energy_assets.sources.landing.weather import parse_weather_file

INGESTED = datetime(2024, 11, 5, 8, 30, tzinfo=UTC)
ZONES = {f"m{i}": "Europe/Paris" for i in range(6)}
INTERVALS = {"m0": 15, "m1": 15, "m2": 60}  # m3..m5: interval from their cadence


def readings_file(path: Path) -> Path:
    """Meters interleaved as an export sends them: DST fall-back local times (m4's newest first),
    a meter never described, bad values and timestamps, finer rows than a meter's grid."""
    lines = ["meter_id,timestamp,energy_kwh"]
    for minute in range(0, 24 * 60, 15):
        at = f"2024-10-27T{minute // 60 % 24:02d}:{minute % 60:02d}:00"
        for meter in ("m0", "m1", "m2", "m3", "ghost"):
            lines.append(f" {meter} ,{at}Z,{minute / 1000:.3f}")
    for hour in [*range(24), 2]:  # local times: 02:00 twice
        lines.append(f"m5,2024-10-27T{hour:02d}:00:00,1.5")
    for hour in [2, *reversed(range(24))]:
        lines.append(f"m4,2024-10-27T{hour:02d}:30:00,2.5")
    lines += ["m1,2024-10-27T25:00:00Z,1", "m0,2024-10-27T10:00:00Z,lots", ",2024-10-27T10:00Z,1"]
    path.write_text("\n".join(lines) + "\n")
    return path


def outcome(parsed: ParsedFile) -> tuple[list[tuple[object, ...]], list[str], dict[str, int]]:
    """Rows and rejections as sorted lists (chunks change their order, nothing else)."""
    rows = sorted(tuple(r.values()) for r in parsed.rows.to_pylist())
    rejected = sorted(
        json.dumps([r.record, r.reason, r.day.isoformat(), r.meter_id], sort_keys=True)
        for r in parsed.rejections
    )
    return rows, rejected, parsed.inferred_intervals


def test_a_readings_file_parsed_in_chunks_lands_every_row_as_parsed_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = readings_file(tmp_path / "export.csv")

    def parse() -> ParsedFile:
        return parse_readings_file(path, ZONES, INTERVALS, batch_id="b", ingested_at_utc=INGESTED)

    whole = parse()
    monkeypatch.setattr(parsing, "CHUNK_ROWS", 30)  # 96 rows a meter: each its own chunk
    assert outcome(parse()) == outcome(whole)
    monkeypatch.setattr(parsing, "CHUNK_ROWS", 150)  # chunks of one or two meters
    chunked = parse()

    assert outcome(chunked) == outcome(whole)
    assert whole.rows.num_rows + len(whole.rejections) == 5 * 96 + 25 + 25 + 3
    assert {r.reason.split(":")[0] for r in whole.rejections} == {
        "meter never described",
        "unparsable timestamp",
        "energy_kwh is not a number",
        "missing meter_id",
    }
    assert chunked.inferred_intervals == {"m2": 15, "m3": 15, "m4": 60, "m5": 60}


def test_a_weather_file_parsed_in_chunks_lands_every_row_as_parsed_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "weather.csv"
    lines = ["location_id,timestamp,temperature_c"]
    for hour in [*range(24), 2]:
        for location in ("paris", "lyon", "nowhere"):
            lines.append(f"{location},2024-10-27T{hour:02d}:00:00,{hour / 2}")
    path.write_text("\n".join(lines) + "\n")
    zones = {"paris": "Europe/Paris", "lyon": "Europe/Paris"}

    def parse() -> ParsedFile:
        return parse_weather_file(path, zones, batch_id="b", ingested_at_utc=INGESTED)

    whole = parse()
    monkeypatch.setattr(parsing, "CHUNK_ROWS", 20)

    assert outcome(parse()) == outcome(whole)
    assert whole.rows.num_rows == 50
