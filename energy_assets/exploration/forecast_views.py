"""Forecasts for the notebooks: accuracy against actuals, the temperature response, and the
champion model's what-if curve under changed conditions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from checks.contracts import (
    GOLD_CONSUMPTION_FEATURES,
)
from energy_assets.exploration.lake_tables import load_window
from energy_assets.settings import mlflow_tracking_uri
from energy_assets.storage.lake import Lake
from ml.features import COOLING_BASE_C, HEATING_BASE_C
from ml.forecasting.evaluation import forecast_metrics
from ml.forecasting.inputs import GOLD_COLUMNS, LEVEL_DAYS, model_inputs
from ml.forecasting.model import MODEL_NAME, Predictor, forecast

DAY_TYPES = ("as scheduled", "working day", "weekend", "public holiday")


@dataclass(frozen=True)
class TemperatureResponse:
    """Daily consumption = base + heating slope x heating degrees + cooling slope x cooling
    degrees (°C below `HEATING_BASE_C`, above `COOLING_BASE_C`); a slope is None when the days
    hold no such degrees to fit it on."""

    base_kwh_per_day: float
    heating_kwh_per_degc: float | None
    cooling_kwh_per_degc: float | None
    days: int


def temperature_response(daily: pl.DataFrame) -> TemperatureResponse | None:
    """Least-squares heating/cooling slopes of `daily` (`energy_kwh`, `temperature_c` per day);
    None with fewer than three days."""
    rows = daily.drop_nulls(["energy_kwh", "temperature_c"])
    if rows.height < 3:
        return None
    temperature = rows["temperature_c"].to_numpy()
    heating = np.clip(HEATING_BASE_C - temperature, 0.0, None)
    cooling = np.clip(temperature - COOLING_BASE_C, 0.0, None)
    fitted = [h for h, values in (("heating", heating), ("cooling", cooling)) if values.any()]
    design = np.column_stack(
        [np.ones(rows.height)] + [heating if h == "heating" else cooling for h in fitted]
    )
    coefficients, *_ = np.linalg.lstsq(design, rows["energy_kwh"].to_numpy(), rcond=None)
    slopes = dict(zip(fitted, coefficients[1:], strict=True))
    return TemperatureResponse(
        base_kwh_per_day=float(coefficients[0]),
        heating_kwh_per_degc=float(slopes["heating"]) if "heating" in slopes else None,
        cooling_kwh_per_degc=float(slopes["cooling"]) if "cooling" in slopes else None,
        days=rows.height,
    )


def with_actuals(lake: Lake, forecasts: pl.DataFrame) -> pl.DataFrame:
    """Forecast rows with the actual `energy_kwh` of their interval (null while unknown) and the
    horizon: hours from issue to the interval's start."""
    if forecasts.height == 0:
        return forecasts.with_columns(
            energy_kwh=pl.lit(None, pl.Float64), horizon_hours=pl.lit(None, pl.Float64)
        )
    start, end = forecasts["day"].min(), forecasts["day"].max()
    assert isinstance(start, date) and isinstance(end, date)
    actuals = load_window(
        lake,
        GOLD_CONSUMPTION_FEATURES,
        start,
        end + timedelta(days=1),
        ["meter_id", "interval_start_utc", "energy_kwh"],
    )
    return forecasts.join(
        actuals, on=["meter_id", "interval_start_utc"], how="left", maintain_order="left"
    ).with_columns(
        horizon_hours=(pl.col("interval_start_utc") - pl.col("issued_at_utc")).dt.total_minutes()
        / 60.0
    )


def accuracy_by(scored: pl.DataFrame, by: str) -> pl.DataFrame:
    """`ml.forecasting.evaluation.forecast_metrics` (MAE, RMSE, MAPE, pinball, P10-P90
    coverage) per value of `by`, over the rows of `with_actuals` whose actual is known."""
    known = scored.filter(pl.col("energy_kwh").is_not_null())
    rows = []
    for (value,), group in known.group_by(by, maintain_order=True):
        metrics = forecast_metrics(
            group["energy_kwh"].to_numpy(),
            group["forecast_kwh"].to_numpy(),
            group["p10_kwh"].to_numpy(),
            group["p90_kwh"].to_numpy(),
        )
        rows.append({by: value, "rows": group.height, **metrics})
    if not rows:
        return pl.DataFrame(schema={by: known.schema[by], "rows": pl.Int64})
    return pl.DataFrame(rows).sort(by)


def tracking_uri(lake: Lake) -> str | None:
    """Where the registry is: `MLFLOW_TRACKING_URI`, else the lake's own SQLite store if it
    exists (never created here: opening a missing SQLite store would write one)."""
    configured = mlflow_tracking_uri()
    if configured:
        return configured
    if not lake.is_local:
        return None
    database = Path(lake.root.removeprefix("file://")).resolve() / "mlflow" / "mlflow.db"
    return f"sqlite:///{database}" if database.exists() else None


@dataclass(frozen=True)
class WhatIfDay:
    """A day's gold feature rows (`ml.forecasting.inputs.GOLD_COLUMNS`) for some meters, and the
    days before it that levels, profiles and fallbacks are computed from."""

    day: date
    target: pl.DataFrame
    history: pl.DataFrame


def what_if_day(lake: Lake, day: date, meters: list[str] | None = None) -> WhatIfDay:
    """The gold rows of `day` and its `LEVEL_DAYS` + 1 days of history, for `meters` (all when
    None)."""
    first = day - timedelta(days=LEVEL_DAYS + 1)
    rows = load_window(
        lake, GOLD_CONSUMPTION_FEATURES, first, day + timedelta(days=1), GOLD_COLUMNS, meters
    )
    return WhatIfDay(
        day=day,
        target=rows.filter(pl.col("day") == day),
        history=rows.filter(pl.col("day") < day),
    )


def with_conditions(
    features: pl.DataFrame, mean_temperature_c: float, day_type: str
) -> pl.DataFrame:
    """Gold feature rows under other conditions: the forecast temperature curve shifted so its
    mean is `mean_temperature_c` (the degrees below/above the bases follow), and the calendar of
    `day_type` (one of `DAY_TYPES`; "as scheduled" keeps the day's own)."""
    if day_type not in DAY_TYPES:
        raise ValueError(f"day type {day_type!r} is not one of {DAY_TYPES}")
    current = features["temperature_c"].mean()
    temperature = (
        pl.col("temperature_c") + (mean_temperature_c - float(current))  # type: ignore[arg-type]
        if current is not None
        else pl.lit(mean_temperature_c)
    )
    shifted = features.with_columns(temperature_c=temperature).with_columns(
        heating_degree_c=(HEATING_BASE_C - pl.col("temperature_c")).clip(lower_bound=0.0),
        cooling_degree_c=(pl.col("temperature_c") - COOLING_BASE_C).clip(lower_bound=0.0),
    )
    weekday = pl.col("local_day_of_week")
    calendar = {
        "as scheduled": {},
        "working day": {
            "local_day_of_week": pl.when(weekday >= 5).then(pl.lit(2)).otherwise(weekday),
            "is_weekend": pl.lit(False),
            "is_holiday": pl.lit(False),
            "is_end_of_year": pl.lit(False),
        },
        "weekend": {
            "local_day_of_week": pl.when(weekday < 5).then(pl.lit(5)).otherwise(weekday),
            "is_weekend": pl.lit(True),
            "is_holiday": pl.lit(False),
            "is_end_of_year": pl.lit(False),
        },
        "public holiday": {"is_holiday": pl.lit(True)},
    }[day_type]
    return shifted.with_columns(
        **{name: value.cast(features.schema[name]) for name, value in calendar.items()}
    )


def what_if_curve(
    predictor: Predictor | None,
    what_if: WhatIfDay,
    mean_temperature_c: float,
    day_type: str,
    issue_hour_utc: int,
    model_name: str = MODEL_NAME,
) -> pl.DataFrame:
    """The day-ahead forecast of the day under other conditions (`with_conditions`), built as
    production builds it (`ml.forecasting.inputs.model_inputs`, then `forecast`: the model, or its
    named fallbacks), summed per interval over the meters: `forecast_kwh`, `p10_kwh`, `p90_kwh`,
    and how many meters fell back. Summed bands are conservative, as in gold `region_forecasts`."""
    target = with_conditions(what_if.target, mean_temperature_c, day_type)
    inputs = model_inputs(target, what_if.history, issue_hour_utc)
    forecasts = forecast(predictor, inputs, what_if.history, model_name)
    return (
        forecasts.group_by("interval_start_utc")
        .agg(
            pl.col("forecast_kwh", "p10_kwh", "p90_kwh").sum(),
            meters=pl.col("meter_id").n_unique(),
            fallback_meters=pl.col("fallback_reason").is_not_null().sum(),
        )
        .sort("interval_start_utc")
    )
