"""Reading `bronze/landing_files`, the ledger of judged landing files: which accepted files a
run's days need, and which contents were already accepted."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pyarrow.compute as pc


def outside_window(ledger: pa.Table, start: date, end: date) -> set[str]:
    """Paths of accepted files whose days all fall outside [start, end): a run over that window
    need not parse them (a year of daily files costs a day's parse, not a year's)."""
    first, last = ledger["first_day"], ledger["last_day"]
    outside = pc.and_(
        pc.equal(ledger["status"], "accepted"),
        pc.or_(
            pc.greater_equal(first, pa.scalar(end, pa.date32())),
            pc.less(last, pa.scalar(start, pa.date32())),
        ),
    )
    return set(ledger.filter(outside)["path"].to_pylist())


def accepted_hashes(ledger: pa.Table) -> dict[str, str]:
    """sha256 -> path of every accepted file in the ledger."""
    accepted = ledger.filter(pc.equal(ledger["status"], "accepted"))
    return dict(zip(accepted["sha256"].to_pylist(), accepted["path"].to_pylist(), strict=True))
