"""The contract type shared by every layer: `TableContract`, the UTC timestamp type, the `day`
partition column and the allowed interval lengths.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

UTC_TS = pa.timestamp("us", tz="UTC")
INTERVAL_MINUTES = (5, 10, 15, 30, 60)
"""Interval lengths a meter may have: each divides an hour, so every grid aligns to UTC hours."""
DAY = pa.field("day", pa.date32(), nullable=False)


def _f(name: str, dtype: pa.DataType, nullable: bool = True) -> pa.Field:
    return pa.field(name, dtype, nullable=nullable)


@dataclass(frozen=True)
class TableContract:
    """A lake table: where it lives, its grain, its key and its columns."""

    layer: str
    name: str
    grain: str
    key: tuple[str, ...]
    schema: pa.Schema
    partitioned: bool = True

    @property
    def path(self) -> str:
        return f"{self.layer}/{self.name}"

    @property
    def columns(self) -> list[str]:
        return self.schema.names
