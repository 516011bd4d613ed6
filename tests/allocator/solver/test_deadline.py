"""The time limit kept between HiGHS's own looks at its clock (:class:`allocator.solver.highs.Deadline`)."""

from __future__ import annotations

from allocator.data import InstanceData
from allocator.instance import load_instance
from allocator.procedures.modes import build, weighted
from allocator.scenario import Scenario
from allocator.solver import highs
from allocator.solver.highs import Deadline
from allocator.status import Status

# Seconds at which HiGHS called its MIP interrupt callback on gen:XL:0 (hold-harmless): after presolve and the
# root LP, then once per root cut round, 20-29 s apart.  Left to itself, HiGHS ended a 100 s run at 120.9 s.
XL_CALLBACKS = [3.2, 3.2, 5.2, 34.1, 57.4, 79.0, 100.4, 120.9, 141.3, 162.0, 183.1]


def test_it_stops_at_the_last_callback_before_the_limit():
    """With 180 s: the longest wait so far is 28.9 s (5.2 → 34.1), so at 141.3 s the next callback may come by
    170.2 s (go on) and at 162.0 s only by 190.9 s (stop)."""
    deadline = Deadline(180.0)
    stops = [t for t in XL_CALLBACKS if deadline.too_late(t)]
    assert stops[0] == 162.0


def test_the_wait_before_the_first_callback_does_not_count():
    """Presolve and the root LP come once: a first callback at 6 s with a 10 s limit is no reason to stop."""
    deadline = Deadline(10.0)
    assert not deadline.too_late(6.0)
    assert not deadline.too_late(6.5)
    assert deadline.too_late(9.6)  # 9.6 + 3.1 > 10


def test_no_limit_never_stops():
    deadline = Deadline(None)
    assert not any(deadline.too_late(t) for t in XL_CALLBACKS)
    assert Deadline(float("inf")).limit is None


def test_a_stop_at_the_deadline_is_reported_as_the_time_limit(monkeypatch):
    """Wired through HiGHS's callback: a deadline that always says stop ends gen:S:0 (optimal in a blink
    otherwise) at its first callback with the greedy start as a time-limited solution, not an error, and
    says why."""
    monkeypatch.setattr(highs.Deadline, "too_late", lambda self, elapsed: self.limit is not None)
    run = build(InstanceData.prepare(load_instance("gen:S:0"), Scenario(solver={"time_limit": 30})))
    (_, rep), = weighted(run)
    assert rep.status is Status.TIME_LIMIT_FEASIBLE and rep.objective is not None
    assert rep.highs_status == highs.DEADLINE_STATUS
