from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pyarrow as pa

from checks.contracts import GOLD_QUALITY_SCORECARD, SILVER_METER_READINGS
from checks.quarantine import Rejection, quarantine_table
from energy_assets.transforms.scorecard import quality_scorecard

DAY = date(2024, 5, 1)
MIDNIGHT = datetime(2024, 5, 1, tzinfo=UTC)


def day_of(meter_id: str, **flags_at: dict[int, object]) -> list[dict]:
    rows = []
    for i in range(96):
        row = {
            "meter_id": meter_id,
            "interval_start_utc": MIDNIGHT + timedelta(minutes=15 * i),
            "interval_minutes": 15,
            "energy_kwh": 0.3,
            "source": "test",
            "is_missing": False,
            "is_estimated": False,
            "is_late": False,
            "is_negative": False,
            "is_flatline": False,
            "is_unit_corrected": False,
            "is_realigned": False,
            "duplicates_removed": 0,
            "ingested_at_utc": MIDNIGHT,
            "day": DAY,
        }
        for column, positions in flags_at.items():
            if i in positions:
                row[column] = positions[i]
        rows.append(row)
    return rows


def score(rows: list[dict], rejections: list[Rejection] | None = None) -> dict[str, dict]:
    quarantine = quarantine_table(
        rejections or [], rejected_by="t", source="t", rejected_at_utc=MIDNIGHT
    )
    card = quality_scorecard(
        pa.Table.from_pylist(rows, schema=SILVER_METER_READINGS.schema), quarantine
    )
    assert card.schema.equals(GOLD_QUALITY_SCORECARD.schema)
    return {r["meter_id"]: r for r in card.to_pylist()}


def test_a_complete_clean_meter_day_is_good_with_no_reasons() -> None:
    card = score(day_of("OK"))["OK"]
    assert (card["status"], card["completeness_pct"], card["reasons"]) == ("good", 100.0, "")


def test_missing_intervals_lower_completeness_and_the_status_says_why() -> None:
    few = {i: True for i in range(4)}
    most = {i: True for i in range(60)}
    cards = score(day_of("FEW", is_missing=few) + day_of("MOST", is_missing=most))
    assert cards["FEW"]["status"] == "degraded"
    assert cards["FEW"]["reasons"] == "4 of 96 intervals missing"
    assert cards["MOST"]["status"] == "bad"
    assert cards["MOST"]["completeness_pct"] == 100.0 * 36 / 96


def test_flags_and_quarantined_rows_are_counted_and_explained() -> None:
    rows = day_of(
        "M",
        is_unit_corrected={i: True for i in range(96)},
        duplicates_removed={0: 2},
        is_late={5: True},
    )
    rejection = Rejection(record={}, reason="x", day=DAY, meter_id="M")
    card = score(rows, [rejection])["M"]
    assert card["unit_corrected_intervals"] == 96
    assert card["duplicates_removed"] == 2 and card["late_readings"] == 1
    assert card["quarantined_rows"] == 1
    assert card["status"] == "degraded"
    assert "96 intervals sent in Wh, corrected to kWh" in card["reasons"]
    assert "1 rows quarantined" in card["reasons"]


def test_readings_with_dictionary_encoded_ids_score_the_same() -> None:
    rows = day_of("A", is_missing={0: True}) + day_of("B")
    rejection = Rejection(record={}, reason="x", day=DAY, meter_id="B")
    quarantine = quarantine_table(
        [rejection], rejected_by="t", source="t", rejected_at_utc=MIDNIGHT
    )
    plain = pa.Table.from_pylist(rows, schema=SILVER_METER_READINGS.schema)
    encoded = plain.set_column(0, "meter_id", plain.column("meter_id").dictionary_encode())

    assert quality_scorecard(encoded, quarantine).equals(quality_scorecard(plain, quarantine))
