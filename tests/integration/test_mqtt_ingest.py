"""The MQTT source under faults: a real mosquitto, the real consumer process, the real sensor."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import paho.mqtt.client as mqtt
import pyarrow.compute as pc
import pytest
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_START_TAG
from paho.mqtt.enums import CallbackAPIVersion

from checks.contracts import (
    BRONZE_METER_READINGS,
    BRONZE_MQTT_MESSAGES,
    BRONZE_QUARANTINE,
    SILVER_METER_READINGS,
)
from energy_assets.definitions import defs
from energy_assets.storage.lake import Lake
from tests.integration.mqtt_broker import Broker
from tests.integration.pipeline import materialize_dimensions

DAY = date(2025, 6, 16)
METERS = [f"MQ-{i:02d}" for i in range(50)]
SLOTS = 96
ROOT = Path(__file__).resolve().parents[2]
STALL_S = 120.0
"""How long the test waits without progress before calling the pipeline stuck (a hang guard)."""


def expected_kwh(meter: int, slot: int) -> float:
    return round(0.1 + ((meter * SLOTS + slot) % 17) / 100, 4)


def reading(meter: int, slot: int) -> dict[str, object]:
    """A reading in one of three units (kWh, Wh, mean W over the meter's 15 minutes)."""
    start = datetime.combine(DAY, datetime.min.time(), UTC) + timedelta(minutes=15 * slot)
    body: dict[str, object] = {"meter_id": METERS[meter], "timestamp": start.isoformat()}
    kwh = expected_kwh(meter, slot)
    if meter % 3 == 0:
        body["energy_kwh"] = kwh
    elif meter % 3 == 1:
        body["energy_wh"] = round(kwh * 1000, 1)
    else:
        body["power_w"] = round(kwh * 4000, 1)
    return body


MALFORMED = {
    "{not json": "not JSON",
    json.dumps(
        {"meter_id": "GHOST-1", "timestamp": f"{DAY}T10:00:00Z", "energy_kwh": 0.3}
    ): "meter never described: GHOST-1",
    json.dumps(
        {"meter_id": "MQ-00", "timestamp": "half past ten", "energy_kwh": 0.3}
    ): "unparsable timestamp",
    json.dumps(
        {
            "meter_id": "MQ-01",
            "timestamp": f"{DAY}T10:00:00Z",
            "energy_kwh": 0.3,
            "interval_minutes": -15,
        }
    ): "interval_minutes",
}


def messages() -> list[tuple[str, str]]:
    """A day of 15-minute readings of 50 meters, interval by interval, one per message, with
    the malformed messages spread through the stream."""
    stream = [
        (f"meters/{METERS[m]}/readings", json.dumps(reading(m, slot)))
        for slot in range(SLOTS)
        for m in range(len(METERS))
    ]
    for i, payload in enumerate(MALFORMED):
        stream.insert(1000 * (i + 1), ("meters/bad/readings", payload))
    return stream


def wait_for(what: str, progress: object) -> None:
    """Wait until `progress()` returns True; fail when it stops changing for `STALL_S`."""
    assert callable(progress)
    last, since = None, time.monotonic()
    while (state := progress()) is not True:
        if state != last:
            last, since = state, time.monotonic()
        elif time.monotonic() - since > STALL_S:
            raise AssertionError(f"stuck waiting for {what} (last state {state})")
        time.sleep(0.2)


class ConsumerProcess:
    """`energy-lake mqtt-consume` as its own process, logging to a file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start it and wait until it has subscribed."""
        offset = self.log.stat().st_size if self.log.exists() else 0
        self.launch()
        self.wait_for_log("subscribed to", offset)

    def launch(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "energy_assets.cli", "mqtt-consume"],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_for_log(self, line: str, offset: int = 0) -> None:
        """Wait until the log (from `offset`) holds `line`; fail if the consumer exits."""

        def logged() -> bool | int:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"consumer exited: {self.log.read_text()[-2000:]}")
            text = self.log.read_bytes()[offset:].decode()
            return line in text or len(text)

        wait_for(f"{line!r} in the consumer's log", logged)

    def kill(self) -> None:
        """kill -9: no chance to spool or acknowledge what it holds."""
        assert self.process is not None
        self.process.kill()
        self.process.wait()

    def stop(self) -> int:
        assert self.process is not None
        self.process.terminate()
        return self.process.wait()


@pytest.fixture
def consumers() -> Iterator[list[ConsumerProcess]]:
    """The consumers a test starts; any still running when it ends (a failure) is killed."""
    started: list[ConsumerProcess] = []
    yield started
    for consumer in started:
        if consumer.process is not None and consumer.process.poll() is None:
            consumer.kill()


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    folder = tmp_path / "broker"
    folder.mkdir()
    running = Broker(folder)
    running.start()
    yield running
    running.stop()


def describe_meters(lake: Lake) -> None:
    """The 50 meters, dropped in the landing folder."""
    meters = lake.landing_root / "meters"
    meters.mkdir(parents=True)
    (meters / "meters.csv").write_text(
        "meter_id,location_id,region,timezone,country,customer_type,interval_minutes\n"
        + "".join(f"{m},PAR,FR-IDF,Europe/Paris,FR,residential,15\n" for m in METERS)
    )


def distinct_spooled(lake: Lake) -> int:
    if not lake.exists(BRONZE_MQTT_MESSAGES):
        return 0
    return len(pc.unique(lake.read(BRONZE_MQTT_MESSAGES, columns=["message_key"])["message_key"]))


def publish_with_faults(broker: Broker, consumer: ConsumerProcess) -> list[tuple[str, str]]:
    """Publish the stream as a gateway does (QoS 1, 100 messages, then wait for the broker's
    acknowledgements), restarting the broker at a third (the messages in flight are resent when
    the gateway is back) and killing the consumer (kill -9) at two thirds; the consumer comes
    back 300 messages later."""
    gateway = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id="test-gateway", clean_session=False
    )
    gateway.max_inflight_messages_set(100)
    gateway.reconnect_delay_set(min_delay=1, max_delay=2)
    gateway.connect("127.0.0.1", broker.port)
    gateway.loop_start()
    stream = messages()
    third = len(stream) // 3
    sent: list[mqtt.MQTTMessageInfo] = []
    for i, (topic, payload) in enumerate(stream):
        if i % 100 == 0:
            wait_for("the broker's acknowledgements", lambda: all(m.is_published() for m in sent))
        if i == third:
            broker.stop()
            broker.start()
            wait_for("the gateway to reconnect", gateway.is_connected)
        if i == 2 * third:
            consumer.kill()
        if i == 2 * third + 300:
            consumer.start()
        sent.append(gateway.publish(topic, payload, qos=1))
    wait_for("the broker's acknowledgements", lambda: all(m.is_published() for m in sent))
    gateway.loop_stop()
    gateway.disconnect()
    return stream


@pytest.mark.slow
def test_a_day_published_through_a_broker_restart_and_a_killed_consumer_lands_exactly_once(
    lake: Lake,
    instance: dg.DagsterInstance,
    broker: Broker,
    consumers: list[ConsumerProcess],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ENERGY_SOURCES", "landing,mqtt")
    describe_meters(lake)
    assert materialize_dimensions(instance).success
    env = {
        **os.environ,
        "ENERGY_MQTT_URL": broker.url,
        "ENERGY_MQTT_TOPICS": "meters/+/readings",
        "ENERGY_MQTT_CLIENT_ID": "lake-test-consumer",
        "ENERGY_MQTT_BATCH_SECONDS": "0.3",
        "ENERGY_MQTT_MAX_BACKOFF_SECONDS": "2",
    }
    consumer = ConsumerProcess(env, tmp_path / "consumer.log")
    consumers.append(consumer)
    consumer.start()
    started = time.monotonic()
    stream = publish_with_faults(broker, consumer)
    wait_for(
        "every message in the spool",
        lambda: distinct_spooled(lake) == len(stream) or distinct_spooled(lake),
    )
    seconds = time.monotonic() - started
    assert consumer.stop() == 0
    spool = lake.read(BRONZE_MQTT_MESSAGES)
    log = (tmp_path / "consumer.log").read_text()
    print(
        f"\n{len(stream)} messages in {seconds:.1f} s through a broker restart and a kill -9: "
        f"{spool.num_rows} spooled, {spool.num_rows - len(stream)} redeliveries removed; "
        f"consumer disconnections logged: {log.count('disconnected from')}"
    )

    context = dg.build_sensor_context(
        instance=instance, cursor=None, definitions=defs, resources=defs.resources
    )
    result = defs.resolve_sensor_def("mqtt_sensor")(context)
    assert isinstance(result, dg.SensorResult)
    requests = result.run_requests or []
    assert [r.tags[ASSET_PARTITION_RANGE_START_TAG] for r in requests] == [DAY.isoformat()]
    quarantined_by_sensor = lake.read(BRONZE_QUARANTINE).num_rows
    request = requests[0]
    assert dg.materialize(
        defs.assets,
        instance=instance,
        resources=defs.resources,
        selection=request.asset_selection,
        tags=request.tags,
    ).success
    assert_landed_once(lake, quarantined_by_sensor)


def assert_landed_once(lake: Lake, quarantined_by_sensor: int) -> None:
    """Every reading once in bronze, the full day in silver with its values, and the malformed
    messages, only they, in quarantine with their payload and reason."""
    bronze = lake.read(BRONZE_METER_READINGS, DAY, DAY + timedelta(days=1))
    bronze = bronze.filter(pc.equal(bronze["source"], "mqtt"))
    keys = {(r["meter_id"], r["interval_start_utc"]) for r in bronze.to_pylist()}
    assert bronze.num_rows == len(keys) == len(METERS) * SLOTS
    silver = lake.read(SILVER_METER_READINGS, DAY, DAY + timedelta(days=1)).to_pylist()
    assert len(silver) == len(METERS) * SLOTS
    for row in silver:
        slot = (row["interval_start_utc"].hour * 60 + row["interval_start_utc"].minute) // 15
        meter = METERS.index(row["meter_id"])
        assert row["energy_kwh"] == pytest.approx(expected_kwh(meter, slot))
    quarantine = lake.read(BRONZE_QUARANTINE)
    quarantine = quarantine.filter(pc.equal(quarantine["source"], "mqtt")).to_pylist()
    assert quarantined_by_sensor == len(quarantine) == len(MALFORMED)
    payloads = {json.loads(r["record"])["payload"]: r["reason"] for r in quarantine}
    assert set(payloads) == set(MALFORMED)
    for payload, reason in MALFORMED.items():
        assert reason in payloads[payload]


def test_a_consumer_started_before_its_broker_retries_with_backoff_then_spools(
    lake: Lake, consumers: list[ConsumerProcess], tmp_path: Path
) -> None:
    folder = tmp_path / "broker"
    folder.mkdir()
    broker = Broker(folder)  # not started yet
    env = {**os.environ, "ENERGY_MQTT_URL": broker.url, "ENERGY_MQTT_MAX_BACKOFF_SECONDS": "2"}
    consumer = ConsumerProcess(env, tmp_path / "consumer.log")
    consumers.append(consumer)
    consumer.launch()
    try:
        consumer.wait_for_log("unreachable; retrying with backoff")
        broker.start()
        consumer.wait_for_log("subscribed to")
        gateway = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="late-gateway")
        gateway.connect("127.0.0.1", broker.port)
        gateway.loop_start()
        gateway.publish(
            "meters/MQ-00/readings", json.dumps(reading(0, 0)), qos=1
        ).wait_for_publish()
        gateway.loop_stop()
        wait_for("the message in the spool", lambda: distinct_spooled(lake) == 1 or 0)
        assert consumer.stop() == 0
    finally:
        broker.stop()
