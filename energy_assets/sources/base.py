"""What a bronze asset needs from a source, whatever it reads: the `Source` protocol.

A source gives each bronze asset it feeds a `Received` for the run's window: rows already in hand
(parsed files, API responses), rows it makes on demand one day at a time (the simulator, so memory
grows with a chunk, never with the window), the files whose rejected rows the asset quarantines,
and what its API requests gave (for the `api_schema`/`api_fetch` checks). Bronze loops over the
configured sources (`energy_assets.sources.registry`) and never names one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

import pyarrow as pa

from checks.quarantine import Rejection
from energy_assets.settings import Settings
from energy_assets.storage.lake import Lake, days_in, within_days

Rows = dict[str, list[pa.Table]]
"""Bronze rows by table name (`TableContract.name`)."""


@dataclass(frozen=True)
class SourceRun:
    """What a source may consult while a bronze asset runs: the lake and the run's settings."""

    store: Lake
    settings: Settings


@dataclass
class Received:
    """What one source sent one bronze asset for a window.

    `rows` are in hand; `per_day`, when given, makes a day's rows on demand. `rejected_files` maps
    a file to its rejected rows, which the asset quarantines; `responses`, `requests` and
    `api_rejections` (already quarantined by the source) feed the API checks;
    `inferred_intervals` names the meters whose interval came from their reading cadence.
    """

    source: str
    rows: Rows = field(default_factory=dict)
    per_day: Callable[[date], Mapping[str, pa.Table]] | None = None
    rejected_files: dict[str, list[Rejection]] = field(default_factory=dict)
    responses: int = 0
    requests: int = 0
    api_rejections: list[Rejection] = field(default_factory=list)
    inferred_intervals: dict[str, int] = field(default_factory=dict)

    def between(self, low: date, high: date) -> Rows:
        """The rows of days [low, high): made ones first, then those in hand."""
        out: Rows = {}
        if self.per_day is not None:
            for day in days_in(low, high):
                for name, table in self.per_day(day).items():
                    out.setdefault(name, []).append(table)
        for name, tables in self.rows.items():
            out.setdefault(name, []).extend(within_days(t, low, high) for t in tables)
        return out


class Source(Protocol):
    """A source of bronze rows: a name (the `source` column and `ENERGY_SOURCES` entry), the
    bronze tables it fills from API responses (which carry the API checks), and one function per
    bronze asset. A source feeding nothing to an asset returns `Received(name)`."""

    @property
    def name(self) -> str: ...

    @property
    def api_tables(self) -> frozenset[str]: ...

    def meters(self, run: SourceRun) -> Received:
        """Meters as the source describes them now (`bronze/meters` is rewritten whole)."""
        ...

    def readings(self, run: SourceRun, start: date, end: date) -> Received:
        """Readings of [start, end), and the bronze tables received with them."""
        ...

    def weather(self, run: SourceRun, start: date, end: date) -> Received:
        """Weather observations and forecasts of [start, end)."""
        ...
