"""The dbt-duckdb plugin `lake` (`dbt/profiles.yml`): the lake's tables as DuckDB views.

When dbt connects, every lake table of the configured layers becomes a view `<layer>.<table>`
over the Delta table read as an Arrow dataset, through the Delta log (never a Parquet glob),
without copying it: a mart's filter on `day` prunes the table's partitions. dbt sources
(`dbt/models/staging/_sources.yml`) are those views. The views are created once per dbt process,
before any node runs, rather than by dbt-duckdb's per-reference source loading, which replaces
the view each time a node names it: with 2+ threads those catalog writes conflict. A table that
was never written reads as empty, with its contract's schema, so a mart over it is empty rather
than failing. Loaded by dbt only, never by Dagster; no Dagster here.
"""

from __future__ import annotations

from typing import Any

import pyarrow.dataset as ds
from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

from checks.contracts import ALL_TABLES, TableContract
from energy_assets.settings import lake_storage_options, marts_lake_root
from energy_assets.storage.lake import Lake


def lake_from_env() -> Lake:
    """The lake a Dagster run names (`ENERGY_MARTS_LAKE_ROOT`), else the project's lake."""
    return Lake(root=marts_lake_root(), storage_options=lake_storage_options())


def load_table(lake: Lake, table: TableContract) -> ds.Dataset:
    """The lake table as a dataset DuckDB scans lazily; an empty one with the contract's schema
    when the table does not exist yet."""
    delta = lake.delta_table(table)
    if delta is None:
        return ds.dataset(table.schema.empty_table())
    return delta.to_pyarrow_dataset()


def dataset_name(table: TableContract) -> str:
    """The name a table's dataset is registered under on every DuckDB cursor."""
    return f"lake_{table.layer}_{table.name}"


class Plugin(BasePlugin):
    """Config `layers`: the lake layers whose tables become views (schema = layer)."""

    def initialize(self, plugin_config: dict[str, Any]) -> None:
        lake = lake_from_env()
        layers = set(plugin_config["layers"])
        tables = [table for table in ALL_TABLES if table.layer in layers]
        # One snapshot of each table for the whole dbt run: every node reads the same version.
        self.datasets = {dataset_name(table): load_table(lake, table) for table in tables}
        self.tables = tables

    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        """Once per dbt process, before any node: (re)create the views over this run's datasets
        (those of a previous process named datasets registered only there)."""
        self.configure_cursor(conn)
        for table in self.tables:
            conn.execute(f"create schema if not exists {table.layer}")
            conn.execute(
                f"create or replace view {table.layer}.{table.name} as "
                f"select * from {dataset_name(table)}"
            )

    def configure_cursor(self, cursor: DuckDBPyConnection) -> None:
        """A registered dataset is visible on the cursor that registered it only."""
        for name, dataset in self.datasets.items():
            cursor.register(name, dataset)
