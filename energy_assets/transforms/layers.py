"""The work of each layer over a window of days, as plain generators (no Dagster).

Assets consume them (adding checks and metadata) and so does `make bench`, so what is measured is
what runs. Each generator yields the window in chunks of at most `CHUNK_DAYS` days (fewer for a
large fleet: `chunk_days`), each written as one atomic Delta commit: memory grows with a chunk,
never with the window. Every rule works within a meter-day, so the chunk size changes the cost,
never the rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pyarrow as pa
import pyarrow.compute as pc

from checks.contracts import (
    BRONZE_ANOMALY_LABELS,
    BRONZE_METER_READINGS,
    BRONZE_QUARANTINE,
    BRONZE_WEATHER,
    SILVER_METER_READINGS,
    SILVER_WEATHER,
    TableContract,
)
from energy_assets.sources.base import Received, Rows
from energy_assets.storage.lake import Chunk, Lake, days_in, within_days
from energy_assets.transforms.cleaning import (
    Cleaned,
    UnitContext,
    clean_readings,
    clean_weather,
    unit_context,
)
from energy_assets.transforms.pseudonymise import Pseudonymisation
from energy_assets.transforms.scorecard import (
    QUARANTINE_COLUMNS,
    READING_COLUMNS,
    quality_scorecard,
)
from energy_assets.transforms.unit_evidence import CONTEXT_DAYS
from ml.features import HISTORY_DAYS, MINUTES_PER_DAY, build_consumption_features

CHUNK_DAYS = 7
EVIDENCE_COLUMNS = [
    "meter_id",
    "interval_start_utc",
    "interval_minutes",
    "energy_kwh",
    "ingested_at_utc",
]
HISTORY_COLUMNS = ["meter_id", "interval_start_utc", "energy_kwh", "day"]
"""What the features' lags read of the silver days before a chunk."""
WEATHER_CHUNK_DAYS = 31
"""Weather is a few thousand rows a day for all locations: a month per commit keeps it small."""


def chunk_days(meters: pa.Table, readings: int) -> int:
    """Days per chunk for the fleet `meters` so that a chunk holds about `readings` meter readings
    (each meter's intervals a day from its `interval_minutes`, half-hourly where unknown), from 1
    to `CHUNK_DAYS`: the chunk of days shrinks as the fleet grows, so a step's memory follows the
    budget (`ENERGY_CHUNK_READINGS`) rather than the number of meters."""
    minutes = pc.fill_null(meters.column("interval_minutes"), 30).to_numpy()
    per_day = float((MINUTES_PER_DAY / minutes.clip(min=1)).sum())
    return max(1, min(CHUNK_DAYS, int(readings // per_day))) if per_day else CHUNK_DAYS


def chunks(start: date, end: date, size: int = CHUNK_DAYS) -> Iterator[tuple[date, date]]:
    """[start, end) cut into consecutive windows of at most `size` days."""
    current = start
    while current < end:
        upper = min(current + timedelta(days=size), end)
        yield current, upper
        current = upper


def _concat(contract: TableContract, parts: Sequence[pa.Table]) -> pa.Table:
    if not parts:
        return contract.schema.empty_table()
    return pa.concat_tables([p.select(contract.columns).cast(contract.schema) for p in parts])


def _received_between(received: Sequence[Received], low: date, high: date) -> Rows:
    merged: Rows = {}
    for source in received:
        for name, tables in source.between(low, high).items():
            merged.setdefault(name, []).extend(tables)
    return merged


def _chunk(contract: TableContract, low: date, high: date, rows: Rows) -> Chunk:
    return Chunk(low, high, _concat(contract, rows.get(contract.name, [])))


def bronze_reading_chunks(
    received: Sequence[Received], start: date, end: date
) -> Iterator[tuple[Chunk, Chunk]]:
    """Bronze readings and anomaly labels of [start, end) from what each source sent, in order."""
    for low, high in chunks(start, end):
        rows = _received_between(received, low, high)
        yield (
            _chunk(BRONZE_METER_READINGS, low, high, rows),
            _chunk(BRONZE_ANOMALY_LABELS, low, high, rows),
        )


def bronze_weather_chunks(received: Sequence[Received], start: date, end: date) -> Iterator[Chunk]:
    """Bronze weather of [start, end) from what each source sent, in order."""
    for low, high in chunks(start, end):
        yield _chunk(BRONZE_WEATHER, low, high, _received_between(received, low, high))


def read_ahead(
    store: Lake, table: TableContract, start: date, end: date, days: int = CHUNK_DAYS
) -> Iterator[tuple[date, date, pa.Table]]:
    """The rows of each chunk of `days` of [start, end), strings dictionary-encoded (`Lake.read`),
    the next chunk read on a helper thread while the caller works on the current one (reading
    releases the GIL): at most two chunks in memory."""
    windows = list(chunks(start, end, days))

    def read(low: date, high: date) -> pa.Table:
        return store.read(table, low, high, encoded_strings=True)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="lake-reader") as reader:
        pending = reader.submit(read, *windows[0]) if windows else None
        for index, (low, high) in enumerate(windows):
            assert pending is not None
            rows = pending.result()
            following = windows[index + 1 : index + 2]
            pending = reader.submit(read, *following[0]) if following else None
            yield low, high, rows


def evidence_around(
    store: Lake, windows: Iterable[tuple[date, date]], prepare: Callable[[pa.Table], UnitContext]
) -> Iterator[UnitContext]:
    """For each of ascending `windows`, in order, the unit evidence of the bronze readings
    (`EVIDENCE_COLUMNS`) of `CONTEXT_DAYS` on each side of it, as `prepare` makes it of one day's.
    The days around one window are mostly those around the next: each day is read and prepared
    once, and held while a later window still needs it."""
    margin = timedelta(days=CONTEXT_DAYS)
    held: dict[date, UnitContext] = {}
    for low, high in windows:
        first = max([low - margin, *(day + timedelta(days=1) for day in held)])
        columns = [*EVIDENCE_COLUMNS, "day"]
        fresh = store.read(
            BRONZE_METER_READINGS, first, high + margin, columns, encoded_strings=True
        )
        held = {day: rows for day, rows in held.items() if day >= low - margin}
        for day in days_in(first, high + margin):
            held[day] = prepare(within_days(fresh, day, day + timedelta(days=1)))
        yield UnitContext.of(
            [held[day] for day in (*days_in(low - margin, low), *days_in(high, high + margin))]
        )


def silver_readings_chunks(
    store: Lake,
    meters: pa.Table,
    start: date,
    end: date,
    pseudonyms: Pseudonymisation | None = None,
    days: int = CHUNK_DAYS,
) -> Iterator[tuple[Chunk, Cleaned]]:
    """Silver readings of [start, end) from bronze, `days` at a time, each chunk judged for unit
    errors with the bronze readings of `CONTEXT_DAYS` on each side; meter ids pseudonymised
    first when `pseudonyms` is given (then `meters` are silver's, pseudonymised too)."""

    def pseudonymised(rows: pa.Table) -> pa.Table:
        return rows if pseudonyms is None else pseudonyms.readings(rows)

    contexts = evidence_around(
        store, chunks(start, end, days), lambda rows: unit_context(pseudonymised(rows), meters)
    )
    for (low, high, received), context in zip(
        read_ahead(store, BRONZE_METER_READINGS, start, end, days), contexts, strict=True
    ):
        cleaned = clean_readings(pseudonymised(received), meters, low, high, context=context)
        yield Chunk(low, high, cleaned.table), cleaned


def silver_weather_chunks(store: Lake, start: date, end: date) -> Iterator[tuple[Chunk, Cleaned]]:
    """Silver weather of [start, end) from bronze."""
    for low, high in chunks(start, end, WEATHER_CHUNK_DAYS):
        cleaned = clean_weather(store.read(BRONZE_WEATHER, low, high))
        yield Chunk(low, high, cleaned.table), cleaned


def feature_chunks(
    store: Lake,
    meters: pa.Table,
    start: date,
    end: date,
    issue_hour_utc: int,
    days: int = CHUNK_DAYS,
) -> Iterator[Chunk]:
    """Gold consumption features of [start, end) from silver (with `HISTORY_DAYS` of lags), `days`
    at a time.

    Silver readings are read once: each chunk's history is the tail of what was already read,
    only the columns the lags use (`HISTORY_COLUMNS`).
    """
    history = store.read(
        SILVER_METER_READINGS,
        start - timedelta(days=HISTORY_DAYS),
        start,
        HISTORY_COLUMNS,
        encoded_strings=True,
    )
    for low, high, readings in read_ahead(store, SILVER_METER_READINGS, start, end, days):
        features = build_consumption_features(
            readings, history, store.read(SILVER_WEATHER, low, high), meters, issue_hour_utc
        )
        yield Chunk(low, high, features)
        history = within_days(
            pa.concat_tables([history, readings.select(HISTORY_COLUMNS)]),
            high - timedelta(days=HISTORY_DAYS),
            high,
        )


def scorecard_chunks(store: Lake, start: date, end: date) -> Iterator[Chunk]:
    """Gold quality scorecard of [start, end) from silver and the quarantine."""
    for low, high in chunks(start, end):
        card = quality_scorecard(
            store.read(SILVER_METER_READINGS, low, high, READING_COLUMNS, encoded_strings=True),
            store.read(BRONZE_QUARANTINE, low, high, QUARANTINE_COLUMNS),
        )
        yield Chunk(low, high, card)
