"""The landing sensor: judge each file dropped in the landing folder, then rebuild what it covers.

A tick takes up to `FILES_PER_TICK` waiting files in arrival order. Each is hashed, and parsed
unless its bytes were already accepted. Accepted files go to `landing/_processed/` and get one run
(run key = content hash, so never twice) of their bronze asset and everything downstream of it
on the same partitioning in the lake layers, over exactly the UTC days the file covers: late data
for a past day rebuilds that day only. Assets on other cadences follow through their automation
conditions. Rejected files and duplicates go to quarantine with their reason and to
`landing/_rejected/`; the sensor carries on with the next file.

Readings and weather wait while an accepted meters file is not yet in `bronze/meters`, or their
meters would look undescribed.

The daily schedule builds yesterday at the day-ahead issue hour: its cron ticks every hour and the
tick at `ENERGY_FORECAST_ISSUE_HOUR_UTC` (default 12) requests the run, so the hour is read when
the schedule is evaluated, never at import. The run key is the day: a day is requested once,
whatever the restarts. When that run succeeds, `issue_forecast_sensor` (in
`defs/forecasting/automation.py`) issues tomorrow's forecast from the gold it built.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc
from dagster._core.storage.tags import MAX_RUNTIME_SECONDS_TAG

from checks.contracts import (
    BRONZE_LANDING_FILES,
    BRONZE_METER_READINGS,
    BRONZE_METERS,
    BRONZE_WEATHER,
    SILVER_METERS,
)
from energy_assets.defs.conditions import LAKE_GROUPS
from energy_assets.defs.domain import DomainDefs
from energy_assets.defs.partitions import Partitioning
from energy_assets.defs.resources import LakeResource
from energy_assets.defs.runs import range_tags
from energy_assets.defs.tables import key
from energy_assets.settings import Settings
from energy_assets.sources import landing
from energy_assets.sources.landing.ledger import accepted_hashes
from energy_assets.sources.landing_inbox import (
    LandingParser,
    Position,
    Verdict,
    destination,
    judge,
    landing_batch_id,
    landing_parser,
    ledger_rows,
    move_aside,
    waiting_files,
)
from energy_assets.storage.lake import Lake
from energy_assets.storage.quarantine import refile_quarantine, replace_quarantine

LANDING_RUN_MAX_SECONDS = 3600
"""A landing run still going after this is failed by run monitoring (dagster.yaml): a killed run
must not hold the landing run limit of 1 forever."""
FILES_PER_TICK = 20
TICK_SECONDS = 20.0
"""A tick judges no further file once it has spent this long (it always judges one): the rest
wait for the next tick, well inside Dagster's 60 s sensor timeout (a 64 MB file parses in about
10 s; twenty of them in one tick would time out and judge none, tick after tick)."""
LANDED_IN: dict[str, dg.AssetKey] = {
    "meters": key(BRONZE_METERS),
    "readings": key(BRONZE_METER_READINGS),
    "weather": key(BRONZE_WEATHER),
}
"""The bronze asset each kind of landing file lands in."""
DAILY_SCHEDULE = "daily_lake_schedule"
STEP = "landing_sensor"


def encode_cursor(position: Position) -> str:
    return json.dumps({"mtime_ns": position[0], "path": position[1]})


def decode_cursor(cursor: str | None) -> Position | None:
    if not cursor:
        return None
    value = json.loads(cursor)
    return (int(value["mtime_ns"]), str(value["path"]))


def rebuilt_assets(graph: dg.AssetGraph, kind: landing.LandingKind) -> list[dg.AssetKey]:
    """The bronze asset a kind lands in and everything downstream of it in the lake layers on the
    same partitioning, in dependency order."""
    roots = graph.assets_def_for_key(LANDED_IN[kind]).keys
    partitions = graph.get(LANDED_IN[kind]).partitions_def
    downstream = dg.AssetSelection.assets(*roots).downstream().resolve(graph)
    return [
        k
        for k in graph.toposorted_asset_keys
        if k in downstream
        and graph.get(k).partitions_def == partitions
        and graph.get(k).group_name in LAKE_GROUPS
    ]


def meters_pending(instance: dg.DagsterInstance, ledger: pa.Table) -> bool:
    """Whether an accepted meters file is newer than the last materialization of bronze/meters."""
    meters = ledger.filter(
        pc.and_(pc.equal(ledger["kind"], "meters"), pc.equal(ledger["status"], "accepted"))
    )
    if meters.num_rows == 0:
        return False
    latest = pc.max(meters["processed_at_utc"]).as_py()
    event = instance.get_latest_materialization_event(key(BRONZE_METERS))
    return event is None or event.timestamp < latest.timestamp()


def record(store: Lake, judged: list[tuple[Verdict, Path]], at: datetime) -> None:
    """Quarantine the rejected and duplicate files under their new path, and add every verdict to
    `bronze/landing_files` (a re-judged path replaces its row). Rows a run quarantined while a
    file waited follow an accepted file to its new path and go with a refused one."""
    refile_quarantine(
        store, {str(v.file.path): str(t) if v.is_accepted else None for v, t in judged}
    )
    refused = [(v, target) for v, target in judged if not v.is_accepted]
    replace_quarantine(
        store,
        [dataclasses.replace(r, source_file=str(t)) for v, t in refused for r in v.rejections],
        rejected_by=STEP,
        source=landing.SOURCE,
        files=[str(t) for _, t in refused],
    )
    new = ledger_rows(judged, at)
    ledger = store.read(BRONZE_LANDING_FILES)
    kept = ledger.filter(pc.invert(pc.is_in(ledger["path"], new["path"])))
    store.overwrite(BRONZE_LANDING_FILES, pa.concat_tables([kept, new]))


def run_request(graph: dg.AssetGraph, verdict: Verdict, target: Path) -> dg.RunRequest | None:
    """One run rebuilding what an accepted file covers (None when its days are outside the
    partitions, e.g. today's: the daily schedule builds it tomorrow)."""
    tags: dict[str, str] | None = {}
    if verdict.first_day is not None and verdict.last_day is not None:
        days = graph.get(LANDED_IN["readings"]).partitions_def
        tags = range_tags(days, verdict.first_day, verdict.last_day)
    if tags is None:
        return None
    return dg.RunRequest(
        run_key=f"landing-{verdict.sha256}",
        asset_selection=rebuilt_assets(graph, verdict.file.kind),
        tags={
            **tags,
            "energy/trigger": STEP,
            "energy/landing_file": target.name,
            MAX_RUNTIME_SECONDS_TAG: str(LANDING_RUN_MAX_SECONDS),
        },
    )


def landing_sensor(
    context: dg.SensorEvaluationContext, lake: LakeResource
) -> dg.SensorResult | dg.SkipReason:
    settings = Settings.from_env()
    store = lake.lake()
    if "landing" not in settings.sources or not store.is_local:
        return dg.SkipReason("the landing source is off (ENERGY_SOURCES) or the lake is not local")
    files = waiting_files(store.landing_root, decode_cursor(context.cursor), FILES_PER_TICK)
    if not files:
        return dg.SkipReason("no file waiting in the landing folder")
    ledger = store.read(BRONZE_LANDING_FILES)
    accepted = accepted_hashes(ledger)
    waiting_for_meters = meters_pending(context.instance, ledger)
    now = datetime.now(UTC)
    parsers: dict[str, LandingParser] = {}
    judged: list[tuple[Verdict, Path]] = []
    waiting = 0
    began = time.monotonic()
    for file in files:
        if judged and time.monotonic() - began >= TICK_SECONDS:
            context.log.info("tick time spent: the other files wait for the next tick")
            break
        if file.kind != "meters" and waiting_for_meters:
            waiting += 1
            continue
        sha = landing.file_sha256(file.path)
        parser = parsers.setdefault(file.kind, landing_parser(store, file.kind))
        parse = functools.partial(parser, file.path, landing_batch_id(sha), now)
        verdict = judge(file, sha, accepted, parse, now.date())
        target = destination(store.landing_root, verdict)
        judged.append((verdict, target))
        context.log.info("%s: %s -> %s %s", file.path, verdict.status, target, verdict.reason or "")
        if verdict.is_accepted:
            accepted[sha] = str(target)
            waiting_for_meters |= file.kind == "meters"
    if waiting:
        context.log.info("%d files wait for bronze/meters to hold the new meters", waiting)
    if not judged:
        return dg.SkipReason(f"{waiting} files wait for bronze/meters to hold the new meters")
    record(store, judged, now)
    for verdict, target in judged:
        move_aside(verdict.file.path, target)
    graph = context.repository_def.asset_graph if context.repository_def else None
    assert graph is not None, "the landing sensor needs its definitions"
    requests = [
        request
        for verdict, target in judged
        if verdict.is_accepted and (request := run_request(graph, verdict, target)) is not None
    ]
    newest = max(v.file.position for v, _ in judged)
    return dg.SensorResult(run_requests=requests, cursor=encode_cursor(newest))


def daily_lake_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    hour = Settings.from_env().forecast_issue_hour_utc
    at = context.scheduled_execution_time
    if at.hour != hour:
        return dg.SkipReason(
            f"yesterday is built at {hour:02d}:00 UTC (ENERGY_FORECAST_ISSUE_HOUR_UTC)"
        )
    yesterday = (at - timedelta(days=1)).date().isoformat()
    return dg.RunRequest(
        run_key=yesterday, partition_key=yesterday, tags={"energy/trigger": DAILY_SCHEDULE}
    )


def build(partitioning: Partitioning) -> DomainDefs:
    """The landing sensor, and the daily job of the lake's days with its schedule."""
    job = dg.define_asset_job(
        "daily_lake",
        selection=dg.AssetSelection.groups(*LAKE_GROUPS)
        - dg.AssetSelection.assets(key(BRONZE_METERS), key(SILVER_METERS)),
        partitions_def=partitioning.daily,
        description="One UTC day of every daily bronze, silver and gold table (the dimensions are "
        "built by the landing sensor or on demand); tomorrow's forecast follows it.",
    )
    sensor = dg.sensor(
        name="landing_sensor",
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        asset_selection=dg.AssetSelection.groups(*LAKE_GROUPS),
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )(landing_sensor)
    schedule = dg.schedule(
        name=DAILY_SCHEDULE,
        cron_schedule="0 * * * *",
        execution_timezone="UTC",
        job=job,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Build yesterday at the day-ahead issue hour.",
    )(daily_lake_schedule)
    return DomainDefs(jobs=[job], schedules=[schedule], sensors=[sensor])
