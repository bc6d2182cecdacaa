"""What `energy-lake backfill` prints while it works: plain lines, as readable in a CI log as on a
terminal. Each says which run of how many and the time elapsed, then what just happened: a step
started, a commit written (a chunk of days of a table, with its rows and the rows so far), an
asset materialized, a step failed.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TextIO

import dagster as dg

COMMITS_LOGGER = "energy_assets"
"""The lake logs one record per Delta commit under this logger (with the rows written)."""


class BackfillProgress:
    """Counts runs, assets and rows of one backfill and prints each step of it."""

    def __init__(
        self,
        runs: int,
        out: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
        started: float | None = None,
    ) -> None:
        """`started`: the `clock` reading elapsed times count from (default: now); the processes
        of one backfill share it with `clock=time.time`."""
        self.runs = runs
        self.run = 0
        self.assets = 0
        self.materialized: set[dg.AssetKey] = set()
        self.rows = 0
        self._out = out
        self._clock = clock
        self._started = clock() if started is None else started
        self._lock = threading.Lock()

    def start_run(self, number: int, window: str, assets: Sequence[str]) -> None:
        self.run, self.assets, self.materialized = number, len(assets), set()
        self.say(f"{window}{len(assets)} assets: {', '.join(assets)}")

    def on_event(self, entry: dg.EventLogEntry) -> None:
        """A Dagster event listener (`DagsterInstance.add_event_listener`) of the current run."""
        event = entry.dagster_event
        if event is None:
            return
        if event.event_type == dg.DagsterEventType.STEP_START:
            self.say(f"step {event.step_key} started")
        elif (
            event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION
            and event.asset_key
            and event.asset_key not in self.materialized
        ):
            self.materialized.add(event.asset_key)
            self.say(
                f"{event.asset_key.to_user_string()} materialized "
                f"({len(self.materialized)} of {self.assets} assets of this run)"
            )
        elif event.event_type == dg.DagsterEventType.STEP_FAILURE:
            self.say(f"step {event.step_key} FAILED")

    def on_commit(self, record: logging.LogRecord) -> None:
        with self._lock:
            self.rows += int(getattr(record, "rows", 0))
            rows = self.rows
        self.say(f"{record.getMessage()}; {rows:,} rows so far")

    def say(self, text: str, run: int | None = None) -> None:
        """Print one line, of `run` when runs go at once (else of the latest run started)."""
        elapsed = int(self._clock() - self._started)
        minutes, seconds = divmod(elapsed, 60)
        hours, minutes = divmod(minutes, 60)
        print(
            f"[run {run or self.run}/{self.runs} {hours:d}:{minutes:02d}:{seconds:02d}] {text}",
            file=self._out or sys.stdout,
            flush=True,
        )


class _Commits(logging.Handler):
    def __init__(self, progress: BackfillProgress) -> None:
        super().__init__(logging.INFO)
        self.progress = progress

    def emit(self, record: logging.LogRecord) -> None:
        if hasattr(record, "rows"):
            self.progress.on_commit(record)


@contextmanager
def commits_reported(progress: BackfillProgress) -> Iterator[None]:
    """While inside, every Delta commit of the lake is a progress line."""
    logger = logging.getLogger(COMMITS_LOGGER)
    handler, level = _Commits(progress), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
