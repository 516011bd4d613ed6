"""Scenarios: layered merging, inheritance, strictness, references into the instance."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from allocator.data import InstanceData
from allocator.errors import InputError
from allocator.instance import read_folder
from allocator.instance import load_instance
from allocator.scenario import Scenario, parse_set, resolve_scenario


def defaults(**values):
    """An instance stand-in that carries only ``[defaults]`` (all resolve_scenario reads of it)."""
    return SimpleNamespace(manifest=SimpleNamespace(defaults=values))


def test_layers_merge_in_order(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('shortfall_price = 500.0\n[solver]\nmip_gap = 0.01\n')
    sc = resolve_scenario(defaults(shortfall_price=100.0, equity_alpha=2.0, solver={"time_limit": 5.0}), f,
                          {"equity_alpha": 0.5, "extra_budget": None})
    assert sc.shortfall_price == 500.0          # file beats instance defaults
    assert sc.equity_alpha == 0.5               # flag beats both
    assert sc.solver.time_limit == 5.0 and sc.solver.mip_gap == 0.01  # nested tables merge
    assert sc.extra_budget == 0.0               # a None flag leaves the value alone
    assert sc.name == "s"


def test_extends_inherits_and_overrides(tmp_path):
    (tmp_path / "base.toml").write_text('hold_harmless = "region"\nextra_budget = 100.0\n[norms]\ngp = 5.0\n')
    (tmp_path / "child.toml").write_text('extends = "base.toml"\nextra_budget = 250.0\n[norms]\nschool = 6.0\n')
    sc = resolve_scenario(defaults(), tmp_path / "child.toml")
    assert sc.hold_harmless == "region" and sc.extra_budget == 250.0 and sc.norms == {"gp": 5.0, "school": 6.0}


def test_circular_extends_is_an_error(tmp_path):
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n')
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n')
    with pytest.raises(InputError, match="circular"):
        resolve_scenario(defaults(), tmp_path / "a.toml")


def test_unknown_key_and_bad_value_name_the_file(tmp_path):
    f = tmp_path / "typo.toml"
    f.write_text('hold_harmles = "region"\nequity_alpha = -1\n')
    with pytest.raises(InputError) as err:
        resolve_scenario(defaults(), f)
    text = str(err.value)
    assert "typo.toml" in text and "hold_harmles" in text and "equity_alpha" in text


def test_strict_types(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('extra_budget = "100"\n')
    with pytest.raises(InputError, match="extra_budget"):
        resolve_scenario(defaults(), f)


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
    assert resolve_scenario(defaults(), f) == sc


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


def test_resolving_needs_the_instance_so_its_defaults_always_apply():
    nl = load_instance("nl")
    status_quo = "instances/nl/scenarios/status_quo.toml"
    sc = resolve_scenario(nl, status_quo)
    assert sc.hold_harmless == nl.manifest.defaults["hold_harmless"] and sc.use_capacity
    with pytest.raises(TypeError):
        resolve_scenario(file=status_quo)  # no instance, no silent loss of its [defaults]


@pytest.mark.parametrize("items, expected", [
    (["shortfall_price=20000"], {"shortfall_price": 20000}),
    (["norms.gp_practice=15", "solver.threads=1"], {"norms": {"gp_practice": 15}, "solver": {"threads": 1}}),
    (["hold_harmless=region-domain"], {"hold_harmless": "region-domain"}),
    (['force_open=["s1", "s2"]', "keep_last_site=false"], {"force_open": ["s1", "s2"], "keep_last_site": False}),
])
def test_set_items_become_nested_overrides(items, expected):
    assert parse_set(items) == expected


@pytest.mark.parametrize("item", ["shortfall_price", "=3", "norms.gp=1 x"])
def test_set_items_are_validated_like_a_file(item):
    with pytest.raises((InputError, ValueError)):
        Scenario(**parse_set([item]))


def test_a_set_value_of_the_wrong_type_names_its_key():
    with pytest.raises(InputError, match="shortfall_price"):
        resolve_scenario(defaults(), None, parse_set(["shortfall_price=high"]))
