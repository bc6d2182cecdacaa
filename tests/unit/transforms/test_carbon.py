from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pyarrow as pa
import pytest

from checks.contracts import (
    BRONZE_GRID_CARBON_INTENSITY,
    GOLD_CARBON_EMISSIONS,
    SILVER_METER_READINGS,
    SILVER_METERS,
)
from checks.schemas.validation import validate_table
from energy_assets.transforms.carbon import carbon_emissions, country_factors

DAY = date(2024, 3, 30)
T0 = datetime(2024, 3, 30, tzinfo=UTC)


def readings(meter: str, kwh: list[float | None]) -> list[dict]:
    return [
        {
            "meter_id": meter,
            "interval_start_utc": T0 + timedelta(hours=i),
            "interval_minutes": 60,
            "energy_kwh": e,
            "is_missing": e is None,
            "is_estimated": False,
            "is_late": False,
            "is_negative": False,
            "is_flatline": False,
            "is_unit_corrected": False,
            "is_realigned": False,
            "duplicates_removed": 0,
            "day": DAY,
        }
        for i, e in enumerate(kwh)
    ]


def meter(meter_id: str, region: str, country: str) -> dict:
    return {
        "meter_id": meter_id,
        "location_id": meter_id,
        "region": region,
        "timezone": "Europe/Paris",
        "country": country,
        "source": "test",
        "described_at_utc": T0,
    }


def rate(hour: int, minute: int, value: float, dataset: str, received_min: int) -> dict:
    return {
        "source": "eco2mix",
        "region": "FR-IDF",
        "interval_start_utc": T0 + timedelta(hours=hour, minutes=minute),
        "interval_minutes": 30,
        "carbon_intensity_gco2e_per_kwh": value,
        "dataset": dataset,
        "ingested_at_utc": T0 + timedelta(days=1, minutes=received_min),
        "batch_id": dataset,
        "day": DAY,
    }


def emissions(intensity_rows: list[dict]) -> dict[str, dict]:
    table = carbon_emissions(
        pa.Table.from_pylist(
            readings("paris", [2.0, 4.0, None])
            + readings("munich", [10.0])
            + readings("nowhere", [1.0]),
            schema=SILVER_METER_READINGS.schema,
        ),
        pa.Table.from_pylist(
            [
                meter("paris", "FR-IDF", "FR"),
                meter("munich", "DE-BY", "DE"),
                meter("nowhere", "XX-1", "XX"),
            ],
            schema=SILVER_METERS.schema,
        ),
        pa.Table.from_pylist(intensity_rows, schema=BRONZE_GRID_CARBON_INTENSITY.schema),
    )
    assert validate_table(GOLD_CARBON_EMISSIONS, table).passed
    return {row["meter_id"]: row for row in table.to_pylist()}


def test_measured_intensity_is_used_where_published_and_the_country_factor_elsewhere() -> None:
    rows = emissions([rate(0, 0, 30.0, "tr", 0), rate(0, 30, 50.0, "tr", 0)])

    paris, munich = rows["paris"], rows["munich"]
    france = country_factors()["FR"].intensity_gco2e_per_kwh
    assert paris["energy_kwh"] == 6.0
    assert paris["emissions_kgco2e"] == pytest.approx((2.0 * 40.0 + 4.0 * france) / 1000)
    assert (paris["intensity_source"], paris["measured_share"]) == ("mixed", 0.5)
    assert "2023" in paris["factor_reference"]
    germany = country_factors()["DE"].intensity_gco2e_per_kwh
    assert munich["emissions_kgco2e"] == pytest.approx(10.0 * germany / 1000)
    assert (munich["intensity_source"], munich["intensity_gco2e_per_kwh"]) == (
        "country_factor",
        germany,
    )


def test_a_consolidated_intensity_received_later_replaces_the_real_time_one() -> None:
    rows = emissions(
        [
            rate(0, 0, 30.0, "tr", 0),
            rate(0, 0, 90.0, "def", 60),
            rate(1, 0, 20.0, "tr", 0),
        ]
    )

    assert rows["paris"]["emissions_kgco2e"] == pytest.approx((2.0 * 90.0 + 4.0 * 20.0) / 1000)
    assert rows["paris"]["intensity_source"] == "eco2mix"
    assert rows["paris"]["factor_reference"] is None


def test_a_country_without_a_factor_gets_null_emissions_and_says_so() -> None:
    nowhere = emissions([])["nowhere"]

    assert nowhere["emissions_kgco2e"] is None
    assert nowhere["intensity_source"] == "unknown"
