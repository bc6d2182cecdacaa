"""Peak memory of parsing one landing readings file (`python -m bench.landing_parse`).

Writes a readings CSV of `--mb` megabytes (`--meters` meters, 15-minute `energy_kwh` rows from
2024-01-01 UTC), then parses it in a fresh child process per case, as a bronze run does
(`parse_readings_file`): `good` with every meter described, `rejected` with none (every row
quarantined, "meter never described"). Each case prints rows kept, rows rejected, wall and CPU
seconds, and the child's peak RSS beside the RSS of the same process before the parse (Python,
polars and pyarrow imported), so the parse's own share is the difference.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

CASES = ("good", "rejected")
START = datetime(2024, 1, 1, tzinfo=UTC)


def write_file(path: Path, megabytes: int, meters: int) -> int:
    """A readings CSV of about `megabytes` MB, meters interleaved as a utility export; rows."""
    target = megabytes * 1024 * 1024
    rows = 0
    size = 0
    with path.open("w") as fh:
        header = "meter_id,timestamp,energy_kwh\n"
        fh.write(header)
        size += len(header)
        slot = 0
        while size < target:
            at = (START + timedelta(minutes=15 * slot)).strftime("%Y-%m-%dT%H:%M:%SZ")
            lines = "".join(
                f"MTR-{m:05d},{at},{(slot * 7 + m) % 1000 / 400:.3f}\n" for m in range(meters)
            )
            fh.write(lines)
            size += len(lines)
            rows += meters
            slot += 1
    return rows


def parse_in_this_process(path: Path, case: str, meters: int) -> dict[str, Any]:
    """Parse `path` here (the child's side) and measure it."""
    from energy_assets.sources.landing import parse_readings_file

    described = case == "good"
    zones = {f"MTR-{m:05d}": "UTC" for m in range(meters)} if described else {}
    intervals = dict.fromkeys(zones, 15)
    before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    began, cpu = time.perf_counter(), time.process_time()
    parsed = parse_readings_file(
        path, zones, intervals, batch_id="bench", ingested_at_utc=datetime.now(UTC)
    )
    return {
        "case": case,
        "rows": parsed.rows.num_rows,
        "rejected": len(parsed.rejections),
        "seconds": round(time.perf_counter() - began, 2),
        "cpu_seconds": round(time.process_time() - cpu, 2),
        "rss_before_mb": round(before_kb / 1024),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=64, help="file size in MB (default 64)")
    parser.add_argument("--meters", type=int, default=200)
    parser.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES))
    parser.add_argument("--parse", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.parse is not None:
        print(json.dumps(parse_in_this_process(args.parse, args.cases[0], args.meters)))
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "readings.csv"
        rows = write_file(path, args.mb, args.meters)
        size_mb = path.stat().st_size / 1024 / 1024
        print(f"{path.name}: {size_mb:.0f} MB, {rows:,} rows, {args.meters} meters")
        for case in args.cases:
            child = [sys.executable, "-m", "bench.landing_parse", "--parse", str(path)]
            child += ["--cases", case, "--meters", str(args.meters)]
            result = json.loads(subprocess.run(child, check=True, capture_output=True).stdout)
            share = (result["peak_rss_mb"] - result["rss_before_mb"]) / size_mb
            print(json.dumps({**result, "parse_rss_x_file": round(share, 1)}))


if __name__ == "__main__":
    main()
