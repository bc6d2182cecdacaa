from __future__ import annotations

import io
import logging

from energy_assets.backfill_progress import BackfillProgress, commits_reported


def test_each_commit_is_a_line_with_the_run_the_elapsed_time_and_the_rows_so_far() -> None:
    out = io.StringIO()
    ticks = iter([0.0, 61.0, 75.0, 3725.0])
    progress = BackfillProgress(runs=3, out=out, clock=lambda: next(ticks))
    progress.start_run(2, "2024-01-01..2024-12-31, ", ["silver/weather"])
    with commits_reported(progress):
        log = logging.getLogger("energy_assets.lake")
        log.info("silver/weather: %d rows written", 1200, extra={"rows": 1200})
        log.info("silver/weather: %d rows written", 800, extra={"rows": 800})
    log.info("after the backfill: not reported", extra={"rows": 5})

    assert out.getvalue().splitlines() == [
        "[run 2/3 0:01:01] 2024-01-01..2024-12-31, 1 assets: silver/weather",
        "[run 2/3 0:01:15] silver/weather: 1200 rows written; 1,200 rows so far",
        "[run 2/3 1:02:05] silver/weather: 800 rows written; 2,000 rows so far",
    ]
