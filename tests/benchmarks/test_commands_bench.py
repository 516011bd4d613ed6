"""The users' commands on the Dutch default instance, run as a user runs them (pytest-benchmark).

    python -m pytest tests/benchmarks/test_commands_bench.py -m benchmark --benchmark-json=commands.json

Each row runs one ``regio`` command in a process of its own, with ``--json``, and times it wall-clock from start
to exit (Python's start and imports included, as a user waits for them): ``regio solve`` (the README's first
command), the 9-point W–Q front on one and on two workers, and the VNG's extra-budget question.  Each row
records the command's status (the worst of what it reports), every stage's or point's status, the largest MIP
gap, the checker's verdicts and the command's own peak RSS (``os.wait4``: the main process; a ``--workers 2``
front's second worker is a process of its own and not counted).  One more row measures what two workers can gain
on this machine at most (:func:`test_two_solves_side_by_side`).  The speed targets these rows answer are in
``docs/performance.md`` ("Where the speed targets stand").
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from allocator.status import Status, worst_status

pytestmark = pytest.mark.benchmark

ROOT = Path(__file__).resolve().parents[2]
REGIO = [sys.executable, "-c", "from regio_cli.main import cli; cli()"]
VNG = ROOT / "instances" / "nl" / "scenarios" / "vng_no_region_worse_off.toml"
COMMANDS = {
    "solve": ["solve", "nl"],
    "pareto_9_points_1_worker": ["pareto", "nl", "--points", "9", "--workers", "1"],
    "pareto_9_points_2_workers": ["pareto", "nl", "--points", "9", "--workers", "2"],
    "extra_budget_vng": ["extra-budget", "nl", "-s", str(VNG)],
}


def start_command(args: list[str], cwd: Path, tag: str = "") -> tuple[subprocess.Popen, Path, Path]:
    """``regio ARGS --json`` started in ``cwd``, its output to ``stdout{tag}.json`` and ``stderr{tag}.txt`` there."""
    out, err = cwd / f"stdout{tag}.json", cwd / f"stderr{tag}.txt"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen([*REGIO, *args, "--json"], cwd=cwd, stdout=stdout, stderr=stderr)
    return proc, out, err


def finish_command(proc: subprocess.Popen, out: Path, err: Path) -> tuple[dict, float, float]:
    """Once the started command ends: its JSON, the ``time.perf_counter()`` of its end and its peak RSS in MB."""
    _, status, usage = os.wait4(proc.pid, 0)
    ended = time.perf_counter()
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait for it again
    assert proc.returncode == 0, err.read_text(errors="replace")[-2000:]
    return json.loads(out.read_text()), ended, usage.ru_maxrss / 1024


def run_command(args: list[str], cwd: Path) -> tuple[dict, float, float]:
    """``regio ARGS --json`` in ``cwd``: its JSON, its wall seconds and its peak RSS in MB."""
    t0 = time.perf_counter()
    answer, ended, rss = finish_command(*start_command(args, cwd))
    return answer, ended - t0, rss


def parts(name: str, answer: dict) -> list[dict]:
    """What the command solved, each with its status and gap: the points of a front, the stages otherwise."""
    if name.startswith("pareto"):
        return answer["points"]
    if name.startswith("extra_budget"):
        return [*answer["stages"], {"stage": "redistribution", **answer["redistribution"]}]
    return [answer]


@pytest.mark.parametrize("name", list(COMMANDS))
def test_command_nl(benchmark, name, tmp_path):
    seen = {}

    def command():
        seen["answer"], seen["seconds"], seen["rss"] = run_command(COMMANDS[name], tmp_path)

    benchmark.pedantic(command, rounds=1, iterations=1)
    answer, solved = seen["answer"], parts(name, seen["answer"])
    gaps = [p["mip_gap"] for p in solved if p.get("mip_gap") is not None]
    checks = sorted({str(p["check"]) for p in solved if p.get("check") is not None} | (
        {str(answer["check"])} if answer.get("check") is not None else set()))
    benchmark.extra_info.update(status=answer["status"], statuses=[p["status"] for p in solved],
                                mip_gap=max(gaps) if gaps else None, check=checks, wall_seconds=seen["seconds"],
                                peak_rss_mb=seen["rss"], parts=len(solved))
    assert answer["status"] == "optimal" and all(p["status"] == "optimal" for p in solved)
    assert checks and all(c == "passed" for c in checks)


def test_two_solves_side_by_side(benchmark, tmp_path):
    """The most two workers can gain here: nl's MIP alone as one worker runs it (two HiGHS threads), then two
    copies at once, one thread each, in processes of their own, as two workers run them.

    slowdown = mean HiGHS seconds of the two at once / HiGHS seconds alone; on work that is all solves, two
    workers are at most 2 / slowdown times as fast as one (``ceiling``).  The benchmark's time is the pair's wall."""
    alone, _, _ = run_command(["solve", "nl"], tmp_path)
    seen = {}

    def pair():
        started = [start_command(["solve", "nl", "--set", "solver.threads=1"], tmp_path, str(i)) for i in range(2)]
        ended = [finish_command(*run) for run in started]
        seen["answers"], seen["rss"] = [a for a, _, _ in ended], max(rss for _, _, rss in ended)

    benchmark.pedantic(pair, rounds=1, iterations=1)
    answers = [alone, *seen["answers"]]
    slowdown = sum(a["solve_seconds"] for a in seen["answers"]) / 2 / alone["solve_seconds"]
    benchmark.extra_info.update(status=worst_status(Status(a["status"]) for a in answers).value,
                                alone_seconds=alone["solve_seconds"],
                                at_once_seconds=[a["solve_seconds"] for a in seen["answers"]],
                                slowdown=slowdown, ceiling=2 / slowdown, peak_rss_mb=seen["rss"],
                                check=sorted({str(a["check"]) for a in answers}))
    assert all(a["status"] == "optimal" and str(a["check"]) == "passed" for a in answers)
