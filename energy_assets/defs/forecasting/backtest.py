"""The rolling-origin backtest of the day-ahead model over every materialized day
(`ml/day_ahead_backtest`, its daily scores in `gold/forecast_backtest`), logged to MLflow."""

import math
from datetime import UTC, date, datetime, timedelta

import dagster as dg
import polars as pl

from checks.contracts import GOLD_CONSUMPTION_FEATURES, GOLD_FORECAST_BACKTEST
from energy_assets.defs.check_suites import CheckSuite, matches_contract
from energy_assets.defs.emissions import tracks_emissions
from energy_assets.defs.forecasting.training import GROUP, TrainingConfig
from energy_assets.defs.partitions import TRAINING_CADENCE, Partitioning, training_cadence
from energy_assets.defs.resources import LakeResource, MlflowResource
from energy_assets.defs.tables import key, write_metadata
from energy_assets.settings import Settings
from energy_assets.transforms.day_ahead import gold_features
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

    from ml.forecasting.backtest import daily_scores, run_backtest

    settings = Settings.from_env()
    cadence = training_cadence(context)
    store = lake.lake()
    params = TrainingParams(
        train_days=config.train_days,
        holdout_days=config.holdout_days,
        num_boost_round=config.num_boost_round,
    )
    features = gold_features(store, None, None)
    result = run_backtest(features, params, settings.forecast_issue_hour_utc, cadence)
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
                "history": f"[{features['day'].min()!s}, {features['day'].max()!s}]",
                f"delta_version_{GOLD_CONSUMPTION_FEATURES.path}": str(
                    store.version(GOLD_CONSUMPTION_FEATURES)
                ),
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
    suite.observe(scores)
    first, last = features["day"].min(), features["day"].max()
    assert isinstance(first, date) and isinstance(last, date)
    written = store.replace_window(GOLD_FORECAST_BACKTEST, scores, first, last + timedelta(days=1))
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
            **write_metadata(written, first, last + timedelta(days=1)),
            **{m: float(result.metrics[m]) for m in shown if m in result.metrics},
            "periods": dg.MetadataValue.md(result.periods.to_pandas().to_markdown(index=False)),
        },
        check_results=suite.results(),
    )


def build_backtest(partitioning: Partitioning) -> dg.AssetsDefinition:
    """The backtest, training its periods at the cadence of the definitions."""
    return dg.asset(
        key=BACKTEST_KEY,
        group_name=GROUP,
        kinds={"xgboost", "mlflow", "delta"},
        metadata={TRAINING_CADENCE: partitioning.cadence},
        deps=[key(GOLD_CONSUMPTION_FEATURES)],
        check_specs=BACKTEST_CHECKS.specs(),
        description=(
            "Rolling-origin backtest over every materialized day: each training period forecast by "
            "a model trained only before it, with the production rules; meter and region metrics "
            "against "
            "the naive baselines, per-meter skill and per-period results, logged as an MLflow run, "
            f"and the daily scores written to `{GOLD_FORECAST_BACKTEST.path}` "
            f"(grain: {GOLD_FORECAST_BACKTEST.grain})."
        ),
    )(day_ahead_backtest)
