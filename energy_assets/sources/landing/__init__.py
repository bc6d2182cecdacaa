"""The landing folder: files utilities drop, parsed into bronze rows and quarantine rows.

Layout under the landing root (see DESIGN.md, "The landing folder"):

- `meters/*.csv|*.parquet`: `meter_id`, `location_id`, optional `region`, `timezone` (IANA, default
  `UTC`), `country`, `subdivision`, `customer_type`, `latitude`, `longitude`, `interval_minutes`,
  `can_export`, `installed_on`.
- `readings/*.csv|*.parquet`: `meter_id`, `timestamp` (ISO 8601 start of the interval, with an
  offset or in the meter's local time), exactly one of `energy_kwh`, `energy_wh`, `power_kw`, and
  optional `interval_minutes`, `is_estimated`; or the wide layout, one row per meter-day (see
  `wide`).
- `weather/*.csv|*.parquet`: `location_id`, `timestamp`, `temperature_c`, optional
  `relative_humidity_pct`, `wind_speed_ms`, `cloud_cover_pct`, `shortwave_radiation_wm2`, `kind`
  (`observation` or `forecast`) and `issued_at` (required for forecasts).

CSV files may be gzip-compressed (`*.csv.gz`) and sit in sub-folders of their kind's folder.
Hidden files and other extensions are refused with the reason (`refused_files`). A file is read
only once complete (`is_settled`: its final newline or Parquet footer, or unchanged for
`SETTLE_SECONDS`), so a line cut by an upload in progress never lands.

Every parse returns a `ParsedFile`: the good rows in the exact bronze contract schema and one
`Rejection` per bad row (with its raw values as strings) or a single `Rejection` for a bad file.
Nothing is silently dropped: every data row of a file is either in `rows` or in `rejections`.

Parsing is vectorised: files are read with every column as a string (pyarrow's CSV reader, or
Parquet values rendered as strings), then validated and cast column-wise with polars.

Conventions:
- Values are stripped of surrounding whitespace; an empty value is null. No other null tokens.
- A timestamp without offset is local time of the meter's (or location's) zone. On a DST fall-back
  day the first appearance of an ambiguous local time (per meter, in file order) is the first
  occurrence (summer time) and any later appearance the second, unless the meter's rows run
  newest first (more of its consecutive local times fall than rise): then the first appearance is
  the second occurrence. `issued_at` always takes the first. A local time inside the
  spring-forward gap is rejected.
- A reading coarser than its meter's declared interval is quarantined (never put into the first
  slot, never spread over a profile nobody measured).
- A rejected row is filed on the UTC day it concerns: its instant's when that is one of the
  lake's days, else (a time that does not parse) the date written in its timestamp if it is one,
  else the day of ingestion; a file rejected whole is filed on each of the lake's days its dates
  name, when they can be read.
- A malformed CSV row names the lines a stray quote folded together; a field too large to read
  names the line where it ends.
- `interval_minutes` must be one of `checks.contracts.INTERVAL_MINUTES`.
- Booleans accept true/false, t/f, 1/0, yes/no, y/n (any case).

One module per concern: `files` (finding, hashing, reading CSV/Parquet), `parsing` (column
parsing shared by the parsers), `meters`, `readings`, `wide` (wide exports to long rows),
`weather`; this package re-exports them.
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
