"""Alerts: a failed run or a failed asset check becomes a row of `ops/alerts` and, when
`ENERGY_ALERT_WEBHOOK` is set, a JSON POST to that URL.

Two sensors raise them: `run_failure_alerts` (every failed run, with the checks that failed in it)
and `check_failure_alerts` (checks that failed, at any severity, in runs that succeeded: WARN
checks, and ERROR checks that are not blocking). Alerts are appended, so any number of sensors,
daemons or processes may raise them at once without losing a row. An alert's id is derived from
what it reports: a sensor re-evaluated after a crash appends the same id again, and `read_alerts`
keeps one row per id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import dagster as dg
import polars as pl
import pyarrow as pa

from checks.contracts import OPS_ALERTS
from energy_assets.defs.resources import LakeResource
from energy_assets.masking import mask_secrets
from energy_assets.ops.webhook import post_json
from energy_assets.settings import ALERT_WEBHOOK_ENV, alert_webhook_url
from energy_assets.storage.lake import Lake


@dataclass(frozen=True)
class Alert:
    alert_id: str
    kind: str  # run_failure or check_failure
    severity: str  # ERROR or WARN
    run_id: str
    job_name: str
    message: str
    raised_at_utc: datetime
    asset_key: str | None = None
    check_name: str | None = None
    partition: str | None = None


def failed_checks(instance: dg.DagsterInstance, run: dg.DagsterRun) -> list[Alert]:
    """The asset checks that failed in a run, one alert each."""
    records = instance.get_records_for_run(
        run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    alerts = []
    for record in records:
        event = record.event_log_entry.dagster_event
        evaluation = event.event_specific_data if event else None
        if not isinstance(evaluation, dg.AssetCheckEvaluation) or evaluation.passed:
            continue
        asset = evaluation.asset_key.to_user_string()
        partition = evaluation.partition
        alerts.append(
            Alert(
                alert_id=f"check:{run.run_id}:{asset}:{evaluation.check_name}:{partition or ''}",
                kind="check_failure",
                severity=evaluation.severity.value,
                run_id=run.run_id,
                job_name=run.job_name,
                message=evaluation.description or f"{asset}:{evaluation.check_name} failed",
                raised_at_utc=datetime.fromtimestamp(record.event_log_entry.timestamp, UTC),
                asset_key=asset,
                check_name=evaluation.check_name,
                partition=partition,
            )
        )
    return alerts


def raise_alerts(store: Lake, alerts: Sequence[Alert], webhook: str | None) -> pa.Table:
    """POST each alert to the webhook (if any), append them to `ops/alerts`, return the rows."""
    rows = []
    for alert in alerts:
        payload = {**asdict(alert), "message": mask_secrets(alert.message)}
        delivery = post_json(webhook, payload) if webhook else None
        rows.append(
            {
                **payload,
                "is_delivered": bool(delivery and delivery.is_delivered),
                "delivery_attempts": delivery.attempts if delivery else 0,
                "delivery_error": delivery.error if delivery else None,
            }
        )
    new = pa.Table.from_pylist(rows, schema=OPS_ALERTS.schema)
    if new.num_rows:
        store.append(OPS_ALERTS, new)
    return new


def read_alerts(store: Lake) -> pa.Table:
    """`ops/alerts` with one row per alert id (a re-raised alert is appended again): the
    delivered row if any, else the latest, newest alerts first."""
    frame = pl.from_arrow(store.read(OPS_ALERTS))
    assert isinstance(frame, pl.DataFrame)
    latest = (
        frame.sort(["is_delivered", "raised_at_utc", "delivery_attempts"])
        .unique("alert_id", keep="last")
        .sort(["raised_at_utc", "alert_id"], descending=True)
    )
    return latest.to_arrow().cast(OPS_ALERTS.schema)


def _report(context: dg.RunStatusSensorContext, store: Lake, alerts: Sequence[Alert]) -> None:
    webhook = alert_webhook_url()
    written = raise_alerts(store, alerts, webhook)
    run_id = context.dagster_run.run_id
    context.log.info("%d alerts for run %s written to ops/alerts", written.num_rows, run_id)
    undelivered = written["is_delivered"].to_pylist().count(False)
    if webhook and undelivered:
        context.log.warning("%d alerts could not be posted to %s", undelivered, ALERT_WEBHOOK_ENV)


@dg.run_failure_sensor(
    name="run_failure_alerts",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="A failed run (and each check that failed in it) becomes an alert.",
)
def run_failure_alerts(context: dg.RunFailureSensorContext, lake: LakeResource) -> None:
    run = context.dagster_run
    failure = Alert(
        alert_id=f"run:{run.run_id}",
        kind="run_failure",
        severity="ERROR",
        run_id=run.run_id,
        job_name=run.job_name,
        message=context.failure_event.message or f"run {run.run_id} failed",
        raised_at_utc=datetime.now(UTC),
        partition=run.tags.get("dagster/partition"),
    )
    _report(context, lake.lake(), [failure, *failed_checks(context.instance, run)])


@dg.run_status_sensor(
    name="check_failure_alerts",
    run_status=dg.DagsterRunStatus.SUCCESS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Each asset check that failed in a successful run becomes an alert.",
)
def check_failure_alerts(context: dg.RunStatusSensorContext, lake: LakeResource) -> None:
    alerts = failed_checks(context.instance, context.dagster_run)
    if alerts:
        _report(context, lake.lake(), alerts)
