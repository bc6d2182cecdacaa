"""Spooled messages parsed into `bronze/meter_readings` rows, by the landing parser's rules.

The readings of every message are parsed together, one frame per energy field (so units never
mix), which also lets a meter's cadence across messages supply a missing interval as it does
across a file's rows. Each row then takes its message's arrival (`ingested_at_utc`) and batch
(`mqtt-` + key), and each rejection names its message (`mqtt://<topic>#<key>`), keeps the raw
payload and is filed on the day the message arrived.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from checks.contracts import BRONZE_METER_READINGS
from checks.quarantine import Rejection
from energy_assets.sources.landing import parse_readings_file
from energy_assets.sources.mqtt.payload import ENERGY_FIELDS, decode_payload

SOURCE = "mqtt"
REF = "mqtt_reading"
"""A column carried through the parser: `<message index>:<reading index>`."""


@dataclass(frozen=True)
class ParsedMessages:
    """Good rows in the bronze schema; rejections by origin, for the messages that have some.

    Only those: quarantine rows are replaced by origin, and a window's thousands of clean
    messages would make a predicate the Delta writer cannot parse (it crashes near 50,000).
    """

    rows: pa.Table
    rejections: dict[str, list[Rejection]]
    inferred_intervals: dict[str, int] = field(default_factory=dict)


def message_origin(message: Mapping[str, Any]) -> str:
    """Where a rejection came from: the message's topic and key."""
    return f"mqtt://{message['topic']}#{message['message_key']}"


def _rejection(message: Mapping[str, Any], reason: str, **extra: Any) -> Rejection:
    record = {
        "topic": message["topic"],
        "message_id": message["message_id"],
        "received_utc": message["received_utc"],
        "payload": message["payload"],
    }
    return Rejection(
        record={**record, **extra.pop("record", {})},
        reason=reason,
        day=message["received_utc"].date(),
        source_file=message_origin(message),
        **extra,
    )


def parse_messages(
    messages: pa.Table,
    meter_timezones: Mapping[str, str],
    meter_intervals: Mapping[str, int],
    days: tuple[date, date] | None = None,
) -> ParsedMessages:
    """Parse spooled messages (`bronze/mqtt_messages` rows, one per key).

    `meter_timezones`, `meter_intervals` and `days` are the landing parser's: readings of
    undescribed meters, bad timestamps, intervals or values, and days outside `days` are
    rejected as they would be in a file.
    """
    records = messages.to_pylist()
    rejections: dict[str, list[Rejection]] = {}
    groups: dict[str, list[dict[str, str | None]]] = {}
    for index, message in enumerate(records):
        decoded = decode_payload(message["payload"])
        if decoded.error is not None:
            rejections.setdefault(message_origin(message), []).append(
                _rejection(message, decoded.error)
            )
        for position, reading in enumerate(decoded.readings):
            energy = next(f for f in ENERGY_FIELDS if f in reading)
            groups.setdefault(energy, []).append({**reading, REF: f"{index}:{position}"})
    tables = [BRONZE_METER_READINGS.schema.empty_table()]
    inferred: dict[str, int] = {}
    for energy, readings in groups.items():
        columns = sorted({name for reading in readings for name in reading})
        frame = pl.from_dicts(readings, schema=dict.fromkeys(columns, pl.String))
        indices = [int(ref.split(":")[0]) for ref in frame[REF]]
        parsed = parse_readings_file(
            Path(f"{SOURCE}/{energy}"),
            meter_timezones,
            meter_intervals,
            batch_id=SOURCE,
            ingested_at_utc=max(records[i]["received_utc"] for i in indices),
            days=days,
            frame=frame,
        )
        rejected = set()
        for rejection in parsed.rejections:
            reading = dict(rejection.record)
            ref = str(reading.pop(REF))
            rejected.add(ref)
            message = records[int(ref.split(":", maxsplit=1)[0])]
            rejections.setdefault(message_origin(message), []).append(
                _rejection(
                    message,
                    rejection.reason,
                    record={"reading": reading},
                    meter_id=rejection.meter_id,
                )
            )
        kept = [i for i, ref in zip(indices, frame[REF], strict=True) if ref not in rejected]
        if len(kept) != parsed.rows.num_rows:
            raise RuntimeError("the landing parser no longer keeps its rows in order")
        tables.append(_from_messages(parsed.rows, [records[i] for i in kept]))
        inferred.update(parsed.inferred_intervals)
    return ParsedMessages(pa.concat_tables(tables), rejections, inferred)


def _from_messages(rows: pa.Table, messages: list[Mapping[str, Any]]) -> pa.Table:
    """Rows stamped with their messages: source, arrival and batch."""
    schema = rows.schema
    stamped = {
        "source": pa.array([SOURCE] * len(messages), pa.string()),
        "ingested_at_utc": pa.array(
            [m["received_utc"] for m in messages], schema.field("ingested_at_utc").type
        ),
        "batch_id": pa.array([f"{SOURCE}-{m['message_key'][:16]}" for m in messages]),
    }
    for name, values in stamped.items():
        rows = rows.set_column(schema.get_field_index(name), schema.field(name), values)
    return rows
