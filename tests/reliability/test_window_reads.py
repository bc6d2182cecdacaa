"""A run of some days parses only the accepted landing files that cover them: the ledger
(`bronze/landing_files`) indexes each file by its first and last day, so a one-day backfill over a
year of daily files costs one file's parse, not the year's."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from checks.contracts import BRONZE_LANDING_FILES, BRONZE_METERS
from energy_assets.sources import landing_inbox
from energy_assets.sources.landing.files import ParsedFile, file_sha256
from energy_assets.sources.landing.meters import parse_meters_file
from energy_assets.storage.lake import Lake

AT = datetime(2024, 3, 20, tzinfo=UTC)
DAYS = [date(2024, 3, 1) + timedelta(days=n) for n in range(5)]


def archive(store: Lake) -> list[Path]:
    """One accepted readings file per day in `_processed/`, each in the ledger."""
    meters = store.landing_root / "meters.csv"
    meters.parent.mkdir(parents=True)
    meters.write_text("meter_id,location_id,interval_minutes\nm1,here,60\n")
    store.overwrite(BRONZE_METERS, parse_meters_file(meters, batch_id="b", ingested_at_utc=AT).rows)
    folder = store.landing_root / landing_inbox.PROCESSED / "readings"
    folder.mkdir(parents=True)
    paths = []
    for day in DAYS:
        path = folder / f"{day}.csv"
        rows = "".join(f"m1,{day}T{h:02d}:00:00Z,{h}\n" for h in range(24))
        path.write_text("meter_id,timestamp,energy_kwh\n" + rows)
        paths.append(path)
    ledger = [
        {
            "path": str(path),
            "landed_path": str(path),
            "sha256": file_sha256(path),
            "kind": "readings",
            "status": "accepted",
            "first_day": day,
            "last_day": day,
            "rows": 24,
            "rows_rejected": 0,
            "size_bytes": path.stat().st_size,
            "reason": None,
            "processed_at_utc": AT,
        }
        for path, day in zip(paths, DAYS, strict=True)
    ]
    store.overwrite(
        BRONZE_LANDING_FILES, pa.Table.from_pylist(ledger, schema=BRONZE_LANDING_FILES.schema)
    )
    return paths


def test_a_one_day_run_parses_only_the_accepted_file_covering_that_day(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Lake(str(tmp_path / "lake"))
    paths = archive(store)
    parsed: list[Path] = []
    parse = landing_inbox.parse_readings_file

    def spy(path: Path, *args: object, **kwargs: object) -> ParsedFile:
        parsed.append(path)
        return parse(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(landing_inbox, "parse_readings_file", spy)

    day = DAYS[2]
    rows, rejected = landing_inbox.landing_files(store, "readings", (day, day + timedelta(1)))

    assert parsed == [paths[2]]
    assert sum(t.num_rows for t in rows) == 24
    assert {d for t in rows for d in t["day"].to_pylist()} == {day}
    assert rejected == {str(paths[2]): []}
