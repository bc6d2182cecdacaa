"""Gold carbon footprint of the energy each meter used, per UTC day."""

import dagster as dg

from checks.contracts import (
    BRONZE_GRID_CARBON_INTENSITY,
    GOLD_CARBON_EMISSIONS,
    SILVER_METER_READINGS,
    SILVER_METERS,
)
from energy_assets.defs.check_suites import CheckSuite, matches_contract
from energy_assets.defs.conditions import follows_parents
from energy_assets.defs.domain import DomainDefs
from energy_assets.defs.emissions import tracks_emissions
from energy_assets.defs.partitions import Partitioning, run_window
from energy_assets.defs.resources import LakeResource
from energy_assets.defs.tables import key, table_asset, write_checked
from energy_assets.storage.lake import Chunk
from energy_assets.transforms.carbon import carbon_emissions
from energy_assets.transforms.layers import chunks

CARBON_CHECKS = CheckSuite(key(GOLD_CARBON_EMISSIONS), [matches_contract(GOLD_CARBON_EMISSIONS)])


@tracks_emissions
def carbon_emissions_asset(
    context: dg.AssetExecutionContext, lake: LakeResource
) -> dg.MaterializeResult:
    store = lake.lake()
    start, end = run_window(context)
    meters = store.read(SILVER_METERS)
    emissions = (
        Chunk(
            low,
            high,
            carbon_emissions(
                store.read(SILVER_METER_READINGS, low, high),
                meters,
                store.read(BRONZE_GRID_CARBON_INTENSITY, low, high),
            ),
        )
        for low, high in chunks(start, end)
    )
    metadata, checked = write_checked(
        store, GOLD_CARBON_EMISSIONS, CARBON_CHECKS.fresh(), emissions, (start, end)
    )
    return dg.MaterializeResult(metadata=metadata, check_results=checked)


def build(partitioning: Partitioning) -> DomainDefs:
    """The carbon emissions of the lake's days, following silver."""
    emissions = table_asset(
        GOLD_CARBON_EMISSIONS,
        CARBON_CHECKS,
        "Emissions of each meter's energy: consumption x the grid's carbon intensity at that "
        "hour (éCO2mix for French regions where published, else the country's yearly factor).",
        partitions=partitioning.daily,
        deps=[key(SILVER_METER_READINGS), key(SILVER_METERS), key(BRONZE_GRID_CARBON_INTENSITY)],
        automation_condition=follows_parents(not_triggered_by=[key(SILVER_METERS)]),
    )(carbon_emissions_asset)
    return DomainDefs(assets=[emissions])
