"""The cost of a year of weekly trainings, as a backfill of `ml/day_ahead_model` runs them.

    .venv/bin/python -m bench.training_cost [--root /tmp/training-lake] [--meters 50] \
        [--start 2024-01-01] [--days 366]

builds bronze, silver and gold of `--meters` default simulated meters x `--days` days under
`--root` (a temporary folder by default; skipped when its gold table already exists), then does
what one run of the training asset over every weekly period of the window does, timed as one:
reads gold features once, computes the model inputs once, and trains each week's model on every
day before it (`ml.forecasting.periods.train_period`: booster, vanilla regressions, band
calibration, held-out scores). MLflow logging is not timed (it is the asset's, per period). Prints
the trainings' wall and CPU seconds against issue 19's target (a year of 50 meters within 2
minutes of CPU) and the mean held-out MAPE and P10-P90 coverage, so a cheaper training is seen to
score as well. Part of `make bench`.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from datetime import date, timedelta

import numpy as np

from bench.lakehouse import ISSUE_HOUR_UTC, _in_subprocess
from checks.contracts import GOLD_CONSUMPTION_FEATURES
from energy_assets.storage.lake import Lake
from energy_assets.transforms.day_ahead import gold_features
from ml.forecasting.inputs import model_inputs
from ml.forecasting.model import TrainingParams
from ml.forecasting.periods import FittedModel, period_starts, train_period

TARGET_CPU_SECONDS = 120.0


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def build(root: str, meters: int, start: date, end: date) -> None:
    """Bronze, silver and gold of the simulated meters, unless the lake has gold already."""
    if Lake(root).partition_days(GOLD_CONSUMPTION_FEATURES):
        return
    for layer in ("bronze", "silver", "gold"):
        _in_subprocess(layer, root, meters, start, end)


def train_weekly(root: str, start: date, end: date) -> dict[str, float]:
    """Train every weekly period of [start, end) as one training run does; its figures."""
    import xgboost  # noqa: F401  (imported before timing: a run imports it once, not per period)

    params = TrainingParams()
    wall, cpu = time.perf_counter(), _cpu_seconds()
    features = gold_features(Lake(root), start, end)
    inputs = model_inputs(features, features, ISSUE_HOUR_UTC)
    previous: FittedModel | None = None
    trained: list[FittedModel] = []
    for period in period_starts(start, end, "weekly"):
        fitted = train_period(inputs, period, params, previous)
        previous = fitted if isinstance(fitted, FittedModel) else None
        if previous is not None:
            trained.append(previous)
    return {
        "periods": len(period_starts(start, end, "weekly")),
        "trained": len(trained),
        "wall_s": time.perf_counter() - wall,
        "cpu_s": _cpu_seconds() - cpu,
        "train_rows": float(np.mean([m.train_rows for m in trained])),
        "holdout_mape": float(np.mean([m.metrics["mape"] for m in trained])),
        "holdout_coverage": float(np.mean([m.metrics["coverage_p10_p90"] for m in trained])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", help="lake to build or reuse (default: a temporary one)")
    parser.add_argument("--meters", type=int, default=50)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2024, 1, 1))
    parser.add_argument("--days", type=int, default=366)
    args = parser.parse_args()
    end = args.start + timedelta(days=args.days)
    root = args.root or tempfile.mkdtemp(prefix="energy-training-")
    try:
        build(root, args.meters, args.start, end)
        figures = train_weekly(root, args.start, end)
    finally:
        if not args.root:
            shutil.rmtree(root, ignore_errors=True)
    print(
        f"\nweekly trainings, {args.meters} meters x {args.days} days from {args.start}:\n"
        f"  {figures['trained']:.0f} of {figures['periods']:.0f} weekly models trained, "
        f"{figures['wall_s']:.0f} s wall, {figures['cpu_s']:.0f} s CPU "
        f"(target: within {TARGET_CPU_SECONDS:.0f} s of CPU for 50 meters x a year)\n"
        f"  mean per model: {figures['train_rows']:,.0f} training rows, held-out MAPE "
        f"{figures['holdout_mape']:.1f}%, P10-P90 coverage {figures['holdout_coverage']:.1f}%"
    )


if __name__ == "__main__":
    main()
