"""The dbt marts built through Dagster over a small simulated lake (6 meters, 2 days), with
fallback day-ahead forecasts for the second day and a few anomaly events written to the lake."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import psutil
import pyarrow as pa
import pytest
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from checks.contracts import GOLD_ANOMALIES, GOLD_FORECASTS, SILVER_METER_READINGS
from energy_assets.definitions import defs
from energy_assets.defs.marts import assets as marts_assets
from energy_assets.defs.marts.assets import DBT_DIR
from energy_assets.marts import marts_io
from energy_assets.storage.lake import Lake
from tests.integration.pipeline import materialize_days, materialize_dimensions

FIRST, LAST = date(2024, 5, 14), date(2024, 5, 15)
MARTS = dg.AssetSelection.groups("marts")
PARTITIONED_DBT, WHOLE_DBT = (
    next(a for a in defs.assets if isinstance(a, dg.AssetsDefinition) and a.node_def.name == name)
    for name in ("marts", "marts_rebuilt_whole")
)
REBUILT_WHOLE = dg.AssetSelection.assets(*WHOLE_DBT.keys)
FORECASTS = dg.AssetSelection.assets(["gold", "forecasts"], ["gold", "region_forecasts"])
TELEMETRY_OFF = {"DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}


@dataclass(frozen=True)
class Built:
    lake: Lake
    instance: dg.DagsterInstance
    folder: Path


def materialize_range(
    instance: dg.DagsterInstance, selection: dg.AssetSelection, first: date, last: date
) -> dg.ExecuteInProcessResult:
    """One run of `selection` over the UTC days [first, last], as a backfill launches it."""
    return dg.materialize(
        defs.assets,
        instance=instance,
        resources=defs.resources,
        selection=selection,
        tags={
            ASSET_PARTITION_RANGE_START_TAG: first.isoformat(),
            ASSET_PARTITION_RANGE_END_TAG: last.isoformat(),
        },
    )


def materialize_marts(
    instance: dg.DagsterInstance, first: date, last: date
) -> list[dg.ExecuteInProcessResult]:
    """The partitioned marts over [first, last], then those rebuilt whole."""
    partitioned = materialize_range(instance, MARTS - REBUILT_WHOLE, first, last)
    whole = dg.materialize(
        defs.assets, instance=instance, resources=defs.resources, selection=REBUILT_WHOLE
    )
    return [partitioned, whole]


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


END = _at(date(2024, 5, 16), 0)
"""The end of the last day built: an event reaching it may go on."""
EVENTS = [  # meter, type, start, end, verdict, its days
    ("MTR-0001", "flatline", _at(FIRST, 20), END, None, (FIRST, LAST)),
    ("MTR-0002", "spike", _at(LAST, 22), END, "false_alarm", (LAST,)),
    ("MTR-0003", "dropout", _at(LAST, 1), _at(LAST, 2), None, (LAST,)),
]


def write_anomalies(lake: Lake) -> None:
    """Three anomaly events in `gold/anomalies`: one flagged on both days, one dismissed as a
    false alarm, one over before the end of the data."""
    rows = [
        {
            "meter_id": meter,
            "region": None,
            "event_id": f"{meter}:{kind}:{start.isoformat()}",
            "anomaly_type": kind,
            "event_start_utc": start,
            "event_end_utc": end,
            "interval_count": 4,
            "energy_kwh": 1.0,
            "expected_kwh": 2.0,
            "expected_low_kwh": 1.5,
            "expected_high_kwh": 2.5,
            "expected_source": "profile",
            "score": 3.0,
            "severity": "high",
            "detectors": kind,
            "reason": f"{kind} on {day}",
            "feedback_verdict": verdict,
            "detected_at_utc": _at(day, 23),
            "day": day,
        }
        for meter, kind, start, end, verdict, days in EVENTS
        for day in days
    ]
    lake.replace_window(
        GOLD_ANOMALIES, pa.Table.from_pylist(rows, schema=GOLD_ANOMALIES.schema), FIRST, END.date()
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """A lake with two days of bronze..gold and every mart built once (shared: it takes a while)."""
    tmp = tmp_path_factory.mktemp("marts")
    home = tmp / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ENERGY_LAKE_ROOT", str(tmp / "lake"))
        patch.setenv("DAGSTER_HOME", str(home))
        patch.setenv("ENERGY_SIM_METERS", "6")
        patch.setenv("ENERGY_SOURCES", "simulator")
        patch.delenv("ENERGY_MARTS_DIR", raising=False)
        for name, value in TELEMETRY_OFF.items():
            patch.setenv(name, value)
        lake = Lake(str(tmp / "lake"))
        with dg.DagsterInstance.get() as instance:
            assert materialize_dimensions(instance).success
            assert materialize_days(instance, FIRST, LAST).success
            assert materialize_range(instance, FORECASTS, LAST, LAST).success
            write_anomalies(lake)
            results = materialize_marts(instance, FIRST, LAST)
            assert all(result.success for result in results)
            evaluations = [e for r in results for e in r.get_asset_check_evaluations()]
            assert {e.asset_key.path[0] for e in evaluations} == {"marts"}
            checked = {e.asset_key.path[-1] for e in evaluations}
            assert {"consumption_meter_monthly", "forecast_accuracy_meter_daily"} <= checked
            failed = [
                (e.asset_key.to_user_string(), e.check_name) for e in evaluations if not e.passed
            ]
            assert failed == []
            yield Built(lake, instance, marts_io.marts_dir(lake))


def query(folder: Path, sql: str, parameters: list[object] | None = None) -> list[tuple]:
    """Run SQL over the exported marts (`{exports}` is their folder), as a notebook would."""
    with duckdb.connect() as con:
        return con.execute(sql.format(exports=marts_io.exports_dir(folder)), parameters).fetchall()


def test_every_mart_is_an_asset_with_dbt_tests_as_checks(built: Built) -> None:
    graph = defs.resolve_asset_graph()
    marts = {k.path[-1] for k in graph.get_all_asset_keys() if k.path[0] == "marts"}
    assert {"consumption_meter_daily", "dim_date", "load_profile_meter"} <= marts
    checked = {key.asset_key.to_user_string() for key in graph.asset_check_keys}
    assert "marts/consumption_meter_daily" in checked
    assert PARTITIONED_DBT.op.pool == "duckdb"  # limited to one writer at a time
    assert WHOLE_DBT.op.pool == "duckdb"
    whole = {key.path[-1] for key in WHOLE_DBT.keys}
    assert {"consumption_meter_monthly", "load_profile_meter", "anomaly_events"} <= whole
    assert WHOLE_DBT.partitions_def is None
    assert not whole & {key.path[-1] for key in PARTITIONED_DBT.keys}
    exported = {p.stem for p in marts_io.exports_dir(built.folder).glob("*.parquet")}
    assert exported == {m for m in marts if not m.startswith(("int_", "stg_"))}


def test_daily_totals_reconcile_with_silver(built: Built) -> None:
    silver = built.lake.read(SILVER_METER_READINGS, FIRST, date(2024, 5, 16))
    silver_total = sum(v for v in silver["energy_kwh"].to_pylist() if v is not None)
    ((daily_total, days),) = query(
        built.folder,
        "select sum(energy_kwh), count(distinct local_date) "
        "from '{exports}/consumption_meter_daily.parquet'",
    )
    ((monthly_total,),) = query(
        built.folder, "select sum(energy_kwh) from '{exports}/consumption_region_monthly.parquet'"
    )
    assert daily_total == pytest.approx(silver_total, rel=1e-9)
    assert monthly_total == pytest.approx(silver_total, rel=1e-9)
    assert days == 3  # two UTC days span three local dates east of UTC
    ((full_days,),) = query(
        built.folder,
        "select count(*) from '{exports}/consumption_meter_daily.parquet' "
        "where local_date = date '2024-05-14' + 1 and completeness_pct > 90",
    )
    assert full_days == 6


def test_a_partition_run_replaces_exactly_its_window(
    built: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mark every hourly row, rebuild the last day alone (no lookback): only its rows are new."""
    with duckdb.connect(str(marts_io.duckdb_path(built.folder))) as con:
        con.execute("update marts.marts.consumption_meter_hourly set observed_temperature_c = -99")
    monkeypatch.setenv("ENERGY_MARTS_LOOKBACK_DAYS", "0")

    assert materialize_range(built.instance, MARTS - REBUILT_WHOLE, LAST, LAST).success

    marked = query(
        built.folder,
        "select utc_day, bool_and(observed_temperature_c = -99), count(*) "
        "from '{exports}/consumption_meter_hourly.parquet' group by utc_day order by utc_day",
    )
    assert marked == [(FIRST, True, 6 * 24), (LAST, False, 6 * 24)]


def test_only_the_first_dbt_process_of_a_marts_folder_parses_and_no_window_reparses_a_file(
    built: Built,
) -> None:
    """Both marts steps share the folder's dbt target: after the first, dbt parses partially,
    and runs of other windows (and the unwindowed whole rebuild) re-parse no model: the window
    is read when a model runs, never while parsing."""
    events = [
        json.loads(line)["info"]["name"]
        for line in (marts_io.dbt_target_dir(built.folder) / "dbt.log").read_text().splitlines()
        if line.startswith("{")
    ]
    assert events.count("UnableToPartialParse") == 1
    assert events.count("PartialParsingEnabled") >= 1
    assert events.count("PartialParsingFile") == 0


def test_forecast_accuracy_reconciles_with_the_lake(built: Built) -> None:
    """Each meter's MAE and bias on the forecast day, recomputed from gold forecasts and silver."""
    forecasts = built.lake.read(GOLD_FORECASTS, LAST, END.date()).to_pylist()
    readings = built.lake.read(SILVER_METER_READINGS, LAST, END.date()).to_pylist()
    actual = {(r["meter_id"], r["interval_start_utc"]): r["energy_kwh"] for r in readings}
    errors: dict[str, list[float]] = {}
    for row in forecasts:
        reading = actual.get((row["meter_id"], row["interval_start_utc"]))
        if reading is not None:
            errors.setdefault(row["meter_id"], []).append(row["forecast_kwh"] - reading)
    mart = query(
        built.folder,
        "select meter_id, intervals, mae_kwh, bias_kwh, skill_vs_yesterday, skill_vs_last_week "
        "from '{exports}/forecast_accuracy_meter_daily.parquet' where utc_day = ?",
        [LAST],
    )
    assert {row[0] for row in mart} == set(errors)
    for meter, intervals, mae, bias, skill_yesterday, skill_last_week in mart:
        assert intervals == len(errors[meter])
        assert mae == pytest.approx(sum(abs(e) for e in errors[meter]) / intervals)
        assert bias == pytest.approx(sum(errors[meter]) / intervals)
        assert skill_yesterday is not None and skill_yesterday <= 1
        assert skill_last_week is None  # no reading a week before the first day
    horizons = query(
        built.folder,
        "select horizon_hours, sum(intervals) "
        "from '{exports}/forecast_accuracy_horizon_daily.parquet' group by 1 order by 1",
    )
    hours = [hour for hour, _ in horizons]
    assert hours == list(range(hours[0], hours[0] + 24))  # a day ahead: one lead per hour
    assert sum(n for _, n in horizons) == sum(len(e) for e in errors.values())


def test_anomaly_events_are_merged_across_days_and_open_until_over_or_dismissed(
    built: Built,
) -> None:
    events = query(
        built.folder,
        "select meter_id, days, flagged_intervals, is_open, feedback_verdict "
        "from '{exports}/anomaly_events.parquet' order by meter_id",
    )
    assert events == [
        ("MTR-0001", 2, 8, True, None),
        ("MTR-0002", 1, 4, False, "false_alarm"),
        ("MTR-0003", 1, 4, False, None),
    ]
    daily = query(
        built.folder,
        "select utc_day, anomaly_type, events, false_alarm_events "
        "from '{exports}/anomaly_daily.parquet' order by utc_day, anomaly_type",
    )
    assert daily == [
        (FIRST, "flatline", 1, 0),
        (LAST, "dropout", 1, 0),
        (LAST, "flatline", 1, 0),
        (LAST, "spike", 1, 1),
    ]


def test_dbt_checks_fail_naming_the_broken_rule_and_rows(built: Built, tmp_path: Path) -> None:
    """On a copy of the built marts, a duplicated key, an impossible completeness and a meter
    missing from `dim_meter` each fail their check; the failing rows name the rule."""
    copy = tmp_path / "marts"
    copy.mkdir()
    shutil.copy(marts_io.duckdb_path(built.folder), marts_io.duckdb_path(copy))
    with duckdb.connect(str(marts_io.duckdb_path(copy))) as con:
        daily = "marts.marts.consumption_meter_daily"
        rows = con.execute(f"select meter_id, local_date from {daily} order by all").fetchall()
        con.execute(
            f"insert into {daily} select * from {daily} where meter_id = ? and local_date = ?",
            rows[0],
        )
        con.execute(
            f"update {daily} set completeness_pct = 150 where meter_id = ? and local_date = ?",
            rows[1],
        )
        con.execute(
            f"update {daily} set meter_id = 'MTR-GHOST' where meter_id = ? and local_date = ?",
            rows[2],
        )
    target = tmp_path / "target"
    args = ["--select", "consumption_meter_daily", "--store-failures"]
    returncode = dbt_test(built.lake, copy, target, [*args, "--exclude-resource-type", "unit_test"])
    assert returncode == 1
    results = json.loads((target / "run_results.json").read_text())["results"]
    failed = {
        r["unique_id"].split(".")[2].split("_consumption")[0]: r
        for r in results
        if r["status"] == "fail"
    }
    assert set(failed) == {"column_rules", "relationships", "sums_match"}
    with duckdb.connect(str(marts_io.duckdb_path(copy)), read_only=True) as con:
        stored = failed["column_rules"]["relation_name"]
        broken = con.execute(f"select rule, failing_rows from {stored} order by rule").fetchall()
    assert broken == [
        ("(meter_id, local_date) repeated", 1),
        ("completeness_pct < 0 or completeness_pct > 100", 1),
    ]
    assert failed["column_rules"]["failures"] == 2


def dbt_test(lake: Lake, folder: Path, target: Path, args: list[str]) -> int:
    """`dbt test args` over the lake and the marts folder `folder`; its return code."""
    env = {
        **os.environ,
        **TELEMETRY_OFF,
        "ENERGY_MARTS_DIR": str(folder),
        "ENERGY_MARTS_LAKE_ROOT": lake.root,
    }
    command = [str(Path(sys.executable).with_name("dbt")), "test", "--target-path", str(target)]
    tested = subprocess.run(
        [*command, *args], check=False, cwd=DBT_DIR, env=env, stdout=subprocess.DEVNULL
    )
    return tested.returncode


def test_every_dbt_unit_test_passes(built: Built, tmp_path: Path) -> None:
    """The unit tests are left out of the assets' builds (`marts_io.BUILD_ARGS`): they run here."""
    manifest = json.loads(marts_assets.PROJECT.manifest_path.read_text())
    target = tmp_path / "target"
    assert dbt_test(built.lake, built.folder, target, ["--select", "test_type:unit"]) == 0
    results = json.loads((target / "run_results.json").read_text())["results"]
    assert {r["unique_id"] for r in results} == set(manifest["unit_tests"])
    assert {r["status"] for r in results} == {"pass"}


def _holds_file_open(process: psutil.Process, path: Path) -> bool:
    try:
        family = [process, *process.children(recursive=True)]
        return any(Path(f.path) == path for p in family for f in p.open_files())
    except psutil.NoSuchProcess:
        return False


def test_a_reader_queries_the_exports_while_dbt_builds(built: Built) -> None:
    """While dbt holds DuckDB's write lock, the exported marts stay readable."""
    database = marts_io.duckdb_path(built.folder)
    env = {**os.environ, **TELEMETRY_OFF, "ENERGY_MARTS_DIR": str(built.folder)}
    dbt = Path(sys.executable).with_name("dbt")
    build = subprocess.Popen(
        [
            str(dbt),
            "build",
            "--select",
            "tag:rebuilt_whole",
            "--target-path",
            "target/reader_test",
        ],
        cwd=DBT_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    process = psutil.Process(build.pid)
    reads_during_build = 0
    while build.poll() is None:
        if not _holds_file_open(process, database):
            time.sleep(0.05)
            continue
        rows = query(
            built.folder, "select count(*) from '{exports}/consumption_meter_daily.parquet'"
        )
        if _holds_file_open(process, database):
            assert rows[0][0] > 0
            reads_during_build += 1
    assert build.wait() == 0
    assert reads_during_build > 0
