"""`energy-lake`: headless operations on the lake through the Dagster instance.

Runs launched here are stored in the instance (`DAGSTER_HOME`, default `.dagster_home/`), so they
show up in the Dagster UI like any other run.
"""

from __future__ import annotations

import argparse
import fcntl
import logging
import os
import shutil
import signal
import sys
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from collections.abc import Set as AbstractSet
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
from multiprocessing import get_context
from pathlib import Path

import dagster as dg
import polars as pl
from dagster._core.definitions.assets.graph.asset_graph import AssetGraph
from dagster._core.execution.api import execute_run
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)
from dagster._core.utils import make_new_run_id

from checks.contracts import (
    ALL_TABLES,
    BRONZE_QUARANTINE,
    GOLD_CONSUMPTION_FEATURES,
    GOLD_QUALITY_SCORECARD,
)
from energy_assets.backfill_progress import BackfillProgress, commits_reported
from energy_assets.defs.backfill_jobs import (
    backfill_job,
    celery_run_config,
    reconstructable_backfill_job,
)
from energy_assets.defs.runs import range_tags_per_run
from energy_assets.settings import BackfillSettings, configured_lake
from energy_assets.storage.lake import Lake

DEMO_DAYS = 60
INSTANCE_SETTINGS = Path(__file__).resolve().parents[1] / "dagster.yaml"
"""The project's instance settings (telemetry off, pools), copied into a new DAGSTER_HOME."""
EVENT_BATCH_SIZE = 1000
"""Events Dagster stores per transaction (`DAGSTER_EVENT_BATCH_SIZE`, unless set): a range run of a
year plans one event per asset and day; larger batches measured no faster and hold the index's
write lock longer. The Makefile exports the same size for `make dev`'s UI-launched runs."""


@contextmanager
def _instance_lock(home: Path) -> Iterator[None]:
    """Hold `home`'s lock file: one command at a time prepares the instance (two commands on a
    brand-new DAGSTER_HOME would otherwise both create its SQLite schema: `table runs already
    exists`)."""
    with (home / ".instance.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _instance() -> dg.DagsterInstance:
    if not os.environ.get("DAGSTER_HOME"):
        home = Path(".dagster_home").resolve()
        home.mkdir(exist_ok=True)
        if not (home / "dagster.yaml").exists() and INSTANCE_SETTINGS.exists():
            shutil.copy(INSTANCE_SETTINGS, home / "dagster.yaml")
        os.environ["DAGSTER_HOME"] = str(home)
    home = Path(os.environ["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    # Dagster then stores a run's planned events (and a ranged step's materializations) in batches.
    os.environ.setdefault("DAGSTER_EVENT_BATCH_SIZE", str(EVENT_BATCH_SIZE))
    with _instance_lock(home):
        instance = dg.DagsterInstance.get()
        # Storages may be built on first use: build them (and their schemas) under the lock.
        instance.run_storage.get_run_records(limit=1)
        instance.event_log_storage.get_asset_records([])
    return instance


def _runs_for(
    selection: dg.AssetSelection, by_layer: bool = False
) -> tuple[list[tuple[dg.PartitionsDefinition | None, list]], bool]:
    """The selected assets grouped into stages, each run after the stages before it, and whether
    they are by layer.

    An asset joins its parents' stage when it shares their partitioning, else it goes to a later
    stage: so dimensions come first, then the days, then what is built from the days on another
    cadence (a weekly model, a history-wide backtest), each after everything it reads. By layer
    (a stage is to be split in runs of a few partitions each), a partitioned asset also goes
    after its partitioned parents, so every run of a parent has written before any run of the
    child starts: a partition may read other days of its parent (the features' declared lags;
    silver's unit evidence reads the bronze days around its own, undeclared), and then reads
    them as one run over the whole range would. When a multi-asset makes that impossible, the
    stages are the plain ones and False says so (the runs then go in order).
    """
    from energy_assets.definitions import defs

    graph = defs.resolve_asset_graph()
    selected = _with_whole_multi_assets(graph, selection.resolve(graph))
    stage = _stages(graph, selected, by_layer) if by_layer else None
    split = stage is not None
    stage = stage or _stages(graph, selected, False)
    assert stage is not None
    runs: dict[tuple[int, object], tuple[dg.PartitionsDefinition | None, list[dg.AssetKey]]] = {}
    for asset_key in graph.toposorted_asset_keys:
        if asset_key in selected:
            partitions = graph.get(asset_key).partitions_def
            runs.setdefault((stage[asset_key], partitions), (partitions, []))[1].append(asset_key)
    return [runs[k] for k in sorted(runs, key=lambda k: k[0])], split


def _stages(
    graph: AssetGraph, selected: AbstractSet[dg.AssetKey], by_layer: bool
) -> dict[dg.AssetKey, int] | None:
    """Each selected asset's stage; None when no stages can put every partitioned asset after
    its parents (a multi-asset reads an asset built from another of its outputs)."""
    stage = dict.fromkeys(selected, 0)
    # Raise stages until stable: a child comes after a parent of another partitioning (by layer:
    # after any partitioned parent but itself), and the outputs of one multi-asset (which cannot
    # be split) share the latest stage of any of them. No stage can exceed the number of assets.
    for _ in range(len(selected) + 1):
        changed = False
        for asset_key in graph.toposorted_asset_keys:
            if asset_key not in selected:
                continue
            node = graph.get(asset_key)
            together = graph.assets_def_for_key(asset_key).keys
            wanted = max(
                [
                    stage[parent]
                    + (
                        graph.get(parent).partitions_def != node.partitions_def
                        or (by_layer and parent not in together and node.partitions_def is not None)
                    )
                    for parent in node.parent_keys
                    if parent in stage and parent != asset_key
                ]
                + [stage[k] for k in together if k in stage],
            )
            if wanted > stage[asset_key]:
                stage[asset_key], changed = wanted, True
        if not changed:
            return stage
    return None


def _reads_itself(graph: AssetGraph, keys: Sequence[dg.AssetKey]) -> bool:
    """Whether an asset among `keys` reads other partitions of itself: its runs go in order."""
    return any(k in graph.get(k).parent_keys for k in keys)


def _with_whole_multi_assets(graph: AssetGraph, selected: AbstractSet[dg.AssetKey]) -> set:
    """The selection plus the other outputs of every multi-asset it cuts that cannot run in part
    (Dagster refuses such a subset), each addition said on one line."""
    whole = set(selected)
    for asset_key in sorted(selected):
        assets_def = graph.assets_def_for_key(asset_key)
        missing = set(assets_def.keys) - whole
        if missing and not assets_def.can_subset:
            whole |= missing
            names = ", ".join(sorted(k.to_user_string() for k in missing))
            print(f"selected too (built together with {asset_key.to_user_string()}): {names}")
    return whole


def backfill(
    start: date,
    end_inclusive: date,
    select: str | None,
    settings: BackfillSettings | None = None,
) -> bool:
    """Materialize the selection over [start, end]: one stage per partitioning (dimensions, days,
    and any other cadence), in dependency order, each stage in runs of at most
    `partitions_per_run` partitions (`ENERGY_BACKFILL_*`), each run stored in the instance."""
    settings = settings or BackfillSettings.from_env()
    if end_inclusive < start:
        raise SystemExit(f"--end {end_inclusive} is before --start {start}")
    selection = dg.AssetSelection.from_string(select) if select else dg.AssetSelection.all()
    at_once = settings.concurrent_runs if settings.executor == "celery" else 1
    stages, split = _runs_for(selection, by_layer=settings.partitions_per_run is not None)
    if not stages:
        raise SystemExit(f"the selection {select!r} matches no asset")
    if settings.partitions_per_run is not None and not split:
        print("runs in order: a multi-asset reads back what another of its outputs is built from")
    from energy_assets.definitions import defs

    graph = defs.resolve_asset_graph()
    planned: list[tuple[list[str], list[dict[str, str]], bool]] = []
    for partitions, keys in stages:
        names = [k.to_user_string() for k in keys]
        runs = range_tags_per_run(partitions, start, end_inclusive, settings.partitions_per_run)
        if runs is None:
            print(
                f"skipped (no partition of theirs in {start}..{end_inclusive}): {', '.join(names)}"
            )
        else:
            planned.append((names, runs, at_once > 1 and split and not _reads_itself(graph, keys)))
    instance = _instance()
    total, started = sum(len(runs) for _, runs, _ in planned), time.time()
    progress = BackfillProgress(total, clock=time.time, started=started)
    number = 0
    ok = True
    with ExitStack() as stack:
        # Runs at once each get a process of their own: Dagster configures Python's logging as
        # a run starts, which deadlocks against another run logging in a thread of the same
        # process. Spawned, not forked: deltalake does not survive a fork.
        pool = (
            stack.enter_context(ProcessPoolExecutor(at_once, mp_context=get_context("spawn")))
            if any(concurrent for *_, concurrent in planned)
            else None
        )
        for names, runs, concurrent in planned:
            numbers = range(number + 1, number + len(runs) + 1)
            number += len(runs)
            if concurrent and pool:
                # The runs of the layer already started finish before the backfill stops.
                child = partial(_run_in_own_process, settings, names, total, started)
                ok = all(list(pool.map(child, numbers, runs)))
            else:
                # In order, a failed run stops the backfill before the next.
                ok = all(map(partial(_run, instance, settings, progress, names), numbers, runs))
            if not ok:
                break
    print("backfill succeeded" if ok else "backfill FAILED: see the run in the Dagster UI")
    if ok:
        _print_stale_lags({k for _, keys in stages for k in keys}, end_inclusive)
    return ok


def _print_stale_lags(built: AbstractSet[dg.AssetKey], end_inclusive: date) -> None:
    """Name the later days whose gold features read the rebuilt silver days through their lags:
    a backfill does not rebuild them (the lake automation of `make dev` does)."""
    from ml.features import HISTORY_DAYS

    if dg.AssetKey(["silver", "meter_readings"]) not in built:
        return
    last = end_inclusive + timedelta(days=HISTORY_DAYS)
    built_days = configured_lake().partition_days(GOLD_CONSUMPTION_FEATURES)
    stale = [d for d in built_days if end_inclusive < d <= last]
    if stale:
        print(
            f"stale: gold/consumption_features of {stale[0]}..{stale[-1]} read these days "
            f"through their lags; rebuild them: energy-lake backfill --start {stale[0]} "
            f"--end {stale[-1]} --select 'key:gold/consumption_features'"
        )


def _run_in_own_process(
    settings: BackfillSettings,
    names: list[str],
    total: int,
    started: float,
    number: int,
    tags: dict[str, str],
) -> bool:
    """`_run` in a process of a pool, with the instance of the environment it inherited."""
    _quiet_warnings()
    progress = BackfillProgress(total, clock=time.time, started=started)
    return _run(_instance(), settings, progress, names, number, tags)


def _run(
    instance: dg.DagsterInstance,
    settings: BackfillSettings,
    progress: BackfillProgress,
    names: list[str],
    number: int,
    tags: dict[str, str],
) -> bool:
    """One run of a backfill, on the executor the settings name; True when it succeeded."""
    window = (
        f"{tags[ASSET_PARTITION_RANGE_START_TAG]}..{tags[ASSET_PARTITION_RANGE_END_TAG]}, "
        if tags
        else ""
    )
    progress.start_run(number, window, names)
    result: dg.ExecutionResult
    if settings.executor == "celery":
        assert settings.celery_broker_url and settings.celery_backend_url
        job = reconstructable_backfill_job(names, "celery")
        dagster_run = instance.create_run_for_job(
            job_def=job.get_definition(),
            run_config=celery_run_config(settings.celery_broker_url, settings.celery_backend_url),
            tags=tags,
            job_code_origin=job.get_python_origin(),
        )
        instance.add_event_listener(dagster_run.run_id, progress.on_event)
        result = execute_run(job, dagster_run, instance)
        for step, worker in celery_workers_by_step(instance, dagster_run.run_id).items():
            progress.say(f"step {step} ran on celery worker {worker}", run=number)
    else:
        run_id = make_new_run_id()
        instance.add_event_listener(run_id, progress.on_event)
        with commits_reported(progress):
            result = backfill_job(names, "in_process").execute_in_process(
                instance=instance, tags=tags, run_id=run_id, raise_on_error=False
            )
    _print_failed_checks(result)
    return result.success


def celery_workers_by_step(instance: dg.DagsterInstance, run_id: str) -> dict[str, str]:
    """Which Celery worker ran each step of a run, from the engine events the workers stored."""
    workers: dict[str, str] = {}
    for record in instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ENGINE_EVENT
    ).records:
        event = record.event_log_entry.dagster_event
        data = event.engine_event_data if event else None
        worker = data.metadata.get("Celery worker") if data else None
        if event and event.step_key and worker is not None:
            workers[event.step_key] = str(worker.value)
    return workers


def _print_failed_checks(result: dg.ExecutionResult) -> None:
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed:
            print(
                f"  check {evaluation.asset_key.to_user_string()}:{evaluation.check_name} "
                f"failed ({evaluation.severity.value}): {evaluation.description}"
            )


def status(lake: Lake) -> list[dict[str, object]]:
    """Each table with its partitions, rows and latest Delta version."""
    rows: list[dict[str, object]] = []
    for table in ALL_TABLES:
        days = lake.partition_days(table)
        rows.append(
            {
                "table": table.path,
                "version": lake.version(table),
                "rows": lake.row_count(table),
                "partitions": len(days) if table.partitioned else "-",
                "first_day": days[0].isoformat() if days else "",
                "last_day": days[-1].isoformat() if days else "",
            }
        )
    return rows


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def asset_runs(instance: dg.DagsterInstance) -> list[dict[str, object]]:
    """Each asset's last materialization: when, by which run, over which partitions, its rows."""
    from energy_assets.definitions import defs

    rows: list[dict[str, object]] = []
    for asset_key in defs.resolve_asset_graph().toposorted_asset_keys:
        event = instance.get_latest_materialization_event(asset_key)
        materialization = event.asset_materialization if event else None
        run = instance.get_run_by_id(event.run_id) if event else None
        tags = run.tags if run else {}
        window = (
            f"{tags[ASSET_PARTITION_RANGE_START_TAG]}..{tags[ASSET_PARTITION_RANGE_END_TAG]}"
            if ASSET_PARTITION_RANGE_START_TAG in tags
            else (materialization.partition if materialization else None)
        )
        count = materialization.metadata.get("dagster/row_count") if materialization else None
        rows.append(
            {
                "asset": asset_key.to_user_string(),
                "last_run": event.run_id[:8] if event else "never",
                "at_utc": _when(event.timestamp) if event else "",
                "partitions": window or "-",
                "rows": count.value if count is not None else "",
                "trigger": tags.get("energy/trigger") or tags.get("dagster/sensor_name") or "",
            }
        )
    return rows


def failing_checks(
    instance: dg.DagsterInstance, keys: Sequence[dg.AssetCheckKey]
) -> list[dict[str, object]]:
    """The asset checks whose latest evaluation failed, with the partition and the reason."""
    from dagster._core.storage.asset_check_execution_record import (
        AssetCheckExecutionRecordStatus,
    )

    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(keys)
    rows: list[dict[str, object]] = []
    for check_key, record in latest.items():
        evaluation = record.evaluation
        if record.status != AssetCheckExecutionRecordStatus.FAILED or evaluation is None:
            continue
        rows.append(
            {
                "check": f"{check_key.asset_key.to_user_string()}:{check_key.name}",
                "severity": evaluation.severity.value,
                "partition": record.partition or "-",
                "run": record.run_id[:8],
                "at_utc": _when(record.create_timestamp),
                "reason": (evaluation.description or "")[:120],
            }
        )
    return rows


def _print_rows(rows: Sequence[dict[str, object]]) -> None:
    if not rows:
        return
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns))
    for row in rows:
        print("  ".join(str(row[c]).ljust(widths[c]) for c in columns))


def quality_summary(lake: Lake, start: date, end: date) -> dict[str, object]:
    """Scorecard statuses and quarantine reasons over [start, end)."""
    card = pl.from_arrow(lake.read(GOLD_QUALITY_SCORECARD, start, end))
    quarantine = pl.from_arrow(lake.read(BRONZE_QUARANTINE, start, end))
    assert isinstance(card, pl.DataFrame) and isinstance(quarantine, pl.DataFrame)
    reasons = (
        quarantine.with_columns(pl.col("reason").str.replace(r":.*$", ""))
        .group_by("rejected_by", "reason")
        .len()
        .sort("len", descending=True)
        .to_dicts()
    )
    return {
        "meter_days": card.height,
        "status": dict(card.group_by("status").len().sort("status").iter_rows()),
        "mean_completeness_pct": round(
            card.select(pl.col("completeness_pct").mean()).item() or 0.0, 2
        ),
        "duplicates_removed": int(card["duplicates_removed"].sum()),
        "unit_corrected_intervals": int(card["unit_corrected_intervals"].sum()),
        "quarantine": reasons,
    }


def demo(days: int) -> bool:
    """Materialize the last `days` days of simulated data end to end and print what was built."""
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    start = yesterday - timedelta(days=days - 1)
    ok = backfill(start, yesterday, None)
    lake = configured_lake()
    print(f"\nlake: {lake.root}")
    _print_rows(status(lake))
    summary = quality_summary(lake, start, yesterday + timedelta(days=1))
    print(
        f"\nquality over {start}..{yesterday}: {summary['meter_days']} meter-days, "
        f"status {summary['status']}, mean completeness {summary['mean_completeness_pct']}%, "
        f"{summary['duplicates_removed']} duplicates removed, "
        f"{summary['unit_corrected_intervals']} intervals corrected from Wh"
    )
    for reason in summary["quarantine"]:  # type: ignore[attr-defined]
        print(f"  quarantined by {reason['rejected_by']}: {reason['len']} x {reason['reason']}")
    return ok


def mqtt_consume() -> None:
    """Run the MQTT consumer until SIGINT or SIGTERM, then spool what it holds and stop."""
    from energy_assets.settings import MqttSettings
    from energy_assets.sources.mqtt.consumer import Consumer

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    Consumer(MqttSettings.from_env(), configured_lake()).run(stop)


def _quiet_warnings() -> None:
    # Dagster flags the beta APIs we use on every import; operators need the figures, not those.
    warnings.filterwarnings("ignore", category=dg.BetaWarning)
    warnings.filterwarnings("ignore", category=dg.PreviewWarning)
    # dagster-celery registers its task again for every run it submits; Celery keeps the first.
    warnings.filterwarnings("ignore", message="Task name 'execute_plan' is already registered")


def main(argv: Sequence[str] | None = None) -> int:
    _quiet_warnings()
    parser = argparse.ArgumentParser(prog="energy-lake", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("backfill", help="materialize assets over a range of days")
    run.add_argument("--start", type=date.fromisoformat, required=True, help="first day, UTC")
    run.add_argument("--end", type=date.fromisoformat, required=True, help="last day, inclusive")
    run.add_argument(
        "--select",
        default=None,
        help='Dagster asset selection, e.g. "key:silver/*" or "+key:gold/consumption_features"',
    )
    run.add_argument(
        "--partitions-per-run",
        type=int,
        default=None,
        help="runs of at most N partitions, layer by layer "
        "(default: ENERGY_BACKFILL_PARTITIONS_PER_RUN, else one run per stage)",
    )
    commands.add_parser(
        "status",
        help="tables (partitions, rows, Delta versions), the last run per asset, failing checks",
    )
    demo_parser = commands.add_parser("demo", help="headless end to end on recent simulated days")
    demo_parser.add_argument("--days", type=int, default=DEMO_DAYS)
    commands.add_parser(
        "mqtt-consume",
        help="spool readings from the MQTT broker (ENERGY_MQTT_*) into bronze until stopped",
    )
    args = parser.parse_args(argv)
    if args.command == "mqtt-consume":
        mqtt_consume()
        return 0
    if args.command == "backfill":
        settings = BackfillSettings.from_env()
        if args.partitions_per_run is not None:
            settings = replace(settings, partitions_per_run=args.partitions_per_run)
        return 0 if backfill(args.start, args.end, args.select, settings) else 1
    if args.command == "status":
        _print_rows(status(configured_lake()))
        instance = _instance()
        print("\nlast run per asset")
        _print_rows(asset_runs(instance))
        from energy_assets.definitions import defs

        checks = sorted(defs.resolve_asset_graph().asset_check_keys, key=str)
        failing = failing_checks(instance, checks)
        print(f"\nfailing checks: {len(failing) or 'none'}")
        _print_rows(failing)
        return 0
    return 0 if demo(args.days) else 1


if __name__ == "__main__":
    sys.exit(main())
