"""The parts of scipy regio uses — sparse matrices, shortest paths, the k-d tree — and no more.

Pyomo registers an import hook that, as soon as anything imports scipy, imports ``scipy.stats`` and
``scipy.integrate`` as well, for Pyomo's own optional features.  regio's model, compiler and checks use neither,
and they cost every command and every worker process 0.25-0.30 s of its start (``python -X importtime -c
"import allocator.api"``: 0.84 → 0.60 s) and 34 MB (``regio solve`` on nl: 457 → 423 MB peak, 7.0-7.6 → 6.3-6.6 s
wall, the same tables byte for byte).  Every scipy import of the engine goes through this module, which drops
that hook before scipy is first imported.  Pyomo still sets its scipy up when Pyomo itself first uses scipy (its
own standard-form compiler, for a model regio's compiler does not read).  Where the hook is not found (another
Pyomo release) or scipy is loaded already, nothing changes.
"""

from __future__ import annotations

import sys


def _drop_pyomo_scipy_hook() -> None:
    if "scipy" in sys.modules:
        return
    try:
        from pyomo.common.dependencies import DeferredImportCallbackFinder
    except ImportError:
        return
    hooks = getattr(DeferredImportCallbackFinder, "_callbacks", None)
    if isinstance(hooks, dict):
        hooks.pop("scipy", None)


_drop_pyomo_scipy_hook()

from scipy import sparse  # noqa: E402 - after the hook is dropped
from scipy.spatial import cKDTree  # noqa: E402

__all__ = ["sparse", "shortest_path", "cKDTree"]


def shortest_path(*args, **kwargs):
    """``scipy.sparse.csgraph.shortest_path``, imported at its first call: only the OR-Library reader needs it
    (0.04 s of import)."""
    from scipy.sparse.csgraph import shortest_path as run

    return run(*args, **kwargs)
