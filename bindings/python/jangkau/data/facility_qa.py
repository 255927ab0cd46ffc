"""Facility quality checks: rules that flag doubtful facility records, and policies that say
what a run does with each flag. Nothing is ever moved: a flagged point is kept where the
register puts it, dropped, or its location is treated as unknown.

Rules (each flag names the rule, the facility and a detail):

``missing_coordinates``
    the record has no usable point (absent, unparsable or placeholder coordinates).
``duplicate_id``
    the register id occurs more than once (the second and later occurrences are flagged).
``outside_region``
    a point of the region's own rows (the register lists the region, or the layer lists no
    regency) lies outside the region's boundary (detail: distance to it).
``regency_register``
    a row of a NEIGHBOURING regency, read because its point lies within the facility margin
    (``margin_facility``), lies inside the region: the register lists another regency than
    the one the point is in (detail: the listed regency, the distance to the boundary).
``neighbour_margin``
    a row of a neighbouring regency outside the region but within the margin: expected — it
    serves the region's people near the border and is never counted as the region's own
    (detail: the listed regency and the distance to the region). Reported so every facility
    the run uses is listed; the default policy keeps it.
``kecamatan_register``
    the register lists a kecamatan of the region and the point lies in another one or outside
    the region (detail: where it lies and how far it is from the listed kecamatan).
``kecamatan_name``
    the facility's name, without its type words and numbering (``Puskesmas``, ``SD Negeri``,
    ``2``...), is the name of a kecamatan of the region (and not the region's own name, e.g.
    "SMA Negeri 4 Cilegon" in Kota Cilegon), the register lists no other kecamatan for it, and
    the point lies elsewhere.

Both kecamatan rules check the region's own rows only (a neighbouring regency's row names
kecamatan of its own regency) and accept points within ``kecamatan_tolerance_m`` of the kecamatan.
``same_location``
    two different facilities (different ids) lie within ``same_location_m`` of each other
    (any types), or within ``near_m`` when they are of the same type (both configurable).

Policies (:class:`Policy`): ``keep`` (flag only), ``drop`` (the record leaves the run),
``unknown`` (the facility stays in the lists but has no location: it counts for nothing that
needs one) and ``refuse`` (the input is an error). ``missing_coordinates`` is the one rule for
points without a usable location in every point input (facility layers and registers, candidate
and existing sites): point FILES refuse them by default (a
:class:`~jangkau.errors.GeometryError` naming the file, the feature and the field), registers
(which list facilities without coordinates by design) flag them with the policy below; an
explicit ``drop``/``unknown`` (``read_facilities(missing_coordinates=...)``, the CLI's
``--missing-coordinates``, a run's ``[facility_qa.policy]``) applies to both. A facility with several flags gets the strongest policy (drop > unknown > keep).
See docs/facilities.md.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from ..errors import InvalidInputError

__all__ = ["FLAG_COLUMNS", "Policy", "QAOptions", "RULES", "apply_policies", "check_facilities", "flags_layer", "summary",
           "kecamatan_keys", "name_key"]

#: The rules in the order they are checked and listed.
RULES = ("missing_coordinates", "duplicate_id", "outside_region", "regency_register", "neighbour_margin",
         "kecamatan_register", "kecamatan_name", "same_location")

#: Columns of the flag table.
FLAG_COLUMNS = ["rule", "facility_id", "facility_type", "name", "source", "source_index", "detail", "policy",
                "lon", "lat"]


class Policy(enum.Enum):
    """What a run does with a flagged facility."""

    KEEP = "keep"
    DROP = "drop"
    UNKNOWN = "unknown"
    REFUSE = "refuse"


_STRENGTH = {Policy.KEEP: 0, Policy.UNKNOWN: 1, Policy.DROP: 2, Policy.REFUSE: 3}

#: Default policy per rule: a point the register contradicts (its own kecamatan, its name) is
#: not trusted; points outside the region or close together are only flagged (people cross
#: borders; schools share compounds); a repeated id is the same facility twice.
DEFAULT_POLICIES: dict[str, Policy] = {
    "missing_coordinates": Policy.UNKNOWN,
    "duplicate_id": Policy.DROP,
    "outside_region": Policy.KEEP,
    "regency_register": Policy.KEEP,
    "neighbour_margin": Policy.KEEP,
    "kecamatan_register": Policy.KEEP,
    "kecamatan_name": Policy.UNKNOWN,
    "same_location": Policy.KEEP,
}


@dataclass(frozen=True)
class QAOptions:
    """Thresholds and policies of the facility checks.

    ``same_location_m`` (default 1 m): two different facilities of any types this close are
    flagged. ``near_m`` (default 150 m): two different facilities of the SAME type this close
    are flagged. ``policies``: rule → :class:`Policy` (defaults :data:`DEFAULT_POLICIES`).
    ``kecamatan_tolerance_m`` (default 1,000 m, a choice, not a standard): a point within this
    distance of the kecamatan the register or the name gives is not flagged — the boundary
    layer and the register's own kecamatan assignment come from different sources and differ
    near borders; a point kilometres away is a misplaced point. ``osm_match_m`` (default 250 m, a
    choice): OSM facility points and register points of the same type this close can be the same
    facility (:mod:`jangkau.data.facility_match`, run when the region's OSM extract is fetched)."""

    same_location_m: float = 1.0
    near_m: float = 150.0
    kecamatan_tolerance_m: float = 1000.0
    osm_match_m: float = 250.0
    policies: Mapping[str, Policy] = field(default_factory=lambda: dict(DEFAULT_POLICIES))

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any] | None, *, file: str | None = None) -> QAOptions:
        """From a run file's ``[facility_qa]`` table: ``same_location_m``, ``near_m``,
        ``kecamatan_tolerance_m`` and ``[facility_qa.policy]`` rule = "keep" | "drop" | "unknown"."""
        cfg = dict(cfg or {})
        known = {"same_location_m", "near_m", "kecamatan_tolerance_m", "osm_match_m", "policy"}
        extra = sorted(set(cfg) - known)
        if extra:
            raise InvalidInputError(f"unknown key '{extra[0]}' in [facility_qa] (known: {', '.join(sorted(known))})",
                                    file=file, field=extra[0])
        policies = dict(DEFAULT_POLICIES)
        for rule, value in (cfg.get("policy") or {}).items():
            if rule not in RULES:
                raise InvalidInputError(f"unknown facility QA rule '{rule}' (rules: {', '.join(RULES)})",
                                        file=file, field=rule)
            try:
                policies[rule] = Policy(str(value))
            except ValueError:
                allowed = "keep, drop, unknown or refuse" if rule == "missing_coordinates" else "keep, drop or unknown"
                raise InvalidInputError(f"policy of '{rule}' must be {allowed}, not '{value}'",
                                        file=file, field=rule) from None
            if policies[rule] is Policy.REFUSE and rule != "missing_coordinates":
                raise InvalidInputError(f"policy of '{rule}' must be keep, drop or unknown, not 'refuse'",
                                        file=file, field=rule)
        values = {}
        for k in ("same_location_m", "near_m", "kecamatan_tolerance_m", "osm_match_m"):
            if k in cfg:
                v = cfg[k]
                if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
                    raise InvalidInputError(f"{k} must be a distance in metres ≥ 0", file=file, field=k)
                values[k] = float(v)
        return cls(policies=policies, **values)


# ------------------------------------------------------------------------------------------ names

#: Words that say what a facility is, not where: removed before a name is compared with the
#: kecamatan names (with the numbering: digits and roman numerals).
_TYPE_WORDS = ("upt", "uptd", "puskesmas", "pkm", "klinik", "pratama", "utama", "rumah sakit", "rsud", "rsu", "rs",
               "sd", "smp", "sma", "smk", "slb", "negeri", "swasta", "sdn", "smpn", "sman", "smkn", "satu atap",
               "kecamatan", "kec", "rawat inap", "non")
_NUMBERING = re.compile(r"^(?:[0-9]+|[ivxl]+)$")


def _norm_key(text: Any) -> str:
    return re.sub(r"[^0-9a-z]+", "", str(text).lower())


def name_key(name: Any) -> str:
    """The place part of a facility name as a comparison key: lower case, type words and
    numbering removed, spaces and punctuation dropped (``"Puskesmas Waringin Kurung"`` →
    ``"waringinkurung"``; ``"SD NEGERI KRAMATWATU 2"`` → ``"kramatwatu"``)."""
    if name is None or (isinstance(name, float) and np.isnan(name)):
        return ""
    t = " " + re.sub(r"[^0-9a-z]+", " ", str(name).lower()) + " "
    for w in sorted(_TYPE_WORDS, key=len, reverse=True):
        t = t.replace(f" {w} ", " ")
    tokens = [tok for tok in t.split() if not _NUMBERING.match(tok)]
    return "".join(tokens)


def region_key(name: Any) -> str:
    """Comparison key of a regency or city name, without its "Kota"/"Kabupaten" prefix."""
    return _norm_key(re.sub(r"^\s*(kota|kabupaten|kab\.?)\s+", "", str(name), flags=re.IGNORECASE))


def kecamatan_keys(kecamatan: gpd.GeoDataFrame) -> dict[str, int]:
    """Comparison key (see :func:`name_key`, without type words) → row of ``kecamatan``, from
    the ``name`` column and any alternative-name columns (``nama_*``). A key shared by two
    kecamatan is left out (it implies neither)."""
    cols = ["name"] + [c for c in kecamatan.columns if str(c).startswith("nama_")]
    seen: dict[str, set[int]] = {}
    for c in cols:
        if c not in kecamatan.columns:
            continue
        for i, v in enumerate(kecamatan[c].to_numpy()):
            if v is None or (isinstance(v, float) and np.isnan(v)):
                continue
            k = _norm_key(v)
            if k:
                seen.setdefault(k, set()).add(i)
    return {k: next(iter(v)) for k, v in seen.items() if len(v) == 1}


# ------------------------------------------------------------------------------------------ checks

def _locate(zones: gpd.GeoDataFrame, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Row of the zone containing each point (−1 for none), by the engine's point-in-polygon index."""
    from .. import _core
    from .io import to_geometry_array

    return np.asarray(_core.locate_points(to_geometry_array(zones.geometry.values),
                                          np.ascontiguousarray(x, dtype=np.float64),
                                          np.ascontiguousarray(y, dtype=np.float64)), dtype=np.int64)


def check_facilities(facilities: gpd.GeoDataFrame, *, boundary: gpd.GeoDataFrame | None = None,
                     kecamatan: gpd.GeoDataFrame | None = None, options: QAOptions | None = None,
                     metric_crs: Any = None) -> pd.DataFrame:
    """Flag doubtful facility records (rules in the module docstring).

    ``facilities``: as read by :func:`jangkau.data.facilities.read_facilities` with
    ``keep_missing=True`` (rows without geometry included), with optional ``facility_id``,
    ``register_kecamatan`` columns. ``boundary``: the region's polygons (e.g. the kabupaten
    zone); ``kecamatan``: kecamatan zones with ``name`` (and optional ``nama_*``) — rules
    needing them are not checked when absent. Distances are measured in ``metric_crs``
    (default: the UTM zone of the facilities). Returns one row per (rule, facility) with
    :data:`FLAG_COLUMNS`, in rule order then input order; ``policy`` is the rule's policy.
    """
    opts = options or QAOptions()
    fac = facilities.reset_index(drop=True)
    n = len(fac)
    ids = (fac["facility_id"].astype(object).to_numpy() if "facility_id" in fac.columns
           else np.array([f"{s}:{i}" for s, i in zip(fac["source"], fac["source_index"])], dtype=object))
    geoms = np.asarray(fac.geometry.values, dtype=object)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if fac.crs is None:
        raise InvalidInputError("facilities have no CRS")
    wgs = fac.to_crs("EPSG:4326") if present.any() else fac
    lonlat = np.full((n, 2), np.nan)
    if present.any():
        lonlat[present] = shapely.get_coordinates(np.asarray(wgs.geometry.values, dtype=object)[present])
    if metric_crs is None:
        from .crs import metric_crs_for

        metric_crs = metric_crs_for(fac[present]) if present.any() else "EPSG:3857"
    metric = pyproj.CRS.from_user_input(metric_crs)
    xy = np.full((n, 2), np.nan)
    if present.any():
        xy[present] = shapely.get_coordinates(np.asarray(fac[present].to_crs(metric).geometry.values, dtype=object))
    flags: list[tuple[str, int, str]] = []

    # missing coordinates
    for i in np.flatnonzero(~present).tolist():
        flags.append(("missing_coordinates", int(i), "no usable coordinates in the register"))

    # duplicate register ids (within one source)
    key = pd.Series([f"{s}\x00{v}" if v is not None else None for s, v in zip(fac["source"], ids)])
    first: dict[str, int] = {}
    for i, k in enumerate(key):
        if k is None:
            continue
        if k in first:
            flags.append(("duplicate_id", i, f"id {ids[i]} also on row {int(fac['source_index'].iloc[first[k]])} "
                                             f"({fac['name'].iloc[first[k]]})"))
        else:
            first[k] = i

    idx_present = np.flatnonzero(present)
    margin = (fac["margin_facility"].fillna(False).to_numpy(dtype=bool) if "margin_facility" in fac.columns
              else np.zeros(n, dtype=bool))
    listed = (fac["register_regency"].to_numpy(dtype=object) if "register_regency" in fac.columns
              else np.full(n, None, dtype=object))
    # outside the region; a neighbouring regency's rows inside it or in the margin
    if boundary is not None and len(idx_present):
        bnd = boundary.to_crs(metric)
        inside = _locate(bnd, xy[idx_present, 0], xy[idx_present, 1]) >= 0
        union = shapely.union_all(np.asarray(bnd.geometry.values, dtype=object))
        for i, ins in zip(idx_present.tolist(), inside.tolist()):
            if ins and not margin[i]:
                continue
            said = f"listed in {listed[i]}" if listed[i] else "listed in another regency"
            if ins:
                d = float(shapely.distance(union.boundary, shapely.Point(xy[i])))
                flags.append(("regency_register", int(i), f"{said}; the point lies inside the region, "
                                                          f"{d:,.0f} m from its boundary"))
                continue
            d = float(shapely.distance(union, shapely.Point(xy[i])))
            if margin[i]:
                flags.append(("neighbour_margin", int(i), f"{said}, {d:,.0f} m outside the region (within the "
                                                          "facility margin): serves people near the border, "
                                                          "not counted as the region's"))
            else:
                flags.append(("outside_region", int(i), f"{d:,.0f} m outside the region boundary"))

    # kecamatan the register lists / the name implies
    if kecamatan is not None and len(kecamatan):
        kec = kecamatan.to_crs(metric).reset_index(drop=True)
        keys = kecamatan_keys(kec)
        # A name naming the region itself ("SMA Negeri 4 Cilegon" in Kota Cilegon, which also
        # has a Kec. Cilegon) implies no kecamatan.
        if boundary is not None and "name" in boundary.columns:
            for v in boundary["name"].dropna():
                keys.pop(region_key(v), None)
        kname = kec["name"].astype(str).to_numpy()
        where = np.full(n, -1, dtype=np.int64)
        if len(idx_present):
            where[idx_present] = _locate(kec, xy[idx_present, 0], xy[idx_present, 1])
        kgeoms = np.asarray(kec.geometry.values, dtype=object)

        def _check(rule: str, i: int, k: int, said: str) -> None:
            if where[i] == k:
                return
            d = float(shapely.distance(kgeoms[k], shapely.Point(xy[i])))
            if d <= opts.kecamatan_tolerance_m:
                return
            at = f"in Kec. {kname[where[i]]}" if where[i] >= 0 else "outside the region"
            flags.append((rule, i, f"{said} Kec. {kname[k]}; the point lies {at}, {d:,.0f} m from Kec. {kname[k]}"))

        own_present = [i for i in idx_present.tolist() if not margin[i]]
        if "register_kecamatan" in fac.columns:
            listed_kec = fac["register_kecamatan"].to_numpy(dtype=object)
            for i in own_present:
                v = listed_kec[i]
                if v is None or (isinstance(v, float) and np.isnan(v)):
                    continue
                k = keys.get(_norm_key(v))
                if k is not None:
                    _check("kecamatan_register", int(i), k, "the register lists")
        names = fac["name"].to_numpy(dtype=object)
        listed_k = np.full(n, -1, dtype=np.int64)
        if "register_kecamatan" in fac.columns:
            for i, v in enumerate(fac["register_kecamatan"].to_numpy(dtype=object)):
                if isinstance(v, str):
                    listed_k[i] = keys.get(_norm_key(v), -1)
        for i in own_present:
            k = keys.get(name_key(names[i]))
            # A name naming another kecamatan than the one the register lists names a desa or a
            # place of that name (e.g. "SD Negeri Pabuaran" in desa Pabuaran of Kec. Tunjung
            # Teja): only a name the register does not contradict is evidence of the kecamatan.
            if k is not None and listed_k[i] in (-1, k):
                _check("kecamatan_name", int(i), k, "the name implies")

    # different facilities at (nearly) the same place
    if len(idx_present) > 1:
        from scipy.spatial import cKDTree

        tree = cKDTree(xy[idx_present])
        reach = max(opts.same_location_m, opts.near_m)
        types = fac["facility_type"].astype(str).to_numpy()
        pairs = tree.query_pairs(reach, output_type="ndarray")
        partner: dict[int, list[tuple[float, int]]] = {}
        for a, b in pairs.tolist():
            i, j = int(idx_present[a]), int(idx_present[b])
            if ids[i] is not None and ids[i] == ids[j]:
                continue  # the same id twice: duplicate_id says so
            d = float(np.hypot(*(xy[i] - xy[j])))
            if d <= opts.same_location_m or (types[i] == types[j] and d <= opts.near_m):
                partner.setdefault(i, []).append((d, j))
                partner.setdefault(j, []).append((d, i))
        for i in sorted(partner):
            others = sorted(partner[i])
            text = "; ".join(f"{d:,.0f} m from {types[j]} {ids[j]} ({names_or(fac, j)})" for d, j in others[:3])
            more = f" and {len(others) - 3} more" if len(others) > 3 else ""
            flags.append(("same_location", i, text + more))

    order = {r: k for k, r in enumerate(RULES)}
    flags.sort(key=lambda f: (order[f[0]], f[1]))
    rows = []
    for rule, i, detail in flags:
        rows.append({"rule": rule, "facility_id": ids[i], "facility_type": fac["facility_type"].iloc[i],
                     "name": fac["name"].iloc[i], "source": fac["source"].iloc[i],
                     "source_index": int(fac["source_index"].iloc[i]), "detail": detail,
                     "policy": opts.policies.get(rule, Policy.KEEP).value,
                     "lon": lonlat[i, 0], "lat": lonlat[i, 1]})
    out = pd.DataFrame(rows, columns=FLAG_COLUMNS)
    out.attrs["row"] = [i for _, i, _ in flags]
    return out


def names_or(fac: pd.DataFrame, j: int) -> str:
    v = fac["name"].iloc[j]
    return str(v) if v is not None else "unnamed"


def apply_policies(facilities: gpd.GeoDataFrame, flags: pd.DataFrame) -> gpd.GeoDataFrame:
    """The facilities after the flags' policies: rows whose strongest policy is ``drop`` are
    removed; ``unknown`` rows lose their geometry (None). Adds ``qa_flags`` (the rules,
    ``;``-separated, "" when none) and ``qa_policy`` (keep/unknown) columns. ``flags`` must come
    from :func:`check_facilities` on the same ``facilities`` (same order)."""
    fac = facilities.reset_index(drop=True).copy()
    n = len(fac)
    rows = flags.attrs.get("row")
    if rows is None or len(rows) != len(flags):
        raise InvalidInputError("flags must come from check_facilities on these facilities")
    rules: list[list[str]] = [[] for _ in range(n)]
    strongest = [Policy.KEEP] * n
    for i, (rule, pol) in zip(rows, zip(flags["rule"], flags["policy"])):
        rules[i].append(rule)
        p = Policy(pol)
        if _STRENGTH[p] > _STRENGTH[strongest[i]]:
            strongest[i] = p
    refused = [i for i, p in enumerate(strongest) if p is Policy.REFUSE]
    if refused:
        from ..errors import GeometryError

        i = refused[0]
        src = fac["source"].iloc[i] if "source" in fac.columns else None
        feat = int(fac["source_index"].iloc[i]) if "source_index" in fac.columns else i
        raise GeometryError(f"{len(refused)} facilities have no usable coordinates (policy 'refuse' of "
                            "missing_coordinates; 'drop' or 'unknown' would accept them)", file=src, feature=feat,
                            field="geometry")
    fac["qa_flags"] = [";".join(dict.fromkeys(r)) for r in rules]
    fac["qa_policy"] = [p.value for p in strongest]
    unknown = np.array([p is Policy.UNKNOWN for p in strongest], dtype=bool)
    if unknown.any():
        geoms = np.asarray(fac.geometry.values, dtype=object).copy()
        geoms[unknown] = None
        fac = fac.set_geometry(gpd.GeoSeries(geoms, crs=fac.crs, index=fac.index))
    keep = np.array([p is not Policy.DROP for p in strongest], dtype=bool)
    return fac[keep].reset_index(drop=True)


def flags_layer(flags: pd.DataFrame) -> gpd.GeoDataFrame:
    """The flags as points (EPSG:4326) where the record has coordinates, for QGIS."""
    geom = np.array([shapely.Point(x, y) if np.isfinite(x) and np.isfinite(y) else None
                     for x, y in zip(flags["lon"], flags["lat"])], dtype=object)
    return gpd.GeoDataFrame(flags.drop(columns=["lon", "lat"]).reset_index(drop=True),
                            geometry=gpd.GeoSeries(geom, crs="EPSG:4326"), crs="EPSG:4326")


def summary(flags: pd.DataFrame, facilities: pd.DataFrame) -> pd.DataFrame:
    """Flags per rule and facility type: ``rule``, ``facility_type``, ``flags``, ``policy``."""
    if len(flags) == 0:
        return pd.DataFrame(columns=["rule", "facility_type", "flags", "policy"])
    g = flags.groupby(["rule", "facility_type", "policy"], sort=False).size().reset_index(name="flags")
    order = {r: k for k, r in enumerate(RULES)}
    g = g.sort_values(["rule", "facility_type"], key=lambda s: s.map(order) if s.name == "rule" else s)
    return g[["rule", "facility_type", "flags", "policy"]].reset_index(drop=True)
