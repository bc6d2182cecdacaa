"""Rolling-origin backtest of the day-ahead model on a simulated lake: the issue's accuracy figures.

    .venv/bin/python -m bench.backtest --root /tmp/forecast/lake365 --meters 50 \
        --start 2024-01-01 --days 365 --first-period 2024-04-01

builds bronze, silver and gold of `--meters` default simulated meters x `--days` days under
`--root` (skipped when its gold table already exists), then replays
`ml.forecasting.backtest.run_backtest`,
the code of the `ml/day_ahead_backtest` asset: weekly models, each trained on every day before
its week (sampled, recent days likelier), forecasting the days issued during it under the
production rules. Periods before `--first-period` (default: the first Monday with
`WARM_UP_DAYS` of history and level history before it) serve as history (the last
`calibration_periods` of them trained, unscored, to calibrate the first band). Prints one line
per week and the overall figures against the issue's targets: region MAPE at least 30% below the
best naive baseline, at least 90% of meters with positive skill, P10-P90 coverage of 75-85%, and
the scored weeks' trainings' cost (wall and CPU seconds of each `train_period`; the cost of a
year of trainings as a training run does them is `bench.training_cost`'s, in `make bench`). It is
not part of `make bench`: it forecasts and scores every week besides training.
"""

from __future__ import annotations

import argparse
import resource
import time
from datetime import date, timedelta

import polars as pl

from bench.lakehouse import ISSUE_HOUR_UTC, _in_subprocess
from checks.contracts import GOLD_CONSUMPTION_FEATURES
from energy_assets.storage.lake import Lake
from ml.forecasting.backtest import run_backtest
from ml.forecasting.inputs import GOLD_COLUMNS, LEVEL_DAYS
from ml.forecasting.model import TrainingParams
from ml.forecasting.periods import period_start

WARM_UP_DAYS = 91
"""History before the first replayed week, by default."""


def _build(root: str, meters: int, start: date, end: date) -> None:
    if Lake(root).partition_days(GOLD_CONSUMPTION_FEATURES):
        return
    for layer in ("bronze", "silver", "gold"):
        _in_subprocess(layer, root, meters, start, end)


def _lower(model: float, baseline: float) -> str:
    return f"{1 - model / baseline:>6.0%}" if baseline else f"{'':>6}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", required=True, help="lake to build or reuse")
    parser.add_argument("--meters", type=int, default=50)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2024, 1, 1))
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--first-period", type=date.fromisoformat, default=None)
    args = parser.parse_args()
    params = TrainingParams()
    end = args.start + timedelta(days=args.days)
    _build(args.root, args.meters, args.start, end)
    ready = args.start + timedelta(days=WARM_UP_DAYS + LEVEL_DAYS + 1)
    first_period = args.first_period or period_start(ready + timedelta(days=6), "weekly")
    started = time.perf_counter()
    features = pl.from_arrow(
        Lake(args.root).read(GOLD_CONSUMPTION_FEATURES, args.start, end, GOLD_COLUMNS)
    )
    assert isinstance(features, pl.DataFrame)
    result = run_backtest(features, params, ISSUE_HOUR_UTC, "weekly", first_period)
    if isinstance(result, str):
        raise SystemExit(f"no backtest: {result}")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        f"{'week':<12}{'region MAPE':>12}{'naive':>8}{'lower':>7}"
        f"{'meters +':>10}{'coverage':>10}{'skill':>7}"
    )
    for week in result.periods.filter(pl.col("trained")).iter_rows(named=True):
        print(
            f"{week['period_start']!s:<12}{week['region_mape']:>11.2f}%"
            f"{week['region_best_baseline_mape']:>7.2f}%"
            f"{_lower(week['region_mape'], week['region_best_baseline_mape'])}"
            f"{week['meters_positive_skill_pct']:>9.0f}%{week['coverage_p10_p90']:>9.1f}%"
            f"{week['skill_vs_best_baseline']:>7.2f}"
        )
    m = result.metrics
    days = result.forecasts["day"]
    print(
        f"\noverall, target days {days.min()!s}..{days.max()!s} "
        f"({result.periods['trained'].sum()} weekly models, {m['model_rows_pct']:.1f}% of rows "
        f"by the model):\n"
        f"  region MAPE {m['region_mape']:.2f}% vs best naive {m['region_best_baseline_mape']:.2f}%"
        f": {_lower(m['region_mape'], m['region_best_baseline_mape']).strip()} lower "
        f"(target >= 30%)\n"
        f"  meters with positive skill {m['meters_positive_skill_pct']:.1f}% (target >= 90%)\n"
        f"  P10-P90 coverage, meter level {m['coverage_p10_p90']:.1f}%, "
        f"region level {m['region_coverage_p10_p90']:.1f}% (target 75-85%)\n"
        f"  meter MAPE {m['mape']:.2f}% vs best naive {m['best_baseline_mape']:.2f}%, "
        f"skill {m['skill_vs_best_baseline']:.3f}\n"
        f"  {time.perf_counter() - started:.0f} s wall, "
        f"{usage.ru_utime + usage.ru_stime:.0f} s CPU"
    )
    periods = result.periods
    print(
        f"  trainings: {periods['trained'].sum()} weekly models "
        f"({(periods['warm_starts'] > 0).sum()} warm-started), "
        f"{periods['train_wall_s'].sum():.0f} s wall, {periods['train_cpu_s'].sum():.0f} s CPU "
        f"(the scored weeks; a year of trainings as one run: `python -m bench.training_cost`)"
    )


if __name__ == "__main__":
    main()
