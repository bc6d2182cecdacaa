"""Baselines, fallbacks and the quantile model on small inline frames shaped like gold features."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from functools import partial

import numpy as np
import polars as pl
import pyarrow as pa
import pytest
from polars.testing import assert_frame_equal

from checks.contracts import GOLD_FORECAST_BACKTEST, GOLD_FORECASTS, GOLD_REGION_FORECASTS
from checks.forecasts import fallback_share
from checks.schemas.validation import validate_table
from ml.forecasting import backtest as backtest_module
from ml.forecasting.backtest import daily_scores, run_backtest
from ml.forecasting.baselines import (
    FLEET_PROFILE,
    LAST_WEEK_FALLBACK,
    METER_PROFILE,
    NO_HISTORY,
    fallback_forecasts,
    known_at_issue,
    naive_forecasts,
)
from ml.forecasting.inputs import (
    MIN_HISTORY_DAYS,
    MODEL_INPUTS,
    design_matrix,
    fallback_reasons,
    meter_levels,
    model_inputs,
)
from ml.forecasting.model import (
    TARGET_COVERAGE,
    TrainingParams,
    band_needs,
    band_scale_for,
    expected_consumption,
    forecast,
    forecast_rows,
    predict,
    region_rows,
    train,
)
from ml.forecasting.periods import (
    FittedModel,
    fit_period,
    period_start,
    period_starts,
    train_period,
)

ISSUE_HOUR = 12


def hourly_features(
    meters: dict[str, float], first: date, days: int, seed: int = 0
) -> pl.DataFrame:
    """Gold-feature-like rows: hourly meters (UTC = local), a daily shape times each meter's scale,
    temperature-driven, with lags computed from the same series."""
    rng = np.random.default_rng(seed)
    rows = []
    for meter, scale in meters.items():
        for offset in range(days):
            day = first + timedelta(days=offset)
            temperature = 5 + 10 * math.sin(offset / 5)
            for hour in range(24):
                shape = 1.0 + 0.8 * math.sin((hour - 6) / 24 * 2 * math.pi)
                energy = scale * shape * (1 + 0.02 * (15 - temperature)) * rng.normal(1, 0.03)
                rows.append(
                    {
                        "meter_id": meter,
                        "region": "north",
                        "interval_start_utc": datetime(
                            day.year, day.month, day.day, hour, tzinfo=UTC
                        ),
                        "interval_minutes": 60,
                        "energy_kwh": energy,
                        "local_minute_of_day": hour * 60,
                        "local_day_of_week": day.weekday(),
                        "is_weekend": day.weekday() >= 5,
                        "is_holiday": False,
                        "is_bridge_day": False,
                        "is_end_of_year": False,
                        "month": day.month,
                        "temperature_c": temperature,
                        "observed_temperature_c": temperature,
                        "relative_humidity_pct": 70.0,
                        "wind_speed_ms": 3.0,
                        "cloud_cover_pct": 50.0,
                        "shortwave_radiation_wm2": 100.0,
                        "heating_degree_c": max(15.5 - temperature, 0.0),
                        "cooling_degree_c": 0.0,
                        "weather_source": "forecast",
                        "day": day,
                    }
                )
    frame = pl.DataFrame(rows).with_columns(
        pl.col("interval_minutes").cast(pl.Int16), pl.col("local_minute_of_day").cast(pl.Int16)
    )
    by_time = frame.select("meter_id", "interval_start_utc", "energy_kwh")
    for lag in (1, 2, 7):
        shifted = by_time.with_columns(pl.col("interval_start_utc") + timedelta(days=lag)).rename(
            {"energy_kwh": f"lag_{lag}d_kwh"}
        )
        frame = frame.join(shifted, on=["meter_id", "interval_start_utc"], how="left")
    return frame.sort("meter_id", "interval_start_utc")


def test_the_one_day_lag_is_blanked_where_it_ended_after_the_issue_time() -> None:
    frame = hourly_features({"m": 1.0}, date(2024, 1, 1), 3).filter(
        pl.col("day") == date(2024, 1, 3)
    )
    known = known_at_issue(frame, ISSUE_HOUR)
    # Issue at Jan 2 12:00: the reading of Jan 2 11:00-12:00 is known, 12:00-13:00 is not.
    assert known["lag_1d_kwh"].is_not_null().to_list() == [True] * 12 + [False] * 12
    assert known["lag_2d_kwh"].is_not_null().all()


def test_same_time_yesterday_falls_back_to_the_day_before_where_yesterday_was_not_known() -> None:
    frame = pl.DataFrame(
        {"lag_1d_kwh": [1.0, None], "lag_2d_kwh": [2.0, 3.0], "lag_7d_kwh": [4.0, None]}
    )
    naive = naive_forecasts(frame)
    assert naive["same_time_yesterday"].to_list() == [1.0, 3.0]
    assert naive["same_time_last_week"].to_list() == [4.0, None]


def test_fallbacks_apply_in_order_last_week_meter_profile_fleet_profile_then_zero() -> None:
    history = pl.DataFrame(
        {
            "meter_id": ["a", "a", "b"],
            "local_minute_of_day": [0, 0, 60],
            "energy_kwh": [1.0, 3.0, 5.0],
        }
    )
    targets = pl.DataFrame(
        {
            "meter_id": ["a", "a", "new", "new"],
            "local_minute_of_day": [0, 0, 60, 120],
            "lag_7d_kwh": [2.5, None, None, None],
        }
    )
    result = fallback_forecasts(targets, history)
    assert result["model_used"].to_list() == [
        LAST_WEEK_FALLBACK,
        METER_PROFILE,
        FLEET_PROFILE,
        NO_HISTORY,
    ]
    assert result["forecast_kwh"].to_list() == pytest.approx([2.5, 2.0, 5.0, 0.0])
    assert (result["p10_kwh"] <= result["forecast_kwh"]).all()
    assert (result["forecast_kwh"] <= result["p90_kwh"]).all()


def test_meter_level_uses_only_whole_days_before_the_issue_day() -> None:
    history = pl.DataFrame(
        {
            "meter_id": ["m"] * 3,
            "day": [date(2024, 1, 8), date(2024, 1, 9), date(2024, 1, 10)],
            "energy_kwh": [2.0, 100.0, 100.0],
        }
    )
    levels = meter_levels(
        history,
        pl.DataFrame({"meter_id": ["m", "m"], "day": [date(2024, 1, 10), date(2024, 1, 1)]}),
    )
    by_day = {row["day"]: row for row in levels.to_dicts()}
    # Target Jan 10 is issued Jan 9 noon: Jan 8 is the last whole day known.
    assert by_day[date(2024, 1, 10)]["level_kwh"] == pytest.approx(2.0)
    assert by_day[date(2024, 1, 10)]["history_days"] == 1
    assert by_day[date(2024, 1, 1)]["history_days"] == 0


def test_the_day_temperature_is_the_mean_of_the_target_days_forecast_per_meter() -> None:
    features = hourly_features({"a": 1.0, "b": 2.0}, date(2024, 1, 1), 20)
    target = date(2024, 1, 20)
    features = features.with_columns(
        temperature_c=pl.when(pl.col("day") == target)
        .then(pl.col("local_minute_of_day") / 60.0)
        .otherwise(pl.col("temperature_c"))
    )
    inputs = model_inputs(features.filter(pl.col("day") == target), features, ISSUE_HOUR)
    assert inputs["day_temperature_c"].to_list() == [11.5] * inputs.height


def test_an_end_of_year_working_day_gets_the_profile_and_flag_of_a_holiday() -> None:
    features = hourly_features({"m": 1.0}, date(2024, 12, 1), 31).with_columns(
        is_end_of_year=pl.col("day") >= date(2024, 12, 24)
    )
    day_off = pl.col("is_end_of_year") | (pl.col("local_day_of_week") == 6)
    saturday = pl.col("local_day_of_week") == 5
    features = features.with_columns(
        energy_kwh=pl.when(day_off).then(0.3).when(saturday).then(0.6).otherwise(1.0)
    )
    targets = [date(2024, 12, 20), date(2024, 12, 27)]  # Fridays, before and in the period
    inputs = model_inputs(features.filter(pl.col("day").is_in(targets)), features, ISSUE_HOUR)
    profiles = dict(inputs.group_by("day").agg(pl.col("profile_kwh").unique()).iter_rows())
    assert profiles == {date(2024, 12, 20): [1.0], date(2024, 12, 27): [pytest.approx(0.3)]}
    seen = design_matrix(inputs)[:, MODEL_INPUTS.index("is_holiday")]
    assert seen.tolist() == [float(d == date(2024, 12, 27)) for d in inputs["day"]]


def test_the_model_beats_last_week_on_a_weather_driven_series_and_bands_hold_the_forecast() -> None:
    features = hourly_features({"small": 0.5, "large": 20.0}, date(2024, 1, 1), 60)
    week = date(2024, 2, 26)
    fitted = fit_period(
        features, features, week, TrainingParams(train_days=42, num_boost_round=60), ISSUE_HOUR
    )
    assert not isinstance(fitted, str)
    assert fitted.metrics["skill_vs_best_baseline"] > 0
    holdout = fitted.holdout
    assert (holdout["p10_kwh"] <= holdout["forecast_kwh"]).all()
    assert (holdout["forecast_kwh"] <= holdout["p90_kwh"]).all()
    assert set(holdout["model_used"]) == {"candidate"}


def test_a_period_continues_the_previous_booster_until_its_warm_starts_are_used_up() -> None:
    features = hourly_features({"small": 0.5, "large": 20.0}, date(2024, 1, 1), 70)
    params = TrainingParams(
        train_days=42, num_boost_round=20, warm_start_rounds=5, warm_starts=1, calibration_periods=4
    )
    first = fit_period(features, features, date(2024, 2, 19), params, ISSUE_HOUR)
    assert not isinstance(first, str) and first.warm_starts == 0
    second = fit_period(features, features, date(2024, 2, 26), params, ISSUE_HOUR, first)
    assert not isinstance(second, str) and second.warm_starts == 1
    # The continued booster holds the previous trees and at most `warm_start_rounds` more.
    added = second.booster.num_boosted_rounds() - first.booster.num_boosted_rounds()
    assert 1 <= added <= params.warm_start_rounds
    third = fit_period(features, features, date(2024, 3, 4), params, ISSUE_HOUR, second)
    assert not isinstance(third, str) and third.warm_starts == 0
    assert third.booster.num_boosted_rounds() <= params.num_boost_round
    # The band is calibrated on the held-out weeks so far, each as its period's model saw it.
    assert [len(needs) for needs in third.band_needs] == [len(second.band_needs[0])] * 3
    assert third.band_scale == band_scale_for(np.concatenate(third.band_needs))


def test_the_band_is_calibrated_to_the_target_on_the_last_calibration_periods_weeks() -> None:
    features = hourly_features({"small": 0.5, "large": 20.0}, date(2024, 1, 1), 70)
    params = TrainingParams(train_days=42, num_boost_round=20, calibration_periods=2)
    fitted: FittedModel | None = None
    for week in (date(2024, 2, 19), date(2024, 2, 26), date(2024, 3, 4)):
        trained = fit_period(features, features, week, params, ISSUE_HOUR, fitted)
        assert not isinstance(trained, str)
        fitted = trained
    assert fitted is not None
    # The oldest week left the window: two weeks of earnest needs, pooled at the target.
    assert len(fitted.band_needs) == params.calibration_periods
    pooled = np.concatenate(fitted.band_needs)
    assert fitted.band_scale == np.quantile(pooled, TARGET_COVERAGE)
    held = np.mean(pooled <= fitted.band_scale)
    assert held == pytest.approx(TARGET_COVERAGE, abs=1 / len(pooled))


def test_band_needs_are_how_far_the_band_must_stretch_to_hold_each_actual() -> None:
    quantiles = np.array([[8.0, 10.0, 14.0]] * 4)
    needs = band_needs(np.array([10.0, 14.0, 6.0, 16.0]), quantiles)
    assert needs.tolist() == [0.0, 1.0, 2.0, 1.5]


def test_training_stops_when_the_held_out_loss_stops_improving_and_keeps_the_best_round() -> None:
    features = hourly_features({"small": 0.5, "large": 20.0}, date(2024, 1, 1), 42)
    inputs = model_inputs(features, features, ISSUE_HOUR)
    held_out = pl.col("day") >= date(2024, 2, 5)
    booster = train(
        inputs.filter(~held_out),
        TrainingParams(num_boost_round=500, early_stopping_rounds=3),
        inputs.filter(held_out),
    )
    assert booster.num_boosted_rounds() < 500
    assert booster.num_boosted_rounds() == booster.best_iteration + 1


def test_a_window_too_short_to_train_says_why_instead_of_raising() -> None:
    features = hourly_features({"m": 1.0}, date(2024, 1, 1), 10)
    outcome = fit_period(features, features, date(2024, 1, 11), TrainingParams(), ISSUE_HOUR)
    assert isinstance(outcome, str) and "needs 14" in outcome


def test_rows_the_model_cannot_take_get_a_named_fallback_and_a_reason() -> None:
    features = hourly_features({"old": 1.0, "fresh": 2.0}, date(2024, 1, 1), 30)
    # "fresh" appeared the day before the target; "old" lost its weather for the target day.
    target_day = date(2024, 1, 30)
    features = features.filter((pl.col("meter_id") == "old") | (pl.col("day") >= date(2024, 1, 29)))
    is_fresh = pl.col("meter_id") == "fresh"
    features = features.with_columns(
        lag_2d_kwh=pl.when(is_fresh).then(None).otherwise(pl.col("lag_2d_kwh")),
        lag_7d_kwh=pl.when(is_fresh).then(None).otherwise(pl.col("lag_7d_kwh")),
        weather_source=pl.when(
            (pl.col("meter_id") == "old")
            & (pl.col("day") == target_day)
            & (pl.col("local_minute_of_day") < 120)
        )
        .then(pl.lit("missing"))
        .otherwise(pl.col("weather_source")),
    )
    booster = train(
        model_inputs(features.filter(pl.col("day") < date(2024, 1, 29)), features, ISSUE_HOUR),
        TrainingParams(num_boost_round=10),
    )
    history = features.filter(pl.col("day") < target_day - timedelta(days=1))
    inputs = model_inputs(features.filter(pl.col("day") == target_day), history, ISSUE_HOUR)
    result = forecast(lambda rows: predict(booster, rows), inputs, history, "model")

    assert result.height == inputs.height and result["forecast_kwh"].is_not_null().all()
    fresh = result.filter(pl.col("meter_id") == "fresh")
    assert set(fresh["model_used"]) == {FLEET_PROFILE}
    assert fresh["fallback_reason"][0].startswith("too little history: 0 whole days")
    assert f"(needs {MIN_HISTORY_DAYS})" in fresh["fallback_reason"][0]
    old = result.filter(pl.col("meter_id") == "old")
    assert (
        old.filter(pl.col("local_minute_of_day") < 120)["fallback_reason"].to_list()
        == ["no weather known at issue time"] * 2
    )
    assert set(old.filter(pl.col("local_minute_of_day") >= 120)["model_used"]) == {"model"}


def test_forecast_and_region_rows_match_their_contracts() -> None:
    features = hourly_features({"a": 1.0, "b": 2.0}, date(2024, 1, 1), 10)
    day = date(2024, 1, 10)
    history = features.filter(pl.col("day") < day - timedelta(days=1))
    inputs = model_inputs(features.filter(pl.col("day") == day), history, ISSUE_HOUR)
    result = forecast(None, inputs, history, "model")
    rows = forecast_rows(result, datetime(2024, 1, 9, 12, tzinfo=UTC), "model", None)
    regions = region_rows(rows)

    assert validate_table(GOLD_FORECASTS, rows).passed
    assert validate_table(GOLD_REGION_FORECASTS, regions).passed
    assert regions.num_rows == 24 and set(regions["meters"].to_pylist()) == {2}
    assert sum(regions["forecast_kwh"].to_pylist()) == pytest.approx(
        sum(rows["forecast_kwh"].to_pylist())
    )
    assert not fallback_share(rows).passed  # every row is a fallback: no model


def test_fallback_share_passes_when_the_model_made_most_rows() -> None:
    table = pa.table({"meter_id": ["a"] * 10, "fallback_reason": [None] * 9 + ["no weather"]})
    outcome = fallback_share(table)
    assert outcome.passed and outcome.metadata["fallback_rows"] == 1
    assert outcome.metadata["reasons"] == [{"reason": "no weather", "rows": 1, "meters": 1}]


def test_training_periods_start_on_days_mondays_or_first_days_of_months() -> None:
    first, end = date(2024, 1, 3), date(2024, 3, 2)
    assert period_starts(first, end, "weekly")[:3] == [
        date(2024, 1, 8),
        date(2024, 1, 15),
        date(2024, 1, 22),
    ]
    assert period_starts(first, end, "monthly") == [date(2024, 2, 1), date(2024, 3, 1)]
    assert len(period_starts(first, end, "daily")) == (end - first).days
    assert period_start(date(2024, 1, 10), "weekly") == date(2024, 1, 8)
    with pytest.raises(ValueError, match="unknown training cadence 'hourly'"):
        period_start(first, "hourly")


def test_the_backtest_replays_every_week_with_a_model_trained_before_it() -> None:
    features = hourly_features({"a": 1.0, "b": 5.0}, date(2024, 1, 1), 42)
    result = run_backtest(features, TrainingParams(train_days=28, num_boost_round=20), ISSUE_HOUR)

    assert not isinstance(result, str)
    weeks = result.periods.sort("period_start")
    assert weeks["period_start"].to_list() == period_starts(
        date(2024, 1, 1), date(2024, 2, 12), "weekly"
    )
    # Training needs 14 days of usable rows before the held-out week: from the fifth week on.
    assert weeks["trained"].to_list() == [False, False, False, False, True, True]
    assert result.meters["meter_id"].to_list() == ["a", "b"]
    # A period's model forecasts the days issued during it: the history's first day was issued
    # before the history began, and is not replayed.
    assert result.forecasts["day"].min() == date(2024, 1, 2)
    assert 0 < result.metrics["model_rows_pct"] < 100
    assert "region_mape" in result.metrics and "meters_positive_skill_pct" in result.metrics


def test_a_backtest_from_a_first_period_replays_only_the_weeks_from_then() -> None:
    features = hourly_features({"a": 1.0, "b": 5.0}, date(2024, 1, 1), 42)
    result = run_backtest(
        features,
        TrainingParams(train_days=28, num_boost_round=10),
        ISSUE_HOUR,
        first_period=date(2024, 2, 5),
    )
    assert not isinstance(result, str)
    assert result.periods["period_start"].to_list() == [date(2024, 2, 5)]
    assert result.periods["trained"].to_list() == [True]
    assert result.forecasts["day"].min() == date(2024, 2, 6)
    assert "meters_positive_skill_pct" in result.periods.columns
    assert (result.periods["train_cpu_s"] > 0).all() and (result.periods["train_wall_s"] > 0).all()


def test_a_backtest_from_a_first_period_trains_the_calibration_weeks_before_it_unscored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    features = hourly_features({"a": 1.0, "b": 5.0}, date(2024, 1, 1), 56)
    trained: list[tuple[date, bool]] = []

    def recorded(
        inputs: pl.DataFrame,
        start: date,
        params: TrainingParams,
        previous: FittedModel | None = None,
    ) -> FittedModel | str:
        trained.append((start, previous is not None))
        return train_period(inputs, start, params, previous)

    monkeypatch.setattr(backtest_module, "train_period", recorded)
    result = run_backtest(
        features,
        TrainingParams(train_days=21, num_boost_round=10, calibration_periods=2),
        ISSUE_HOUR,
        first_period=date(2024, 2, 19),
    )

    assert not isinstance(result, str)
    # The two weeks before the first scored one are trained (chained), not scored.
    assert trained == [
        (date(2024, 2, 5), False),
        (date(2024, 2, 12), True),
        (date(2024, 2, 19), True),
    ]
    assert result.periods["period_start"].to_list() == [date(2024, 2, 19)]
    assert result.forecasts["day"].min() == date(2024, 2, 20)


def test_a_monthly_backtest_trains_once_a_month() -> None:
    features = hourly_features({"a": 1.0}, date(2024, 1, 1), 60)
    result = run_backtest(
        features, TrainingParams(train_days=28, num_boost_round=10), ISSUE_HOUR, "monthly"
    )
    assert not isinstance(result, str)
    assert result.periods["period_start"].to_list() == [date(2024, 1, 1), date(2024, 2, 1)]
    assert result.periods["trained"].to_list() == [False, True]
    assert result.forecasts["day"].max() == date(2024, 2, 29)


def test_a_backtest_read_a_day_at_a_time_equals_it_read_a_week_at_a_time() -> None:
    features = hourly_features({"a": 1.0, "b": 5.0, "c": 2.0}, date(2024, 1, 1), 45)
    params = TrainingParams(train_days=28, num_boost_round=10)
    weekly = run_backtest(features, params, ISSUE_HOUR, chunk_days=7)
    daily = run_backtest(features, params, ISSUE_HOUR, chunk_days=1)
    assert not isinstance(weekly, str) and not isinstance(daily, str)

    # Only the scored columns are kept; a level or profile may differ in its last bits (window
    # sums are differences of running sums, which start where the chunk's read starts).
    assert daily.forecasts.columns == weekly.forecasts.columns
    assert "level_kwh" not in daily.forecasts.columns
    assert_frame_equal(daily_scores(daily.forecasts), daily_scores(weekly.forecasts), rel_tol=1e-12)
    assert_frame_equal(daily.meters, weekly.meters, rel_tol=1e-12)
    assert daily.metrics == pytest.approx(weekly.metrics, rel=1e-12)
    costs = ["train_wall_s", "train_cpu_s"]
    assert_frame_equal(daily.periods.drop(costs), weekly.periods.drop(costs), rel_tol=1e-12)
    assert daily.periods["trained"].to_list() == [False, False, False, False, True, True, True]


def test_daily_backtest_scores_hold_every_forecaster_per_meter_and_region_day() -> None:
    features = hourly_features({"a": 1.0, "b": 5.0}, date(2024, 1, 1), 28)
    result = run_backtest(features, TrainingParams(train_days=21, num_boost_round=10), ISSUE_HOUR)
    assert not isinstance(result, str)
    scores = daily_scores(result.forecasts)
    table = (
        scores.with_columns(
            mlflow_run_id=pl.lit("run"),
            backtested_at_utc=pl.lit(datetime(2024, 3, 1, tzinfo=UTC)),
        )
        .select(GOLD_FORECAST_BACKTEST.columns)
        .to_arrow()
        .cast(GOLD_FORECAST_BACKTEST.schema)
    )
    assert validate_table(GOLD_FORECAST_BACKTEST, table).passed
    meter_day = scores.filter(
        (pl.col("level") == "meter")
        & (pl.col("entity_id") == "b")
        & (pl.col("day") == date(2024, 1, 20))
    )
    assert sorted(meter_day["forecaster"]) == [
        "forecast",
        "same_time_last_week",
        "same_time_yesterday",
    ]
    assert meter_day["intervals"].unique().to_list() == [24]
    region_day = scores.filter((pl.col("level") == "region") & (pl.col("day") == date(2024, 1, 20)))
    assert region_day["entity_id"].unique().to_list() == ["north"]
    both = (
        meter_day.filter(pl.col("forecaster") == "forecast")["actual_kwh"].item()
        + scores.filter(
            (pl.col("level") == "meter")
            & (pl.col("entity_id") == "a")
            & (pl.col("day") == date(2024, 1, 20))
            & (pl.col("forecaster") == "forecast")
        )["actual_kwh"].item()
    )
    assert region_day["actual_kwh"][0] == pytest.approx(both)
    baseline = meter_day.filter(pl.col("forecaster") == "same_time_last_week")
    assert (
        baseline["coverage_pct"].is_null().all() and baseline["fallback_intervals"].is_null().all()
    )


def test_a_backtest_without_history_says_so() -> None:
    empty = hourly_features({"a": 1.0}, date(2024, 1, 1), 1).clear()
    assert run_backtest(empty, TrainingParams(), ISSUE_HOUR) == "no gold features to replay"


def test_a_nan_input_falls_back_for_that_row_only() -> None:
    features = hourly_features({"m": 1.0}, date(2024, 1, 1), 10)
    day = date(2024, 1, 10)
    history = features.filter(pl.col("day") < day - timedelta(days=1))
    inputs = model_inputs(features.filter(pl.col("day") == day), history, ISSUE_HOUR)
    inputs = inputs.with_columns(
        temperature_c=pl.when(pl.col("local_minute_of_day") == 0)
        .then(float("nan"))
        .otherwise(pl.col("temperature_c"))
    )
    reasons = fallback_reasons(inputs, has_model=True)
    assert reasons.to_list() == ["non-finite model input"] + [None] * 23


def test_expected_consumption_follows_the_observed_temperature_not_the_forecast() -> None:
    features = hourly_features({"small": 0.5, "large": 20.0}, date(2024, 1, 1), 60)
    week = date(2024, 2, 26)
    fitted = fit_period(
        features, features, week, TrainingParams(train_days=42, num_boost_round=60), ISSUE_HOUR
    )
    assert not isinstance(fitted, str)
    day = features.filter(pl.col("day") == week)
    history = features.filter(pl.col("day") < week)
    predictor = partial(predict, fitted.booster)
    as_forecast = day.with_columns(observed_temperature_c=pl.col("temperature_c"))
    colder = day.with_columns(observed_temperature_c=pl.col("temperature_c") - 12.0)
    unobserved = day.with_columns(observed_temperature_c=pl.lit(None, pl.Float64))

    expected = expected_consumption(predictor, as_forecast, history, ISSUE_HOUR)
    when_colder = expected_consumption(predictor, colder, history, ISSUE_HOUR)
    without = expected_consumption(predictor, unobserved, history, ISSUE_HOUR)

    # The series is heating-driven: a colder observed day is expected to consume more.
    assert when_colder["expected_kwh"].sum() > expected["expected_kwh"].sum()
    assert set(when_colder["weather_source"]) == {"observation"}
    assert set(without["weather_source"]) == {"forecast"}
    assert (when_colder["expected_low_kwh"] <= when_colder["expected_kwh"]).all()
    assert (when_colder["expected_kwh"] <= when_colder["expected_high_kwh"]).all()
    assert when_colder["fallback_reason"].is_null().all()


def test_expected_consumption_without_a_model_falls_back_with_a_reason() -> None:
    features = hourly_features({"m": 1.0}, date(2024, 1, 1), 15)
    day = features.filter(pl.col("day") == date(2024, 1, 15))
    history = features.filter(pl.col("day") < date(2024, 1, 15))
    expected = expected_consumption(None, day, history, ISSUE_HOUR)
    assert expected.height == day.height
    assert set(expected["model_used"]) == {LAST_WEEK_FALLBACK}
    assert expected["expected_kwh"].is_not_null().all()
    assert set(expected["fallback_reason"]) == {"no trained model for this target day"}
