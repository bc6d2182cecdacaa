"""The landing folder: files utilities drop, parsed into bronze rows and quarantine rows.

Layout under the landing root (see DESIGN.md, "The landing folder"):

- `meters/*.csv|*.parquet`: `meter_id`, `location_id`, optional `region`, `timezone` (IANA, default
  `UTC`), `country`, `subdivision`, `customer_type`, `latitude`, `longitude`, `interval_minutes`,
  `can_export`, `installed_on`.
- `readings/*.csv|*.parquet`: `meter_id`, `timestamp` (ISO 8601 start of the interval, with an
  offset or in the meter's local time), exactly one of `energy_kwh`, `energy_wh`, `power_kw`, and
  optional `interval_minutes`, `is_estimated`.
- `weather/*.csv|*.parquet`: `location_id`, `timestamp`, `temperature_c`, optional
  `relative_humidity_pct`, `wind_speed_ms`, `cloud_cover_pct`, `shortwave_radiation_wm2`, `kind`
  (`observation` or `forecast`) and `issued_at` (required for forecasts).

Every parse returns a `ParsedFile`: the good rows in the exact bronze contract schema and one
`Rejection` per bad row (with its raw values as strings) or a single `Rejection` for a bad file.
Nothing is silently dropped: every data row of a file is either in `rows` or in `rejections`.

Parsing is vectorised: files are read with every column as a string (pyarrow's CSV reader, or
Parquet values rendered as strings), then validated and cast column-wise with polars.

Conventions:
- Values are stripped of surrounding whitespace; an empty value is null. No other null tokens.
- A timestamp without offset is local time of the meter's (or location's) zone. On a DST fall-back
  day the first appearance of an ambiguous local time (per meter, in file order) is the first
  occurrence (summer time) and any later appearance the second; `issued_at` always takes the first.
  A local time inside the spring-forward gap is rejected.
- `interval_minutes` must be one of `checks.contracts.INTERVAL_MINUTES`.
- Booleans accept true/false, t/f, 1/0, yes/no, y/n (any case).

One module per concern: `files` (finding, hashing, reading CSV/Parquet), `parsing` (column
parsing shared by the parsers), `meters`, `readings`, `weather`; this package re-exports them.
"""

from __future__ import annotations

from checks.contracts.vocabularies import LandingKind
from energy_assets.sources.landing.files import (
    DEFAULT_MAX_BYTES,
    EXTENSIONS,
    SOURCE,
    ParsedFile,
    file_sha256,
    list_landing_files,
)
from energy_assets.sources.landing.meters import METER_OPTIONAL, METER_REQUIRED, parse_meters_file
from energy_assets.sources.landing.readings import (
    ENERGY_COLUMNS,
    READING_OPTIONAL,
    READING_REQUIRED,
    parse_readings_file,
)
from energy_assets.sources.landing.weather import (
    WEATHER_OPTIONAL,
    WEATHER_REQUIRED,
    parse_weather_file,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "ENERGY_COLUMNS",
    "EXTENSIONS",
    "METER_OPTIONAL",
    "METER_REQUIRED",
    "READING_OPTIONAL",
    "READING_REQUIRED",
    "SOURCE",
    "WEATHER_OPTIONAL",
    "WEATHER_REQUIRED",
    "LandingKind",
    "ParsedFile",
    "file_sha256",
    "list_landing_files",
    "parse_meters_file",
    "parse_readings_file",
    "parse_weather_file",
]
