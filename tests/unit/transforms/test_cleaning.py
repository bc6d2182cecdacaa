from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pyarrow as pa

from checks.contracts import (
    BRONZE_METER_READINGS,
    BRONZE_METERS,
    BRONZE_WEATHER,
    SILVER_METER_READINGS,
    SILVER_METERS,
    SILVER_WEATHER,
)
from energy_assets.transforms.cleaning import (
    clean_readings,
    clean_weather,
    current_meters,
    unit_context,
)

DAY = date(2024, 1, 10)
NEXT = date(2024, 1, 11)
MIDNIGHT = datetime(2024, 1, 10, tzinfo=UTC)
ON_TIME = datetime(2024, 1, 11, 1, tzinfo=UTC)


def meter(meter_id: str, **overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "source": "test",
        "meter_id": meter_id,
        "location_id": "PAR",
        "region": "FR-IDF",
        "timezone": "Europe/Paris",
        "country": "FR",
        "subdivision": None,
        "customer_type": "residential",
        "interval_minutes": 15,
        "can_export": False,
        "latitude": 48.85,
        "longitude": 2.35,
        "installed_on": date(2020, 1, 1),
        "ingested_at_utc": ON_TIME,
        "batch_id": "b1",
    }
    return row | overrides


def meters_table(*rows: dict[str, object]) -> pa.Table:
    return current_meters(pa.Table.from_pylist(list(rows), schema=BRONZE_METERS.schema)).table


def reading(meter_id: str, minutes: int, energy: float | None, **overrides: object) -> dict:
    start = MIDNIGHT + timedelta(minutes=minutes)
    row = {
        "source": "test",
        "meter_id": meter_id,
        "interval_start_utc": start,
        "interval_minutes": 15,
        "energy_kwh": energy,
        "reported_unit": "kWh",
        "is_estimated": False,
        "ingested_at_utc": ON_TIME,
        "batch_id": "b1",
        "day": DAY,
    }
    return row | overrides


def bronze(*rows: dict) -> pa.Table:
    return pa.Table.from_pylist(list(rows), schema=BRONZE_METER_READINGS.schema)


def full_day(meter_id: str, energy: float = 0.25, step: int = 15) -> list[dict]:
    return [
        reading(meter_id, m, energy + 0.001 * (m % 7), interval_minutes=step)
        for m in range(0, 1440, step)
    ]


def by_slot(table: pa.Table, meter_id: str) -> dict[datetime, dict]:
    return {r["interval_start_utc"]: r for r in table.to_pylist() if r["meter_id"] == meter_id}


def test_silver_matches_its_contract_and_has_one_row_per_interval() -> None:
    cleaned = clean_readings(bronze(*full_day("M1")), meters_table(meter("M1")), DAY, NEXT)
    assert cleaned.table.schema.equals(SILVER_METER_READINGS.schema)
    assert cleaned.table.num_rows == 96
    assert cleaned.rejections == []


def test_gaps_become_explicit_missing_rows() -> None:
    rows = [r for r in full_day("M1") if r["interval_start_utc"].hour != 3]
    table = clean_readings(bronze(*rows), meters_table(meter("M1")), DAY, NEXT).table
    missing = [r for r in table.to_pylist() if r["is_missing"]]
    assert len(missing) == 4
    assert all(r["energy_kwh"] is None and r["interval_start_utc"].hour == 3 for r in missing)


def test_a_described_meter_that_sent_nothing_gets_a_full_day_of_gaps() -> None:
    table = clean_readings(
        bronze(*full_day("M1")), meters_table(meter("M1"), meter("SILENT")), DAY, NEXT
    ).table
    silent = by_slot(table, "SILENT")
    assert len(silent) == 96 and all(r["is_missing"] for r in silent.values())


def test_a_meter_installed_later_has_no_rows_before_its_installation() -> None:
    registry = meters_table(meter("M1"), meter("NEW", installed_on=date(2024, 2, 1)))
    table = clean_readings(bronze(*full_day("M1")), registry, DAY, NEXT).table
    assert by_slot(table, "NEW") == {}


def test_resent_readings_keep_the_latest_received_and_count_duplicates() -> None:
    late = ON_TIME + timedelta(days=2)
    rows = [
        *full_day("M1"),
        reading("M1", 0, 0.25),
        reading("M1", 15, 0.99, ingested_at_utc=late, batch_id="b2"),
    ]
    table = clean_readings(bronze(*rows), meters_table(meter("M1")), DAY, NEXT).table
    slots = by_slot(table, "M1")
    first, second = slots[MIDNIGHT], slots[MIDNIGHT + timedelta(minutes=15)]
    assert first["duplicates_removed"] == 1 and not first["is_late"]
    assert second["energy_kwh"] == 0.99 and second["is_late"] and second["duplicates_removed"] == 1


def test_readings_of_a_meter_never_described_are_quarantined_with_the_reason() -> None:
    rows = [*full_day("M1"), reading("GHOST", 0, 1.0)]
    cleaned = clean_readings(bronze(*rows), meters_table(meter("M1")), DAY, NEXT)
    assert [r.reason for r in cleaned.rejections] == ["meter never described: GHOST"]
    assert cleaned.rejections[0].meter_id == "GHOST"
    assert cleaned.rejections[0].day == DAY
    assert by_slot(cleaned.table, "GHOST") == {}


def shifted(rows: list[dict], days: int) -> list[dict]:
    return [
        r
        | {
            "interval_start_utc": r["interval_start_utc"] + timedelta(days=days),
            "day": r["day"] + timedelta(days=days),
        }
        for r in rows
    ]


def test_a_day_sent_in_wh_is_corrected_to_kwh_and_flagged() -> None:
    rows = [r | {"energy_kwh": r["energy_kwh"] * 1000} for r in full_day("M1", 0.3)]
    around = bronze(*shifted(full_day("M1", 0.3), -1), *shifted(full_day("M1", 0.3), 1))
    registry = meters_table(meter("M1"))
    table = clean_readings(
        bronze(*rows), registry, DAY, NEXT, context=unit_context(around, registry)
    ).table
    values = table.column("energy_kwh").to_pylist()
    assert all(0.29 < v < 0.32 for v in values)
    assert all(table.column("is_unit_corrected").to_pylist())


def test_an_industrial_meter_at_its_normal_level_is_not_unit_corrected() -> None:
    registry = meters_table(meter("BIG", customer_type="industrial"))
    table = clean_readings(bronze(*full_day("BIG", 150.0)), registry, DAY, NEXT).table
    assert not any(table.column("is_unit_corrected").to_pylist())


def test_finer_readings_are_summed_onto_a_coarser_grid() -> None:
    registry = meters_table(meter("M30", interval_minutes=30))
    rows = full_day("M30", 0.1, step=15)
    table = clean_readings(bronze(*rows), registry, DAY, NEXT).table
    assert table.num_rows == 48
    first = by_slot(table, "M30")[MIDNIGHT]
    assert abs(first["energy_kwh"] - (0.1 + 0.1 + 0.001 * 1)) < 1e-9
    assert first["is_realigned"]


def test_an_off_grid_reading_moves_to_the_interval_it_falls_in() -> None:
    rows = [r for r in full_day("M1") if r["interval_start_utc"] != MIDNIGHT]
    rows.append(reading("M1", 7, 0.5))
    table = clean_readings(bronze(*rows), meters_table(meter("M1")), DAY, NEXT).table
    first = by_slot(table, "M1")[MIDNIGHT]
    assert first["energy_kwh"] == 0.5 and first["is_realigned"]


def test_nan_energy_is_a_gap_and_negative_energy_is_flagged_only_where_export_is_impossible() -> (
    None
):
    registry = meters_table(meter("M1"), meter("PV", customer_type="prosumer", can_export=True))
    rows = [*full_day("M1"), *full_day("PV")]
    rows[0] = rows[0] | {"energy_kwh": float("nan")}
    rows[1] = rows[1] | {"energy_kwh": -0.2}
    rows[97] = rows[97] | {"energy_kwh": -0.2}
    table = clean_readings(bronze(*rows), registry, DAY, NEXT).table
    m1, pv = by_slot(table, "M1"), by_slot(table, "PV")
    assert m1[MIDNIGHT]["is_missing"]
    assert m1[MIDNIGHT + timedelta(minutes=15)]["is_negative"]
    assert not pv[MIDNIGHT + timedelta(minutes=15)]["is_negative"]


def test_a_stuck_meter_is_flagged_as_flatline() -> None:
    rows = full_day("M1")
    for row in rows[10:22]:
        row["energy_kwh"] = 0.42
    table = clean_readings(bronze(*rows), meters_table(meter("M1")), DAY, NEXT).table
    flags = table.column("is_flatline").to_pylist()
    assert flags[10:22] == [True] * 12
    assert not any(flags[:10]) and not any(flags[22:])


def test_the_latest_description_of_a_meter_wins_and_bad_zones_are_rejected() -> None:
    later = ON_TIME + timedelta(days=1)
    cleaned = current_meters(
        pa.Table.from_pylist(
            [
                meter("M1", region="old"),
                meter("M1", region="new", ingested_at_utc=later),
                meter("M2", timezone="Mars/Olympus"),
            ],
            schema=BRONZE_METERS.schema,
        )
    )
    assert cleaned.table.schema.equals(SILVER_METERS.schema)
    assert cleaned.table.to_pylist()[0]["region"] == "new"
    assert cleaned.table.num_rows == 1
    assert [r.reason for r in cleaned.rejections] == ["unknown time zone Mars/Olympus"]


def weather(**overrides: object) -> dict:
    row = {
        "source": "test",
        "location_id": "PAR",
        "valid_at_utc": MIDNIGHT + timedelta(hours=5),
        "issued_at_utc": None,
        "kind": "observation",
        "temperature_c": 4.0,
        "relative_humidity_pct": 80.0,
        "wind_speed_ms": 3.0,
        "cloud_cover_pct": 50.0,
        "shortwave_radiation_wm2": 0.0,
        "ingested_at_utc": ON_TIME,
        "batch_id": "b1",
        "day": DAY,
    }
    return row | overrides


def test_weather_keeps_forecasts_by_issue_time_with_their_horizon() -> None:
    issued = MIDNIGHT - timedelta(hours=18)
    rows = [
        weather(),
        weather(kind="forecast", issued_at_utc=issued, temperature_c=5.0),
        weather(kind="forecast", issued_at_utc=issued - timedelta(days=1), temperature_c=6.0),
        weather(temperature_c=4.5, ingested_at_utc=ON_TIME + timedelta(hours=1)),
    ]
    cleaned = clean_weather(pa.Table.from_pylist(rows, schema=BRONZE_WEATHER.schema))
    assert cleaned.table.schema.equals(SILVER_WEATHER.schema)
    table = cleaned.table.to_pylist()
    observation = [r for r in table if r["kind"] == "observation"]
    assert len(observation) == 1 and observation[0]["temperature_c"] == 4.5
    horizons = sorted(r["horizon_hours"] for r in table if r["kind"] == "forecast")
    assert horizons == [23.0, 47.0]


def test_weather_out_of_range_or_inconsistent_is_quarantined() -> None:
    rows = [
        weather(temperature_c=999.0),
        weather(kind="forecast"),
        weather(kind="nowcast"),
        weather(kind="forecast", issued_at_utc=MIDNIGHT + timedelta(hours=9)),
        weather(location_id="OK"),
    ]
    cleaned = clean_weather(pa.Table.from_pylist(rows, schema=BRONZE_WEATHER.schema))
    assert cleaned.table.num_rows == 1
    reasons = sorted(r.reason for r in cleaned.rejections)
    assert reasons == [
        "forecast issued after its valid time",
        "forecast without issued_at",
        "temperature_c 999.0 outside [-60.0, 60.0]",
        "unknown kind nowcast",
    ]


def test_cleaning_a_window_gives_the_same_rows_as_cleaning_each_day() -> None:
    second_day = [
        r
        | {
            "interval_start_utc": r["interval_start_utc"] + timedelta(days=1),
            "day": NEXT,
            "energy_kwh": r["energy_kwh"] * 1000,  # the second day comes in Wh
        }
        for r in full_day("M1")
    ]
    stuck = [r | {"energy_kwh": 0.5} for r in full_day("M1")[-6:]]  # a run crossing midnight
    first_day = full_day("M1")[:-6] + stuck
    for r in second_day[:6]:
        r["energy_kwh"] = 500.0
    third_day = bronze(*shifted(full_day("M1"), 2))  # back in kWh: the evidence of the Wh day
    registry = meters_table(meter("M1"), meter("QUIET"))
    together = clean_readings(
        bronze(*first_day, *second_day),
        registry,
        DAY,
        NEXT + timedelta(1),
        context=unit_context(third_day, registry),
    )
    one = clean_readings(
        bronze(*first_day),
        registry,
        DAY,
        NEXT,
        context=unit_context(bronze(*second_day, *third_day.to_pylist()), registry),
    ).table
    two = clean_readings(
        bronze(*second_day),
        registry,
        NEXT,
        NEXT + timedelta(1),
        context=unit_context(bronze(*first_day, *third_day.to_pylist()), registry),
    ).table
    assert together.table.sort_by(
        [("meter_id", "ascending"), ("interval_start_utc", "ascending")]
    ).equals(
        pa.concat_tables([one, two]).sort_by(
            [("meter_id", "ascending"), ("interval_start_utc", "ascending")]
        )
    )
    flags = by_slot(together.table, "M1")
    assert not flags[MIDNIGHT + timedelta(hours=23, minutes=45)]["is_flatline"]
    assert flags[MIDNIGHT + timedelta(days=1)]["is_unit_corrected"]
    assert not flags[MIDNIGHT]["is_unit_corrected"]
