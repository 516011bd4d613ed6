"""The policy choices a scenario names, as enums: one definition each, compared as members, never as strings.

They are ``StrEnum``: a scenario file, ``--set`` and the web app give the plain word ("region"), the
scenario model turns it into the member, and a result or a resolved scenario writes the word again.
"""

from __future__ import annotations

from enum import StrEnum


class Mode(StrEnum):
    """How the two objectives combine: max W − λ·Q in one solve, or min Q first and then max W."""

    WEIGHTED = "weighted"
    LEXICOGRAPHIC = "lexicographic"


class HoldHarmless(StrEnum):
    """Who may end up with less than today (model.md, hold-harmless)."""

    NONE = "none"                      # anyone
    REGION = "region"                  # no region below its baseline total (municipal money, facilities included)
    REGION_DOMAIN = "region-domain"    # ... nor below it in any domain
    CORRIDOR = "corridor"              # every region within (1 − δ, 1 + γ) × its baseline total
    PER_CAPITA_CAP = "per-capita-cap"  # every region within ± cap € per inhabitant of its baseline total

    @property
    def floors_baseline(self) -> bool:
        """Whether no region may fall below its baseline total."""
        return self in (HoldHarmless.REGION, HoldHarmless.REGION_DOMAIN)


class MinService(StrEnum):
    """The minimum service level as a priced shortfall (soft) or as a constraint (hard)."""

    SOFT = "soft"
    HARD = "hard"


class ShortfallMeasure(StrEnum):
    """Q = Σ q_rk (person-services) or Q_max = max q_rk / pop_r (the worst region's share)."""

    TOTAL = "total"
    WORST = "worst"
