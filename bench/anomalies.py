"""`python -m bench.anomalies`: the anomaly detectors' yardstick and timing, without Dagster.

Builds bronze, silver and gold for N meters on a temporary (or given) lake from the simulator with
its harder shapes (`energy_assets.sources.simulator.shapes`), trains the day-ahead model of each
period as the training asset does, then detects every day of the window through the functions the
`gold/anomalies` asset calls, in its chunks (`CHUNK_DAYS`), and scores the events against the labels
(`ml.anomaly.evaluation.score_events`). Prints the per-type table, the false events per
meter-month on clean meters and after a true event, and the seconds the detection took (model
training excluded: the asset loads trained models), wall and CPU.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path

import polars as pl

from bench.lakehouse import ISSUE_HOUR_UTC, run_layer
from checks.contracts import (
    BRONZE_ANOMALY_LABELS,
    GOLD_CONSUMPTION_FEATURES,
    GOLD_QUALITY_SCORECARD,
    SILVER_METER_READINGS,
    SILVER_METERS,
    TableContract,
)
from energy_assets.sources.simulator import SimulatorConfig, clean_meter_ids
from energy_assets.storage.lake import Lake, days_in
from energy_assets.transforms.layers import chunks
from ml.anomaly.consequences import CONSEQUENCE_DAYS
from ml.anomaly.detection import (
    CHUNK_DAYS,
    INPUT_COLUMNS,
    UNIT_LOOKBACK_DAYS,
    detect_day,
    history_days,
)
from ml.anomaly.evaluation import false_events, score_events, started_in_window
from ml.anomaly.history import (
    excluded_intervals,
    expectation_from_clean_history,
    left_out,
    mark_excluded,
)
from ml.anomaly.params import AnomalyParams
from ml.anomaly.sliding_read import SlidingRead
from ml.anomaly.week_history import WeekHistory
from ml.forecasting.inputs import GOLD_COLUMNS, LEVEL_DAYS
from ml.forecasting.model import Predictor, TrainingParams, predict
from ml.forecasting.periods import fit_period, period_start, period_starts

MODEL_NAME = "bench"
WARMUP_DAYS = 120
"""Days simulated before the judged window: the first model's training window and history."""


def _frame(
    store: Lake, table: TableContract, start: date | None, end: date | None, columns: list[str]
) -> pl.DataFrame:
    frame = pl.from_arrow(store.read(table, start, end, columns))
    assert isinstance(frame, pl.DataFrame)
    return frame


def build(root: str, meters: int, first: date, end: date, seed: int) -> None:
    for layer in ("bronze", "silver", "gold"):
        figures = run_layer(layer, root, meters, first, end, hard_shapes=True, seed=seed)
        print(f"  {layer}: {figures['rows']} rows in {figures['seconds']:.0f} s")


def train(store: Lake, start: date, end: date, cadence: str) -> dict[date, Predictor | None]:
    """The model of each training period, as the training asset fits it; kept beside the lake
    (`bench_models/`) so a second run on the same lake only detects."""
    import xgboost as xgb

    params = TrainingParams()
    columns = sorted(set(GOLD_COLUMNS))
    kept = Path(store.root) / "bench_models"
    kept.mkdir(exist_ok=True)
    predictors: dict[date, Predictor | None] = {}
    for period in period_starts(period_start(start, cadence), end, cadence):
        saved = kept / f"{cadence}-{period}.json"
        if saved.exists():
            booster = xgb.Booster()
            booster.load_model(saved)
            scale = json.loads(saved.with_suffix(".scale").read_text())
            predictors[period] = partial(predict, booster, band_scale=scale)
            continue
        low = period - timedelta(days=params.train_days)
        window = _frame(store, GOLD_CONSUMPTION_FEATURES, low, period, columns)
        history = _frame(
            store, GOLD_CONSUMPTION_FEATURES, low - timedelta(days=LEVEL_DAYS + 1), low, columns
        )
        fitted = fit_period(window, history, period, params, ISSUE_HOUR_UTC)
        if isinstance(fitted, str):
            predictors[period] = None
            print(f"  model {period}: none, {fitted}")
            continue
        fitted.booster.save_model(saved)
        saved.with_suffix(".scale").write_text(json.dumps(fitted.band_scale))
        predictors[period] = fitted.predictor()
        print(f"  model {period}: trained")
    return predictors


def detect(
    store: Lake,
    start: date,
    end: date,
    predictors: dict[date, Predictor | None],
    cadence: str,
    params: AnomalyParams,
) -> pl.DataFrame:
    """Gold `anomalies` rows of [start, end), day by day as the asset computes them."""
    meters = _frame(store, SILVER_METERS, None, None, ["meter_id", "can_export"])
    lookback = timedelta(days=history_days(params))
    columns = sorted({*GOLD_COLUMNS, *INPUT_COLUMNS})
    silver_columns = ["meter_id", "interval_start_utc", "day", "is_estimated",
                      "is_unit_corrected", "is_flatline"]  # fmt: skip
    found: list[pl.DataFrame] = []
    weeks: dict[date, WeekHistory] = {}
    known: pl.DataFrame | None = None
    now = datetime.now(UTC)
    gold, flags, statuses = (
        SlidingRead(partial(_frame, store, table, columns=read))
        for table, read in (
            (GOLD_CONSUMPTION_FEATURES, columns),
            (SILVER_METER_READINGS, silver_columns),
            (GOLD_QUALITY_SCORECARD, ["meter_id", "day", "status"]),
        )
    )
    for low, high in chunks(start, end, CHUNK_DAYS):
        first = low - lookback - timedelta(days=LEVEL_DAYS + 1)
        raw = gold.window(first, high)
        silver = flags.window(first, high)
        scorecard = statuses.window(first, high)
        leave_out = left_out(raw, excluded_intervals(silver, scorecard), params)
        new_from = low - lookback if known is None else low
        periods: dict[date, list[date]] = {}
        for day in raw.filter(pl.col("day") >= new_from)["day"].unique().sort().to_list():
            periods.setdefault(period_start(day, cadence), []).append(day)
        parts = [] if known is None else [known.filter(pl.col("day") >= low - lookback)]
        for period, members in periods.items():
            window = raw.filter(
                pl.col("day").is_between(members[0] - timedelta(days=LEVEL_DAYS + 1), members[-1])
            )
            parts.append(
                expectation_from_clean_history(
                    predictors.get(period), window, members[0], ISSUE_HOUR_UTC, MODEL_NAME,
                    leave_out,
                )
            )  # fmt: skip
        known = pl.concat(parts)
        features = mark_excluded(known, leave_out)
        unit_days = (
            silver.filter(pl.col("day") >= low - timedelta(days=UNIT_LOOKBACK_DAYS))
            .group_by("meter_id", "day")
            .agg(pl.col("is_unit_corrected").any())
        )
        for day in days_in(low, high):
            recent = [f for f in found[-CONSEQUENCE_DAYS:] if f.height]
            detection = detect_day(
                features, meters, unit_days, day,
                params, now, raised=pl.concat(recent) if recent else None, weeks=weeks,
            )  # fmt: skip
            table = pl.from_arrow(detection.table)
            assert isinstance(table, pl.DataFrame)
            found.append(table)
    return pl.concat(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--meters", type=int, default=20)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2024, 1, 1))
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--cadence", default="monthly", help="training cadence (weekly, monthly)")
    parser.add_argument("--root", help="lake to build or reuse (default: a temporary one)")
    parser.add_argument(
        "--seed", type=int, default=SimulatorConfig.seed, help="the simulator's seed"
    )
    args = parser.parse_args()
    end = args.start + timedelta(days=args.days)
    first = args.start - timedelta(days=WARMUP_DAYS)
    root = args.root or tempfile.mkdtemp(prefix="energy-anomaly-bench-")
    store = Lake(root)
    if not (Path(root) / GOLD_CONSUMPTION_FEATURES.path).exists():
        print(f"building {args.meters} meters x {(end - first).days} days in {root}")
        build(root, args.meters, first, end, args.seed)
    predictors = train(store, args.start, end, args.cadence)
    params = AnomalyParams()
    started, cpu = time.perf_counter(), time.process_time()
    found = detect(store, args.start, end, predictors, args.cadence, params)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    labels = _frame(
        store,
        BRONZE_ANOMALY_LABELS,
        first,
        end,
        list(BRONZE_ANOMALY_LABELS.columns),
    )
    # Events begun before the window (found or missed there) are not judged.
    begun_in, labels = started_in_window(found, labels, args.start)
    clean = clean_meter_ids(SimulatorConfig(seed=args.seed, n_meters=args.meters))
    judged = _frame(
        store, GOLD_QUALITY_SCORECARD, args.start, end, ["meter_id", "day", "received_intervals"]
    )
    judged = judged.filter(pl.col("received_intervals") > 0).select("meter_id", "day")
    clean_days = judged.filter(pl.col("meter_id").is_in(list(clean))).height

    scores = score_events(begun_in, labels, clean, clean_days, judged)
    with pl.Config(tbl_rows=60, tbl_cols=20, tbl_width_chars=200, fmt_str_lengths=120):
        print(scores.drop("f1"))
        print("false events:")
        print(false_events(begun_in, labels).drop("event_id"))
    print(
        f"detection of {args.days} days x {args.meters} meters: {seconds:.1f} s wall, "
        f"{cpu_seconds:.1f} s CPU (on a shared machine the CPU time is the steadier figure)"
    )
    found.write_parquet(Path(root) / "bench_anomalies.parquet")


if __name__ == "__main__":
    main()
