"""Bronze assets: what the sources sent, as received, tagged with source, ingestion and batch."""

from collections.abc import Iterator

import dagster as dg
import pyarrow as pa

from checks import api
from checks.contracts import (
    BRONZE_ANOMALY_LABELS,
    BRONZE_GRID_CARBON_INTENSITY,
    BRONZE_METER_READINGS,
    BRONZE_METERS,
    BRONZE_WEATHER,
    TableContract,
)
from checks.quarantine import Rejection
from energy_assets.defs.check_suites import CheckSuite, check_result, matches_contract
from energy_assets.defs.domain import DomainDefs
from energy_assets.defs.emissions import tracks_emissions
from energy_assets.defs.partitions import SINGLE_RUN, Partitioning, run_window
from energy_assets.defs.resources import LakeResource
from energy_assets.defs.tables import (
    admitted,
    key,
    quarantine_refused,
    table_asset,
    write_checked,
    write_metadata,
)
from energy_assets.settings import Settings
from energy_assets.sources.base import Received, SourceRun
from energy_assets.sources.registry import api_sources, configured
from energy_assets.storage.lake import Chunk, Lake
from energy_assets.storage.quarantine import replace_quarantine
from energy_assets.transforms.layers import bronze_reading_chunks, bronze_weather_chunks

GROUP = "bronze"


def _run(lake: LakeResource) -> tuple[Settings, SourceRun]:
    """The run's settings, and what its sources may consult."""
    settings = Settings.from_env()
    return settings, SourceRun(lake.lake(), settings)


def _rows(received: list[Received], table: TableContract) -> list[pa.Table]:
    return [t for r in received for t in r.rows.get(table.name, [])]


METERS_CHECKS = CheckSuite(key(BRONZE_METERS), [matches_contract(BRONZE_METERS)])


@tracks_emissions
def bronze_meters(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    settings, run = _run(lake)
    store = run.store
    received = [source.meters(run) for source in configured(settings.sources)]
    parts = _rows(received, BRONZE_METERS)
    table = (
        pa.concat_tables([p.cast(BRONZE_METERS.schema) for p in parts])
        if parts
        else (BRONZE_METERS.schema.empty_table())
    )
    result = store.overwrite(BRONZE_METERS, table)
    quarantined = _quarantine_files(store, "bronze_meters", received)
    suite = METERS_CHECKS.fresh()
    suite.observe(table)
    context.log.info("bronze meters: %d rows from %s", table.num_rows, ", ".join(settings.sources))
    return dg.MaterializeResult(
        metadata={**write_metadata(result), "quarantined_rows": quarantined},
        check_results=suite.results(),
    )


READINGS_CHECKS = CheckSuite(key(BRONZE_METER_READINGS), [matches_contract(BRONZE_METER_READINGS)])
LABELS_CHECKS = CheckSuite(key(BRONZE_ANOMALY_LABELS), [matches_contract(BRONZE_ANOMALY_LABELS)])
INTENSITY_CHECKS = CheckSuite(
    key(BRONZE_GRID_CARBON_INTENSITY), [matches_contract(BRONZE_GRID_CARBON_INTENSITY)]
)


def api_check_specs(
    table: TableContract, partitions: dg.PartitionsDefinition
) -> list[dg.AssetCheckSpec]:
    """The checks of an asset fed by network sources (none when no registered source fetches
    its rows): schema drift blocks, failed requests warn."""
    if not api_sources(table.name):
        return []
    return [
        dg.AssetCheckSpec(
            "api_schema",
            asset=key(table),
            blocking=True,
            partitions_def=partitions,
            description="Every API response had the documented fields (drift goes to quarantine).",
        ),
        dg.AssetCheckSpec(
            "api_fetch",
            asset=key(table),
            partitions_def=partitions,
            description="Every API request was answered, after retries.",
        ),
    ]


def _api_results(table: TableContract, received: list[Received]) -> list[dg.AssetCheckResult]:
    """The API checks of `table`, over every configured source's responses (none configured:
    nothing fetched, both pass), named after the sources that can fetch its rows."""
    if not api_sources(table.name):
        return []
    sources = ", ".join(api_sources(table.name))
    responses = sum(r.responses for r in received)
    requests = sum(r.requests for r in received)
    rejections = [rejection for r in received for rejection in r.api_rejections]
    return [
        check_result(key(table), [api.schema_drift(sources, responses, rejections)], "api_schema"),
        check_result(
            key(table),
            [api.fetch_failures(sources, requests, rejections)],
            "api_fetch",
            dg.AssetCheckSeverity.WARN,
        ),
    ]


@tracks_emissions
def bronze_meter_readings(
    context: dg.AssetExecutionContext, lake: LakeResource
) -> Iterator[dg.MaterializeResult]:
    settings, run = _run(lake)
    store = run.store
    start, end = run_window(context)
    readings_suite, labels_suite = READINGS_CHECKS.fresh(), LABELS_CHECKS.fresh()
    labels: list[Chunk] = []
    received = [source.readings(run, start, end) for source in configured(settings.sources)]
    intensity_parts = _rows(received, BRONZE_GRID_CARBON_INTENSITY)
    intensity = (
        pa.concat_tables(intensity_parts)
        if intensity_parts
        else BRONZE_GRID_CARBON_INTENSITY.schema.empty_table()
    )
    intensity_suite = INTENSITY_CHECKS.fresh()
    intensity_suite.observe(intensity)

    refused: list[Rejection] = []

    def read_chunks() -> Iterator[Chunk]:
        for readings, labelled in bronze_reading_chunks(received, start, end):
            labels_suite.observe(labelled.table)
            labels.append(labelled)
            yield readings

    readings = store.replace_chunks(
        BRONZE_METER_READINGS, admitted(readings_suite, read_chunks(), refused)
    )
    refused_rows = quarantine_refused(store, BRONZE_METER_READINGS, refused, (start, end))
    labels_written = store.replace_chunks(BRONZE_ANOMALY_LABELS, labels)
    intensity_written = store.replace_window(BRONZE_GRID_CARBON_INTENSITY, intensity, start, end)
    quarantined = _quarantine_files(store, "bronze_meter_readings", received)
    inferred = {meter: m for r in received for meter, m in r.inferred_intervals.items()}
    yield dg.MaterializeResult(
        asset_key=key(BRONZE_METER_READINGS),
        metadata={
            **write_metadata(readings, start, end),
            "refused_rows": refused_rows,
            "sources": ", ".join(settings.sources),
            **_received_metadata(quarantined, received),
            "intervals_inferred_from_cadence": dg.MetadataValue.json(inferred),
        },
        check_results=readings_suite.results() + _api_results(BRONZE_METER_READINGS, received),
    )
    yield dg.MaterializeResult(
        asset_key=key(BRONZE_GRID_CARBON_INTENSITY),
        metadata=write_metadata(intensity_written, start, end),
        check_results=intensity_suite.results(),
    )
    yield dg.MaterializeResult(
        asset_key=key(BRONZE_ANOMALY_LABELS),
        metadata=write_metadata(labels_written, start, end),
        check_results=labels_suite.results(),
    )


def _quarantine_files(store: Lake, step: str, received: list[Received]) -> int:
    """Quarantine the rejected rows of the files each source read; return rows written."""
    return sum(
        replace_quarantine(
            store,
            [rejection for rejections in r.rejected_files.values() for rejection in rejections],
            rejected_by=step,
            source=r.source,
            files=list(r.rejected_files),
        )
        for r in received
    )


def _received_metadata(quarantined: int, received: list[Received]) -> dict[str, int]:
    """Rows quarantined (files and API records) and API responses received by a bronze run."""
    return {
        "quarantined_rows": quarantined + sum(len(r.api_rejections) for r in received),
        "api_responses": sum(r.responses for r in received),
    }


WEATHER_CHECKS = CheckSuite(key(BRONZE_WEATHER), [matches_contract(BRONZE_WEATHER)])


@tracks_emissions
def bronze_weather(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    settings, run = _run(lake)
    store = run.store
    start, end = run_window(context)
    received = [source.weather(run, start, end) for source in configured(settings.sources)]
    chunks = bronze_weather_chunks(received, start, end)
    metadata, checked = write_checked(
        store, BRONZE_WEATHER, WEATHER_CHECKS.fresh(), chunks, (start, end)
    )
    quarantined = _quarantine_files(store, "bronze_weather", received)
    return dg.MaterializeResult(
        metadata={**metadata, **_received_metadata(quarantined, received)},
        check_results=checked + _api_results(BRONZE_WEATHER, received),
    )


def build(partitioning: Partitioning) -> DomainDefs:
    """The bronze assets on the lake's days (the meters: a dimension)."""
    days = partitioning.daily
    meters = table_asset(
        BRONZE_METERS,
        METERS_CHECKS,
        "Meters as described by each source.",
        partitions=None,
        kinds={"delta"},
    )(bronze_meters)
    readings = dg.multi_asset(
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
                key(BRONZE_GRID_CARBON_INTENSITY),
                group_name=GROUP,
                kinds={"delta"},
                description=(
                    "Carbon intensity of each region's electricity mix, as published by éCO2mix. "
                    f"Grain: {BRONZE_GRID_CARBON_INTENSITY.grain}."
                ),
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
        partitions_def=days,
        backfill_policy=SINGLE_RUN,
        check_specs=READINGS_CHECKS.specs(days)
        + LABELS_CHECKS.specs(days)
        + INTENSITY_CHECKS.specs(days)
        + api_check_specs(BRONZE_METER_READINGS, days),
    )(bronze_meter_readings)
    weather = table_asset(
        BRONZE_WEATHER,
        WEATHER_CHECKS,
        "Weather observations and issued forecasts per location, as received.",
        partitions=days,
        deps=[key(BRONZE_METERS)],
        kinds={"delta"},
        extra_checks=api_check_specs(BRONZE_WEATHER, days),
    )(bronze_weather)
    return DomainDefs(assets=[meters, readings, weather])
