"""Electoral-district (dapil) plans for a regency DPRD: load, check, propose.

A *plan* is a table ``kecamatan_code, dapil, seats[, desa_codes]`` (one row per kecamatan,
or per part of a split kecamatan; ``seats`` is the seat count of the row's dapil, repeated
on each of its rows). :func:`check_plan`
lists every violation of the rules for regency/city DPRD dapil:

* COMPLETE — every kecamatan of the regency is in the plan, and only those;
* WHOLE_KECAMATAN — a dapil is a kecamatan or a union of whole kecamatan
  (UU 7/2017 on DPRD kabupaten/kota dapil); a kecamatan split over dapil is flagged;
* SEAT_RANGE — 3 to 12 seats per dapil (same law);
* SEAT_TOTAL — the seats sum to the regency total (given, or from the population
  brackets of UU 7/2017 Pasal 191: 50 seats for 1–3 million people);
* CONTIGUITY — the kecamatan of a dapil form one connected group on the kecamatan
  adjacency graph (principle of *integralitas wilayah*, UU 7/2017 Pasal 185);
* PROPORTIONAL_ALLOCATION — seats equal the population-proportional allocation of
  PKPU 6/2022 Pasal 12: BPPd = regency population / seats, quota = dapil population /
  BPPd, integer parts first, remaining seats by largest remainder;
* POPULATION — a kecamatan without population (the allocation cannot be checked);
* SPLIT_KECAMATAN — parts of a split kecamatan (rows with ``desa_codes``) must cover its
  desa once and be contiguous; every split is reported as a note;
* SEA_LINK — a note for each sea link (an assumption joining island components) a dapil uses.

:func:`propose_plan` builds an **illustrative** plan that satisfies these rules by an exact
MILP (HiGHS; :mod:`jangkau.selection.dapil_model`): flow contiguity, 3–12 seats by the
exact largest-remainder allocation, minimising the largest deviation of population per
seat, then the boundary length between dapil; kecamatan are split (desa as building
blocks) only when whole kecamatan admit no plan; a confirmed part stays fixed. When no plan
exists it raises :class:`NoPlanError` with the reasons. Every output is labelled
ILLUSTRATIVE. Legal sources, the model and its assumptions: docs/pilots.md.
"""


from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data.contiguity import components
from ..errors import InfeasibleError, InvalidInputError, UnknownColumnError
from . import dapil_check as _check
from .dapil_check import (
    ILLUSTRATIVE,
    Adjacency as Adjacency,
    DapilRules,
    Rule as Rule,
    Severity as Severity,
    allocate_dapil_seats,
    check_plan as check_plan,
    code_text,
    contiguity_links,
    kecamatan_adjacency,
    load_plan as load_plan,
    metric_zones,
    neighbour_sets,
    regency_seats,
    sea_link_layer as sea_link_layer,
)

_log = logging.getLogger("jangkau.selection.dapil")

#: The default rules (3–12 seats, rook adjacency, sea links up to 50 km).
_DEFAULT_RULES = DapilRules()

__all__ = [*_check.__all__, "NoPlanError", "ProposalOptions", "propose_plan"]


# --------------------------------------------------------------------------------------
# Proposal
# --------------------------------------------------------------------------------------

class NoPlanError(InfeasibleError):
    """No dapil plan satisfies the rules; ``reasons`` lists why (each a proof: a pre-check
    naming the unit that forces it, or a MILP proven infeasible by HiGHS; a reason saying
    "not decided" marks a time limit without proof)."""

    def __init__(self, message: str, reasons: Sequence[str] = (), **kw) -> None:
        super().__init__(message, **kw)
        self.reasons = list(reasons)


@dataclass(frozen=True)
class ProposalOptions:
    """Options of :func:`propose_plan`.

    node_limit: branch-and-bound nodes per HiGHS solve (DEFAULT 200). time_limit_s: seconds
    per solve (DEFAULT 60; None: none). A solve stopped by either returns its best plan with
    the certified lower bound (``attrs['bound']``) and status 'stopped'. The node limit
    keeps results reproducible; a solve ended by the time limit (a safety net for large
    models) may differ between runs. mip_gap: relative MIP gap (DEFAULT 0: optimal).
    compactness: second stage minimising the boundary length between dapil (DEFAULT True).
    compactness_node_limit: branch-and-bound nodes of that second stage (DEFAULT 0: its root
    only — presolve, cuts and HiGHS's root heuristics from the stage-1 plan; measured on Lebak and
    Kota Samarinda, 200 nodes never shortened the boundary found at the root and took half the
    CPU time, docs/pilots.md §6; None: no limit, as for proofs on small regencies).
    split: allow split kecamatan (*bagian kecamatan*, desa as building blocks) when no plan
    of whole kecamatan exists (DEFAULT True; needs ``desa``). max_split_kecamatan: most
    kecamatan offered for splitting (DEFAULT 4). split_more_dapil: when kecamatan are split,
    how many larger numbers of dapil are also tried after the first plan, keeping the plan with
    the fewest extra parts, then the least deviation (DEFAULT 2; the search stops early at a
    plan whose parts meet the lower bound). extra_dapil: numbers of dapil tried above
    the minimum when ``n_dapil`` is not given (DEFAULT None: up to the most the seat range
    allows). threads: HiGHS threads. column_max_sets: when a solve stops without proof and its
    plan's extra parts are proven least (none, or HiGHS's bound reaches them), the exact column
    proof (:mod:`.dapil_columns`: every connected set that can be a dapil with deviation at most
    the plan's, then set partitioning) runs if the enumeration stays within this many connected
    sets (DEFAULT 300,000, a few seconds of enumeration; None or 0: never); it proves the plan
    optimal or replaces it by the optimum. Split models with desa as units usually exceed it.
    """

    node_limit: int | None = 200
    time_limit_s: float | None = 60.0
    mip_gap: float = 0.0
    compactness: bool = True
    compactness_node_limit: int | None = 0
    split: bool = True
    max_split_kecamatan: int = 4
    split_more_dapil: int = 2
    extra_dapil: int | None = None
    threads: int | None = None
    column_max_sets: int | None = 300_000


def _parse_fixed(fixed, popv, names, links_nb):
    fixed_assign: dict[str, str] = {}
    fixed_seats: dict[str, int] = {}
    closed: set[str] = set()
    if fixed is None or not len(fixed):
        return fixed_assign, fixed_seats, closed
    f = fixed.copy()
    f["kecamatan_code"] = f["kecamatan_code"].map(code_text)
    f = f[f["dapil"].notna()]
    for c, d in zip(f["kecamatan_code"], f["dapil"].astype(str)):
        if c not in popv.index:
            raise InvalidInputError(f"fixed kecamatan '{c}' is not a kecamatan of the regency", field="kecamatan_code")
        if fixed_assign.get(c, d) != d:
            raise InvalidInputError(f"fixed kecamatan '{c}' is in two dapil", field="dapil")
        fixed_assign[c] = d
    if "seats" in f.columns:
        for d, s in f.groupby(f["dapil"].astype(str))["seats"]:
            vals = pd.to_numeric(s, errors="coerce").dropna().unique()
            if len(vals) > 1:
                raise InvalidInputError(f"fixed dapil '{d}' has different seat counts", field="seats")
            if len(vals) == 1:
                fixed_seats[d] = int(vals[0])
    if "closed" in f.columns:
        for d, s in f.groupby(f["dapil"].astype(str))["closed"]:
            if bool(s.fillna(False).astype(bool).any()):
                closed.add(d)
    elif "composition" in f.columns:  # the Region's dapil table: "complete" / "partial"
        for d, s in f.groupby(f["dapil"].astype(str))["composition"]:
            if (s.astype(str).str.lower() == "complete").all():
                closed.add(d)
    else:
        closed = set(fixed_seats)
    # The exact allocation needs the population of dapil with confirmed seats to be known:
    # a confirmed seat count implies a complete member list.
    for d in sorted(set(fixed_seats) - closed):
        _log.warning("dapil '%s' has confirmed seats but an open member list; it is treated as complete", d)
        closed.add(d)
    for d in sorted(closed):
        comps = components([c for c, dd in fixed_assign.items() if dd == d], links_nb)
        if len(comps) > 1:
            msg = (f"fixed dapil '{d}' is not contiguous: "
                   + "; ".join(", ".join(names[c] for c in comp) for comp in comps))
            raise NoPlanError(msg, [msg])
    return fixed_assign, fixed_seats, closed


def propose_plan(zones, *, total_seats: int | None = None, fixed: pd.DataFrame | None = None,
                 n_dapil: int | None = None, seed: int = 0, restarts: int = 24,
                 rules: DapilRules = _DEFAULT_RULES, adjacency: pd.DataFrame | None = None,
                 desa=None, options: ProposalOptions = ProposalOptions()) -> pd.DataFrame:
    """An ILLUSTRATIVE dapil plan satisfying the rules, optimal for its objective, keeping a
    confirmed part fixed — or :class:`NoPlanError` with the reasons no plan exists.

    ``zones``: kecamatan with code, name, population (all known) and geometry (unless
    ``adjacency`` is given). ``fixed``: confirmed memberships, DataFrame(kecamatan_code,
    dapil[, seats][, closed | composition]); a *closed* dapil's member list is complete
    (nothing joins it): per the ``closed`` column, else ``composition == 'complete'`` (the
    Region's dapil table), else every dapil with a confirmed seat count (a dapil with
    confirmed seats is always treated as closed). ``n_dapil``: number of dapil (DEFAULT:
    the fewest from max(#fixed dapil, ⌈seats/12⌉) upward for which a plan exists).
    ``desa``: desa with code, kecamatan_code, population and geometry — the building blocks
    of split kecamatan, used only when no plan of whole kecamatan exists. ``seed`` and
    ``restarts``: the seeded region-growing + local-search runs whose best plan is HiGHS's
    first incumbent (the result is deterministic for given inputs, see ProposalOptions).

    Model (docs/pilots.md §6): HiGHS MILP on the contiguity graph (land adjacency + sea
    links, :func:`contiguity_links`); one root and a single-commodity flow per dapil keep
    it contiguous; seats per dapil in [min_seats, max_seats] equal to the largest-remainder
    allocation of PKPU 6/2022 Pasal 12 (confirmed seats kept); objective: (1) fewest extra
    parts of split kecamatan, (2) the largest deviation of the population per seat from the
    regency average, max_d |P_d/(s_d·BPPd) − 1| over the non-confirmed dapil, (3) the
    boundary length between dapil (compactness).

    Returns DataFrame(kecamatan_code, name, dapil, seats, population, plan_status, note,
    desa_codes, sea_links) sorted by dapil and code: one row per kecamatan, or per part of a
    split kecamatan (``desa_codes``: its desa, ';'-separated; empty for a whole kecamatan).
    ``sea_links``: the sea links from this kecamatan to others of its dapil. ``attrs``:
    illustrative, objective (= max_deviation), bound (certified lower bound of parts +
    deviation), status ('optimal' | 'stopped': a limit ended the search), n_dapil, split_kecamatan, sea_links
    (every link of the graph: (code_a, code_b, distance_m)), cut_boundary_m, whole_kecamatan_reasons
    (why whole kecamatan did not suffice, when split), proof (what the column proof found, empty
    when it did not run), search_log (every model tried before the one that gave the plan, with its
    outcome), seed, confirmed_seats.
    """
    from . import dapil_model as dm

    if "code" not in zones.columns or "population" not in zones.columns:
        raise UnknownColumnError("zones need 'code' and 'population' columns", field="population")
    codes = sorted(code_text(c) for c in zones["code"])
    popv = pd.Series(pd.to_numeric(zones["population"], errors="coerce").to_numpy(dtype=float),
                     index=[code_text(c) for c in zones["code"]])
    missing = [c for c in codes if not (popv[c] >= 0)]
    if missing:
        raise InvalidInputError(f"kecamatan '{missing[0]}' has no population; a plan cannot be balanced",
                                field="population")
    names = dict(zip([code_text(c) for c in zones["code"]], zones["name"].astype(str))) \
        if "name" in zones.columns else {c: c for c in codes}
    regency_pop = float(popv.sum())
    kec_pop = {str(c): float(p) for c, p in popv.items()}
    if total_seats is None:
        total_seats = regency_seats(regency_pop)
    S = int(total_seats)
    links = contiguity_links(zones, rules, adjacency)
    links = links[links["code_a"].isin(codes) & links["code_b"].isin(codes)].reset_index(drop=True)
    nb = neighbour_sets(links, codes)
    fixed_assign, fixed_seats, closed = _parse_fixed(fixed, popv, names, nb)
    fixed_labels = sorted(set(fixed_assign.values()))
    lo_d = max(len(fixed_labels), math.ceil(S / rules.max_seats))
    hi_d = S // rules.min_seats
    if n_dapil is not None:
        if n_dapil < len(fixed_labels):
            raise InvalidInputError(f"n_dapil = {n_dapil} is fewer than the {len(fixed_labels)} fixed dapil",
                                    field="n_dapil")
        if not (n_dapil * rules.min_seats <= S <= n_dapil * rules.max_seats):
            msg = f"{n_dapil} dapil cannot share {S} seats with {rules.min_seats}–{rules.max_seats} seats each"
            raise NoPlanError(msg, [msg], field="n_dapil")
        dapil_counts = [int(n_dapil)]
    else:
        if lo_d > hi_d:
            msg = f"{S} seats cannot be shared by dapil of {rules.min_seats}–{rules.max_seats} seats"
            raise NoPlanError(msg, [msg], field="total_seats")
        top = hi_d if options.extra_dapil is None else min(hi_d, lo_d + int(options.extra_dapil))
        dapil_counts = list(range(lo_d, top + 1))
    conf_pop = sum(popv[c] for c, d in fixed_assign.items() if d in fixed_seats)
    left = S - sum(fixed_seats.values())
    free_pop = regency_pop - conf_pop
    free_kec = [c for c in codes if c not in fixed_assign or fixed_assign[c] not in fixed_seats]
    # quota of a kecamatan in the allocation among the non-confirmed dapil: its dapil gets ≥ ⌊quota⌋ seats
    kq = {c: (popv[c] * left / free_pop if free_pop > 0 else 0.0) for c in free_kec}
    too_big = sorted((c for c in free_kec if math.floor(kq[c] + 1e-9) > rules.max_seats), key=lambda c: -kq[c])

    def spec_for(D):
        labels = fixed_labels + [f"{ILLUSTRATIVE}-{i + 1}" for i in range(D - len(fixed_labels))]
        return dm.Spec(labels, dict(fixed_assign), set(closed), dict(fixed_seats), S, rules.min_seats,
                       rules.max_seats, regency_pop)

    def run(graph, tag, least_parts=None):
        """Whole kecamatan (least_parts None): the fewest dapil with a plan. Split model: the
        fewest extra parts first — more dapil are tried after the first plan (up to
        ``options.split_more_dapil``) unless its parts meet the lower bound ``least_parts``."""
        log, best, more = [], None, 0
        for D in dapil_counts:
            n_units = len(graph.nodes)
            if D > n_units:
                log.append(f"{tag}: only {n_units} units for {D} dapil")
                continue
            if best is not None:
                if more >= options.split_more_dapil:
                    break
                more += 1
            sol = dm.solve(graph, spec_for(D), time_limit_s=options.time_limit_s, mip_gap=options.mip_gap,
                           threads=options.threads, compactness=options.compactness, seed=seed,
                           restarts=restarts, node_limit=options.node_limit,
                           compactness_node_limit=options.compactness_node_limit,
                           column_max_sets=options.column_max_sets, least_parts=least_parts or 0)
            if sol.status in ("optimal", "stopped"):
                log.append(f"{tag}, {D} dapil: plan with {sol.parts} extra parts, largest deviation "
                           f"{sol.max_deviation:.4f} ({sol.status})")
                if least_parts is None:
                    return sol, log
                if best is None or (sol.parts, sol.max_deviation) < (best.parts, best.max_deviation):
                    best = sol
                if best.parts <= least_parts:
                    break
            elif sol.status == "infeasible":
                log.append(f"{tag}, {D} dapil: the MILP (contiguity, {rules.min_seats}–"
                           f"{rules.max_seats} seats by largest remainder) is proven infeasible")
            else:
                log.append(f"{tag}, {D} dapil: not decided (node limit {options.node_limit}, time "
                           f"limit {options.time_limit_s} s); not proven infeasible")
        return best, log

    reasons: list[str] = []
    for c in too_big:
        reasons.append(f"kecamatan {names[c]} ({c}) alone has quota {kq[c]:.3f}: its dapil gets at least "
                       f"{math.floor(kq[c] + 1e-9)} seats > {rules.max_seats}")
    need = min(dapil_counts)
    if len(codes) < need:
        reasons.append(f"only {len(codes)} kecamatan for {S} seats: at least ⌈{S}/{rules.max_seats}⌉ = {need} "
                       "dapil are needed, each of at least one kecamatan")
    sol = None
    # True when every number of dapil is proven to have no plan of whole kecamatan (then any
    # plan needs at least one extra part, which lets the split search stop at its first 1-part plan)
    whole_proven = bool(reasons)
    if not reasons:
        sol, r = run(dm.piece_graph(codes, kec_pop, links), "whole kecamatan")
        reasons += r
        whole_proven = sol is None and all("proven infeasible" in x or "units for" in x for x in r)
    whole_reasons = list(reasons)
    split: list[str] = []
    least = 0
    if sol is None and options.split:
        if desa is None:
            reasons.append("splitting kecamatan (bagian kecamatan) needs desa building blocks: none given")
        else:
            dz = desa.copy()
            for col in ("code", "kecamatan_code", "population", "geometry"):
                if col not in dz.columns:
                    raise UnknownColumnError(f"desa need a '{col}' column", field=col)
            dz["code"] = dz["code"].map(code_text)
            dz["kecamatan_code"] = dz["kecamatan_code"].map(code_text)
            dm_ = metric_zones(dz)
            km = metric_zones(zones)
            order = too_big + sorted((c for c in free_kec if c not in too_big and c not in fixed_assign),
                                     key=lambda c: (-popv[c], c))
            # confirmed memberships are of whole kecamatan: those are never split
            order = [c for c in order if (dz["kecamatan_code"] == c).sum() > 1 and c not in fixed_assign]
            # one model: the MILP chooses which candidates to split, into the fewest parts
            split = order[:max(len(too_big), int(options.max_split_kecamatan))]
            # a desa is the smallest building block: one worth more than max_seats proves there is no plan
            for c in too_big:
                dk = dz[dz["kecamatan_code"] == c]
                dp = pd.to_numeric(dk["population"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
                if dp.sum() <= 0:
                    continue
                q = popv[c] * dp / dp.sum() * left / free_pop
                i = int(np.argmax(q))
                if math.floor(q[i] + 1e-9) > rules.max_seats:
                    name = dk["name"].iloc[i] if "name" in dk.columns else dk["code"].iloc[i]
                    reasons.append(f"desa {name} ({dk['code'].iloc[i]}) of kecamatan {names[c]} alone has quota "
                                   f"{q[i]:.3f}: its dapil gets at least {math.floor(q[i] + 1e-9)} seats > "
                                   f"{rules.max_seats}, and a desa cannot be split")
                    split = []
            if split:
                graph = dm.piece_graph(codes, kec_pop, links, split, dm_, km, rules, kecamatan_adjacency)
                # lower bound on the extra parts: each kecamatan above max_seats is cut at least once, and
                # k kecamatan for at least D dapil need D − k extra parts
                least = max(sum(1 for c in too_big if c in split), min(dapil_counts) - len(codes),
                            1 if whole_proven else 0)
                sol, r = run(graph, f"desa of {', '.join(names[c] for c in split)} as building blocks", least)
                reasons += r
    if sol is None:
        raise NoPlanError("no dapil plan exists: " + "; ".join(reasons), reasons)
    out = _plan_frame(sol, codes, names, popv, fixed_assign, fixed_seats, links, split, S, regency_pop,
                      whole_reasons, seed)
    out.attrs["search_log"] = list(reasons)
    # the objective is (extra parts) + (largest deviation): a proven lower bound on the parts
    # (whole kecamatan proven impossible, kecamatan above 12 seats) is a bound on it too
    out.attrs["bound"] = max(float(out.attrs["bound"]), float(least) if split else 0.0)
    return out


def _plan_frame(sol, codes, names, popv, fixed_assign, fixed_seats, links, split, S, regency_pop,
                whole_reasons, seed) -> pd.DataFrame:
    from . import dapil_model as dm

    assign = sol.assign
    parts: dict[tuple[str, str], list[str]] = {}
    part_pop: dict[tuple[str, str], float] = {}
    whole_d = {}
    for v, d in assign.items():
        if v in popv.index and v not in split:
            whole_d[v] = d
    for v, d in assign.items():
        if v in whole_d:
            continue
        k = sol.kec_of[v]
        parts.setdefault((k, d), []).append(v)
        part_pop[(k, d)] = part_pop.get((k, d), 0.0) + sol.pop[v]
    for k in split:  # a candidate kept in one piece is a whole kecamatan
        ds = [d for (kk, d) in parts if kk == k]
        if len(ds) == 1:
            whole_d[k] = ds[0]
            del parts[(k, ds[0])]
    dpop = pd.Series(0.0, index=sorted(set(assign.values())))
    for v, d in assign.items():
        dpop[d] += sol.pop[v]
    alloc = allocate_dapil_seats(dpop, S, fixed_seats=fixed_seats, regency_population=regency_pop)["seats"]
    seats = {d: int(alloc[d]) for d in dpop.index}
    if seats != {d: int(sol.seats[d]) for d in dpop.index}:
        _log.warning("model seats %s differ from the largest-remainder allocation %s (a near tie); the allocation "
                     "is used", sol.seats, seats)
    dapil_of_kec: dict[str, set[str]] = {}
    for v, d in whole_d.items():
        dapil_of_kec.setdefault(v, set()).add(d)
    for (k, d) in parts:
        dapil_of_kec.setdefault(k, set()).add(d)
    sea = links[links["link"] != dm.LAND]
    note = "ILLUSTRATIVE plan computed by jangkau (not the KPU decree)"
    rows = []

    def sea_text(k, d):
        out = []
        for a, b, dist in zip(sea["code_a"], sea["code_b"], sea["distance_m"]):
            other = b if a == k else a if b == k else None
            if other is not None and d in dapil_of_kec.get(other, ()):
                out.append(f"{names.get(other, other)} ({other}) {dist / 1000:.1f} km")
        return "; ".join(out)

    for c in codes:
        status = "CONFIRMED" if c in fixed_assign else ILLUSTRATIVE
        extra = "; membership confirmed" if c in fixed_assign else ""
        if c in whole_d:
            d = whole_d[c]
            rows.append((c, names.get(c, c), d, seats[d], float(popv[c]), status, note + extra, "", sea_text(c, d)))
        else:
            ds = sorted(d for (k, d) in parts if k == c)
            for d in ds:
                desa_codes = ";".join(sorted(parts[(c, d)]))
                rows.append((c, names.get(c, c), d, seats[d], float(part_pop[(c, d)]), status,
                             note + f"; bagian kecamatan: part {ds.index(d) + 1} of {len(ds)}" + extra,
                             desa_codes, sea_text(c, d)))
    out = pd.DataFrame(rows, columns=["kecamatan_code", "name", "dapil", "seats", "population", "plan_status",
                                      "note", "desa_codes", "sea_links"])
    out = out.sort_values(["dapil", "kecamatan_code", "desa_codes"], ignore_index=True)
    bppd = regency_pop / S
    dev = max((abs(dpop[d] / (seats[d] * bppd) - 1.0) for d in dpop.index if d not in fixed_seats), default=0.0)
    out.attrs["illustrative"] = True
    out.attrs["objective"] = float(dev)
    out.attrs["max_deviation"] = float(dev)
    out.attrs["bound"] = float(sol.bound)
    out.attrs["status"] = sol.status
    out.attrs["proof"] = sol.proof
    out.attrs["compactness_status"] = sol.compactness_status
    out.attrs["cut_boundary_m"] = float(sol.cut_m)
    out.attrs["n_dapil"] = len(dpop)
    out.attrs["split_kecamatan"] = sorted({k for (k, _d) in parts})
    out.attrs["split_parts"] = int(sol.parts)
    out.attrs["sea_links"] = [(str(a), str(b), float(x)) for a, b, x in
                              zip(sea["code_a"], sea["code_b"], sea["distance_m"])]
    out.attrs["whole_kecamatan_reasons"] = list(whole_reasons) if parts else []
    out.attrs["seed"] = int(seed)
    out.attrs["confirmed_seats"] = dict(fixed_seats)
    return out
