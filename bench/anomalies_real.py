"""`python -m bench.anomalies_real`: the anomaly detectors on real meters, which carry no labels.

Each real set (`../shared/data/real/<set>`, landing format) is imported into a lake through
`bench.real_lake` (reused when `--root` already holds it), then every day after the first
`history_days` is detected through the functions the `gold/anomalies` asset calls
(`bench.anomalies.detect`), without a trained model: the expectation is the meter's profile
fallback, so the model-residual detector stands down and the rules, the daily baselines and the
unusual-day forest are what is judged. Prints events per meter-month by type and severity and
the strongest events with their reasons, to read against the data.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import polars as pl

from bench.anomalies import detect
from bench.lakehouse import ISSUE_HOUR_UTC
from bench.real_lake import import_real_set
from checks.contracts import GOLD_QUALITY_SCORECARD
from energy_assets.storage.lake import Lake
from ml.anomaly.detection import history_days
from ml.anomaly.evaluation import METER_MONTH_DAYS
from ml.anomaly.params import AnomalyParams

SETS = ("au_households", "it_building")
TOP_EVENTS = 12


def events(found: pl.DataFrame) -> pl.DataFrame:
    """One row per event of gold `anomalies` rows: its meter, type, highest severity and score,
    extent, days and the reason of its strongest day."""
    return (
        found.sort("score", descending=True)
        .group_by("event_id", maintain_order=True)
        .agg(
            pl.col("meter_id").first(),
            pl.col("anomaly_type").first(),
            pl.col("severity").first(),
            pl.col("score").first(),
            start=pl.col("event_start_utc").min(),
            end=pl.col("event_end_utc").max(),
            days=pl.len(),
            reason=pl.col("reason").first(),
        )
    )


def per_meter_month(table: pl.DataFrame, meter_days: int) -> pl.DataFrame:
    """Events per meter-month by type and severity (`table`: `events` rows), and by type."""
    months = meter_days / METER_MONTH_DAYS
    by_severity = (
        table.group_by("anomaly_type", "severity")
        .len()
        .pivot(on="severity", index="anomaly_type", values="len")
        .fill_null(0)
    )
    return (
        table.group_by("anomaly_type")
        .agg(events=pl.len())
        .join(by_severity, on="anomaly_type")
        .with_columns(per_meter_month=pl.col("events") / months)
        .sort("per_meter_month", descending=True)
    )


def run(name: str, root: str, params: AnomalyParams) -> None:
    first, end, rejected = import_real_set(name, root, ISSUE_HOUR_UTC)
    store = Lake(root)
    start = first + timedelta(days=history_days(params))
    started = time.process_time()
    found = detect(store, start, end, {}, "monthly", params)
    cpu_seconds = time.process_time() - started
    received = pl.from_arrow(
        store.read(GOLD_QUALITY_SCORECARD, start, end, ["meter_id", "day", "received_intervals"])
    )
    assert isinstance(received, pl.DataFrame)
    meter_days = received.filter(pl.col("received_intervals") > 0).height
    table = events(found)
    print(
        f"{name}: {received['meter_id'].n_unique()} meters, {start}..{end} "
        f"({meter_days} meter-days with readings, {rejected} landing rows rejected), "
        f"{table.height} events, detection {cpu_seconds:.0f} s CPU"
    )
    with pl.Config(tbl_rows=40, tbl_cols=12, tbl_width_chars=220, fmt_str_lengths=150):
        print(per_meter_month(table, meter_days))
        print(
            table.sort("score", descending=True)
            .head(TOP_EVENTS)
            .select("meter_id", "anomaly_type", "severity", "score", "start", "days", "reason")
        )
    found.write_parquet(Path(root) / "real_anomalies.parquet")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--set", dest="sets", action="append", choices=SETS)
    parser.add_argument("--root", help="folder of the sets' lakes to build or reuse")
    args = parser.parse_args()
    root = Path(args.root or tempfile.mkdtemp(prefix="energy-anomaly-real-"))
    for name in args.sets or SETS:
        run(name, str(root / name), AnomalyParams())


if __name__ == "__main__":
    main()
