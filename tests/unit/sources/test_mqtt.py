from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pyarrow as pa
import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.reasoncodes import ReasonCode

from checks.contracts import BRONZE_METER_READINGS, BRONZE_METERS, BRONZE_MQTT_MESSAGES
from energy_assets.settings import MqttSettings, Settings
from energy_assets.sources.base import SourceRun
from energy_assets.sources.landing import parsing
from energy_assets.sources.mqtt.consumer import Consumer
from energy_assets.sources.mqtt.messages import message_origin, parse_messages
from energy_assets.sources.mqtt.payload import day_bounds, decode_payload
from energy_assets.sources.mqtt.source import MqttSource
from energy_assets.sources.mqtt.spool import (
    Message,
    compact,
    first_of_each,
    spool,
    spool_rows,
    spooled_for,
)
from energy_assets.storage.lake import Lake

AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
ZONES = {"M1": "Europe/Paris", "M2": "UTC"}
INTERVALS = {"M1": 15, "M2": 15}
DAYS = (date(2024, 1, 1), date(2026, 12, 31))
OK = ReasonCode(PacketTypes.CONNACK, "Success")


def spooled(*payloads: object, topic: str = "meters/M1/readings") -> pa.Table:
    """Spool rows of messages received one second apart (strings are sent as they are)."""
    messages = [
        Message(
            topic,
            (p if isinstance(p, str) else json.dumps(p)).encode(),
            i + 1,
            AT.replace(second=i),
        )
        for i, p in enumerate(payloads)
    ]
    return spool_rows(messages, AT)


def test_a_payload_holds_one_reading_or_a_list_and_values_become_strings() -> None:
    one = decode_payload('{"meter_id": "M1", "timestamp": "2026-12-01T00:00Z", "energy_kwh": 1.5}')
    assert one.error is None
    assert one.readings == [
        {"meter_id": "M1", "timestamp": "2026-12-01T00:00Z", "energy_kwh": "1.5"}
    ]
    many = decode_payload(
        json.dumps(
            [
                {"meter_id": "M1", "timestamp": "t1", "energy_wh": 250, "is_estimated": True},
                {"meter_id": "M1", "timestamp": "t2", "power_w": 1200, "interval_minutes": 15},
            ]
        )
    )
    assert many.error is None
    assert many.readings[0] == {
        "meter_id": "M1",
        "timestamp": "t1",
        "energy_wh": "250",
        "is_estimated": "true",
    }
    assert many.readings[1]["power_kw"] == "1.2"  # W converted to the parser's kW


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ("not json {", "payload is not JSON"),
        ("[]", "empty list"),
        ('"text"', "must be a JSON object"),
        ('{"meter_id": "M1", "timestamp": "t"}', "no energy field"),
        ('{"meter_id": "M1", "timestamp": "t", "energy_kwh": 1, "energy_wh": 1}', "several"),
        ('{"meter_id": "M1", "timestamp": "t", "energy_kwh": 1, "volts": 230}', "unknown fields"),
        ('{"meter_id": "M1", "timestamp": "t", "energy_kwh": [1]}', "single values"),
        ('{"meter_id": "M1", "timestamp": "t", "power_w": "lots"}', "power_w is not a number"),
        ('[{"meter_id": "M1", "timestamp": "t", "energy_kwh": 1}, 3]', "reading 1: "),
    ],
)
def test_a_malformed_payload_is_refused_whole_with_its_reason(payload: str, reason: str) -> None:
    decoded = decode_payload(payload)
    assert decoded.readings == []
    assert decoded.error is not None and reason in decoded.error


def test_day_bounds_cover_utc_days_local_neighbours_and_the_day_received() -> None:
    received = date(2026, 12, 5)
    late = [{"timestamp": "2026-12-01T23:45:00+01:00"}]
    assert day_bounds(late, received) == (date(2026, 12, 1), received)
    local = [{"timestamp": "2026-12-05T00:15:00"}]
    assert day_bounds(local, received) == (date(2026, 12, 4), date(2026, 12, 6))
    assert day_bounds([{"timestamp": "soon"}], received) == (received, received)


def test_messages_parse_by_the_landing_rules_and_each_row_keeps_its_message() -> None:
    messages = spooled(
        {"meter_id": "M1", "timestamp": "2026-12-01T01:00:00", "energy_wh": 250},
        [
            {"meter_id": "M2", "timestamp": "2026-12-01T00:00:00Z", "energy_kwh": 0.5},
            {"meter_id": "M2", "timestamp": "2026-12-01T00:15:00Z", "energy_kwh": 0.7},
        ],
        {"meter_id": "M2", "timestamp": "2026-12-01T00:30:00Z", "power_w": 2000},
    )
    parsed = parse_messages(messages, ZONES, INTERVALS, DAYS)

    rows = {
        (r["meter_id"], r["interval_start_utc"].isoformat()): r for r in parsed.rows.to_pylist()
    }
    assert parsed.rows.schema == BRONZE_METER_READINGS.schema
    paris = rows[("M1", "2026-12-01T00:00:00+00:00")]  # local time of the meter's zone
    assert paris["energy_kwh"] == 0.25 and paris["reported_unit"] == "Wh"
    assert rows[("M2", "2026-12-01T00:30:00+00:00")]["energy_kwh"] == 0.5  # 2 kW x 15 min
    keys = messages["message_key"].to_pylist()
    assert rows[("M2", "2026-12-01T00:15:00+00:00")]["batch_id"] == f"mqtt-{keys[1][:16]}"
    assert rows[("M2", "2026-12-01T00:15:00+00:00")]["ingested_at_utc"] == AT.replace(second=1)
    assert {r["source"] for r in rows.values()} == {"mqtt"}
    assert parsed.rejections == {}


def test_bad_messages_are_rejected_with_the_raw_payload_and_good_ones_kept() -> None:
    good = {"meter_id": "M2", "timestamp": "2026-12-01T00:00:00Z", "energy_kwh": 0.5}
    bad = [
        "garbage, not JSON",
        {"meter_id": "GHOST", "timestamp": "2026-12-01T00:00:00Z", "energy_kwh": 0.5},
        {"meter_id": "M2", "timestamp": "yesterday-ish", "energy_kwh": 0.5},
        {
            "meter_id": "M2",
            "timestamp": "2026-12-01T00:15:00Z",
            "energy_kwh": 1,
            "interval_minutes": -15,
        },
    ]
    messages = spooled(good, *bad)
    parsed = parse_messages(messages, ZONES, INTERVALS, DAYS)

    assert parsed.rows.num_rows == 1
    by_origin = parsed.rejections
    assert len(by_origin) == 4
    reasons = [r[0].reason for r in by_origin.values()]
    assert "payload is not JSON" in reasons[0]
    assert "meter never described: GHOST" in reasons[1]
    assert "unparsable timestamp" in reasons[2]
    assert "interval_minutes" in reasons[3]
    second = messages.slice(2, 1).to_pylist()[0]
    rejection = by_origin[message_origin(second)][0]
    assert rejection.record["payload"] == second["payload"]
    assert rejection.source_file == f"mqtt://meters/M1/readings#{second['message_key']}"
    assert rejection.day == AT.date()  # filed on the day the message arrived


def test_a_redelivered_message_is_read_once_from_the_spool(tmp_path: Path) -> None:
    store = Lake(str(tmp_path))
    reading = json.dumps({"meter_id": "M2", "timestamp": "2026-12-01T00:00:00Z", "energy_kwh": 1})
    first = Message("meters/M2/readings", reading.encode(), 7, AT)
    spool(store, [first], AT)
    spool(store, [Message(first.topic, first.payload, 3, AT.replace(minute=5))], AT)

    read = spooled_for(store, date(2026, 12, 1), date(2026, 12, 2))
    assert read.num_rows == 1
    assert read["message_id"].to_pylist() == [7]  # the first received is kept
    assert spooled_for(store, date(2026, 12, 3), date(2026, 12, 4)).num_rows == 0
    assert first_of_each(read).num_rows == 1


def test_mqtt_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENERGY_MQTT_URL", "mqtts://broker.example:8884")
    monkeypatch.setenv("ENERGY_MQTT_TOPICS", "a/+/readings, b/#")
    monkeypatch.setenv("ENERGY_MQTT_USERNAME", "meter-gw")
    settings = MqttSettings.from_env()
    assert (settings.host, settings.port, settings.is_tls) == ("broker.example", 8884, True)
    assert settings.topics == ("a/+/readings", "b/#")
    assert (settings.username, settings.qos) == ("meter-gw", 1)
    monkeypatch.setenv("ENERGY_MQTT_URL", "http://nope")
    with pytest.raises(ValueError, match="ENERGY_MQTT_URL"):
        MqttSettings.from_env()


class RecordingClient:
    """Stands in for paho's client: records subscriptions and acknowledgements."""

    def __init__(self) -> None:
        self.acks: list[int] = []
        self.subscribed: list[list[tuple[str, int]]] = []

    def subscribe(self, topics: list[tuple[str, int]]) -> None:
        self.subscribed.append(topics)

    def ack(self, mid: int, qos: int) -> None:
        self.acks.append(mid)


def consumer_on(store: Lake, monkeypatch: pytest.MonkeyPatch) -> tuple[Consumer, RecordingClient]:
    monkeypatch.setenv("ENERGY_MQTT_URL", "mqtt://127.0.0.1:1")
    consumer = Consumer(MqttSettings.from_env(), store)
    client = RecordingClient()
    consumer.client = client  # type: ignore[assignment]
    return consumer, client


def delivery(mid: int, payload: str = '{"meter_id": "M2"}') -> SimpleNamespace:
    return SimpleNamespace(topic="meters/M2/readings", payload=payload.encode(), mid=mid)


def test_messages_are_acknowledged_only_once_the_spool_holds_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Lake(str(tmp_path))
    consumer, client = consumer_on(store, monkeypatch)
    consumer._on_connect(consumer.client, None, SimpleNamespace(session_present=False), OK, None)
    consumer._on_message(consumer.client, None, delivery(1))  # type: ignore[arg-type]
    consumer._on_message(consumer.client, None, delivery(2, "not json"))  # type: ignore[arg-type]
    assert client.acks == []

    assert consumer.flush() == 2
    assert client.acks == [1, 2]
    assert client.subscribed == [[("meters/+/readings", 1)]]  # QoS 1
    assert store.read(BRONZE_MQTT_MESSAGES)["message_id"].to_pylist() == [1, 2]


def test_a_failed_spool_write_keeps_the_batch_unacknowledged_to_retry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "lake"
    blocked.write_text("a file where the lake folder should be")
    consumer, client = consumer_on(Lake(str(blocked)), monkeypatch)
    consumer._on_message(consumer.client, None, delivery(5))  # type: ignore[arg-type]

    assert consumer.flush() == 0
    assert client.acks == []
    blocked.unlink()
    assert consumer.flush() == 1
    assert client.acks == [5]


def test_a_message_from_before_a_reconnection_is_spooled_but_left_to_the_broker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Lake(str(tmp_path))
    consumer, client = consumer_on(store, monkeypatch)
    resumed = SimpleNamespace(session_present=True)
    consumer._on_connect(consumer.client, None, resumed, OK, None)
    consumer._on_message(consumer.client, None, delivery(1))  # type: ignore[arg-type]
    consumer._on_connect(consumer.client, None, resumed, OK, None)  # the broker came back
    consumer._on_message(consumer.client, None, delivery(1, '{"meter_id": "M1"}'))  # type: ignore[arg-type]

    assert consumer.flush() == 2
    assert client.acks == [1]  # packet id 1 of the new connection only
    assert store.read(BRONZE_MQTT_MESSAGES).num_rows == 2


def test_the_source_reads_the_window_of_the_spool_and_nothing_before_any_message(
    tmp_path: Path,
) -> None:
    store = Lake(str(tmp_path))
    run = SourceRun(store, Settings(("mqtt",), 42, 0, 12))
    day = date(2026, 12, 1)
    assert MqttSource().readings(run, day, day + timedelta(days=1)).rows == {
        BRONZE_METER_READINGS.name: [BRONZE_METER_READINGS.schema.empty_table()]
    }
    store.overwrite(
        BRONZE_METERS,
        pa.Table.from_pylist(
            [
                {
                    "source": "landing",
                    "meter_id": "M2",
                    "location_id": "L",
                    "timezone": "UTC",
                    "interval_minutes": 15,
                    "ingested_at_utc": AT,
                    "batch_id": "b",
                }
            ],
            schema=BRONZE_METERS.schema,
        ),
    )
    published = [
        {"meter_id": "M2", "timestamp": f"{d}T00:00:00Z", "energy_kwh": 1}
        for d in ("2026-11-30", "2026-12-01")
    ]
    messages = [
        Message("meters/M2/readings", json.dumps(p).encode(), i, AT)
        for i, p in enumerate([*published, {"meter_id": "M9", "timestamp": "x", "energy_kwh": 1}])
    ]
    spool(store, messages, AT)

    received = MqttSource().readings(run, day, day + timedelta(days=1))
    rows = received.rows[BRONZE_METER_READINGS.name][0]
    assert rows["day"].to_pylist() == [day]
    (reason,) = [r.reason for rs in received.rejected_files.values() for r in rs]
    assert reason.startswith("meter never described: M9; unparsable timestamp: x")


def test_compacting_the_spool_keeps_every_row_in_fewer_files(tmp_path: Path) -> None:
    store = Lake(str(tmp_path))
    for i in range(3):
        spool(store, [Message("t", f"m{i}".encode(), i, AT)], AT)
    before = store.read(BRONZE_MQTT_MESSAGES).sort_by("message_id")

    assert compact(store) == 3
    assert store.read(BRONZE_MQTT_MESSAGES).sort_by("message_id").equals(before)
    assert len(store.delta_table(BRONZE_MQTT_MESSAGES).file_uris()) == 1  # type: ignore[union-attr]


def test_readings_of_interleaved_meters_keep_their_message_past_the_parsers_chunk_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(parsing, "CHUNK_ROWS", 2)  # files are parsed a few meters at a time
    messages = spooled(
        *(
            {"meter_id": meter, "timestamp": f"2026-12-01T00:{minute:02d}:00Z", "energy_kwh": 1}
            for minute in (0, 15, 30)
            for meter in ("M1", "M2")
        )
    )

    parsed = parse_messages(messages, ZONES, INTERVALS, DAYS)

    received = {
        (r["meter_id"], r["interval_start_utc"].minute): r["ingested_at_utc"].second
        for r in parsed.rows.to_pylist()
    }
    assert received == {
        ("M1", 0): 0,
        ("M2", 0): 1,
        ("M1", 15): 2,
        ("M2", 15): 3,
        ("M1", 30): 4,
        ("M2", 30): 5,
    }
