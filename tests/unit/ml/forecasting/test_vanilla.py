"""Tao Hong's vanilla regression on small inline series with a known temperature response."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from ml.forecasting import vanilla
from ml.forecasting.inputs import model_inputs
from ml.forecasting.model import TrainingParams, forecast
from ml.forecasting.periods import fit_period
from tests.unit.ml.forecasting.test_model import ISSUE_HOUR, hourly_features


def series(
    first: date, days: int, temperature_of_day, with_temperature: bool = True
) -> pl.DataFrame:
    """Hourly rows of one meter: a daily shape, a weekend dip, less load when it is warmer."""
    rows = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        temperature = temperature_of_day(offset)
        for hour in range(24):
            load = 10 + 3 * np.sin(hour / 24 * 2 * np.pi) - 2 * (day.weekday() >= 5)
            rows.append(
                {
                    "meter_id": "m",
                    "interval_start_utc": datetime(day.year, day.month, day.day, hour, tzinfo=UTC),
                    "day": day,
                    "local_minute_of_day": hour * 60,
                    "local_day_of_week": day.weekday(),
                    "month": day.month,
                    "temperature_c": temperature if with_temperature else None,
                    "energy_kwh": load + 0.3 * (20 - temperature),
                }
            )
    return pl.DataFrame(rows, schema_overrides={"temperature_c": pl.Float64})


def test_the_regression_learns_calendar_and_temperature_and_forecasts_a_later_week() -> None:
    history = series(date(2024, 1, 1), 84, lambda d: 5 + 10 * np.sin(d / 4))
    models = vanilla.fit(history)
    week = series(date(2024, 3, 25), 7, lambda d: 5 + 9 * np.sin(d / 3))
    predicted = vanilla.predict(models, week)
    error = np.abs(predicted["vanilla_kwh"].to_numpy() - week["energy_kwh"].to_numpy())
    assert error.mean() < 0.1
    assert set(predicted["vanilla_used"]) == {vanilla.VANILLA}
    assert (predicted["vanilla_p10_kwh"] <= predicted["vanilla_kwh"]).all()
    assert (predicted["vanilla_kwh"] <= predicted["vanilla_p90_kwh"]).all()


def test_temperatures_beyond_the_training_range_are_clipped_not_extrapolated() -> None:
    history = series(date(2024, 1, 1), 60, lambda d: 0 + 10 * (d % 7) / 6)
    models = vanilla.fit(history)
    at_edge = series(date(2024, 3, 4), 1, lambda _: 10.0)
    far_beyond = series(date(2024, 3, 4), 1, lambda _: 40.0)
    assert vanilla.predict(models, far_beyond)["vanilla_kwh"].to_list() == pytest.approx(
        vanilla.predict(models, at_edge)["vanilla_kwh"].to_list()
    )


def test_a_month_never_seen_takes_the_nearest_seen_month() -> None:
    assert vanilla.nearest_months(np.array([0, 1, 2]))[[3, 11, 6]].tolist() == [2, 0, 2]
    history = series(date(2024, 1, 1), 60, lambda d: 5.0)
    april = series(date(2024, 4, 1), 1, lambda _: 5.0)
    predicted = vanilla.predict(vanilla.fit(history), april)["vanilla_kwh"].to_numpy()
    assert np.abs(predicted - april["energy_kwh"].to_numpy()).mean() < 0.1


def test_a_meter_without_temperature_gets_the_calendar_only_regression() -> None:
    history = series(date(2024, 1, 1), 42, lambda _: 5.0, with_temperature=False)
    models = vanilla.fit(history)
    assert not models["m"].uses_temperature
    week = series(date(2024, 2, 12), 7, lambda _: 5.0, with_temperature=False)
    predicted = vanilla.predict(models, week)
    assert set(predicted["vanilla_used"]) == {vanilla.VANILLA_NO_TEMPERATURE}
    assert np.abs(predicted["vanilla_kwh"] - week["energy_kwh"]).mean() < 0.1


def test_too_little_history_gives_no_regression_and_null_forecasts() -> None:
    models = vanilla.fit(series(date(2024, 1, 1), 3, lambda _: 5.0))
    assert models == {}
    predicted = vanilla.predict(models, series(date(2024, 1, 4), 1, lambda _: 5.0))
    assert predicted["vanilla_kwh"].is_null().all()
    assert predicted["vanilla_used"].is_null().all()


def test_a_row_without_the_temperature_its_regression_needs_gets_no_forecast() -> None:
    models = vanilla.fit(series(date(2024, 1, 1), 42, lambda d: 5 + d % 5))
    day = series(date(2024, 2, 12), 1, lambda _: 5.0).with_columns(
        temperature_c=pl.when(pl.col("local_minute_of_day") < 60).then(None).otherwise(5.0)
    )
    predicted = vanilla.predict(models, day)
    assert predicted["vanilla_kwh"].null_count() == 1
    assert predicted["vanilla_used"].null_count() == 1


def test_rows_without_a_model_get_the_vanilla_fallback_named_in_model_used() -> None:
    features = hourly_features({"a": 1.0, "b": 4.0}, date(2024, 1, 1), 42)
    fitted = fit_period(
        features, features, date(2024, 2, 5), TrainingParams(num_boost_round=10), ISSUE_HOUR
    )
    assert not isinstance(fitted, str) and set(fitted.vanilla) == {"a", "b"}
    target = features.filter(pl.col("day") == date(2024, 2, 6))
    inputs = model_inputs(target, features, ISSUE_HOUR)
    result = forecast(None, inputs, features, "m", fitted.vanilla)
    assert set(result["model_used"]) == {vanilla.VANILLA}
    assert result["fallback_reason"].is_not_null().all()
    assert (result["p10_kwh"] <= result["forecast_kwh"]).all()
    assert (result["forecast_kwh"] <= result["p90_kwh"]).all()
    assert "vanilla_mape" in fitted.metrics and "skill_vs_best_baseline" in fitted.metrics


def test_regressions_survive_their_json_round_trip() -> None:
    history = series(date(2024, 1, 1), 42, lambda d: 5 + d % 5)
    models = vanilla.fit(history)
    restored = vanilla.from_json(json.loads(json.dumps(vanilla.to_json(models))))
    week = series(date(2024, 2, 12), 7, lambda d: 5 + d % 5)
    assert vanilla.predict(restored, week).equals(vanilla.predict(models, week))
