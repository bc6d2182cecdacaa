"""A lake of one real data set (`../shared/data/real/<set>`), imported through the landing folder.

The set's files are copied into the lake's landing folder and parsed by the landing source's own
parsers (`energy_assets.sources.landing`), as the bronze assets do; bronze, silver and gold are
then built with the layers' chunked functions (`energy_assets.transforms.layers`), the code the
assets run.
Rows the parsers reject are counted, not dropped silently.
"""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from checks.contracts import (
    BRONZE_METER_READINGS,
    BRONZE_METERS,
    BRONZE_WEATHER,
    GOLD_CONSUMPTION_FEATURES,
    GOLD_QUALITY_SCORECARD,
    SILVER_METER_READINGS,
    SILVER_METERS,
    SILVER_WEATHER,
)
from energy_assets.sources import landing
from energy_assets.sources.base import Received
from energy_assets.storage.lake import Lake
from energy_assets.transforms.cleaning import current_meters
from energy_assets.transforms.layers import (
    bronze_reading_chunks,
    bronze_weather_chunks,
    feature_chunks,
    scorecard_chunks,
    silver_readings_chunks,
    silver_weather_chunks,
)

REAL_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
"""Where the real sets live beside the worktree (`../shared/data/real`)."""
KINDS: tuple[landing.LandingKind, ...] = ("meters", "readings", "weather")


def _parsed(store: Lake, kind: landing.LandingKind, meters: list[dict]) -> tuple[pa.Table, int]:
    """The landing files of a kind as bronze rows, and how many rows were rejected."""
    at = datetime.now(UTC)
    tables, rejected = [], 0
    for path in landing.list_landing_files(store.landing_root, kind):
        batch = f"landing-{landing.file_sha256(path)[:16]}"
        if kind == "meters":
            parsed = landing.parse_meters_file(path, batch_id=batch, ingested_at_utc=at)
        elif kind == "readings":
            zones = {m["meter_id"]: m["timezone"] for m in meters}
            intervals = {m["meter_id"]: m["interval_minutes"] for m in meters}
            parsed = landing.parse_readings_file(
                path, zones, intervals, batch_id=batch, ingested_at_utc=at
            )
        else:
            locations = {m["location_id"]: m["timezone"] for m in meters}
            parsed = landing.parse_weather_file(path, locations, batch_id=batch, ingested_at_utc=at)
        tables.append(parsed.rows)
        rejected += len(parsed.rejections)
    return pa.concat_tables(tables), rejected


def import_real_set(name: str, root: str, issue_hour_utc: int) -> tuple[date, date, int]:
    """Import the real set `name` into the lake at `root` and build it to gold; returns the first
    day, the end (exclusive) and the number of rejected landing rows. Reuses a lake whose gold
    exists."""
    store = Lake(root)
    days = store.partition_days(GOLD_CONSUMPTION_FEATURES)
    if days:
        return min(days), max(days) + timedelta(days=1), 0
    for kind in KINDS:
        target = store.landing_root / kind
        target.mkdir(parents=True, exist_ok=True)
        for path in (REAL_DATA / name / kind).glob("*"):
            shutil.copy(path, target / path.name)
    registry, rejected = _parsed(store, "meters", [])
    store.overwrite(BRONZE_METERS, registry)
    meters = current_meters(registry).table
    store.overwrite(SILVER_METERS, meters)
    described = meters.to_pylist()
    readings, rejected_readings = _parsed(store, "readings", described)
    weather = (
        _parsed(store, "weather", described)
        if any((store.landing_root / "weather").glob("*"))
        else (BRONZE_WEATHER.schema.empty_table(), 0)
    )
    first = pc.min(readings["day"]).as_py()
    end = pc.max(readings["day"]).as_py() + timedelta(days=1)
    received = Received(
        landing.SOURCE,
        {BRONZE_METER_READINGS.name: [readings], BRONZE_WEATHER.name: [weather[0]]},
    )
    store.replace_chunks(
        BRONZE_METER_READINGS, (c for c, _ in bronze_reading_chunks([received], first, end))
    )
    store.replace_chunks(BRONZE_WEATHER, bronze_weather_chunks([received], first, end))
    store.replace_chunks(
        SILVER_METER_READINGS, (c for c, _ in silver_readings_chunks(store, meters, first, end))
    )
    store.replace_chunks(SILVER_WEATHER, (c for c, _ in silver_weather_chunks(store, first, end)))
    store.replace_chunks(
        GOLD_CONSUMPTION_FEATURES, feature_chunks(store, meters, first, end, issue_hour_utc)
    )
    store.replace_chunks(GOLD_QUALITY_SCORECARD, scorecard_chunks(store, first, end))
    return first, end, rejected + rejected_readings + weather[1]
