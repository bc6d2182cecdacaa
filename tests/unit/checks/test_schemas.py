"""Pandera schemas derived from the contracts: they accept valid rows and report every violation."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from checks.contracts import (
    ALL_TABLES,
    BRONZE_METER_READINGS,
    GOLD_CONSUMPTION_FEATURES,
    GOLD_QUALITY_SCORECARD,
    SILVER_METER_READINGS,
    SILVER_METERS,
    SILVER_WEATHER,
    TableContract,
)
from checks.result import MAX_EXAMPLES, CheckOutcome
from checks.schemas.rules import DOMAIN_RULES
from checks.schemas.validation import pandera_schema, schema_for, to_pandas, validate_table

T0 = datetime(2024, 1, 1, tzinfo=UTC)

# Values that satisfy every rule, by column name; anything else gets a default for its type.
VALID: dict[str, Any] = {
    "interval_minutes": 15,
    "kind": "observation",
    "reported_unit": "kWh",
    "timezone": "Europe/Paris",
    "weather_source": "observation",
    "status": "good",
    "month": 1,
    "day_of_year": 1,
    "end_utc": T0 + timedelta(hours=1),
    "issued_at_utc": None,
    "weather_issued_at_utc": None,
    "is_missing": False,
}
# Per-table values where a column-name default above breaks a rule of that table.
VALID_BY_TABLE: dict[str, dict[str, Any]] = {
    "bronze/landing_files": {"kind": "readings", "status": "accepted"},
    "ops/alerts": {"kind": "run_failure", "severity": "ERROR"},
    "gold/forecasts": {"issued_at_utc": T0 - timedelta(hours=12), "fallback_reason": None},
    "gold/region_forecasts": {"issued_at_utc": T0 - timedelta(hours=12), "meters": 1},
    "gold/forecast_backtest": {"level": "meter", "forecaster": "forecast", "intervals": 96},
    "bronze/api_responses": {"status": 200},
    "gold/carbon_emissions": {"intensity_source": "eco2mix"},
    "gold/meter_clusters": {"status": "clustered", "previous_status": None, "silhouette": 0.5},
    "gold/cluster_centroids": {"day_type": "working", "local_hour": 7, "meters": 3},
    "gold/anomalies": {
        "anomaly_type": "flatline",
        "event_end_utc": T0 + timedelta(hours=1),
        "interval_count": 4,
        "expected_source": "model",
        "severity": "high",
        "feedback_verdict": None,
    },
}
BY_TYPE: list[tuple[pa.DataType, Any]] = [
    (pa.string(), "x"),
    (pa.timestamp("us", tz="UTC"), T0),
    (pa.date32(), T0.date()),
    (pa.bool_(), False),
    (pa.float64(), 1.0),
]


def valid_row(contract: TableContract, **overrides: Any) -> dict[str, Any]:
    row = {}
    for f in contract.schema:
        if f.name in VALID:
            row[f.name] = VALID[f.name]
        elif pa.types.is_integer(f.type):
            row[f.name] = 0
        else:
            row[f.name] = next(v for t, v in BY_TYPE if t.equals(f.type))
    return {**row, **VALID_BY_TABLE.get(contract.path, {}), **overrides}


def table_of(contract: TableContract, *rows: dict[str, Any]) -> pa.Table:
    return pa.Table.from_pylist(list(rows), schema=contract.schema)


def readings_table(n: int = 4, **column_overrides: list[Any]) -> pa.Table:
    rows = [
        valid_row(SILVER_METER_READINGS, interval_start_utc=T0 + timedelta(minutes=15 * i))
        for i in range(n)
    ]
    for column, values in column_overrides.items():
        for row, value in zip(rows, values, strict=True):
            row[column] = value
    return table_of(SILVER_METER_READINGS, *rows)


def failed_checks(outcome: CheckOutcome) -> set[tuple[str, str]]:
    return {(f["column"], f["check"]) for f in outcome.metadata["failures"]}


def assert_reported(outcome: CheckOutcome) -> None:
    assert not outcome.passed
    json.dumps(outcome.metadata)
    assert len(outcome.metadata["examples"]) <= MAX_EXAMPLES
    assert all(isinstance(v, str) for e in outcome.metadata["examples"] for v in e.values())


# ---------------------------------------------------------------- derivation from the contracts


@pytest.mark.parametrize("contract", ALL_TABLES, ids=lambda c: c.path)
def test_schema_mirrors_the_contract_columns_types_nullability_and_key(
    contract: TableContract,
) -> None:
    schema = pandera_schema(contract)
    assert list(schema.columns) == contract.columns
    for f in contract.schema:
        column = schema.columns[f.name]
        assert column.nullable == f.nullable
        assert column.dtype.type == pd.ArrowDtype(f.type)
    assert schema.strict is True
    assert (schema.unique or []) == list(contract.key)


def test_every_table_has_domain_rules_naming_only_contract_columns() -> None:
    assert set(DOMAIN_RULES) == {t.path for t in ALL_TABLES}
    for contract in ALL_TABLES:
        assert set(DOMAIN_RULES[contract.path].columns) <= set(contract.columns)


def test_schema_for_accepts_a_path_or_a_contract_and_builds_once() -> None:
    assert schema_for("silver/meters") is schema_for(SILVER_METERS)


@pytest.mark.parametrize("contract", ALL_TABLES, ids=lambda c: c.path)
def test_a_valid_row_of_every_table_passes(contract: TableContract) -> None:
    outcome = validate_table(contract, table_of(contract, valid_row(contract)))
    assert outcome.passed, outcome.metadata["failures"]
    assert outcome.failing_rows == 0 and outcome.metadata["rows"] == 1


def test_an_empty_table_passes() -> None:
    assert validate_table(SILVER_METER_READINGS, SILVER_METER_READINGS.schema.empty_table()).passed


def test_to_pandas_keeps_null_and_nan_apart_and_types_exact() -> None:
    frame = to_pandas(readings_table(2, energy_kwh=[None, float("nan")], is_missing=[True, False]))
    assert frame["energy_kwh"].isna().tolist() == [True, False]
    assert str(frame["interval_minutes"].dtype) == "int16[pyarrow]"
    assert str(frame["interval_start_utc"].dtype) == "timestamp[us, tz=UTC][pyarrow]"


# ---------------------------------------------------------------- structure


def test_missing_extra_and_mistyped_columns_fail_without_raising() -> None:
    good = readings_table()
    broken = (
        good.drop_columns(["source"])
        .append_column("surprise", pa.array([1, 2, 3, 4]))
        .set_column(2, "interval_minutes", good.column("interval_minutes").cast(pa.int64()))
    )
    outcome = validate_table(SILVER_METER_READINGS, broken)
    assert_reported(outcome)
    assert outcome.failing_rows == 0  # every row is fine; the table is not
    failures = {(f["column"], f["check"]): f for f in outcome.metadata["failures"]}
    assert ("source", "column_in_dataframe") in failures  # missing
    assert ("surprise", "column_in_schema") in failures  # extra
    dtype = failures[("interval_minutes", "dtype('int16[pyarrow]')")]
    assert dtype["sample"] == "int64[pyarrow]"
    assert "structure" in outcome.description


def test_a_naive_timestamp_is_a_type_failure() -> None:
    good = readings_table()
    index = good.schema.get_field_index("interval_start_utc")
    naive = good.set_column(
        index, "interval_start_utc", good.column(index).cast(pa.timestamp("us"))
    )
    outcome = validate_table(SILVER_METER_READINGS, naive)
    assert_reported(outcome)
    assert "interval_start_utc" in outcome.metadata["failed_columns"]


def test_large_strings_from_a_reader_are_not_a_violation() -> None:
    good = readings_table()
    index = good.schema.get_field_index("meter_id")
    large = good.set_column(index, "meter_id", good.column(index).cast(pa.large_string()))
    assert validate_table(SILVER_METER_READINGS, large).passed


def test_a_null_in_a_non_nullable_column_fails() -> None:
    rows = [valid_row(SILVER_WEATHER, location_id=None)]
    loose = pa.Table.from_pylist(
        rows, schema=pa.schema([f.with_nullable(True) for f in SILVER_WEATHER.schema])
    )
    outcome = validate_table(SILVER_WEATHER, loose)
    assert_reported(outcome)
    assert ("location_id", "not_nullable") in failed_checks(outcome)
    assert outcome.failing_rows == 1


# ---------------------------------------------------------------- keys and row rules


def test_duplicate_keys_fail_with_every_copy() -> None:
    same = [T0, T0, T0 + timedelta(minutes=15), T0 + timedelta(minutes=30)]
    outcome = validate_table(SILVER_METER_READINGS, readings_table(interval_start_utc=same))
    assert_reported(outcome)
    assert ("meter_id+interval_start_utc", "multiple_fields_uniqueness") in failed_checks(outcome)
    assert outcome.failing_rows == 2
    assert [e["row"] for e in outcome.metadata["examples"]] == ["0", "1"]


def test_silver_energy_is_null_exactly_on_gap_rows() -> None:
    good = readings_table(energy_kwh=[1.0, None, 2.0, 3.0], is_missing=[False, True, False, False])
    assert validate_table(SILVER_METER_READINGS, good).passed
    bad = readings_table(energy_kwh=[None, 1.0, 2.0, 3.0], is_missing=[False, True, False, False])
    outcome = validate_table(SILVER_METER_READINGS, bad)
    assert_reported(outcome)
    assert failed_checks(outcome) == {("*", "energy_kwh_null_iff_is_missing")}
    assert outcome.failing_rows == 2
    assert outcome.metadata["examples"][0]["failed"] == "*:energy_kwh_null_iff_is_missing"


def test_nan_energy_is_not_a_missing_value() -> None:
    outcome = validate_table(
        SILVER_METER_READINGS, readings_table(energy_kwh=[1.0, float("nan"), np.inf, 2.0])
    )
    assert_reported(outcome)
    assert ("energy_kwh", "finite") in failed_checks(outcome)
    assert outcome.failing_rows == 2


def test_day_must_be_the_utc_date_of_the_interval() -> None:
    outcome = validate_table(SILVER_METER_READINGS, readings_table(day=[date(2024, 1, 2)] * 4))
    assert_reported(outcome)
    assert failed_checks(outcome) == {("*", "day_is_utc_date_of_interval_start_utc")}


def test_interval_minutes_outside_the_accepted_set_fails() -> None:
    outcome = validate_table(
        BRONZE_METER_READINGS,
        table_of(
            BRONZE_METER_READINGS,
            valid_row(BRONZE_METER_READINGS, interval_minutes=7),
            valid_row(BRONZE_METER_READINGS, interval_minutes=None),  # bronze allows unknown
            valid_row(BRONZE_METER_READINGS, reported_unit="MWh"),
        ),
    )
    assert_reported(outcome)
    samples = {f["column"]: f["sample"] for f in outcome.metadata["failures"]}
    assert samples == {"interval_minutes": "7", "reported_unit": "MWh"}
    assert outcome.failing_rows == 2


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("temperature_c", 80.0),
        ("temperature_c", -75.0),
        ("relative_humidity_pct", 101.0),
        ("cloud_cover_pct", -1.0),
        ("wind_speed_ms", -0.5),
        ("shortwave_radiation_wm2", -3.0),
        ("kind", "guess"),
    ],
)
def test_weather_values_outside_their_physical_range_fail(column: str, value: Any) -> None:
    row = valid_row(SILVER_WEATHER, **{column: value})
    outcome = validate_table(SILVER_WEATHER, table_of(SILVER_WEATHER, row))
    assert_reported(outcome)
    assert [f["column"] for f in outcome.metadata["failures"]] == [column]
    assert outcome.metadata["failures"][0]["sample"] == str(value)


def test_forecast_rows_have_an_issue_time_and_observations_do_not() -> None:
    good = table_of(
        SILVER_WEATHER,
        valid_row(SILVER_WEATHER, kind="forecast", issued_at_utc=T0 - timedelta(hours=12)),
        valid_row(SILVER_WEATHER, kind="observation", issued_at_utc=None),
    )
    assert validate_table(SILVER_WEATHER, good).passed
    bad = table_of(
        SILVER_WEATHER,
        valid_row(SILVER_WEATHER, kind="forecast", issued_at_utc=None),
        valid_row(SILVER_WEATHER, kind="observation", issued_at_utc=T0 - timedelta(hours=1)),
    )
    outcome = validate_table(SILVER_WEATHER, bad)
    assert_reported(outcome)
    assert failed_checks(outcome) == {("*", "issued_at_utc_iff_kind_forecast")}
    assert outcome.failing_rows == 2


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("local_hour", 24),
        ("local_day_of_week", 7),
        ("local_day_of_week", -1),
        ("weather_source", "guess"),
        ("month", 13),
        ("heating_degree_c", -1.0),
    ],
)
def test_gold_feature_values_outside_their_domain_fail(column: str, value: Any) -> None:
    row = valid_row(GOLD_CONSUMPTION_FEATURES, **{column: value})
    outcome = validate_table(GOLD_CONSUMPTION_FEATURES, table_of(GOLD_CONSUMPTION_FEATURES, row))
    assert_reported(outcome)
    assert column in outcome.metadata["failed_columns"]


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("completeness_pct", 100.5),
        ("completeness_pct", -0.1),
        ("status", "great"),
        ("missing_intervals", -1),
    ],
)
def test_scorecard_values_outside_their_domain_fail(column: str, value: Any) -> None:
    row = valid_row(GOLD_QUALITY_SCORECARD, **{column: value})
    outcome = validate_table(GOLD_QUALITY_SCORECARD, table_of(GOLD_QUALITY_SCORECARD, row))
    assert_reported(outcome)
    assert [f["column"] for f in outcome.metadata["failures"]] == [column]


def test_an_unknown_time_zone_fails_silver_meters() -> None:
    row = valid_row(SILVER_METERS, timezone="Europe/Atlantis")
    outcome = validate_table(SILVER_METERS, table_of(SILVER_METERS, row))
    assert_reported(outcome)
    assert failed_checks(outcome) == {("timezone", "iana_timezone")}


def test_examples_name_the_row_its_key_and_every_check_it_failed() -> None:
    bad = readings_table(energy_kwh=[1.0, 2.0, float("nan"), 3.0], interval_minutes=[15, 15, 7, 15])
    outcome = validate_table(SILVER_METER_READINGS, bad)
    assert outcome.metadata["examples"] == [
        {
            "row": "2",
            "meter_id": "x",
            "interval_start_utc": "2024-01-01T00:30:00+00:00",
            "day": "2024-01-01",
            "failed": "interval_minutes:isin((5, 10, 15, 30, 60)) energy_kwh:finite",
        }
    ]
    assert outcome.description.startswith("silver/meter_readings: 1 of 4 rows break the contract")


# ---------------------------------------------------------------- scale


def test_a_hundred_thousand_valid_rows_pass_the_contract() -> None:
    n = 100_000
    starts = pa.array(
        np.datetime64("2024-01-01T00:00", "us") + np.arange(n) * np.timedelta64(15, "m")
    ).cast(pa.timestamp("us", tz="UTC"))
    table = (
        pa.table(
            {
                "meter_id": pa.array(["m1"] * n),
                "interval_start_utc": starts,
                "interval_minutes": pa.array(np.full(n, 15, np.int16)),
                "energy_kwh": pa.array(np.random.default_rng(0).uniform(0, 1, n)),
                "source": pa.array(["sim"] * n),
                **{
                    name: pa.array(np.zeros(n, bool))
                    for name in SILVER_METER_READINGS.columns
                    if name.startswith("is_")
                },
                "duplicates_removed": pa.array(np.zeros(n, np.int32)),
                "ingested_at_utc": starts,
                "day": pa.compute.cast(starts, pa.date32()),
            }
        )
        .select(SILVER_METER_READINGS.columns)
        .cast(SILVER_METER_READINGS.schema)
    )
    outcome = validate_table(SILVER_METER_READINGS, table)
    assert outcome.passed, outcome.description
    assert outcome.metadata["rows"] == 100_000
