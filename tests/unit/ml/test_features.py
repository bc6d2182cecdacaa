from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl
import pyarrow as pa

from checks.contracts import (
    GOLD_CONSUMPTION_FEATURES,
    SILVER_METER_READINGS,
    SILVER_METERS,
    SILVER_WEATHER,
)
from ml.features import build_consumption_features, issue_time_utc, lags, local_calendar

DAY = date(2024, 12, 25)
MIDNIGHT = datetime(2024, 12, 25, tzinfo=UTC)


def meters() -> pa.Table:
    rows = [
        {
            "meter_id": meter_id,
            "location_id": location,
            "region": region,
            "timezone": zone,
            "country": country,
            "subdivision": None,
            "customer_type": "residential",
            "interval_minutes": 60,
            "can_export": False,
            "latitude": 0.0,
            "longitude": 0.0,
            "installed_on": None,
            "source": "test",
            "described_at_utc": MIDNIGHT,
        }
        for meter_id, location, region, zone, country in [
            ("PAR-1", "PAR", "FR-IDF", "Europe/Paris", "FR"),
            ("HEL-1", "HEL", "FI-18", "Europe/Helsinki", "FI"),
        ]
    ]
    return pa.Table.from_pylist(rows, schema=SILVER_METERS.schema)


def readings(day: date, energy: float) -> pa.Table:
    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    rows = [
        {
            "meter_id": meter_id,
            "interval_start_utc": start + timedelta(hours=h),
            "interval_minutes": 60,
            "energy_kwh": energy + h,
            "source": "test",
            "is_missing": False,
            "is_estimated": False,
            "is_late": False,
            "is_negative": False,
            "is_flatline": False,
            "is_unit_corrected": False,
            "is_realigned": False,
            "duplicates_removed": 0,
            "ingested_at_utc": start,
            "day": day,
        }
        for meter_id in ("PAR-1", "HEL-1")
        for h in range(24)
    ]
    return pa.Table.from_pylist(rows, schema=SILVER_METER_READINGS.schema)


def weather_row(location: str, hour: int, kind: str, temperature: float, issued=None) -> dict:
    return {
        "location_id": location,
        "valid_at_utc": MIDNIGHT + timedelta(hours=hour),
        "issued_at_utc": issued,
        "kind": kind,
        "horizon_hours": None,
        "temperature_c": temperature,
        "relative_humidity_pct": 70.0,
        "wind_speed_ms": 2.0,
        "cloud_cover_pct": 40.0,
        "shortwave_radiation_wm2": 0.0,
        "source": "test",
        "day": DAY,
    }


def build(weather_rows: list[dict], history: pa.Table | None = None) -> list[dict]:
    table = build_consumption_features(
        readings(DAY, 1.0),
        history if history is not None else SILVER_METER_READINGS.schema.empty_table(),
        pa.Table.from_pylist(weather_rows, schema=SILVER_WEATHER.schema),
        meters(),
        issue_hour_utc=12,
    )
    assert table.schema.equals(GOLD_CONSUMPTION_FEATURES.schema)
    return table.to_pylist()


def test_the_forecast_is_issued_the_day_before_at_the_issue_hour() -> None:
    assert issue_time_utc(DAY, 12) == datetime(2024, 12, 24, 12, tzinfo=UTC)


def test_weather_is_the_latest_forecast_issued_by_the_issue_time_never_a_later_one() -> None:
    early = datetime(2024, 12, 23, 6, tzinfo=UTC)
    in_time = datetime(2024, 12, 24, 6, tzinfo=UTC)
    too_late = datetime(2024, 12, 25, 6, tzinfo=UTC)
    rows = build(
        [
            weather_row("PAR", 20, "forecast", 1.0, early),
            weather_row("PAR", 20, "forecast", 2.0, in_time),
            weather_row("PAR", 20, "forecast", 3.0, too_late),
            weather_row("PAR", 20, "observation", 2.5),
        ]
    )
    row = next(r for r in rows if r["meter_id"] == "PAR-1" and r["interval_start_utc"].hour == 20)
    assert row["temperature_c"] == 2.0
    assert row["weather_issued_at_utc"] == in_time
    assert row["weather_source"] == "forecast"
    assert row["observed_temperature_c"] == 2.5
    assert row["heating_degree_c"] == 13.5


def test_observed_weather_stands_in_where_no_forecast_was_archived_and_says_so() -> None:
    rows = build([weather_row("HEL", 3, "observation", -8.0)])
    row = next(r for r in rows if r["meter_id"] == "HEL-1" and r["interval_start_utc"].hour == 3)
    assert row["weather_source"] == "observation"
    assert row["temperature_c"] == -8.0
    other = next(r for r in rows if r["meter_id"] == "HEL-1" and r["interval_start_utc"].hour == 4)
    assert other["weather_source"] == "missing" and other["temperature_c"] is None


def test_calendar_features_are_in_the_meters_local_time_with_holidays() -> None:
    rows = build([])
    paris = next(r for r in rows if r["meter_id"] == "PAR-1" and r["interval_start_utc"].hour == 23)
    helsinki = next(
        r for r in rows if r["meter_id"] == "HEL-1" and r["interval_start_utc"].hour == 23
    )
    assert paris["local_date"] == date(2024, 12, 26) and paris["local_hour"] == 0
    assert helsinki["local_hour"] == 1
    assert not paris["is_holiday"]  # 26 December is a holiday in Finland, not in France
    assert helsinki["is_holiday"]
    christmas = next(
        r for r in rows if r["meter_id"] == "PAR-1" and r["interval_start_utc"].hour == 12
    )
    assert christmas["is_holiday"] and christmas["local_day_of_week"] == 2


def test_lags_are_the_same_interval_one_two_and_seven_days_earlier() -> None:
    history = pa.concat_tables(
        [readings(DAY - timedelta(days=lag), 100.0 * lag) for lag in (1, 2, 7)]
    )
    rows = build([], history)
    row = next(r for r in rows if r["meter_id"] == "PAR-1" and r["interval_start_utc"].hour == 5)
    assert (row["lag_1d_kwh"], row["lag_2d_kwh"], row["lag_7d_kwh"]) == (105.0, 205.0, 705.0)


def test_lags_are_null_where_history_is_missing() -> None:
    rows = build([])
    assert all(r["lag_1d_kwh"] is None and r["lag_7d_kwh"] is None for r in rows)


def test_local_time_follows_daylight_saving_changes() -> None:
    instants = [
        datetime(2024, 3, 31, 0, 45, tzinfo=UTC),  # 01:45 CET
        datetime(2024, 3, 31, 1, 0, tzinfo=UTC),  # 03:00 CEST: 02:00-03:00 does not exist
        datetime(2024, 10, 27, 0, 30, tzinfo=UTC),  # 02:30 CEST
        datetime(2024, 10, 27, 1, 30, tzinfo=UTC),  # 02:30 CET, the repeated hour
        datetime(2024, 10, 27, 1, 30, tzinfo=UTC),  # London: 01:30 GMT
        datetime(2024, 3, 30, 23, 0, tzinfo=UTC),  # London: 23:00 GMT, the day before
        datetime(2024, 3, 31, 1, 0, tzinfo=UTC),  # London: 02:00 BST
    ]
    zones = ["Europe/Paris"] * 4 + ["Europe/London"] * 3
    frame = pl.DataFrame(
        {
            "interval_start_utc": instants,
            "timezone": zones,
            "country": ["FR"] * 4 + ["GB"] * 3,
            "subdivision": [None] * 7,
        },
        schema_overrides={"interval_start_utc": pl.Datetime("us", "UTC")},
    )
    calendar = local_calendar(frame)
    assert calendar["local_minute_of_day"].to_list() == [105, 180, 150, 150, 90, 1380, 120]
    assert calendar["local_date"].to_list() == [date(2024, 3, 31)] * 2 + [
        date(2024, 10, 27)
    ] * 3 + [date(2024, 3, 30), date(2024, 3, 31)]


def test_readings_of_meters_no_longer_described_get_no_features() -> None:
    extra = readings(DAY, 1.0).to_pylist()[:3]
    for row in extra:
        row["meter_id"] = "GONE-1"
    everything = pa.concat_tables(
        [readings(DAY, 1.0), pa.Table.from_pylist(extra, schema=SILVER_METER_READINGS.schema)]
    )
    history = pa.Table.from_pylist(
        [
            {**row, "interval_start_utc": row["interval_start_utc"] - timedelta(days=1)}
            for row in extra
        ],
        schema=SILVER_METER_READINGS.schema,
    )
    table = build_consumption_features(
        everything,
        history,
        SILVER_WEATHER.schema.empty_table(),
        meters(),
        issue_hour_utc=12,
    )
    assert set(table.column("meter_id").to_pylist()) == {"PAR-1", "HEL-1"}
    paris = [r for r in table.to_pylist() if r["meter_id"] == "PAR-1"]
    assert (paris[0]["region"], paris[0]["location_id"], paris[0]["local_hour"]) == (
        "FR-IDF",
        "PAR",
        1,
    )


def past_rows(rows: list[tuple[int, datetime, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "_meter": [m for m, _, _ in rows],
            "interval_start_utc": [at for _, at, _ in rows],
            "energy_kwh": [e for _, _, e in rows],
            "interval_minutes": [60] * len(rows),
        },
        schema_overrides={"_meter": pl.UInt32, "interval_start_utc": pl.Datetime("us", "UTC")},
    )


def test_a_lag_counts_a_reading_only_if_it_had_ended_by_the_rows_cutoff() -> None:
    before = MIDNIGHT - timedelta(days=1)
    past = past_rows([(0, before, 1.5), (0, before - timedelta(days=1), 2.5)])
    rows = past_rows([(0, MIDNIGHT, 9.0), (0, MIDNIGHT, 9.0)])
    cutoffs = pl.Series([before + timedelta(minutes=30), before + timedelta(hours=1)])
    found = lags(rows, past, known_by_utc=cutoffs)
    assert found["lag_1d_kwh"].to_list() == [None, 1.5]
    assert found["lag_2d_kwh"].to_list() == [2.5, 2.5]
    assert found["lag_7d_kwh"].to_list() == [None, None]
    assert lags(rows, past)["lag_1d_kwh"].to_list() == [1.5, 1.5]


def test_rows_of_meters_or_days_the_past_does_not_hold_get_null_lags() -> None:
    past = past_rows([(0, MIDNIGHT, 1.0), (1, MIDNIGHT, 2.0)])
    rows = past_rows(
        [
            (1, MIDNIGHT + timedelta(days=1), 0.0),  # meter 1, the day after: its own reading
            (5, MIDNIGHT + timedelta(days=1), 0.0),  # a meter the past does not hold
            (0, MIDNIGHT - timedelta(days=3), 0.0),  # days before the past
            (0, MIDNIGHT + timedelta(days=20), 0.0),  # days after it
        ]
    )
    assert lags(rows, past)["lag_1d_kwh"].to_list() == [2.0, None, None, None]
