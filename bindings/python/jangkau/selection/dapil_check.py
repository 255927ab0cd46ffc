"""Dapil plans for a regency DPRD: the rules, plan I/O and the checker.

A *plan* is a table ``kecamatan_code, dapil, seats[, desa_codes]`` (one row per kecamatan,
or per part of a split kecamatan; ``seats`` is the seat count of the row's dapil, repeated
on each of its rows). :func:`check_plan` lists every violation of the rules listed in
:mod:`jangkau.selection.dapil`, which re-exports everything public here together with the
proposer. Legal sources, the model and its assumptions: docs/pilots.md.
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
from ..errors import DataFileError, InvalidInputError, UnknownColumnError
from .ranking import allocate_largest_remainder

_log = logging.getLogger("jangkau.selection.dapil")

__all__ = [
    "ILLUSTRATIVE",
    "Adjacency",
    "DapilRules",
    "Rule",
    "Severity",
    "allocate_dapil_seats",
    "check_plan",
    "contiguity_links",
    "kecamatan_adjacency",
    "load_plan",
    "regency_seats",
    "sea_link_layer",
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

def metric_zones(zones):  # -> GeoDataFrame in a metric CRS
    if zones.crs is None:
        raise InvalidInputError("kecamatan polygons have no CRS", field="geometry")
    if zones.crs.is_geographic:
        from ..data.crs import metric_crs_for

        return zones.to_crs(metric_crs_for(zones))
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
    gz = metric_zones(zones)
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


def neighbour_sets(adjacency: pd.DataFrame, codes: Sequence[str]) -> dict[str, set[str]]:
    nb: dict[str, set[str]] = {c: set() for c in codes}
    for a, b in zip(adjacency["code_a"].astype(str), adjacency["code_b"].astype(str)):
        if a in nb and b in nb:
            nb[a].add(b)
            nb[b].add(a)
    return nb


# --------------------------------------------------------------------------------------
# Plans
# --------------------------------------------------------------------------------------

def code_text(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def load_plan(path: str | os.PathLike[str], *, code_column: str = "kecamatan_code", zones=None) -> pd.DataFrame:
    """Read a dapil plan CSV with columns ``kecamatan_code, dapil`` and optionally ``seats``
    and ``desa_codes`` (the desa of a part of a split kecamatan, ';'-separated; kept as is).

    Seats may be repeated on every row of a dapil or given on one row only; different
    values within a dapil, non-integer or negative seats, empty codes or dapil raise
    InvalidInputError naming the file, row and column. Without ``zones``, a kecamatan listed
    twice is kept (it is a WHOLE_KECAMATAN violation for :func:`check_plan` to report).

    With ``zones`` (the regency's kecamatan, column ``code``) the plan is validated against
    the region, and these are InvalidInputError naming the file, row and column: a row for
    a kecamatan the region does not have; a kecamatan in two dapil (or listed twice)
    without ``desa_codes`` saying which part goes where.
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
    out = pd.DataFrame({"kecamatan_code": df[code_column].map(code_text), "dapil": df["dapil"].str.strip()})
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
    if zones is not None:
        _validate_plan_rows(out, zones, str(p), code_column)
    return out


def _validate_plan_rows(plan: pd.DataFrame, zones, file: str, code_column: str) -> None:
    known = {code_text(c) for c in zones["code"]}
    parts = plan["desa_codes"].fillna("").astype(str) if "desa_codes" in plan.columns else \
        pd.Series("", index=plan.index)
    first: dict[str, int] = {}
    for i, (c, d, dc) in enumerate(zip(plan["kecamatan_code"], plan["dapil"], parts)):
        if c not in known:
            raise InvalidInputError(f"dapil plan '{file}', row {i + 2}: kecamatan '{c}' is not a kecamatan of the "
                                    "region", file=file, feature=i, field=code_column)
        if c in first and not (dc and parts.iloc[first[c]]):
            j = first[c]
            what = (f"in two dapil ('{plan['dapil'].iloc[j]}' on row {j + 2}, '{d}')" if plan["dapil"].iloc[j] != d
                    else f"listed twice (also row {j + 2})")
            raise InvalidInputError(f"dapil plan '{file}', row {i + 2}: kecamatan '{c}' is {what}; a split "
                                    "kecamatan (bagian kecamatan) lists the desa of each part in 'desa_codes'",
                                    file=file, feature=i, field=code_column)
        first.setdefault(c, i)


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
    if int(total_seats) < 1:
        raise InvalidInputError(f"the regency must have at least one seat, not {int(total_seats)}",
                                field="total_seats")
    bppd = total / int(total_seats)
    quota = pop / bppd
    given = {str(d): v for d, v in ({} if fixed_seats is None else dict(fixed_seats)).items()}
    # Confirmed seats of a dapil the population does not list would silently vanish from the sum.
    unknown = sorted(d for d in given if d not in set(map(str, pop.index)))
    if unknown:
        raise InvalidInputError(f"confirmed seats given for {len(unknown)} dapil that are not in the plan: "
                                f"{', '.join(unknown)} (plan dapil: {', '.join(map(str, pop.index))})",
                                field="confirmed_seats")
    bad = [d for d, v in given.items() if not (isinstance(v, (int, np.integer)) or float(v).is_integer()) or int(v) < 0]
    if bad:
        raise InvalidInputError(f"confirmed seats of dapil {bad[0]} are {given[bad[0]]!r}: a whole number >= 0 is "
                                "needed", field="confirmed_seats")
    fixed = pd.Series({d: int(given[str(d)]) for d in pop.index if str(d) in given}, dtype=float)
    free = [d for d in pop.index if d not in fixed.index]
    seats = pd.Series(0, index=pop.index, dtype=int)
    for d in fixed.index:
        seats[d] = int(fixed[d])
    n_fixed = int(fixed.sum())
    left = int(total_seats) - n_fixed
    if left < 0:
        listed = ", ".join(f"{d}: {int(v)}" for d, v in fixed.items())
        raise InvalidInputError(f"the {n_fixed} confirmed seats ({listed}) exceed the regency's {int(total_seats)} "
                                "seats", field="confirmed_seats")
    if free:
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
    dz["code"] = dz["code"].map(code_text)
    dz["kecamatan_code"] = dz["kecamatan_code"].map(code_text)
    dm_ = metric_zones(dz)
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
    codes = [code_text(c) for c in zones["code"]]
    names = dict(zip(codes, zones["name"].astype(str))) if "name" in zones.columns else {c: c for c in codes}
    pop = pd.Series(pd.to_numeric(zones["population"], errors="coerce").to_numpy(dtype=float), index=codes) \
        if "population" in zones.columns else pd.Series(np.nan, index=codes)
    plan = plan.copy()
    plan["kecamatan_code"] = plan["kecamatan_code"].map(code_text)
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
    for c_, ds in multi.items():
        c = str(c_)
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
                           metric_zones(zones) if split_ok else None, rules, kecamatan_adjacency)
    nb = graph.neighbours()
    desa_name: dict[str, str] = {}
    if desa_m is not None and "name" in desa_m.columns:
        desa_name = dict(zip(desa_m["code"].astype(str), desa_m["name"].astype(str)))
    for d_, rows in plan[plan["kecamatan_code"].isin(known)].groupby("dapil", sort=True):
        d = str(d_)
        members: set[str] = set()
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
        for k in sorted(str(k) for k in conf_in if str(k) not in dpop.index):
            out.append(_violation(Rule.PROPORTIONAL_ALLOCATION, k,
                                  f"has {int(conf_in[k])} confirmed seats but is not in the plan"))
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
    zm = metric_zones(zones) if "geometry" in zones.columns else None
    return kecamatan_links(zm, adjacency, rules.sea_link_m)


def sea_link_layer(plan: pd.DataFrame, zones):
    """The sea links of a proposed plan (``plan.attrs['sea_links']``: code_a, code_b,
    distance_m) as a GeoDataFrame of lines (EPSG:4326) between the nearest points of the two
    kecamatan, with code_a, name_a, code_b, name_b, distance_km, within_dapil (the plan puts
    both ends in one dapil, so its contiguity relies on the link) and assumption. None when
    the plan has no sea links or ``zones`` no geometry. Sea links are an assumption
    (DapilRules.sea_link_m), not a KPU rule: every row says so."""
    links = plan.attrs.get("sea_links") or []
    if not links or "geometry" not in zones.columns:
        return None
    import geopandas as gpd
    import shapely

    km = metric_zones(zones)
    km = km.set_index(km["code"].map(code_text))
    names = km["name"].astype(str) if "name" in km.columns else pd.Series(km.index, index=km.index)
    dapil_of: dict[str, set[str]] = {}
    for c, d in zip(plan["kecamatan_code"].map(code_text), plan["dapil"].astype(str)):
        dapil_of.setdefault(c, set()).add(d)
    rows, geoms = [], []
    for a, b, dist in links:
        a, b = code_text(a), code_text(b)
        if a not in km.index or b not in km.index:
            continue
        geoms.append(shapely.shortest_line(km.geometry[a], km.geometry[b]))
        rows.append({"code_a": a, "name_a": names[a], "code_b": b, "name_b": names[b],
                     "distance_km": round(float(dist) / 1000.0, 3),
                     "within_dapil": bool(dapil_of.get(a, set()) & dapil_of.get(b, set())),
                     "assumption": "sea link: island components joined to their nearest neighbours "
                                   "(DapilRules.sea_link_m); not a KPU rule"})
    if not rows:
        return None
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=km.crs).to_crs("EPSG:4326")
