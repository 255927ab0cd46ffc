"""The HiGHS MILP solver (highspy), shared by the facility-location models
(:mod:`.siting`) and the dapil proposer (:mod:`.dapil_model`, :mod:`.dapil_columns`)."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time

from ..errors import InvalidInputError

__all__ = ["exact_highs", "highspy_module", "highs_lp", "new_highs", "run_highs", "run_controlled"]


def highspy_module():
    """The ``highspy`` module; InvalidInputError naming the extra to install when it is missing."""
    try:
        import highspy
    except ImportError as exc:  # pragma: no cover - highspy is a declared optional dependency
        raise InvalidInputError("the exact MILP needs highspy (pip install jangkau[optimize])") from exc
    return highspy


def new_highs(highspy):
    """A silent ``highspy.Highs()`` instance."""
    # HiGHS prints a banner to fd 1 from its constructor, before any option can silence it;
    # a CLI writing results to stdout must not get it, so fd 1 is pointed at devnull meanwhile.
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            return highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def highs_lp(highspy, a, cost, col_lo, col_hi, row_lo, row_hi, integer, *, minimize: bool = True):
    """A ``highspy.HighsLp``: min (or max) cost·x over col_lo ≤ x ≤ col_hi, row_lo ≤ a·x ≤ row_hi,
    ``integer[j]`` marking integer columns (``a``: any scipy sparse matrix, duplicates summed)."""
    import numpy as np
    import scipy.sparse as sp

    a = sp.csc_matrix(a)
    a.sum_duplicates()
    a.sort_indices()
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = a.shape[1], a.shape[0]
    lp.col_cost_ = np.asarray(cost, dtype=np.float64)
    lp.col_lower_ = np.asarray(col_lo, dtype=np.float64)
    lp.col_upper_ = np.asarray(col_hi, dtype=np.float64)
    lp.row_lower_ = np.asarray(row_lo, dtype=np.float64)
    lp.row_upper_ = np.asarray(row_hi, dtype=np.float64)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = a.shape[1], a.shape[0]
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(np.float64)
    lp.integrality_ = [highspy.HighsVarType.kInteger if b else highspy.HighsVarType.kContinuous for b in integer]
    lp.sense_ = highspy.ObjSense.kMinimize if minimize else highspy.ObjSense.kMaximize
    return lp


def exact_highs(highspy, *, time_limit_s: float | None, mip_rel_gap: float, output: bool = False):
    """A :func:`new_highs` instance set up as the exact dapil models (:mod:`.dapil_model`,
    :mod:`.dapil_columns`) use it: ``time_limit_s`` (seconds; None = no limit), ``mip_rel_gap``
    (the relative gap at which HiGHS stops; its default is 1e-4), primal and MIP feasibility
    tolerances of 1e-9 (HiGHS's defaults: 1e-7 and 1e-6) and HiGHS's own log only when
    ``output``. Callers add the options of their model; the thread count goes to
    :func:`run_highs`."""
    h = new_highs(highspy)
    h.setOptionValue("output_flag", bool(output))
    if time_limit_s is not None:
        h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    h.setOptionValue("mip_feasibility_tolerance", 1e-9)
    h.setOptionValue("primal_feasibility_tolerance", 1e-9)
    return h


# HiGHS runs its parallel work (symmetry detection, clique table, parallel simplex) on a task
# scheduler that each user thread starts with its first run's `threads` option and keeps (HiGHS
# pull request 818). A later run on the same thread whose option differs fails at run() ("the
# scheduler has already been initialized to use N threads") and comes back without a solution:
# in one Python process, `threads=0` then `threads=1` turned an optimal MCLP into an error. So each
# thread remembers the count it started its scheduler with, and a run asking for another count
# first shuts that scheduler down (Highs.resetGlobalScheduler acts on the calling thread's). The
# first run of a thread shuts down whatever scheduler code outside jangkau may have started there.
_THREAD_STATE = threading.local()

# Signals that end a run early and then take effect (SIGINT: Ctrl-C and Jupyter's "interrupt";
# SIGTERM, SIGHUP: the CLI's clean-up). While HiGHS runs, Python's handlers execute inside
# HiGHS's callbacks, where the KeyboardInterrupt they raise was lost: Ctrl-C half a second into a
# time-limited MCLP ended HiGHS in "solve error" and milp_mclp raised InfeasibleError ("HiGHS
# found no solution"); without a time limit no callback ran, so nothing stopped HiGHS.
_STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


@contextlib.contextmanager
def _signals_deferred(received: list):
    """In the main thread: the stop signals only append to ``received`` meanwhile (those not
    ignored), and on exit the previous handlers come back and the first signal received is raised
    again, so it takes effect then as it would have (KeyboardInterrupt for Ctrl-C). Elsewhere
    (signal handlers belong to the main thread): nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    try:
        for signum in _STOP_SIGNALS:
            handler = signal.getsignal(signum)
            if handler in (signal.SIG_IGN, None):
                continue
            previous[signum] = handler
            signal.signal(signum, lambda number, _frame: received.append(number))
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if received:
        signal.raise_signal(received[0])


def run_controlled(h, threads: int | None, deadline: float | None = None, stop=None, offer=None,
                   post=None) -> str | None:
    """Every HiGHS run of the package: ``h.run()`` with HiGHS's ``threads`` option set to ``threads`` (None or 0: HiGHS's
    default; this thread's HiGHS scheduler is restarted when it runs with another count), stopped
    by HiGHS's interrupt callbacks (simplex, IPM, MIP) once ``time.perf_counter()`` passes
    ``deadline`` (HiGHS checks its own time limit only between some phases and overran it
    several-fold on large p-medians), once another thread sets ``stop`` (a
    ``jangkau._core.StopFlag``: the race of :mod:`.siting_race`), or when a stop signal arrives,
    which is then raised again (:func:`_signals_deferred`). ``offer()`` (optional) is asked at
    HiGHS's user-solution points (after its setup, between the root's cut rounds, before each
    dive) for a full column vector to take up as a MIP solution, or None (HiGHS checks it and
    keeps it only when it is feasible and better). ``post(x)`` (optional) gets a copy of the full
    column vector of every improving MIP solution HiGHS finds. Returns the status that says what
    stopped the run early ("time limit reached" for the deadline, "stopped" for ``stop``), or None."""
    want = max(int(threads or 0), 0)
    reset = getattr(type(h), "resetGlobalScheduler", None)  # absent from older highspy releases
    if getattr(_THREAD_STATE, "threads", None) != want and reset is not None:
        reset(True)
        _THREAD_STATE.threads = want
    h.setOptionValue("threads", want)
    received: list = []
    stopped: str | None = None

    def check(event) -> None:
        nonlocal stopped
        if received:
            event.interrupt()
        elif deadline is not None and time.perf_counter() > deadline:
            stopped = "time limit reached"
            event.interrupt()
        elif stop is not None and stop.is_set():
            stopped = "stopped"
            event.interrupt()

    def give(event) -> None:
        x = offer()
        if x is not None:
            event.data_in.setSolution(x)

    for name in ("cbSimplexInterrupt", "cbIpmInterrupt", "cbMipInterrupt"):
        callback = getattr(h, name, None)  # highspy's callback events: absent from older releases
        if callback is not None:
            callback.subscribe(check)
    user = getattr(h, "cbMipUserSolution", None)
    if offer is not None and user is not None:
        user.subscribe(give)

    def found(event) -> None:
        import numpy as np

        post(np.array(event.data_out.mip_solution, dtype=np.float64))

    improving = getattr(h, "cbMipImprovingSolution", None)
    if post is not None and improving is not None:
        improving.subscribe(found)
    with _signals_deferred(received):
        h.run()
    return stopped


def run_highs(h, threads: int | None = None, deadline: float | None = None, stop=None, offer=None, post=None):
    """Run a HiGHS instance that holds its model with ``threads`` until ``deadline`` or ``stop``
    (:func:`run_controlled`; a stop signal ends it): (model status in lower case, e.g.
    "optimal", "time limit reached" — also when the deadline stopped it —, "stopped" when
    ``stop`` did, "infeasible"; the ``HighsInfo``; the column values, or None when HiGHS has no
    feasible primal solution). ``offer``: solutions handed to HiGHS while it runs, ``post``: the
    solutions it finds, as they come (:func:`run_controlled`)."""
    import numpy as np

    text = run_controlled(h, threads, deadline, stop, offer, post) or h.modelStatusToString(h.getModelStatus()).lower()
    info = h.getInfo()
    x = np.asarray(h.getSolution().col_value) if info.primal_solution_status == 2 else None
    return text, info, x
