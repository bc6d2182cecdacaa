"""Pseudonymised meter ids and coarsened coordinates, applied as meters and readings enter silver.

A household's meter id, like its coordinates, is personal data. With pseudonymisation on, silver
(and so gold, the marts, MLflow and the notebooks, which read only silver and gold) holds
`PREFIX` + the first 16 hex digits of HMAC-SHA256(key, meter id) instead: the same meter gets
the same pseudonym in every table and every run, so joins still work, and without the key nobody
can recompute it from a guessed id. Coordinates are rounded to `coordinate_decimals` (2 decimals:
about 1 km). Only bronze, which keeps what was received, can link a pseudonym to a meter.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

PREFIX = "P-"
DIGITS = 16
"""Hex digits kept: 64 bits, so a collision among a million meters has odds of about 1 in 3e7."""
MIN_KEY_BYTES = 32
DEFAULT_COORDINATE_DECIMALS = 2


@dataclass(frozen=True)
class Pseudonymisation:
    """The secret key and how coarse coordinates become."""

    key: bytes
    coordinate_decimals: int = DEFAULT_COORDINATE_DECIMALS

    def __post_init__(self) -> None:
        if len(self.key) < MIN_KEY_BYTES:
            raise ValueError(
                f"the pseudonymisation key has {len(self.key)} bytes; use at least "
                f"{MIN_KEY_BYTES} random bytes (e.g. `openssl rand -hex 32`)"
            )

    def __repr__(self) -> str:
        return f"Pseudonymisation(key=<{len(self.key)} bytes>, decimals={self.coordinate_decimals})"

    def pseudonym(self, meter_id: str) -> str:
        digest = hmac.new(self.key, meter_id.encode(), hashlib.sha256).hexdigest()
        return PREFIX + digest[:DIGITS]

    def ids(self, column: pa.Array | pa.ChunkedArray) -> pa.ChunkedArray:
        """A column of meter ids (plain or dictionary-encoded strings) as pseudonyms, each
        distinct id hashed once."""
        column = column if isinstance(column, pa.ChunkedArray) else pa.chunked_array([column])
        if pa.types.is_dictionary(column.type):
            return pa.chunked_array(
                [
                    pa.DictionaryArray.from_arrays(chunk.indices, self._mapped(chunk.dictionary))
                    for chunk in column.chunks
                ],
                type=column.type,
            )
        distinct = pc.unique(column)
        return pa.chunked_array(
            [pc.take(self._mapped(distinct), pc.index_in(column, value_set=distinct))]
        ).cast(column.type)

    def _mapped(self, values: pa.Array) -> pa.Array:
        return pa.array(
            [None if v is None else self.pseudonym(v) for v in values.to_pylist()],
            type=values.type,
        )

    def readings(self, table: pa.Table) -> pa.Table:
        """Readings with pseudonymised `meter_id`."""
        return _replace(table, "meter_id", self.ids(table.column("meter_id")))

    def meters(self, table: pa.Table) -> pa.Table:
        """Meters with pseudonymised `meter_id` and rounded `latitude` / `longitude`."""
        result = self.readings(table)
        for name in ("latitude", "longitude"):
            if name in result.column_names:
                rounded = pc.round(result.column(name), ndigits=self.coordinate_decimals)
                result = _replace(result, name, rounded)
        return result


def _replace(table: pa.Table, name: str, column: pa.ChunkedArray) -> pa.Table:
    return table.set_column(table.column_names.index(name), name, column)
