"""The end-to-end bench's memory breakdown by process."""

from __future__ import annotations

import os
import subprocess
import sys

import psutil

from bench.end_to_end import process_kind, tree_memory_by_kind


def test_a_dbt_command_is_told_apart_from_other_children() -> None:
    assert process_kind(["/repo/.venv/bin/dbt", "build"]) == "dbt"
    assert process_kind(["/repo/.venv/bin/python", "/repo/.venv/bin/dbt", "build"]) == "dbt"
    assert process_kind(["/repo/.venv/bin/python", "-c", "print('dbt')"]) == "other"


def test_the_tree_memory_counts_the_root_as_the_backfill_and_its_children_apart() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=-1)
    try:
        by_kind = tree_memory_by_kind(psutil.Process(os.getpid()))
    finally:
        child.communicate(b"")
    assert set(by_kind) == {"backfill", "other"}
    assert by_kind["backfill"] > 0
    assert by_kind["other"] > 0


def test_a_forked_child_does_not_count_its_parents_pages_twice() -> None:
    ballast = bytearray(256 * 2**20)  # touched: resident in this process
    ballast[::4096] = b"x" * len(range(0, len(ballast), 4096))
    alone = sum(tree_memory_by_kind(psutil.Process(os.getpid())).values())
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child shares every page with its parent until it writes, as before exec
        os.close(write)
        os.read(read, 1)
        os._exit(0)
    try:
        together = sum(tree_memory_by_kind(psutil.Process(os.getpid())).values())
    finally:
        os.close(read)
        os.close(write)
        os.waitpid(pid, 0)
    assert together < alone + len(ballast) / 2
