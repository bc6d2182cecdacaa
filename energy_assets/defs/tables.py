"""What every lake asset shares: one factory declaring it from its table's contract
(`table_asset`), its key, its write metadata, and one way to write a window of days while its
check suite watches the rows (`write_checked`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from typing import Any

import dagster as dg
import pyarrow as pa

from checks.contracts import TableContract
from energy_assets.defs.check_suites import CheckContext, CheckSuite
from energy_assets.defs.partitions import SINGLE_RUN
from energy_assets.storage.lake import Chunk, Lake, WriteResult


def key(table: TableContract) -> dg.AssetKey:
    """The asset key of a lake table: its layer, then its name."""
    return dg.AssetKey([table.layer, table.name])


def table_asset(
    table: TableContract,
    suite: CheckSuite,
    summary: str,
    *,
    partitions: dg.PartitionsDefinition | None,
    deps: Sequence[dg.AssetKey | dg.AssetDep] = (),
    kinds: set[str] | None = None,
    automation_condition: dg.AutomationCondition | None = None,
    extra_checks: Sequence[dg.AssetCheckSpec] = (),
) -> Callable[[Callable[..., Any]], dg.AssetsDefinition]:
    """The decorator of a lake table's asset: keyed and grouped by the table's layer, on
    `partitions` (the UTC days) with a single-run backfill (None: a dimension), its suite's checks
    (and `extra_checks`) declared, described by `summary` and the contract's grain."""
    return dg.asset(
        key=key(table),
        group_name=table.layer,
        kinds=kinds if kinds is not None else {"delta", "polars"},
        deps=list(deps),
        partitions_def=partitions,
        backfill_policy=SINGLE_RUN if partitions is not None else None,
        check_specs=[*suite.specs(partitions), *extra_checks],
        automation_condition=automation_condition,
        description=f"{summary} Grain: {table.grain}.",
    )


def write_metadata(
    result: WriteResult, start: date | None = None, end: date | None = None
) -> dict[str, Any]:
    """Rows, Delta version, window and duration of one table write."""
    metadata: dict[str, Any] = {
        "table": result.table,
        "dagster/row_count": result.rows,
        "delta_version": result.version,
        "write_seconds": round(result.seconds, 3),
    }
    if start is not None and end is not None:
        metadata["window"] = f"[{start.isoformat()}, {end.isoformat()})"
        metadata["days"] = (end - start).days
    return metadata


def write_checked(
    store: Lake,
    table: TableContract,
    suite: CheckSuite,
    chunks: Iterable[Chunk],
    window: tuple[date, date],
    meters: pa.Table | None = None,
    previous_day: pa.Table | None = None,
) -> tuple[dict[str, Any], list[dg.AssetCheckResult]]:
    """Write the chunks of a window in one commit, the suite observing each chunk's rows first,
    and return the write's metadata and the suite's results.

    Each chunk is checked with the meters and the rows before it (`previous_day` for the first:
    a meter's local day straddles two UTC days)."""

    def observed() -> Iterator[Chunk]:
        previous = previous_day
        for chunk in chunks:
            suite.observe(chunk.table, CheckContext(meters=meters, previous_day=previous))
            previous = chunk.table
            yield chunk

    written = store.replace_chunks(table, observed())
    return write_metadata(written, *window), suite.results()
