"""Gold consumption features: consumption, weather known at issue time, local calendar, lags.

One UTC day at a time, from silver tables, as plain functions (no Dagster). Leakage-free by
construction: weather columns hold the latest forecast issued no later than the day-ahead issue
time (the day before, at `issue_hour_utc`); lags are whole earlier days.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import holidays
import numpy as np
import polars as pl
import pyarrow as pa

from checks.contracts import GOLD_CONSUMPTION_FEATURES, WEATHER_FIELDS
from checks.domain.frames import meter_key
from checks.domain.weather import has_holiday_calendar
from ml.calendar_effects import bridge_days, end_of_year

HEATING_BASE_C = 15.5
COOLING_BASE_C = 22.0
LAG_DAYS = (1, 2, 7)
MINUTES_PER_DAY = 24 * 60
SLOT_MINUTES = 5
HISTORY_DAYS = max(LAG_DAYS)
LAG_COLUMNS = [f"lag_{lag}d_kwh" for lag in LAG_DAYS]


def issue_time_utc(target_day: date, issue_hour_utc: int) -> datetime:
    """When the day-ahead forecast for `target_day` is issued: the day before, at the hour."""
    return datetime.combine(target_day - timedelta(days=1), time(issue_hour_utc), tzinfo=UTC)


@lru_cache(maxsize=256)
def _holiday_calendar(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year).keys())


def holiday_flags(frame: pl.DataFrame) -> pl.Series:
    """Whether each row's `local_date` is a public holiday of its `country`/`subdivision`.

    One date-membership test per calendar present (a handful), instead of a lookup per row.
    """
    flag: pl.Expr = pl.lit(False)
    if frame.height:
        local_date = pl.col("local_date")
        first, last = frame.select(local_date.min().alias("first"), local_date.max()).row(0)
        calendars = frame.select("country", "subdivision").unique()
        for country, subdivision in calendars.iter_rows():
            if not has_holiday_calendar(country, subdivision):
                continue
            dates = [
                holiday
                for year in range(first.year, last.year + 1)
                for holiday in _holiday_calendar(country, subdivision, year)
            ]
            in_calendar = (pl.col("country") == country) & pl.col("subdivision").eq_missing(
                subdivision
            )
            flag = pl.when(in_calendar).then(local_date.is_in(dates)).otherwise(flag)
    # `with_columns` broadcasts a lone literal (no calendar known) to every row.
    return frame.with_columns(flag.fill_null(False).alias("is_holiday")).get_column("is_holiday")


ZONE_KEYS = ["timezone", "country", "subdivision"]
"""What a meter's local calendar depends on besides the instant: a handful of distinct values."""
CALENDAR_KEYS = [*ZONE_KEYS, "interval_start_utc"]


def local_calendar(frame: pl.DataFrame) -> pl.DataFrame:
    """Adds the meter's local date, hour, minute of day, weekday (Monday=0), month, day of year,
    weekend, holiday, bridge-day and end-of-year flags (`ml.calendar_effects`), keeping the
    frame's row order.

    Computed once per zone, holiday calendar and instant (a few thousand rows however many
    meters share them), then joined back onto the rows.
    """
    calendar = _calendar_of(frame.select(CALENDAR_KEYS).unique())
    return frame.join(
        calendar, on=CALENDAR_KEYS, how="left", maintain_order="left", nulls_equal=True
    )


def _calendar_of(instants: pl.DataFrame) -> pl.DataFrame:
    """`local_calendar`'s columns for distinct rows of `CALENDAR_KEYS` (and any other column)."""
    utc = pl.col("interval_start_utc")
    in_zone: pl.Expr = pl.lit(None, pl.Datetime("us"))
    for zone in instants.get_column("timezone").unique().drop_nulls().to_list():
        local_time = utc.dt.convert_time_zone(zone).dt.replace_time_zone(None)
        in_zone = pl.when(pl.col("timezone") == zone).then(local_time).otherwise(in_zone)
    local = pl.col("_local")
    calendar = (
        instants.with_columns(_local=in_zone)
        .with_columns(
            local_date=local.dt.date(),
            local_hour=local.dt.hour().cast(pl.Int8),
            local_minute_of_day=(local.dt.hour().cast(pl.Int16) * 60 + local.dt.minute()).cast(
                pl.Int16
            ),
            local_day_of_week=(local.dt.weekday() - 1).cast(pl.Int8),
            month=local.dt.month().cast(pl.Int8),
            day_of_year=local.dt.ordinal_day().cast(pl.Int16),
        )
        .drop("_local")
    )
    return calendar.with_columns(
        is_weekend=pl.col("local_day_of_week") >= 5,
        is_holiday=holiday_flags(calendar),
        is_bridge_day=bridge_days(calendar, holiday_flags),
        is_end_of_year=end_of_year(pl.col("local_date")),
    )


def _meter_calendar(frame: pl.DataFrame, registry: pl.DataFrame) -> pl.DataFrame:
    """`local_calendar` of rows keyed by their meter's registry row (`_meter`): the calendar is
    computed per distinct zone of the registry and instant of the rows, and joined back on the
    zone's integer number, not on the zone's strings (several times cheaper on every row)."""
    zones = registry.select(ZONE_KEYS).unique(maintain_order=True).with_row_index("_zone")
    zone_of_meter = registry.join(
        zones, on=ZONE_KEYS, how="left", maintain_order="left", nulls_equal=True
    ).get_column("_zone")
    keyed = frame.with_columns(_zone=zone_of_meter.gather(frame.get_column("_meter")))
    instants = zones.join(keyed.select("interval_start_utc").unique(), how="cross")
    calendar = _calendar_of(instants).drop(ZONE_KEYS)
    return keyed.join(
        calendar, on=["_zone", "interval_start_utc"], how="left", maintain_order="left"
    ).drop("_zone")


def weather_as_known(weather: pl.DataFrame, issue_hour_utc: int) -> pl.DataFrame:
    """Per location and valid hour: the latest forecast issued by the day-ahead issue time of the
    hour's UTC day, and the observation, side by side (`obs_*` columns)."""
    issued_by = (
        pl.col("valid_at_utc").dt.truncate("1d")
        - timedelta(days=1)
        + timedelta(hours=issue_hour_utc)
    )
    forecasts = (
        weather.filter((pl.col("kind") == "forecast") & (pl.col("issued_at_utc") <= issued_by))
        .sort("issued_at_utc")
        .group_by(["location_id", "valid_at_utc"])
        .last()
        .select(
            "location_id",
            "valid_at_utc",
            *WEATHER_FIELDS,
            pl.col("issued_at_utc").alias("weather_issued_at_utc"),
        )
    )
    observations = (
        weather.filter(pl.col("kind") == "observation")
        .group_by(["location_id", "valid_at_utc"])
        .last()
        .select(
            "location_id", "valid_at_utc", *[pl.col(f).alias(f"obs_{f}") for f in WEATHER_FIELDS]
        )
    )
    return forecasts.join(
        observations, on=["location_id", "valid_at_utc"], how="full", coalesce=True
    )


def build_consumption_features(
    readings: pa.Table,
    history: pa.Table,
    weather: pa.Table,
    meters: pa.Table,
    issue_hour_utc: int = 12,
) -> pa.Table:
    """Gold `consumption_features` for the days of `readings` (silver).

    `history` holds silver readings of the `HISTORY_DAYS` days before them (missing days give
    null lags); `weather` silver weather valid on the same days. Each day's weather is the
    forecast as known at its own issue time; where none was issued in time, the observation
    stands in and `weather_source` says so. Rows depend only on their own day and its history, so
    building a window equals building each of its days.
    """
    frame = pl.from_arrow(readings)
    registry = pl.from_arrow(meters)
    assert isinstance(frame, pl.DataFrame) and isinstance(registry, pl.DataFrame)
    # The registry's row index is the meter's integer key (signed: the lags do arithmetic on it),
    # its attributes are gathered by it. Meters no longer described drop out.
    key = meter_key(registry.get_column("meter_id")).cast(pl.Int64)
    frame = frame.with_columns(_meter=key).filter(pl.col("_meter").is_not_null())
    meter = frame.get_column("_meter")
    frame = frame.with_columns(
        registry.get_column(name).gather(meter)
        for name in ("location_id", "region", "customer_type")
    )
    frame = _meter_calendar(frame, registry)
    # Weather joins on the location's integer number (an Enum of the registry's locations), not
    # on its string: locations no meter has drop out, as a string join would leave them.
    locations = pl.Enum(registry.get_column("location_id").drop_nulls().unique(maintain_order=True))
    location = pl.col("location_id").cast(locations, strict=False).to_physical().alias("_location")
    known = weather_as_known(_frame(weather), issue_hour_utc).select(
        location, pl.exclude("location_id")
    )
    has_forecast = pl.col("weather_issued_at_utc").is_not_null()
    has_observation = pl.col("obs_temperature_c").is_not_null()
    frame = (
        frame.with_columns(
            registry.select(location).get_column("_location").gather(meter),
            valid_at_utc=pl.col("interval_start_utc").dt.truncate("1h"),
        )
        .join(known, on=["_location", "valid_at_utc"], how="left", maintain_order="left")
        .with_columns(
            *[
                pl.when(has_forecast).then(pl.col(f)).otherwise(pl.col(f"obs_{f}")).alias(f)
                for f in WEATHER_FIELDS
            ],
            weather_source=pl.when(has_forecast)
            .then(pl.lit("forecast"))
            .when(has_observation)
            .then(pl.lit("observation"))
            .otherwise(pl.lit("missing")),
            observed_temperature_c=pl.col("obs_temperature_c"),
        )
        .with_columns(
            heating_degree_c=(HEATING_BASE_C - pl.col("temperature_c")).clip(lower_bound=0.0),
            cooling_degree_c=(pl.col("temperature_c") - COOLING_BASE_C).clip(lower_bound=0.0),
        )
    )
    frame = _with_lags(frame, _frame(history).with_columns(_meter=key))
    return (
        frame.select(GOLD_CONSUMPTION_FEATURES.schema.names)
        .to_arrow()
        .cast(GOLD_CONSUMPTION_FEATURES.schema)
    )


def _with_lags(frame: pl.DataFrame, history: pl.DataFrame) -> pl.DataFrame:
    """`frame` with its lags from `history` and from its own rows (a chunk's later days lag
    onto its earlier ones)."""
    columns = ["_meter", "interval_start_utc", "energy_kwh"]
    return frame.with_columns(
        **lags(frame, pl.concat([history.select(columns), frame.select(columns)]))
    )


def lags(
    rows: pl.DataFrame, past: pl.DataFrame, known_by_utc: pl.Series | None = None
) -> dict[str, pl.Series]:
    """Each of `LAG_DAYS` for `rows` (`_meter`, `interval_start_utc`): the energy of `past`
    (`_meter`, `interval_start_utc`, `energy_kwh`) at the same interval whole days earlier, null
    where there is none. With `known_by_utc` (an instant per row), a past reading counts only
    where it had ended by the row's instant (`past` then carries `interval_minutes`): what a
    forecast issued then could have seen.

    Past energy goes into a flat dense array indexed by (meter, day, slot of day); a lag is then
    one vectorised lookup per row at a fixed offset instead of a join. Slots are 5 minutes, the
    finest grid allowed. `_meter` is an integer key (a registry's row). Each meter's block of
    days starts `HISTORY_DAYS` before the first day of either frame, and rows of meters the past
    does not hold share one block left empty, so every lookup lands in its own meter's block:
    days or meters absent from the past give nulls without a mask.
    """
    past = past.filter(pl.col("_meter").is_not_null())
    if rows.height == 0 or past.height == 0:
        return {name: pl.Series(name, [None] * rows.height, pl.Float64) for name in LAG_COLUMNS}
    at = pl.col("interval_start_utc")
    first, last = (
        pl.concat([rows.select(at), past.select(at)])
        .select(
            (at.min().dt.truncate("1d") - timedelta(days=HISTORY_DAYS)).alias("first"), at.max()
        )
        .row(0)
    )
    days = (last - first).days + 1
    meters = int(past.select(pl.col("_meter").max()).item()) + 1
    slots = MINUTES_PER_DAY // SLOT_MINUTES
    size = (meters + 1) * days * slots

    def cells(frame: pl.DataFrame) -> np.ndarray:
        meter = pl.col("_meter").cast(pl.Int64)
        block = pl.when(meter < meters).then(meter).otherwise(meters)
        minutes = (at - first).dt.total_minutes()
        cell = (block * days + minutes // MINUTES_PER_DAY) * slots + (
            minutes % MINUTES_PER_DAY
        ) // SLOT_MINUTES
        # A row without an instant takes the empty block's last cell: its lags too are empty.
        return frame.select(cell.fill_null(size - 1)).to_series().to_numpy()

    written = cells(past)
    energy = np.full(size, np.nan)
    energy[written] = past.get_column("energy_kwh").fill_null(np.nan).to_numpy()
    if known_by_utc is not None:
        ended = np.full(size, np.iinfo(np.int64).max)
        ended[written] = (
            past.select((at + pl.duration(minutes=pl.col("interval_minutes"))).dt.epoch("us"))
            .to_series()
            .to_numpy()
        )
        known_by = known_by_utc.dt.epoch("us").to_numpy()
    position = cells(rows)
    found = {}
    for lag, name in zip(LAG_DAYS, LAG_COLUMNS, strict=True):
        source = position - lag * slots
        values = energy[source]
        if known_by_utc is not None:
            values = np.where(ended[source] <= known_by, values, np.nan)
        found[name] = pl.Series(name, values, nan_to_null=True)
    return found


def _frame(table: pa.Table) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame
