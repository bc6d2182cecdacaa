"""Open-Meteo weather per location: observations (archive API) and issued forecasts (forecast API).

One request asks for one UTC day of one location (by latitude/longitude), hourly, in UTC, wind in
m/s. Documented response shape (https://open-meteo.com/en/docs): `{"latitude", "longitude",
"utc_offset_seconds", "hourly_units": {...}, "hourly": {"time": ["2024-01-01T00:00", ...],
"temperature_2m": [...], ...}}`. A forecast row's issue time is the hour its response was fetched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa

from checks.contracts import BRONZE_WEATHER
from checks.quarantine import Rejection
from energy_assets.sources.http import ApiResponse, MalformedResponseError

SOURCE = "open_meteo"
ARCHIVE_URL = "https://archive-api.open-meteo.com/v1/archive"
FORECAST_URL = "https://api.open-meteo.com/v1/forecast"

HOURLY_FIELDS: dict[str, str] = {
    "temperature_2m": "temperature_c",
    "relative_humidity_2m": "relative_humidity_pct",
    "wind_speed_10m": "wind_speed_ms",
    "cloud_cover": "cloud_cover_pct",
    "shortwave_radiation": "shortwave_radiation_wm2",
}
"""Open-Meteo hourly variable -> bronze column (units requested so none needs converting)."""


@dataclass(frozen=True)
class Location:
    location_id: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class OpenMeteoConfig:
    archive_url: str = ARCHIVE_URL
    forecast_url: str = FORECAST_URL
    api_key: str | None = None
    location_ids: tuple[str, ...] = ()
    """Only these locations (all located meters' locations when empty)."""


@dataclass(frozen=True)
class Parsed:
    """Rows of a source's bronze table and the records rejected on the way."""

    rows: pa.Table
    rejections: list[Rejection]


def request_params(location: Location, day: date, config: OpenMeteoConfig) -> dict[str, Any]:
    params: dict[str, Any] = {
        "latitude": location.latitude,
        "longitude": location.longitude,
        "start_date": day.isoformat(),
        "end_date": day.isoformat(),
        "hourly": ",".join(HOURLY_FIELDS),
        "timezone": "UTC",
        "wind_speed_unit": "ms",
    }
    if config.api_key:
        params["apikey"] = config.api_key
    return params


def endpoint(day: date, today: date, config: OpenMeteoConfig) -> tuple[str, str]:
    """The kind of weather a day gets and where from: observations (archive API) for days before
    `today`, the forecast as issued now (forecast API) for `today` and later."""
    if day < today:
        return "observation", config.archive_url
    return "forecast", config.forecast_url


def parse(response: ApiResponse, location_id: str, kind: str, batch_id: str, day: date) -> Parsed:
    """Bronze weather rows of one response; a body that is not the documented shape (invalid
    JSON, a missing or renamed hourly field, lists of unequal length) is rejected whole, naming
    the cause, so nothing half-parsed lands."""

    def reject(reason: str) -> Parsed:
        record = {"endpoint": response.endpoint, "params": response.params, "body": response.body}
        rejection = Rejection(record, reason, day, location_id=location_id)
        return Parsed(BRONZE_WEATHER.schema.empty_table(), [rejection])

    try:
        body = response.json()
    except MalformedResponseError as error:
        return reject(str(error))
    hourly = body.get("hourly") if isinstance(body, dict) else None
    if not isinstance(hourly, dict) or "time" not in hourly:
        return reject("schema drift: field 'hourly.time' missing")
    missing = [name for name in HOURLY_FIELDS if name not in hourly]
    if missing:
        return reject(
            "schema drift: field "
            + ", ".join(f"'hourly.{name}'" for name in missing)
            + f" missing (received {sorted(k for k in hourly if k != 'time')})"
        )
    times = hourly["time"]
    if any(len(hourly[name]) != len(times) for name in HOURLY_FIELDS):
        return reject("schema drift: hourly lists of unequal length")
    valid_at = [datetime.fromisoformat(t).replace(tzinfo=UTC) for t in times]
    issued = response.fetched_at_utc.replace(minute=0, second=0, microsecond=0)
    n = len(valid_at)
    columns: dict[str, Any] = {
        "source": [SOURCE] * n,
        "location_id": [location_id] * n,
        "valid_at_utc": valid_at,
        "issued_at_utc": [issued if kind == "forecast" else None] * n,
        "kind": [kind] * n,
        **{column: _floats(hourly[name]) for name, column in HOURLY_FIELDS.items()},
        "ingested_at_utc": [response.fetched_at_utc] * n,
        "batch_id": [batch_id] * n,
        "day": [v.date() for v in valid_at],
    }
    return Parsed(pa.Table.from_pydict(columns, schema=BRONZE_WEATHER.schema), [])


def _floats(values: list[Any]) -> list[float | None]:
    return [None if v is None else float(v) for v in values]


def locations_of(meters: pa.Table, config: OpenMeteoConfig) -> list[Location]:
    """Each located meter location once (only the configured ones, when some are)."""
    seen: dict[str, Location] = {}
    for m in meters.to_pylist():
        wanted = not config.location_ids or m["location_id"] in config.location_ids
        if wanted and m["latitude"] is not None and m["longitude"] is not None:
            seen.setdefault(
                m["location_id"],
                Location(m["location_id"], m["latitude"], m["longitude"]),
            )
    return list(seen.values())
