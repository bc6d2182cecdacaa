"""Silver contracts: cleaned, conformed and validated tables."""

from __future__ import annotations

import pyarrow as pa

from checks.contracts.base import DAY, UTC_TS, TableContract, _f
from checks.contracts.bronze import METER_COLUMNS

SILVER_METER_READINGS = TableContract(
    layer="silver",
    name="meter_readings",
    grain="meter x interval on the meter's grid; gaps are explicit rows with null energy",
    key=("meter_id", "interval_start_utc"),
    schema=pa.schema(
        [
            _f("meter_id", pa.string(), False),
            _f("interval_start_utc", UTC_TS, False),
            _f("interval_minutes", pa.int16(), False),
            _f("energy_kwh", pa.float64()),
            _f("source", pa.string()),
            _f("is_missing", pa.bool_(), False),
            _f("is_estimated", pa.bool_(), False),
            _f("is_late", pa.bool_(), False),
            _f("is_negative", pa.bool_(), False),
            _f("is_flatline", pa.bool_(), False),
            _f("is_unit_corrected", pa.bool_(), False),
            _f("is_realigned", pa.bool_(), False),
            _f("duplicates_removed", pa.int32(), False),
            _f("ingested_at_utc", UTC_TS),
            DAY,
        ]
    ),
)

SILVER_WEATHER = TableContract(
    layer="silver",
    name="weather",
    grain="location x valid hour x issue time (observations have a null issue time)",
    key=("location_id", "valid_at_utc", "kind", "issued_at_utc"),
    schema=pa.schema(
        [
            _f("location_id", pa.string(), False),
            _f("valid_at_utc", UTC_TS, False),
            _f("issued_at_utc", UTC_TS),
            _f("kind", pa.string(), False),
            _f("horizon_hours", pa.float64()),
            _f("temperature_c", pa.float64()),
            _f("relative_humidity_pct", pa.float64()),
            _f("wind_speed_ms", pa.float64()),
            _f("cloud_cover_pct", pa.float64()),
            _f("shortwave_radiation_wm2", pa.float64()),
            _f("source", pa.string(), False),
            DAY,
        ]
    ),
)

SILVER_METERS = TableContract(
    layer="silver",
    name="meters",
    grain="meter (current version)",
    key=("meter_id",),
    partitioned=False,
    schema=pa.schema(
        [*METER_COLUMNS, _f("source", pa.string(), False), _f("described_at_utc", UTC_TS, False)]
    ),
)

WEATHER_FIELDS = (
    "temperature_c",
    "relative_humidity_pct",
    "wind_speed_ms",
    "cloud_cover_pct",
    "shortwave_radiation_wm2",
)
