"""The pipeline's own footprint: each asset materialization measures its energy and emissions
with codecarbon's offline tracker (no network; the grid of `ENERGY_EMISSIONS_COUNTRY`, default
FRA), reports them as metadata and appends them to `ops/pipeline_emissions`.

Apply it to an asset with one line, under its decorator:

    @dg.asset(...)
    @tracks_emissions
    def my_asset(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:

The measuring and recording are plain (`energy_assets/ops/emissions.py`); this module wires them
around Dagster compute functions. `ENERGY_TRACK_EMISSIONS=0` turns measuring off.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import dagster as dg
import pyarrow as pa

from energy_assets.ops.emissions import Footprint, emissions_rows, measured, record
from energy_assets.settings import emissions_country, is_tracking_emissions


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
