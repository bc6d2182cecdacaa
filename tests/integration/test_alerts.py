from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dagster as dg
import pytest

from checks.contracts import OPS_ALERTS
from energy_assets.defs.ops.automation import (
    Alert,
    check_failure_alerts,
    raise_alerts,
    read_alerts,
    run_failure_alerts,
)
from energy_assets.defs.resources import LakeResource
from energy_assets.storage.lake import Lake

RESOURCES = {"lake": LakeResource()}


class Webhook:
    """A JSON receiver on 127.0.0.1 answering with `statuses` in turn (then 200)."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.received: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                if status == 200:
                    receiver.received.append(json.loads(body))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                """Keep the test output free of one access-log line per request."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook(statuses=[503])  # the first POST fails and is retried
    thread = threading.Thread(target=hook.server.serve_forever, daemon=True)
    thread.start()
    yield hook
    hook.server.shutdown()
    hook.server.server_close()
    thread.join()


@dg.asset(check_specs=[dg.AssetCheckSpec("has_rows", asset="exploding_meter")])
def exploding_meter() -> dg.MaterializeResult:
    raise ValueError("meter export unreadable")


@dg.asset(check_specs=[dg.AssetCheckSpec("has_rows", asset="sparse_meter")])
def sparse_meter() -> dg.MaterializeResult:
    return dg.MaterializeResult(
        check_results=[
            dg.AssetCheckResult(
                passed=False,
                severity=dg.AssetCheckSeverity.WARN,
                description="0 rows on 2024-03-31",
            )
        ]
    )


def failure_context(instance: dg.DagsterInstance) -> dg.RunFailureSensorContext:
    result = dg.materialize([exploding_meter], instance=instance, raise_on_error=False)
    assert not result.success
    return dg.build_run_status_sensor_context(
        sensor_name="run_failure_alerts",
        dagster_event=result.get_run_failure_event(),
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        resources=RESOURCES,
    ).for_run_failure()


def test_a_failed_run_is_posted_to_the_webhook_with_retries_and_stored_once(
    lake, instance, webhook, monkeypatch
) -> None:
    monkeypatch.setenv("ENERGY_ALERT_WEBHOOK", webhook.url)
    context = failure_context(instance)

    run_failure_alerts(context)
    run_failure_alerts(context)  # a re-evaluated tick appends the same alert again

    assert lake.read(OPS_ALERTS).num_rows == 2
    (alert,) = read_alerts(lake).to_pylist()
    assert alert["kind"] == "run_failure" and alert["severity"] == "ERROR"
    assert "meter export unreadable" in alert["message"] or "exploding_meter" in alert["message"]
    assert alert["is_delivered"] is True
    assert [r["alert_id"] for r in webhook.received] == [alert["alert_id"]] * 2
    assert webhook.received[0]["run_id"] == context.dagster_run.run_id


def test_alerts_are_kept_when_the_webhook_is_down(lake, instance, monkeypatch) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("ENERGY_ALERT_WEBHOOK", f"http://127.0.0.1:{port}/alerts")

    run_failure_alerts(failure_context(instance))

    (alert,) = read_alerts(lake).to_pylist()
    assert alert["is_delivered"] is False
    assert alert["delivery_attempts"] == 3


def test_a_failed_warn_check_in_a_successful_run_becomes_an_alert(
    lake, instance, webhook, monkeypatch
) -> None:
    monkeypatch.setenv("ENERGY_ALERT_WEBHOOK", webhook.url)
    result = dg.materialize([sparse_meter], instance=instance)
    context = dg.build_run_status_sensor_context(
        sensor_name="check_failure_alerts",
        dagster_event=result.get_run_success_event(),
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        resources=RESOURCES,
    )

    check_failure_alerts(context)

    (alert,) = read_alerts(lake).to_pylist()
    assert (alert["kind"], alert["severity"]) == ("check_failure", "WARN")
    assert (alert["asset_key"], alert["check_name"]) == ("sparse_meter", "has_rows")
    assert alert["message"] == "0 rows on 2024-03-31"
    assert alert["delivery_attempts"] == 2 and alert["is_delivered"] is True
    assert webhook.received[0]["check_name"] == "has_rows"


ALERTS_PER_WRITER = 8


def raise_one_by_one(store: Lake, writer: str, start: threading.Barrier) -> None:
    """A writer: once every writer is ready, append its alerts one commit at a time."""
    start.wait()
    for number in range(ALERTS_PER_WRITER):
        alert = Alert(
            alert_id=f"{writer}:{number}",
            kind="run_failure",
            severity="ERROR",
            run_id=f"{writer}-{number}",
            job_name="daily_lake",
            message="boom",
            raised_at_utc=datetime(2024, 5, 2, 12, number, tzinfo=UTC),
        )
        raise_alerts(store, [alert], webhook=None)


def test_two_writers_raising_alerts_at_once_lose_none(lake) -> None:
    """Two sensors (threads here; daemons or processes alike, as Delta arbitrates the commits)
    append at the same time: every alert of both is kept."""
    start = threading.Barrier(2)
    writers = [threading.Thread(target=raise_one_by_one, args=(lake, name, start)) for name in "ab"]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()

    ids = read_alerts(lake)["alert_id"].to_pylist()
    assert sorted(ids) == sorted(f"{w}:{n}" for w in "ab" for n in range(ALERTS_PER_WRITER))
