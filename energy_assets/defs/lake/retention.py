"""Bronze retention: a daily job deleting the raw bronze days older than
`ENERGY_BRONZE_RETENTION_DAYS` that silver already holds (`energy_assets.storage.retention`)."""

from datetime import UTC, datetime

import dagster as dg

from energy_assets.defs.resources import LakeResource
from energy_assets.settings import bronze_retention_days
from energy_assets.storage.retention import purge_bronze


@dg.op(description=__doc__)
def purge_bronze_days(context: dg.OpExecutionContext, lake: LakeResource) -> None:
    keep = bronze_retention_days()
    if keep is None:
        context.log.info("ENERGY_BRONZE_RETENTION_DAYS is unset: bronze is kept")
        return
    purged = purge_bronze(lake.lake(), keep, datetime.now(UTC).date())
    context.add_output_metadata({"kept_days": keep, "purged": dg.MetadataValue.json(purged)})


@dg.job(description="Delete raw bronze days older than ENERGY_BRONZE_RETENTION_DAYS.")
def bronze_retention_job() -> None:
    purge_bronze_days()


bronze_retention_schedule = dg.ScheduleDefinition(
    name="bronze_retention_schedule",
    job=bronze_retention_job,
    cron_schedule="0 3 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
