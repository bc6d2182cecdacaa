"""The notebooks' read-only helpers, on a few inline rows in a temporary lake."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest

from checks.contracts import GOLD_FORECASTS, GOLD_QUALITY_SCORECARD
from energy_assets.defs.resources import MlflowResource
from energy_assets.exploration import forecast_views, lake_tables
from energy_assets.storage.lake import Lake
from ml.calendar_effects import holiday_like
from ml.features import HEATING_BASE_C
from ml.forecasting.model import MODEL_NAME

DAY_1, DAY_2, DAY_3 = date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 3)


def scorecard(rows: list[tuple[str, date, str]]) -> pa.Table:
    """Scorecard rows (meter, day, status); the counts do not matter here."""
    counts = {
        name: [0] * len(rows)
        for name in GOLD_QUALITY_SCORECARD.columns
        if name not in ("meter_id", "day", "status", "reasons", "completeness_pct")
    }
    return pa.table(
        {
            "meter_id": [r[0] for r in rows],
            "day": [r[1] for r in rows],
            "status": [r[2] for r in rows],
            "reasons": ["" for _ in rows],
            "completeness_pct": [100.0 for _ in rows],
            **counts,
        }
    ).select(GOLD_QUALITY_SCORECARD.columns)


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    """Version 0: two days of three meters; version 1 rewrites day 2 (m1 changed, m2 gone,
    m4 new)."""
    store = Lake(str(tmp_path / "lake"))
    first = [(m, d, "good") for d in (DAY_1, DAY_2) for m in ("m1", "m2", "m3")]
    store.replace_window(GOLD_QUALITY_SCORECARD, scorecard(first), DAY_1, DAY_3)
    rewritten = [("m1", DAY_2, "bad"), ("m3", DAY_2, "good"), ("m4", DAY_2, "degraded")]
    store.replace_window(GOLD_QUALITY_SCORECARD, scorecard(rewritten), DAY_2, DAY_3)
    return store


def test_version_diff_reads_only_rewritten_days_and_counts_added_removed_changed(
    lake: Lake,
) -> None:
    diff = lake_tables.version_diff(lake, GOLD_QUALITY_SCORECARD, 0, 1)

    assert diff.to_dicts() == [
        {
            "day": DAY_2,
            "rows_before": 3,
            "rows_after": 3,
            "rows_added": 1,
            "rows_removed": 1,
            "rows_changed": 1,
        }
    ]
    assert lake_tables.version_diff(lake, GOLD_QUALITY_SCORECARD, 1, 1).height == 0


def test_table_overview_gives_days_rows_and_version_from_the_delta_log(lake: Lake) -> None:
    overview = lake_tables.table_overview(lake)

    built = overview.filter(pl.col("is_built"))
    assert built["table"].to_list() == [GOLD_QUALITY_SCORECARD.path]
    assert built.select("days", "first_day", "last_day", "rows", "version").row(0) == (
        2,
        DAY_1,
        DAY_2,
        6,
        1,
    )
    assert lake_tables.rows_per_day(lake, GOLD_QUALITY_SCORECARD)["rows"].to_list() == [3, 3]
    history = lake_tables.version_history(lake, GOLD_QUALITY_SCORECARD)
    assert history["version"].to_list() == [1, 0]
    assert history["rows_added"].to_list() == [3, 6]


def test_a_table_not_built_or_not_in_the_contracts_gets_a_plain_message(lake: Lake) -> None:
    how = "materialize `gold/forecasts`"

    assert lake_tables.missing_table_message(GOLD_QUALITY_SCORECARD.path, lake, how) is None
    message = lake_tables.missing_table_message(GOLD_FORECASTS.path, lake, how)
    assert message is not None and "not built yet" in message and how in message
    unknown = lake_tables.missing_table_message("gold/not_a_table", lake, how)
    assert unknown is not None and "not built yet" in unknown


def test_no_mlflow_store_means_no_tracking_uri_and_none_is_created(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)

    assert forecast_views.tracking_uri(lake) is None
    assert not (Path(lake.root) / "mlflow").exists()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:////elsewhere/mlflow.db")
    assert forecast_views.tracking_uri(lake) == "sqlite:////elsewhere/mlflow.db"


def test_temperature_response_recovers_the_heating_slope() -> None:
    temperatures = [-5.0, 0.0, 4.0, 8.0, 12.0, 18.0]
    daily = pl.DataFrame(
        {
            "temperature_c": temperatures,
            "energy_kwh": [40.0 + 2.5 * max(HEATING_BASE_C - t, 0.0) for t in temperatures],
        }
    )

    fit = forecast_views.temperature_response(daily)

    assert fit is not None
    assert fit.heating_kwh_per_degc == pytest.approx(2.5)
    assert fit.base_kwh_per_day == pytest.approx(40.0)
    assert fit.cooling_kwh_per_degc is None
    assert forecast_views.temperature_response(daily.head(2)) is None


def test_accuracy_is_computed_per_group_over_known_actuals_only() -> None:
    scored = pl.DataFrame(
        {
            "model_used": ["model", "model", "fallback:profile", "model"],
            "energy_kwh": [1.0, 2.0, 1.0, None],
            "forecast_kwh": [1.5, 2.0, 3.0, 9.0],
            "p10_kwh": [0.5, 1.0, 2.0, 8.0],
            "p90_kwh": [2.0, 3.0, 4.0, 10.0],
        }
    )

    accuracy = forecast_views.accuracy_by(scored, "model_used")

    rows = {r["model_used"]: r for r in accuracy.to_dicts()}
    assert rows["model"]["rows"] == 2
    assert rows["model"]["mae"] == pytest.approx(0.25)
    assert rows["model"]["coverage_p10_p90"] == pytest.approx(100.0)
    assert rows["fallback:profile"]["mae"] == pytest.approx(2.0)
    assert rows["fallback:profile"]["coverage_p10_p90"] == pytest.approx(0.0)


def test_conditions_shift_the_temperature_curve_and_set_the_calendar() -> None:
    features = pl.DataFrame(
        {
            "temperature_c": [2.0, 6.0],
            "heating_degree_c": [13.5, 9.5],
            "cooling_degree_c": [0.0, 0.0],
            "local_day_of_week": pl.Series([2, 2], dtype=pl.Int8),
            "is_weekend": [False, False],
            "is_holiday": [False, False],
            "is_end_of_year": [False, False],
        }
    )

    weekend = forecast_views.with_conditions(features, 25.0, "weekend")

    assert weekend["temperature_c"].to_list() == [23.0, 27.0]
    assert weekend["heating_degree_c"].to_list() == [0.0, 0.0]
    assert weekend["cooling_degree_c"].to_list() == [1.0, 5.0]
    assert weekend["local_day_of_week"].to_list() == [5, 5]
    assert weekend["is_weekend"].to_list() == [True, True]
    assert weekend.schema == features.schema
    holiday = forecast_views.with_conditions(features, 4.0, "public holiday")
    assert holiday["is_holiday"].all() and holiday["temperature_c"].to_list() == [2.0, 6.0]
    with pytest.raises(ValueError, match="day type"):
        forecast_views.with_conditions(features, 4.0, "someday")


def test_a_working_day_what_if_in_the_end_of_year_period_is_not_a_holiday() -> None:
    features = pl.DataFrame(
        {
            "temperature_c": [2.0],
            "heating_degree_c": [13.5],
            "cooling_degree_c": [0.0],
            "local_day_of_week": pl.Series([4], dtype=pl.Int8),
            "is_weekend": [False],
            "is_holiday": [False],
            "is_end_of_year": [True],
        }
    )

    working = forecast_views.with_conditions(features, 2.0, "working day")

    assert not working.select(holiday_like()).to_series().any()


def test_the_model_name_is_the_one_the_forecasting_assets_register() -> None:
    assert MlflowResource().model_name == MODEL_NAME
