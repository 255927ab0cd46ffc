"""Two exact solvers racing on the two cores: the first to prove its answer stops the other.

No one MCLP method wins every instance. Plain HiGHS without a start proved SYNTHETIC clustered
5000 × 300 (``benchmarks/bench_siting.py``) in 3.9 s on one core, where the Lagrangian
machinery of :mod:`.siting_mclp_exact` took 7.9 s and did not finish within `auto`'s 10 s; on
other rows the machinery finishes first (docs/siting.md § The race). On a machine with two
cores, :func:`race` runs both at once, one per core, and keeps the better answer with the tighter
of the two bounds (both are valid for the same instance). The loser is stopped through a
``jangkau._core.StopFlag``: HiGHS's interrupt callbacks and the engine's Lagrangian loops check it,
and wind down with their best answer so far, as at their deadline.

Which racer finishes first depends on timing. Where several site sets reach the optimum, which
one comes back can therefore differ between runs; :func:`wanted` keeps the race off where the
caller asked for identical reruns (a node limit, ``threads=1``, no time limit).
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable
from typing import TypeVar

from .. import _core

__all__ = ["available_cores", "race", "wanted"]

R = TypeVar("R")


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
