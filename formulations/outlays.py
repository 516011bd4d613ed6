"""Outlays: what a programme year pays besides programmes and running costs (model.md "Programme horizon").

A year t of a programme also pays the opening cost of the sites whose opening falls in it (O_j s_jt)
and the yearly cost of the agenda projects running in it (c_p Σ_{τ ∈ (t − D_p, t]} z_pτ).  Both are
linear terms with a region, a payer account and a domain.  The programme builder attaches them to the
year's block as ``m.outlay_terms`` (a frame: region_id, pool, domain_id, coef, var) before the blocks
run; ``budget`` and ``hold_harmless`` add them to what an account, a region and a region-domain pay.
The one-year model has none, and every sum below is then 0.
"""

from __future__ import annotations

import pandas as pd

from formulations.sparse import groups, linear

COLUMNS = ["region_id", "pool", "domain_id", "coef", "var"]


def outlay_terms(m) -> pd.DataFrame:
    """The year's outlay terms (empty for the one-year model)."""
    terms = getattr(m, "outlay_terms", None)
    return terms if terms is not None else pd.DataFrame(columns=COLUMNS)


def outlays_by(m, columns: list[str], rows=None) -> dict:
    """{key: Σ coef·var} over the outlay terms (``rows``: a boolean filter), grouped by ``columns``."""
    t = outlay_terms(m)
    if rows is not None:
        t = t[rows(t)]
    if t.empty:
        return {}
    keys = list(zip(*(t[c] for c in columns))) if len(columns) > 1 else t[columns[0]].tolist()
    codes, uniques = pd.factorize(pd.Series(keys, dtype=object))
    coef, var = t["coef"].to_numpy(float), t["var"].to_numpy(object)
    return {uniques[g]: linear(coef[rows_], var[rows_]) for g, rows_ in groups(codes).items()}
