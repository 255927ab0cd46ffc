"""The MCLP's preprocessing done once per milp_mclp call and shared by both stages of the guard
(siting_milp.mclp_preprocess), and the one MCLP objective function (siting_guard.mclp_value /
mclp_covered). Checked against brute force over every site set (test_siting_mclp_bb._optimum)
and by hand on SYNTHETIC Gaussian-clustered instances (as test_siting_mclp_exact.py).
"""

from __future__ import annotations

import numpy as np
import pytest
from test_siting_mclp_bb import _optimum, _rows
from test_siting_mclp_exact import _cases, _prepare, instance

from jangkau.selection import siting_milp, siting_reductions
from jangkau.selection.siting_guard import mclp_covered, mclp_value


@pytest.mark.parametrize("limit", [None, 120.0])
def test_preprocessing_runs_once_for_both_stages(limit, monkeypatch):
    """The guard's plain stage and the machinery share one preprocessing: identical rows are
    merged and the dominance test run once on the instance (the kernel MILP is another, smaller
    instance with its own). The plain stage gets no node here, so both stages run."""
    from jangkau.selection import siting_guard

    monkeypatch.setattr(siting_guard, "PLAIN_NODES", 0)
    calls: list = []
    real_prep, real_dominated = siting_milp.mclp_preprocess, siting_reductions.dominated_candidates

    def prep(pr, *args, **kw):
        calls.append(("prep", id(pr)))
        return real_prep(pr, *args, **kw)

    def dominated(a_sub, *args, **kw):
        calls.append(("dominated", a_sub.shape))
        return real_dominated(a_sub, *args, **kw)

    monkeypatch.setattr(siting_milp, "mclp_preprocess", prep)
    monkeypatch.setattr(siting_reductions, "dominated_candidates", dominated)
    w, a = instance("clustered", 42, 200, 24)
    p = 4
    pr = _prepare(w, a)
    r = siting_milp.milp_mclp(pr, p, limit, 1e-9, 0, start_sites=np.arange(p))
    assert r.extra["milp_guard_stage"] == "machinery" and r.status == "optimal"
    assert r.objective == pytest.approx(_optimum(w, a, p, {}), rel=1e-12)
    assert calls.count(("prep", id(pr))) == 1
    full = [c for c in calls if c[0] == "dominated" and c[1][1] == pr.m]
    assert len(full) == 1, calls


def test_mclp_value_is_the_covered_weight():
    """mclp_value / mclp_covered (the one objective function of the guard and milp_mclp) equal the
    covered weight counted by hand, with fixed sites and pre-covered demand."""
    for w, a, p, kw in _cases("clustered", None):
        pr = _prepare(w, a, **kw)
        rw, const, free = _rows(w, a, kw)
        sites = np.flatnonzero(free)[:p]
        by_hand = const + float(rw[(a[:, sites] > 0).any(axis=1)].sum())
        assert mclp_value(pr, sites) == pytest.approx(by_hand, rel=1e-12)
        assert float(w[mclp_covered(pr, sites)].sum()) == pytest.approx(by_hand, rel=1e-12)
