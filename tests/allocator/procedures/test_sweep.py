"""Sweeps: grid kinds, clear errors, streamed journal and resume, and one code path for every executor."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import allocator.procedures.sweep as sweep_mod
from allocator.errors import InputError
from allocator.procedures.sweep import read_grid, resolve_runs, run_sweep
from regio_cli.main import cli
from tests.helpers import instance
from tests.conftest import tiny_tables
from tests.helpers import ROOT

GRID = """kind = "product"
[fixed]
"solver.mip_gap" = 0.0
[values]
shortfall_price = [0, 5000]
hold_harmless = ["none", "region"]
"""


def _grid(tmp_path, text=GRID, name="grid.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _sweep(tmp_path, out="out", workers=1, scheduler=None, text=GRID):
    inst = instance(tiny_tables())
    runs = read_grid(_grid(tmp_path, text))
    scenarios = resolve_runs(inst, runs, None, "grid.toml")
    return run_sweep(inst, runs, scenarios, tmp_path / out, workers=workers, scheduler=scheduler)


def _key(table: pd.DataFrame) -> list:
    return [(r.run_id, r.status, round(r.welfare, 6), round(r.shortfall, 3)) for r in table.itertuples()]


def test_product_list_and_random_grids(tmp_path):
    runs = read_grid(_grid(tmp_path))
    assert [r.overrides for r in runs] == [
        {"solver.mip_gap": 0.0, "shortfall_price": p, "hold_harmless": h} for p in (0, 5000) for h in ("none", "region")]
    assert len({r.run_id for r in runs}) == 4
    listed = read_grid(_grid(tmp_path, 'kind = "list"\n[[runs]]\nname = "a"\nshortfall_price = 1\n[[runs]]\n"norms.gp" = 5\n'))
    assert [r.overrides for r in listed] == [{"name": "a", "shortfall_price": 1}, {"norms.gp": 5}]
    text = ('kind = "random"\nsamples = 5\nseed = 7\n[distributions]\nshortfall_price = {uniform = [1000, 5000]}\n'
            'hold_harmless = {choice = ["none", "region"]}\ncapacity_scale = {normal = [1.0, 0.1]}\n')
    a, b = read_grid(_grid(tmp_path, text, "r1.toml")), read_grid(_grid(tmp_path, text, "r2.toml"))
    assert [r.overrides for r in a] == [r.overrides for r in b], "seeded samples are reproducible"
    assert all(1000 <= r.overrides["shortfall_price"] <= 5000 for r in a)


@pytest.mark.parametrize("text, expected", [
    ('kind = "grid"\n', "kind = 'grid'"),
    ('[values]\nshortfall_price = 5\n', "non-empty list"),
    ('kind = "random"\nsamples = 3\n[distributions]\nshortfall_price = {beta = [1, 2]}\n', "uniform"),
    ('[values]\nshortfall_pricee = [1, 2]\n', "shortfall_pricee"),
    ('[values]\nhold_harmless = ["none", "everyone"]\n', "hold_harmless"),
    ('[values]\n"norms.library" = [5]\n', "unknown facility type 'library'"),
])
def test_bad_grids_are_refused_before_anything_runs(tmp_path, text, expected):
    with pytest.raises(InputError) as err:
        inst = instance(tiny_tables())
        resolve_runs(inst, read_grid(_grid(tmp_path, text)), None, "grid.toml")
    assert expected in str(err.value) and "grid.toml" in str(err.value)


def test_results_stream_to_the_journal_and_an_interrupted_sweep_resumes(tmp_path, monkeypatch):
    full = _sweep(tmp_path)
    assert len(full.table) == 4 and (full.table["check"] == "passed").all()
    journal = tmp_path / "out" / "journal.jsonl"
    lines = journal.read_text().splitlines()
    journal.write_text("\n".join(lines[:2]) + "\n" + lines[2][:25])  # killed while writing the third row
    calls = []
    real = sweep_mod.run_one
    monkeypatch.setattr(sweep_mod, "run_one", lambda *a: calls.append(a[2]) or real(*a))
    again = _sweep(tmp_path)
    assert again.resumed == 2 and len(calls) == 2
    assert _key(again.table) == _key(full.table)
    assert len(pd.read_csv(tmp_path / "out" / "results.csv")) == 4


def test_process_pool_equals_inline_and_dask_local_cluster_equals_process_pool(tmp_path):
    distributed = pytest.importorskip("distributed")
    inline = _sweep(tmp_path, "inline")
    pool = _sweep(tmp_path, "pool", workers=2)
    assert _key(pool.table) == _key(inline.table)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        dask = _sweep(tmp_path, "dask", scheduler=cluster.scheduler_address)
    assert _key(dask.table) == _key(pool.table)


def test_cli_sweep_refuses_a_folder_of_another_grid(tmp_path, tiny_dir):
    grid = _grid(tmp_path)
    out = tmp_path / "sw"
    res = CliRunner().invoke(cli, ["sweep", str(tiny_dir), "--grid", str(grid), "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    assert len(json.loads(res.output)["runs"]) == 4
    again = CliRunner().invoke(cli, ["sweep", str(tiny_dir), "--grid", str(grid), "--out", str(out), "--json"])
    assert json.loads(again.output)["resumed"] == 4
    other = _grid(tmp_path, GRID.replace("5000", "6000"), "other.toml")
    refused = CliRunner().invoke(cli, ["sweep", str(tiny_dir), "--grid", str(other), "--out", str(out)])
    assert refused.exit_code == 1 and "another grid" in refused.output


@pytest.mark.parametrize("change", [["--set", "equity_alpha=2"], ["--set", "shortfall_measure=worst"],
                                    ["--set", "solver.seed=3"], ["-s", "SCENARIO"], ["INSTANCE"]])
def test_a_sweep_of_another_scenario_or_instance_is_never_resumed_from_the_old_journal(tmp_path, tiny_dir, change):
    grid = _grid(tmp_path)
    out = tmp_path / "sw"
    first = CliRunner().invoke(cli, ["sweep", str(tiny_dir), "--grid", str(grid), "--out", str(out), "--json"])
    assert first.exit_code == 0, first.output
    scenario = tmp_path / "other.toml"
    scenario.write_text("equity_alpha = 3.0\n", encoding="utf-8")
    folder = tiny_dir
    if change == ["INSTANCE"]:  # same name, other contents: one stream is 1 M€ larger
        t = tiny_tables()
        t["streams"].loc[0, "amount"] += 1.0
        from tests.conftest import write_instance
        folder, change = write_instance(tiny_dir, t), []  # the same folder, new contents
    change = [str(scenario) if c == "SCENARIO" else c for c in change]
    again = CliRunner().invoke(cli, ["sweep", str(folder), "--grid", str(grid), "--out", str(out), *change])
    assert again.exit_code == 1 and "another grid, scenario" in again.output
    forced = CliRunner().invoke(cli, ["sweep", str(folder), "--grid", str(grid), "--out", str(out), "--force", "--json",
                                      *change])
    assert forced.exit_code == 0 and json.loads(forced.output)["resumed"] == 0


def test_sweep_force_replaces_only_a_sweep_folder(tmp_path, tiny_dir):
    precious = tmp_path / "thesis"
    precious.mkdir()
    (precious / "chapter1.tex").write_text("keep me")
    res = CliRunner().invoke(cli, ["sweep", str(tiny_dir), "--grid", str(_grid(tmp_path)), "--out", str(precious),
                                   "--force"])
    assert res.exit_code == 1 and (precious / "chapter1.tex").read_text() == "keep me"


def test_a_torn_journal_line_does_not_swallow_the_next_row(tmp_path):
    first = _sweep(tmp_path)
    journal = tmp_path / "out" / "journal.jsonl"
    lines = journal.read_text().splitlines()
    journal.write_text("\n".join(lines[:2]) + "\n" + lines[2][:15])  # killed while writing the third row
    again = _sweep(tmp_path)
    assert again.resumed == 2 and len(again.table) == 4
    third = _sweep(tmp_path)
    assert third.resumed == 4 and _key(third.table) == _key(first.table)


def test_sweep_killed_by_sigterm_resumes_where_it_stopped(tmp_path):
    # 60 runs, each a rebuild (each its own norm; a re-solve would take 0.05 s): about 15 s, time to stop in
    norms = ", ".join(f"{3 + 0.05 * i:.2f}" for i in range(60))
    grid = _grid(tmp_path, f'kind = "product"\n[fixed]\n"solver.threads" = 1\n[values]\n"norms.gp_practice" = [{norms}]\n')
    out = tmp_path / "sw"
    cmd = [sys.executable, "-c", "from regio_cli.main import cli; cli()", "sweep", "gen:S:0", "--grid", str(grid), "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    journal = out / "journal.jsonl"
    deadline = time.time() + 60
    while time.time() < deadline and not (journal.exists() and journal.read_text().count("\n") >= 1):
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    finished = journal.read_text().count("\n")
    assert 1 <= finished < 60
    done = subprocess.run(cmd + ["--json"], env=env, capture_output=True, text=True, timeout=600)
    payload = json.loads(done.stdout)
    assert payload["resumed"] == finished and len(payload["runs"]) == 60


def test_a_dask_cluster_of_more_than_five_workers_gets_a_run_per_thread():
    distributed = pytest.importorskip("distributed")
    from allocator.procedures.executors import executor

    with distributed.LocalCluster(n_workers=7, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        with executor(scheduler=cluster.scheduler_address) as ex:
            assert ex.slots == 7


def test_a_worker_re_solves_its_model_when_only_costs_or_bounds_change(tmp_path):
    """λ and the hold-harmless rule re-solve the worker's model, which is built once: the runs under region
    go first (a model built under none has no region rows).  Each row equals a cold solve."""
    from allocator.api import solve

    result = _sweep(tmp_path)
    runs = read_grid(_grid(tmp_path))
    assert [r.overrides["hold_harmless"] for r in runs] == ["none", "region", "none", "region"]
    # dispatched region, region, none, none: one build, then bounds (the table keeps the grid's order)
    assert result.table["rebuilt"].tolist() == [False, True, False, False]
    assert (result.table.loc[~result.table["rebuilt"], "build_seconds"] == 0).all()
    inst = instance(tiny_tables())
    for scenario, row in zip(resolve_runs(inst, runs, None, "grid.toml"), result.table.itertuples()):
        cold = solve(inst, scenario)  # built for this run alone, mip_gap 0 as the grid fixes it
        assert row.status == "optimal" and row.check == "passed"
        assert (row.welfare, row.shortfall) == pytest.approx((cold.welfare, cold.shortfall), rel=1e-6, abs=1e-6)


def test_runs_that_share_a_model_are_dispatched_together(tmp_path):
    from allocator.procedures.sweep import dispatch_order

    text = 'kind = "product"\n[values]\nshortfall_price = [1000, 2000]\n"norms.gp" = [4.0, 5.0]\n' \
           'hold_harmless = ["none", "region-domain", "region"]\n'
    inst = instance(tiny_tables())
    runs = read_grid(_grid(tmp_path, text))
    order = dispatch_order(list(zip(runs, resolve_runs(inst, runs, None, "grid.toml"))))
    seen = [(sc.norms["gp"], sc.hold_harmless) for _, sc in order]
    assert [n for n, _ in seen] == [4.0] * 6 + [5.0] * 6  # alternating in the grid, grouped for the workers
    assert [h for _, h in seen[:6]] == ["region-domain"] * 2 + ["region"] * 2 + ["none"] * 2
    assert sorted(r.run_id for r, _ in order) == sorted(r.run_id for r in runs)
