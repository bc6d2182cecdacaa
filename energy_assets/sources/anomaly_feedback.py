"""Acknowledged anomalies: the one write a notebook may do, as small files in the landing folder.

A person who looked at an event says `confirmed` or `false_alarm`; each verdict is one CSV file
under `<lake root>/landing/anomaly_feedback/` (a local path or an object-store URI), so notebooks
never write a Delta table a pipeline writes, and nothing is lost when two people answer at once.
The latest verdict per event wins. The anomaly asset reads them at run time: an event
acknowledged as a false alarm keeps its rows on later days, marked and downgraded to `low`, so it
no longer counts as severe or raises an alert; evaluation reports how many were acknowledged.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.fs as pafs

from checks.contracts.vocabularies import FEEDBACK_VERDICTS

FEEDBACK_FOLDER = "landing/anomaly_feedback"
SCHEMA = pa.schema(
    [
        pa.field("event_id", pa.string(), nullable=False),
        pa.field("meter_id", pa.string(), nullable=False),
        pa.field("verdict", pa.string(), nullable=False),
        pa.field("note", pa.string()),
        pa.field("submitted_at_utc", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)


def _folder(lake_root: str) -> tuple[pafs.FileSystem, str]:
    filesystem, root = pafs.FileSystem.from_uri(
        lake_root if "://" in lake_root else str(Path(lake_root).resolve())
    )
    return filesystem, f"{root.rstrip('/')}/{FEEDBACK_FOLDER}"


def submit_feedback(
    lake_root: str, event_id: str, meter_id: str, verdict: str, note: str = ""
) -> str:
    """Record a verdict on an event of gold `anomalies`; returns the path of the file written.
    Raises ValueError for a verdict other than `confirmed`/`false_alarm` or an empty id."""
    if verdict not in FEEDBACK_VERDICTS:
        raise ValueError(f"verdict must be one of {FEEDBACK_VERDICTS}, got {verdict!r}")
    if not event_id or not meter_id:
        raise ValueError("event_id and meter_id are required")
    submitted = datetime.now(UTC)
    filesystem, folder = _folder(lake_root)
    filesystem.create_dir(folder, recursive=True)
    digest = hashlib.sha1(f"{event_id}|{submitted.isoformat()}".encode()).hexdigest()[:12]
    path = f"{folder}/{submitted:%Y%m%dT%H%M%S%f}-{digest}.csv"
    row = pa.Table.from_pylist(
        [
            {
                "event_id": event_id,
                "meter_id": meter_id,
                "verdict": verdict,
                "note": note,
                "submitted_at_utc": submitted,
            }
        ],
        schema=SCHEMA,
    )
    with filesystem.open_output_stream(path) as stream:
        pacsv.write_csv(row, stream)
    return path if "://" not in lake_root else f"{lake_root.split('://', 1)[0]}://{path}"


def read_feedback(lake_root: str) -> pa.Table:
    """The latest verdict per `event_id` (columns as written); empty when nobody answered yet.
    A file that cannot be read or holds an unknown verdict is skipped rather than failing the
    run that reads it."""
    filesystem, folder = _folder(lake_root)
    found = filesystem.get_file_info(pafs.FileSelector(folder, allow_not_found=True))
    tables = []
    options = pacsv.ConvertOptions(column_types=SCHEMA, include_columns=SCHEMA.names)
    for info in sorted(found, key=lambda i: i.path):
        if info.type != pafs.FileType.File or not info.path.endswith(".csv"):
            continue
        try:
            with filesystem.open_input_stream(info.path) as stream:
                tables.append(pacsv.read_csv(stream, convert_options=options))
        except (pa.ArrowInvalid, OSError):
            continue
    if not tables:
        return SCHEMA.empty_table()
    every = pa.concat_tables(tables).filter(
        pc.is_in(pc.field("verdict"), pa.array(FEEDBACK_VERDICTS))
    )
    latest = every.sort_by([("event_id", "ascending"), ("submitted_at_utc", "descending")])
    ids = latest["event_id"].to_pylist()
    first = [i for i, event in enumerate(ids) if i == 0 or ids[i - 1] != event]
    return latest.take(first).cast(SCHEMA)


def verdicts(feedback: pa.Table) -> dict[str, str]:
    """`event_id` -> latest verdict, from `read_feedback`."""
    return dict(zip(feedback["event_id"].to_pylist(), feedback["verdict"].to_pylist(), strict=True))
