"""The end-to-end bench's memory breakdown by process."""

from __future__ import annotations

import os
import subprocess
import sys

import psutil

from bench.end_to_end import (
    Sample,
    StepMemory,
    StepSpan,
    process_kind,
    step_memory,
    tree_memory_by_kind,
)

MB = 2**20


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


def test_a_steps_memory_is_the_backfill_at_its_start_peak_and_end_and_the_trees_peak() -> None:
    samples = [
        Sample(0.0, {"backfill": 100 * MB}),
        Sample(1.0, {"backfill": 300 * MB, "dbt": 50 * MB}),
        Sample(2.0, {"backfill": 250 * MB}),
        Sample(3.0, {"backfill": 250 * MB, "dbt": 400 * MB}),
    ]
    memory = step_memory(samples, [StepSpan("gold", 0.0, 2.0), StepSpan("marts", 2.5, 3.0)])
    assert memory["gold"] == StepMemory(100, 300, 250, 350)
    assert memory["marts"] == StepMemory(250, 250, 250, 650)


def test_a_step_shorter_than_a_sample_gets_the_samples_on_each_side() -> None:
    samples = [Sample(0.0, {"backfill": 100 * MB}), Sample(1.0, {"backfill": 200 * MB})]
    assert step_memory(samples, [StepSpan("quick", 0.4, 0.6)]) == {
        "quick": StepMemory(100, 200, 200, 200)
    }


def test_a_step_of_several_runs_keeps_its_largest_figures() -> None:
    samples = [Sample(float(t), {"backfill": mb * MB}) for t, mb in enumerate([10, 40, 20, 30])]
    spans = [StepSpan("silver", 0.0, 1.0), StepSpan("silver", 2.0, 3.0)]
    assert step_memory(samples, spans) == {"silver": StepMemory(20, 40, 40, 40)}
