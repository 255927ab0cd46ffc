"""Electoral-district (dapil) plans for a regency DPRD: load, check, propose.

A *plan* is a table ``kecamatan_code, dapil, seats`` (one row per kecamatan; ``seats`` is
the seat count of the row's dapil, repeated on each of its rows). :func:`check_plan`
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
* POPULATION — a kecamatan without population (the allocation cannot be checked).

:func:`propose_plan` builds an **illustrative** plan that satisfies these rules (seeded
region growing + local search on a population-deviation objective), keeping a confirmed
part fixed. Every output of it is labelled ILLUSTRATIVE. Legal sources and the
algorithm: docs/pilots.md.
"""

from __future__ import annotations

import enum
import logging
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.contiguity import components, grow_regions, is_connected
from ..errors import DataFileError, InfeasibleError, InvalidInputError, UnknownColumnError
from .ranking import allocate_largest_remainder

_log = logging.getLogger("jangkau.selection.dapil")

__all__ = [
    "Rule",
    "Severity",
    "Adjacency",
    "DapilRules",
    "ILLUSTRATIVE",
    "regency_seats",
    "kecamatan_adjacency",
    "load_plan",
    "allocate_dapil_seats",
    "check_plan",
    "propose_plan",
]

#: The label every proposed (not official) output carries.
ILLUSTRATIVE = "ILLUSTRATIVE"


class Rule(enum.Enum):
    """The rule a violation refers to (see the module docstring)."""

    COMPLETE = "complete"
    WHOLE_KECAMATAN = "whole_kecamatan"
    SEAT_RANGE = "seat_range"
    SEAT_TOTAL = "seat_total"
    CONTIGUITY = "contiguity"
    PROPORTIONAL_ALLOCATION = "proportional_allocation"
    POPULATION = "population"


class Severity(enum.Enum):
    """VIOLATION breaks a rule; NOTE is information (e.g. confirmed seats that differ
    from the allocation computed with the population data at hand)."""

    VIOLATION = "violation"
    NOTE = "note"


class Adjacency(enum.Enum):
    """When two kecamatan count as neighbours.

    ROOK: they share a boundary of positive length (≥ ``min_shared_length_m``);
    QUEEN: they touch at all (a shared point is enough).
    """

    ROOK = "rook"
    QUEEN = "queen"


@dataclass(frozen=True)
class DapilRules:
    """Numeric rules for regency DPRD dapil.

    min_seats / max_seats: seats per dapil (DEFAULT 3 and 12, UU 7/2017).
    adjacency: neighbour rule for contiguity (DEFAULT Adjacency.ROOK).
    tolerance_m: polygons closer than this count as touching (DEFAULT 1 m; absorbs
    digitising noise in shared edges).
    min_shared_length_m: shortest shared boundary for ROOK adjacency (DEFAULT 10 m).
    """

    min_seats: int = 3
    max_seats: int = 12
    adjacency: Adjacency = Adjacency.ROOK
    tolerance_m: float = 1.0
    min_shared_length_m: float = 10.0

    def __post_init__(self) -> None:
        if not (1 <= self.min_seats <= self.max_seats):
            raise InvalidInputError(f"bad seat range [{self.min_seats}, {self.max_seats}]")
        if self.tolerance_m < 0 or self.min_shared_length_m < 0:
            raise InvalidInputError("tolerance_m and min_shared_length_m must be ≥ 0")


#: (upper population bound, seats) per UU 7/2017 Pasal 191 ayat (2); above the last bound: 55.
_SEAT_BRACKETS: tuple[tuple[float, int], ...] = (
    (100_000, 20), (200_000, 25), (300_000, 30), (400_000, 35), (500_000, 40), (1_000_000, 45),
    (3_000_000, 50),
)


def regency_seats(population: float) -> int:
    """DPRD kabupaten/kota seats for a regency population (UU 7/2017 Pasal 191 ayat (2)):
    ≤100k → 20, ≤200k → 25, ≤300k → 30, ≤400k → 35, ≤500k → 40, ≤1M → 45, ≤3M → 50, else 55."""
    if not (population >= 0 and math.isfinite(population)):
        raise InvalidInputError(f"population must be a finite number ≥ 0, got {population}")
    for bound, seats in _SEAT_BRACKETS:
        if population <= bound:
            return seats
    return 55


# --------------------------------------------------------------------------------------
# Adjacency
# --------------------------------------------------------------------------------------

def _metric(zones):  # -> GeoDataFrame in a metric CRS
    if zones.crs is None:
        raise InvalidInputError("kecamatan polygons have no CRS", field="geometry")
    if zones.crs.is_geographic:
        return zones.to_crs(zones.estimate_utm_crs())
    return zones


def kecamatan_adjacency(zones, rules: DapilRules = DapilRules()) -> pd.DataFrame:
    """Neighbouring kecamatan pairs from their polygons.

    ``zones``: GeoDataFrame with ``code`` and polygon geometry (any CRS; projected to its
    UTM zone when geographic). The shared boundary length of a pair is the length of the
    part of one outline lying within ``tolerance_m`` of the other polygon (the larger of
    the two directions). ROOK keeps pairs whose shared length ≥ ``min_shared_length_m``;
    QUEEN keeps every pair within ``tolerance_m``. Returns DataFrame(code_a, code_b,
    shared_length_m) with code_a < code_b, sorted.
    """
    import shapely

    if "code" not in zones.columns:
        raise UnknownColumnError("zones have no 'code' column", field="code")
    gz = _metric(zones)
    codes = gz["code"].astype(str).to_numpy()
    geoms = gz.geometry.to_numpy()
    bad = [codes[i] for i, g in enumerate(geoms) if g is None or g.is_empty]
    if bad:
        raise InvalidInputError(f"kecamatan '{bad[0]}' has no geometry", field="geometry")
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="dwithin", distance=rules.tolerance_m)
    rows = []
    for i, j in zip(left, right):
        if i >= j:
            continue
        a, b = geoms[i], geoms[j]
        shared = max(a.boundary.intersection(b.buffer(rules.tolerance_m)).length,
                     b.boundary.intersection(a.buffer(rules.tolerance_m)).length)
        if rules.adjacency is Adjacency.ROOK and shared < rules.min_shared_length_m:
            continue
        ca, cb = sorted((codes[i], codes[j]))
        rows.append((ca, cb, float(shared)))
    out = pd.DataFrame(rows, columns=["code_a", "code_b", "shared_length_m"])
    return out.sort_values(["code_a", "code_b"], ignore_index=True)


def _neighbours(adjacency: pd.DataFrame, codes: Sequence[str]) -> dict[str, set[str]]:
    nb: dict[str, set[str]] = {c: set() for c in codes}
    for a, b in zip(adjacency["code_a"].astype(str), adjacency["code_b"].astype(str)):
        if a in nb and b in nb:
            nb[a].add(b)
            nb[b].add(a)
    return nb


# --------------------------------------------------------------------------------------
# Plans
# --------------------------------------------------------------------------------------

def _code(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def load_plan(path: str | os.PathLike[str], *, code_column: str = "kecamatan_code") -> pd.DataFrame:
    """Read a dapil plan CSV with columns ``kecamatan_code, dapil`` and optionally ``seats``.

    Seats may be repeated on every row of a dapil or given on one row only; different
    values within a dapil, non-integer or negative seats, empty codes or dapil raise
    InvalidInputError naming the file, row and column. A kecamatan listed twice is kept
    (it is a WHOLE_KECAMATAN violation for :func:`check_plan` to report).
    """
    p = Path(path)
    if not p.is_file():
        raise DataFileError(f"dapil plan '{p}' does not exist", file=str(p))
    try:
        df = pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""])
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataFileError(f"cannot read dapil plan '{p}': {exc}", file=str(p)) from exc
    for col in (code_column, "dapil"):
        if col not in df.columns:
            raise UnknownColumnError(f"dapil plan '{p}' has no '{col}' column (columns: {', '.join(df.columns)})",
                                     file=str(p), field=col)
    for col in (code_column, "dapil"):
        empty = df[col].isna() | (df[col].astype(str).str.strip() == "")
        if empty.any():
            i = int(np.flatnonzero(empty.to_numpy())[0])
            raise InvalidInputError(f"dapil plan '{p}', row {i + 2}: empty '{col}'", file=str(p), feature=i,
                                    field=col)
    out = pd.DataFrame({"kecamatan_code": df[code_column].map(_code), "dapil": df["dapil"].str.strip()})
    seats = pd.Series(np.nan, index=df.index)
    if "seats" in df.columns:
        for i, v in enumerate(df["seats"]):  # read_csv: a RangeIndex, so position == label
            if pd.isna(v) or str(v).strip() == "":
                continue
            try:
                x = float(v)
            except ValueError:
                x = float("nan")
            if not (math.isfinite(x) and x >= 0 and x.is_integer()):
                raise InvalidInputError(f"dapil plan '{p}', row {i + 2}: seats '{v}' is not a whole number ≥ 0",
                                        file=str(p), feature=int(i), field="seats")
            seats[i] = x
        for d, s in seats.groupby(out["dapil"]):
            vals = s.dropna().unique()
            if len(vals) > 1:
                raise InvalidInputError(f"dapil plan '{p}': dapil '{d}' has different seat counts "
                                        f"{sorted(int(v) for v in vals)}", file=str(p), field="seats")
            if len(vals) == 1:
                seats[s.index] = vals[0]
    out["seats"] = pd.array([pd.NA if pd.isna(v) else int(v) for v in seats], dtype="Int64")
    out.attrs["source"] = str(p)
    return out


def _seats_per_dapil(plan: pd.DataFrame) -> pd.Series:
    s = plan.groupby("dapil", sort=True)["seats"].first() if "seats" in plan.columns else \
        pd.Series(pd.NA, index=sorted(plan["dapil"].astype(str).unique()))
    return s


def allocate_dapil_seats(dapil_population: pd.Series, total_seats: int, *,
                         fixed_seats: Mapping[str, int] | pd.Series | None = None,
                         regency_population: float | None = None) -> pd.DataFrame:
    """Seats per dapil by PKPU 6/2022 Pasal 12: BPPd = regency population / total seats;
    quota = population / BPPd; integer parts; the remaining seats one each to the largest
    fractional remainders (ties: the dapil label that sorts first).

    ``fixed_seats`` (dapil → seats, e.g. confirmed by the KPU decree) are kept; the other
    seats go to the other dapil by the same rule on their own populations. Returns
    DataFrame(population, quota, seats) indexed by dapil.
    """
    pop = pd.Series(dapil_population, dtype=float)
    total = float(regency_population if regency_population is not None else pop.sum())
    if total <= 0:
        raise InvalidInputError("regency population must be positive")
    bppd = total / int(total_seats)
    quota = pop / bppd
    fixed = pd.Series({} if fixed_seats is None else dict(fixed_seats), dtype=float)
    fixed = fixed[[d for d in fixed.index if d in pop.index]]
    free = [d for d in pop.index if d not in fixed.index]
    seats = pd.Series(0, index=pop.index, dtype=int)
    for d in fixed.index:
        seats[d] = int(fixed[d])
    left = int(total_seats) - int(fixed.sum())
    if free:
        if left < 0:
            raise InvalidInputError(f"confirmed seats ({int(fixed.sum())}) exceed the total ({total_seats})")
        if pop[free].sum() > 0:
            seats[free] = allocate_largest_remainder(pop[free], left).to_numpy()
    return pd.DataFrame({"population": pop, "quota": quota, "seats": seats})


def _violation(rule: Rule, dapil: str, detail: str, severity: Severity = Severity.VIOLATION) -> tuple:
    return (rule.value, dapil, detail, severity.value)


def check_plan(plan: pd.DataFrame, zones, *, total_seats: int | None = None, rules: DapilRules = DapilRules(),
               adjacency: pd.DataFrame | None = None,
               confirmed_seats: Mapping[str, int] | pd.Series | None = None) -> pd.DataFrame:
    """Every violation of the dapil rules by ``plan`` as DataFrame(rule, dapil, detail,
    severity) (empty when the plan complies).

    ``zones``: the regency's kecamatan (GeoDataFrame with code, name, population,
    geometry; geometry only needed when ``adjacency`` is not given). ``total_seats``:
    default from the regency population (UU 7/2017 Pasal 191). ``confirmed_seats``:
    seats of dapil confirmed by the official decree; they are taken as given for the
    allocation check (the others must match the allocation of the remaining seats), and a
    NOTE records any difference from the allocation computed from ``zones.population``.
    """
    if "code" not in zones.columns:
        raise UnknownColumnError("zones have no 'code' column", field="code")
    out: list[tuple] = []
    codes = [_code(c) for c in zones["code"]]
    names = dict(zip(codes, zones["name"].astype(str))) if "name" in zones.columns else {c: c for c in codes}
    pop = pd.Series(pd.to_numeric(zones["population"], errors="coerce").to_numpy(dtype=float), index=codes) \
        if "population" in zones.columns else pd.Series(np.nan, index=codes)
    plan = plan.copy()
    plan["kecamatan_code"] = plan["kecamatan_code"].map(_code)
    plan["dapil"] = plan["dapil"].astype(str)
    label = lambda c: f"{names.get(c, c)} ({c})"  # noqa: E731

    # COMPLETE / WHOLE_KECAMATAN
    known = set(codes)
    for c in sorted(set(plan["kecamatan_code"]) - known):
        d = ", ".join(sorted(plan.loc[plan["kecamatan_code"] == c, "dapil"].unique()))
        out.append(_violation(Rule.COMPLETE, d, f"code {c} is not a kecamatan of the regency"))
    for c in sorted(known - set(plan["kecamatan_code"])):
        out.append(_violation(Rule.COMPLETE, "", f"kecamatan {label(c)} is in no dapil"))
    multi = plan.groupby("kecamatan_code")["dapil"].agg(lambda s: sorted(set(s)))
    for c, ds in multi.items():
        n_rows = int((plan["kecamatan_code"] == c).sum())
        if len(ds) > 1:
            out.append(_violation(Rule.WHOLE_KECAMATAN, ", ".join(ds),
                                  f"kecamatan {label(c)} is split over dapil {', '.join(ds)}"))
        elif n_rows > 1:
            out.append(_violation(Rule.WHOLE_KECAMATAN, ds[0], f"kecamatan {label(c)} is listed {n_rows} times"))

    # POPULATION
    in_plan = [c for c in sorted(set(plan["kecamatan_code"])) if c in known]
    no_pop = [c for c in codes if not (pop[c] >= 0)]
    for c in no_pop:
        out.append(_violation(Rule.POPULATION, "", f"kecamatan {label(c)} has no population; "
                                                   "the seat allocation cannot be checked"))

    # SEAT_RANGE / SEAT_TOTAL
    seats = _seats_per_dapil(plan)
    for dp, s in seats.items():
        if pd.isna(s):
            out.append(_violation(Rule.SEAT_RANGE, str(dp), "seat count unknown"))
        elif not (rules.min_seats <= int(s) <= rules.max_seats):
            out.append(_violation(Rule.SEAT_RANGE, str(dp),
                                  f"{int(s)} seats, outside {rules.min_seats}–{rules.max_seats}"))
    regency_pop = float(pop.sum()) if not no_pop else float("nan")
    if total_seats is None:
        if no_pop:
            raise InvalidInputError("total_seats is needed when some kecamatan have no population",
                                    field="total_seats")
        total_seats = regency_seats(regency_pop)
    elif not no_pop and regency_seats(regency_pop) != int(total_seats):
        out.append(_violation(Rule.SEAT_TOTAL, "",
                              f"the population given ({regency_pop:,.0f}) corresponds to {regency_seats(regency_pop)} "
                              f"seats (UU 7/2017 Pasal 191), not {int(total_seats)}", Severity.NOTE))
    if seats.notna().all():
        given = int(seats.astype(int).sum())
        if given != int(total_seats):
            out.append(_violation(Rule.SEAT_TOTAL, "", f"seats sum to {given}, not {int(total_seats)}"))

    # CONTIGUITY
    if adjacency is None:
        if "geometry" not in zones.columns:
            raise UnknownColumnError("contiguity needs kecamatan geometry or an adjacency table", field="geometry")
        adjacency = kecamatan_adjacency(zones, rules)
    nb = _neighbours(adjacency, codes)
    for d, rows in plan[plan["kecamatan_code"].isin(known)].groupby("dapil", sort=True):
        comps = components(sorted(set(rows["kecamatan_code"])), nb)
        if len(comps) > 1:
            parts = "; ".join("[" + ", ".join(names.get(c, c) for c in comp) + "]" for comp in comps)
            out.append(_violation(Rule.CONTIGUITY, str(dp), f"{len(comps)} separate parts: {parts}"))

    # PROPORTIONAL_ALLOCATION
    if not no_pop and seats.notna().all() and in_plan:
        dedup = plan[plan["kecamatan_code"].isin(known)].drop_duplicates("kecamatan_code")
        dpop = dedup.groupby("dapil")["kecamatan_code"].agg(lambda cs: float(pop[list(cs)].sum()))
        conf_in = {} if confirmed_seats is None else dict(confirmed_seats)
        conf = {str(k): int(v) for k, v in conf_in.items() if str(k) in dpop.index}
        plain = allocate_dapil_seats(dpop, int(total_seats), regency_population=regency_pop)
        expected = allocate_dapil_seats(dpop, int(total_seats), fixed_seats=conf, regency_population=regency_pop)
        for d in dpop.index:
            have = int(seats[d])
            if d in conf:
                if conf[d] != have:
                    out.append(_violation(Rule.PROPORTIONAL_ALLOCATION, d,
                                          f"has {have} seats but the confirmed count is {conf[d]}"))
                if int(plain.loc[d, "seats"]) != conf[d]:
                    out.append(_violation(
                        Rule.PROPORTIONAL_ALLOCATION, d,
                        f"confirmed {conf[d]} seats; the population given ({dpop[d]:,.0f}, quota "
                        f"{plain.loc[d, 'quota']:.3f}) would give {int(plain.loc[d, 'seats'])} — the official "
                        "count rests on other population data", Severity.NOTE))
            elif int(expected.loc[d, "seats"]) != have:
                out.append(_violation(
                    Rule.PROPORTIONAL_ALLOCATION, d,
                    f"has {have} seats; population {dpop[d]:,.0f} (quota {expected.loc[d, 'quota']:.3f}) gives "
                    f"{int(expected.loc[d, 'seats'])} by largest remainder"))
    return pd.DataFrame(out, columns=["rule", "dapil", "detail", "severity"])


# --------------------------------------------------------------------------------------
# Proposal
# --------------------------------------------------------------------------------------

class _Problem:
    def __init__(self, codes, pop, nb, labels, fixed_assign, closed, fixed_seats, total_seats, rules):
        self.codes = codes
        self.pop = pop
        self.nb = nb
        self.labels = labels
        self.fixed_assign = fixed_assign
        self.closed = closed
        self.fixed_seats = fixed_seats
        self.total_seats = total_seats
        self.rules = rules
        self.regency_pop = float(sum(pop.values()))
        self.bppd = self.regency_pop / total_seats

    def seats(self, assign: Mapping[str, str]) -> tuple[pd.Series, pd.Series]:
        dpop = pd.Series(0.0, index=self.labels)
        for c, d in assign.items():
            dpop[d] += self.pop[c]
        alloc = allocate_dapil_seats(dpop, self.total_seats, fixed_seats=self.fixed_seats,
                                     regency_population=self.regency_pop)
        return dpop, alloc["seats"]

    def cost(self, assign: Mapping[str, str]) -> float:
        dpop, seats = self.seats(assign)
        c = 0.0
        for d in self.labels:
            s = int(seats[d])
            if s <= 0:
                c += 1e6
                continue
            dev = dpop[d] / (s * self.bppd) - 1.0
            c += s * dev * dev
            if s < self.rules.min_seats:
                c += 1e3 * (self.rules.min_seats - s)
            if s > self.rules.max_seats:
                c += 1e3 * (s - self.rules.max_seats)
        return c

    def connected_without(self, assign: Mapping[str, str], label: str, v: str) -> bool:
        members = [c for c, d in assign.items() if d == label and c != v]
        if not members:
            return False
        return is_connected(members, self.nb)


def _grow(prob: _Problem, rng: np.random.Generator) -> dict[str, str] | None:
    assign = dict(prob.fixed_assign)
    free_labels = [d for d in prob.labels if d not in set(assign.values())]
    # Seeds for new dapil: far (in hops) from everything assigned so far, ties at random.
    unassigned = [c for c in prob.codes if c not in assign]
    for d in free_labels:
        if not unassigned:
            return None
        if assign:
            dist = _hops(prob.nb, list(assign), prob.codes)
            far = max(dist.get(c, 10**6) for c in unassigned)
            cands = [c for c in unassigned if dist.get(c, 10**6) == far]
        else:
            cands = unassigned
        pick = cands[int(rng.integers(len(cands)))]
        assign[pick] = d
        unassigned.remove(pick)
    # The lightest open dapil (ties: label) takes a random kecamatan next to it.
    assign = grow_regions(prob.nb, prob.pop, assign, lambda d, cs: cs[int(rng.integers(len(cs)))],
                          closed=prob.closed)
    return assign if len(assign) == len(prob.codes) else None


def _hops(nb: Mapping[str, set[str]], sources: Sequence[str], codes: Sequence[str]) -> dict[str, int]:
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


def _improve(prob: _Problem, assign: dict[str, str], rng: np.random.Generator, max_rounds: int = 200) -> float:
    best = prob.cost(assign)
    fixed = set(prob.fixed_assign)
    for _ in range(max_rounds):
        moves = []
        for v in prob.codes:
            if v in fixed:
                continue
            a = assign[v]
            for w in prob.nb[v]:
                b = assign[w]
                if b != a and b not in prob.closed:
                    moves.append((v, b))
        moves = sorted(set(moves))
        rng.shuffle(moves)
        improved = False
        for v, b in moves:
            a = assign[v]
            # Earlier moves in this round may have changed v's neighbourhood: re-check.
            if a == b or not any(assign[w] == b for w in prob.nb[v]) or not prob.connected_without(assign, a, v):
                continue
            assign[v] = b
            c = prob.cost(assign)
            if c < best - 1e-12:
                best = c
                improved = True
            else:
                assign[v] = a
        if not improved:
            break
    return best


def propose_plan(zones, *, total_seats: int | None = None, fixed: pd.DataFrame | None = None,
                 n_dapil: int | None = None, seed: int = 0, restarts: int = 24,
                 rules: DapilRules = DapilRules(), adjacency: pd.DataFrame | None = None) -> pd.DataFrame:
    """An ILLUSTRATIVE dapil plan satisfying the rules, keeping a confirmed part fixed.

    ``zones``: kecamatan with code, name, population (all known) and geometry (unless
    ``adjacency`` is given). ``fixed``: confirmed memberships, DataFrame(kecamatan_code,
    dapil[, seats][, closed | composition]); a *closed* dapil's member list is complete
    (nothing joins it): per the ``closed`` column, else ``composition == 'complete'`` (the
    Region's dapil table), else every dapil with a confirmed seat count.
    ``n_dapil``: number of dapil (DEFAULT: the fewest that keep the average at or below
    ``rules.max_seats``, and at least the number of fixed dapil).

    Method: ``restarts`` seeded runs of region growing (new dapil seeded far from the
    fixed ones, the least-populated dapil grows next) followed by local search (move one
    boundary kecamatan to a neighbouring dapil while both stay contiguous) on
    Σ_d s_d·(P_d/(s_d·BPPd) − 1)² plus penalties for seat counts outside the range; seats
    by :func:`allocate_dapil_seats` with the confirmed seats fixed. The best plan is
    returned as DataFrame(kecamatan_code, name, dapil, seats, population, plan_status,
    note) sorted by dapil and code; plan_status is 'CONFIRMED' for fixed rows and
    'ILLUSTRATIVE' otherwise, new dapil are named 'ILLUSTRATIVE-<n>', ``attrs`` carries
    illustrative=True and the objective. InfeasibleError when no run meets the rules.
    """
    if "code" not in zones.columns or "population" not in zones.columns:
        raise UnknownColumnError("zones need 'code' and 'population' columns", field="population")
    codes = sorted(_code(c) for c in zones["code"])
    popv = pd.Series(pd.to_numeric(zones["population"], errors="coerce").to_numpy(dtype=float),
                     index=[_code(c) for c in zones["code"]])
    missing = [c for c in codes if not (popv[c] >= 0)]
    if missing:
        raise InvalidInputError(f"kecamatan '{missing[0]}' has no population; a plan cannot be balanced",
                                field="population")
    names = dict(zip([_code(c) for c in zones["code"]], zones["name"].astype(str))) \
        if "name" in zones.columns else {c: c for c in codes}
    if total_seats is None:
        total_seats = regency_seats(float(popv.sum()))
    if adjacency is None:
        adjacency = kecamatan_adjacency(zones, rules)
    nb = _neighbours(adjacency, codes)

    fixed_assign: dict[str, str] = {}
    fixed_seats: dict[str, int] = {}
    closed: set[str] = set()
    if fixed is not None and len(fixed):
        f = fixed.copy()
        f["kecamatan_code"] = f["kecamatan_code"].map(_code)
        f = f[f["dapil"].notna()]
        for c, d in zip(f["kecamatan_code"], f["dapil"].astype(str)):
            if c not in popv.index:
                raise InvalidInputError(f"fixed kecamatan '{c}' is not a kecamatan of the regency",
                                        field="kecamatan_code")
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
        for d in closed:
            comps = components([c for c, dd in fixed_assign.items() if dd == d], nb)
            if len(comps) > 1:
                raise InfeasibleError(f"fixed dapil '{d}' is not contiguous: "
                                      + "; ".join(", ".join(names[c] for c in comp) for comp in comps))
    fixed_labels = sorted(set(fixed_assign.values()))
    if n_dapil is None:
        n_dapil = max(len(fixed_labels), math.ceil(total_seats / rules.max_seats))
    if n_dapil < len(fixed_labels):
        raise InvalidInputError(f"n_dapil = {n_dapil} is fewer than the {len(fixed_labels)} fixed dapil",
                                field="n_dapil")
    if not (n_dapil * rules.min_seats <= total_seats <= n_dapil * rules.max_seats):
        raise InfeasibleError(f"{n_dapil} dapil cannot share {total_seats} seats with "
                              f"{rules.min_seats}–{rules.max_seats} seats each", field="n_dapil")
    labels = fixed_labels + [f"{ILLUSTRATIVE}-{i + 1}" for i in range(n_dapil - len(fixed_labels))]
    prob = _Problem(codes, popv.to_dict(), nb, labels, fixed_assign, closed, fixed_seats, int(total_seats), rules)

    rng = np.random.default_rng(seed)
    best_assign, best_cost = None, math.inf
    for _ in range(int(restarts)):
        a = _grow(prob, rng)
        if a is None:
            continue
        c = _improve(prob, a, rng)
        if c < best_cost - 1e-12:
            best_assign, best_cost = dict(a), c
    if best_assign is None:
        raise InfeasibleError("no contiguous plan could be grown from the fixed part (is the adjacency graph "
                              "connected?)")
    _dpop, seats = prob.seats(best_assign)
    bad = [d for d in labels if not (rules.min_seats <= int(seats[d]) <= rules.max_seats)]
    if bad:
        raise InfeasibleError(f"no plan found with {rules.min_seats}–{rules.max_seats} seats in every dapil "
                              f"(best attempt: {', '.join(f'{d}={int(seats[d])}' for d in bad)}); try another "
                              "n_dapil or more restarts", field="seats")
    rows = []
    for c in codes:
        d = best_assign[c]
        status = "CONFIRMED" if c in fixed_assign else ILLUSTRATIVE
        rows.append((c, names.get(c, c), d, int(seats[d]), float(popv[c]), status,
                     "ILLUSTRATIVE plan computed by jangkau (not the KPU decree)"
                     + ("; membership confirmed" if c in fixed_assign else "")))
    out = pd.DataFrame(rows, columns=["kecamatan_code", "name", "dapil", "seats", "population", "plan_status",
                                      "note"])
    out = out.sort_values(["dapil", "kecamatan_code"], ignore_index=True)
    out.attrs["illustrative"] = True
    out.attrs["objective"] = float(best_cost)
    out.attrs["seed"] = int(seed)
    out.attrs["confirmed_seats"] = dict(fixed_seats)
    return out
