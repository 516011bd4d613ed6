"""Published OR-Library optima (absolute tolerance 0.01): a representative set in CI, all with -m slow."""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner

import numpy as np

from allocator.check import check_location
from allocator.errors import InputError
from allocator.location.solve import solve_location
from allocator.solver.highs import HighsModel
from allocator.status import Status
from regio_cli.main import cli
from formulations.pmedian_radius import build_pmedian_radius_model, prefers_radius, radius_levels
from regio_instances.orlib import LocationProblem, read_cap, read_pmedian
from tests.helpers import ROOT

DATA = ROOT / "instances" / "orlib"
OPTIMA = {(r["instance"], r["problem"]): float(r["optimal_value"]) for r in csv.DictReader(open(DATA / "optima.csv"))}

FAST_PMED = ["pmed1", "pmed2", "pmed4", "pmed5", "pmed6", "pmed7", "pmed9", "pmed10", "pmed11", "pmed13"]
FAST_CAP = ["cap41", "cap42", "cap44", "cap51", "cap61", "cap62", "cap64", "cap71", "cap81", "cap92", "cap104",
            "cap111", "cap124", "cap134"]
FAST_UFLP = ["cap71", "cap101", "cap132"]


def problem_of(name: str, kind: str):
    if kind == "p-median":
        return read_pmedian(DATA / "pmed" / f"{name}.txt")
    stem, _, cap = name.partition("-")
    return read_cap(DATA / "cap" / f"{stem}.txt", capacity=float(cap) if cap else None, uncapacitated=kind == "UFLP")


def solve_and_compare(name: str, kind: str, time_limit: float, formulation: str = "auto"):
    """Solve with the form ``regio orlib`` would choose (or the one asked for) to a proven optimum, compare
    it with the published value and re-check the solution."""
    problem = problem_of(name, kind)
    answer = solve_location(problem, formulation, time_limit=time_limit, mip_gap=1e-9)
    rep = answer.report
    assert rep.status == Status.OPTIMAL, f"{name}: {rep.status} after {rep.solve_seconds:.1f} s, gap {rep.mip_gap}"
    assert rep.objective == pytest.approx(OPTIMA[(name, kind)], abs=0.01)
    y, share = answer.solution()
    check_location(problem, y, share, rep.objective).raise_if_failed()
    return rep


def grid_problem(seed: int) -> LocationProblem:
    """60 customers on a 40 × 40 grid, the first 30 of them sites, p = 6, whole-block (Manhattan) costs."""
    rng = np.random.default_rng(seed)
    points = rng.integers(0, 40, size=(60, 2)).astype(float)
    cost = np.abs(points[:, None, :] - points[None, :30, :]).sum(axis=2)
    return LocationProblem(name=f"grid{seed}", cost=cost, demand=np.ones(60), capacity=None, fixed_cost=np.zeros(30), p=6)


def test_each_stage_answers_where_it_should():
    """A grid instance (seed 4): the core tree finds a p-median at T = ⌈L⌉ and proves it.  pmed9 (n 200,
    p 40): the core tree does not decide within its nodes and HiGHS over the core proves 2,734, the published
    optimum, at T.  pmed2 (p 10): L = 4,088.2, T = 4,089; the core tree shows that no p-median costs that
    little and the tree over the kept sites proves 4,093."""
    grid = solve_location(grid_problem(4))
    assert [(s["stage"], s["status"]) for s in grid.stages] == [("core tree", "optimal")]
    assert grid.formulation == "lagrangian tree" and grid.report.objective == grid.report.bound
    assert grid.report.objective == grid.stages[0]["cutoff"]
    highs = solve_location(problem_of("pmed9", "p-median"))
    assert [(s["stage"], s["status"]) for s in highs.stages] == [("core tree", "node_limit"), ("core", "optimal")]
    assert highs.stages[1]["cutoff"] == 2734.0 and highs.formulation == "radius"
    assert highs.report.objective == pytest.approx(2734.0) and highs.sites_in_model == highs.stages[1]["sites"] < 200
    loose = solve_location(problem_of("pmed2", "p-median"))
    assert [(s["stage"], s["status"]) for s in loose.stages] == [("core tree", "infeasible"), ("tree", "optimal")]
    assert loose.stages[0]["result"] == "no p-median costs at most the cutoff"
    assert loose.formulation == "lagrangian tree" and loose.report.bound == loose.report.objective == 4093.0
    assert loose.report.solve_seconds == pytest.approx(sum(s["seconds"] for s in loose.stages))
    for answer in (grid, highs, loose):
        y, share = answer.solution()
        check_location(answer.problem, y, share, answer.report.objective).raise_if_failed()


def test_a_tree_stopped_at_its_limit_hands_over_to_highs():
    """With no time at all the tree stops at its first node and HiGHS's reduced stage proves pmed2."""
    answer = solve_location(problem_of("pmed2", "p-median"), time_limit=0.0)
    assert [s["stage"] for s in answer.stages][-2:] == ["tree", "reduced"]
    assert answer.stages[-2]["status"] == "time_limit_feasible"
    assert answer.report.objective == pytest.approx(4093.0)


@pytest.mark.parametrize("seed", range(8))
def test_solve_location_matches_enumeration(seed):
    """Random p-medians (12 customers, 8 sites, whole-km and fractional costs): the two-stage solve equals the
    cheapest of every subset of p sites."""
    import itertools
    rng = np.random.default_rng(100 + seed)
    points = rng.uniform(0, 50, size=(12, 2))
    cost = np.linalg.norm(points[:, None, :] - points[None, :8, :], axis=2)
    cost = np.round(cost) if seed % 2 else cost
    p = 2 + seed % 3
    best = min(cost[:, list(c)].min(axis=1).sum() for c in itertools.combinations(range(8), p))
    problem = LocationProblem(name=f"random{seed}", cost=cost, demand=np.ones(12), capacity=None,
                              fixed_cost=np.zeros(8), p=p)
    answer = solve_location(problem)
    assert answer.report.status is Status.OPTIMAL
    assert answer.report.objective == pytest.approx(best, abs=1e-6)


@pytest.mark.parametrize("name", FAST_PMED)
def test_pmedian_published_optimum(name):
    solve_and_compare(name, "p-median", 120)


@pytest.mark.parametrize("name,formulation", [("pmed1", "arc"), ("pmed11", "arc"), ("pmed20", "auto"), ("pmed25", "auto")])
def test_pmedian_either_form_reaches_the_published_optimum(name, formulation):
    """pmed1 and pmed11 in the arc form on request; pmed20 (n 400, p 133) and pmed25 (n 500, p 167) in the
    radius form, which every p-median gets by default (the p = 5 files of FAST_PMED too)."""
    problem = problem_of(name, "p-median")
    assert prefers_radius(problem)
    solve_and_compare(name, "p-median", 60, formulation)


def line_problem(p: int) -> LocationProblem:
    """Three customers and sites at 0, 1 and 10 km on a line."""
    x = np.array([0.0, 1.0, 10.0])
    return LocationProblem("line", np.zeros(3), np.abs(x[:, None] - x[None, :]), np.ones(3), None, p)


@pytest.mark.parametrize("p, expected, opened", [(1, 10.0, [1]), (2, 1.0, [0, 2]), (3, 0.0, [0, 1, 2])])
def test_radius_form_by_hand(p, expected, opened):
    """p = 1: the median at 1 km (1 + 0 + 9); p = 2: one of {0, 1} and 10 (cost 1, tie broken either way)."""
    m = build_pmedian_radius_model(line_problem(p))
    hm = HighsModel(m)
    rep = hm.solve(mip_gap=1e-9)
    assert rep.objective == pytest.approx(expected)
    y = np.round(hm.values_of(m.open[j] for j in m.site))
    assert y.sum() == p and (p == 2 or list(np.flatnonzero(y)) == opened)


def test_radius_levels_stop_at_the_n_minus_p_plus_first_site():
    level, keep, values, _ = radius_levels(line_problem(2).cost, 2)
    # customer at 0: distances 0, 1, 10 → levels 0, 1, 2; with p = 2 any two sites hold an open one, so only
    # level 0 (nothing open at distance 0) needs a variable: T = level of the 2nd nearest site = 1
    assert level[0].tolist() == [0, 1, 2] and keep.tolist() == [1, 1, 1]
    assert values[0, :3].tolist() == [0.0, 1.0, 10.0]


@pytest.mark.parametrize("name", FAST_CAP)
def test_capacitated_published_optimum(name):
    solve_and_compare(name, "CFLP-multi-source", 60)


@pytest.mark.parametrize("name", FAST_UFLP)
def test_uncapacitated_published_optimum(name):
    solve_and_compare(name, "UFLP", 60)


SLOW = sorted((n, k) for n, k in OPTIMA if k in ("p-median", "CFLP-multi-source", "UFLP")
              and not ((k == "p-median" and n in FAST_PMED) or (k == "CFLP-multi-source" and n in FAST_CAP)
                       or (k == "UFLP" and n in FAST_UFLP)))


# The slowest p-median, pmed36 (n 800, p 10), is proven in about 17 s (docs/performance.md, "p-median at scale").
@pytest.mark.slow
@pytest.mark.parametrize("name,kind", SLOW)
def test_all_published_optima(name, kind):
    solve_and_compare(name, kind, 600)


def test_repeated_edge_last_occurrence_wins(tmp_path):
    """Edge 1-2 given twice (5, then 1): the later cost counts, so d(1,2) = 1 (not 5, not via 3)."""
    f = tmp_path / "g.txt"
    f.write_text(" 3 4 1 \n 1 2 5 \n 2 3 1 \n 1 3 3 \n 1 2 1 \n")
    d = read_pmedian(f).cost
    assert d[0, 1] == 1 and d[0, 2] == 2 and d[1, 2] == 1


def test_bad_files_are_input_errors(tmp_path):
    f = tmp_path / "bad.txt"
    f.write_text(" 3 1 1 \n 1 x 4 \n")
    with pytest.raises(InputError, match="token 5"):
        read_pmedian(f)
    with pytest.raises(InputError, match="--capacity"):
        read_cap(DATA / "cap" / "capa.txt")


@pytest.mark.parametrize("text, words", [
    (" 3 2 1 \n 1 2 -4 \n 2 3 1 \n", "cost -4"), (" 3 2 1 \n 1 2 inf \n 2 3 1 \n", "finite"),
    (" 3 2 5 \n 1 2 4 \n 2 3 1 \n", "1 <= p <= n"), (" 0 0 1 \n", "n >= 1"),
])
def test_edge_costs_and_sizes_that_would_hang_or_mislead_are_input_errors(tmp_path, text, words):
    f = tmp_path / "bad.txt"
    f.write_text(text)
    with pytest.raises(InputError, match=words):
        read_pmedian(f)


def test_location_checker_fails_on_broken_solutions():
    problem = read_cap(DATA / "cap" / "cap41.txt")
    y = np.zeros(problem.n_sites)
    y[0] = 1
    share = np.zeros(problem.cost.shape)
    share[:, 0] = 1.0
    res = check_location(problem, y, share, float(problem.fixed_cost[0] + problem.cost[:, 0].sum()))
    assert not res.passed and {v.constraint for v in res.violations} == {"capacity Σ_i d_i x_ij ≤ s_j y_j",
                                                                          "capacity Σ_i d_i x_ij ≤ s_j y_j"}
    share[0, 0], share[0, 1] = 0.5, 0.5  # half served at a closed site, objective now misreported too
    res = check_location(problem, y, share, 0.0)
    assert {"link x_ij ≤ y_j", "objective recomputed equals reported"} <= {v.constraint for v in res.violations}


def test_cli_json_keys():
    res = CliRunner().invoke(cli, ["orlib", "cap", str(DATA / "cap" / "cap71.txt"), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert {"objective", "status", "mip_gap", "build_seconds", "solve_seconds", "formulation"} <= set(out)
    assert out["objective"] == pytest.approx(932615.75, abs=0.01)


def test_cli_lists_the_stages():
    """pmed2 on the terminal: the answer, then one line per stage with what it decided; --json has the same rows."""
    res = CliRunner().invoke(cli, ["orlib", "pmed", str(DATA / "pmed" / "pmed2.txt")])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert "objective         4093" in lines and "formulation       lagrangian tree" in lines
    stages = lines[lines.index("stages") + 1:]
    assert stages[0].split()[:2] == ["core", "tree"] and "no p-median costs at most the cutoff" in stages[0]
    assert stages[1].split()[:3] == ["tree", "31", "sites:"] and stages[1].endswith("the answer")
    out = json.loads(CliRunner().invoke(cli, ["orlib", "pmed", str(DATA / "pmed" / "pmed2.txt"), "--json"]).output)
    assert [s["stage"] for s in out["stages"]] == ["core tree", "tree"] and out["objective"] == 4093.0
