"""The gold features a training reads: one order whatever order the lake returns rows in."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from checks.contracts import GOLD_CONSUMPTION_FEATURES
from energy_assets.storage.lake import Lake
from energy_assets.transforms.day_ahead import gold_features
from tests.unit.checks.test_schemas import T0, table_of, valid_row

DAY = date(2024, 1, 1)


def _rows(order: list[tuple[str, int]]) -> list[dict[str, object]]:
    return [
        valid_row(
            GOLD_CONSUMPTION_FEATURES,
            meter_id=meter,
            interval_start_utc=T0 + timedelta(minutes=15 * slot),
            energy_kwh=float(slot),
        )
        for meter, slot in order
    ]


def test_gold_features_come_in_one_order_whatever_order_the_lake_holds(tmp_path: Path) -> None:
    keys = [(meter, slot) for meter in ("MTR-0002", "MTR-0001") for slot in (3, 0, 2, 1)]
    read = []
    for name, order in (("forward", keys), ("backward", keys[::-1])):
        lake = Lake(str(tmp_path / name))
        table = table_of(GOLD_CONSUMPTION_FEATURES, *_rows(order))
        lake.replace_window(GOLD_CONSUMPTION_FEATURES, table, DAY, DAY + timedelta(days=1))
        read.append(gold_features(lake, DAY, DAY + timedelta(days=1)))
    forward, backward = read
    assert forward.equals(backward)
    assert forward["meter_id"].cast(str).to_list() == ["MTR-0001"] * 4 + ["MTR-0002"] * 4
