"""Silver assets: clean, conformed, validated meters, readings and weather."""

from collections.abc import Iterator
from datetime import timedelta

import dagster as dg

from checks.contracts import (
    BRONZE_METER_READINGS,
    BRONZE_METERS,
    BRONZE_WEATHER,
    SILVER_METER_READINGS,
    SILVER_METERS,
    SILVER_WEATHER,
)
from checks.quarantine import Rejection
from energy_assets.defs.check_suites import (
    SILVER_READINGS_CHECKS,
    CheckSuite,
    matches_contract,
)
from energy_assets.defs.conditions import follows_parents
from energy_assets.defs.domain import DomainDefs
from energy_assets.defs.emissions import tracks_emissions
from energy_assets.defs.partitions import Partitioning, run_window
from energy_assets.defs.resources import LakeResource
from energy_assets.defs.tables import key, table_asset, write_checked, write_metadata
from energy_assets.settings import Settings, pseudonymisation
from energy_assets.storage.lake import Chunk
from energy_assets.storage.quarantine import replace_quarantine
from energy_assets.transforms.cleaning import current_meters
from energy_assets.transforms.layers import (
    chunk_days,
    silver_readings_chunks,
    silver_weather_chunks,
)

METERS_CHECKS = CheckSuite(key(SILVER_METERS), [matches_contract(SILVER_METERS)])


@tracks_emissions
def silver_meters(lake: LakeResource) -> dg.MaterializeResult:
    store = lake.lake()
    pseudonyms = pseudonymisation()
    cleaned = current_meters(store.read(BRONZE_METERS))
    table = cleaned.table if pseudonyms is None else pseudonyms.meters(cleaned.table)
    written = store.overwrite(SILVER_METERS, table)
    quarantined = replace_quarantine(
        store, cleaned.rejections, rejected_by="silver_meters", source="lake"
    )
    suite = METERS_CHECKS.fresh()
    suite.observe(table)
    return dg.MaterializeResult(
        metadata={**write_metadata(written), "quarantined_rows": quarantined},
        check_results=suite.results(),
    )


READINGS_CHECKS = CheckSuite(
    key(SILVER_METER_READINGS),
    [matches_contract(SILVER_METER_READINGS), *SILVER_READINGS_CHECKS],
)


@tracks_emissions
def silver_meter_readings(
    context: dg.AssetExecutionContext, lake: LakeResource
) -> dg.MaterializeResult:
    store = lake.lake()
    pseudonyms = pseudonymisation()
    start, end = run_window(context)
    meters = store.read(SILVER_METERS)
    chunk_readings = Settings.from_env().chunk_readings
    rejections: list[Rejection] = []

    def cleaned_chunks() -> Iterator[Chunk]:
        for chunk, cleaned in silver_readings_chunks(
            store, meters, start, end, pseudonyms, chunk_days(meters, chunk_readings)
        ):
            rejections.extend(cleaned.rejections)
            yield chunk

    metadata, checked = write_checked(
        store,
        SILVER_METER_READINGS,
        READINGS_CHECKS.fresh(),
        cleaned_chunks(),
        (start, end),
        meters=meters,
        previous_day=store.read(SILVER_METER_READINGS, start - timedelta(days=1), start),
    )
    quarantined = replace_quarantine(
        store, rejections, rejected_by="silver_meter_readings", source="lake", window=(start, end)
    )
    return dg.MaterializeResult(
        metadata={**metadata, "quarantined_rows": quarantined}, check_results=checked
    )


WEATHER_CHECKS = CheckSuite(key(SILVER_WEATHER), [matches_contract(SILVER_WEATHER)])


@tracks_emissions
def silver_weather(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    store = lake.lake()
    start, end = run_window(context)
    rejections: list[Rejection] = []

    def cleaned_chunks() -> Iterator[Chunk]:
        for chunk, cleaned in silver_weather_chunks(store, start, end):
            rejections.extend(cleaned.rejections)
            yield chunk

    metadata, checked = write_checked(
        store, SILVER_WEATHER, WEATHER_CHECKS.fresh(), cleaned_chunks(), (start, end)
    )
    quarantined = replace_quarantine(
        store, rejections, rejected_by="silver_weather", source="lake", window=(start, end)
    )
    return dg.MaterializeResult(
        metadata={**metadata, "quarantined_rows": quarantined}, check_results=checked
    )


def build(partitioning: Partitioning) -> DomainDefs:
    """The silver assets on the lake's days (the meters: a dimension), following bronze."""
    days = partitioning.daily
    meters = table_asset(
        SILVER_METERS,
        METERS_CHECKS,
        "Current version of each meter.",
        partitions=None,
        deps=[key(BRONZE_METERS)],
        automation_condition=follows_parents(),
    )(silver_meters)
    readings = table_asset(
        SILVER_METER_READINGS,
        READINGS_CHECKS,
        "Readings deduplicated (latest received wins), Wh sent as kWh corrected, aligned to each "
        "meter's grid, gaps explicit, quality flags per row.",
        partitions=days,
        deps=[key(BRONZE_METER_READINGS), key(SILVER_METERS)],
        automation_condition=follows_parents(not_triggered_by=[key(SILVER_METERS)]),
    )(silver_meter_readings)
    weather = table_asset(
        SILVER_WEATHER,
        WEATHER_CHECKS,
        "Weather in range, one value per location, valid hour and issue time, with the forecast "
        "horizon.",
        partitions=days,
        deps=[key(BRONZE_WEATHER)],
        automation_condition=follows_parents(),
    )(silver_weather)
    return DomainDefs(assets=[meters, readings, weather])
