from __future__ import annotations

import dagster as dg

from energy_assets.cli import failing_checks, main
from tests.integration.test_alerts import sparse_meter


def test_status_shows_the_last_run_of_each_asset_and_no_failing_check(
    lake, instance, capsys
) -> None:
    select = ["--select", "key:bronze/weather"]
    assert main(["backfill", "--start", "2024-03-30", "--end", "2024-03-31", *select]) == 0
    capsys.readouterr()

    assert main(["status"]) == 0

    out = capsys.readouterr().out.split("last run per asset")[1]
    weather = next(line for line in out.splitlines() if line.startswith("bronze/weather"))
    assert "2024-03-30..2024-03-31" in weather.split()
    silver = next(line for line in out.splitlines() if line.startswith("silver/weather"))
    assert silver.split()[1] == "never"
    assert "failing checks: none" in out


def test_failing_checks_name_the_check_its_severity_and_reason(lake, instance) -> None:
    dg.materialize([sparse_meter], instance=instance)

    (row,) = failing_checks(instance, [dg.AssetCheckKey(dg.AssetKey("sparse_meter"), "has_rows")])

    assert (row["check"], row["severity"]) == ("sparse_meter:has_rows", "WARN")
    assert row["reason"] == "0 rows on 2024-03-31"
