"""Per-day checks of anomaly detection: are its inputs there, and is the day's outcome systemic?"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from checks.result import CheckOutcome


def inputs_present(features: pa.Table, meters: pa.Table) -> CheckOutcome:
    """The day has gold consumption features and a meter registry: without them no detector can
    run, so the day's anomalies would be silently empty."""
    missing = [
        name
        for name, table in (("gold/consumption_features", features), ("silver/meters", meters))
        if table.num_rows == 0
    ]
    readings = (
        int(pc.sum(pc.is_valid(features["energy_kwh"])).as_py() or 0) if features.num_rows else 0
    )
    if not missing and readings == 0:
        missing.append("readings (every interval of the day is a gap)")
    return CheckOutcome(
        name="inputs_present",
        passed=not missing,
        description=(
            f"inputs missing: {', '.join(missing)}; the day's anomalies were not computed"
            if missing
            else f"{features.num_rows} feature rows, {readings} with a reading"
        ),
        failing_rows=0 if not missing else 1,
        metadata={
            "feature_rows": features.num_rows,
            "readings": readings,
            "meters": meters.num_rows,
        },
    )


def severe_share(anomalies: pa.Table, meters_judged: int, max_share: float) -> CheckOutcome:
    """At most `max_share` of the judged meters have a high-severity anomaly (acknowledged false
    alarms are downgraded and do not count): beyond it, something systemic is wrong (a feed, a
    unit change, the model) rather than the meters."""
    high = anomalies.filter(pc.equal(anomalies["severity"], "high"))
    meters = sorted(set(high["meter_id"].to_pylist()))
    share = len(meters) / meters_judged if meters_judged else 0.0
    passed = share <= max_share
    return CheckOutcome(
        name="severe_share",
        passed=passed,
        description=(
            f"{len(meters)} of {meters_judged} meters ({share:.0%}) have a severe anomaly"
            + ("" if passed else f", above {max_share:.0%}: check the feeds before the meters")
        ),
        failing_rows=0 if passed else len(meters),
        metadata={
            "meters_judged": meters_judged,
            "meters_with_severe": len(meters),
            "severe_share": round(share, 4),
            "max_share": max_share,
            "examples": [{"meter_id": m} for m in meters[:5]],
        },
    )
