"""Turns the plain checks of `checks/` into per-partition Dagster asset checks.

Each asset declares a `CheckSuite`; while it writes day by day it feeds each day's table to the
suite, and reports one result per check for the whole run. Blocking checks stop downstream assets
in the same run when they fail.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import dagster as dg
import pyarrow as pa

from checks import domain
from checks.contracts import TableContract
from checks.result import CheckOutcome
from checks.schemas import validate_table
from energy_assets.defs.tables import check_result


@dataclass(frozen=True)
class CheckContext:
    """What some checks need besides the day's rows: the meters, and the day before's rows
    (a meter's local day straddles two UTC days)."""

    meters: pa.Table | None = None
    previous_day: pa.Table | None = None


CheckFunction = Callable[[pa.Table, CheckContext], CheckOutcome]


@dataclass(frozen=True)
class DayCheck:
    name: str
    description: str
    run: CheckFunction
    blocking: bool = False
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR


def matches_contract(contract: TableContract) -> DayCheck:
    """The pandera schema check derived from the table's contract: blocking."""
    return DayCheck(
        name="matches_contract",
        description=f"Rows match the {contract.path} contract: types, nulls, key, ranges.",
        run=lambda table, _context: validate_table(contract, table),
        blocking=True,
    )


@dataclass
class CheckSuite:
    """The checks of one asset, and their per-day outcomes during a run."""

    asset_key: dg.AssetKey
    checks: Sequence[DayCheck]
    outcomes: dict[str, list[CheckOutcome]] = field(default_factory=dict)

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

    def observe(self, table: pa.Table, context: CheckContext | None = None) -> None:
        """Run every check on one day's rows."""
        for check in self.checks:
            outcome = check.run(table, context or CheckContext())
            self.outcomes.setdefault(check.name, []).append(outcome)

    def results(self) -> list[dg.AssetCheckResult]:
        return [
            check_result(
                self.asset_key, self.outcomes.get(check.name, []), check.name, check.severity
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
        "Every interval starts on the meter's grid (a multiple of its length since 00:00 UTC).",
        lambda table, _context: domain.interval_alignment(table),
        blocking=True,
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
        "flatlines",
        "Few intervals belong to flatline runs (stuck meters).",
        lambda table, _context: domain.flatlines(table),
        severity=WARN,
    ),
)
