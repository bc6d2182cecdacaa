"""`make bench-forecast`: the day-ahead model's quality on real data, beside the benchmarks.

    .venv/bin/python -m bench.forecast_real [--sets gb_national_demand it_building]
        [--test-days N] [--root DIR] [--seeds 42 43 ...]

For each real set (`../shared/data/real/`, see its README), the files are imported through the
landing folder into a lake (`bench.real_lake`; a temporary one unless `--root` names one to keep
and reuse), then the rolling-origin backtest (`ml.forecasting.backtest.run_backtest`, the code of
the
`ml/day_ahead_backtest` asset: weekly models on every day before their week, production rules)
replays the set's test period, the meter-days the quality scorecard marks bad left out of
training (`ml.forecasting.scorecard_gating`). One table per set: MAPE, mean pinball loss of
P10/P50/P90 and
P10-P90 coverage of the model, of Tao Hong's vanilla regression (refitted each week on the same
rows) and of the two naive forecasts (no band), all on the same intervals, plus the published
reference figures and the targets. `--test-days` shortens each test period (its first N days)
where the full one is too slow. `--seeds` replays each set once per booster seed (production
trains with `TrainingParams.seed`) and prints the model's MAPE and coverage over the seeds, to
tell a figure from a seed's luck. The figures are logged to an MLflow run per set and seed
(tracking store under the lake).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import mlflow
import numpy as np
import polars as pl

from bench.real_lake import import_real_set
from checks.contracts import GOLD_CONSUMPTION_FEATURES, GOLD_QUALITY_SCORECARD
from energy_assets.storage.lake import Lake
from ml.forecasting.backtest import Backtest, run_backtest
from ml.forecasting.baselines import SAME_TIME_LAST_WEEK, SAME_TIME_YESTERDAY, naive_forecasts
from ml.forecasting.evaluation import coverage, mape, pinball
from ml.forecasting.inputs import GOLD_COLUMNS
from ml.forecasting.model import TrainingParams
from ml.forecasting.periods import period_start
from ml.forecasting.scorecard_gating import without_bad_days
from ml.tracking import default_tracking_uri, experiment_id

ISSUE_HOUR_UTC = 12


@dataclass(frozen=True)
class RealSet:
    name: str
    test_start: date
    test_end: date
    """Last test day, inclusive."""
    target_mape: float
    reference: str
    """The published figures of its README, for the reader."""


SETS = {
    s.name: s
    for s in (
        RealSet(
            "gb_national_demand",
            date(2015, 1, 1),
            date(2016, 6, 30),
            2.6,
            "published: same time yesterday 4.96%, last week 3.06%, vanilla 3.05%",
        ),
        RealSet(
            "it_building",
            date(2019, 10, 1),
            date(2019, 12, 31),
            12.6,
            "published: same time yesterday 27.1%, last week 18.0%, vanilla 99.6% (unclipped)",
        ),
    )
}
FORECASTERS = {
    "model": ("forecast_kwh", "p10_kwh", "p90_kwh"),
    "vanilla": ("vanilla_kwh", "vanilla_p10_kwh", "vanilla_p90_kwh"),
    SAME_TIME_YESTERDAY: (SAME_TIME_YESTERDAY, None, None),
    SAME_TIME_LAST_WEEK: (SAME_TIME_LAST_WEEK, None, None),
}
"""Forecaster -> its P50, P10 and P90 columns in the scored frame."""


def scores(forecasts: pl.DataFrame) -> dict[str, dict[str, float]]:
    """Per forecaster of `FORECASTERS`: MAPE, mean pinball loss of its P10/P50/P90 (NaN without a
    band) and P10-P90 coverage, on the intervals where the actual and every forecaster are
    known."""
    frame = pl.concat([forecasts, naive_forecasts(forecasts)], how="horizontal")
    points = [p for p, _, _ in FORECASTERS.values()]
    scored = frame.filter(pl.all_horizontal(pl.col("energy_kwh", *points).is_not_null()))
    actual = scored["energy_kwh"].to_numpy()
    out: dict[str, dict[str, float]] = {}
    for name, (point, low, high) in FORECASTERS.items():
        p50 = scored[point].to_numpy()
        figures = {"mape": mape(actual, p50), "rows": float(scored.height)}
        if low and high:
            p10, p90 = scored[low].to_numpy(), scored[high].to_numpy()
            figures["pinball"] = float(
                np.mean(
                    [
                        pinball(actual, p10, 0.1),
                        pinball(actual, p50, 0.5),
                        pinball(actual, p90, 0.9),
                    ]
                )
            )
            figures["coverage_p10_p90"] = coverage(actual, p10, p90)
        else:
            figures["pinball"] = float("nan")
            figures["coverage_p10_p90"] = float("nan")
        out[name] = figures
    return out


def _backtest(
    root: str, real: RealSet, test_end: date, params: TrainingParams
) -> tuple[Backtest, float, float]:
    """The backtest of the set's test period up to `test_end` (inclusive); wall and CPU s."""
    started = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime
    store, end = Lake(root), test_end + timedelta(days=1)
    features = pl.from_arrow(store.read(GOLD_CONSUMPTION_FEATURES, None, end, GOLD_COLUMNS))
    scorecard = pl.from_arrow(store.read(GOLD_QUALITY_SCORECARD, None, end))
    assert isinstance(features, pl.DataFrame) and isinstance(scorecard, pl.DataFrame)
    # `Lake.read` without a start reads every day: the days after the test window are cut here,
    # so `--test-days` shortens the replay, not only the scoring.
    features = without_bad_days(features.filter(pl.col("day") < end), scorecard)
    # The first test day is forecast by the model of the week holding its issue day.
    first_period = period_start(real.test_start - timedelta(days=1), "weekly")
    result = run_backtest(features, params, ISSUE_HOUR_UTC, "weekly", first_period)
    if isinstance(result, str):
        raise SystemExit(f"{real.name}: no backtest: {result}")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return result, time.perf_counter() - started, usage.ru_utime + usage.ru_stime - cpu


def _print(real: RealSet, figures: dict[str, dict[str, float]], first: date, last: date) -> None:
    print(f"\n{real.name}: target days {first}..{last}, {figures['model']['rows']:.0f} intervals")
    print(f"  {'forecaster':<22}{'MAPE':>8}{'pinball':>12}{'P10-P90':>9}")
    for name, f in figures.items():
        band = (
            f"{f['coverage_p10_p90']:>8.1f}%" if np.isfinite(f["coverage_p10_p90"]) else f"{'-':>9}"
        )
        loss = f"{f['pinball']:>12,.1f}" if np.isfinite(f["pinball"]) else f"{'-':>12}"
        print(f"  {name:<22}{f['mape']:>7.2f}%{loss}{band}")
    model = figures["model"]
    mape_met = "met" if model["mape"] <= real.target_mape else "MISSED"
    band_met = "met" if 78 <= model["coverage_p10_p90"] <= 82 else "MISSED"
    print(
        f"  target: MAPE <= {real.target_mape}% ({mape_met}), coverage 78-82% ({band_met}); "
        f"{real.reference}"
    )


def _log(
    root: str,
    real: RealSet,
    params: TrainingParams,
    figures: dict[str, dict[str, float]],
    tags: dict[str, str],
) -> str:
    """One MLflow run of the set's figures in the lake's tracking store; its id."""
    mlflow.set_tracking_uri(default_tracking_uri(Path(root) / "mlflow"))
    experiment = experiment_id("forecast_real_data", None)
    with mlflow.start_run(experiment_id=experiment, run_name=real.name) as run:
        mlflow.log_params({**params.as_dict(), "issue_hour_utc": ISSUE_HOUR_UTC})
        mlflow.log_metrics(
            {
                f"{name}_{metric}": value
                for name, f in figures.items()
                for metric, value in f.items()
                if np.isfinite(value)
            }
        )
        mlflow.set_tags(tags)
    return str(run.info.run_id)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sets", nargs="+", choices=sorted(SETS), default=sorted(SETS))
    parser.add_argument("--test-days", type=int, default=0, help="only the first N test days")
    parser.add_argument("--root", help="folder of the lakes to build or reuse (default: temporary)")
    parser.add_argument(
        "--seeds",
        nargs="+",
        type=int,
        default=[TrainingParams.seed],
        help="booster seeds to replay each set with (default: the production seed)",
    )
    args = parser.parse_args()
    base = args.root or tempfile.mkdtemp(prefix="energy-forecast-real-")
    for name in args.sets:
        real = SETS[name]
        root = f"{base}/{name}"
        started = time.perf_counter()
        first_day, end, rejected = import_real_set(name, root, ISSUE_HOUR_UTC)
        print(
            f"{name}: imported {first_day}..{end - timedelta(days=1)} through the landing folder "
            f"into {root} ({rejected} rows rejected) in {time.perf_counter() - started:.0f} s"
        )
        test_end = real.test_end
        if args.test_days:
            test_end = min(test_end, real.test_start + timedelta(days=args.test_days - 1))
        models = [_replay(root, real, test_end, TrainingParams(seed=seed)) for seed in args.seeds]
        if len(models) > 1:
            mapes = np.array([m["mape"] for m in models])
            bands = np.array([m["coverage_p10_p90"] for m in models])
            print(
                f"\n{name} over seeds {', '.join(map(str, args.seeds))}: model MAPE "
                f"{mapes.mean():.2f}% (range {mapes.min():.2f}-{mapes.max():.2f}), P10-P90 "
                f"coverage {bands.mean():.1f}% (range {bands.min():.1f}-{bands.max():.1f})"
            )


def _replay(root: str, real: RealSet, test_end: date, params: TrainingParams) -> dict[str, float]:
    """Backtest, print and log one set with `params`; the model's figures."""
    result, wall, cpu = _backtest(root, real, test_end, params)
    forecasts = result.forecasts.filter(
        (pl.col("day") >= real.test_start) & (pl.col("day") <= test_end)
    )
    figures = scores(forecasts)
    print(f"\nseed {params.seed}:", end="")
    _print(real, figures, real.test_start, test_end)
    trained = int(result.periods["trained"].sum())
    used = forecasts["model_used"].value_counts().sort("model_used").rows()
    print(
        f"  {trained} weekly models of {result.periods.height}, {wall:.0f} s wall, "
        f"{cpu:.0f} s CPU; rows by {', '.join(f'{u}: {n}' for u, n in used)}"
    )
    weekly = result.periods.drop_nulls("coverage_p10_p90")["coverage_p10_p90"].to_list()
    print(f"  P10-P90 coverage by week: {' '.join(f'{c:.0f}' for c in weekly)}")
    run_id = _log(
        root,
        real,
        params,
        figures,
        {
            "set": real.name,
            "seed": str(params.seed),
            "test_window": f"[{real.test_start}, {test_end}]",
            "backtest_seconds": f"{wall:.0f}",
        },
    )
    print(f"  MLflow run {run_id} ({default_tracking_uri(Path(root) / 'mlflow')})")
    return figures["model"]


if __name__ == "__main__":
    main()
