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
from energy_assets.assets.bronze import key
from energy_assets.automation.conditions import follows_parents
from energy_assets.cleaning import current_meters
from energy_assets.emissions import tracks_emissions
from energy_assets.lake import Chunk
from energy_assets.layers import silver_readings_chunks, silver_weather_chunks
from energy_assets.materialization import write_metadata
from energy_assets.partitions import DAILY, SINGLE_RUN, run_window
from energy_assets.quality import (
    SILVER_READINGS_CHECKS,
    CheckContext,
    CheckSuite,
    matches_contract,
)
from energy_assets.quarantine import replace_quarantine
from energy_assets.resources import LakeResource
from energy_assets.settings import pseudonymisation

GROUP = "silver"


METERS_CHECKS = CheckSuite(key(SILVER_METERS), [matches_contract(SILVER_METERS)])


@dg.asset(
    key=key(SILVER_METERS),
    group_name=GROUP,
    kinds={"delta", "polars"},
    deps=[key(BRONZE_METERS)],
    check_specs=METERS_CHECKS.specs(),
    automation_condition=follows_parents(),
    description=f"Current version of each meter. Grain: {SILVER_METERS.grain}.",
)
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


@dg.asset(
    key=key(SILVER_METER_READINGS),
    group_name=GROUP,
    kinds={"delta", "polars"},
    deps=[key(BRONZE_METER_READINGS), key(SILVER_METERS)],
    partitions_def=DAILY,
    automation_condition=follows_parents(not_triggered_by=[key(SILVER_METERS)]),
    backfill_policy=SINGLE_RUN,
    check_specs=READINGS_CHECKS.specs(DAILY),
    description=(
        "Readings deduplicated (latest received wins), Wh sent as kWh corrected, aligned to each "
        "meter's grid, gaps explicit, quality flags per row. "
        f"Grain: {SILVER_METER_READINGS.grain}."
    ),
)
@tracks_emissions
def silver_meter_readings(
    context: dg.AssetExecutionContext, lake: LakeResource
) -> dg.MaterializeResult:
    store = lake.lake()
    pseudonyms = pseudonymisation()
    start, end = run_window(context)
    meters = store.read(SILVER_METERS)
    suite = READINGS_CHECKS.fresh()
    rejections: list[Rejection] = []
    previous = store.read(SILVER_METER_READINGS, start - timedelta(days=1), start)

    def checked() -> Iterator[Chunk]:
        nonlocal previous
        for chunk, cleaned in silver_readings_chunks(store, meters, start, end, pseudonyms):
            rejections.extend(cleaned.rejections)
            suite.observe(chunk.table, CheckContext(meters=meters, previous_day=previous))
            previous = chunk.table
            yield chunk

    written = store.replace_chunks(SILVER_METER_READINGS, checked())
    quarantined = replace_quarantine(
        store, rejections, rejected_by="silver_meter_readings", source="lake", window=(start, end)
    )
    return dg.MaterializeResult(
        metadata={**write_metadata(written, start, end), "quarantined_rows": quarantined},
        check_results=suite.results(),
    )


WEATHER_CHECKS = CheckSuite(key(SILVER_WEATHER), [matches_contract(SILVER_WEATHER)])


@dg.asset(
    key=key(SILVER_WEATHER),
    group_name=GROUP,
    kinds={"delta", "polars"},
    deps=[key(BRONZE_WEATHER)],
    partitions_def=DAILY,
    automation_condition=follows_parents(),
    backfill_policy=SINGLE_RUN,
    check_specs=WEATHER_CHECKS.specs(DAILY),
    description=(
        "Weather in range, one value per location, valid hour and issue time, with the forecast "
        f"horizon. Grain: {SILVER_WEATHER.grain}."
    ),
)
@tracks_emissions
def silver_weather(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    store = lake.lake()
    start, end = run_window(context)
    suite = WEATHER_CHECKS.fresh()
    rejections: list[Rejection] = []

    def checked() -> Iterator[Chunk]:
        for chunk, cleaned in silver_weather_chunks(store, start, end):
            rejections.extend(cleaned.rejections)
            suite.observe(chunk.table)
            yield chunk

    written = store.replace_chunks(SILVER_WEATHER, checked())
    quarantined = replace_quarantine(
        store, rejections, rejected_by="silver_weather", source="lake", window=(start, end)
    )
    return dg.MaterializeResult(
        metadata={**write_metadata(written, start, end), "quarantined_rows": quarantined},
        check_results=suite.results(),
    )
