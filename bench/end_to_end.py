"""The end-to-end table of `make bench`: `energy-lake backfill` of every asset over a simulated
window, as a user runs it, for each fleet size of `--meters`.

Each size gets a fresh lake and Dagster instance under a temporary folder and one `energy-lake
backfill --start --end` in a child process (lake layers, carbon, models, backtest, forecasts,
anomalies, marts: everything `energy-lake` selects by default). Measured: wall time, CPU time of
the whole process tree (every child reaped), peak memory of the tree (sampled, as the sum of each
process's proportional set size: a page shared by processes counts once, where summed resident
sizes counted the backfill twice whenever a sample fell between a child's fork and its exec, as for
every dbt, `tail` and watcher process a step starts) and which processes held it (the backfill,
dbt, others), silver readings per wall second, and each asset's share of the wall time from the
step durations in the instance's event log (steps of one run may overlap: shares can add past
100%), and the share spent outside any step (starting processes, orchestrating runs). Per step, the
memory samples taken while it ran give the backfill process's size as the step started, its peak
and its size as the step ended (what the process keeps after the step), and the tree's peak: the
steps that set the peak, and those after which the process stays large.

    .venv/bin/python -m bench.end_to_end --meters 1,50 --days 365
"""

from __future__ import annotations

import argparse
import bisect
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import astuple, dataclass
from datetime import date, timedelta
from pathlib import Path
from unittest import mock

import psutil

from checks.contracts import SILVER_METER_READINGS
from energy_assets.storage.lake import Lake

INSTANCE_SETTINGS = Path(__file__).resolve().parents[1] / "dagster.yaml"
SAMPLE_SECONDS = 0.25
TOP_ASSETS = 8
"""Assets named in a size's breakdown, by time."""
QUIET = {
    "DAGSTER_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
}


@dataclass(frozen=True)
class Sample:
    """The tree's proportional set sizes by kind of process (bytes) at an instant (epoch s)."""

    at: float
    by_kind: dict[str, int]


@dataclass(frozen=True)
class StepSpan:
    step: str
    start: float
    end: float


@dataclass(frozen=True)
class StepMemory:
    """The backfill process's size when a step started, its peak and its size when the step
    ended, and the whole tree's peak during the step, MB."""

    backfill_start_mb: float
    backfill_peak_mb: float
    backfill_end_mb: float
    tree_peak_mb: float


@dataclass(frozen=True)
class Figures:
    meters: int
    days: int
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    peak_by_kind_mb: dict[str, float]
    readings: int
    step_seconds: dict[str, float]
    step_memory: dict[str, StepMemory]

    @property
    def readings_per_s(self) -> float:
        return self.readings / self.wall_s if self.wall_s else 0.0


def process_kind(cmdline: list[str]) -> str:
    """What a process of the backfill's tree is, for the memory breakdown: a dbt process (the
    marts steps), else another child (a spawned run, a worker)."""
    return "dbt" if any(Path(part).name == "dbt" for part in cmdline[:2]) else "other"


def tree_memory_by_kind(process: psutil.Process) -> dict[str, int]:
    """Proportional set size of a process (`backfill`) and its descendants by kind, bytes (gone
    ones count as 0)."""
    total: dict[str, int] = defaultdict(int)
    for member in [process, *process.children(recursive=True)]:
        try:
            kind = "backfill" if member.pid == process.pid else process_kind(member.cmdline())
            total[kind] += member.memory_full_info().pss
        except psutil.Error:
            continue
    return dict(total)


def step_memory(samples: list[Sample], spans: list[StepSpan]) -> dict[str, StepMemory]:
    """Memory per step from the samples taken while it ran (a step that ran in several runs: its
    largest figures); a step shorter than the sampling interval gets the samples on each side."""
    if not samples:
        return {}
    instants = [s.at for s in samples]
    found: dict[str, StepMemory] = {}
    for span in spans:
        first = max(bisect.bisect_right(instants, span.start) - 1, 0)
        last = min(bisect.bisect_left(instants, span.end), len(samples) - 1)
        during = samples[first : last + 1]
        backfill = [s.by_kind.get("backfill", 0) / 2**20 for s in during]
        memory = StepMemory(
            backfill_start_mb=backfill[0],
            backfill_peak_mb=max(backfill),
            backfill_end_mb=backfill[-1],
            tree_peak_mb=max(sum(s.by_kind.values()) for s in during) / 2**20,
        )
        known = found.get(span.step)
        found[span.step] = (
            StepMemory(*(max(a, b) for a, b in zip(astuple(known), astuple(memory), strict=True)))
            if known
            else memory
        )
    return found


def _step_spans(home: Path) -> list[StepSpan]:
    """Start and end (epoch s) of every step (asset op) of every run of the instance, from its
    event log."""
    import dagster as dg

    started: dict[tuple[str, str], float] = {}
    spans: list[StepSpan] = []
    kinds = {
        dg.DagsterEventType.STEP_START,
        dg.DagsterEventType.STEP_SUCCESS,
        dg.DagsterEventType.STEP_FAILURE,
    }
    # The instance settings place the event log under DAGSTER_HOME (`dagster.yaml`).
    with (
        mock.patch.dict(os.environ, {"DAGSTER_HOME": str(home)}),
        dg.DagsterInstance.from_config(str(home)) as instance,
    ):
        for run in instance.get_runs():
            for entry in instance.all_logs(run.run_id, of_type=kinds):
                event = entry.dagster_event
                if event is None or event.step_key is None:
                    continue
                step = (run.run_id, event.step_key)
                if event.event_type == dg.DagsterEventType.STEP_START:
                    started[step] = entry.timestamp
                elif step in started:
                    spans.append(StepSpan(event.step_key, started.pop(step), entry.timestamp))
    return spans


def measure(meters: int, start: date, days: int, workdir: Path) -> Figures:
    """One backfill of every asset for `meters` simulated meters over `days` days from `start`."""
    root = workdir / f"meters-{meters}"
    home = root / "dagster_home"
    lake = root / "lake"
    home.mkdir(parents=True)
    lake.mkdir()
    shutil.copy(INSTANCE_SETTINGS, home / "dagster.yaml")
    env = {
        **{k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"},
        **QUIET,
        "DAGSTER_HOME": str(home),
        "ENERGY_LAKE_ROOT": str(lake),
        "ENERGY_SOURCES": "simulator",
        "ENERGY_SIM_METERS": str(meters),
        "ENERGY_START_DATE": start.isoformat(),
    }
    last = start + timedelta(days=days - 1)
    command = [
        str(Path(sys.executable).with_name("energy-lake")),
        "backfill",
        "--start",
        start.isoformat(),
        "--end",
        last.isoformat(),
    ]
    log = root / "backfill.log"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    peak: dict[str, int] = {}
    samples: list[Sample] = []
    with log.open("w") as output:
        child = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
        tree = psutil.Process(child.pid)
        while child.poll() is None:
            sample = tree_memory_by_kind(tree)
            samples.append(Sample(time.time(), sample))
            if sum(sample.values()) > sum(peak.values()):
                peak = sample
            time.sleep(SAMPLE_SECONDS)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if child.returncode != 0:
        tail = log.read_text().splitlines()[-20:]
        raise SystemExit(f"backfill of {meters} meters failed:\n" + "\n".join(tail))
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    spans = sorted(_step_spans(home), key=lambda span: span.start)
    seconds: dict[str, float] = defaultdict(float)
    for span in spans:
        seconds[span.step] += span.end - span.start
    return Figures(
        meters=meters,
        days=days,
        wall_s=wall,
        cpu_s=cpu,
        peak_rss_mb=sum(peak.values()) / 2**20,
        peak_by_kind_mb={kind: size / 2**20 for kind, size in sorted(peak.items())},
        readings=Lake(str(lake)).row_count(SILVER_METER_READINGS),
        step_seconds=dict(seconds),
        step_memory=step_memory(samples, spans),
    )


def report(results: list[Figures]) -> None:
    print(
        f"{'meters':>7}{'days':>6}{'wall s':>9}{'cpu s':>9}{'peak MB':>9}{'readings':>11}"
        f"{'readings/s':>12}"
    )
    for f in results:
        print(
            f"{f.meters:>7}{f.days:>6}{f.wall_s:>9.0f}{f.cpu_s:>9.0f}{f.peak_rss_mb:>9.0f}"
            f"{f.readings:>11,}{f.readings_per_s:>12,.0f}"
        )
    for f in results:
        ranked = sorted(f.step_seconds.items(), key=lambda item: -item[1])[:TOP_ASSETS]
        shares = ", ".join(f"{step} {seconds / f.wall_s:.0%}" for step, seconds in ranked)
        outside = max(f.wall_s - sum(f.step_seconds.values()), 0.0) / f.wall_s
        at_peak = ", ".join(f"{kind} {mb:,.0f} MB" for kind, mb in f.peak_by_kind_mb.items())
        print(
            f"{f.meters} meters, share of wall time by asset step: {shares}; outside any step "
            f"(process start-up, run orchestration): {outside:.0%}; at the memory peak: {at_peak}"
        )
        print(
            f"{f.meters} meters, memory by step in the order they ran (MB): backfill process at "
            "start / peak / end, tree peak"
        )
        for step, m in f.step_memory.items():
            print(
                f"  {step:<48}{m.backfill_start_mb:>7,.0f}{m.backfill_peak_mb:>7,.0f}"
                f"{m.backfill_end_mb:>7,.0f}{m.tree_peak_mb:>7,.0f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meters", default="1,50", help="fleet sizes, comma-separated")
    parser.add_argument("--start", type=date.fromisoformat, default=date(2024, 1, 1))
    parser.add_argument("--days", type=int, default=366)
    parser.add_argument("--keep", type=Path, help="keep the lakes and instances under this folder")
    args = parser.parse_args()
    sizes = [int(size) for size in args.meters.split(",")]
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        results = [measure(n, args.start, args.days, args.keep) for n in sizes]
    else:
        with tempfile.TemporaryDirectory(prefix="bench-e2e-") as workdir:
            results = [measure(n, args.start, args.days, Path(workdir)) for n in sizes]
    report(results)


if __name__ == "__main__":
    main()
