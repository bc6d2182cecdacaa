"""The work of each layer over a window of days, as plain generators (no Dagster).

Assets consume them (adding checks and metadata) and so does `make bench`, so what is measured is
what runs. Each generator yields the window in chunks of at most `CHUNK_DAYS` days: memory grows
with a chunk, never with the window, and the chunks stream into a single Delta commit. Every rule
works within a meter-day, so the chunk size changes the cost, never the rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pyarrow as pa

from checks.contracts import (
    BRONZE_METER_READINGS,
    BRONZE_QUARANTINE,
    BRONZE_WEATHER,
    SILVER_METER_READINGS,
    SILVER_WEATHER,
)
from checks.scorecard import quality_scorecard
from energy_assets.cleaning import Cleaned, clean_readings, clean_weather
from energy_assets.lake import Lake
from ml.features import HISTORY_DAYS, build_consumption_features

CHUNK_DAYS = 7


@dataclass(frozen=True)
class Chunk:
    """A window of days [start, end) and its table."""

    start: date
    end: date
    table: pa.Table


def chunks(start: date, end: date, size: int = CHUNK_DAYS) -> Iterator[tuple[date, date]]:
    """[start, end) cut into consecutive windows of at most `size` days."""
    current = start
    while current < end:
        upper = min(current + timedelta(days=size), end)
        yield current, upper
        current = upper


def silver_readings_chunks(
    store: Lake, meters: pa.Table, start: date, end: date
) -> Iterator[tuple[Chunk, Cleaned]]:
    """Silver readings of [start, end) from bronze."""
    for low, high in chunks(start, end):
        cleaned = clean_readings(store.read(BRONZE_METER_READINGS, low, high), meters, low, high)
        yield Chunk(low, high, cleaned.table), cleaned


def silver_weather_chunks(store: Lake, start: date, end: date) -> Iterator[tuple[Chunk, Cleaned]]:
    """Silver weather of [start, end) from bronze."""
    for low, high in chunks(start, end):
        cleaned = clean_weather(store.read(BRONZE_WEATHER, low, high))
        yield Chunk(low, high, cleaned.table), cleaned


def feature_chunks(
    store: Lake, meters: pa.Table, start: date, end: date, issue_hour_utc: int
) -> Iterator[Chunk]:
    """Gold consumption features of [start, end) from silver (with `HISTORY_DAYS` of lags)."""
    for low, high in chunks(start, end):
        history = store.read(SILVER_METER_READINGS, low - timedelta(days=HISTORY_DAYS), low)
        features = build_consumption_features(
            store.read(SILVER_METER_READINGS, low, high),
            history,
            store.read(SILVER_WEATHER, low, high),
            meters,
            issue_hour_utc,
        )
        yield Chunk(low, high, features)


def scorecard_chunks(store: Lake, start: date, end: date) -> Iterator[Chunk]:
    """Gold quality scorecard of [start, end) from silver and the quarantine."""
    for low, high in chunks(start, end):
        card = quality_scorecard(
            store.read(SILVER_METER_READINGS, low, high), store.read(BRONZE_QUARANTINE, low, high)
        )
        yield Chunk(low, high, card)
