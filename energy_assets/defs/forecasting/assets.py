"""Forecasting assets: a periodically trained day-ahead model (MLflow), the forecasts of each
day, and a rolling-origin backtest.

Training partition P (a period of `ENERGY_TRAINING_CADENCE`: `weekly` by default, weeks starting
Monday UTC; `daily` or `monthly`) learns from gold features strictly before P, and exists from
P's first day so the training schedule can train it then; the forecast of day D, issued on D-1,
uses the model of the period holding D-1, so neither a backfilled nor a live forecast used data
from after its issue time. A
backfill of many periods is one run training them in order. The cadence is read when the
definitions load, because Dagster builds partitions then. The model work is in `ml/`; these
assets read, call it, write and report.
"""

import math
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import dagster as dg
import polars as pl
import pyarrow as pa

from checks.contracts import (
    GOLD_CONSUMPTION_FEATURES,
    GOLD_FORECAST_BACKTEST,
    GOLD_FORECASTS,
    GOLD_REGION_FORECASTS,
    SILVER_METER_READINGS,
    SILVER_METERS,
    SILVER_WEATHER,
)
from checks.forecasts import fallback_share
from energy_assets.defs.check_suites import CheckSuite, DayCheck, matches_contract
from energy_assets.defs.emissions import tracks_emissions
from energy_assets.defs.forecasting.freshness import forecast_freshness_policy
from energy_assets.defs.partitions import SINGLE_RUN, lookback, run_window
from energy_assets.defs.resources import LakeResource, MlflowResource
from energy_assets.defs.tables import key, write_metadata
from energy_assets.settings import Settings, start_date, training_cadence
from energy_assets.storage.lake import Chunk, Lake, days_in
from energy_assets.transforms.day_ahead import PROFILE_DAYS, Predictors, forecast_day, gold_features
from energy_assets.transforms.layers import chunks
from ml.features import HISTORY_DAYS
from ml.forecasting.inputs import LEVEL_DAYS
from ml.forecasting.model import TrainingParams, region_rows
from ml.forecasting.periods import FittedModel, fit_period, period_starts

if TYPE_CHECKING:
    pass  # mlflow is imported only when a run needs it

GROUP = "forecasting"
MODEL_KEY = dg.AssetKey(["ml", "day_ahead_model"])


def _training_partitions(cadence: str) -> dg.TimeWindowPartitionsDefinition:
    first = start_date().isoformat()
    if cadence == "daily":
        return dg.DailyPartitionsDefinition(start_date=first, timezone="UTC", end_offset=1)
    if cadence == "monthly":
        return dg.MonthlyPartitionsDefinition(start_date=first, timezone="UTC", end_offset=1)
    return dg.WeeklyPartitionsDefinition(
        start_date=first, timezone="UTC", day_offset=1, end_offset=1
    )


CADENCE = training_cadence()
TRAINING_PERIODS = _training_partitions(CADENCE)
"""Training periods in UTC (weeks run Monday to Sunday); keys are their first days. The current
period is a partition from its first day (it only needs data from before it)."""
SHORTEST_PERIOD_DAYS = {"daily": 1, "weekly": 7, "monthly": 28}[CADENCE]
FORECAST_DAYS = dg.DailyPartitionsDefinition(
    start_date=start_date().isoformat(), timezone="UTC", end_offset=2
)
"""Target days: the lake's days, today and tomorrow (the day-ahead target)."""
ISSUE_DAY_MODEL = lookback(1, end_offset=-1, allow_missing=False)
"""Target day D depends on the training period holding its issue day D-1 (offsets are in the
downstream's days), as `day_ahead.forecast_day` uses: a Monday's forecast, issued on Sunday, is
made by the previous week's model."""


class TrainingConfig(dg.Config):
    """The trailing window of one training; the held-out days end it."""

    train_days: int = TrainingParams.train_days
    holdout_days: int = TrainingParams.holdout_days
    num_boost_round: int = TrainingParams.num_boost_round


def _frame(table: pa.Table) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


@dg.asset(
    key=MODEL_KEY,
    group_name=GROUP,
    kinds={"xgboost", "mlflow"},
    deps=[
        dg.AssetDep(
            key(GOLD_CONSUMPTION_FEATURES),
            partition_mapping=lookback(
                (TrainingParams.train_days + LEVEL_DAYS + SHORTEST_PERIOD_DAYS)
                // SHORTEST_PERIOD_DAYS,
                end_offset=-1,
            ),
        )
    ],
    partitions_def=TRAINING_PERIODS,
    backfill_policy=SINGLE_RUN,
    check_specs=[
        dg.AssetCheckSpec(
            "model_trained",
            asset=MODEL_KEY,
            description=("The period has a model (else its forecasts fall back, with the reason)."),
        )
    ],
    description=(
        f"XGBoost P10/P50/P90 model of the training period ({CADENCE}, "
        "ENERGY_TRAINING_CADENCE), trained on the trailing window of gold features before the "
        "period, its band calibrated and scored on the last held-out days against naive "
        "baselines, logged and registered in MLflow; `champion` moves only when it beats the "
        "current champion."
    ),
)
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
    periods: list[dict[str, Any]] = []
    previous: FittedModel | None = None
    for period in period_starts(start, end, CADENCE):
        outcome, previous = _train_period(
            context.run_id, store, period, params, mlflow_tracking, previous
        )
        periods.append(outcome)
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


def _train_period(
    run_id: str,
    store: Lake,
    period: date,
    params: TrainingParams,
    mlflow_tracking: MlflowResource,
    previous: FittedModel | None,
) -> tuple[dict[str, Any], FittedModel | None]:
    """Train, log and register the model of the period starting `period` (continuing `previous`,
    the model of the period before in the same run, see `fit_period`); what happened, as flat
    metadata, and the model."""
    import mlflow

    from ml.tracking import PARTITION_TAG, champion_challenger, log_training

    issue_hour = Settings.from_env().forecast_issue_hour_utc
    first = period - timedelta(days=params.train_days + LEVEL_DAYS + 1)
    features = gold_features(store, first, period)
    fitted = fit_period(features, features, period, params, issue_hour, previous)
    if isinstance(fitted, str):
        return {"period_start": period.isoformat(), "trained": False, "reason": fitted}, None
    experiment = mlflow_tracking.connect(store)
    window = f"[{fitted.train_start}, {period})"
    tags = {
        "dagster_run_id": run_id,
        PARTITION_TAG: period.isoformat(),
        "training_window": window,
        "holdout_window": f"[{fitted.holdout_start}, {period})",
        f"delta_version_{GOLD_CONSUMPTION_FEATURES.path}": str(
            store.version(GOLD_CONSUMPTION_FEATURES)
        ),
    }
    with mlflow.start_run(experiment_id=experiment, run_name=f"train {period}"):
        logged = log_training(
            fitted,
            mlflow_tracking.model_name,
            {
                **params.as_dict(),
                "issue_hour_utc": issue_hour,
                "train_rows": fitted.train_rows,
                "training_window": window,
                "band_scale": fitted.band_scale,
            },
            fitted.metrics,
            tags,
        )
        decision = champion_challenger(mlflow_tracking.model_name, logged, fitted.holdout)
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
    }, fitted


FORECASTS_CHECKS = CheckSuite(
    key(GOLD_FORECASTS),
    [
        matches_contract(GOLD_FORECASTS),
        DayCheck(
            "fallback_share",
            "Most rows come from the model; the reasons of fallback rows are counted.",
            lambda table, _context: fallback_share(table),
            severity=dg.AssetCheckSeverity.WARN,
        ),
    ],
)
REGION_CHECKS = CheckSuite(key(GOLD_REGION_FORECASTS), [matches_contract(GOLD_REGION_FORECASTS)])


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key(GOLD_FORECASTS),
            group_name=GROUP,
            kinds={"delta", "xgboost"},
            freshness_policy=forecast_freshness_policy(),
            deps=[
                dg.AssetDep(MODEL_KEY, partition_mapping=ISSUE_DAY_MODEL),
                dg.AssetDep(
                    key(GOLD_CONSUMPTION_FEATURES),
                    partition_mapping=lookback(PROFILE_DAYS, end_offset=-1),
                ),
                dg.AssetDep(
                    key(SILVER_METER_READINGS),
                    partition_mapping=lookback(HISTORY_DAYS, end_offset=-1),
                ),
                dg.AssetDep(
                    key(SILVER_WEATHER),
                    partition_mapping=lookback(0),
                ),
                key(SILVER_METERS),
            ],
            description=(
                "Day-ahead forecast of every meter and interval of the target day (P50, P10, "
                "P90), issued the day before at ENERGY_FORECAST_ISSUE_HOUR_UTC from what was "
                "known then; `model_used` names the model or the fallback. "
                f"Grain: {GOLD_FORECASTS.grain}."
            ),
        ),
        dg.AssetSpec(
            key(GOLD_REGION_FORECASTS),
            group_name=GROUP,
            kinds={"delta"},
            deps=[key(GOLD_FORECASTS)],
            description=(
                "Meter forecasts summed per region and hour, for grid planning. "
                f"Grain: {GOLD_REGION_FORECASTS.grain}."
            ),
        ),
    ],
    partitions_def=FORECAST_DAYS,
    backfill_policy=SINGLE_RUN,
    check_specs=FORECASTS_CHECKS.specs(FORECAST_DAYS) + REGION_CHECKS.specs(FORECAST_DAYS),
)
@tracks_emissions
def day_ahead_forecasts(
    context: dg.AssetExecutionContext, lake: LakeResource, mlflow_tracking: MlflowResource
) -> Iterator[dg.MaterializeResult]:
    settings = Settings.from_env()
    store = lake.lake()
    mlflow_tracking.connect(store)
    start, end = run_window(context)
    meters = store.read(SILVER_METERS)
    suite, region_suite = FORECASTS_CHECKS.fresh(), REGION_CHECKS.fresh()
    regions: list[Chunk] = []
    models: dict[str, int] = {}
    predictors: Predictors = {}

    def checked() -> Iterator[Chunk]:
        for low, high in chunks(start, end):
            days, region_days = [], []
            for day in days_in(low, high):
                rows = forecast_day(
                    store,
                    meters,
                    day,
                    settings.forecast_issue_hour_utc,
                    mlflow_tracking.model_name,
                    CADENCE,
                    predictors,
                )
                suite.observe(rows)
                region = region_rows(rows)
                region_suite.observe(region)
                days.append(rows)
                region_days.append(region)
                for used in rows["model_used"].to_pylist():
                    models[used] = models.get(used, 0) + 1
            regions.append(Chunk(low, high, pa.concat_tables(region_days)))
            yield Chunk(low, high, pa.concat_tables(days))

    written = store.replace_chunks(GOLD_FORECASTS, checked())
    region_written = store.replace_chunks(GOLD_REGION_FORECASTS, regions)
    yield dg.MaterializeResult(
        asset_key=key(GOLD_FORECASTS),
        metadata={
            **write_metadata(written, start, end),
            "issue_hour_utc": settings.forecast_issue_hour_utc,
            **{f"rows_by {used}": count for used, count in sorted(models.items())},
        },
        check_results=suite.results(),
    )
    yield dg.MaterializeResult(
        asset_key=key(GOLD_REGION_FORECASTS),
        metadata=write_metadata(region_written, start, end),
        check_results=region_suite.results(),
    )


BACKTEST_KEY = dg.AssetKey(["ml", "day_ahead_backtest"])
BACKTEST_CHECKS = CheckSuite(BACKTEST_KEY, [matches_contract(GOLD_FORECAST_BACKTEST)])


@dg.asset(
    key=BACKTEST_KEY,
    group_name=GROUP,
    kinds={"xgboost", "mlflow", "delta"},
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
)
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
    store = lake.lake()
    params = TrainingParams(
        train_days=config.train_days,
        holdout_days=config.holdout_days,
        num_boost_round=config.num_boost_round,
    )
    features = gold_features(store, None, None)
    result = run_backtest(features, params, settings.forecast_issue_hour_utc, CADENCE)
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
                "training_cadence": CADENCE,
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
