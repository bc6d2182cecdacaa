"""`lags_current`: a lag must equal silver's reading of its lag day as silver holds it now."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl

from checks.domain.lags import lags_current

T = datetime(2024, 3, 11, 10, tzinfo=UTC)


def features(lag_1d: float | None, lag_2d: float | None) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "meter_id": ["M1"],
            "interval_start_utc": [T],
            "day": [date(2024, 3, 11)],
            "lag_1d_kwh": [lag_1d],
            "lag_2d_kwh": [lag_2d],
        },
        schema_overrides={"lag_1d_kwh": pl.Float64, "lag_2d_kwh": pl.Float64},
    )


SILVER = pl.DataFrame(
    {
        "meter_id": ["M1", "M1"],
        "interval_start_utc": [T - timedelta(days=1), T - timedelta(days=2)],
        "energy_kwh": [2.0, None],
    }
)


def test_lags_equal_to_silver_pass() -> None:
    assert lags_current(features(2.0, None), SILVER, (1, 2)).passed


def test_a_lag_missing_while_silver_has_its_day_fails_naming_the_day_to_rebuild() -> None:
    outcome = lags_current(features(None, None), SILVER, (1, 2))

    assert not outcome.passed
    assert outcome.failing_rows == 1
    assert outcome.metadata["stale_days"] == "2024-03-11"
    assert "rebuild the features of: 2024-03-11" in outcome.description


def test_a_lag_silver_no_longer_holds_fails() -> None:
    assert not lags_current(features(2.0, 5.0), SILVER, (1, 2)).passed
    assert not lags_current(features(3.0, None), SILVER, (1, 2)).passed


def test_a_lag_day_silver_does_not_hold_must_be_null() -> None:
    assert lags_current(features(2.0, None), SILVER.head(1), (1, 2)).passed
    assert not lags_current(features(2.0, 1.0), SILVER.head(1), (1, 2)).passed


def test_dictionary_encoded_ids_compare_as_their_strings() -> None:
    encoded = features(2.0, None).with_columns(pl.col("meter_id").cast(pl.Categorical))
    assert lags_current(encoded, SILVER, (1, 2)).passed


def test_dictionary_encoded_silver_ids_compare_as_their_strings() -> None:
    encoded = SILVER.with_columns(pl.col("meter_id").cast(pl.Categorical))
    assert lags_current(features(2.0, None), encoded, (1, 2)).passed
    assert not lags_current(features(3.0, None), encoded.to_arrow(), (1, 2)).passed
