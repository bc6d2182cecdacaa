"""Bronze assets: what the sources sent, as received, tagged with source, ingestion and batch."""

from collections.abc import Iterator
from datetime import UTC, date, datetime

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
from energy_assets.defs.emissions import tracks_emissions
from energy_assets.defs.partitions import DAILY, SINGLE_RUN, run_window
from energy_assets.defs.resources import LakeResource
from energy_assets.defs.tables import key, table_asset, write_checked, write_metadata
from energy_assets.settings import Settings, SourceSettings
from energy_assets.sources import eco2mix, landing, landing_inbox, network, open_meteo, simulator
from energy_assets.storage.lake import Chunk, Lake
from energy_assets.storage.quarantine import replace_quarantine
from energy_assets.transforms.cleaning import current_meters
from energy_assets.transforms.layers import bronze_reading_chunks, bronze_weather_chunks

GROUP = "bronze"


def _simulator_config(settings: Settings) -> simulator.SimulatorConfig | None:
    """The simulator's configuration, or None when the simulator is not a source."""
    if "simulator" not in settings.sources:
        return None
    return simulator.SimulatorConfig(
        seed=settings.simulator_seed, n_meters=settings.simulator_meters
    )


METERS_CHECKS = CheckSuite(key(BRONZE_METERS), [matches_contract(BRONZE_METERS)])


@table_asset(
    BRONZE_METERS,
    METERS_CHECKS,
    "Meters as described by each source.",
    daily=False,
    kinds={"delta"},
)
@tracks_emissions
def bronze_meters(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    settings = Settings.from_env()
    store = lake.lake()
    parts: list[pa.Table] = []
    rejected: dict[str, list[Rejection]] = {}
    config = _simulator_config(settings)
    if config is not None:
        parts.append(simulator.simulate_meters(config))
    if _uses_landing(store, settings):
        rows, rejected = landing_inbox.landing_files(store, "meters")
        parts.extend(rows)
    if eco2mix.SOURCE in settings.sources:
        described_at = datetime.now(UTC)
        grid = SourceSettings.from_env().eco2mix
        parts.append(eco2mix.region_meters(grid, described_at, f"{eco2mix.SOURCE}-meters"))
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
INTENSITY_CHECKS = CheckSuite(
    key(BRONZE_GRID_CARBON_INTENSITY), [matches_contract(BRONZE_GRID_CARBON_INTENSITY)]
)


def api_check_specs(table: TableContract) -> list[dg.AssetCheckSpec]:
    """The checks of an asset fed by network sources: schema drift blocks, failed requests warn."""
    return [
        dg.AssetCheckSpec(
            "api_schema",
            asset=key(table),
            blocking=True,
            partitions_def=DAILY,
            description="Every API response had the documented fields (drift goes to quarantine).",
        ),
        dg.AssetCheckSpec(
            "api_fetch",
            asset=key(table),
            partitions_def=DAILY,
            description="Every API request was answered, after retries.",
        ),
    ]


def _api_results(
    table: TableContract, source: str, window: network.SourceWindow
) -> list[dg.AssetCheckResult]:
    return [
        check_result(
            key(table), [api.schema_drift(source, len(window.fetched), window.rejections)], name
        )
        if name == "api_schema"
        else check_result(
            key(table),
            [api.fetch_failures(source, window.requests, window.rejections)],
            name,
            dg.AssetCheckSeverity.WARN,
        )
        for name in ("api_schema", "api_fetch")
    ]


def _eco2mix_window(
    store: Lake, settings: Settings, start: date, end: date
) -> network.SourceWindow:
    if eco2mix.SOURCE not in settings.sources:
        return network.SourceWindow()
    config = SourceSettings.from_env()
    return network.network_window(
        store,
        config.is_replay,
        eco2mix.SOURCE,
        start,
        end,
        lambda: network.fetch_eco2mix(
            config.http.client(eco2mix.SOURCE, config.eco2mix.headers()),
            config.eco2mix,
            start,
            end,
        ),
        network.eco2mix_consumption,
    )


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
    partitions_def=DAILY,
    backfill_policy=SINGLE_RUN,
    check_specs=READINGS_CHECKS.specs(DAILY)
    + LABELS_CHECKS.specs(DAILY)
    + INTENSITY_CHECKS.specs(DAILY)
    + api_check_specs(BRONZE_METER_READINGS),
)
@tracks_emissions
def bronze_meter_readings(
    context: dg.AssetExecutionContext, lake: LakeResource
) -> Iterator[dg.MaterializeResult]:
    settings = Settings.from_env()
    store = lake.lake()
    start, end = run_window(context)
    readings_suite, labels_suite = READINGS_CHECKS.fresh(), LABELS_CHECKS.fresh()
    labels: list[Chunk] = []
    inferred: dict[str, int] = {}
    landing_rows, rejected = _landing_rows(store, settings, "readings", start, end, inferred)
    grid = _eco2mix_window(store, settings, start, end)
    intensity = grid.table("intensity")
    intensity_suite = INTENSITY_CHECKS.fresh()
    intensity_suite.observe(intensity)

    def checked_readings() -> Iterator[Chunk]:
        for readings, labelled in bronze_reading_chunks(
            _simulator_config(settings), [*landing_rows, *grid.readings], start, end
        ):
            readings_suite.observe(readings.table)
            labels_suite.observe(labelled.table)
            labels.append(labelled)
            yield readings

    readings = store.replace_chunks(BRONZE_METER_READINGS, checked_readings())
    labels_written = store.replace_chunks(BRONZE_ANOMALY_LABELS, labels)
    intensity_written = store.replace_window(BRONZE_GRID_CARBON_INTENSITY, intensity, start, end)
    quarantined = _quarantine_files(store, "bronze_meter_readings", rejected)
    yield dg.MaterializeResult(
        asset_key=key(BRONZE_METER_READINGS),
        metadata={
            **write_metadata(readings, start, end),
            "sources": ", ".join(settings.sources),
            "quarantined_rows": quarantined + len(grid.rejections),
            "api_responses": len(grid.fetched),
            "intervals_inferred_from_cadence": dg.MetadataValue.json(inferred),
        },
        check_results=readings_suite.results()
        + _api_results(BRONZE_METER_READINGS, eco2mix.SOURCE, grid),
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


def _quarantine_files(store: Lake, step: str, rejected: dict[str, list[Rejection]]) -> int:
    return replace_quarantine(
        store,
        [r for rejections in rejected.values() for r in rejections],
        rejected_by=step,
        source=landing.SOURCE,
        files=list(rejected),
    )


def _uses_landing(store: Lake, settings: Settings) -> bool:
    return "landing" in settings.sources and store.is_local


def _landing_rows(
    store: Lake,
    settings: Settings,
    kind: landing.LandingKind,
    start: date,
    end: date,
    inferred: dict[str, int] | None = None,
) -> tuple[list[pa.Table], dict[str, list[Rejection]]]:
    if not _uses_landing(store, settings):
        return [], {}
    return landing_inbox.landing_files(store, kind, (start, end), inferred)


WEATHER_CHECKS = CheckSuite(key(BRONZE_WEATHER), [matches_contract(BRONZE_WEATHER)])


@table_asset(
    BRONZE_WEATHER,
    WEATHER_CHECKS,
    "Weather observations and issued forecasts per location, as received.",
    deps=[key(BRONZE_METERS)],
    kinds={"delta"},
    extra_checks=api_check_specs(BRONZE_WEATHER),
)
@tracks_emissions
def bronze_weather(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    settings = Settings.from_env()
    store = lake.lake()
    start, end = run_window(context)
    landing_rows, rejected = _landing_rows(store, settings, "weather", start, end)
    weather = _open_meteo_window(store, settings, start, end)
    chunks = bronze_weather_chunks(
        _simulator_config(settings), [*landing_rows, *weather.weather], start, end
    )
    metadata, checked = write_checked(
        store, BRONZE_WEATHER, WEATHER_CHECKS.fresh(), chunks, (start, end)
    )
    quarantined = _quarantine_files(store, "bronze_weather", rejected)
    return dg.MaterializeResult(
        metadata={
            **metadata,
            "quarantined_rows": quarantined + len(weather.rejections),
            "api_responses": len(weather.fetched),
        },
        check_results=checked + _api_results(BRONZE_WEATHER, open_meteo.SOURCE, weather),
    )


def _open_meteo_window(
    store: Lake, settings: Settings, start: date, end: date
) -> network.SourceWindow:
    if open_meteo.SOURCE not in settings.sources:
        return network.SourceWindow()
    meters = current_meters(store.read(BRONZE_METERS)).table
    today = datetime.now(UTC).date()
    config = SourceSettings.from_env()
    return network.network_window(
        store,
        config.is_replay,
        open_meteo.SOURCE,
        start,
        end,
        lambda: network.fetch_open_meteo(
            config.http.client(open_meteo.SOURCE),
            open_meteo.locations_of(meters, config.open_meteo),
            start,
            end,
            config.open_meteo,
            today,
        ),
        network.open_meteo_weather,
    )
