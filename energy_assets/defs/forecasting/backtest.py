"""The rolling-origin backtest of the day-ahead model over every materialized day
(`ml/day_ahead_backtest`, its daily scores in `gold/forecast_backtest`), logged to MLflow."""

import math
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

import dagster as dg
import polars as pl

from checks.contracts import GOLD_CONSUMPTION_FEATURES, GOLD_FORECAST_BACKTEST, SILVER_METERS
from energy_assets.defs.check_suites import CheckSuite, matches_contract
from energy_assets.defs.emissions import tracks_emissions
from energy_assets.defs.forecasting.training import (
    GROUP,
    MODEL_KEY,
    TrainingConfig,
    input_versions,
    training_params,
)
from energy_assets.defs.partitions import TRAINING_CADENCE, Partitioning, training_cadence
from energy_assets.defs.resources import LakeResource, MlflowResource
from energy_assets.defs.tables import (
    key,
    quarantine_refused,
    screened_rejections,
    write_metadata,
)
from energy_assets.settings import Settings
from energy_assets.storage.lake import Chunk
from energy_assets.transforms.day_ahead import gold_features
from energy_assets.transforms.layers import chunk_days
from ml.anomaly.sliding_read import SlidingRead
from ml.forecasting.backtest import REUSED, Registered, daily_scores, replay
from ml.forecasting.model import TrainingParams

BACKTEST_KEY = dg.AssetKey(["ml", "day_ahead_backtest"])
BACKTEST_CHECKS = CheckSuite(BACKTEST_KEY, [matches_contract(GOLD_FORECAST_BACKTEST)])


@tracks_emissions
def day_ahead_backtest(
    context: dg.AssetExecutionContext,
    config: TrainingConfig,
    lake: LakeResource,
    mlflow_tracking: MlflowResource,
) -> dg.MaterializeResult:
    import mlflow

    settings = Settings.from_env()
    cadence = training_cadence(context)
    store = lake.lake()
    params = TrainingParams(
        train_days=config.train_days,
        holdout_days=config.holdout_days,
        num_boost_round=config.num_boost_round,
    )
    versions = input_versions(store)
    days = store.partition_days(GOLD_CONSUMPTION_FEATURES)
    mlflow_tracking.connect(store)
    # The history is read a chunk of days at a time, each chunk's days read once.
    reads = SlidingRead(partial(gold_features, store))
    result = (
        replay(
            reads.window,
            days[0],
            days[-1],
            params,
            settings.forecast_issue_hour_utc,
            cadence,
            registered=_registered_models(
                mlflow_tracking.model_name,
                versions,
                training_params(params, settings.forecast_issue_hour_utc, cadence),
            ),
            chunk_days=chunk_days(store.read(SILVER_METERS), settings.chunk_readings),
        )
        if days
        else "no gold features to replay"
    )
    suite = BACKTEST_CHECKS.fresh()
    if isinstance(result, str):
        suite.observe(GOLD_FORECAST_BACKTEST.schema.empty_table())
        return dg.MaterializeResult(
            metadata={"backtested": False, "reason": result}, check_results=suite.results()
        )
    experiment = mlflow_tracking.connect(store, f"{mlflow_tracking.experiment}_backtest")
    with mlflow.start_run(experiment_id=experiment, run_name="backtest") as run:
        mlflow.log_params(
            {
                **params.as_dict(),
                "issue_hour_utc": settings.forecast_issue_hour_utc,
                "training_cadence": cadence,
            }
        )
        mlflow.log_metrics({k: v for k, v in result.metrics.items() if math.isfinite(v)})
        mlflow.set_tags(
            {
                "dagster_run_id": context.run_id,
                "history": f"[{days[0]!s}, {days[-1]!s}]",
                **versions,
            }
        )
        mlflow.log_table(result.meters.to_pandas(), "backtest_meters.json")
        mlflow.log_table(result.periods.to_pandas(), "backtest_periods.json")
    scores = (
        daily_scores(result.forecasts)
        .with_columns(
            mlflow_run_id=pl.lit(run.info.run_id),
            backtested_at_utc=pl.lit(datetime.now(UTC)).cast(pl.Datetime("us", "UTC")),
        )
        .select(GOLD_FORECAST_BACKTEST.columns)
        .to_arrow()
        .cast(GOLD_FORECAST_BACKTEST.schema)
    )
    window = (days[0], days[-1] + timedelta(days=1))
    # Screened before the write: rows the contract refuses go to quarantine, never committed.
    kept, screened = suite.admit(scores)
    refused = screened_rejections(screened, Chunk(*window, scores))
    written = store.replace_window(GOLD_FORECAST_BACKTEST, kept, *window)
    quarantined = quarantine_refused(store, GOLD_FORECAST_BACKTEST, refused, window)
    shown = (
        "mape",
        "best_baseline_mape",
        "region_mape",
        "region_best_baseline_mape",
        "coverage_p10_p90",
        "meters_positive_skill_pct",
        "model_rows_pct",
    )
    return dg.MaterializeResult(
        metadata={
            "backtested": True,
            "mlflow_run_id": run.info.run_id,
            **write_metadata(written, *window),
            "refused_rows": quarantined,
            "periods_reused": int(result.periods["note"].str.starts_with(REUSED).sum()),
            **{m: float(result.metrics[m]) for m in shown if m in result.metrics},
            "periods": dg.MetadataValue.md(result.periods.to_pandas().to_markdown(index=False)),
        },
        check_results=suite.results(),
    )


def _registered_models(
    model_name: str, versions: dict[str, str], params: dict[str, Any]
) -> Callable[[date], Registered | None]:
    """The model training registered for a period start, loaded once, when it was trained on the
    lake as it is now (`versions`) with the same settings (`params`); else None (trained anew)."""
    from ml.tracking import load_predictor, load_vanilla, registered_periods

    found = registered_periods(model_name, versions, params)

    def registered(start: date) -> Registered | None:
        logged = found.get(start.isoformat())
        if logged is None:
            return None
        return Registered(
            load_predictor(logged.model_uri), load_vanilla(logged.run_id), logged.version
        )

    return registered


def build_backtest(partitioning: Partitioning) -> dg.AssetsDefinition:
    """The backtest, training its periods at the cadence of the definitions."""
    return dg.asset(
        key=BACKTEST_KEY,
        group_name=GROUP,
        kinds={"xgboost", "mlflow", "delta"},
        metadata={TRAINING_CADENCE: partitioning.cadence},
        # After the models: a backfill of both runs it once they are registered, so it reuses them.
        deps=[key(GOLD_CONSUMPTION_FEATURES), MODEL_KEY],
        check_specs=BACKTEST_CHECKS.specs(),
        description=(
            "Rolling-origin backtest over every materialized day: each training period forecast by "
            "a model trained only before it (the one training registered for the period when it "
            "was trained on the same lake by the same rules), with the production rules; meter "
            "and region metrics against the naive baselines, per-meter skill and per-period "
            "results, logged as an MLflow run, "
            f"and the daily scores written to `{GOLD_FORECAST_BACKTEST.path}` "
            f"(grain: {GOLD_FORECAST_BACKTEST.grain})."
        ),
    )(day_ahead_backtest)
