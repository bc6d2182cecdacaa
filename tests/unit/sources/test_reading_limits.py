from __future__ import annotations

from datetime import date
from pathlib import Path

from energy_assets.sources.landing.readings import parse_readings_file
from energy_assets.sources.reading_limits import accepted_days
from tests.unit.sources.test_landing import (
    BATCH,
    INGESTED,
    INTERVALS,
    PARIS,
    column,
    readings,
    write,
)


def test_a_power_that_overflows_when_converted_is_quarantined_and_the_rest_lands(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        "r.csv",
        "meter_id,timestamp,power_kw,interval_minutes\n"
        "m1,2024-01-15T10:00Z,1e308,30\n"
        "m1,2024-01-15T10:30Z,2.0,30\n",
    )

    parsed = readings(path, intervals={"m1": 30})

    assert column(parsed, "energy_kwh") == [1.0]
    (rejection,) = parsed.rejections
    assert rejection.reason == "energy is not finite after unit conversion: inf kWh"
    assert rejection.record["power_kw"] == "1e308"


def test_an_energy_above_the_stated_ceiling_per_interval_is_quarantined_with_it(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        "r.csv",
        "meter_id,timestamp,energy_kwh\n"
        "m1,2024-01-15T10:00Z,1e12\n"
        "m1,2024-01-15T10:15Z,-1e12\n"
        "m1,2024-01-15T10:30Z,2.5e10\n",  # a 100 TW mean over 15 minutes: at the ceiling, kept
    )

    parsed = readings(path)

    assert column(parsed, "energy_kwh") == [2.5e10]
    reasons = [r.reason for r in parsed.rejections]
    assert len(reasons) == 2
    assert all(
        "exceeds the ceiling of 25000000000.0 kWh for a 15-minute interval" in r for r in reasons
    )


def test_a_national_grid_in_kw_even_sent_in_wh_is_below_the_ceiling(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "r.csv",
        "meter_id,timestamp,power_kw,interval_minutes\n"
        "m1,2024-01-15T10:00Z,56197000,30\n"
        "m1,2024-01-15T10:30Z,56197000000,30\n",
    )

    parsed = readings(path, intervals={"m1": 30})

    assert parsed.rejections == []
    assert column(parsed, "energy_kwh") == [28098500.0, 28098500000.0]


def test_readings_outside_the_lakes_days_are_quarantined_on_the_ingestion_day(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        "r.csv",
        "meter_id,timestamp,energy_kwh\n"
        "m1,1900-01-01T00:00Z,1\n"
        "m1,2023-12-31T23:45Z,1\n"
        "m1,2024-01-01T00:00Z,2\n"
        "m1,2024-11-06T23:45Z,3\n"
        "m1,2099-03-01T10:00Z,1\n"
        "m1,9999-12-31T23:45Z,1\n",
    )

    parsed = parse_readings_file(
        path,
        PARIS,
        INTERVALS,
        batch_id=BATCH,
        ingested_at_utc=INGESTED,
        days=accepted_days(date(2024, 1, 1), date(2024, 11, 5)),
    )

    assert column(parsed, "energy_kwh") == [2.0, 3.0]
    late = "after 2024-11-06 (today plus a margin of 1 day)"
    reasons = {r.record["timestamp"]: r.reason for r in parsed.rejections}
    assert reasons == {
        "1900-01-01T00:00Z": "starts on 1900-01-01, before the lake's first day 2024-01-01 "
        "(ENERGY_START_DATE)",
        "2023-12-31T23:45Z": "starts on 2023-12-31, before the lake's first day 2024-01-01 "
        "(ENERGY_START_DATE)",
        "2099-03-01T10:00Z": f"starts on 2099-03-01, {late}",
        "9999-12-31T23:45Z": f"starts on 9999-12-31, {late}",
    }
    assert {r.day for r in parsed.rejections} == {date(2024, 11, 5)}
