"""The model's blocks, one module per element of model.md, in build order.

Each ``add_<block>(m, data)`` adds one named :class:`pyomo.environ.Block` to
``m`` (``m.facilities``, ``m.coverage``, ...) holding its variables,
constraints and expressions.  A block may read attributes of blocks listed
before it (``budget`` reads ``m.facilities.cost_by_domain``).  Index sets come
from the sparse frames of :class:`allocator.data.InstanceData`; no block loops
over a dense product.
"""

from formulations.budget import add_budget
from formulations.capacity import add_capacity
from formulations.coverage import add_coverage
from formulations.facilities import add_facilities
from formulations.hold_harmless import add_hold_harmless
from formulations.liveability import add_liveability
from formulations.min_service import add_min_service
from formulations.objective import add_objective
from formulations.welfare import add_welfare

BLOCKS = [
    ("facilities", add_facilities),
    ("coverage", add_coverage),
    ("capacity", add_capacity),
    ("budget", add_budget),
    ("hold_harmless", add_hold_harmless),
    ("min_service", add_min_service),
    ("liveability", add_liveability),
    ("welfare", add_welfare),
    ("objective", add_objective),
]
