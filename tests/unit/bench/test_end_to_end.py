"""The end-to-end bench's memory breakdown by process."""

from __future__ import annotations

import os
import subprocess
import sys

import psutil

from bench.end_to_end import process_kind, tree_rss_by_kind


def test_a_dbt_command_is_told_apart_from_other_children() -> None:
    assert process_kind(["/repo/.venv/bin/dbt", "build"]) == "dbt"
    assert process_kind(["/repo/.venv/bin/python", "/repo/.venv/bin/dbt", "build"]) == "dbt"
    assert process_kind(["/repo/.venv/bin/python", "-c", "print('dbt')"]) == "other"


def test_the_tree_memory_counts_the_root_as_the_backfill_and_its_children_apart() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=-1)
    try:
        by_kind = tree_rss_by_kind(psutil.Process(os.getpid()))
    finally:
        child.communicate(b"")
    assert set(by_kind) == {"backfill", "other"}
    assert by_kind["backfill"] > 0
    assert by_kind["other"] > 0
