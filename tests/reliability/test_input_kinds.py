"""Every kind of input through the landing folder: each row lands, is quarantined with its
precise reason, or waits in the inbox; nothing is lost; a re-run gives the same tables.

The kinds are data (`input_kinds.KINDS`); one inbox holds them all and one run lands it.
"""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl
import pytest

from tests.reliability.input_kinds import KINDS, Kind
from tests.reliability.landed_inbox import Landed, is_file_rejection, landed_inbox, owner

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def landed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Landed]:
    with landed_inbox(tmp_path_factory.mktemp("reliability"), KINDS) as result:
        yield result


def where(landed: Landed, kind: Kind) -> dict[str, pl.DataFrame]:
    layer = "weather" if kind.weather else "readings"
    return {
        "bronze": landed.owned(f"bronze_{layer}", kind),
        "silver": landed.owned(f"silver_{layer}", kind),
        "quarantine": landed.owned("quarantine", kind),
    }


def matched(reasons: list[str], kind: Kind) -> dict[str, int]:
    """Quarantine rows per expected reason fragment, each row counted under the first fragment
    it holds (a reading's reason may quote its meter's); rows matching none under `unexpected`."""
    counts: dict[str, int] = {}
    for reason in reasons:
        fragment = next((f for f in kind.quarantined if f in reason), "unexpected")
        counts[fragment] = counts.get(fragment, 0) + 1
    return counts


def test_the_suite_sends_at_least_80_kinds_of_input() -> None:
    assert len(KINDS) >= 80
    assert len({k.nn for k in KINDS}) == len(KINDS)


@pytest.mark.parametrize("kind", KINDS, ids=[k.id for k in KINDS])
def test_each_input_kind_ends_up_where_stated(landed: Landed, kind: Kind) -> None:
    found = where(landed, kind)
    silver = found["silver"]
    if "is_missing" in silver.columns:
        silver = silver.filter(~pl.col("is_missing"))
    quarantine = found["quarantine"]
    reasons = quarantine.get_column("reason").to_list()

    assert found["bronze"].height == kind.bronze
    assert silver.height == kind.expected_silver
    if kind.kwh is not None:
        assert silver.get_column("energy_kwh").sum() == pytest.approx(kind.kwh)
    assert matched(reasons, kind) == kind.quarantined, reasons
    files = int(is_file_rejection(quarantine).sum()) if quarantine.height else 0
    assert kind.accounted(kind.bronze, len(reasons) - files, files) == kind.sent
    for path in kind.fresh:
        assert path in landed.inbox


def test_every_row_sent_is_accounted_for_and_nothing_else_lands(landed: Landed) -> None:
    sent = sum(k.sent for k in KINDS)
    accounted = 0
    for kind in KINDS:
        found = where(landed, kind)
        quarantine = found["quarantine"]
        files = int(is_file_rejection(quarantine).sum()) if quarantine.height else 0
        accounted += kind.accounted(found["bronze"].height, quarantine.height - files, files)
    assert accounted == sent
    for table in ("bronze_readings", "bronze_weather", "quarantine"):
        frame = landed.tables[table]
        anyone = pl.lit(False)
        for kind in KINDS:
            anyone |= owner(frame, kind)
        assert frame.filter(~anyone).height == 0, frame.filter(~anyone)


def test_a_second_run_over_the_same_inbox_gives_identical_tables(landed: Landed) -> None:
    for name, first in landed.tables.items():
        again = landed.again[name]
        assert first.sort(first.columns).equals(again.sort(again.columns)), name
