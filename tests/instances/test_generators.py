"""Generated instances: valid, of the declared size, deterministic for a seed."""

from __future__ import annotations

import pandas as pd
import pytest

from allocator.errors import InputError
from allocator.instance import load_instance
from allocator.instance import from_frames
from regio_instances.generators import SIZES
from regio_instances.generators import generate as generate_tables


def generate(size, seed):
    manifest, frames, source = generate_tables(size, seed)
    return from_frames(manifest, frames, source=source)


@pytest.mark.parametrize("size", ["S", "M", "L"])
def test_sizes(size):
    inst = generate(size, 0)
    regions, points = SIZES[size]
    assert len(inst.regions) == regions and len(inst.demand_points) == points
    assert 1.0 <= len(inst.sites) / points <= 1.6
    assert inst.demand_points["population"].sum() == inst.regions["population"].sum()


def test_same_seed_same_instance_other_seed_differs():
    a, b, c = generate("S", 7), load_instance("gen:S:7"), generate("S", 8)
    for attr in ("regions", "demand_points", "sites", "streams"):
        pd.testing.assert_frame_equal(getattr(a, attr), getattr(b, attr))
    assert not a.demand_points.equals(c.demand_points)


@pytest.mark.parametrize("name", ["gen:XXL:0", "gen:S", "gen:S:x"])
def test_bad_generator_names(name):
    with pytest.raises(InputError, match="gen:SIZE:SEED"):
        load_instance(name)
