"""The dbt-duckdb plugin `lake` (`dbt/profiles.yml`): a dbt source is a lake table, by contract.

dbt's DuckDB reads the Delta table as an Arrow dataset, through the Delta log (never a Parquet
glob), without copying it: a mart's filter on `day` prunes the table's partitions. A table that
was never written reads as empty, with its contract's schema, so a mart over it is empty rather
than failing. Loaded by dbt only, never by Dagster; no Dagster here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
from dbt.adapters.duckdb.plugins import BasePlugin
from dbt.adapters.duckdb.utils import SourceConfig

from checks.contracts import contract
from energy_assets.lake import Lake

DEFAULT_LAKE = Path(__file__).resolve().parents[1] / "lake"


def lake_from_env() -> Lake:
    """The lake a Dagster run names (`ENERGY_MARTS_LAKE_ROOT`), else the project's lake."""
    root = (
        os.environ.get("ENERGY_MARTS_LAKE_ROOT")
        or os.environ.get("ENERGY_LAKE_ROOT")
        or str(DEFAULT_LAKE)
    )
    return Lake(root=root, storage_options=Lake.from_env().storage_options)


def load_table(lake: Lake, path: str) -> ds.Dataset:
    """The lake table `path` (`<layer>/<name>`) as a dataset DuckDB scans lazily; an empty one
    with the contract's schema when the table does not exist yet."""
    table = contract(path)
    delta = lake.delta_table(table)
    if delta is None:
        return ds.dataset(table.schema.empty_table())
    return delta.to_pyarrow_dataset()


class Plugin(BasePlugin):
    """Sources `config: {plugin: lake}` named `<layer>.<table>` (source name = layer)."""

    def initialize(self, plugin_config: dict[str, Any]) -> None:
        self.lake = lake_from_env()

    def load(self, source_config: SourceConfig) -> ds.Dataset:
        return load_table(self.lake, f"{source_config.schema}/{source_config.identifier}")

    def default_materialization(self) -> str:
        return "view"
