"""Progress on the terminal: points done, ETA and the best/worst status so far (tqdm, on stderr).

Shown only when stderr is a terminal and the command was not asked for ``--json``; the CLI
switches it on with :func:`enable`.  Library callers (tests, notebooks) see nothing unless they
ask.  A single solve shows elapsed seconds against its time limit once it has run
:data:`SOLVE_DELAY` seconds, so quick solves stay quiet, and how far its best plan so far can be from
the optimum (HiGHS's relative gap) once it has one.

A program that runs regio for someone else (the web app's workers) follows the same events with
:func:`watch`: a ``listener`` receives each event as a dict (``{"phase": "solving", "seconds": 12.4,
"time_limit": 60, "best": 10321.4, "bound": 10332.0, "gap": 0.00103}`` — best, bound and gap are None
until HiGHS has a plan; ``{"done": 3, "total": 9}``), and a ``stop`` callable, asked every 0.2 s during a
solve and at every point, ends the work with :class:`~allocator.errors.Cancelled`.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tqdm import tqdm

from allocator.errors import Cancelled
from allocator.status import SEVERITY, Status

SOLVE_DELAY = 3.0
_enabled = False
_listener: Callable[[dict], None] | None = None
_stop: Callable[[], bool] | None = None


@contextmanager
def watch(listener: Callable[[dict], None] | None = None, stop: Callable[[], bool] | None = None) -> Iterator[None]:
    """Send progress events to ``listener`` and honour ``stop`` while the block runs (one watcher at a time)."""
    global _listener, _stop
    saved = _listener, _stop
    _listener, _stop = listener, stop
    try:
        yield
    finally:
        _listener, _stop = saved


def report(**event) -> None:
    """Tell the watcher (if any) where the work stands: a phase, seconds, points done."""
    if _listener is not None:
        _listener(event)


def watched() -> bool:
    """Whether a watcher with a stop request is installed (then solves listen for it)."""
    return _stop is not None


def stop_requested() -> bool:
    """Whether the watcher asks the work to stop."""
    return _stop is not None and bool(_stop())


def stop_if_requested(what: str) -> None:
    """Raise :class:`~allocator.errors.Cancelled` (naming ``what`` was under way) if a stop was asked for."""
    if stop_requested():
        raise Cancelled(what)


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
        report(done=int(self.bar.n + n), total=int(self.bar.total or 0))
        stop_if_requested("the points")
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
    """Elapsed seconds of one HiGHS run against its time limit (appears after SOLVE_DELAY seconds), with the
    best plan's objective, the bound and the relative gap between them once HiGHS has an incumbent."""

    def __init__(self, time_limit: float | None, quiet: bool = False):
        self.total = float(time_limit) if time_limit else None
        self.bar = None
        self.quiet = quiet  # a solve beside the one the user waits for: no events, no bar
        self.search: tuple[float, float, float] | None = None  # (best, bound, gap), all finite

    def found(self, best: float, bound: float, gap: float) -> None:
        """HiGHS's incumbent objective, best bound and relative gap (from its callback thread)."""
        if all(math.isfinite(x) for x in (best, bound, gap)):
            self.search = (best, bound, gap)

    def tick(self, elapsed: float) -> None:
        if self.quiet:
            return
        best, bound, gap = self.search or (None, None, None)
        report(phase="solving", seconds=round(elapsed, 1), time_limit=self.total, best=best, bound=bound, gap=gap)
        if not _enabled or elapsed < SOLVE_DELAY:
            return
        if self.bar is None:
            fmt = "{desc}: {bar} {n:.0f}/{total:.0f} s" if self.total else "{desc}: {n:.0f} s"
            self.bar = tqdm(total=self.total, desc="solving", file=sys.stderr, leave=False, bar_format=fmt)
        self.bar.n = min(elapsed, self.total) if self.total else elapsed
        self.bar.set_description_str("solving" if gap is None else f"solving, best plan within {gap:.2%}", refresh=False)
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
