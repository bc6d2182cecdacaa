"""One event, one alarm: residual hits an event already raised on the meter explains.

After a true event a meter's expectations take a while to forget it (the model's level and
profile read the last `LEVEL_DAYS` days), and a detector that looks only at today raises the
after-effect as a new event: consumption "0.4x expected" the week after a drop, "2x expected"
for days after a level shift. The confirming detectors (model residual, unusual day) are the
ones that see it, since the rules judge the readings themselves. A confirmer event on a meter
with an event already raised during it or in the `CONSEQUENCE_DAYS` before it is therefore
not a new event: it becomes a row of that earlier event (same `event_id` and type), marked as
its consequence, with low severity.

Day-level runs (a sustained drop, a level shift) break now and then on a day that happens to
look normal, and their start moves as the baseline learns: a run of the same type on the same
meter within `CONTINUATION_DAYS` of a raised one continues it (same `event_id`). And a rise right
after a raised drop is consumption coming back, not a level shift: it joins the drop.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from ml.anomaly.events import CONFIRMERS, Event
from ml.forecasting.inputs import LEVEL_DAYS

CONSEQUENCE_DAYS = LEVEL_DAYS + 2
"""Days after an event ends that the meter's expectations may still carry it: the level window
plus the day-ahead issue lag."""
CONTINUING = ("sustained_drop", "level_shift")
"""Day-level run types that continue an earlier event of their type instead of starting one."""
RECOVERIES = {"level_shift": "sustained_drop"}
"""A run of the key's type after a raised event of the value's type is its return to normal."""
CONTINUATION_DAYS = 7
"""Days between two runs of one type within which the second continues the first (longer, and
two thefts a fortnight apart would be one)."""


def raised_events(rows: pl.DataFrame) -> pl.DataFrame:
    """One row per event of gold `anomalies` rows: `event_id`, `meter_id`, `anomaly_type`,
    `start`, `end` (over all its day rows)."""
    return rows.group_by("event_id").agg(
        pl.col("meter_id").first(),
        pl.col("anomaly_type").first(),
        start=pl.col("event_start_utc").min(),
        end=pl.col("event_end_utc").max(),
    )


def explained_by_earlier(events: list[Event], raised: pl.DataFrame) -> list[Event]:
    """`events` with each confirmer that an earlier event of its meter explains (`raised`, from
    `raised_events` over the days before) turned into a consequence of it: the earlier event's
    id and type, extended to the confirmer's end, `info["consequence_of"]` naming it. The
    latest such event explains it; an event that continues an earlier one of its own id stays.
    Events that end up with one id are one event (a consequence inside today's row of its host
    only adds its detector)."""
    if raised.height == 0:
        return events
    known = set(raised["event_id"].to_list())
    result = []
    for event in events:
        if event.event_id in known or event.anomaly_type not in (*CONFIRMERS, *CONTINUING):
            result.append(event)
            continue
        mine = raised.filter((pl.col("meter_id") == event.meter_id) & (pl.col("start") < event.end))
        continuing = event.anomaly_type in CONTINUING
        hosts = mine.filter(
            pl.col("end") + timedelta(days=CONTINUATION_DAYS) > event.start,
            pl.col("anomaly_type") == event.anomaly_type,
        )
        if not continuing or hosts.height == 0:
            continuing = False
            recovered = RECOVERIES.get(event.anomaly_type)
            hosts = mine.filter(
                pl.col("end") + timedelta(days=CONSEQUENCE_DAYS) > event.start,
                (pl.col("anomaly_type") == recovered)
                if recovered
                else pl.lit(event.anomaly_type in CONFIRMERS),
            )
        hosts = hosts.sort("start")
        if hosts.height == 0:
            result.append(event)
            continue
        host = hosts.row(-1, named=True)
        if continuing:
            event.start = min(event.start, host["start"])
            result.append(event)
            continue
        result.append(
            Event(
                event.meter_id, host["anomaly_type"], host["start"], max(event.end, host["end"]),
                event.strength, event.detectors,
                {**event.info, "consequence_of": host["event_id"],
                 "explained": event.anomaly_type},
            )
        )  # fmt: skip
    return _one_per_id(result)


def _one_per_id(events: list[Event]) -> list[Event]:
    merged: dict[str, Event] = {}
    for event in sorted(events, key=lambda e: "consequence_of" in e.info):
        same = merged.get(event.event_id)
        if same is None:
            merged[event.event_id] = event
            continue
        same.end = max(same.end, event.end)
        same.strength = max(same.strength, event.strength)
        same.detectors |= event.detectors
    return sorted(merged.values(), key=lambda e: (e.meter_id, e.start, e.anomaly_type))
