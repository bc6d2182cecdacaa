"""The pipeline's own footprint: each asset materialization measures its energy and emissions
with codecarbon's offline tracker (no network; the grid of `ENERGY_EMISSIONS_COUNTRY`, default
FRA), reports them as metadata and appends them to `ops/pipeline_emissions`.

Apply it to an asset with one line, under its decorator:

    @dg.asset(...)
    @tracks_emissions
    def my_asset(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:

Only `OfflineEmissionsTracker` is used: the online one probes the network and silently falls
back to another country's grid. The tracker's first start in a process probes the hardware (a few
seconds); later ones reuse it. `ENERGY_TRACK_EMISSIONS=0` turns measuring off.
"""

from __future__ import annotations

import functools
import inspect
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc

from checks.contracts import OPS_PIPELINE_EMISSIONS
from energy_assets.settings import emissions_country, is_tracking_emissions
from energy_assets.storage.lake import Lake

LOG = logging.getLogger(__name__)


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


def _measured_results(
    context: dg.AssetExecutionContext, results: list[Any], footprint: Footprint, lake: Any
) -> list[Any]:
    """The results with the footprint (shared equally) in their metadata, after recording it."""
    share = footprint.share(max(len(results), 1))
    if lake is not None:
        try:
            keys = [r.asset_key or context.asset_key for r in results]
            rows = pa.concat_tables(
                emissions_rows(share, context.run_id, k.to_user_string(), _window(context))
                for k in keys
            )
            record(lake.lake(), rows)
        except Exception as error:  # the footprint must never fail the data it measures
            context.log.warning("pipeline emissions not recorded: %s", error)
    return [r._replace(metadata={**(r.metadata or {}), **share.metadata()}) for r in results]


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


def _window(context: dg.AssetExecutionContext) -> tuple[date, date] | None:
    if not context.has_partition_key:
        return None
    window = context.partition_time_window
    return window.start.date(), window.end.date()


F = TypeVar("F", bound=Callable[..., Any])


def tracks_emissions(compute: F) -> F:
    """Wrap an asset's compute function (returning or yielding `MaterializeResult`s) so its
    footprint is measured, added to each result's metadata and recorded in the lake. A failure
    to measure or record is logged and never fails the asset."""

    if inspect.isgeneratorfunction(compute):

        @functools.wraps(compute)
        def generator(*args: Any, **kwargs: Any) -> Any:
            if not is_tracking_emissions():
                yield from compute(*args, **kwargs)
                return
            with measured(emissions_country()) as footprint:
                results = list(compute(*args, **kwargs))
            context = dg.AssetExecutionContext.get()
            yield from _measured_results(context, results, footprint, kwargs.get("lake"))

        return generator  # type: ignore[return-value]

    @functools.wraps(compute)
    def function(*args: Any, **kwargs: Any) -> Any:
        if not is_tracking_emissions():
            return compute(*args, **kwargs)
        with measured(emissions_country()) as footprint:
            result = compute(*args, **kwargs)
        context = dg.AssetExecutionContext.get()
        return _measured_results(context, [result], footprint, kwargs.get("lake"))[0]

    return function  # type: ignore[return-value]
