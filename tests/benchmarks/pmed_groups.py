"""The OR-Library p-median files split once, before tuning, into a tuning group and a held-out third.

The 34 pmed files in ``instances/orlib/pmed`` were shuffled with ``random.Random(20261202)`` and a third
(11 files) drawn: ``random.Random(20261202).sample(TUNING + HELD_OUT sorted by number, 11)``.  Changes to the
p-median path (start, bound, reductions, HiGHS options) are measured on :data:`TUNING` only; :data:`HELD_OUT`
runs once, at the end, and ``docs/performance.md`` reports both groups apart, so a method that only suits the
files it was tuned on shows.
"""

from __future__ import annotations

HELD_OUT = ("pmed1", "pmed6", "pmed10", "pmed14", "pmed21", "pmed23", "pmed25", "pmed30", "pmed33", "pmed35",
            "pmed38")
TUNING = tuple(f"pmed{i}" for i in range(1, 41)
               if i not in (3, 8, 12, 17, 22, 27) and f"pmed{i}" not in HELD_OUT)
