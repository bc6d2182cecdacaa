"""Building quarantine rows: every rejected row or file keeps what it was, why, and where from."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import repeat
from typing import Any

import pyarrow as pa

from checks.contracts import BRONZE_QUARANTINE


@dataclass(frozen=True, slots=True)
class Rejection:
    """One rejected input: the raw record, the reason, and the UTC day it belongs to.

    `day` is the day the row would have landed in; for a whole file or an unparsable timestamp it
    is the day of rejection.
    """

    record: dict[str, Any]
    reason: str
    day: date
    meter_id: str | None = None
    location_id: str | None = None
    source_file: str | None = None


def _json_default(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def quarantine_table(
    rejections: Sequence[Rejection], *, rejected_by: str, source: str, rejected_at_utc: datetime
) -> pa.Table:
    """The rejections as rows of `bronze/quarantine` (an empty table when there are none).

    Built column by column from generators: a file of a million bad rows would otherwise hold a
    dict and a JSON string per row at once (about 1 GB more than its rejections)."""
    n = len(rejections)

    def column(name: str, values: Iterable[Any]) -> pa.Array:
        return pa.array(values, BRONZE_QUARANTINE.schema.field(name).type, size=n)

    columns = {
        "rejected_by": repeat(rejected_by, n),
        "source": repeat(source, n),
        "source_file": (r.source_file for r in rejections),
        "meter_id": (r.meter_id for r in rejections),
        "location_id": (r.location_id for r in rejections),
        "record": (json.dumps(r.record, default=_json_default, sort_keys=True) for r in rejections),
        "reason": (r.reason for r in rejections),
        "rejected_at_utc": repeat(rejected_at_utc, n),
        "day": (r.day for r in rejections),
    }
    return pa.Table.from_arrays(
        [column(name, columns[name]) for name in BRONZE_QUARANTINE.schema.names],
        schema=BRONZE_QUARANTINE.schema,
    )
