"""MQTT payloads as reading rows for the landing parser: JSON, one reading or a list of them.

A reading is an object with `meter_id`, `timestamp` (ISO 8601 start of the interval, with an
offset or in the meter's local time), exactly one of `energy_kwh`, `energy_wh`, `power_kw` or
`power_w`, and optional `interval_minutes` and `is_estimated`. A payload whose shape is wrong is
refused whole here; the values of a well-shaped reading (meter, timestamp, interval, number) are
judged by the landing parser, the same rules as a dropped file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from energy_assets.sources.landing import ENERGY_COLUMNS, READING_OPTIONAL, READING_REQUIRED

WATTS = "power_w"
"""Mean power in W: converted to the parser's `power_kw` (a unit the landing files do not use)."""
ENERGY_FIELDS = (*ENERGY_COLUMNS, WATTS)
FIELDS = frozenset((*READING_REQUIRED, *READING_OPTIONAL, WATTS))

Reading = dict[str, str | None]
"""One reading as strings, as a CSV row would hold it (null for a JSON null)."""


@dataclass(frozen=True)
class Decoded:
    """A payload's readings, or why the payload is refused whole."""

    readings: list[Reading]
    error: str | None = None


def _text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


def _reading(item: object) -> Reading | str:
    """A reading as strings, or why it is malformed."""
    if not isinstance(item, dict):
        return f"a reading must be a JSON object, not {type(item).__name__}"
    unknown = sorted(set(item) - FIELDS)
    if unknown:
        return f"unknown fields {unknown} (allowed: {sorted(FIELDS)})"
    energy = [f for f in ENERGY_FIELDS if f in item]
    if len(energy) != 1:
        what = "no energy field" if not energy else f"several energy fields {energy}"
        return f"{what}; expected exactly one of {list(ENERGY_FIELDS)}"
    nested = sorted(k for k, v in item.items() if isinstance(v, dict | list))
    if nested:
        return f"fields {nested} must be single values"
    reading = {k: _text(v) for k, v in item.items()}
    if WATTS in reading:
        watts = reading.pop(WATTS)
        try:
            reading["power_kw"] = None if watts is None else repr(float(watts) / 1000.0)
        except ValueError:
            return f"power_w is not a number: {watts!r}"
    return reading


def decode_payload(payload: str) -> Decoded:
    """The readings of a payload (a JSON object or a non-empty list of objects)."""
    try:
        body = json.loads(payload)
    except json.JSONDecodeError as exc:
        return Decoded([], f"payload is not JSON: {exc.msg} at position {exc.pos}")
    items = body if isinstance(body, list) else [body]
    if not items:
        return Decoded([], "payload is an empty list: no reading")
    readings = []
    for index, item in enumerate(items):
        reading = _reading(item)
        if isinstance(reading, str):
            where = f"reading {index}: " if isinstance(body, list) else ""
            return Decoded([], where + reading)
        readings.append(reading)
    return Decoded(readings)


def day_bounds(
    readings: Sequence[Mapping[str, str | None]], received_day: date
) -> tuple[date, date]:
    """The UTC days a message's readings can start on, widened to include the day it was
    received (where its rejections are filed).

    A timestamp with an offset gives its UTC day; one in the meter's local time may fall on the
    day before or after (offsets stay within a day); an unparsable one adds nothing.
    """
    days = {received_day}
    for reading in readings:
        try:
            moment = datetime.fromisoformat(reading.get("timestamp") or "")
        except ValueError:
            continue
        if moment.tzinfo is None:
            local = moment.date()
            days |= {local - timedelta(days=1), local + timedelta(days=1)}
        else:
            days.add(moment.astimezone(UTC).date())
    return min(days), max(days)
