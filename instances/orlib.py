"""Readers for J.E. Beasley's OR-Library location files (p-median, capacitated warehouse location).

* ``pmedN.txt``: ``n m p`` then m lines ``i j cost`` of an undirected graph.  A pair
  that appears more than once takes the cost of its **last** line (OR-Library's
  own rule; other rules do not reproduce ``pmedopt``).  Distances are shortest
  paths (Dijkstra); every vertex is a customer of weight 1 and a candidate.
* ``capN.txt`` / ``capa|b|c.txt``: ``m n``; m lines ``capacity fixed_cost``; then per
  customer its demand and m allocation costs (cost of serving *all* of its demand
  from each warehouse).  In capa/b/c the capacity field is the word ``capacity``,
  replaced by the ``capacity`` argument.

Both end in a :class:`LocationProblem`, which :mod:`formulations.location` turns into
a model.  Bad files raise :class:`~allocator.errors.InputError` naming the file
and the token position.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from allocator.errors import InputError, InputIssue
from allocator.files import TEXT_LIMIT
from allocator.scipy_parts import shortest_path, sparse


@dataclass(frozen=True)
class LocationProblem:
    """min Σ_j f_j y_j + Σ_ij c_ij x_ij, Σ_j x_ij = 1, x_ij ≤ y_j, [Σ_i d_i x_ij ≤ s_j y_j], [Σ_j y_j = p]."""

    name: str
    fixed_cost: np.ndarray       # f_j, per site
    cost: np.ndarray             # c_ij, customers × sites (serving all of i's demand at j)
    demand: np.ndarray           # d_i
    capacity: np.ndarray | None  # s_j, or None when uncapacitated
    p: int | None = None         # number of sites to open (p-median)
    site_ids: np.ndarray | None = None  # the sites' numbers in the file (None: 0, 1, …, in column order)

    @property
    def sites(self) -> list[int]:
        """The sites' numbers, 0-based as in the file: the models' site labels."""
        return list(range(self.n_sites)) if self.site_ids is None else [int(j) for j in self.site_ids]

    def restricted(self, keep: np.ndarray) -> LocationProblem:
        """The same problem with only the sites where ``keep`` is True (they keep their numbers)."""
        keep = np.asarray(keep, dtype=bool)
        return replace(self, fixed_cost=self.fixed_cost[keep], cost=self.cost[:, keep],
                       capacity=None if self.capacity is None else self.capacity[keep],
                       site_ids=np.asarray(self.sites)[keep])

    @property
    def n_customers(self) -> int:
        return self.cost.shape[0]

    @property
    def n_sites(self) -> int:
        return self.cost.shape[1]


def _tokens(path: Path, replace: dict[str, str] | None = None) -> list[str]:
    if not path.exists():
        raise InputError(InputIssue(str(path), "missing file"))
    if not path.is_file():
        raise InputError(InputIssue(str(path), "not a regular file"))
    if path.stat().st_size > TEXT_LIMIT:
        raise InputError(InputIssue(str(path), f"{path.stat().st_size:,} bytes; an OR-Library file is read up to "
                                    f"{TEXT_LIMIT:,}"))
    words = path.read_bytes()[:TEXT_LIMIT].decode("latin-1").split()
    if replace:
        words = [replace.get(w, w) for w in words]
    return words


def _numbers(path: Path, words: list[str], what: str) -> np.ndarray:
    """Every token as a finite number; an input error names the first that is not."""
    bad = next((n for n, w in enumerate(words) if not _is_number(w) or not np.isfinite(float(w))), None)
    if bad is not None:
        word = words[bad]  # echoed only when it looks like a number (nan, 1e999): never a file's other contents
        shown = f"'{word}'" if len(word) <= 16 and set(word) <= set("0123456789.+-eEinfaINFA") else \
            f"a word of {len(word)} characters"
        raise InputError(InputIssue(str(path), f"token {bad + 1} ({shown}) is not a finite number; expected {what}"))
    return np.array([float(w) for w in words], dtype=float)


def _counts(path: Path, x: np.ndarray, names: tuple[str, ...]) -> list[int]:
    """The header's counts (whole numbers >= 0, at most 10⁵), or an input error naming the file."""
    if len(x) < len(names):
        raise InputError(InputIssue(str(path), f"too short: expected {' '.join(names)} first"))
    head = x[:len(names)]
    if (head < 0).any() or (head != np.round(head)).any() or (head > 1e5).any():
        raise InputError(InputIssue(str(path), f"the header {' '.join(names)} must be whole numbers from 0 to 100,000, "
                                    f"found {' '.join(f'{v:g}' for v in head)}"))
    return [int(v) for v in head]


def _is_number(w: str) -> bool:
    try:
        float(w)
        return True
    except ValueError:
        return False


def read_pmedian(path: str | Path) -> LocationProblem:
    """A p-median instance with shortest-path distances (last cost of a repeated edge wins)."""
    path = Path(path)
    x = _numbers(path, _tokens(path), "numbers (n m p, then i j cost per edge)")
    n, m, p = _counts(path, x, ("n", "m", "p"))
    edges = x[3:]
    if len(edges) != 3 * m:
        raise InputError(InputIssue(str(path), f"expected {m} edges (3 numbers each) after the header, found {len(edges) / 3:g}"))
    if (edges[0::3] != np.round(edges[0::3])).any() or (edges[1::3] != np.round(edges[1::3])).any():
        raise InputError(InputIssue(str(path), "an edge's vertices must be whole numbers"))
    i, j, c = edges[0::3].astype(int) - 1, edges[1::3].astype(int) - 1, edges[2::3]
    if n < 1 or not 1 <= p <= n:
        raise InputError(InputIssue(str(path), f"expected n >= 1 vertices and 1 <= p <= n medians, found n = {n}, p = {p}"))
    if m and (i.min() < 0 or j.min() < 0 or max(i.max(), j.max()) >= n):
        raise InputError(InputIssue(str(path), f"an edge names a vertex outside 1..{n}"))
    bad = np.flatnonzero(~np.isfinite(c) | (c < 0))
    if len(bad):  # a negative edge makes shortest paths undefined (Dijkstra would loop or mislead)
        e = int(bad[0])
        raise InputError(InputIssue(str(path), f"edge {e + 1} ({i[e] + 1}–{j[e] + 1}) has cost {c[e]:g}; edge costs must "
                                    f"be finite and >= 0 ({len(bad)} such edge(s))"))
    # last occurrence wins: keep, for each unordered pair, the last line's cost
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    key = lo * n + hi
    _, last_from_end = np.unique(key[::-1], return_index=True)
    last = len(key) - 1 - last_from_end
    graph = sparse.csr_matrix((c[last], (lo[last], hi[last])), shape=(n, n))
    dist = shortest_path(graph, method="D", directed=False)
    if not np.isfinite(dist).all():
        raise InputError(InputIssue(str(path), "the graph is not connected: some vertices cannot reach others"))
    return LocationProblem(name=path.stem, fixed_cost=np.zeros(n), cost=dist, demand=np.ones(n), capacity=None, p=p)


def read_cap(path: str | Path, capacity: float | None = None, uncapacitated: bool = False) -> LocationProblem:
    """A warehouse-location instance; ``capacity`` replaces the word 'capacity' (capa/b/c)."""
    path = Path(path)
    words = _tokens(path)
    if "capacity" in words:
        if capacity is None and not uncapacitated:
            raise InputError(InputIssue(str(path), "this file's capacities are the word 'capacity': give --capacity N "
                                                   "(capa: 8000-14000, capb: 5000-8000, capc: 5000-7250) or --uncapacitated"))
        words = [str(capacity if capacity is not None else 0) if w == "capacity" else w for w in words]
    x = _numbers(path, words, "numbers")
    m, n = _counts(path, x, ("m", "n"))
    if m < 1 or n < 1:
        raise InputError(InputIssue(str(path), f"expected at least one warehouse and one customer, found m = {m}, n = {n}"))
    need = 2 + 2 * m + n * (1 + m)
    if len(x) != need:
        raise InputError(InputIssue(str(path), f"expected {need} numbers for {m} warehouses and {n} customers, found {len(x)}"))
    head = x[2:2 + 2 * m].reshape(m, 2)
    body = x[2 + 2 * m:].reshape(n, 1 + m)
    cap = None if uncapacitated else head[:, 0].copy()
    return LocationProblem(name=path.stem + (f"-{capacity:g}" if capacity is not None else ""), fixed_cost=head[:, 1].copy(),
                           cost=body[:, 1:].copy(), demand=body[:, 0].copy(), capacity=cap)
