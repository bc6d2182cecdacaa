"""Operational contracts: alerts and the pipeline's own emissions."""

from __future__ import annotations

import pyarrow as pa

from checks.contracts.base import DAY, UTC_TS, TableContract, _f

OPS_ALERTS = TableContract(
    layer="ops",
    name="alerts",
    grain="one alert raised by a sensor (a failed run or a failed asset check)",
    key=("alert_id",),
    schema=pa.schema(
        [
            _f("alert_id", pa.string(), False),
            _f("kind", pa.string(), False),
            _f("severity", pa.string(), False),
            _f("run_id", pa.string(), False),
            _f("job_name", pa.string(), False),
            _f("asset_key", pa.string()),
            _f("check_name", pa.string()),
            _f("partition", pa.string()),
            _f("message", pa.string(), False),
            _f("raised_at_utc", UTC_TS, False),
            _f("is_delivered", pa.bool_(), False),
            _f("delivery_attempts", pa.int32(), False),
            _f("delivery_error", pa.string()),
        ]
    ),
    partitioned=False,
)
"""`kind` is run_failure or check_failure; `is_delivered` says whether the webhook
(`ENERGY_ALERT_WEBHOOK`) acknowledged it, after `delivery_attempts` tries (0 when none is set);
`delivery_error` is why it was not (secrets masked)."""

OPS_PIPELINE_EMISSIONS = TableContract(
    layer="ops",
    name="pipeline_emissions",
    grain="one asset materialization (run x asset)",
    key=("run_id", "asset_key"),
    schema=pa.schema(
        [
            _f("run_id", pa.string(), False),
            _f("asset_key", pa.string(), False),
            _f("partition_start", pa.date32()),
            _f("partition_end", pa.date32()),
            _f("duration_s", pa.float64(), False),
            _f("energy_kwh", pa.float64(), False),
            _f("emissions_kgco2e", pa.float64(), False),
            _f("country_iso_code", pa.string(), False),
            _f("measured_at_utc", UTC_TS, False),
            DAY,
        ]
    ),
)
"""The pipeline's own footprint, measured by codecarbon's offline tracker for the country of
`ENERGY_EMISSIONS_COUNTRY`; `day` is the UTC day of measurement, `partition_end` exclusive."""
