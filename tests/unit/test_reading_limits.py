from __future__ import annotations

from pathlib import Path

from tests.unit.test_landing import column, readings, write


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

    parsed = readings(path)

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
        "m1,2024-01-15T10:30Z,2.5e9\n",  # a 10 TW mean over 15 minutes: at the ceiling, kept
    )

    parsed = readings(path)

    assert column(parsed, "energy_kwh") == [2.5e9]
    reasons = [r.reason for r in parsed.rejections]
    assert len(reasons) == 2
    assert all(
        "exceeds the ceiling of 2500000000.0 kWh for a 15-minute interval" in r for r in reasons
    )


def test_a_national_grid_in_kw_is_far_below_the_ceiling(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "r.csv",
        "meter_id,timestamp,power_kw,interval_minutes\nm1,2024-01-15T10:00Z,56197000,30\n",
    )

    parsed = readings(path)

    assert parsed.rejections == [] and column(parsed, "energy_kwh") == [28098500.0]
