"""One landing inbox holding every input kind, landed by one Dagster run of the lake layers (and
landed a second time, to prove re-runs identical); where each kind's rows ended up."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from checks.contracts import (
    BRONZE_METER_READINGS,
    BRONZE_QUARANTINE,
    BRONZE_WEATHER,
    SILVER_METER_READINGS,
    SILVER_WEATHER,
)
from energy_assets.storage.lake import Lake
from tests.integration.pipeline import materialize_days, materialize_dimensions
from tests.reliability.input_kinds import FIRST_DAY, LAST_DAY, Kind

ARRIVED = datetime(2024, 4, 8, tzinfo=UTC)
"""When the aged files arrived (one second apart, in path order: a later file corrects)."""
TABLES = {
    "bronze_readings": BRONZE_METER_READINGS,
    "bronze_weather": BRONZE_WEATHER,
    "silver_readings": SILVER_METER_READINGS,
    "silver_weather": SILVER_WEATHER,
    "quarantine": BRONZE_QUARANTINE,
}
RUN_VARYING = ("rejected_at_utc",)
"""Columns that say when a run happened, not what it found."""


@dataclass(frozen=True)
class Landed:
    """The lake's tables after the run (`tables`), after a second run (`again`), and the files
    left in the inbox, relative to the landing root."""

    tables: dict[str, pl.DataFrame]
    again: dict[str, pl.DataFrame]
    inbox: list[str]

    def owned(self, table: str, kind: Kind) -> pl.DataFrame:
        frame = self.tables[table]
        return frame.filter(owner(frame, kind))


def owner(frame: pl.DataFrame, kind: Kind) -> pl.Expr:
    """The rows of `frame` that belong to a kind: its meters, its locations or its files."""
    expr = pl.lit(False)
    if "meter_id" in frame.columns:
        expr |= pl.col("meter_id").str.starts_with(f"K{kind.nn:02d}-").fill_null(False)
    if "location_id" in frame.columns:
        expr |= (pl.col("location_id") == f"W{kind.nn}").fill_null(False)
    if "source_file" in frame.columns:
        name = pl.col("source_file").str.split("/").list.last()
        expr |= name.str.contains(f"k{kind.nn:02d}_", literal=True).fill_null(False)
    return expr


def is_file_rejection(frame: pl.DataFrame) -> pl.Series:
    """Quarantine rows standing for a whole file (their record names the file)."""
    return frame.get_column("record").str.json_path_match("$.file").is_not_null()


def _meters_file(kinds: list[Kind]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["meter_id", "location_id", "timezone", "interval_minutes"])
    for kind in kinds:
        for meter_id, zone, minutes in kind.meters:
            writer.writerow([meter_id, "LOC", zone, "" if minutes is None else minutes])
    return out.getvalue().encode()


def write_inbox(landing: Path, kinds: list[Kind]) -> None:
    """Every kind's files, aged past the settle time (fresh ones dated ahead, so the run sees
    them as just written however long it takes), and one meters file describing their meters."""
    files = {"meters/k00_meters.csv": _meters_file(kinds)}
    for kind in kinds:
        files.update(kind.files)
    fresh = {path for kind in kinds for path in kind.fresh}
    future = datetime.now(UTC).timestamp() + 3600
    for i, (relative, data) in enumerate(sorted(files.items())):
        path = landing / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        at = future if relative in fresh else ARRIVED.timestamp() + i
        os.utime(path, (at, at))


def _snapshot(lake: Lake) -> dict[str, pl.DataFrame]:
    tables = {}
    for name, contract in TABLES.items():
        frame = pl.from_arrow(lake.read(contract))
        assert isinstance(frame, pl.DataFrame)
        tables[name] = frame.drop([c for c in RUN_VARYING if c in frame.columns])
    return tables


@contextmanager
def landed_inbox(root: Path, kinds: list[Kind]) -> Iterator[Landed]:
    """Write the inbox under `root`, land it (dimensions, then one run over the lake's days),
    land it again, and yield what the lake holds."""
    lake_root = root / "lake"
    write_inbox(lake_root / "landing", kinds)
    (root / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "ENERGY_LAKE_ROOT": str(lake_root),
            "DAGSTER_HOME": str(root),
            "ENERGY_SOURCES": "landing",
            "ENERGY_START_DATE": FIRST_DAY.isoformat(),
        }.items():
            patch.setenv(name, value)
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        lake = Lake(str(lake_root))
        with dg.DagsterInstance.get() as instance:
            assert materialize_dimensions(instance).success
            assert materialize_days(instance, FIRST_DAY, LAST_DAY).success
            first = _snapshot(lake)
            assert materialize_days(instance, FIRST_DAY, LAST_DAY).success
            again = _snapshot(lake)
        inbox = sorted(
            p.relative_to(lake.landing_root).as_posix()
            for p in lake.landing_root.rglob("*")
            if p.is_file()
        )
        yield Landed(first, again, inbox)
