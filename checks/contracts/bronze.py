"""Bronze contracts: tables as received from the sources, before cleaning."""

from __future__ import annotations

import pyarrow as pa

from checks.contracts.base import DAY, UTC_TS, TableContract, _f

BRONZE_METER_READINGS = TableContract(
    layer="bronze",
    name="meter_readings",
    grain="one reading as received (duplicates and late re-sends included)",
    key=(),
    schema=pa.schema(
        [
            _f("source", pa.string(), False),
            _f("meter_id", pa.string(), False),
            _f("interval_start_utc", UTC_TS, False),
            _f("interval_minutes", pa.int16()),
            _f("energy_kwh", pa.float64()),
            _f("reported_unit", pa.string(), False),
            _f("is_estimated", pa.bool_()),
            _f("ingested_at_utc", UTC_TS, False),
            _f("batch_id", pa.string(), False),
            DAY,
        ]
    ),
)
"""`energy_kwh` is the value converted by the unit the source *declared* (`reported_unit`:
kWh, Wh, or kW mean power). An undeclared unit error (Wh values labelled kWh) is left for silver."""

BRONZE_WEATHER = TableContract(
    layer="bronze",
    name="weather",
    grain="one weather value as received: location x valid time x issue time",
    key=(),
    schema=pa.schema(
        [
            _f("source", pa.string(), False),
            _f("location_id", pa.string(), False),
            _f("valid_at_utc", UTC_TS, False),
            _f("issued_at_utc", UTC_TS),
            _f("kind", pa.string(), False),
            _f("temperature_c", pa.float64()),
            _f("relative_humidity_pct", pa.float64()),
            _f("wind_speed_ms", pa.float64()),
            _f("cloud_cover_pct", pa.float64()),
            _f("shortwave_radiation_wm2", pa.float64()),
            _f("ingested_at_utc", UTC_TS, False),
            _f("batch_id", pa.string(), False),
            DAY,
        ]
    ),
)

METER_COLUMNS = [
    _f("meter_id", pa.string(), False),
    _f("location_id", pa.string(), False),
    _f("region", pa.string()),
    _f("timezone", pa.string(), False),
    _f("country", pa.string()),
    _f("subdivision", pa.string()),
    _f("customer_type", pa.string()),
    _f("interval_minutes", pa.int16()),
    _f("can_export", pa.bool_()),
    _f("latitude", pa.float64()),
    _f("longitude", pa.float64()),
    _f("installed_on", pa.date32()),
]

BRONZE_METERS = TableContract(
    layer="bronze",
    name="meters",
    grain="one meter as described by one source in one batch",
    key=(),
    partitioned=False,
    schema=pa.schema(
        [
            _f("source", pa.string(), False),
            *METER_COLUMNS,
            _f("ingested_at_utc", UTC_TS, False),
            _f("batch_id", pa.string(), False),
        ]
    ),
)

BRONZE_QUARANTINE = TableContract(
    layer="bronze",
    name="quarantine",
    grain="one rejected input row or file",
    key=(),
    schema=pa.schema(
        [
            _f("rejected_by", pa.string(), False),
            _f("source", pa.string(), False),
            _f("source_file", pa.string()),
            _f("meter_id", pa.string()),
            _f("location_id", pa.string()),
            _f("record", pa.string(), False),
            _f("reason", pa.string(), False),
            _f("rejected_at_utc", UTC_TS, False),
            DAY,
        ]
    ),
)
"""`record` is the rejected row as JSON (or the file's description); `rejected_by` names the step,
so each step replaces only its own quarantine rows of a day."""

BRONZE_ANOMALY_LABELS = TableContract(
    layer="bronze",
    name="anomaly_labels",
    grain="injected anomaly event x UTC day (the answer key, never read by detectors)",
    key=("event_id", "day"),
    schema=pa.schema(
        [
            _f("event_id", pa.string(), False),
            _f("meter_id", pa.string(), False),
            _f("anomaly_type", pa.string(), False),
            _f("start_utc", UTC_TS, False),
            _f("end_utc", UTC_TS, False),
            _f("magnitude", pa.float64()),
            _f("description", pa.string()),
            DAY,
        ]
    ),
)

BRONZE_LANDING_FILES = TableContract(
    layer="bronze",
    name="landing_files",
    grain="one file dropped in the landing folder, as judged by the landing sensor",
    key=("path",),
    schema=pa.schema(
        [
            _f("path", pa.string(), False),
            _f("landed_path", pa.string(), False),
            _f("sha256", pa.string(), False),
            _f("kind", pa.string(), False),
            _f("status", pa.string(), False),
            _f("first_day", pa.date32()),
            _f("last_day", pa.date32()),
            _f("rows", pa.int64(), False),
            _f("rows_rejected", pa.int64(), False),
            _f("size_bytes", pa.int64(), False),
            _f("reason", pa.string()),
            _f("processed_at_utc", UTC_TS, False),
        ]
    ),
    partitioned=False,
)
"""`path` is where the file lies now (`landing/_processed/...` or `landing/_rejected/...`),
`landed_path` where it was dropped; `status` is accepted, rejected or duplicate (same `sha256` as an
accepted file); `first_day`..`last_day` are the UTC days its accepted rows cover."""

BRONZE_MQTT_MESSAGES = TableContract(
    layer="bronze",
    name="mqtt_messages",
    grain="one MQTT message as spooled by the consumer (a redelivery is another row, same key)",
    key=(),
    partitioned=False,
    schema=pa.schema(
        [
            _f("message_key", pa.string(), False),
            _f("topic", pa.string(), False),
            _f("message_id", pa.int32(), False),
            _f("payload", pa.string(), False),
            _f("received_utc", UTC_TS, False),
            _f("first_day", pa.date32(), False),
            _f("last_day", pa.date32(), False),
            _f("spooled_at_utc", UTC_TS, False),
        ]
    ),
)
"""The consumer's durable spool, appended before the broker is acknowledged (at least once);
readers keep one row per `message_key` (SHA-256 of topic and payload), so a message redelivered
after a crash counts once. `message_id` is the broker's packet id (reused, not a key); `payload`
is the UTF-8 text (undecodable bytes escaped); `first_day`..`last_day` bound the UTC days its
readings can fall on, widened to include the day it was received, so a run reads only the
messages that can touch its days; `spooled_at_utc` is the sensor's cursor."""

BRONZE_API_RESPONSES = TableContract(
    layer="bronze",
    name="api_responses",
    grain="one HTTP response of a network source, as received",
    key=(),
    schema=pa.schema(
        [
            _f("source", pa.string(), False),
            _f("dataset", pa.string(), False),
            _f("subject", pa.string(), False),
            _f("endpoint", pa.string(), False),
            _f("params", pa.string(), False),
            _f("fetched_at_utc", UTC_TS, False),
            _f("status", pa.int32(), False),
            _f("attempts", pa.int32(), False),
            _f("body", pa.string(), False),
            DAY,
        ]
    ),
)
"""Raw responses, so a parser fix can be replayed without fetching again (`ENERGY_API_REPLAY=1`).
`dataset` is what was asked (`observation`/`forecast`, or an éCO2mix dataset id), `subject` whom
about (a location or a region), `params` the query as sorted JSON (API keys removed); `day` is the
UTC day the response covers (each request asks for one day of one location or region)."""

BRONZE_GRID_CARBON_INTENSITY = TableContract(
    layer="bronze",
    name="grid_carbon_intensity",
    grain="one grid carbon intensity value as received: region x interval x dataset",
    key=(),
    schema=pa.schema(
        [
            _f("source", pa.string(), False),
            _f("region", pa.string(), False),
            _f("interval_start_utc", UTC_TS, False),
            _f("interval_minutes", pa.int16(), False),
            _f("carbon_intensity_gco2e_per_kwh", pa.float64()),
            _f("dataset", pa.string(), False),
            _f("ingested_at_utc", UTC_TS, False),
            _f("batch_id", pa.string(), False),
            DAY,
        ]
    ),
)
"""The carbon intensity of a region's electricity mix (éCO2mix `taux_co2`); a consolidated value
is ingested after the real-time one of the same interval, so the latest received wins."""
