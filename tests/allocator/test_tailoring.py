"""Regional tailoring (iedere regio het zijne): norms and required shares per region tag, set in the scenario.

The tiny instance: GP norm 10 minutes at 60 km/h (10 km).  Region A (tag ``prog``) has one place at its GP;
region B has b1 at the candidate GP gpB and b2 0.1° (11.1 km) north of it, out of reach.
"""

from __future__ import annotations

import pytest

from allocator.data import InstanceData
from allocator.errors import InputError
from allocator.scenario import Scenario
from tests.conftest import tiny_tables
from tests.helpers import instance, run


def tables_with_tags():
    t = tiny_tables()
    t["regions"]["tags"] = ["prog", "far"]
    return t


def test_a_tag_gets_its_own_required_share():
    data = InstanceData.prepare(instance(tables_with_tags()), Scenario(tailoring={"prog": {"required_share": {"gp": 0.5}}}))
    required = data.demand.set_index("region_id")["required"]
    assert required["A"] == pytest.approx(500.0)   # 0.5 × 1,000 (tailored)
    assert required["B"] == pytest.approx(3000.0)  # 1.0 × 3,000 (national)


def test_a_wider_norm_for_a_tag_brings_a_far_place_in_reach():
    plain = InstanceData.prepare(instance(tables_with_tags()), Scenario())
    wide = InstanceData.prepare(instance(tables_with_tags()), Scenario(tailoring={"far": {"norms": {"gp": 15.0}}}))
    assert "b2" not in set(plain.reach["point_id"])
    assert ("b2", "gpB") in set(zip(wide.reach["point_id"], wide.reach["site_id"]))
    # only B's places got the wider norm: A's place reaches no more sites than before
    assert set(wide.reach.loc[wide.reach["point_id"] == "a1", "site_id"]) == \
        set(plain.reach.loc[plain.reach["point_id"] == "a1", "site_id"])
    # and the solve, re-checked against the tailored norms by the independent checker, covers b2
    r = run(tables_with_tags(), tailoring={"far": {"norms": {"gp": 15.0}}}, shortfall_price=1e6)
    cov = r.solution.coverage.set_index(["point_id", "ftype_id"])["covered"]
    assert cov[("b2", "gp")] == pytest.approx(1.0)


def test_a_narrower_norm_for_a_tag_is_checked_against_that_tag():
    """A norm of 0 minutes for 'far' leaves b1 only (at the site itself) in reach in B."""
    r = run(tables_with_tags(), tailoring={"far": {"norms": {"gp": 0.0}}}, shortfall_price=1e6)
    reach = r.data.reach
    assert set(reach.loc[reach["point_id"].isin(["b1", "b2"]), "point_id"]) == {"b1"}


def test_tailoring_an_unknown_tag_or_type_is_an_input_error():
    with pytest.raises(InputError, match="tailoring: no region carries the tag 'nowhere'"):
        InstanceData.prepare(instance(tables_with_tags()), Scenario(tailoring={"nowhere": {"norms": {"gp": 5}}}))
    with pytest.raises(InputError, match="tailoring.prog.norms: unknown facility type 'dentist'"):
        InstanceData.prepare(instance(tables_with_tags()), Scenario(tailoring={"prog": {"norms": {"dentist": 5}}}))


def test_a_tag_de_earmarks_its_part_of_each_municipal_stream():
    """A (tag 'prog') holds 2 of the 10 M€ care baseline and 2 of the 8 M€ education baseline.  θ = 1 for A's part
    of s_care (national θ 0): θ_eff = (1·2 + 0·8)/10 = 0.2; θ = 1 for all of A's streams: s_edu (national 0.5)
    becomes (1·2 + 0.5·6)/8 = 0.625."""
    one = InstanceData.prepare(instance(tables_with_tags()), Scenario(tailoring={"prog": {"deearmark": {"s_care": 1.0}}}))
    assert one.streams.loc["s_care", "theta"] == pytest.approx(0.2)
    assert one.streams.loc["s_edu", "theta"] == pytest.approx(0.5)
    every = InstanceData.prepare(instance(tables_with_tags()), Scenario(tailoring={"prog": {"deearmark_share": 1.0}}))
    assert every.streams.loc["s_edu", "theta"] == pytest.approx(0.625)
    r = run(tables_with_tags(), tailoring={"prog": {"deearmark_share": 1.0}})  # the checker re-checks the flows
    moved = r.solution.flows[r.solution.flows["deearmarked"]].groupby("stream_id")["amount"].sum()
    assert moved.get("s_care", 0.0) <= 0.2 * 10.5 + 1e-6
    with pytest.raises(InputError, match="tailoring.prog.deearmark: unknown stream 'nope'"):
        InstanceData.prepare(instance(tables_with_tags()), Scenario(tailoring={"prog": {"deearmark": {"nope": 1.0}}}))
