"""Explained anomalies per day (`gold/anomalies`); their evaluation is in `evaluation.py`.

The detection work is in `ml/anomaly/`; these assets read the gold features, attach what the
week's day-ahead model expects under the observed weather, call `detect_days` per chunk of days,
write, and report. A day without inputs is a warning naming it, never an empty day written
silently, and never a failure of the other days of the range.
"""

from collections import Counter
from collections.abc import Iterator
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

import dagster as dg
import polars as pl
import pyarrow as pa

from checks.anomaly_checks import inputs_present, severe_share
from checks.contracts import (
    GOLD_ANOMALIES,
    GOLD_CONSUMPTION_FEATURES,
    GOLD_QUALITY_SCORECARD,
    SILVER_METER_READINGS,
    SILVER_METERS,
    TableContract,
)
from energy_assets.defs.check_suites import (
    WARN,
    CheckContext,
    CheckSuite,
    DayCheck,
    check_result,
    matches_contract,
)
from energy_assets.defs.conditions import follows_parents
from energy_assets.defs.emissions import tracks_emissions
from energy_assets.defs.forecasting.training import MODEL_KEY
from energy_assets.defs.partitions import (
    SINGLE_RUN,
    TRAINING_CADENCE,
    Partitioning,
    lookback,
    run_window,
    training_cadence,
)
from energy_assets.defs.resources import LakeResource, MlflowResource
from energy_assets.defs.tables import key, write_checked
from energy_assets.settings import Settings
from energy_assets.sources.anomaly_feedback import read_feedback, verdicts
from energy_assets.storage.lake import Chunk, Lake, days_in
from energy_assets.transforms.layers import chunks
from ml.anomaly.consequences import CONSEQUENCE_DAYS
from ml.anomaly.detection import (
    CHUNK_DAYS,
    INPUT_COLUMNS,
    UNIT_LOOKBACK_DAYS,
    detect_days,
    history_days,
)
from ml.anomaly.history import (
    SILVER_FLAGS,
    excluded_intervals,
    expectation_from_clean_history,
    left_out,
    mark_excluded,
)
from ml.anomaly.params import AnomalyParams
from ml.anomaly.sliding_read import SlidingRead
from ml.anomaly.week_history import WeekHistory
from ml.forecasting.inputs import GOLD_COLUMNS, LEVEL_DAYS
from ml.forecasting.model import Predictor
from ml.forecasting.periods import period_start

if TYPE_CHECKING:
    from ml.tracking import LoggedModel

GROUP = "anomalies"
DEFAULTS = AnomalyParams()
READ_COLUMNS = sorted({*GOLD_COLUMNS, *INPUT_COLUMNS})


class AnomalyConfig(dg.Config):
    """Detector thresholds (see `ml.anomaly.params.AnomalyParams` for what each means)."""

    flatline_min_minutes: int = DEFAULTS.flatline_min_minutes
    dropout_min_minutes: int = DEFAULTS.dropout_min_minutes
    spike_ratio: float = DEFAULTS.spike_ratio
    spike_z: float = DEFAULTS.spike_z
    unit_error_ratio: float = DEFAULTS.unit_error_ratio
    drop_ratio: float = DEFAULTS.drop_ratio
    drop_min_days: int = DEFAULTS.drop_min_days
    rise_ratio: float = DEFAULTS.rise_ratio
    baseline_days: int = DEFAULTS.baseline_days
    min_baseline_days: int = DEFAULTS.min_baseline_days
    residual_z: float = DEFAULTS.residual_z
    residual_min_minutes: int = DEFAULTS.residual_min_minutes
    unusual_day_score: float = DEFAULTS.unusual_day_score
    merge_gap_minutes: int = DEFAULTS.merge_gap_minutes
    severe_share: float = DEFAULTS.severe_share

    def params(self) -> AnomalyParams:
        return AnomalyParams(**{f.name: getattr(self, f.name) for f in fields(AnomalyParams)})


ANOMALY_CHECKS = CheckSuite(key(GOLD_ANOMALIES), [matches_contract(GOLD_ANOMALIES)])
INPUT_CHECKS = CheckSuite(
    key(GOLD_ANOMALIES),
    [
        DayCheck(
            "inputs_present",
            "The day has gold consumption features with readings and a meter registry; "
            "otherwise its anomalies are not computed (warns, naming the days: a feed outage "
            "on one day must not stop the other days of a range).",
            lambda features, context: inputs_present(
                features, context.meters if context.meters is not None else pa.table({})
            ),
            severity=WARN,
        )
    ],
)
SEVERE_SHARE_DESCRIPTION = (
    "At most `severe_share` of the day's meters have a high-severity anomaly; more means "
    "something systemic (a feed, a unit change, the model), not the meters."
)


def _frame(table: pa.Table) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def _expectations(
    features: pl.DataFrame,
    new_from: date,
    leave_out: pl.DataFrame,
    model_name: str,
    issue_hour_utc: int,
    cadence: str,
    predictors: "dict[date, tuple[LoggedModel | None, Predictor | None]]",
) -> pl.DataFrame:
    """`with_expectation` rows of the days of `features` from `new_from` on, each day by the
    model of its training period at `cadence` (or its named fallback), as the forecasts use
    them, learnt from history without the `leave_out` intervals; `predictors` caches the loaded
    models."""
    from ml.tracking import load_predictor, model_for_partition

    parts = []
    days = features.filter(pl.col("day") >= new_from)["day"].unique().sort().to_list()
    periods: dict[date, list[date]] = {}
    for day in days:
        periods.setdefault(period_start(day, cadence), []).append(day)
    for period, members in periods.items():
        if period not in predictors:
            found = model_for_partition(model_name, period.isoformat())
            predictors[period] = (found, load_predictor(found.model_uri) if found else None)
        window = features.filter(
            pl.col("day").is_between(members[0] - timedelta(days=LEVEL_DAYS + 1), members[-1])
        )
        parts.append(
            expectation_from_clean_history(
                predictors[period][1], window, members[0], issue_hour_utc, model_name, leave_out
            )
        )
    return pl.concat(parts)


def _unit_days(silver: pl.DataFrame, start: date) -> pl.DataFrame:
    return (
        silver.filter(pl.col("day") >= start)
        .group_by("meter_id", "day")
        .agg(pl.col("is_unit_corrected").any())
    )


def _read(
    store: Lake, table: TableContract, columns: list[str], start: date, end: date
) -> pl.DataFrame:
    return _frame(store.read(table, start, end, columns))


def _sliding_reads(store: Lake) -> tuple[SlidingRead, ...]:
    """Gold features, silver's flags and the scorecard's statuses over each chunk's trailing
    window: consecutive chunks share all but their newest days, so only those are read."""
    return tuple(
        SlidingRead(partial(_read, store, table, read))
        for table, read in (
            (GOLD_CONSUMPTION_FEATURES, READ_COLUMNS),
            (SILVER_METER_READINGS, SILVER_FLAGS),
            (GOLD_QUALITY_SCORECARD, ["meter_id", "day", "status"]),
        )
    )


def _windows(
    reads: tuple[SlidingRead, ...], start: date, end: date, params: AnomalyParams
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Gold features and silver's flags of [start, end), and the intervals no expectation
    learns from."""
    features, silver, scorecard = (read.window(start, end) for read in reads)
    return features, silver, left_out(features, excluded_intervals(silver, scorecard), params)


@tracks_emissions
def anomalies(
    context: dg.AssetExecutionContext,
    config: AnomalyConfig,
    lake: LakeResource,
    mlflow_tracking: MlflowResource,
) -> dg.MaterializeResult:
    settings = Settings.from_env()
    params = config.params()
    store = lake.lake()
    mlflow_tracking.connect(store)
    start, end = run_window(context)
    meters = store.read(SILVER_METERS)
    meter_frame = _frame(meters)
    acknowledged = verdicts(read_feedback(store.root))
    detected_at = datetime.now(UTC)
    suite, inputs = ANOMALY_CHECKS.fresh(), INPUT_CHECKS.fresh()
    severe: list[Any] = []
    predictors: dict[date, tuple[LoggedModel | None, Predictor | None]] = {}
    types: Counter[str] = Counter()
    notes: dict[str, Any] = {}
    lookback = history_days(params)
    days_without_inputs: list[str] = []
    # What was raised on the days before decides what is an after-effect of it.
    raised = [_frame(store.read(GOLD_ANOMALIES, start - timedelta(days=CONSEQUENCE_DAYS), start))]
    weeks: dict[date, WeekHistory] = {}
    known: list[pl.DataFrame] = []

    reads = _sliding_reads(store)

    def checked() -> Iterator[Chunk]:
        for low, high in chunks(start, end, CHUNK_DAYS):
            first = low - timedelta(days=lookback + LEVEL_DAYS + 1)
            raw, silver, leave_out = _windows(reads, first, high, params)
            if raw.height == 0:
                known.clear()
                features = raw
            else:
                # Expectations of the days an earlier chunk already computed are kept.
                new_from = low if known else low - timedelta(days=lookback)
                fresh = _expectations(
                    raw, new_from, leave_out, mlflow_tracking.model_name,
                    settings.forecast_issue_hour_utc, training_cadence(context), predictors,
                )  # fmt: skip
                kept = [k.filter(pl.col("day") >= low - timedelta(days=lookback)) for k in known]
                known[:] = [pl.concat([*kept, fresh])]
                features = mark_excluded(known[0], leave_out)
            unit_days = _unit_days(silver, low - timedelta(days=UNIT_LOOKBACK_DAYS))
            judged: dict[date, int] = {}
            for day in days_in(low, high):
                today = raw.filter(pl.col("day") == day)
                inputs.observe(today.to_arrow(), CheckContext(meters=meters))
                if not inputs.outcomes["inputs_present"][-1].passed:
                    days_without_inputs.append(day.isoformat())
                    continue
                judged[day] = today["meter_id"].n_unique()
            recent = pl.concat(raised, how="vertical_relaxed").filter(
                pl.col("day") >= low - timedelta(days=CONSEQUENCE_DAYS)
            )
            detections = detect_days(
                features, meter_frame, unit_days, list(judged), params, detected_at,
                acknowledged, recent, weeks,
            )  # fmt: skip
            raised[:] = [recent, *(_frame(d.table) for d in detections)]
            for (day, meter_count), detection in zip(judged.items(), detections, strict=True):
                severe.append(severe_share(detection.table, meter_count, params.severe_share))
                types.update(detection.table["anomaly_type"].to_pylist())
                notes[day.isoformat()] = detection.notes
            tables = [d.table for d in detections]
            table = pa.concat_tables(tables) if tables else GOLD_ANOMALIES.schema.empty_table()
            yield Chunk(low, high, table)

    # The contract check screens each chunk before it is written; refused rows go to quarantine.
    written, suite_results = write_checked(store, GOLD_ANOMALIES, suite, checked(), (start, end))
    return dg.MaterializeResult(
        metadata={
            **written,
            **{f"rows_{kind}": count for kind, count in sorted(types.items())},
            "params": dg.MetadataValue.json(params.as_dict()),
            "acknowledged_events": len(acknowledged),
            "days_without_inputs": dg.MetadataValue.json(days_without_inputs),
            "notes_by_day": dg.MetadataValue.json(
                dict([(day, note) for day, note in notes.items() if note][-31:])
            ),
        },
        check_results=[
            *suite_results,
            *inputs.results(),
            check_result(key(GOLD_ANOMALIES), severe, "severe_share", dg.AssetCheckSeverity.WARN),
        ],
    )


def build_anomalies(partitioning: Partitioning) -> dg.AssetsDefinition:
    """The anomalies of the lake's days, each day judged by its training period's model."""
    days = partitioning.daily
    return dg.asset(
        key=key(GOLD_ANOMALIES),
        group_name=GROUP,
        kinds={"delta", "polars", "xgboost"},
        metadata={TRAINING_CADENCE: partitioning.cadence},
        deps=[
            dg.AssetDep(
                key(GOLD_CONSUMPTION_FEATURES),
                partition_mapping=lookback(history_days(DEFAULTS) + LEVEL_DAYS + 1),
            ),
            dg.AssetDep(
                key(SILVER_METER_READINGS),
                partition_mapping=lookback(history_days(DEFAULTS) + LEVEL_DAYS + 1),
            ),
            dg.AssetDep(
                key(GOLD_QUALITY_SCORECARD),
                partition_mapping=lookback(history_days(DEFAULTS) + LEVEL_DAYS + 1),
            ),
            dg.AssetDep(
                MODEL_KEY,
                partition_mapping=lookback(0),
            ),
            key(SILVER_METERS),
        ],
        partitions_def=days,
        backfill_policy=SINGLE_RUN,
        check_specs=[
            *ANOMALY_CHECKS.specs(days),
            *INPUT_CHECKS.specs(days),
            dg.AssetCheckSpec(
                "severe_share",
                asset=key(GOLD_ANOMALIES),
                description=SEVERE_SHARE_DESCRIPTION,
                partitions_def=days,
            ),
        ],
        automation_condition=follows_parents(
            not_triggered_by=[key(SILVER_METERS)],
            may_miss=[key(GOLD_CONSUMPTION_FEATURES), key(SILVER_METER_READINGS), MODEL_KEY],
        ),
        description=(
            "Explained anomalies per meter and day: rules (flatline, dropout, negative, spike, "
            "unit error, sustained drop), the day-ahead model's residual under the observed "
            "weather, and an Isolation Forest over daily profiles; merged into events with a "
            f"reason and a severity. Grain: {GOLD_ANOMALIES.grain}."
        ),
    )(anomalies)
