"""Progress on the terminal: points done, ETA and the best/worst status so far (tqdm, on stderr).

Shown only when stderr is a terminal and the command was not asked for ``--json``; the CLI
switches it on with :func:`enable`.  Library callers (tests, notebooks) see nothing unless they
ask.  A single solve shows elapsed seconds against its time limit once it has run
:data:`SOLVE_DELAY` seconds, so quick solves stay quiet.
"""

from __future__ import annotations

import sys

from tqdm import tqdm

from allocator.status import SEVERITY, Status

SOLVE_DELAY = 3.0
_enabled = False


def enable(on: bool) -> None:
    """Switch progress bars on (if stderr is a terminal) or off."""
    global _enabled
    _enabled = bool(on) and sys.stderr.isatty()


def enabled() -> bool:
    return _enabled


class Points:
    """A bar over ``total`` tasks; :meth:`done` counts one and shows the best and worst status so far."""

    def __init__(self, total: int, label: str):
        self.bar = tqdm(total=total, desc=label, unit="pt", disable=not _enabled, file=sys.stderr, leave=True)
        self.statuses: list[Status] = []

    def done(self, status: Status | None, n: int = 1) -> None:
        if status is not None:
            self.statuses.append(status)
            best = min(self.statuses, key=SEVERITY.index)
            worst = max(self.statuses, key=SEVERITY.index)
            self.bar.set_postfix_str(f"best {best.value}, worst {worst.value}", refresh=False)
        self.bar.update(n)

    def close(self) -> None:
        self.bar.close()

    def __enter__(self) -> Points:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class SolveTicker:
    """Elapsed seconds of one HiGHS run against its time limit (appears after SOLVE_DELAY seconds)."""

    def __init__(self, time_limit: float | None):
        self.total = float(time_limit) if time_limit else None
        self.bar = None

    def tick(self, elapsed: float) -> None:
        if not _enabled or elapsed < SOLVE_DELAY:
            return
        if self.bar is None:
            fmt = "{desc}: {bar} {n:.0f}/{total:.0f} s" if self.total else "{desc}: {n:.0f} s"
            self.bar = tqdm(total=self.total, desc="solving", file=sys.stderr, leave=False, bar_format=fmt)
        self.bar.n = min(elapsed, self.total) if self.total else elapsed
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
