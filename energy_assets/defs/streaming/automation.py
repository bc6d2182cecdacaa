"""The MQTT sensor: quarantine bad messages at once and rebuild the days new readings touch.

The consumer (`energy-lake mqtt-consume`) spools messages; each tick reads those spooled since
the cursor (the newest `spooled_at_utc` seen) and parses them against the current meters. Their
rejections go to quarantine at once, under the bronze step's name, so the bronze run that later
reads the same messages replaces those rows instead of adding to them. Each UTC day their good
readings fall on gets one run of `bronze/meter_readings` and what follows it in the lake layers,
as the landing sensor does for a file: a late reading rebuilds its day only. Today is not a
partition yet: the daily schedule builds it tomorrow.
"""

from __future__ import annotations

from datetime import datetime

import dagster as dg
import pyarrow.compute as pc

from energy_assets.defs.conditions import LAKE_GROUPS
from energy_assets.defs.domain import DomainDefs
from energy_assets.defs.lake.automation import LANDED_IN, rebuilt_assets
from energy_assets.defs.resources import LakeResource
from energy_assets.defs.runs import range_tags
from energy_assets.settings import Settings
from energy_assets.sources.mqtt.messages import SOURCE
from energy_assets.sources.mqtt.source import parse_against_meters
from energy_assets.sources.mqtt.spool import first_of_each, spooled_after
from energy_assets.storage.quarantine import replace_quarantine

STEP = "mqtt_sensor"


def mqtt_sensor(
    context: dg.SensorEvaluationContext, lake: LakeResource
) -> dg.SensorResult | dg.SkipReason:
    if SOURCE not in Settings.from_env().sources:
        return dg.SkipReason("the mqtt source is off (ENERGY_SOURCES)")
    store = lake.lake()
    after = datetime.fromisoformat(context.cursor) if context.cursor else None
    messages = spooled_after(store, after)
    if messages.num_rows == 0:
        return dg.SkipReason("no message spooled since the last tick")
    newest = pc.max(messages["spooled_at_utc"]).as_py()
    graph = context.repository_def.asset_graph if context.repository_def else None
    assert graph is not None, "the mqtt sensor needs its definitions"
    selection = rebuilt_assets(graph, "readings")
    days_partitions = graph.get(LANDED_IN["readings"]).partitions_def
    requests, days = [], []
    parsed = parse_against_meters(store, first_of_each(messages))
    replace_quarantine(
        store,
        [rejection for rejections in parsed.rejections.values() for rejection in rejections],
        rejected_by=graph.assets_def_for_key(LANDED_IN["readings"]).node_def.name,
        source=SOURCE,
        files=list(parsed.rejections),
    )
    for day in sorted(set(parsed.rows["day"].to_pylist())):
        tags = range_tags(days_partitions, day, day)
        if tags is None:
            continue
        days.append(day.isoformat())
        requests.append(
            dg.RunRequest(
                run_key=f"{STEP}-{day}-{newest.isoformat()}",
                asset_selection=selection,
                tags={**tags, "energy/trigger": STEP},
            )
        )
    context.log.info(
        "%d messages spooled since %s, %d with quarantined readings; rebuilding %s",
        messages.num_rows,
        after or "the start",
        len(parsed.rejections),
        ", ".join(days) or "no past day",
    )
    return dg.SensorResult(run_requests=requests, cursor=newest.isoformat())


def build() -> DomainDefs:
    """The MQTT sensor (it needs no partitioning: it asks the graph for the days)."""
    sensor = dg.sensor(
        name=STEP,
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        asset_selection=dg.AssetSelection.groups(*LAKE_GROUPS),
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )(mqtt_sensor)
    return DomainDefs(sensors=[sensor])
