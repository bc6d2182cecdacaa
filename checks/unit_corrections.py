"""Silver's unit corrections, reported loudly: each one overrides the unit a source stated."""

from __future__ import annotations

import polars as pl
import pyarrow as pa

from checks.result import CheckOutcome, stringify


def unit_corrections(readings: pa.Table) -> CheckOutcome:
    """Fails (as a warning) naming every meter and stretch that silver divided by 1000.

    A correction rests on the meter's own series (a x1000 stretch between two normal levels),
    yet it still contradicts what the source said: the owner of the feed must hear about it.
    """
    frame = pl.from_arrow(readings)
    assert isinstance(frame, pl.DataFrame)
    corrected = frame.filter(pl.col("is_unit_corrected"))
    stretches = (
        corrected.group_by("meter_id")
        .agg(
            pl.len().alias("intervals"),
            pl.col("interval_start_utc").min().alias("first_utc"),
            pl.col("interval_start_utc").max().alias("last_utc"),
        )
        .sort("meter_id")
    )
    named = "; ".join(
        f"{meter} ({count} intervals, {stringify(first)} .. {stringify(last)})"
        for meter, count, first, last in stretches.iter_rows()
    )
    return CheckOutcome.from_mask(
        "unit_corrections",
        frame,
        frame.get_column("is_unit_corrected"),
        columns=["meter_id", "interval_start_utc", "energy_kwh"],
        passed_description="no reading was divided by 1000 against its stated unit",
        failed_description=(
            "{failing} intervals sent as kWh were divided by 1000 (a x1000 stretch of the "
            f"meter's own series, evidently Wh): {named}"
        ),
        metadata={"meters": ", ".join(stretches.get_column("meter_id").to_list())},
    )
