"""The jobs `energy-lake backfill` runs: one per group of assets, on the in-process executor or on
Dagster's Celery executor.

A Celery worker rebuilds the job of each step it receives by calling `backfill_job` with the same
arguments (a reconstructable job), so the job is made by a module-level function of plain,
serialisable arguments rather than captured in the CLI's process.
"""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg
from dagster._core.definitions.reconstruct import ReconstructableJob, build_reconstructable_job

BACKFILL_JOB = "__ephemeral_asset_job__"
"""The job name of `dagster.materialize`'s runs, which the UI shows as an ad hoc materialization."""


def _executor(name: str) -> dg.ExecutorDefinition:
    """The executor named by `ENERGY_BACKFILL_EXECUTOR` (Celery imported only when used)."""
    if name == "celery":
        from dagster_celery import celery_executor

        return celery_executor
    return dg.in_process_executor


def backfill_job(asset_keys: Sequence[str], executor: str) -> dg.JobDefinition:
    """The job materializing `asset_keys` (user strings, e.g. `silver/weather`) on `executor`."""
    from energy_assets.definitions import defs

    selection = [dg.AssetKey.from_user_string(k) for k in asset_keys]
    return dg.Definitions(
        assets=defs.assets,
        resources=defs.resources,
        jobs=[
            dg.define_asset_job(BACKFILL_JOB, selection=selection, executor_def=_executor(executor))
        ],
    ).resolve_job_def(BACKFILL_JOB)


def reconstructable_backfill_job(asset_keys: Sequence[str], executor: str) -> ReconstructableJob:
    """`backfill_job` as a worker process can rebuild it."""
    return build_reconstructable_job(
        __name__,
        backfill_job.__name__,
        reconstructable_kwargs={"asset_keys": list(asset_keys), "executor": executor},
    )


def celery_run_config(broker_url: str, backend_url: str) -> dict[str, object]:
    """The run config pointing the Celery executor at the workers' broker and results backend."""
    return {"execution": {"config": {"broker": broker_url, "backend": backend_url}}}
