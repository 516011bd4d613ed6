"""Scenarios: layered merging, inheritance, strictness, references into the instance."""

from __future__ import annotations

import pytest

from allocator.data import InstanceData
from allocator.errors import InputError
from allocator.instance import read_folder
from allocator.scenario import Scenario, resolve_scenario


def test_layers_merge_in_order(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('shortfall_price = 500.0\n[solver]\nmip_gap = 0.01\n')
    sc = resolve_scenario({"shortfall_price": 100.0, "equity_alpha": 2.0, "solver": {"time_limit": 5.0}}, f,
                          {"equity_alpha": 0.5, "extra_budget": None})
    assert sc.shortfall_price == 500.0          # file beats instance defaults
    assert sc.equity_alpha == 0.5               # flag beats both
    assert sc.solver.time_limit == 5.0 and sc.solver.mip_gap == 0.01  # nested tables merge
    assert sc.extra_budget == 0.0               # a None flag leaves the value alone
    assert sc.name == "s"


def test_extends_inherits_and_overrides(tmp_path):
    (tmp_path / "base.toml").write_text('hold_harmless = "region"\nextra_budget = 100.0\n[norms]\ngp = 5.0\n')
    (tmp_path / "child.toml").write_text('extends = "base.toml"\nextra_budget = 250.0\n[norms]\nschool = 6.0\n')
    sc = resolve_scenario({}, tmp_path / "child.toml")
    assert sc.hold_harmless == "region" and sc.extra_budget == 250.0 and sc.norms == {"gp": 5.0, "school": 6.0}


def test_circular_extends_is_an_error(tmp_path):
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n')
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n')
    with pytest.raises(InputError, match="circular"):
        resolve_scenario({}, tmp_path / "a.toml")


def test_unknown_key_and_bad_value_name_the_file(tmp_path):
    f = tmp_path / "typo.toml"
    f.write_text('hold_harmles = "region"\nequity_alpha = -1\n')
    with pytest.raises(InputError) as err:
        resolve_scenario({}, f)
    text = str(err.value)
    assert "typo.toml" in text and "hold_harmles" in text and "equity_alpha" in text


def test_strict_types(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('extra_budget = "100"\n')
    with pytest.raises(InputError, match="extra_budget"):
        resolve_scenario({}, f)


def test_references_checked_against_instance(tiny_dir):
    inst = read_folder(tiny_dir)
    sc = Scenario(norms={"school": 5.0}, force_open=["nowhere"], extra_eligible_tags=["npvr"])
    with pytest.raises(InputError) as err:
        InstanceData.prepare(inst, sc, label="what-if.toml")
    msgs = [i.message for i in err.value.issues]
    assert all(i.file == "what-if.toml" for i in err.value.issues)
    assert any("unknown facility type 'school'" in m for m in msgs)
    assert any("unknown site 'nowhere'" in m for m in msgs)
    assert any("tag 'npvr'" in m for m in msgs)


def test_resolved_scenario_round_trips_through_toml(tmp_path):
    sc = Scenario(name="x", norms={"gp": 3.0}, hold_harmless="region-domain", max_closures=4)
    f = tmp_path / "resolved.toml"
    f.write_text(sc.to_toml())
    assert resolve_scenario({}, f) == sc


def test_welfare_curve_must_be_concave():
    with pytest.raises(ValueError, match="non-increasing"):
        Scenario(welfare={"breakpoints": [0.1, 0.2], "slopes": [0.5, 1.0]})


def test_effective_parameters(tiny_dir):
    inst = read_folder(tiny_dir)
    d = InstanceData.prepare(inst, Scenario(deearmark_share=0.3, deearmark={"s_edu": 0.9}, norms={"gp": 1.0},
                                            equity_alpha=1.0, extra_eligible_tags=["prog"]))
    assert d.streams["theta"].to_dict() == {"s_care": 0.3, "s_edu": 0.9}
    assert d.ftypes.loc["gp", "norm"] == 1.0
    # ω = bw^-1, population-weighted mean 1: (1000/0.8 + 3000/1.2)/4000 = 0.9375
    assert d.regions["omega"].to_dict() == pytest.approx({"A": 1.25 / 0.9375, "B": (1 / 1.2) / 0.9375})
    assert d.regions["eligible"].to_dict() == {"A": True, "B": False}
