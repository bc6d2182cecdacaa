"""The pipeline's footprint, without Dagster: measuring a block of work with codecarbon's offline
tracker and recording it in `ops/pipeline_emissions`.

Only `OfflineEmissionsTracker` is used: the online one probes the network and silently falls
back to another country's grid. The tracker's first start in a process probes the hardware (a few
seconds); later ones reuse it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from checks.contracts import OPS_PIPELINE_EMISSIONS
from energy_assets.storage.lake import Lake


@dataclass
class Footprint:
    """What one piece of work cost; filled when its `measured` block ends."""

    country_iso_code: str
    duration_s: float = 0.0
    energy_kwh: float = 0.0
    emissions_kgco2e: float = 0.0
    measured_at_utc: datetime = field(default_factory=lambda: datetime.now(UTC))

    def share(self, parts: int) -> Footprint:
        """An equal share, for an op that materializes several assets at once."""
        return Footprint(
            self.country_iso_code,
            self.duration_s / parts,
            self.energy_kwh / parts,
            self.emissions_kgco2e / parts,
            self.measured_at_utc,
        )

    def metadata(self) -> dict[str, Any]:
        return {
            "energy_kwh": self.energy_kwh,
            "emissions_kgco2e": self.emissions_kgco2e,
            "emissions_country": self.country_iso_code,
        }


@contextmanager
def measured(country_iso_code: str) -> Iterator[Footprint]:
    """Measure the block's energy (CPU and RAM of this process) and emissions on a country's
    grid. The footprint is complete when the block exits."""
    from codecarbon import OfflineEmissionsTracker  # heavy: only when a run measures

    footprint = Footprint(country_iso_code)
    tracker = OfflineEmissionsTracker(
        country_iso_code=country_iso_code,
        save_to_file=False,
        log_level="error",
        tracking_mode="process",
    )
    started = time.perf_counter()
    tracker.start()
    try:
        yield footprint
    finally:
        emissions = tracker.stop()
        data = tracker.final_emissions_data
        footprint.duration_s = time.perf_counter() - started
        footprint.energy_kwh = float(data.energy_consumed) if data is not None else 0.0
        footprint.emissions_kgco2e = float(emissions or 0.0)
        footprint.measured_at_utc = datetime.now(UTC)


def emissions_rows(
    footprint: Footprint, run_id: str, asset_key: str, window: tuple[date, date] | None
) -> pa.Table:
    """One row of `ops/pipeline_emissions`."""
    start, end = window if window else (None, None)
    row = {
        "run_id": run_id,
        "asset_key": asset_key,
        "partition_start": start,
        "partition_end": end,
        "duration_s": footprint.duration_s,
        "energy_kwh": footprint.energy_kwh,
        "emissions_kgco2e": footprint.emissions_kgco2e,
        "country_iso_code": footprint.country_iso_code,
        "measured_at_utc": footprint.measured_at_utc,
        "day": footprint.measured_at_utc.date(),
    }
    return pa.Table.from_pylist([row], schema=OPS_PIPELINE_EMISSIONS.schema)


def record(store: Lake, rows: pa.Table) -> None:
    """Append the rows; re-recording a (run, asset) replaces its row, so retries stay single."""
    for row in rows.to_pylist():
        day = row["day"]
        run_id = row["run_id"].replace("'", "''")
        asset = row["asset_key"].replace("'", "''")
        store.replace_where(
            OPS_PIPELINE_EMISSIONS,
            rows.filter(pc.equal(rows["asset_key"], row["asset_key"])),
            f"day = '{day.isoformat()}' AND run_id = '{run_id}' AND asset_key = '{asset}'",
            window=(day, day + timedelta(days=1)),
        )
