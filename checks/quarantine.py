"""Building quarantine rows: every rejected row or file keeps what it was, why, and where from."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
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
    """The rejections as rows of `bronze/quarantine` (an empty table when there are none)."""
    return pa.Table.from_pylist(
        [
            {
                "rejected_by": rejected_by,
                "source": source,
                "source_file": r.source_file,
                "meter_id": r.meter_id,
                "location_id": r.location_id,
                "record": json.dumps(r.record, default=_json_default, sort_keys=True),
                "reason": r.reason,
                "rejected_at_utc": rejected_at_utc,
                "day": r.day,
            }
            for r in rejections
        ],
        schema=BRONZE_QUARANTINE.schema,
    )
