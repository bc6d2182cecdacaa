"""Marts: the dbt-duckdb project in `dbt/` as Dagster assets (group `marts`), its tests as checks.

One partitioned dbt asset definition, like the lake: a run exports its window of lake days (and
the lookback) to Parquet, then one `dbt build` replaces exactly that window in the incremental
marts, and rebuilds whole the small or cross-day ones (staging views, dimensions, monthly, load
profiles, weather-normalised). The step joins the `duckdb` concurrency pool, so only one dbt step
writes the DuckDB file at a time, and exports the marts to Parquet afterwards for readers.

The manifest is prepared at setup time (`make setup` runs `dbt parse`) or by `dagster dev`,
never parsed when this module is imported elsewhere.
"""

import json
import sys
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from energy_assets import marts_io
from energy_assets.partitions import DAILY, SINGLE_RUN, run_window
from energy_assets.resources import LakeResource

GROUP = "marts"
POOL = "duckdb"
"""One DuckDB writer at a time: the instance settings (`dagster.yaml`) limit every pool to 1."""
DBT_DIR = Path(__file__).resolve().parents[2] / "dbt"

PROJECT = DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR)
PROJECT.prepare_if_dev()  # `dagster dev` only; elsewhere the manifest comes from `make setup`


class MartsTranslator(DagsterDbtTranslator):
    """dbt models become `marts/<model>` in group `marts`; sources keep the asset key their
    `meta.dagster.asset_key` names (the Python asset writing that lake table)."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)
        return dg.AssetKey([GROUP, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return GROUP


# Source tests run in the marts' `dbt build` and are recorded as observations on the Python
# asset of their lake table. As checks of those assets they would make every selection of, say,
# `silver/meters` run the dbt step too.
TRANSLATOR = MartsTranslator(
    settings=DagsterDbtTranslatorSettings(
        enable_asset_checks=True, enable_source_tests_as_checks=False
    )
)


def dbt_resource() -> DbtCliResource:
    """dbt from this environment, whether or not its `bin/` is on PATH."""
    return DbtCliResource(
        project_dir=PROJECT, dbt_executable=str(Path(sys.executable).with_name("dbt"))
    )


@dbt_assets(
    manifest=PROJECT.manifest_path,
    project=PROJECT,
    name="marts",
    dagster_dbt_translator=TRANSLATOR,
    partitions_def=DAILY,
    backfill_policy=SINGLE_RUN,
    pool=POOL,
)
def marts(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, lake: LakeResource
) -> Iterator[Any]:
    """Every mart for the run's UTC days plus the lookback (the whole-table ones rebuilt whole)."""
    store = lake.lake()
    folder = marts_io.marts_dir(store)
    start, end = run_window(context)
    lookback = marts_io.lookback_days()
    exported = marts_io.export_inputs(store, folder, start - timedelta(days=lookback), end)
    context.log.info(f"exported lake days for dbt in {exported.seconds:.2f}s: {exported.rows}")
    window = {
        "window_start": start.isoformat(),
        "window_end": end.isoformat(),
        "lookback_days": lookback,
    }
    with marts_io.marts_environment(folder):
        yield from dbt.cli(["build", "--vars", json.dumps(window)], context=context).stream()
    written = marts_io.export_marts(folder)
    context.log.info(
        f"exported {len(written.rows)} marts to {marts_io.exports_dir(folder)} "
        f"in {written.seconds:.2f}s: {written.rows}"
    )
