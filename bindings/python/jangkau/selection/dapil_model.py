"""Exact dapil model: contiguity graph with sea links, split kecamatan, and the HiGHS MILP.

Used by :func:`jangkau.selection.dapil.propose_plan` and :func:`~jangkau.selection.dapil.check_plan`;
the model (variables, constraints, objective) is written out in docs/pilots.md §6.

* :func:`sea_links` — the labelled assumption that makes island regencies groupable: the
  components of a land-adjacency graph are joined by a minimum spanning forest over the
  component-to-component distances, keeping only links not longer than ``max_m``.
* :func:`piece_graph` — the graph on which a plan is checked and proposed: every kecamatan
  is one node, except the kecamatan in ``split`` whose desa are nodes.
* :func:`solve` — one MILP (Shirabe-style single-commodity flow contiguity, seat bounds,
  the exact PKPU 6/2022 Pasal 12 largest-remainder allocation, minimax deviation of
  seats per population, then cut boundary length) solved by HiGHS.
"""

from __future__ import annotations

import itertools
import logging
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..data.contiguity import is_connected

_log = logging.getLogger("jangkau.selection.dapil")

#: Link kinds in a contiguity table (column ``link``).
LAND = "land"
SEA = "sea"                  # between components of the regency graph (assumption, ≤ max distance)
WITHIN = "within_kecamatan"  # between island components of one kecamatan's desa (the kecamatan is one unit)


# --------------------------------------------------------------------------------------
# Graph helpers
# --------------------------------------------------------------------------------------

def components(nodes: Sequence[str], edges) -> list[list[str]]:
    """Connected components (each sorted, listed by their smallest node) of ``nodes`` under
    ``edges`` (pairs; pairs touching other nodes are ignored)."""
    parent = {n: n for n in nodes}

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in edges:
        if a in parent and b in parent:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, list[str]] = {}
    for n in nodes:
        groups.setdefault(find(n), []).append(n)
    return sorted((sorted(g) for g in groups.values()), key=lambda g: g[0])


def sea_links(geoms: Mapping[str, Any], edges, max_m: float | None) -> list[tuple[str, str, float]]:
    """Links joining the components of the graph (``geoms``: node → polygon in a metric CRS,
    ``edges``: existing pairs) — Kruskal's minimum spanning forest over the components, the
    weight of a component pair being the shortest distance between their polygons; a link
    joins the closest pair of nodes of the two components. Links longer than ``max_m`` are
    not added (None: no limit), so components farther apart stay separate. Returns
    (node_a, node_b, distance_m) with node_a < node_b, in the order added (shortest first;
    ties by node codes)."""
    import shapely

    nodes = sorted(geoms)
    comps = components(nodes, edges)
    if len(comps) <= 1:
        return []
    cand = []
    for i in range(len(comps)):
        for j in range(i + 1, len(comps)):
            best = min((float(shapely.distance(geoms[a], geoms[b])), min(a, b), max(a, b))
                       for a in comps[i] for b in comps[j])
            cand.append((best[0], best[1], best[2], i, j))
    cand.sort()
    parent = list(range(len(comps)))

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    out = []
    for d, a, b, i, j in cand:
        if max_m is not None and d > max_m:
            continue
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
            out.append((a, b, d))
    return out


@dataclass
class PieceGraph:
    """Nodes of a plan: whole kecamatan (node = kecamatan code) and, for the kecamatan in
    ``split``, their desa (node = desa code).

    kec_of: node → kecamatan code; pop: node → population (desa populations scaled so a
    split kecamatan's desa sum to its population); edges: DataFrame(a, b, length_m, link,
    distance_m) with a < b; ``link`` is LAND (shared boundary of ``length_m``), SEA or
    WITHIN (``distance_m`` across water).
    """

    nodes: list[str]
    kec_of: dict[str, str]
    pop: dict[str, float]
    edges: pd.DataFrame
    split: frozenset = field(default_factory=frozenset)

    def neighbours(self) -> dict[str, set[str]]:
        nb: dict[str, set[str]] = {n: set() for n in self.nodes}
        for a, b in zip(self.edges["a"], self.edges["b"]):
            nb[a].add(b)
            nb[b].add(a)
        return nb


def _link_rows(links: pd.DataFrame) -> list[tuple[str, str, float, str, float]]:
    """Rows (code_a, code_b, shared_length_m, link, distance_m) of a :func:`kecamatan_links` table."""
    return list(zip(links["code_a"].astype(str), links["code_b"].astype(str),
                    links["shared_length_m"].to_numpy(dtype=float).tolist(), links["link"].astype(str),
                    links["distance_m"].to_numpy(dtype=float).tolist()))


def _edge_frame(rows) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=["a", "b", "length_m", "link", "distance_m"])
    return out.sort_values(["a", "b"], ignore_index=True)


def kecamatan_links(zones_m, adjacency: pd.DataFrame, max_m: float | None) -> pd.DataFrame:
    """Land adjacency of the kecamatan plus the sea links of :func:`sea_links` (``zones_m``:
    kecamatan in a metric CRS with ``code``; may be None when no geometry is known, then no
    sea links). Returns DataFrame(code_a, code_b, shared_length_m, link, distance_m)."""
    adj = adjacency.copy()
    if "link" in adj.columns:  # already has its links (e.g. the attrs of a proposal)
        if "distance_m" not in adj.columns:
            adj["distance_m"] = 0.0
        return adj.reset_index(drop=True)
    adj["code_a"] = adj["code_a"].astype(str)
    adj["code_b"] = adj["code_b"].astype(str)
    adj["link"] = LAND
    adj["distance_m"] = 0.0
    if zones_m is None or "geometry" not in getattr(zones_m, "columns", ()) or not max_m:
        return adj
    geoms = dict(zip(zones_m["code"].astype(str), zones_m.geometry))
    links = sea_links(geoms, zip(adj["code_a"], adj["code_b"]), max_m)
    cols = ["code_a", "code_b", "shared_length_m", "link", "distance_m"]
    if links:
        extra = pd.DataFrame([(a, b, 0.0, SEA, d) for a, b, d in links], columns=cols)
        adj = pd.concat([adj[cols], extra], ignore_index=True)
    return adj.sort_values(["code_a", "code_b"], ignore_index=True)


def piece_graph(kec_codes: Sequence[str], kec_pop: Mapping[str, float], kec_links: pd.DataFrame,
                split: Sequence[str] = (), desa_m=None, kec_m=None, rules=None,
                adjacency=None) -> PieceGraph:
    """The :class:`PieceGraph` with the kecamatan in ``split`` replaced by their desa.

    ``kec_links``: :func:`kecamatan_links`. ``desa_m`` (needed when ``split`` is not empty):
    desa in a metric CRS with code, kecamatan_code, population, geometry; ``kec_m``: the
    kecamatan polygons (metric) for desa–kecamatan adjacency. Land edges between pieces are
    found with the kecamatan rule (``rules``: DapilRules, ROOK/QUEEN, tolerances) on the
    pieces' polygons; a kecamatan-level sea link becomes a link between the closest pieces of
    its two kecamatan; the island components of a split kecamatan's desa are joined by
    WITHIN links (no distance limit: the kecamatan is one administrative unit).
    ``adjacency(polygons, rules)`` (needed when ``split`` is not empty) is the land adjacency
    rule, :func:`jangkau.selection.dapil.kecamatan_adjacency` (passed in, so that this module
    does not import dapil back)."""
    import geopandas as gpd
    import shapely

    split_set = frozenset(str(s) for s in split)
    kec_codes = [str(c) for c in kec_codes]
    link_rows = _link_rows(kec_links)
    rows: list[tuple[str, str, float, str, float]] = []
    if not split_set:
        rows = list(link_rows)
        return PieceGraph(list(kec_codes), {c: c for c in kec_codes}, {c: float(kec_pop[c]) for c in kec_codes},
                          _edge_frame(rows), split_set)
    if desa_m is None or adjacency is None:
        raise ValueError("desa and an adjacency rule are needed to split_set kecamatan")
    desa = desa_m[desa_m["kecamatan_code"].astype(str).isin(split_set)]
    nodes = [c for c in kec_codes if c not in split_set]
    kec_of = {c: c for c in nodes}
    pop = {c: float(kec_pop[c]) for c in nodes}
    geoms: dict[str, Any] = {}
    if kec_m is not None and kec_m.crs != desa_m.crs:
        kec_m = kec_m.to_crs(desa_m.crs)
    kec_geo = dict(zip(kec_m["code"].astype(str), kec_m.geometry)) if kec_m is not None else {}
    for c in nodes:
        geoms[c] = kec_geo.get(c)
    for k in sorted(split_set):
        dk = desa[desa["kecamatan_code"].astype(str) == k]
        if dk.empty:
            raise ValueError(f"kecamatan {k} has no desa")
        dpop = pd.to_numeric(dk["population"], errors="coerce").to_numpy(dtype=float)
        tot = float(np.nansum(dpop))
        share = dpop / tot if tot > 0 else np.full(len(dk), 1.0 / len(dk))
        for code, s, g in zip(dk["code"].astype(str), share, dk.geometry):
            if code in kec_of:
                raise ValueError(f"desa code {code} equals a kecamatan code")
            nodes.append(code)
            kec_of[code] = k
            pop[code] = float(kec_pop[k]) * float(s)
            geoms[code] = g
    # land edges between pieces touching a split_set kecamatan
    near = set(split_set)
    for a, b, _le, link, _di in link_rows:
        if link == LAND and (a in split_set or b in split_set):
            near.update((a, b))
    pieces = [n for n in nodes if kec_of[n] in near]
    pg = gpd.GeoDataFrame({"code": pieces}, geometry=[geoms[n] for n in pieces], crs=desa_m.crs)
    land = adjacency(pg, rules) if len(pg) > 1 else pd.DataFrame(columns=["code_a", "code_b",
                                                                                    "shared_length_m"])
    land_pairs = {(a, b) for a, b, _le, link, _di in link_rows if link == LAND}
    land_pairs |= {(b, a) for a, b in land_pairs}
    for a, b, le in zip(land["code_a"].astype(str), land["code_b"].astype(str),
                        land["shared_length_m"].to_numpy(dtype=float).tolist()):
        ka, kb = kec_of[a], kec_of[b]
        if ka == kb and ka not in split_set:
            continue
        if ka != kb and (ka, kb) not in land_pairs:
            continue  # touching pieces of kecamatan that are not neighbours at kecamatan level
        if ka not in split_set and kb not in split_set:
            continue  # whole–whole pairs come from the kecamatan table
        rows.append((a, b, le, LAND, 0.0))
    for a, b, le, link, _di in link_rows:
        if link == LAND and a not in split_set and b not in split_set:
            rows.append((a, b, le, LAND, 0.0))
    # kecamatan-level sea links → closest pieces
    for a, b, _le, link, _di in link_rows:
        if link == LAND:
            continue
        pa = [n for n in nodes if kec_of[n] == a]
        pb = [n for n in nodes if kec_of[n] == b]
        best = min((float(shapely.distance(geoms[x], geoms[y])), min(x, y), max(x, y)) for x in pa for y in pb)
        rows.append((best[1], best[2], 0.0, link, best[0]))
    # island components inside a split_set kecamatan
    for k in sorted(split_set):
        members = [n for n in nodes if kec_of[n] == k]
        inner = [(a, b) for a, b, *_ in rows if kec_of[a] == k and kec_of[b] == k]
        for a, b, d in sea_links({n: geoms[n] for n in members}, inner, None):
            rows.append((a, b, 0.0, WITHIN, d))
    edges = _edge_frame(rows).drop_duplicates(["a", "b"], ignore_index=True)
    return PieceGraph(nodes, kec_of, pop, edges, split_set)


# --------------------------------------------------------------------------------------
# MILP
# --------------------------------------------------------------------------------------

class _Builder:
    """Sparse MILP in HiGHS form: columns with bounds, cost and integrality; rows lo ≤ a·x ≤ hi."""

    def __init__(self):
        self.lo, self.hi, self.cost, self.integer = [], [], [], []
        self.r, self.c, self.v, self.rlo, self.rhi = [], [], [], [], []

    def var(self, lo=0.0, hi=1.0, cost=0.0, integer=True) -> int:
        self.lo.append(lo)
        self.hi.append(hi)
        self.cost.append(cost)
        self.integer.append(integer)
        return len(self.lo) - 1

    def row(self, cols, vals, lo=-math.inf, hi=math.inf) -> None:
        i = len(self.rlo)
        self.r.extend([i] * len(cols))
        self.c.extend(cols)
        self.v.extend(vals)
        self.rlo.append(lo)
        self.rhi.append(hi)

    def solve(self, time_limit_s, mip_gap, threads, start: Mapping[int, float] | None = None,
              node_limit: int | None = None):
        """Solve with HiGHS; ``start``: values of some columns of a known feasible solution
        (HiGHS completes it and uses it as the first incumbent). Returns (status text,
        dual bound, objective, column values or None)."""

        from .milp import exact_highs, highs_lp, highspy_module, run_highs

        highspy = highspy_module()
        h = exact_highs(highspy, time_limit_s=time_limit_s, mip_rel_gap=mip_gap,
                        output=bool(os.environ.get("JANGKAU_HIGHS_LOG")))
        if node_limit is not None:
            h.setOptionValue("mip_max_nodes", int(node_limit))
        # tuning for this model (measured on Kab. Serang): a smaller cut pool, no cut rounds
        # below the root and no strong branching make nodes several times cheaper
        h.setOptionValue("mip_pool_soft_limit", 300)
        h.setOptionValue("mip_allow_cut_separation_at_nodes", False)
        h.setOptionValue("mip_pscost_minreliable", 0)
        ncol = len(self.lo)
        a = sp.csc_matrix((self.v, (self.r, self.c)), shape=(len(self.rlo), ncol))
        h.passModel(highs_lp(highspy, a, self.cost, self.lo, self.hi, self.rlo, self.rhi, self.integer))
        if start:
            keys = sorted(start)
            h.setSolution(len(keys), np.asarray(keys, dtype=np.int32),
                          np.asarray([start[k] for k in keys], dtype=np.float64))
        text, info, x = run_highs(h, threads)
        return text, float(info.mip_dual_bound), float(info.objective_function_value), x


@dataclass
class Solution:
    """One solved model. ``status``: 'optimal', 'stopped' (node or time limit: a solution,
    not proven optimal; ``bound`` certifies how far it can be from the optimum), 'infeasible'
    (proven), 'unknown' (a limit reached without a solution or a proof).
    assign: node → dapil label; seats: label → seats; parts: extra parts of split kecamatan;
    max_deviation: max over non-confirmed dapil of |P_d/(s_d·BPPd) − 1|; bound: certified
    lower bound on (parts + max_deviation) from HiGHS or from the column proof; cut_m: total
    boundary length between dapil (compactness); proof: what the column proof
    (:mod:`.dapil_columns`) found, empty when it did not run."""

    status: str
    assign: dict[str, str] = field(default_factory=dict)
    seats: dict[str, int] = field(default_factory=dict)
    parts: int = 0
    max_deviation: float = math.nan
    bound: float = math.nan
    cut_m: float = math.nan
    compactness_status: str = ""
    kec_of: dict[str, str] = field(default_factory=dict)
    pop: dict[str, float] = field(default_factory=dict)
    proof: str = ""


@dataclass
class Spec:
    """Input of :func:`solve`. labels: dapil labels, fixed ones first; fixed_assign: node →
    label (confirmed memberships); closed: labels nothing joins; fixed_seats: label → seats
    (confirmed); total_seats, min_seats, max_seats; regency_pop: population of the regency."""

    labels: list[str]
    fixed_assign: dict[str, str]
    closed: set[str]
    fixed_seats: dict[str, int]
    total_seats: int
    min_seats: int
    max_seats: int
    regency_pop: float


#: Margin keeping a largest-remainder fraction strictly below 1 (quota units).
_EPS_REMAINDER = 1e-5


def solve(g: PieceGraph, spec: Spec, *, time_limit_s: float | None = 60.0, mip_gap: float = 0.0,
          threads: int | None = None, compactness: bool = True, seed: int = 0, restarts: int = 24,
          node_limit: int | None = 200, compactness_node_limit: int | None = 0,
          column_max_sets: int | None = 300_000, least_parts: int = 0) -> Solution:
    """Solve the dapil MILP on ``g`` (see docs/pilots.md §6 for the formulation).
    ``node_limit`` caps stage 1's branch-and-bound nodes, ``compactness_node_limit`` stage 2's
    (None: no limit). ``column_max_sets``: when stage 1 stops without proof and the plan's extra
    parts are proven least (none, or the bound reaches them),
    :func:`jangkau.selection.dapil_columns.solve_columns` enumerates up to this many connected
    sets to prove (or improve) the plan exactly, stage 2 included (None or 0: not tried).
    ``least_parts``: a proven lower bound on the extra parts known to the caller (DEFAULT 0).

    Stage 1 minimises (extra parts of split kecamatan) + (max deviation t); t < 1 always
    (|q/s − 1| < 1/s ≤ 1/3), so the sum is lexicographic. Stage 2 keeps both at their
    optimum and minimises the boundary length cut between dapil. A plan found by
    :func:`heuristic` (``seed``, ``restarts``) that meets the rules is HiGHS's first
    incumbent."""
    nodes = list(g.nodes)
    idx = {n: i for i, n in enumerate(nodes)}
    n = len(nodes)
    labels = list(spec.labels)
    D = len(labels)
    S = int(spec.total_seats)
    conf = {d: int(s) for d, s in spec.fixed_seats.items() if d in labels}
    free = [d for d in labels if d not in conf]
    left = S - sum(conf.values())
    fixed_pop = {d: sum(g.pop[v] for v, dd in spec.fixed_assign.items() if dd == d) for d in conf}
    p_free = spec.regency_pop - sum(fixed_pop.values())
    bppd = spec.regency_pop / S
    ks = list(range(spec.min_seats, spec.max_seats + 1))
    edges = list(zip(g.edges["a"], g.edges["b"]))
    lengths = g.edges["length_m"].to_numpy(dtype=float)
    arcs = [(idx[a], idx[b]) for a, b in edges] + [(idx[b], idx[a]) for a, b in edges]

    m = _Builder()
    x = {(i, d): m.var() for i in range(n) for d in range(D)}
    for i, v in enumerate(nodes):
        m.row([x[i, d] for d in range(D)], [1.0] * D, 1.0, 1.0)
        if v in spec.fixed_assign:
            d = labels.index(spec.fixed_assign[v])
            m.lo[x[i, d]] = 1.0
        for d, lab in enumerate(labels):
            if lab in spec.closed and spec.fixed_assign.get(v) != lab:
                m.hi[x[i, d]] = 0.0
    # contiguity: one root per dapil, flow from the root along arcs inside the dapil
    r = {(i, d): m.var() for i in range(n) for d in range(D)}
    big = float(max(n - 1, 1))
    for d, lab in enumerate(labels):
        m.row([r[i, d] for i in range(n)], [1.0] * n, 1.0, 1.0)
        members = sorted(v for v, dd in spec.fixed_assign.items() if dd == lab)
        for i in range(n):
            m.row([r[i, d], x[i, d]], [1.0, -1.0], hi=0.0)
        if members:
            m.lo[r[idx[members[0]], d]] = 1.0
        f = [m.var(0.0, big, 0.0, False) for _ in arcs]
        inflow: dict[int, list[int]] = {i: [] for i in range(n)}
        outflow: dict[int, list[int]] = {i: [] for i in range(n)}
        for k, (i, j) in enumerate(arcs):
            m.row([f[k], x[i, d]], [1.0, -big], hi=0.0)
            m.row([f[k], x[j, d]], [1.0, -big], hi=0.0)
            outflow[i].append(f[k])
            inflow[j].append(f[k])
        for i in range(n):
            cols = inflow[i] + outflow[i] + [x[i, d], r[i, d]]
            vals = [1.0] * len(inflow[i]) + [-1.0] * len(outflow[i]) + [-1.0, float(n)]
            m.row(cols, vals, lo=0.0)
    # valid inequality: a member that is not the root has a neighbour in its dapil
    nbl = g.neighbours()
    for d in range(D):
        for i, v in enumerate(nodes):
            cols = [x[i, d], r[i, d]] + [x[idx[w], d] for w in nbl[v]]
            m.row(cols, [1.0, -1.0] + [-1.0] * len(nbl[v]), hi=0.0)
    # symmetry: free (unconfirmed, empty) labels ordered by the index of their root
    empty = [d for d, lab in enumerate(labels) if not any(dd == lab for dd in spec.fixed_assign.values())]
    for d1, d2 in itertools.pairwise(empty):
        m.row([r[i, d1] for i in range(n)] + [r[i, d2] for i in range(n)],
              [float(i) for i in range(n)] + [-float(i) for i in range(n)], hi=-1.0)
    # ... and the root of a new dapil is its lowest-index member, so that each plan has one
    # representation (no choice of root, no permutation of the new labels):
    #   r[i,d] = 1 ⇒ no member below i:      Σ_{j<i} x[j,d] + i·r[i,d] ≤ i
    #   i a member with no member below it ⇒ r[i,d] = 1:   r[i,d] ≥ x[i,d] − Σ_{j<i} x[j,d]
    for d in empty:
        for i in range(1, n):
            below = [x[j, d] for j in range(i)]
            m.row(below + [r[i, d]], [1.0] * i + [float(i)], hi=float(i))
            m.row(below + [r[i, d], x[i, d]], [1.0] * i + [1.0, -1.0], lo=0.0)
    # seats: y[d,k] = dapil d has k seats
    y = {}
    for d, lab in enumerate(labels):
        for k in ks:
            y[d, k] = m.var()
            if lab in conf:
                m.lo[y[d, k]] = m.hi[y[d, k]] = 1.0 if k == conf[lab] else 0.0
        m.row([y[d, k] for k in ks], [1.0] * len(ks), 1.0, 1.0)
    fd = [labels.index(lab) for lab in free]
    if fd:
        m.row([y[d, k] for d in fd for k in ks], [float(k) for d in fd for k in ks], left, left)
    # largest remainder among the free dapil: quota q_d = P_d·left/P_free; s_d = ⌊q_d⌋ + u_d
    qscale = left / p_free if p_free > 0 else 0.0
    u = {d: m.var() for d in fd}
    pops = [g.pop[v] for v in nodes]

    def rem_terms(d):  # q_d − s_d + u_d  (the fractional remainder)
        cols = [x[i, d] for i in range(n)] + [y[d, k] for k in ks] + [u[d]]
        vals = [pops[i] * qscale for i in range(n)] + [-float(k) for k in ks] + [1.0]
        return cols, vals

    for d in fd:
        cols, vals = rem_terms(d)
        m.row(cols, vals, 0.0, 1.0 - _EPS_REMAINDER)

    def remainder_order() -> None:
        for d in fd:
            for e in fd:
                if d == e:
                    continue
                cd, vd = rem_terms(d)
                ce, ve = rem_terms(e)
                # u_d = 1, u_e = 0  ⇒  rem_d ≥ rem_e:  rem_d − rem_e − u_e + u_d ≥ ... written out:
                m.row(cd + ce + [u[d], u[e]], vd + [-v for v in ve] + [-1.0, 1.0], lo=-1.0)
    # objective t ≥ |P_d/(k·BPPd) − 1| when d has k seats
    # exact linearisation: ty[d,k] = t·y[d,k] (y binary), so t·s_d = Σ_k k·ty[d,k] and
    # −t·s_d ≤ P_d/BPPd − s_d ≤ t·s_d is linear
    t = m.var(0.0, 1.0, 1.0, False)
    for d in fd:
        ty = {}
        for k in ks:
            ty[k] = m.var(0.0, 1.0, 0.0, False)
            m.row([ty[k], y[d, k]], [1.0, -1.0], hi=0.0)
            m.row([ty[k], t], [1.0, -1.0], hi=0.0)
            m.row([ty[k], t, y[d, k]], [1.0, -1.0, -1.0], lo=-1.0)
        qc = [x[i, d] for i in range(n)]
        qv = [pops[i] / bppd for i in range(n)]
        yc = [y[d, k] for k in ks]
        yv = [float(k) for k in ks]
        tc = [ty[k] for k in ks]
        m.row(qc + yc + tc, qv + [-v for v in yv] + [-v for v in yv], hi=0.0)
        m.row(qc + yc + tc, qv + [-v for v in yv] + yv, lo=0.0)
    # split kecamatan: w[K,d] = K has a part in d; each part contiguous inside K
    w = {}
    split = sorted(g.split)
    nb_all = g.neighbours()
    for kc in split:
        mem = [v for v in nodes if g.kec_of[v] == kc]
        inner = [(idx[a], idx[b]) for a in mem for b in sorted(nb_all[a]) if g.kec_of[b] == kc]
        nk = float(max(len(mem) - 1, 1))
        for d in range(D):
            w[kc, d] = m.var(cost=1.0)
            rho = {idx[v]: m.var() for v in mem}
            m.row(list(rho.values()) + [w[kc, d]], [1.0] * len(rho) + [-1.0], 0.0, 0.0)
            inflow = {i: [] for i in rho}
            outflow = {i: [] for i in rho}
            for i, j in inner:
                fl = m.var(0.0, nk, 0.0, False)
                m.row([fl, x[i, d]], [1.0, -nk], hi=0.0)
                m.row([fl, x[j, d]], [1.0, -nk], hi=0.0)
                outflow[i].append(fl)
                inflow[j].append(fl)
            for i, rho_i in rho.items():
                m.row([x[i, d], w[kc, d]], [1.0, -1.0], hi=0.0)
                m.row([rho_i, x[i, d]], [1.0, -1.0], hi=0.0)
                m.row(inflow[i] + outflow[i] + [x[i, d], rho_i],
                      [1.0] * len(inflow[i]) + [-1.0] * len(outflow[i]) + [-1.0, float(len(mem))], lo=0.0)

    start = _start(g, spec, nodes, idx, labels, empty, x, r, y, u, t, w, ks, seed, restarts,
                   time_limit_s)
    if start is None:
        remainder_order()
    else:
        # The heuristic plan's deviation t_h bounds the optimum: only t ≤ t_h matters (docs/pilots.md §6,
        # "tightening by the incumbent"). Then each new dapil with k seats has a quota in
        # [(1 − t_h)·k, (1 + t_h)·k] (rows below, implied for integer points, stronger in the LP), and when
        # max_seats·(|λ − 1|·(1 + t_h) + t_h) < 1/2 (λ = BPPd·left/P_free: the quota scale of the free
        # allocation) every free quota is within 1/2 of its seats, so the largest-remainder order is
        # plain rounding, already implied by 0 ≤ q_d − s_d + u_d < 1 and Σ s_d = left: its D·(D − 1)
        # dense rows are left out.
        t_h = float(start[t])
        m.hi[t] = t_h
        for d in fd:
            qc = [x[i, d] for i in range(n)]
            qv = [pops[i] / bppd for i in range(n)]
            yc = [y[d, k] for k in ks]
            m.row(qc + yc, qv + [-(1.0 + t_h) * k for k in ks], hi=0.0)
            m.row(qc + yc, qv + [-(1.0 - t_h) * k for k in ks], lo=0.0)
        ratio = qscale * bppd
        # (margin 1e-5: stage 2 lets t exceed t_h by 1e-7)
        if not spec.max_seats * (abs(ratio - 1.0) * (1.0 + t_h) + t_h) < 0.5 - 1e-5:
            remainder_order()
    text, dual_bound, _obj, sol = m.solve(time_limit_s, mip_gap, threads, start, node_limit)
    if sol is None:
        if "infeasible" in text:
            return Solution("infeasible")
        return Solution("unknown")
    bound = dual_bound - len(split)
    def read(sol) -> Solution:
        assign = {v: labels[int(np.argmax([sol[x[i, d]] for d in range(D)]))] for i, v in enumerate(nodes)}
        seats = {lab: ks[int(np.argmax([sol[y[d, k]] for k in ks]))] for d, lab in enumerate(labels)}
        parts = sum(len({assign[v] for v in nodes if g.kec_of[v] == kc}) - 1 for kc in split)
        cut = float(sum(le for le, (a, b) in zip(lengths, edges) if assign[a] != assign[b]))
        dpop = dict.fromkeys(labels, 0.0)
        for v, lab in assign.items():
            dpop[lab] += g.pop[v]
        dev = max((abs(dpop[lab] / (seats[lab] * bppd) - 1.0) for lab in free), default=0.0)
        return Solution("", assign, seats, parts, dev, math.nan, cut)

    out = read(sol)
    out.kec_of, out.pop = g.kec_of, g.pop
    t_model = float(sol[t])
    out.status = "optimal" if "optimal" in text else "stopped"
    out.bound = bound
    if out.status != "optimal" and column_max_sets and (out.parts <= least_parts or out.bound >= out.parts - 1e-6):
        # the LP bound of t is 0 on ~30 units: prove (or improve) t by enumerating every connected
        # set that can be a dapil of deviation ≤ the plan's, then set partitioning (dapil_columns).
        # Exact when the plan's extra parts are proven least (none, or HiGHS's bound reaches them):
        # a plan with fewer parts, whatever its deviation, would not be among the columns.
        done = _column_step(g, spec, out, compactness, column_max_sets, time_limit_s, threads)
        if done is not None:
            return done
    if compactness and len(edges):
        # stage 2: same parts, deviation within 1e-7 of its optimum; minimise cut boundary length
        parts_cols = list(w.values())
        if parts_cols:
            m.row(parts_cols, [1.0] * len(parts_cols), hi=out.parts + len(split) + 0.5)
        m.hi[t] = t_model + 1e-7
        for c in range(len(m.cost)):
            m.cost[c] = 0.0
        z = []
        for e, (a, b) in enumerate(edges):
            ze = m.var(0.0, 1.0, float(lengths[e]) / max(float(lengths.sum()), 1.0), False)
            z.append(ze)
            for d in range(D):
                m.row([ze, x[idx[a], d], x[idx[b], d]], [1.0, -1.0, 1.0], lo=0.0)
                m.row([ze, x[idx[a], d], x[idx[b], d]], [1.0, 1.0, -1.0], lo=0.0)
        first = {c: float(round(sol[c])) for c in list(x.values()) + list(r.values()) + list(y.values())
                 + list(u.values()) + list(w.values())}
        text2, _b2, _o2, sol2 = m.solve(time_limit_s, mip_gap, threads, first, compactness_node_limit)
        if sol2 is not None:
            out2 = read(sol2)
            if out2.parts <= out.parts and out2.max_deviation <= out.max_deviation + 1e-6 and out2.cut_m <= out.cut_m:
                out2.status, out2.bound, out2.proof = out.status, out.bound, out.proof
                out2.kec_of, out2.pop = g.kec_of, g.pop
                out = out2
            out.compactness_status = "optimal" if "optimal" in text2 else "stopped"
        else:
            out.compactness_status = "stopped without a solution"
    return out


def evaluate(g: PieceGraph, spec: Spec, assign: Mapping[str, str]) -> Solution:
    """The :class:`Solution` (status '') of a complete assignment node → label: seats by the exact
    largest-remainder allocation (confirmed seats kept), extra parts, largest deviation over the
    non-confirmed dapil, cut boundary length. ValueError when the seats break the seat range."""
    ev = _Eval(g, spec)
    dpop = np.zeros(len(ev.labels))
    for v, lab in assign.items():
        dpop[ev.li[lab]] += g.pop[v]
    bad, _p, dev = ev.key(dpop)
    if bad > 0:
        raise ValueError("the assignment breaks the seat range")
    seats = {lab: int(s) for lab, s in zip(ev.labels, ev.seats(dpop))}
    cut = float(sum(le for le, a, b in zip(g.edges["length_m"].to_numpy(dtype=float), g.edges["a"], g.edges["b"])
                    if assign[a] != assign[b]))
    out = Solution("", dict(assign), seats, _parts(g, assign), float(dev), math.nan, cut)
    out.kec_of, out.pop = g.kec_of, g.pop
    return out


def _column_step(g, spec, out: Solution, compactness, max_sets, time_limit_s, threads) -> Solution | None:
    """Exact stage 1 (and stage 2) over the plans of deviation ≤ ``out``'s by
    :func:`jangkau.selection.dapil_columns.solve_columns`; the proven plan, or None (``out`` keeps
    its status, ``out.proof`` says why) when the enumeration is too large or HiGHS stops."""
    from .dapil_columns import solve_columns

    cr = solve_columns(g, spec, out.max_deviation, compactness=compactness, max_sets=max_sets,
                       time_limit_s=time_limit_s, threads=threads)
    what = f"column enumeration: {cr.n_sets} connected sets, {cr.n_columns} columns"
    if cr.status != "optimal":
        out.proof = f"{what}; {cr.status} ({cr.detail}): not proven"
        _log.info("dapil proof: %s", out.proof)
        return None
    obj = cr.parts + cr.deviation
    try:
        best = evaluate(g, spec, cr.assign)
    except ValueError:  # an exact tie of remainders broken by the labels pushed a seat count out of range
        best = None
    if best is None or best.parts + best.max_deviation > out.parts + out.max_deviation + 1e-9:
        # (only with exact ties of remainders broken otherwise by the labels): keep the MILP plan
        out.bound = max(out.bound, obj)
        out.proof = f"{what}; bound {obj:.6f} (the column plan's seats differ by a tie)"
        return None
    best.status = "optimal" if best.parts + best.max_deviation <= obj + 1e-9 else "stopped"
    best.bound = obj
    best.compactness_status = cr.compactness_status
    gain = out.max_deviation - best.max_deviation
    best.proof = (f"{what}; optimum {best.max_deviation:.6f} "
                  + (f"(improves the MILP plan's {out.max_deviation:.6f})" if gain > 1e-9
                     else "(proves the MILP plan's deviation optimal)"))
    _log.info("dapil proof: %s", best.proof)
    return best


def _start(g, spec, nodes, idx, labels, empty, x, r, y, u, t, w, ks, seed, restarts, time_limit_s):
    """Column values of the heuristic plan (integer columns and t), or None when the
    heuristic found no plan meeting the rules."""
    # fewer restarts on large graphs (deterministic: no clock involved)
    n = len(g.nodes)
    assign = heuristic(g, spec, seed=seed, restarts=restarts if n <= 60 else max(4, restarts * 60 // n))
    if assign is None:
        return None
    ev = _Eval(g, spec)
    # relabel the new dapil so their roots (smallest member index) are in increasing order
    empty_labels = [labels[d] for d in empty]
    groups = sorted(({v for v, lab in assign.items() if lab == el} for el in empty_labels),
                    key=lambda grp: min((idx[v] for v in grp), default=10**9))
    for el, grp in zip(empty_labels, groups):
        for v in grp:
            assign[v] = el
    dpop = np.zeros(len(labels))
    for v, lab in assign.items():
        dpop[ev.li[lab]] += g.pop[v]
    bad, _parts_n, dev = ev.key(dpop)
    if bad > 0:
        return None
    seats = ev.seats(dpop)
    col: dict[int, float] = {}
    fixed_root = {}
    for lab in labels:
        mem = sorted(v for v, dd in spec.fixed_assign.items() if dd == lab)
        if mem:
            fixed_root[lab] = mem[0]
    for d, lab in enumerate(labels):
        mem = [v for v in nodes if assign[v] == lab]
        root = fixed_root.get(lab, mem[0] if mem else None)
        for i, v in enumerate(nodes):
            col[x[i, d]] = 1.0 if assign[v] == lab else 0.0
            col[r[i, d]] = 1.0 if v == root else 0.0
        for k in ks:
            col[y[d, k]] = 1.0 if seats[d] == k else 0.0
    left = ev.left
    tot = dpop[ev.free].sum()
    for d, col_u in u.items():
        q = left * dpop[d] / tot
        col[col_u] = float(seats[d] - math.floor(q + 1e-9))
    for (kc, d), col_w in w.items():
        col[col_w] = 1.0 if any(assign[v] == labels[d] for v in nodes if g.kec_of[v] == kc) else 0.0
    col[t] = float(dev) + 1e-9
    return col


# --------------------------------------------------------------------------------------
# Warm start: seeded region growing + local search (a feasible incumbent for HiGHS)
# --------------------------------------------------------------------------------------

class _Eval:
    """Seats (largest remainder, confirmed seats kept) and the lexicographic key
    (rule violations, extra parts, deviation) of an assignment."""

    def __init__(self, g: PieceGraph, spec: Spec):
        self.g, self.spec = g, spec
        self.labels = list(spec.labels)
        self.li = {lab: i for i, lab in enumerate(self.labels)}
        self.conf = np.array([spec.fixed_seats.get(lab, -1) for lab in self.labels])
        self.free = self.conf < 0
        self.left = spec.total_seats - int(self.conf[~self.free].sum())
        self.bppd = spec.regency_pop / spec.total_seats

    def seats(self, dpop: np.ndarray) -> np.ndarray:
        s = np.where(self.free, 0, self.conf).astype(int)
        fp = dpop[self.free]
        tot = fp.sum()
        if tot <= 0:
            return s
        q = self.left * fp / tot
        fl = np.floor(q + 1e-9).astype(int)
        rem = q - fl
        extra = self.left - int(fl.sum())
        idx = np.flatnonzero(self.free)
        order = sorted(range(len(idx)), key=lambda i: (-round(float(rem[i]), 12), self.labels[idx[i]]))
        for i in order[:extra]:
            fl[i] += 1
        s[idx] = fl
        return s

    def key(self, dpop: np.ndarray, parts: int = 0) -> tuple[float, int, float]:
        s = self.seats(dpop)
        lo, hi = self.spec.min_seats, self.spec.max_seats
        bad = float(np.sum(np.maximum(lo - s, 0) + np.maximum(s - hi, 0))) + 100.0 * float(np.sum(dpop <= 0))
        with np.errstate(divide="ignore", invalid="ignore"):
            dev = np.abs(dpop / (np.maximum(s, 1) * self.bppd) - 1.0)
        t = float(dev[self.free].max()) if self.free.any() else 0.0
        return (bad, parts, t)


def _connected(members: set[str], nb) -> bool:
    return is_connected(members, nb)


def heuristic(g: PieceGraph, spec: Spec, *, seed: int = 0, restarts: int = 24) -> dict[str, str] | None:
    """Best assignment (node → label) found by ``restarts`` seeded runs of region growing and
    local search (moves of one boundary node keeping both dapil contiguous) on the key of
    :class:`_Eval`; None when no run covers every node. A plan meeting the rules is not
    guaranteed: the MILP decides."""
    ev = _Eval(g, spec)
    nb = g.neighbours()
    rng = np.random.default_rng(seed)
    nodes = list(g.nodes)
    fixed = {v: lab for v, lab in spec.fixed_assign.items() if v in nb}
    best, best_key = None, None
    for _ in range(max(int(restarts), 1)):
        assign = dict(fixed)
        used = set(assign.values())
        unassigned = [v for v in nodes if v not in assign]
        ok = True
        for lab in [lab for lab in ev.labels if lab not in used]:
            if not unassigned:
                ok = False
                break
            dist = _hops(nb, list(assign)) if assign else {}
            far = max(dist.get(v, 10**6) for v in unassigned)
            cands = [v for v in unassigned if dist.get(v, 10**6) == far]
            pick = cands[int(rng.integers(len(cands)))]
            assign[pick] = lab
            unassigned.remove(pick)
        if not ok:
            continue
        dpop = np.zeros(len(ev.labels))
        for v, lab in assign.items():
            dpop[ev.li[lab]] += g.pop[v]
        left = set(unassigned)
        while left:
            options: dict[str, list[str]] = {}
            for v in left:
                for w in nb[v]:
                    owner = assign.get(w)
                    if owner is not None and owner not in spec.closed:
                        options.setdefault(owner, []).append(v)
            if not options:
                ok = False
                break
            lab = min(options, key=lambda b: (dpop[ev.li[b]], b))
            cs = sorted(set(options[lab]))
            v = cs[int(rng.integers(len(cs)))]
            assign[v] = lab
            dpop[ev.li[lab]] += g.pop[v]
            left.discard(v)
        if not ok:
            continue
        key = _local_search(g, spec, ev, nb, assign, dpop, fixed, rng)
        if best_key is None or key < best_key:
            best, best_key = dict(assign), key
    return best


def _parts(g, assign) -> int:
    seen: dict[str, set[str]] = {}
    for v, lab in assign.items():
        if g.kec_of[v] in g.split:
            seen.setdefault(g.kec_of[v], set()).add(lab)
    return sum(len(s) - 1 for s in seen.values())


def _local_search(g, spec, ev, nb, assign, dpop, fixed, rng, max_rounds: int = 100):
    members: dict[str, set[str]] = {lab: set() for lab in ev.labels}
    for v, lab in assign.items():
        members[lab].add(v)
    best = ev.key(dpop, _parts(g, assign))
    for _ in range(max_rounds):
        moves = sorted({(v, assign[w]) for v in assign if v not in fixed for w in nb[v]
                        if assign[w] != assign[v] and assign[w] not in spec.closed})
        rng.shuffle(moves)
        improved = False
        for v, b in moves:
            a = assign[v]
            if a == b or not any(assign[w] == b for w in nb[v]):
                continue
            ia, ib = ev.li[a], ev.li[b]
            dpop[ia] -= g.pop[v]
            dpop[ib] += g.pop[v]
            assign[v] = b
            key = ev.key(dpop, _parts(g, assign) if g.split else 0)
            if key < best and _connected(members[a] - {v}, nb):
                members[a].discard(v)
                members[b].add(v)
                best, improved = key, True
            else:
                dpop[ia] += g.pop[v]
                dpop[ib] -= g.pop[v]
                assign[v] = a
        if not improved:
            break
    return best


def _hops(nb, sources) -> dict[str, int]:
    dist = dict.fromkeys(sources, 0)
    frontier = list(sources)
    while frontier:
        nxt = []
        for v in frontier:
            for w in nb[v]:
                if w not in dist:
                    dist[w] = dist[v] + 1
                    nxt.append(w)
        frontier = nxt
    return dist
