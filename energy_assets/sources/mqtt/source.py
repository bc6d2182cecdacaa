"""The `mqtt` source as bronze sees it: the spooled messages of a window, parsed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pyarrow as pa

from checks.contracts import BRONZE_METER_READINGS, BRONZE_METERS
from energy_assets.settings import start_date
from energy_assets.sources.base import Received, SourceRun
from energy_assets.sources.mqtt.messages import SOURCE, ParsedMessages, parse_messages
from energy_assets.sources.mqtt.spool import spooled_for
from energy_assets.sources.reading_limits import accepted_days
from energy_assets.storage.lake import Lake, within_days
from energy_assets.transforms.cleaning import current_meters


def parse_against_meters(store: Lake, messages: pa.Table) -> ParsedMessages:
    """Messages parsed against the meters bronze describes now, by the landing parser's rules."""
    meters = current_meters(store.read(BRONZE_METERS)).table.to_pylist()
    zones = {m["meter_id"]: m["timezone"] for m in meters}
    intervals = {m["meter_id"]: m["interval_minutes"] for m in meters if m["interval_minutes"]}
    days = accepted_days(start_date(), datetime.now(UTC).date())
    return parse_messages(messages, zones, intervals, days)


@dataclass(frozen=True)
class MqttSource:
    """Readings published to an MQTT broker and spooled by `energy-lake mqtt-consume`."""

    name: str = SOURCE
    api_tables: frozenset[str] = frozenset()

    def meters(self, run: SourceRun) -> Received:
        return Received(self.name)

    def readings(self, run: SourceRun, start: date, end: date) -> Received:
        parsed = parse_against_meters(run.store, spooled_for(run.store, start, end))
        return Received(
            self.name,
            {BRONZE_METER_READINGS.name: [within_days(parsed.rows, start, end)]},
            rejected_files=parsed.rejections,
            inferred_intervals=parsed.inferred_intervals,
        )

    def weather(self, run: SourceRun, start: date, end: date) -> Received:
        return Received(self.name)
