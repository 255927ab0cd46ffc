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

import enum
import logging
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.contiguity import components
from ..errors import DataFileError, InfeasibleError, InvalidInputError, UnknownColumnError
from .ranking import allocate_largest_remainder

_log = logging.getLogger("jangkau.selection.dapil")

__all__ = [
    "ILLUSTRATIVE",
    "Adjacency",
    "DapilRules",
    "NoPlanError",
    "ProposalOptions",
    "Rule",
    "Severity",
    "allocate_dapil_seats",
    "check_plan",
    "contiguity_links",
    "kecamatan_adjacency",
    "load_plan",
    "propose_plan",
    "regency_seats",
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
    SPLIT_KECAMATAN = "split_kecamatan"
    SEA_LINK = "sea_link"


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
    sea_link_m: island components of the kecamatan graph are joined by sea links (minimum
    spanning forest over the distances between components) not longer than this (DEFAULT
    50 km; 0 or None: no sea links). An assumption, labelled as such in every output.
    """

    min_seats: int = 3
    max_seats: int = 12
    adjacency: Adjacency = Adjacency.ROOK
    tolerance_m: float = 1.0
    min_shared_length_m: float = 10.0
    sea_link_m: float | None = 50_000.0

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
    """Read a dapil plan CSV with columns ``kecamatan_code, dapil`` and optionally ``seats``
    and ``desa_codes`` (the desa of a part of a split kecamatan, ';'-separated; kept as is).

    Seats may be repeated on every row of a dapil or given on one row only; different
    values within a dapil, non-integer or negative seats, empty codes or dapil raise
    InvalidInputError naming the file, row and column. A kecamatan listed twice is kept
    (it is a WHOLE_KECAMATAN violation for :func:`check_plan` to report).
    """
    p = Path(path)
    if not p.is_file():
        raise DataFileError(f"dapil plan '{p}' does not exist", file=str(p))
    try:
        from ..data.io import read_csv
        df = read_csv(p, what="dapil plan", dtype=str, keep_default_na=False, na_values=[""])
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
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
    if "desa_codes" in df.columns:  # parts of split kecamatan (bagian kecamatan): desa codes, ';'-separated
        out["desa_codes"] = df["desa_codes"].fillna("").astype(str).str.strip()
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


def _check_split(plan, split_kec, desa, label, out, rules):
    """Validate the split kecamatan of a plan; returns (the valid ones, desa in a metric CRS)."""
    if not split_kec:
        return [], None
    if desa is None:
        for c in split_kec:
            out.append(_violation(Rule.SPLIT_KECAMATAN, ", ".join(sorted(set(plan.loc[plan["kecamatan_code"] == c,
                                                                                     "dapil"]))),
                                  f"kecamatan {label(c)} is split by desa but no desa table was given"))
        return [], None
    from . import dapil_model as dm

    dz = desa.copy()
    dz["code"] = dz["code"].map(_code)
    dz["kecamatan_code"] = dz["kecamatan_code"].map(_code)
    dm_ = _metric(dz)
    ok = []
    for c in split_kec:
        rows = plan[plan["kecamatan_code"] == c]
        own = set(dz.loc[dz["kecamatan_code"] == c, "code"])
        listed = [x.strip() for dc in rows["desa_codes"] for x in dc.split(";") if x.strip()]
        ds = ", ".join(sorted(set(rows["dapil"])))
        bad = False
        dup = sorted({x for x in listed if listed.count(x) > 1})
        if dup:
            out.append(_violation(Rule.SPLIT_KECAMATAN, ds, f"kecamatan {label(c)}: desa {', '.join(dup)} "
                                                            "listed more than once"))
            bad = True
        foreign = sorted(set(listed) - own)
        if foreign:
            out.append(_violation(Rule.SPLIT_KECAMATAN, ds, f"kecamatan {label(c)}: {', '.join(foreign)} are not "
                                                            "its desa"))
            bad = True
        missing = sorted(own - set(listed))
        if missing:
            out.append(_violation(Rule.SPLIT_KECAMATAN, ds, f"kecamatan {label(c)}: desa {', '.join(missing)} "
                                                            "are in no part"))
            bad = True
        if len(set(rows["dapil"])) < len(rows):
            out.append(_violation(Rule.SPLIT_KECAMATAN, ds, f"kecamatan {label(c)}: two parts in the same dapil"))
            bad = True
        if bad:
            continue
        inner = dm.piece_graph([c], {c: 1.0}, pd.DataFrame(columns=["code_a", "code_b", "shared_length_m", "link",
                                                                   "distance_m"]), [c], dm_, None, rules,
                                 kecamatan_adjacency)
        nb = inner.neighbours()
        for d, dc in zip(rows["dapil"], rows["desa_codes"]):
            comps = components(dc.split(";"), nb)
            if len(comps) > 1:
                out.append(_violation(Rule.SPLIT_KECAMATAN, d, f"the part of kecamatan {label(c)} in {d} has "
                                                               f"{len(comps)} separate pieces"))
                bad = True
        if bad:
            continue
        ok.append(c)
        parts = ", ".join(f"{d} ({len(dc.split(';'))} desa)" for d, dc in zip(rows["dapil"], rows["desa_codes"]))
        out.append(_violation(Rule.SPLIT_KECAMATAN, ds, f"kecamatan {label(c)} is split into {len(rows)} parts "
                                                        f"(bagian kecamatan): {parts}; allowed only where whole "
                                                        "kecamatan cannot satisfy the rules", Severity.NOTE))
    return ok, dm_


def check_plan(plan: pd.DataFrame, zones, *, total_seats: int | None = None, rules: DapilRules = DapilRules(),
               adjacency: pd.DataFrame | None = None,
               confirmed_seats: Mapping[str, int] | pd.Series | None = None, desa=None) -> pd.DataFrame:
    """Every violation of the dapil rules by ``plan`` as DataFrame(rule, dapil, detail,
    severity) (empty when the plan complies; NOTE rows are information).

    Split kecamatan (*bagian kecamatan*): a kecamatan may appear on several rows when every
    one of its rows lists its desa in ``desa_codes`` (';'-separated); ``desa`` (code,
    kecamatan_code, population, geometry) must then be given. The parts must cover the
    kecamatan's desa exactly once and each be contiguous (SPLIT_KECAMATAN violations
    otherwise); a NOTE reports every split (the rules allow it only where whole kecamatan
    cannot satisfy them — which this check does not decide; :func:`propose_plan` splits only
    then). A part's population is the kecamatan's population times its desa's population
    share. Sea links (``DapilRules.sea_link_m``, :func:`contiguity_links`) count for
    contiguity; each one used inside a dapil is reported as a SEA_LINK note.

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
    def label(c: str) -> str:
        return f"{names.get(c, c)} ({c})"

    # COMPLETE / WHOLE_KECAMATAN
    known = set(codes)
    for c in sorted(set(plan["kecamatan_code"]) - known):
        d = ", ".join(sorted(plan.loc[plan["kecamatan_code"] == c, "dapil"].unique()))
        out.append(_violation(Rule.COMPLETE, d, f"code {c} is not a kecamatan of the regency"))
    for c in sorted(known - set(plan["kecamatan_code"])):
        out.append(_violation(Rule.COMPLETE, "", f"kecamatan {label(c)} is in no dapil"))
    if "desa_codes" not in plan.columns:
        plan["desa_codes"] = ""
    plan["desa_codes"] = plan["desa_codes"].fillna("").astype(str).str.strip()
    split_rows = plan[plan["desa_codes"] != ""]
    split_kec = sorted(c for c in set(split_rows["kecamatan_code"]) if c in known and
                       (plan.loc[plan["kecamatan_code"] == c, "desa_codes"] != "").all())
    split_ok, desa_m = _check_split(plan, split_kec, desa, label, out, rules)
    multi = plan.groupby("kecamatan_code")["dapil"].agg(lambda s: sorted(set(s)))
    for c, ds in multi.items():
        n_rows = int((plan["kecamatan_code"] == c).sum())
        if c in split_kec:
            continue
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
    from . import dapil_model as dm

    if adjacency is None and "geometry" not in zones.columns:
        raise UnknownColumnError("contiguity needs kecamatan geometry or an adjacency table", field="geometry")
    links = contiguity_links(zones, rules, adjacency)
    links = links[links["code_a"].astype(str).isin(known) & links["code_b"].astype(str).isin(known)]
    pop_or_zero = {c: (float(pop[c]) if pop[c] >= 0 else 0.0) for c in codes}
    graph = dm.piece_graph(codes, pop_or_zero, links, split_ok, desa_m,
                           _metric(zones) if split_ok else None, rules, kecamatan_adjacency)
    nb = graph.neighbours()
    desa_name = {}
    if desa_m is not None and "name" in desa_m.columns:
        desa_name = dict(zip(desa_m["code"], desa_m["name"].astype(str)))
    for d, rows in plan[plan["kecamatan_code"].isin(known)].groupby("dapil", sort=True):
        members = set()
        for c, dc in zip(rows["kecamatan_code"], rows["desa_codes"]):
            if c in split_ok:
                members.update(x for x in dc.split(";") if x in graph.kec_of)
            else:
                members.add(c)
        comps = components(sorted(members), nb)
        if len(comps) > 1:
            parts = "; ".join("[" + ", ".join(names.get(c, desa_name.get(c, c)) for c in comp) + "]"
                              for comp in comps)
            out.append(_violation(Rule.CONTIGUITY, str(d), f"{len(comps)} separate parts: {parts}"))
        for a, b, link, dist in zip(graph.edges["a"], graph.edges["b"], graph.edges["link"],
                                    graph.edges["distance_m"]):
            if link == dm.SEA and a in members and b in members:
                ka, kb = graph.kec_of[a], graph.kec_of[b]
                out.append(_violation(Rule.SEA_LINK, str(d), f"{label(ka)} – {label(kb)} joined across water "
                                      f"({dist / 1000:.1f} km; assumption: sea links up to "
                                      f"{(rules.sea_link_m or 0) / 1000:.0f} km)", Severity.NOTE))

    # PROPORTIONAL_ALLOCATION
    if not no_pop and seats.notna().all() and in_plan:
        rows = plan[plan["kecamatan_code"].isin(known)]
        whole = rows[~rows["kecamatan_code"].isin(split_ok)].drop_duplicates("kecamatan_code")
        acc: dict[str, float] = {}
        for d, c in zip(whole["dapil"], whole["kecamatan_code"]):
            acc[d] = acc.get(d, 0.0) + float(pop[c])
        for d, c, dc in zip(rows["dapil"], rows["kecamatan_code"], rows["desa_codes"]):
            if c in split_ok:
                acc[d] = acc.get(d, 0.0) + sum(graph.pop.get(x, 0.0) for x in dc.split(";"))
        dpop = pd.Series(acc, dtype=float).sort_index()
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
    split: allow split kecamatan (*bagian kecamatan*, desa as building blocks) when no plan
    of whole kecamatan exists (DEFAULT True; needs ``desa``). max_split_kecamatan: most
    kecamatan offered for splitting (DEFAULT 4). split_more_dapil: when kecamatan are split,
    how many larger numbers of dapil are also tried after the first plan, keeping the plan with
    the fewest extra parts, then the least deviation (DEFAULT 2; the search stops early at a
    plan whose parts meet the lower bound). extra_dapil: numbers of dapil tried above
    the minimum when ``n_dapil`` is not given (DEFAULT None: up to the most the seat range
    allows). threads: HiGHS threads.
    """

    node_limit: int | None = 200
    time_limit_s: float | None = 60.0
    mip_gap: float = 0.0
    compactness: bool = True
    split: bool = True
    max_split_kecamatan: int = 4
    split_more_dapil: int = 2
    extra_dapil: int | None = None
    threads: int | None = None


def contiguity_links(zones, rules: DapilRules = DapilRules(), adjacency: pd.DataFrame | None = None) -> pd.DataFrame:
    """The kecamatan contiguity graph used by :func:`check_plan` and :func:`propose_plan`:
    land adjacency (:func:`kecamatan_adjacency`, or ``adjacency``) plus the **sea links**
    joining island components (an assumption, see :func:`jangkau.selection.dapil_model.sea_links`
    and ``DapilRules.sea_link_m``). Returns DataFrame(code_a, code_b, shared_length_m, link,
    distance_m); ``link`` is 'land' or 'sea'. An ``adjacency`` that already has a ``link``
    column is returned as is."""
    from .dapil_model import kecamatan_links

    if adjacency is None:
        adjacency = kecamatan_adjacency(zones, rules)
    zm = _metric(zones) if "geometry" in zones.columns else None
    return kecamatan_links(zm, adjacency, rules.sea_link_m)


def _parse_fixed(fixed, popv, names, links_nb):
    fixed_assign: dict[str, str] = {}
    fixed_seats: dict[str, int] = {}
    closed: set[str] = set()
    if fixed is None or not len(fixed):
        return fixed_assign, fixed_seats, closed
    f = fixed.copy()
    f["kecamatan_code"] = f["kecamatan_code"].map(_code)
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
                 rules: DapilRules = DapilRules(), adjacency: pd.DataFrame | None = None,
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
    (why whole kecamatan did not suffice, when split), search_log (every model tried before the
    one that gave the plan, with its outcome), seed, confirmed_seats.
    """
    from . import dapil_model as dm

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
    regency_pop = float(popv.sum())
    if total_seats is None:
        total_seats = regency_seats(regency_pop)
    S = int(total_seats)
    links = contiguity_links(zones, rules, adjacency)
    links = links[links["code_a"].isin(codes) & links["code_b"].isin(codes)].reset_index(drop=True)
    nb = _neighbours(links, codes)
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
                           restarts=restarts, node_limit=options.node_limit)
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
    if not reasons:
        sol, r = run(dm.piece_graph(codes, popv.to_dict(), links), "whole kecamatan")
        reasons += r
    whole_reasons = list(reasons)
    split: list[str] = []
    if sol is None and options.split:
        if desa is None:
            reasons.append("splitting kecamatan (bagian kecamatan) needs desa building blocks: none given")
        else:
            dz = desa.copy()
            for col in ("code", "kecamatan_code", "population", "geometry"):
                if col not in dz.columns:
                    raise UnknownColumnError(f"desa need a '{col}' column", field=col)
            dz["code"] = dz["code"].map(_code)
            dz["kecamatan_code"] = dz["kecamatan_code"].map(_code)
            dm_ = _metric(dz)
            km = _metric(zones)
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
                graph = dm.piece_graph(codes, popv.to_dict(), links, split, dm_, km, rules, kecamatan_adjacency)
                # lower bound on the extra parts: each kecamatan above max_seats is cut at least once, and
                # k kecamatan for at least D dapil need D − k extra parts
                least = max(sum(1 for c in too_big if c in split), min(dapil_counts) - len(codes))
                sol, r = run(graph, f"desa of {', '.join(names[c] for c in split)} as building blocks", least)
                reasons += r
    if sol is None:
        raise NoPlanError("no dapil plan exists: " + "; ".join(reasons), reasons)
    out = _plan_frame(sol, codes, names, popv, fixed_assign, fixed_seats, links, split, S, regency_pop,
                      whole_reasons, seed)
    out.attrs["search_log"] = list(reasons)
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
