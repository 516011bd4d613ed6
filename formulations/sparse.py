"""Helpers that turn sparse pandas frames into linear expressions without dense products or slow loops.

Building a row costs one LinearExpression; the variables of all rows are looked up
once as a numpy object array (:func:`var_array`) and rows are cut from it with
one argsort (:func:`groups`), never by iterating pandas objects element by element.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pyomo.core.expr.numeric_expr import LinearExpression


def linear(coefs, variables) -> LinearExpression:
    """Σ coef·var as one LinearExpression (built directly: no operator overloading per term)."""
    return LinearExpression(constant=0.0, linear_coefs=[float(c) for c in coefs], linear_vars=list(variables))


def var_array(var, keys) -> np.ndarray:
    """The VarData objects ``var[k]`` for every k in ``keys``, as a numpy object array."""
    out = np.empty(len(keys), dtype=object)
    out[:] = [var[k] for k in keys]
    return out


def groups(codes) -> dict:
    """{code: positions} for an array of group codes, positions in their original order (stable)."""
    codes = np.asarray(codes)
    if len(codes) == 0:
        return {}
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    cut = np.flatnonzero(sorted_codes[1:] != sorted_codes[:-1]) + 1
    starts = np.concatenate([[0], cut])
    return {sorted_codes[s]: part for s, part in zip(starts, np.split(order, cut))}


def grouped_sum(frame: pd.DataFrame, by: str, coef: str, var, groups_wanted, key: str | None = None) -> dict:
    """{group: Σ_{rows in group} frame[coef] · var[row key]} for every group in ``groups_wanted`` (0 if none).

    ``key`` names the column that indexes ``var``; by default the frame's index.
    """
    keys = (frame.index if key is None else frame[key]).tolist()
    variables = var_array(var, keys)
    c = frame[coef].to_numpy(float)
    out = {g: 0.0 for g in groups_wanted}
    for g, rows in groups(frame[by].to_numpy(dtype=object)).items():
        out[g] = linear(c[rows], variables[rows])
    return out
