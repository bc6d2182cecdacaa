"""`ops/alerts` records why an alert was not delivered, with the webhook's password masked, and
appends to a table written before it had that column."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
from deltalake import write_deltalake

from checks.contracts import OPS_ALERTS
from energy_assets.defs.ops.automation import Alert, raise_alerts
from energy_assets.storage.lake import Lake

ALERT = Alert(
    alert_id="a1",
    kind="run_failure",
    severity="ERROR",
    run_id="r1",
    job_name="j",
    message="run failed: GET https://api.example/v1?apikey=k3y-value failed",
    raised_at_utc=datetime(2024, 3, 4, tzinfo=UTC),
)


def test_an_undelivered_alert_records_the_error_and_no_secret(tmp_path: Path) -> None:
    store = Lake(str(tmp_path))
    old_schema = pa.schema([f for f in OPS_ALERTS.schema if f.name != "delivery_error"])
    write_deltalake(store.uri(OPS_ALERTS), old_schema.empty_table())
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    raise_alerts(store, [ALERT], f"http://ops:hook-password@127.0.0.1:{port}/hook")

    (row,) = store.read(OPS_ALERTS).to_pylist()
    assert row["is_delivered"] is False
    assert row["delivery_error"]
    assert "hook-password" not in row["delivery_error"]
    assert "k3y-value" not in row["message"]
