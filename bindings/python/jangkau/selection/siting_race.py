"""Two exact solvers racing on the two cores: the first to prove its answer stops the other.

No one MCLP method wins every instance. Plain HiGHS without a start proved SYNTHETIC clustered
5000 × 300 (``benchmarks/bench_siting.py``) in 3.9 s on one core, where the Lagrangian
machinery of :mod:`.siting_mclp_exact` took 7.9 s and did not finish within `auto`'s 10 s; on
other rows the machinery finishes first (docs/siting.md § The race). On a machine with two
cores, :func:`race` runs both at once, one per core, and keeps the better answer with the tighter
of the two bounds (both are valid for the same instance). The loser is stopped through a
``jangkau._core.StopFlag``: HiGHS's interrupt callbacks and the engine's Lagrangian loops check it,
and wind down with their best answer so far, as at their deadline. On the way, every better
site set the machinery finds is handed to the racing HiGHS (:class:`Incumbents`), which takes it
up while it runs: on clustered 5000 × 300 the machinery's kernel search finds the optimum about
2.3 s into the call and the racer, past its root LP by then, proves it within about 0.2 s.

Which racer finishes first depends on timing. Where several site sets reach the optimum, which
one comes back can therefore differ between runs; :func:`wanted` keeps the race off where the
caller asked for identical reruns (a node limit, ``threads=1``, no time limit).
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from .. import _core

__all__ = ["Incumbents", "available_cores", "race", "wanted"]

R = TypeVar("R")


class Incumbents:
    """The best solution either racer has posted so far, shared between the two threads: the
    machinery posts the better site sets its Lagrangian heuristic and kernel MILP find, and plain
    HiGHS takes each one up as a MIP solution of its own (HiGHS's user-solution callback, between
    its cut rounds and before its dives). Plain HiGHS without a start proved SYNTHETIC clustered
    5000 × 300 in 3.6 s on one core, and in 1.0 s from the optimal site set
    (docs/siting.md § The race). ``maximise``: whether a larger objective is better."""

    def __init__(self, maximise: bool) -> None:
        self._lock = threading.Lock()
        self._maximise = bool(maximise)
        self._version = 0
        self._value = math.nan
        self._sites: tuple[int, ...] = ()

    def post(self, value: float, sites) -> bool:
        """Keeps ``sites`` (candidate indices) with objective ``value`` when it beats the best so
        far; returns whether it did."""
        value = float(value)
        if not math.isfinite(value):
            return False
        with self._lock:
            if math.isfinite(self._value) and not (value > self._value if self._maximise else value < self._value):
                return False
            self._value = value
            self._sites = tuple(sorted(int(j) for j in sites))
            self._version += 1
            return True

    def newer(self, seen: int) -> tuple[int, float, tuple[int, ...]] | None:
        """(version, objective, sites) of the best solution when it was posted after version
        ``seen`` (0 = none seen yet), else None."""
        with self._lock:
            if self._version <= seen:
                return None
            return self._version, self._value, self._sites

    def offers(self, vector: Callable[[tuple[int, ...]], Any], record: list[float] | None = None) -> Callable[[], Any]:
        """An ``offer`` callback for :func:`~jangkau.selection.siting_highs.solve_milp`: each call
        returns ``vector(sites)`` for the best solution posted since the callback last handed one
        over (None when there is none), and appends its objective to ``record``."""
        seen = 0

        def offer():
            nonlocal seen
            got = self.newer(seen)
            if got is None:
                return None
            seen = got[0]
            if record is not None:
                record.append(got[1])
            return vector(got[2])

        return offer


def available_cores() -> int:
    """The CPU cores this process may run on (its affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def wanted(threads: int | None, time_limit_s: float | None, node_limit: int | None) -> bool:
    """Whether a race may run: ``threads`` None or 0 (the default: the machine's cores) or at
    least 2, at least two cores available, a finite ``time_limit_s`` (a budget already makes the
    answer depend on the machine's speed) and no ``node_limit`` (set for identical reruns, as the
    pipeline does)."""
    if threads is not None and 0 < int(threads) < 2:
        return False
    if time_limit_s is None or not math.isfinite(float(time_limit_s)) or node_limit is not None:
        return False
    return available_cores() >= 2


def race(home: Callable[[_core.StopFlag], R], away: Callable[[_core.StopFlag], R | None],
         decided: Callable[[R], bool]) -> tuple[R, R | None, str | None]:
    """Runs ``away(stop)`` in a new thread while ``home(stop)`` runs in the calling thread (where
    signals arrive: Ctrl-C during the race stops both and is raised here). The first result for
    which ``decided`` is true sets ``stop``, so the other call winds down and returns its best so
    far; otherwise both run to their own limits. Returns (home's result, away's result or None
    when it had none, "home" or "away" for the first decided result or None). An exception of
    ``away`` is raised here once both have ended; one of ``home`` stops ``away`` first."""
    stop = _core.StopFlag()
    lock = threading.Lock()
    box: dict = {}

    def finish(name: str, r) -> None:
        if r is not None and decided(r):
            with lock:
                box.setdefault("first", name)
            stop.set()

    def run_away() -> None:
        try:
            r = away(stop)
            box["result"] = r
            finish("away", r)
        except BaseException as exc:  # noqa: BLE001 - raised again in the calling thread below
            box["error"] = exc

    worker = threading.Thread(target=run_away, name="jangkau-race", daemon=True)
    worker.start()
    try:
        mine = home(stop)
        finish("home", mine)
        worker.join()
    finally:  # an exception (Ctrl-C included) in the calling thread: the worker stops first
        stop.set()
        worker.join()
    if "error" in box:
        raise box["error"]
    return mine, box.get("result"), box.get("first")
