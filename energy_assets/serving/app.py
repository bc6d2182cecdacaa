"""`POST /forecast`: a day-ahead forecast a consumer can ask for without computing features.

The rows are those the `gold/forecasts` asset writes for the day
(`energy_assets.transforms.day_ahead`: the model of the issue day's training period, or a named
fallback), optionally under another mean temperature (the what-if of `notebooks/what_if.py`), for
one meter or summed per hour over a region as in `gold/region_forecasts`.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl
from fastapi import FastAPI, HTTPException

from checks.contracts import GOLD_CONSUMPTION_FEATURES, SILVER_METERS, SILVER_WEATHER
from energy_assets.exploration.forecast_views import tracking_uri, with_conditions
from energy_assets.serving.models import ForecastRequest, ForecastResponse, IntervalForecast
from energy_assets.settings import DefinitionSettings, configured_lake
from energy_assets.storage.lake import Lake
from energy_assets.transforms.day_ahead import PROFILE_DAYS, Predictors, forecast_day
from ml.forecasting.model import MODEL_NAME, region_rows


def missing_inputs(store: Lake, request: ForecastRequest) -> list[str]:
    """What the lake lacks to forecast the day: its weather, or any gold history before it."""
    day = request.day
    missing = []
    if store.read(SILVER_WEATHER, day, day + timedelta(days=1), ["location_id"]).num_rows == 0:
        missing.append(f"silver/weather of {day}")
    history = store.read(
        GOLD_CONSUMPTION_FEATURES, day - timedelta(days=PROFILE_DAYS), day, ["meter_id"]
    )
    if history.num_rows == 0:
        missing.append(f"gold/consumption_features of the {PROFILE_DAYS} days before {day}")
    return missing


def _intervals(rows: pl.DataFrame, time: str, fallback_meters: pl.Expr) -> list[IntervalForecast]:
    return [
        IntervalForecast(
            interval_start_utc=row[time],
            p10_kwh=row["p10_kwh"],
            p50_kwh=row["forecast_kwh"],
            p90_kwh=row["p90_kwh"],
            fallback_meters=row["fallback_meters"],
        )
        for row in rows.with_columns(fallback_meters=fallback_meters).iter_rows(named=True)
    ]


def create_app(store: Lake | None = None) -> FastAPI:
    """The app over `store` (default: the lake of `ENERGY_LAKE_ROOT`), with the settings read
    once here."""
    lake = store or configured_lake()
    settings = DefinitionSettings.from_env()
    cadence = settings.training_cadence
    app = FastAPI(title="Energy lakehouse forecasts", version="1")

    @app.post("/forecast")
    def post_forecast(request: ForecastRequest) -> ForecastResponse:
        meters = pl.from_arrow(lake.read(SILVER_METERS))
        assert isinstance(meters, pl.DataFrame)
        column, value = (
            ("meter_id", request.meter_id) if request.meter_id else ("region", request.region)
        )
        if meters.height == 0 or meters.filter(pl.col(column) == value).height == 0:
            raise HTTPException(404, f"unknown {column.replace('_id', '')} {value!r}")
        missing = missing_inputs(lake, request)
        if missing:
            raise HTTPException(
                422, f"no inputs for {request.day}: the lake lacks {', '.join(missing)}"
            )
        uri = tracking_uri(lake)
        if uri:
            import mlflow

            mlflow.set_tracking_uri(uri)
            mlflow.set_registry_uri(uri)
        temperature = request.mean_temperature_c

        def conditions(features: pl.DataFrame) -> pl.DataFrame:
            assert temperature is not None
            return with_conditions(features, temperature, "as scheduled")

        predictors: Predictors = {}
        day_rows = forecast_day(
            lake,
            lake.read(SILVER_METERS),
            request.day,
            settings.forecast_issue_hour_utc,
            MODEL_NAME,
            cadence,
            predictors,
            None if temperature is None else conditions,
        )
        rows = pl.from_arrow(day_rows)
        assert isinstance(rows, pl.DataFrame)
        rows = rows.filter(pl.col(column) == value)
        if request.meter_id:
            intervals = _intervals(
                rows.sort("interval_start_utc"),
                "interval_start_utc",
                pl.col("fallback_reason").is_not_null().cast(pl.Int32),
            )
        else:
            region = pl.from_arrow(region_rows(rows.to_arrow()))
            assert isinstance(region, pl.DataFrame)
            intervals = _intervals(region, "hour_start_utc", pl.col("fallback_meters"))
        return ForecastResponse(
            meter_id=request.meter_id,
            region=request.region,
            day=request.day,
            issued_at_utc=rows["issued_at_utc"].max(),  # type: ignore[arg-type]
            mean_temperature_c=temperature,
            model_name=MODEL_NAME,
            model_version=str(version)
            if (version := rows["model_version"].drop_nulls().first())
            else None,
            model_used=sorted(rows["model_used"].unique().to_list()),
            fallback_reasons=sorted(rows["fallback_reason"].drop_nulls().unique().to_list()),
            intervals=intervals,
        )

    return app
