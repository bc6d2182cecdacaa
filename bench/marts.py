"""`make bench` (marts): the dbt marts over N meters x D days of simulated lake.

Builds bronze -> silver -> gold on a temporary lake (as `bench.lakehouse` does, untimed here),
then times dbt as the Dagster assets run it: the first build of the partitioned marts over every
day, then `--repeat` times (default 3, taking turns) the marts rebuilt whole and a one-day
partition run (the last day, with the default lookback), each reporting its fastest run. A day's
refresh is both: the daily partition, then the marts over every day. Each figure is dbt's own
elapsed time (`run_results.json`) beside the wall time of the `dbt build` process (which adds
dbt's start-up and parsing) and its CPU time, with the slowest nodes of the build. Builds run as
the assets run them (`marts_io.BUILD_ARGS`: unit tests are left to the test suite).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from bench.lakehouse import _in_subprocess
from energy_assets.marts import marts_io
from energy_assets.settings import DEFAULT_MARTS_LOOKBACK_DAYS
from energy_assets.storage.lake import Lake

DBT_DIR = Path(__file__).resolve().parents[1] / "dbt"
DBT = Path(sys.executable).with_name("dbt")
WHOLE = "tag:rebuilt_whole"
TELEMETRY_OFF = {"DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}


def dbt_build(
    lake: Lake, target: Path, selection: list[str], settings: dict[str, str]
) -> dict[str, Any]:
    """One `dbt build` as the marts assets run it; its wall, CPU and dbt times and slowest nodes."""
    folder = marts_io.marts_dir(lake)
    began = time.perf_counter()
    cpu_before = _children_cpu_seconds()
    with marts_io.marts_environment(lake, folder, settings):
        subprocess.run(
            [str(DBT), *marts_io.BUILD_ARGS, "--quiet", "--target-path", str(target), *selection],
            cwd=DBT_DIR,
            env={**os.environ, **TELEMETRY_OFF},
            check=True,
        )
    wall = time.perf_counter() - began
    cpu = _children_cpu_seconds() - cpu_before
    results = json.loads((target / "run_results.json").read_text())
    slowest = sorted(results["results"], key=lambda r: -r["execution_time"])[:3]
    return {
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "dbt_seconds": results["elapsed_time"],
        "nodes": len(results["results"]),
        "slowest": ", ".join(
            f"{r['unique_id'].split('.')[2]} {r['execution_time']:.1f}s" for r in slowest
        ),
    }


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def dbt_threads() -> int:
    """The threads of the profile the Dagster assets use (`dbt/profiles.yml`)."""
    profile = yaml.safe_load((DBT_DIR / "profiles.yml").read_text())["energy_marts"]
    return int(profile["outputs"][profile["target"]]["threads"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--meters", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2024, 3, 1))
    parser.add_argument("--repeat", type=int, default=3, help="runs per repeated build")
    args = parser.parse_args()
    end = args.start + timedelta(days=args.days)
    root = tempfile.mkdtemp(prefix="energy-bench-marts-")
    try:
        for layer in ("bronze", "silver", "gold"):
            _in_subprocess(layer, root, args.meters, args.start, end)
        lake = Lake(root)
        target = Path(root) / "dbt_target"
        last = end - timedelta(days=1)
        window = marts_io.window_settings(last, end, DEFAULT_MARTS_LOOKBACK_DAYS)
        partitioned = ["--exclude", f"{WHOLE}+"]
        cautious = {"DBT_INDIRECT_SELECTION": "cautious"}
        first = dbt_build(lake, target, partitioned, cautious)
        whole, one_day = [], []
        for _ in range(args.repeat):
            whole.append(dbt_build(lake, target, ["--select", WHOLE], {}))
            one_day.append(dbt_build(lake, target, partitioned, {**window, **cautious}))
        best_whole = min(whole, key=lambda r: r["dbt_seconds"])
        best_day = min(one_day, key=lambda r: r["dbt_seconds"])
        refresh = {
            key: sum(r[key] for r in (best_whole, best_day))
            for key in ("nodes", "dbt_seconds", "wall_seconds", "cpu_seconds")
        }
        runs = {
            "partitioned marts, first build (every day)": first,
            "marts rebuilt whole": best_whole,
            f"one-day partition run ({last})": best_day,
            "a day refreshed (one-day run + rebuilt whole)": {**refresh, "slowest": ""},
        }
        print(
            f"dbt marts, {args.meters} meters x {args.days} days from {args.start}, "
            f"{dbt_threads()} dbt threads, best of {args.repeat} runs after the first build"
        )
        print(f"{'build':<46}{'nodes':>6}{'dbt s':>8}{'wall s':>8}{'CPU s':>8}  slowest")
        for name, run in runs.items():
            print(
                f"{name:<46}{run['nodes']:>6}{run['dbt_seconds']:>8.1f}"
                f"{run['wall_seconds']:>8.1f}{run['cpu_seconds']:>8.1f}  {run['slowest']}"
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
