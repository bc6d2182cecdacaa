"""The spool `bronze/mqtt_messages`: raw messages appended by the consumer, read back once each.

The consumer appends a micro-batch in one Delta commit and only then acknowledges it to the
broker, so a message is either in the spool or still owned by the broker (at least once). A crash
between the commit and the acknowledgement makes the broker redeliver it: readers keep the first
row of each `message_key`, so a redelivered message counts once (exactly-once effect).
The consumer compacts the spool every `COMPACT_EVERY` commits, so a day of one-second batches
does not leave readers 86,400 files to open.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds

from checks.contracts import BRONZE_MQTT_MESSAGES
from energy_assets.sources.mqtt.payload import day_bounds, decode_payload
from energy_assets.storage.lake import Lake, WriteResult

COMPACT_EVERY = 500
"""Spool commits between two compactions."""


@dataclass(frozen=True)
class Message:
    """One message as the broker delivered it."""

    topic: str
    payload: bytes
    message_id: int
    received_utc: datetime

    @property
    def key(self) -> str:
        """The same message redelivered has the same key: SHA-256 of topic and payload."""
        return hashlib.sha256(self.topic.encode() + b"\0" + self.payload).hexdigest()


def spool_rows(messages: list[Message], spooled_at_utc: datetime) -> pa.Table:
    """The spool rows of a micro-batch, each with the UTC days its readings can touch."""
    rows = []
    for message in messages:
        text = message.payload.decode("utf-8", errors="backslashreplace")
        first, last = day_bounds(decode_payload(text).readings, message.received_utc.date())
        rows.append(
            {
                "message_key": message.key,
                "topic": message.topic,
                "message_id": message.message_id,
                "payload": text,
                "received_utc": message.received_utc,
                "first_day": first,
                "last_day": last,
                "spooled_at_utc": spooled_at_utc,
            }
        )
    return pa.Table.from_pylist(rows, schema=BRONZE_MQTT_MESSAGES.schema)


def spool(store: Lake, messages: list[Message], spooled_at_utc: datetime) -> WriteResult:
    """Append a micro-batch in one commit (concurrent commits are retried by the lake)."""
    return store.append(BRONZE_MQTT_MESSAGES, spool_rows(messages, spooled_at_utc))


def compact(store: Lake) -> int:
    """Rewrite the spool's small files (one per micro-batch) into few, in one commit that keeps
    every row; return the files removed. Readers of an older version are unaffected."""
    table = store.delta_table(BRONZE_MQTT_MESSAGES)
    if table is None:
        return 0
    return int(table.optimize.compact()["numFilesRemoved"])


def first_of_each(messages: pa.Table) -> pa.Table:
    """One row per `message_key`: the first received (redeliveries removed), in arrival order."""
    frame = pl.from_arrow(messages)
    assert isinstance(frame, pl.DataFrame)
    kept = frame.sort("received_utc", maintain_order=True).unique(
        "message_key", keep="first", maintain_order=True
    )
    return kept.to_arrow().cast(messages.schema)


def spooled_for(store: Lake, start: date, end: date) -> pa.Table:
    """The distinct messages whose readings can fall on days [start, end)."""
    overlaps = (ds.field("first_day") < pa.scalar(end, pa.date32())) & (
        ds.field("last_day") >= pa.scalar(start, pa.date32())
    )
    return first_of_each(store.read(BRONZE_MQTT_MESSAGES, filter_expression=overlaps))


def spooled_after(store: Lake, after: datetime | None) -> pa.Table:
    """The rows spooled after `after` (all when None), redeliveries included: the streaming
    sensor's new messages, whose newest `spooled_at_utc` is its next cursor."""
    at = BRONZE_MQTT_MESSAGES.schema.field("spooled_at_utc").type
    newer = None if after is None else ds.field("spooled_at_utc") > pa.scalar(after, at)
    return store.read(BRONZE_MQTT_MESSAGES, filter_expression=newer)
