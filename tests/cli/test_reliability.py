"""Statuses and exit codes, interruption, determinism, numerical warnings, and fuzzed input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pyomo.environ as pyo
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocator.data import InstanceData
from allocator.procedures.modes import build
from allocator.scenario import Scenario
from allocator.solver.highs import HighsModel, _status
from allocator.status import EXIT_CODES, Status
from allocator.export import FORMULA_START
from regio_cli.main import cli
from tests.conftest import tiny_tables, write_instance
from tests.helpers import instance
from tests.helpers import ROOT



def test_every_status_has_its_own_exit_code():
    codes = list(EXIT_CODES.values())
    assert len(set(codes)) == len(codes) == len(Status) and 0 in codes and 1 not in codes and 4 not in codes


def test_status_mapping_from_highs():
    import highspy

    S = highspy.HighsModelStatus
    assert _status(S.kOptimal, True) == Status.OPTIMAL
    assert _status(S.kTimeLimit, True) == Status.TIME_LIMIT_FEASIBLE
    assert _status(S.kTimeLimit, False) == Status.TIME_LIMIT_NO_SOLUTION
    assert _status(S.kInfeasible, False) == Status.INFEASIBLE
    assert _status(S.kUnbounded, False) == Status.UNBOUNDED
    assert _status(S.kSolveError, False) == Status.NUMERICAL
    assert _status(S.kModelError, False) == Status.ERROR


def test_unbounded_model_is_reported_unbounded():
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, None))
    m.c = pyo.Constraint(expr=m.x >= 1)
    m.o = pyo.Objective(expr=m.x, sense=pyo.maximize)
    rep = HighsModel(m).solve()
    assert rep.status == Status.UNBOUNDED and rep.objective is None


@pytest.mark.parametrize("instance,args,expected", [
    ("gen:S:0", [], {"optimal"}),
    ("gen:M:0", ["--time-limit", "0.001"], {"time_limit_feasible", "time_limit_no_solution", "optimal"}),
])
def test_cli_exit_code_matches_status(instance, args, expected):
    res = CliRunner().invoke(cli, ["solve", instance, "--json", *args])
    j = json.loads(res.output)
    assert j["status"] in expected
    assert res.exit_code == EXIT_CODES[Status(j["status"])]
    if j["status"] == "time_limit_feasible":
        assert j["mip_gap"] is not None and j["bound"] is not None and j["check"] == "passed"


def test_hard_norm_of_five_minutes_is_explained(tmp_path):
    f = tmp_path / "hard.toml"
    f.write_text('min_service = "hard"\n[norms]\nemergency = 5.0\n')
    res = CliRunner().invoke(cli, ["solve", "gen:S:0", "-s", str(f)])
    assert res.exit_code == 2
    assert "cannot reach the minimum even with every candidate site open" in res.output
    assert "elastic model" in res.output and "needs a new site within the norm" in res.output


@pytest.mark.parametrize("after", [6, 20])  # during the build, and during the HiGHS solve
def test_sigterm_leaves_previous_output_untouched(tmp_path, after):
    out = tmp_path / "res"
    out.mkdir()
    (out / "allocation.csv").write_text("previous")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.Popen([sys.executable, "-c", "from regio_cli.main import cli; cli()", "solve", "gen:XL:0", "--out", str(out),
                          "--force", "--time-limit", "120"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    time.sleep(after)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=10)  # the solve runs in a worker thread: the signal is handled at once
    assert p.returncode == 130, err
    assert "interrupted" in err
    assert (out / "allocation.csv").read_text() == "previous"
    assert not any(x.name.startswith(".res.") for x in tmp_path.iterdir())  # no temporary folder left


def test_same_inputs_give_byte_identical_tables(tmp_path):
    f = tmp_path / "one_thread.toml"
    f.write_text("[solver]\nthreads = 1\nseed = 3\n")
    for name in ("a", "b"):
        res = CliRunner().invoke(cli, ["solve", "gen:S:0", "-s", str(f), "--out", str(tmp_path / name)])
        assert res.exit_code == 0, res.output
    for csv in sorted((tmp_path / "a").glob("*.csv")):
        assert csv.read_bytes() == (tmp_path / "b" / csv.name).read_bytes(), csv.name


def test_coefficient_range_warning():
    """Scaling absorbs a region of 10⁹ people (no warning); a one-person place inside it (coefficient
    10⁻⁹ next to 10⁶) is flagged.  The place reaches both sites, so no other point shares its reach set
    (a twin of b1 would be merged into b1, which absorbs the small coefficient)."""
    t = tiny_tables()
    t["regions"].loc[1, "population"] = 1_000_000_000
    t["demand_points"].loc[1, "population"] = 1_000_000_000 - 1000
    assert not build(InstanceData.prepare(instance(t), Scenario())).warnings
    t["regions"].loc[1, "population"] += 1
    t["demand_points"] = pd.concat([t["demand_points"], pd.DataFrame([{"point_id": "b3", "region_id": "B", "name": "",
                                    "population": 1, "lat": 52.05, "lon": 5.1}])], ignore_index=True)
    assert any("coefficients range" in w for w in build(InstanceData.prepare(instance(t), Scenario())).warnings)


# --- fuzzing --------------------------------------------------------------------------------------------
NAMES = st.one_of(st.text(min_size=0, max_size=12), st.sampled_from(["=cmd|' /C calc'!A0", "+1+1", "@SUM(A1)", "-2+3",
                                                                        "Súdwest-Fryslân", "'s-Gravenhage", "名前", ""]))


@st.composite
def mutated(draw):
    t = tiny_tables()
    t["regions"]["name"] = [draw(NAMES), draw(NAMES)]
    t["sites"]["name"] = [draw(NAMES), draw(NAMES)]
    big = draw(st.sampled_from([1, 1000, 10**6, 10**9]))
    t["demand_points"]["population"] = [1000, 2000 * big, 1000]
    t["regions"]["population"] = [1000, 2000 * big + 1000]
    t["streams"]["deearmark_share"] = [draw(st.sampled_from([0.0, 1.0, 0.5, 1.5, -0.1])), 0.0]
    t["facility_types"]["norm"] = [draw(st.sampled_from([0.0, 10.0, 1e6]))]
    if draw(st.booleans()):
        t["streams"]["amount"] = [0.0, 0.0]  # zero budget: cannot pay the status quo
    if draw(st.booleans()):
        t["sites"] = t["sites"].iloc[:0]      # no sites at all
    if draw(st.booleans()):
        t["regions"] = t["regions"].iloc[:1]  # one region (B's rows now dangle)
    return t


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tables=mutated(), scenario=st.sampled_from(["", 'min_service = "hard"\n', "extra_budget = 1e6\n",
                                                   'hold_harmless = "corridor"\n', "equity_alpha = 5.0\n"]))
def test_fuzz_solve_or_input_error_never_a_traceback(tmp_path_factory, tables, scenario):
    folder = write_instance(tmp_path_factory.mktemp("fz") / "inst", tables)
    sc = folder / "s.toml"
    sc.write_text(scenario)
    out = folder.parent / "out"
    res = CliRunner().invoke(cli, ["solve", str(folder), "-s", str(sc), "--out", str(out), "--json"])
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output
    assert res.exit_code in (0, 1, 2, 3, 5)
    if res.exit_code == 0:
        assert json.loads(res.output)["check"] == "passed"
        for csv in out.glob("*.csv"):
            frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
            for col in frame.columns:
                risky = frame[col].str.startswith(FORMULA_START) & pd.to_numeric(frame[col], errors="coerce").isna()
                assert not risky.any(), (csv.name, col, frame.loc[risky, col].tolist())
