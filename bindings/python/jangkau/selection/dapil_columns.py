"""Exact minimax deviation of a dapil plan by column enumeration and set partitioning.

The flow MILP of :mod:`.dapil_model` finds good plans on ~30 kecamatan, but its LP relaxation
bounds the largest deviation by 0 (a fractional assignment balances every dapil exactly), so
branch and bound never proves them. Here the incumbent's deviation *t*\\ :sub:`h` makes the
problem small instead:

1. **Columns.** Every *connected* set of units (in the piece graph, sea links included) whose
   population can be a dapil of deviation ≤ *t*\\ :sub:`h` — for a seat count *s* ∈ {⌊*q*⌋, ⌊*q*⌋ + 1}
   ∩ [min_seats, max_seats], *q* its quota — is listed by reverse search from its lowest-index unit
   (the ESU algorithm of Wernicke 2006, each connected set exactly once), pruned by population: a
   set above the largest admissible population has no admissible superset (populations are ≥ 0).
   A set must respect the confirmed part (a closed dapil is removed from the graph; a set holding a
   member of an open confirmed dapil holds all of its members and none of another's), every part of
   a split kecamatan it holds must be connected inside that kecamatan, and each component of the
   rest of the graph must be able to hold a dapil (population ≥ the smallest admissible one).
2. **Set partitioning** (HiGHS MILP over binary *z*\\ :sub:`j`): every unit covered once, *D* sets,
   their seats summing to the free seats *L*; the largest-remainder rule of PKPU 6/2022 Pasal 12 is
   exact: a threshold τ with ρ\\ :sub:`j` ≥ τ for the sets rounded up and ρ\\ :sub:`j` ≤ τ for those rounded
   down (ρ the quota's fractional part; written once per lowest-index unit, since the chosen sets
   holding a unit as their lowest are at most one); objective (extra parts of split kecamatan) + *t*
   with *t* ≥ the deviation of the chosen set, again one row per lowest-index unit.

The model holds every plan of deviation ≤ *t*\\ :sub:`h` (the incumbent included), so its optimum
is the optimum of the flow MILP's stage 1: either it equals *t*\\ :sub:`h` (a proof that the incumbent
is optimal) or it is a better plan. A second solve over the same columns minimises the boundary
length between dapil with the optimum kept (stage 2, exact). When the enumeration would exceed
``max_sets`` connected sets or ``max_columns`` columns it stops and says so (status
``"too many sets"``) — no bound is claimed then.

Reference: Wernicke, S. (2006). Efficient detection of network motifs. *IEEE/ACM Transactions on
Computational Biology and Bioinformatics* 3(4), 347–359 (ESU enumeration of connected subgraphs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

__all__ = ["ColumnResult", "connected_sets", "solve_columns"]


def _bits(mask: int) -> list[int]:
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


def connected_sets(nb: list[int], pop: list[float], cap: float, *, max_sets: int | None = None):
    """Yield (mask, population) for every connected set of nodes 0..n−1 (``nb[i]``: bit mask of
    i's neighbours) with population ≤ ``cap``, each exactly once (ESU: a set is grown from its
    lowest node by neighbours of higher index that are not adjacent to the set before). Stops
    with RuntimeError after ``max_sets`` sets (None: no limit)."""
    n = len(nb)
    seen = 0
    for v in range(n):
        if pop[v] > cap:
            continue
        higher = ~((1 << (v + 1)) - 1)
        stack = [(1 << v, nb[v] & higher, nb[v] | (1 << v), pop[v])]
        while stack:
            s, ext, closed_nb, p = stack.pop()
            seen += 1
            if max_sets is not None and seen > max_sets:
                raise RuntimeError(f"more than {max_sets} connected sets")
            yield s, p
            while ext:
                low = ext & -ext
                ext ^= low
                w = low.bit_length() - 1
                pw = p + pop[w]
                if pw > cap:
                    continue
                stack.append((s | low, ext | (nb[w] & higher & ~closed_nb), closed_nb | nb[w], pw))


def _component(start: int, mask: int, nb: list[int]) -> int:
    """The bits of ``mask`` connected to the bit ``start`` through ``nb`` (inside ``mask``)."""
    comp = frontier = start
    while frontier:
        grow = 0
        for i in _bits(frontier):
            grow |= nb[i]
        frontier = grow & mask & ~comp
        comp |= frontier
    return comp


def _component_pops(mask: int, nb: list[int], pop: list[float]) -> list[float]:
    out = []
    while mask:
        comp = _component(mask & -mask, mask, nb)
        out.append(sum(pop[i] for i in _bits(comp)))
        mask &= ~comp
    return out


def _connected_within(mask: int, nb: list[int]) -> bool:
    return not mask or _component(mask & -mask, mask, nb) == mask


@dataclass
class ColumnResult:
    """Outcome of :func:`solve_columns`. status: 'optimal' (the set-partitioning MILP solved to
    optimality: ``deviation`` is the least largest deviation over every plan with the given number
    of dapil, ``parts`` its extra parts), 'infeasible' (no plan of deviation ≤ the cap: the cap is a
    lower bound), 'too many sets' (enumeration stopped: nothing proven), 'stopped' (HiGHS limit
    without proof). assign: node → dapil label of the best plan (stage 2 applied when asked);
    n_sets, n_columns: connected sets visited and columns kept; compactness_status: stage 2's."""

    status: str
    deviation: float = math.nan
    parts: int = 0
    assign: dict[str, str] = field(default_factory=dict)
    n_sets: int = 0
    n_columns: int = 0
    compactness_status: str = ""
    detail: str = ""


def solve_columns(g, spec, cap: float, *, compactness: bool = True, max_sets: int = 3_000_000,
                  max_columns: int = 400_000, time_limit_s: float | None = 60.0,
                  threads: int | None = None) -> ColumnResult:
    """The least (extra parts + largest deviation) over every plan of ``len(spec.labels)`` dapil
    on the piece graph ``g`` whose dapil all have deviation ≤ ``cap`` (module docstring); ``g`` and
    ``spec`` as for :func:`jangkau.selection.dapil_model.solve`. The sets are enumerated in the
    order of ``g.nodes``; new dapil are labelled by increasing lowest member."""
    nodes = list(g.nodes)
    labels = list(spec.labels)
    closed = set(spec.closed)
    conf = {d: int(s) for d, s in spec.fixed_seats.items() if d in labels}
    S = int(spec.total_seats)
    left = S - sum(conf.values())
    bppd = spec.regency_pop / S
    closed_nodes = {v for v, d in spec.fixed_assign.items() if d in closed}
    fixed_pop = sum(g.pop[v] for v in closed_nodes)
    p_free = spec.regency_pop - fixed_pop
    qscale = left / p_free if p_free > 0 else 0.0
    free_nodes = [v for v in nodes if v not in closed_nodes]
    n = len(free_nodes)
    idx = {v: i for i, v in enumerate(free_nodes)}
    n_dapil = len([d for d in labels if d not in closed])
    nbs = g.neighbours()
    nb = [0] * n
    for v in free_nodes:
        for w in nbs[v]:
            if w in idx:
                nb[idx[v]] |= 1 << idx[w]
    pop = [float(g.pop[v]) for v in free_nodes]
    lo, hi = int(spec.min_seats), int(spec.max_seats)
    tol = 1e-9
    # admissible populations: P/(s·BPPd) within 1 ± cap for s in [lo, hi]
    pmax = (1.0 + cap) * hi * bppd * (1 + tol)
    pmin = (1.0 - cap) * lo * bppd * (1 - tol)
    # the confirmed part: open confirmed dapil (members fixed, may grow)
    open_lab: dict[str, int] = {}
    for v, d in spec.fixed_assign.items():
        if d not in closed and v in idx:
            open_lab[d] = open_lab.get(d, 0) | (1 << idx[v])
    any_fixed = 0
    for m in open_lab.values():
        any_fixed |= m
    # split kecamatan: its desa's mask and the inner adjacency (parts must be connected inside it)
    split_mask: dict[str, int] = {}
    for v in free_nodes:
        if g.kec_of[v] in g.split:
            split_mask[g.kec_of[v]] = split_mask.get(g.kec_of[v], 0) | (1 << idx[v])
    inner_nb = [0] * n
    for v in free_nodes:
        k = g.kec_of[v]
        if k in split_mask:
            inner_nb[idx[v]] = nb[idx[v]] & split_mask[k]
    # edge lengths for stage 2: boundary of a set = Σ lengths of links leaving it
    edge_a = np.array([idx.get(a, -1) for a in g.edges["a"]], dtype=np.int64)
    edge_b = np.array([idx.get(b, -1) for b in g.edges["b"]], dtype=np.int64)
    edge_len = g.edges["length_m"].to_numpy(dtype=float)

    cols_mask: list[int] = []
    cols_s: list[int] = []
    cols_dev: list[float] = []
    cols_rem: list[float] = []
    cols_up: list[bool] = []
    cols_parts: list[int] = []
    seen = 0
    try:
        for mask, p in connected_sets(nb, pop, pmax, max_sets=max_sets):
            seen += 1
            if p < pmin:
                continue
            q = p * qscale
            fl = math.floor(q + 1e-9)
            rem = max(q - fl, 0.0)
            options = []
            for s, up in ((fl, False), (fl + 1, True)):
                if lo <= s <= hi:
                    dev = abs(p / (s * bppd) - 1.0)
                    if dev <= cap + tol:
                        options.append((s, up, dev))
            if not options:
                continue
            if mask & any_fixed:
                hit = [m for m in open_lab.values() if mask & m]
                if len(hit) > 1 or (mask & hit[0]) != hit[0]:
                    continue
            parts = 0
            ok = True
            for km in split_mask.values():
                part = mask & km
                if part:
                    if not _connected_within(part, inner_nb):
                        ok = False
                        break
                    parts += 1
            if not ok:
                continue
            rest = ((1 << n) - 1) & ~mask
            if rest and (n_dapil == 1 or min(_component_pops(rest, nb, pop)) < pmin):
                continue
            if not rest and n_dapil != 1:
                continue
            for s, up, dev in options:
                cols_mask.append(mask)
                cols_s.append(s)
                cols_dev.append(dev)
                cols_rem.append(rem)
                cols_up.append(up)
                cols_parts.append(parts)
            if len(cols_mask) > max_columns:
                return ColumnResult("too many sets", n_sets=seen, n_columns=len(cols_mask),
                                    detail=f"more than {max_columns} columns")
    except RuntimeError as exc:
        return ColumnResult("too many sets", n_sets=seen, n_columns=len(cols_mask), detail=str(exc))
    m = len(cols_mask)
    if m == 0:
        return ColumnResult("infeasible", n_sets=seen, n_columns=0, detail="no admissible connected set")
    members = [_bits(mk) for mk in cols_mask]
    lowest = np.array([mb[0] for mb in members], dtype=np.int64)
    is_up = np.array(cols_up)
    rem = np.array(cols_rem)
    dev = np.array(cols_dev)
    seats = np.array(cols_s, dtype=float)
    parts_arr = np.array(cols_parts, dtype=float)
    # rows: 0..n−1 cover; n count; n+1 seats; n+2+v deviation (lowest v); then τ rows (lowest v)
    r_dev, r_up, r_down = n + 2, 2 * n + 2, 3 * n + 2
    nrow = 4 * n + 2
    ri_cover = np.fromiter((i for mb in members for i in mb), dtype=np.int64)
    ci_cover = np.repeat(np.arange(m), [len(mb) for mb in members])
    ri = np.concatenate([ri_cover, np.full(m, n), np.full(m, n + 1), r_dev + lowest,
                         np.where(is_up, r_up, r_down) + lowest])
    ci = np.concatenate([ci_cover, np.arange(m), np.arange(m), np.arange(m), np.arange(m)])
    vals = np.concatenate([np.ones(len(ri_cover)), np.ones(m), seats, -dev, np.where(is_up, 1.0 - rem, -(rem + 1.0))])
    t_col, tau_col = m, m + 1
    # t − Σ dev_j z_j ≥ 0;  τ + Σ_up (1 − ρ_j) z_j ≤ 1;  τ − Σ_down (ρ_j + 1) z_j ≥ −1
    ri = np.concatenate([ri, np.arange(r_dev, r_dev + n), np.arange(r_up, r_up + n), np.arange(r_down, r_down + n)])
    ci = np.concatenate([ci, np.full(n, t_col), np.full(n, tau_col), np.full(n, tau_col)])
    vals = np.concatenate([vals, np.ones(3 * n)])
    row_lo = np.concatenate([np.ones(n), [n_dapil, left], np.zeros(n), np.full(n, -np.inf), np.full(n, -1.0)])
    row_hi = np.concatenate([np.ones(n), [n_dapil, left], np.full(n, np.inf), np.ones(n), np.full(n, np.inf)])
    a = sp.csc_matrix((vals, (ri, ci)), shape=(nrow, m + 2))
    col_lo = np.zeros(m + 2)
    col_hi = np.ones(m + 2)
    cost = np.concatenate([parts_arr, [1.0, 0.0]])
    integ = np.concatenate([np.ones(m, dtype=bool), [False, False]])
    n_split = len(split_mask)
    text, sol = _highs(a, row_lo, row_hi, col_lo, col_hi, cost, integ, time_limit_s, threads)
    if sol is None:
        status = "infeasible" if "infeasible" in text else "stopped"
        return ColumnResult(status, n_sets=seen, n_columns=m, detail=text)
    chosen = np.flatnonzero(sol[:m] > 0.5)
    status = "optimal" if "optimal" in text else "stopped"
    best_dev = float(dev[chosen].max()) if len(chosen) else 0.0
    best_parts = round(float(parts_arr[chosen].sum())) - n_split
    comp_status = ""
    if compactness and status == "optimal" and len(edge_len):
        # stage 2: same parts, deviation within 1e-7 of its optimum; least boundary length
        # boundary of a set = Σ link lengths at its members − 2·Σ lengths of links inside it
        inc = np.zeros((m, n), dtype=bool)
        inc[ci_cover, ri_cover] = True
        boundary = np.zeros(m)
        for ai, bi, le in zip(edge_a.tolist(), edge_b.tolist(), edge_len.tolist()):
            if ai >= 0 and bi >= 0:
                boundary += le * (inc[:, ai] != inc[:, bi])
            elif ai >= 0 or bi >= 0:  # a link to a closed dapil
                boundary += le * inc[:, max(ai, bi)]
        keep = dev <= best_dev + 1e-7
        col_hi2 = col_hi.copy()
        col_hi2[:m] = keep.astype(float)
        cost2 = np.concatenate([boundary / max(float(edge_len.sum()), 1.0), [0.0, 0.0]])
        # keep the parts: Σ parts_j z_j ≤ optimum, as one more row
        a2 = sp.csc_matrix(sp.vstack([a, sp.csr_matrix(np.concatenate([parts_arr, [0.0, 0.0]])[None, :])]))
        row_lo2 = np.concatenate([row_lo, [-np.inf]])
        row_hi2 = np.concatenate([row_hi, [best_parts + n_split + 0.5]])
        text2, sol2 = _highs(a2, row_lo2, row_hi2, col_lo, col_hi2, cost2, integ, time_limit_s, threads)
        if sol2 is not None:
            chosen = np.flatnonzero(sol2[:m] > 0.5)
            comp_status = "optimal" if "optimal" in text2 else "stopped"
        else:
            comp_status = "stopped without a solution"
    assign = _labels(g, spec, free_nodes, closed_nodes, [members[j] for j in chosen], open_lab, idx)
    return ColumnResult(status, best_dev, best_parts, assign, seen, m, comp_status)


def _labels(g, spec, free_nodes, closed_nodes, blocks, open_lab, idx) -> dict[str, str]:
    """node → label: closed dapil keep theirs, a block holding an open confirmed dapil's members
    takes its label, the other blocks take the new labels in order of their lowest node in
    ``g.nodes``."""
    assign = {v: spec.fixed_assign[v] for v in closed_nodes}
    order = {v: i for i, v in enumerate(g.nodes)}
    new_labels = [lab for lab in spec.labels if lab not in spec.closed and lab not in open_lab]
    rest = []
    for b in blocks:
        mask = 0
        for i in b:
            mask |= 1 << i
        lab = next((lab for lab, mk in open_lab.items() if mask & mk), None)
        if lab is None:
            rest.append(b)
        else:
            for i in b:
                assign[free_nodes[i]] = lab
    rest.sort(key=lambda b: min(order[free_nodes[i]] for i in b))
    for lab, b in zip(new_labels, rest):
        for i in b:
            assign[free_nodes[i]] = lab
    return assign


def _highs(a, row_lo, row_hi, col_lo, col_hi, cost, integ, time_limit_s, threads):
    """Solve min cost·x over lo ≤ a·x ≤ hi with HiGHS; (status text, column values or None)."""
    from .milp import exact_highs, highs_lp, highspy_module, run_highs

    highspy = highspy_module()
    h = exact_highs(highspy, time_limit_s=time_limit_s, mip_rel_gap=0.0)
    h.setOptionValue("mip_abs_gap", 0.0)
    h.passModel(highs_lp(highspy, a, cost, col_lo, col_hi, row_lo, row_hi, integ))
    text, _info, x = run_highs(h, threads)
    return text, x
