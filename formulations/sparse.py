"""Helpers that turn sparse pandas frames into linear expressions without dense products."""

from __future__ import annotations

import pandas as pd
from pyomo.core.expr.numeric_expr import LinearExpression


def linear(coefs, variables) -> LinearExpression:
    """Σ coef·var as one LinearExpression (built directly: no operator overloading per term)."""
    coefs = [float(c) for c in coefs]
    return LinearExpression(constant=0.0, linear_coefs=coefs, linear_vars=list(variables))


def grouped_sum(frame: pd.DataFrame, by: str, coef: str, var, groups, key: str | None = None) -> dict:
    """{group: Σ_{rows in group} frame[coef] · var[row key]} for every group in ``groups`` (0 if no rows).

    ``key`` names the column that indexes ``var``; by default the frame's index.
    """
    keys = frame.index if key is None else frame[key]
    out = {g: 0.0 for g in groups}
    for g, idx in frame.groupby(by, sort=False).indices.items():
        out[g] = linear(frame[coef].to_numpy()[idx], (var[k] for k in keys.to_numpy()[idx]))
    return out
