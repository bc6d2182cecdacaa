"""Marts: the dbt-duckdb project in `dbt/` as Dagster assets (group `marts`), its tests as checks.

Two dbt asset definitions. `marts` is partitioned like the lake: one `dbt build` replaces exactly
the run's UTC days (and the lookback) in the incremental marts, reading the lake's Delta tables,
and rebuilds the dimensions. `marts_rebuilt_whole` (the dbt tag `rebuilt_whole`:
monthly, load profiles, weather-normalised, anomaly events) is unpartitioned and rebuilds its
marts whole from every day the partitioned marts hold. Both join the `duckdb` concurrency pool,
so only one dbt step writes the DuckDB file at a time, and export what they built to Parquet for
readers.

The manifest is prepared at setup time (`make setup` runs `dbt parse`) or, under `dagster dev`,
when the definitions are built; never when this module is imported.
"""

import os
import shutil
import sys
from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property
from importlib import metadata
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
from dagster_dbt.dbt_project import using_dagster_dev
from packaging import version

from energy_assets.defs.domain import DomainDefs
from energy_assets.defs.partitions import SINGLE_RUN, Partitioning, run_window
from energy_assets.defs.resources import LakeResource
from energy_assets.marts import marts_io
from energy_assets.settings import marts_lookback_days
from energy_assets.storage.lake import Lake

GROUP = "marts"
POOL = "duckdb"
"""One DuckDB writer at a time: the instance settings (`dagster.yaml`) limit every pool to 1."""
DBT_DIR = Path(__file__).resolve().parents[3] / "dbt"

PROJECT = DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR)


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


class MartsDbtResource(DbtCliResource):
    """dagster-dbt's dbt resource without the two things its `cli()` does in the Dagster process
    before starting dbt: running `dbt --version` in a process of its own (once per resource,
    that is once per run) and loading dbt with the project's profile and macros as an adapter,
    used only by `fetch_column_metadata` and `fetch_row_counts`, which the marts never call.
    Each cost a marts step about as much as dbt's own start (two extra dbt start-ups a
    backfill). The executable is this environment's dbt, so its version is dbt-core's here."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> Any:
        return None


def dbt_resource() -> DbtCliResource:
    """dbt from this environment, whether or not its `bin/` is on PATH."""
    return MartsDbtResource(
        project_dir=os.fspath(PROJECT.project_dir),
        profiles_dir=os.fspath(DBT_DIR),
        dbt_executable=str(Path(sys.executable).with_name("dbt")),
    )


def prepare_if_dev() -> None:
    """Under `dagster dev`, parse the project again with this environment's dbt when a project
    file changed since the manifest: what `DbtProject.prepare_if_dev` does, but that looks for
    `dbt` on PATH, which a clean shell lacks, and parses in every process that loads the
    definitions. The new manifest replaces the old in one rename. Elsewhere the manifest comes
    from `make setup`."""
    if using_dagster_dev() and marts_io.is_manifest_stale(DBT_DIR, PROJECT.manifest_path):
        parsing = PROJECT.manifest_path.parent / f"parse-{os.getpid()}"
        dbt_resource().cli(["parse", "--quiet"], target_path=parsing).wait()
        marts_io.replace_manifest(parsing / "manifest.json", PROJECT.manifest_path)
        shutil.rmtree(parsing, ignore_errors=True)


WHOLE = "tag:rebuilt_whole"
"""The dbt selection of the marts (and their tests) rebuilt whole, outside the partitioned asset."""
NOT_PARTITIONED = f"{WHOLE}+"
"""What the partitioned asset leaves out: those marts and every node on them, so a test joining a
partitioned mart to one of them (a relationship, a sum) runs with the latter, once it is rebuilt."""


def _build(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    lake: Lake,
    settings: dict[str, str],
) -> Iterator[Any]:
    """`dbt build` (unit tests aside) of this asset's selection with `settings` in dbt's
    environment, streaming its events, then export the marts it materialized for readers."""
    folder = marts_io.marts_dir(lake)
    built: set[str] = set()
    with marts_io.marts_environment(lake, folder, settings):
        invocation = dbt.cli(
            marts_io.BUILD_ARGS,
            context=context,
            target_path=marts_io.dbt_target_dir(folder),
        )
        for event in invocation.stream():
            if isinstance(event, dg.Output):
                built.add(context.asset_key_for_output(event.output_name).path[-1])
            yield event
    written = marts_io.export_marts(folder, built)
    context.log.info(
        f"exported {len(written.rows)} marts to {marts_io.exports_dir(folder)} "
        f"in {written.seconds:.2f}s: {written.rows}"
    )


def marts(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, lake: LakeResource
) -> Iterator[Any]:
    """Every partitioned mart for the run's UTC days plus the lookback, and the dimensions."""
    start, end = run_window(context)
    settings = marts_io.window_settings(start, end, marts_lookback_days())
    # Only the tests whose models are all in this build: a test comparing a partitioned mart
    # with a whole-rebuilt one runs with the latter, once it is rebuilt.
    settings["DBT_INDIRECT_SELECTION"] = "cautious"
    yield from _build(context, dbt, lake.lake(), settings)


def marts_rebuilt_whole(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, lake: LakeResource
) -> Iterator[Any]:
    """The marts over every day the partitioned marts hold, rebuilt whole."""
    yield from _build(context, dbt, lake.lake(), {})


def build(partitioning: Partitioning) -> DomainDefs:
    """The marts of the lake's days and those rebuilt whole, from the manifest (parsed again
    first under `dagster dev` when the project changed)."""
    prepare_if_dev()
    partitioned = dbt_assets(
        manifest=PROJECT.manifest_path,
        project=PROJECT,
        name="marts",
        exclude=NOT_PARTITIONED,
        dagster_dbt_translator=TRANSLATOR,
        partitions_def=partitioning.daily,
        backfill_policy=SINGLE_RUN,
        pool=POOL,
    )(marts)
    whole = dbt_assets(
        manifest=PROJECT.manifest_path,
        project=PROJECT,
        name="marts_rebuilt_whole",
        select=WHOLE,
        dagster_dbt_translator=TRANSLATOR,
        pool=POOL,
    )(marts_rebuilt_whole)
    return DomainDefs(assets=[partitioned, whole])
