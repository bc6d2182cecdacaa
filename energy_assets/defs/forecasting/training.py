"""The day-ahead model: one XGBoost model per training period, logged and registered in MLflow.

Training partition P (a period of `ENERGY_TRAINING_CADENCE`: `weekly` by default, weeks starting
Monday UTC; `daily` or `monthly`) learns from gold features strictly before P, and exists from
P's first day so the training schedule can train it then; the forecast of day D, issued on D-1,
uses the model of the period holding D-1 (`forecasts.py`), so neither a backfilled nor a live
forecast used data from after its issue time. A backfill of many periods is one run training
them in order. The cadence comes with the definitions (`build_defs`), because Dagster builds
partitions then. The model work is in `ml/`; these assets read, call it, write and report.
"""

from datetime import date, timedelta
from typing import Any

import dagster as dg

from checks.contracts import GOLD_CONSUMPTION_FEATURES, GOLD_QUALITY_SCORECARD
from energy_assets.defs.emissions import tracks_emissions
from energy_assets.defs.partitions import (
    SINGLE_RUN,
    TRAINING_CADENCE,
    Partitioning,
    lookback,
    run_window,
    training_cadence,
)
from energy_assets.defs.resources import LakeResource, MlflowResource
from energy_assets.defs.tables import key
from energy_assets.settings import Settings
from energy_assets.storage.lake import Lake
from energy_assets.transforms.day_ahead import gold_features
from ml.forecasting.inputs import LEVEL_DAYS, model_inputs
from ml.forecasting.model import Predictor, TrainingParams
from ml.forecasting.periods import FittedModel, period_starts, train_period

GROUP = "forecasting"
MODEL_KEY = dg.AssetKey(["ml", "day_ahead_model"])


class TrainingConfig(dg.Config):
    """The trailing window of one training; the held-out days end it."""

    train_days: int = TrainingParams.train_days
    holdout_days: int = TrainingParams.holdout_days
    num_boost_round: int = TrainingParams.num_boost_round


@tracks_emissions
def day_ahead_model(
    context: dg.AssetExecutionContext,
    config: TrainingConfig,
    lake: LakeResource,
    mlflow_tracking: MlflowResource,
) -> dg.MaterializeResult:
    store = lake.lake()
    params = TrainingParams(
        train_days=config.train_days,
        holdout_days=config.holdout_days,
        num_boost_round=config.num_boost_round,
    )
    start, end = run_window(context)
    cadence = training_cadence(context)
    starts = period_starts(start, end, cadence)
    issue_hour = Settings.from_env().forecast_issue_hour_utc
    settings = training_params(params, issue_hour, cadence)
    first = starts[0] - timedelta(days=params.train_days + LEVEL_DAYS + 1)
    run_tags = {"dagster_run_id": context.run_id} | input_versions(store)
    features = gold_features(store, first, starts[-1])
    # Every row's inputs as known at its own issue time: computed once for all periods of the run.
    inputs = model_inputs(features, features, issue_hour)
    experiment = mlflow_tracking.connect(store)
    periods: list[dict[str, Any]] = []
    previous: FittedModel | None = None
    logged: dict[str, Predictor] = {}
    for period in starts:
        fitted = train_period(inputs, period, params, previous)
        if isinstance(fitted, str):
            periods.append({"period_start": period.isoformat(), "trained": False, "reason": fitted})
        else:
            periods.append(
                _log_period(fitted, period, settings, mlflow_tracking, experiment, run_tags, logged)
            )
        previous = None if isinstance(fitted, str) else fitted
    untrained = [p for p in periods if not p["trained"]]
    metadata = dict(periods[-1])
    if len(periods) > 1:
        metadata["periods_trained"] = len(periods) - len(untrained)
        metadata["periods"] = dg.MetadataValue.json(periods)
    return dg.MaterializeResult(
        metadata=metadata,
        check_results=[
            dg.AssetCheckResult(
                check_name="model_trained",
                passed=not untrained,
                severity=dg.AssetCheckSeverity.WARN,
                description="; ".join(
                    f"no model for the period from {p['period_start']}: {p['reason']}"
                    for p in untrained
                )
                or f"{len(periods)} period(s) trained, last: version "
                f"{periods[-1]['model_version']}",
            )
        ],
    )


def training_params(params: TrainingParams, issue_hour: int, cadence: str) -> dict[str, Any]:
    """What a training logs as its settings: a registered model whose run logged these same
    values was trained by the same rules (`ml/day_ahead_backtest` reuses it)."""
    return {**params.as_dict(), "issue_hour_utc": issue_hour, "training_cadence": cadence}


def input_versions(store: Lake) -> dict[str, str]:
    """The Delta versions of the tables a training reads, as MLflow tags: a registered model whose
    tags equal the current ones was trained on the lake as it is (`ml/day_ahead_backtest` reuses
    it)."""
    return {
        f"delta_version_{table.path}": str(store.version(table))
        for table in (GOLD_CONSUMPTION_FEATURES, GOLD_QUALITY_SCORECARD)
    }


def _log_period(
    fitted: FittedModel,
    period: date,
    settings: dict[str, Any],
    mlflow_tracking: MlflowResource,
    experiment: str,
    run_tags: dict[str, str],
    logged_in_run: dict[str, Predictor],
) -> dict[str, Any]:
    """Log and register the model of the period starting `period`, once; what happened, as flat
    metadata. `logged_in_run` holds the predictors this run has at hand, by version (those it
    registered, a champion it loaded): `champion_challenger` compares against them in memory."""
    import mlflow

    from ml.tracking import PARTITION_TAG, champion_challenger, log_residual_plot, log_training

    window = f"[{fitted.train_start}, {period})"
    tags = {
        **run_tags,
        PARTITION_TAG: period.isoformat(),
        "training_window": window,
        "holdout_window": f"[{fitted.holdout_start}, {period})",
    }
    with mlflow.start_run(experiment_id=experiment, run_name=f"train {period}"):
        logged = log_training(
            fitted,
            mlflow_tracking.model_name,
            {
                **settings,
                "train_rows": fitted.train_rows,
                "training_window": window,
                "band_scale": fitted.band_scale,
            },
            fitted.metrics,
            tags,
        )
        decision = champion_challenger(
            mlflow_tracking.model_name,
            logged,
            fitted.holdout,
            fitted.predictor(),
            logged_in_run,
        )
        if decision.promoted:
            log_residual_plot(fitted.holdout)
    shown = ("mae", "mape", "coverage_p10_p90", "skill_vs_best_baseline", "region_mape")
    return {
        "period_start": period.isoformat(),
        "trained": True,
        "mlflow_run_id": logged.run_id,
        "model_name": mlflow_tracking.model_name,
        "model_version": logged.version,
        "training_window": window,
        "train_rows": fitted.train_rows,
        "champion_promoted": decision.promoted,
        "champion_decision": decision.reason,
        "warm_starts": fitted.warm_starts,
        **{f"holdout_{m}": float(fitted.metrics[m]) for m in shown if m in fitted.metrics},
    }


def build_model(partitioning: Partitioning) -> dg.AssetsDefinition:
    """The model asset on the training periods of the cadence."""
    cadence = partitioning.cadence
    periods = partitioning.shortest_period_days
    return dg.asset(
        key=MODEL_KEY,
        group_name=GROUP,
        kinds={"xgboost", "mlflow"},
        metadata={TRAINING_CADENCE: cadence},
        deps=[
            dg.AssetDep(
                key(GOLD_CONSUMPTION_FEATURES),
                partition_mapping=lookback(
                    (TrainingParams.train_days + LEVEL_DAYS + periods) // periods,
                    end_offset=-1,
                ),
            )
        ],
        partitions_def=partitioning.training_periods,
        backfill_policy=SINGLE_RUN,
        check_specs=[
            dg.AssetCheckSpec(
                "model_trained",
                asset=MODEL_KEY,
                description=(
                    "The period has a model (else its forecasts fall back, with the reason)."
                ),
            )
        ],
        description=(
            f"XGBoost P10/P50/P90 model of the training period ({cadence}, "
            "ENERGY_TRAINING_CADENCE), trained on the trailing window of gold features before the "
            "period, its band calibrated and scored on the last held-out days against naive "
            "baselines, logged and registered in MLflow; `champion` moves only when it beats the "
            "current champion."
        ),
    )(day_ahead_model)
