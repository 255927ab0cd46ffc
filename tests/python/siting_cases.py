"""Seeded SYNTHETIC siting instances shared by the siting tests (test_siting.py,
test_siting_search.py)."""

from __future__ import annotations

import numpy as np


def clustered(seed: int, n: int, m: int, k: int = 3):
    """Demand in k Gaussian clusters (sd 0.06 around uniform centres), candidates half
    near the clusters and half uniform; integer weights. SYNTHETIC, fixed seed."""
    rng = np.random.default_rng(1000 + seed)
    centres = rng.random((k, 2))
    d = centres[rng.integers(0, k, n)] + rng.normal(0, 0.06, (n, 2))
    near = centres[rng.integers(0, k, m - m // 2)] + rng.normal(0, 0.1, (m - m // 2, 2))
    c = np.vstack([near, rng.random((m // 2, 2))])
    w = rng.integers(1, 20, n).astype(np.float64)
    cost = np.hypot(d[:, None, 0] - c[None, :, 0], d[:, None, 1] - c[None, :, 1])
    return w, cost
