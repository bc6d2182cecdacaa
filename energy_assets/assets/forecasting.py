"""Forecasting assets: a weekly-trained day-ahead model (MLflow), the forecasts of each day, and
a rolling-origin backtest.

Training partition W (a week starting Monday, UTC) learns from gold features strictly before W;
the forecast of day D uses the model of the week holding D, so a backfilled forecast never saw
its own day. A backfill of many weeks is one run training them in order. The model work is in
`ml/`; these assets read, call it, write and report.
"""

import math
from collections.abc import Iterator
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import dagster as dg
import polars as pl
import pyarrow as pa

from checks.contracts import (
    BRONZE_METER_READINGS,
    GOLD_CONSUMPTION_FEATURES,
    GOLD_FORECASTS,
    GOLD_REGION_FORECASTS,
    SILVER_METER_READINGS,
    SILVER_METERS,
    SILVER_WEATHER,
)
from checks.forecasts import fallback_share
from energy_assets.assets.bronze import key
from energy_assets.cleaning import clean_readings
from energy_assets.lake import Chunk, Lake, days_in
from energy_assets.layers import chunks
from energy_assets.materialization import write_metadata
from energy_assets.partitions import SINGLE_RUN, run_window
from energy_assets.quality import CheckSuite, DayCheck, matches_contract
from energy_assets.resources import LakeResource
from energy_assets.settings import Settings, start_date
from energy_assets.tracking import MlflowResource
from ml.features import HISTORY_DAYS, build_consumption_features, issue_time_utc
from ml.forecasting import (
    GOLD_COLUMNS,
    LEVEL_DAYS,
    Predictor,
    TrainingParams,
    fit_week,
    forecast,
    forecast_rows,
    model_inputs,
    region_rows,
)

if TYPE_CHECKING:
    from ml.tracking import LoggedModel  # mlflow is imported only when a run needs it

GROUP = "forecasting"
MODEL_KEY = dg.AssetKey(["ml", "day_ahead_model"])
WEEKLY = dg.WeeklyPartitionsDefinition(
    start_date=start_date().isoformat(), timezone="UTC", day_offset=1
)
"""Training weeks, Monday to Sunday in UTC."""
FORECAST_DAYS = dg.DailyPartitionsDefinition(
    start_date=start_date().isoformat(), timezone="UTC", end_offset=2
)
"""Target days: the lake's days, today and tomorrow (the day-ahead target)."""
PROFILE_DAYS = LEVEL_DAYS + 1
"""Whole days of gold history a forecast reads (levels and fallback profiles)."""


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
            partition_mapping=dg.TimeWindowPartitionMapping(
                start_offset=-(TrainingParams.train_days + LEVEL_DAYS + 7) // 7,
                end_offset=-1,
                allow_nonexistent_upstream_partitions=True,
            ),
        )
    ],
    partitions_def=WEEKLY,
    backfill_policy=SINGLE_RUN,
    check_specs=[
        dg.AssetCheckSpec(
            "model_trained",
            asset=MODEL_KEY,
            description="The week has a model (else its forecasts fall back, with the reason).",
        )
    ],
    description=(
        "XGBoost P10/P50/P90 model of the week, trained on the trailing window of gold features "
        "before the week, scored on its last held-out days against naive baselines, logged and "
        "registered in MLflow; `champion` moves only when it beats the current champion."
    ),
)
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
    weeks = [
        _train_week(context.run_id, store, week, params, mlflow_tracking)
        for week in days_in(start, end)
        if week.weekday() == 0
    ]
    untrained = [w for w in weeks if not w["trained"]]
    metadata = dict(weeks[-1])
    if len(weeks) > 1:
        metadata["weeks_trained"] = len(weeks) - len(untrained)
        metadata["weeks"] = dg.MetadataValue.json(weeks)
    return dg.MaterializeResult(
        metadata=metadata,
        check_results=[
            dg.AssetCheckResult(
                check_name="model_trained",
                passed=not untrained,
                severity=dg.AssetCheckSeverity.WARN,
                description="; ".join(
                    f"no model for the week of {w['week_start']}: {w['reason']}" for w in untrained
                )
                or f"{len(weeks)} week(s) trained, last: version {weeks[-1]['model_version']}",
            )
        ],
    )


def _train_week(
    run_id: str,
    store: Lake,
    week_start: date,
    params: TrainingParams,
    mlflow_tracking: MlflowResource,
) -> dict[str, Any]:
    """Train, log and register the model of one week; what happened, as flat metadata."""
    import mlflow

    from ml.tracking import PARTITION_TAG, champion_challenger, log_training

    issue_hour = Settings.from_env().forecast_issue_hour_utc
    first = week_start - timedelta(days=params.train_days + LEVEL_DAYS + 1)
    features = _frame(store.read(GOLD_CONSUMPTION_FEATURES, first, week_start, GOLD_COLUMNS))
    fitted = fit_week(features, features, week_start, params, issue_hour)
    if isinstance(fitted, str):
        return {"week_start": week_start.isoformat(), "trained": False, "reason": fitted}
    experiment = mlflow_tracking.connect(store)
    window = f"[{fitted.train_start}, {week_start})"
    tags = {
        "dagster_run_id": run_id,
        PARTITION_TAG: week_start.isoformat(),
        "training_window": window,
        "holdout_window": f"[{fitted.holdout_start}, {week_start})",
        f"delta_version_{GOLD_CONSUMPTION_FEATURES.path}": str(
            store.version(GOLD_CONSUMPTION_FEATURES)
        ),
    }
    with mlflow.start_run(experiment_id=experiment, run_name=f"train {week_start}"):
        logged = log_training(
            fitted.booster,
            mlflow_tracking.model_name,
            fitted.holdout,
            {
                **params.as_dict(),
                "issue_hour_utc": issue_hour,
                "train_rows": fitted.train_rows,
                "training_window": window,
            },
            fitted.metrics,
            tags,
        )
        decision = champion_challenger(mlflow_tracking.model_name, logged, fitted.holdout)
    shown = ("mae", "mape", "coverage_p10_p90", "skill_vs_best_baseline", "region_mape")
    return {
        "week_start": week_start.isoformat(),
        "trained": True,
        "mlflow_run_id": logged.run_id,
        "model_name": mlflow_tracking.model_name,
        "model_version": logged.version,
        "training_window": window,
        "train_rows": fitted.train_rows,
        "champion_promoted": decision.promoted,
        "champion_decision": decision.reason,
        **{f"holdout_{m}": float(fitted.metrics[m]) for m in shown if m in fitted.metrics},
    }


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


def _target_features(store: Lake, meters: pa.Table, day: date, issue_hour_utc: int) -> pl.DataFrame:
    """Gold-feature rows of every installed meter's intervals of `day`, built only from readings
    ended by the issue time and the weather known then (no reading of `day` itself)."""
    issued = issue_time_utc(day, issue_hour_utc)
    grid = clean_readings(
        BRONZE_METER_READINGS.schema.empty_table(), meters, day, day + timedelta(1)
    )
    history = _frame(store.read(SILVER_METER_READINGS, day - timedelta(HISTORY_DAYS), day)).filter(
        pl.col("interval_start_utc") + pl.duration(minutes=pl.col("interval_minutes")) <= issued
    )
    features = build_consumption_features(
        grid.table,
        history.to_arrow(),
        store.read(SILVER_WEATHER, day, day + timedelta(1)),
        meters,
        issue_hour_utc,
    )
    return _frame(features)


def _forecast_day(
    store: Lake,
    meters: pa.Table,
    day: date,
    issue_hour_utc: int,
    model_name: str,
    predictors: "dict[str, tuple[LoggedModel | None, Predictor | None]]",
) -> pa.Table:
    """Gold forecast rows of one target day, by the model of its training week or a fallback.
    `predictors` caches each week's model across the days of a run."""
    from ml.tracking import load_predictor, model_for_partition

    week = (day - timedelta(days=day.weekday())).isoformat()
    if week not in predictors:
        found = model_for_partition(model_name, week)
        predictors[week] = (found, load_predictor(found.model_uri) if found else None)
    model, predictor = predictors[week]
    history = _frame(
        store.read(GOLD_CONSUMPTION_FEATURES, day - timedelta(PROFILE_DAYS), day, GOLD_COLUMNS)
    )
    history = history.filter(pl.col("day") < day - timedelta(days=1))
    target = _target_features(store, meters, day, issue_hour_utc)
    inputs = model_inputs(target, history, issue_hour_utc)
    forecasts = forecast(predictor, inputs, history, model_name)
    version = model.version if model else None
    return forecast_rows(forecasts, issue_time_utc(day, issue_hour_utc), model_name, version)


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key(GOLD_FORECASTS),
            group_name=GROUP,
            kinds={"delta", "xgboost"},
            deps=[
                dg.AssetDep(MODEL_KEY, partition_mapping=dg.TimeWindowPartitionMapping()),
                dg.AssetDep(
                    key(GOLD_CONSUMPTION_FEATURES),
                    partition_mapping=dg.TimeWindowPartitionMapping(
                        start_offset=-PROFILE_DAYS,
                        end_offset=-1,
                        allow_nonexistent_upstream_partitions=True,
                    ),
                ),
                dg.AssetDep(
                    key(SILVER_METER_READINGS),
                    partition_mapping=dg.TimeWindowPartitionMapping(
                        start_offset=-HISTORY_DAYS,
                        end_offset=-1,
                        allow_nonexistent_upstream_partitions=True,
                    ),
                ),
                dg.AssetDep(
                    key(SILVER_WEATHER),
                    partition_mapping=dg.TimeWindowPartitionMapping(
                        allow_nonexistent_upstream_partitions=True
                    ),
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
    predictors: dict[str, tuple[LoggedModel | None, Predictor | None]] = {}

    def checked() -> Iterator[Chunk]:
        for low, high in chunks(start, end):
            days, region_days = [], []
            for day in days_in(low, high):
                rows = _forecast_day(
                    store,
                    meters,
                    day,
                    settings.forecast_issue_hour_utc,
                    mlflow_tracking.model_name,
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


@dg.asset(
    key=BACKTEST_KEY,
    group_name=GROUP,
    kinds={"xgboost", "mlflow"},
    deps=[key(GOLD_CONSUMPTION_FEATURES)],
    description=(
        "Rolling-origin backtest over every materialized day: each week forecast by a model "
        "trained only before it, with the production rules; meter and region metrics against "
        "the naive baselines, per-meter skill and per-week results, logged as an MLflow run."
    ),
)
def day_ahead_backtest(
    context: dg.AssetExecutionContext,
    config: TrainingConfig,
    lake: LakeResource,
    mlflow_tracking: MlflowResource,
) -> dg.MaterializeResult:
    import mlflow

    from ml.backtest import run_backtest

    settings = Settings.from_env()
    store = lake.lake()
    params = TrainingParams(
        train_days=config.train_days,
        holdout_days=config.holdout_days,
        num_boost_round=config.num_boost_round,
    )
    features = _frame(store.read(GOLD_CONSUMPTION_FEATURES, columns=GOLD_COLUMNS))
    result = run_backtest(features, params, settings.forecast_issue_hour_utc)
    if isinstance(result, str):
        return dg.MaterializeResult(metadata={"backtested": False, "reason": result})
    experiment = mlflow_tracking.connect(store, f"{mlflow_tracking.experiment}_backtest")
    with mlflow.start_run(experiment_id=experiment, run_name="backtest") as run:
        mlflow.log_params({**params.as_dict(), "issue_hour_utc": settings.forecast_issue_hour_utc})
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
        mlflow.log_table(result.weeks.to_pandas(), "backtest_weeks.json")
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
            **{m: float(result.metrics[m]) for m in shown if m in result.metrics},
            "weeks": dg.MetadataValue.md(result.weeks.to_pandas().to_markdown(index=False)),
        }
    )
