"""Bronze assets: what the sources sent, as received, tagged with source, ingestion and batch."""

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc

from checks.contracts import (
    BRONZE_ANOMALY_LABELS,
    BRONZE_LANDING_FILES,
    BRONZE_METER_READINGS,
    BRONZE_METERS,
    BRONZE_WEATHER,
    TableContract,
)
from checks.quarantine import Rejection
from energy_assets.cleaning import current_meters
from energy_assets.lake import Chunk, Lake
from energy_assets.layers import bronze_reading_chunks, bronze_weather_chunks
from energy_assets.materialization import write_metadata
from energy_assets.partitions import DAILY, SINGLE_RUN, run_window
from energy_assets.quality import CheckSuite, matches_contract
from energy_assets.quarantine import replace_quarantine
from energy_assets.resources import LakeResource
from energy_assets.settings import Settings
from energy_assets.sources import landing, simulator
from energy_assets.sources.landing_inbox import archived_files, outside_window

GROUP = "bronze"


def key(table: TableContract) -> dg.AssetKey:
    return dg.AssetKey([table.layer, table.name])


def _simulator_config(settings: Settings) -> simulator.SimulatorConfig | None:
    """The simulator's configuration, or None when the simulator is not a source."""
    if "simulator" not in settings.sources:
        return None
    return simulator.SimulatorConfig(
        seed=settings.simulator_seed, n_meters=settings.simulator_meters
    )


METERS_CHECKS = CheckSuite(key(BRONZE_METERS), [matches_contract(BRONZE_METERS)])


@dg.asset(
    key=key(BRONZE_METERS),
    group_name=GROUP,
    kinds={"delta"},
    description=f"Meters as described by each source. Grain: {BRONZE_METERS.grain}.",
    check_specs=METERS_CHECKS.specs(),
)
def bronze_meters(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    settings = Settings.from_env()
    store = lake.lake()
    parts: list[pa.Table] = []
    rejected: dict[str, list[Rejection]] = {}
    config = _simulator_config(settings)
    if config is not None:
        parts.append(simulator.simulate_meters(config))
    if _uses_landing(store, settings):
        rows, rejected = landing_files(store, "meters")
        parts.extend(rows)
    table = (
        pa.concat_tables([p.cast(BRONZE_METERS.schema) for p in parts])
        if parts
        else (BRONZE_METERS.schema.empty_table())
    )
    result = store.overwrite(BRONZE_METERS, table)
    quarantined = _quarantine_files(store, "bronze_meters", rejected)
    suite = METERS_CHECKS.fresh()
    suite.observe(table)
    context.log.info("bronze meters: %d rows from %s", table.num_rows, ", ".join(settings.sources))
    return dg.MaterializeResult(
        metadata={**write_metadata(result), "quarantined_rows": quarantined},
        check_results=suite.results(),
    )


READINGS_CHECKS = CheckSuite(key(BRONZE_METER_READINGS), [matches_contract(BRONZE_METER_READINGS)])
LABELS_CHECKS = CheckSuite(key(BRONZE_ANOMALY_LABELS), [matches_contract(BRONZE_ANOMALY_LABELS)])


@dg.multi_asset(
    name="bronze_meter_readings",
    specs=[
        dg.AssetSpec(
            key(BRONZE_METER_READINGS),
            group_name=GROUP,
            kinds={"delta"},
            deps=[key(BRONZE_METERS)],
            description=f"Meter readings as received. Grain: {BRONZE_METER_READINGS.grain}.",
        ),
        dg.AssetSpec(
            key(BRONZE_ANOMALY_LABELS),
            group_name=GROUP,
            kinds={"delta"},
            deps=[key(BRONZE_METERS)],
            description=(
                "The simulator's injected anomalies: the answer key for evaluating detection. "
                f"Grain: {BRONZE_ANOMALY_LABELS.grain}."
            ),
        ),
    ],
    partitions_def=DAILY,
    backfill_policy=SINGLE_RUN,
    check_specs=READINGS_CHECKS.specs(DAILY) + LABELS_CHECKS.specs(DAILY),
)
def bronze_meter_readings(
    context: dg.AssetExecutionContext, lake: LakeResource
) -> Iterator[dg.MaterializeResult]:
    settings = Settings.from_env()
    store = lake.lake()
    start, end = run_window(context)
    readings_suite, labels_suite = READINGS_CHECKS.fresh(), LABELS_CHECKS.fresh()
    labels: list[Chunk] = []
    landing_rows, rejected = _landing_rows(store, settings, "readings", start, end)

    def checked_readings() -> Iterator[Chunk]:
        for readings, labelled in bronze_reading_chunks(
            _simulator_config(settings), landing_rows, start, end
        ):
            readings_suite.observe(readings.table)
            labels_suite.observe(labelled.table)
            labels.append(labelled)
            yield readings

    readings = store.replace_chunks(BRONZE_METER_READINGS, checked_readings())
    labels_written = store.replace_chunks(BRONZE_ANOMALY_LABELS, labels)
    quarantined = _quarantine_files(store, "bronze_meter_readings", rejected)
    yield dg.MaterializeResult(
        asset_key=key(BRONZE_METER_READINGS),
        metadata={
            **write_metadata(readings, start, end),
            "sources": ", ".join(settings.sources),
            "quarantined_rows": quarantined,
        },
        check_results=readings_suite.results(),
    )
    yield dg.MaterializeResult(
        asset_key=key(BRONZE_ANOMALY_LABELS),
        metadata=write_metadata(labels_written, start, end),
        check_results=labels_suite.results(),
    )


def _quarantine_files(store: Lake, step: str, rejected: dict[str, list[Rejection]]) -> int:
    return replace_quarantine(
        store,
        [r for rejections in rejected.values() for r in rejections],
        rejected_by=step,
        source=landing.SOURCE,
        files=list(rejected),
    )


LandingParser = Callable[[Path, str, datetime], landing.ParsedFile]


def landing_parser(store: Lake, kind: landing.LandingKind) -> LandingParser:
    """How to parse a landing file of a kind, given the meters bronze describes now (readings
    and weather need their meter's or location's time zone)."""
    if kind == "meters":
        return lambda path, batch, at: landing.parse_meters_file(
            path, batch_id=batch, ingested_at_utc=at
        )
    meters = current_meters(store.read(BRONZE_METERS)).table.to_pylist()
    if kind == "readings":
        zones = {m["meter_id"]: m["timezone"] for m in meters}
        intervals = {m["meter_id"]: m["interval_minutes"] for m in meters if m["interval_minutes"]}
        return lambda path, batch, at: landing.parse_readings_file(
            path, zones, intervals, batch_id=batch, ingested_at_utc=at
        )
    locations = {m["location_id"]: m["timezone"] for m in meters}
    return lambda path, batch, at: landing.parse_weather_file(
        path, locations, batch_id=batch, ingested_at_utc=at
    )


def landing_batch_id(sha256: str) -> str:
    return f"landing-{sha256[:16]}"


def landing_files(
    store: Lake, kind: landing.LandingKind, window: tuple[date, date] | None = None
) -> tuple[list[pa.Table], dict[str, list[Rejection]]]:
    """Parse the landing files of a kind: rows (in the window, if given), rejections by file.

    The files are those the landing sensor accepted (`landing/_processed/`; with a window, only
    those whose days meet it) and those still waiting in the inbox, each content once: a re-run of
    a day gives the same rows whether or not the sensor has judged its files yet.
    """
    batch_at = datetime.now(UTC)
    parse = landing_parser(store, kind)
    rows, rejected, seen = [], {}, set()
    root = store.landing_root
    skipped = outside_window(store.read(BRONZE_LANDING_FILES), *window) if window else set()
    archived = [p for p in archived_files(root, kind) if str(p) not in skipped]
    for path in [*archived, *landing.list_landing_files(root, kind)]:
        sha = landing.file_sha256(path)
        if sha in seen:
            continue
        seen.add(sha)
        parsed = parse(path, landing_batch_id(sha), batch_at)
        table = parsed.rows
        if window is not None:
            days = table["day"]
            table = table.filter(
                pc.and_(
                    pc.greater_equal(days, pa.scalar(window[0], pa.date32())),
                    pc.less(days, pa.scalar(window[1], pa.date32())),
                )
            )
        rows.append(table)
        rejected[str(path)] = parsed.rejections
    return rows, rejected


def _uses_landing(store: Lake, settings: Settings) -> bool:
    return "landing" in settings.sources and store.is_local


def _landing_rows(
    store: Lake, settings: Settings, kind: landing.LandingKind, start: date, end: date
) -> tuple[list[pa.Table], dict[str, list[Rejection]]]:
    if not _uses_landing(store, settings):
        return [], {}
    return landing_files(store, kind, (start, end))


WEATHER_CHECKS = CheckSuite(key(BRONZE_WEATHER), [matches_contract(BRONZE_WEATHER)])


@dg.asset(
    key=key(BRONZE_WEATHER),
    group_name=GROUP,
    kinds={"delta"},
    deps=[key(BRONZE_METERS)],
    partitions_def=DAILY,
    backfill_policy=SINGLE_RUN,
    check_specs=WEATHER_CHECKS.specs(DAILY),
    description=(
        "Weather observations and issued forecasts per location, as received. "
        f"Grain: {BRONZE_WEATHER.grain}."
    ),
)
def bronze_weather(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    settings = Settings.from_env()
    store = lake.lake()
    start, end = run_window(context)
    suite = WEATHER_CHECKS.fresh()
    landing_rows, rejected = _landing_rows(store, settings, "weather", start, end)

    def checked_weather() -> Iterator[Chunk]:
        for chunk in bronze_weather_chunks(_simulator_config(settings), landing_rows, start, end):
            suite.observe(chunk.table)
            yield chunk

    written = store.replace_chunks(BRONZE_WEATHER, checked_weather())
    quarantined = _quarantine_files(store, "bronze_weather", rejected)
    return dg.MaterializeResult(
        metadata={**write_metadata(written, start, end), "quarantined_rows": quarantined},
        check_results=suite.results(),
    )
