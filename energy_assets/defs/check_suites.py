"""Turns the plain checks of `checks/` into per-partition Dagster asset checks.

Each asset declares a `CheckSuite`; while it writes day by day it feeds each day's table to the
suite, and reports one result per check for the whole run. Blocking checks stop downstream assets
in the same run when they fail, and a single-run backfill is one run: so a blocking check screens
each day's rows before the write (`CheckSuite.admit`), the rows it would fail go to quarantine
with its reason, and it fails only on what no row explains (a missing column, a wrong type). One
bad row or day never stops the other days of a range, and a failing check never leaves its bad
rows committed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import dagster as dg
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from checks import domain
from checks.contracts import TableContract
from checks.result import CheckOutcome
from checks.schemas.validation import validate_rows
from checks.unit_corrections import unit_corrections


def _totals(outcomes: Sequence[CheckOutcome]) -> dict[str, Any]:
    """Sums of the counts every outcome reports (rows judged, DST days judged, ...)."""
    keys = set.intersection(*(set(o.metadata) for o in outcomes))
    return {
        key: sum(o.metadata[key] for o in outcomes)
        for key in sorted(keys)
        if all(
            isinstance(o.metadata[key], int) and not isinstance(o.metadata[key], bool)
            for o in outcomes
        )
    }


def combine(name: str, outcomes: Sequence[CheckOutcome]) -> CheckOutcome:
    """One outcome for a multi-chunk run from per-chunk outcomes: it fails if any chunk fails.

    Counts are totals over the chunks; the other metadata is the first failing chunk's.
    """
    if len(outcomes) == 1:
        return outcomes[0]
    if not outcomes:
        return CheckOutcome(name, True, "nothing to check", 0, {"rows": 0})
    failing = [o for o in outcomes if not o.passed]
    examples: list[dict[str, Any]] = []
    for outcome in failing:
        examples.extend(outcome.metadata.get("examples", []))
    if not failing:
        description = f"passed on each of {len(outcomes)} chunks of days"
    elif len(failing) == 1:
        description = failing[0].description
    else:
        description = (
            f"failed on {len(failing)} of {len(outcomes)} chunks of days "
            f"({sum(o.failing_rows for o in failing)} failing rows); first: "
            f"{failing[0].description}"
        )
    return CheckOutcome(
        name=name,
        passed=not failing,
        description=description[:2000],
        failing_rows=sum(o.failing_rows for o in outcomes),
        metadata={
            **(failing[0].metadata if failing else {}),
            **_totals(outcomes),
            "failing_chunks": len(failing),
            "examples": examples[:5],
        },
    )


def check_result(
    asset_key: dg.AssetKey,
    outcomes: Iterable[CheckOutcome],
    name: str,
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR,
    quarantined: int | None = None,
) -> dg.AssetCheckResult:
    """A Dagster check result from one check's per-day outcomes; for a check screening rows, how
    many rows failing it were `quarantined` instead of written (said first in the description)."""
    outcome = combine(name, list(outcomes))
    description = outcome.description
    if quarantined:
        description = f"{quarantined} rows failing it quarantined before the write; {description}"
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=name,
        passed=outcome.passed,
        severity=severity,
        description=description[:2000],
        metadata={
            **{
                key: dg.MetadataValue.json(value) if isinstance(value, list | dict) else value
                for key, value in outcome.metadata.items()
            },
            **({} if quarantined is None else {"quarantined_rows": quarantined}),
        },
    )


@dataclass(frozen=True)
class CheckContext:
    """What some checks need besides the day's rows: the meters, the day before's rows (a
    meter's local day straddles two UTC days), and a reader of silver readings (lags)."""

    meters: pa.Table | None = None
    previous_day: pa.Table | None = None
    readings: Callable[[date, date], pa.Table] | None = None
    """Silver readings of a window of days, for checks judging rows against earlier days."""


CheckFunction = Callable[[pa.Table, CheckContext], CheckOutcome]
RowScreen = Callable[[pa.Table, CheckContext], tuple[CheckOutcome, list[str | None]]]
"""A check's outcome on a table, and for each row why it fails the check (None: it does not)."""


@dataclass(frozen=True)
class DayCheck:
    """One check of an asset; a blocking check also says which rows fail it (`screen`), so
    those rows can be quarantined instead of failing the run."""

    name: str
    description: str
    run: CheckFunction
    blocking: bool = False
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR
    screen: RowScreen | None = None


def matches_contract(contract: TableContract) -> DayCheck:
    """The pandera schema check derived from the table's contract: blocking, screening rows."""

    def screen(table: pa.Table, _context: CheckContext) -> tuple[CheckOutcome, list[str | None]]:
        return validate_rows(contract, table)

    return DayCheck(
        name="matches_contract",
        description=f"Rows match the {contract.path} contract: types, nulls, key, ranges "
        "(rows that do not are quarantined before the write, with the rules they break).",
        run=lambda table, context: screen(table, context)[0],
        blocking=True,
        screen=screen,
    )


@dataclass(frozen=True)
class Screened:
    """The rows a suite's blocking checks refused, each with its reasons."""

    rows: pa.Table
    reasons: list[str]


@dataclass
class CheckSuite:
    """The checks of one asset, and their per-day outcomes during a run."""

    asset_key: dg.AssetKey
    checks: Sequence[DayCheck]
    outcomes: dict[str, list[CheckOutcome]] = field(default_factory=dict)
    refused: dict[str, int] = field(default_factory=dict)

    def specs(
        self, partitions_def: dg.PartitionsDefinition | None = None
    ) -> list[dg.AssetCheckSpec]:
        return [
            dg.AssetCheckSpec(
                check.name,
                asset=self.asset_key,
                description=check.description,
                blocking=check.blocking,
                partitions_def=partitions_def,
            )
            for check in self.checks
        ]

    def observe(
        self, table: pa.Table, context: CheckContext | None = None, only: Sequence[str] = ()
    ) -> None:
        """Run every check (or those named in `only`) on one day's rows."""
        for check in self.checks:
            if only and check.name not in only:
                continue
            outcome = check.run(table, context or CheckContext())
            self.outcomes.setdefault(check.name, []).append(outcome)

    def admit(
        self, table: pa.Table, context: CheckContext | None = None
    ) -> tuple[pa.Table, Screened]:
        """Run every check on one day's rows after removing the rows a blocking check fails;
        return the rows to write and the rows refused, with the checks and rules they fail."""
        context = context or CheckContext()
        screens = {c.name: c.screen(table, context) for c in self.checks if c.screen is not None}
        # Rows are many and refusals rare: Arrow finds the refused rows, Python visits only them.
        reasons: dict[int, list[str]] = {}
        for name, (_outcome, row_reasons) in screens.items():
            failing = pc.indices_nonzero(pa.array(row_reasons, pa.string()).is_valid())
            for row in failing.to_pylist():
                reasons.setdefault(row, []).append(f"{name}: {row_reasons[row]}")
            if len(failing):
                self.refused[name] = self.refused.get(name, 0) + len(failing)
        refused_rows = sorted(reasons)
        is_refused = np.zeros(table.num_rows, dtype=bool)
        is_refused[refused_rows] = True
        bad = pa.array(is_refused)
        kept = table.filter(pc.invert(bad)) if table.num_rows else table
        for check in self.checks:
            screened = screens.get(check.name)
            outcome = (
                screened[0]
                if screened is not None and kept.num_rows == table.num_rows
                else check.run(kept, context)
            )
            self.outcomes.setdefault(check.name, []).append(outcome)
        return kept, Screened(table.filter(bad), ["; ".join(reasons[r]) for r in refused_rows])

    def results(self) -> list[dg.AssetCheckResult]:
        return [
            check_result(
                self.asset_key,
                self.outcomes.get(check.name, []),
                check.name,
                check.severity,
                self.refused.get(check.name, 0) if check.screen is not None else None,
            )
            for check in self.checks
        ]

    def fresh(self) -> CheckSuite:
        """A copy with no outcomes, for one run (suites are declared once at import)."""
        return CheckSuite(self.asset_key, self.checks)


WARN = dg.AssetCheckSeverity.WARN

DST_DAY_LENGTHS = DayCheck(
    "dst_day_lengths",
    "Each meter's local days, as the local calendar assigned them, hold 23/25 hours on DST changes "
    "and 24 otherwise.",
    lambda table, context: domain.dst_day_lengths(
        pa.concat_tables([t for t in (context.previous_day, table) if t is not None]),
        context.meters if context.meters is not None else pa.table({}),
    ),
)

SILVER_READINGS_CHECKS: tuple[DayCheck, ...] = (
    DayCheck(
        "interval_alignment",
        "Every interval starts on the meter's grid (a multiple of its length since 00:00 UTC); "
        "an interval off it is quarantined before the write.",
        lambda table, _context: domain.interval_alignment(table),
        blocking=True,
        screen=lambda table, _context: (
            domain.interval_alignment(table),
            domain.off_grid_reasons(table),
        ),
    ),
    DayCheck(
        "completeness",
        "Each meter-day has at least 90% of its intervals (warns, naming the meters below).",
        lambda table, _context: domain.completeness(table),
        severity=WARN,
    ),
    DayCheck(
        "unit_jumps",
        "No x1000 jumps between consecutive readings left after unit correction (Wh vs kWh).",
        lambda table, _context: domain.unit_jumps(table),
        severity=WARN,
    ),
    DayCheck(
        "unit_corrections",
        "No reading was divided by 1000 against the unit its source stated (warns, naming each "
        "meter and stretch corrected).",
        lambda table, _context: unit_corrections(table),
        severity=WARN,
    ),
    DayCheck(
        "flatlines",
        "Few intervals belong to flatline runs (stuck meters).",
        lambda table, _context: domain.flatlines(table),
        severity=WARN,
    ),
)
