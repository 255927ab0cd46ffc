"""Facility registers: published lists of schools, health facilities and the like, read from
their VERBATIM files through the catalogue ``datasets/facility_registers.toml``.

A register entry says which column holds the register's id, name, type, kecamatan, regency
and coordinates, and maps the register's types to the facility types of
``datasets/facility_types.csv`` (e.g. the Kemdikbud ``bentuk`` SD → ``sd``, SMA and SMK →
``sma``; the BPJS ``TipeFaskes`` Puskesmas → ``puskesmas``). Nothing is corrected: rows without
usable coordinates are kept with no geometry (the facility QA flags them), rows of other
types are left out and counted. A capacity register (attributes without coordinates, e.g.
hospital beds) is joined by name; every facility that found no match is reported.
See docs/facilities.md.
"""

from __future__ import annotations

import difflib
import functools
import json
import logging
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import DataFileError, InvalidInputError, UnknownColumnError
from ..util import dataset_path

__all__ = [
    "CapacitySpec",
    "RegisterSpec",
    "join_capacity",
    "normalise_name",
    "read_register",
    "register_catalogue",
]

log = logging.getLogger("jangkau")

#: Columns every register reader returns (plus ``attr_<column>`` for each kept attribute).
REGISTER_COLUMNS = ("facility_id", "facility_type", "name", "register", "register_type",
                    "register_kecamatan", "register_regency", "capacity", "source", "source_index",
                    "margin_facility", "region_distance_m")


@dataclass(frozen=True)
class RegisterSpec:
    """How to read one register (an entry ``[registers.ID]`` of the catalogue)."""

    id: str
    title: str
    format: str
    id_column: str
    name_column: str
    type_column: str
    types: Mapping[str, str]
    kecamatan_column: str | None = None
    regency_column: str | None = None
    regency_pattern: str | None = None
    lat_column: str | None = None
    lon_column: str | None = None
    coordinates_column: str | None = None
    coordinate_pattern: str | None = None
    strip_prefix: str = ""
    separator: str = ","
    attributes: tuple[str, ...] = ()
    notes: str = ""


@dataclass(frozen=True)
class CapacitySpec:
    """A register of attributes without coordinates (``[capacity.ID]``), joined by name."""

    id: str
    title: str
    name_column: str
    value_column: str
    value_label: str = "capacity"
    regency_column: str | None = None
    separator: str = ","
    attributes: tuple[str, ...] = ()
    name_replacements: tuple[tuple[str, str], ...] = ()
    min_similarity: float = 0.9


@dataclass(frozen=True)
class RegisterCatalogue:
    """The parsed register catalogue."""

    path: Path
    registers: Mapping[str, RegisterSpec] = field(default_factory=dict)
    capacity: Mapping[str, CapacitySpec] = field(default_factory=dict)

    def register(self, name: str) -> RegisterSpec:
        """The register ``name``; InvalidInputError naming the known ones."""
        if name not in self.registers:
            raise InvalidInputError(f"unknown facility register '{name}' (known: {', '.join(self.registers)})",
                                    file=str(self.path), field="register")
        return self.registers[name]

    def capacity_register(self, name: str) -> CapacitySpec:
        """The capacity register ``name``; InvalidInputError naming the known ones."""
        if name not in self.capacity:
            raise InvalidInputError(f"unknown capacity register '{name}' (known: {', '.join(self.capacity)})",
                                    file=str(self.path), field="capacity_register")
        return self.capacity[name]


_REGISTER_KEYS = {"title", "publisher", "notes", "format", "separator", "id", "name", "type", "kecamatan",
                  "regency", "regency_pattern", "lat", "lon", "coordinates", "coordinate_pattern",
                  "strip_prefix", "attributes", "types"}
_CAPACITY_KEYS = {"title", "publisher", "notes", "format", "separator", "name", "regency", "value",
                  "value_label", "attributes", "name_replacements", "min_similarity"}


def _need(entry: dict, key: str, where: str, path: Path) -> str:
    if key not in entry:
        raise InvalidInputError(f"[{where}] lacks '{key}'", file=str(path), field=key)
    return str(entry[key])


def _entries(cfg: dict, section: str, known: set[str], path: Path) -> list[tuple[str, dict, str]]:
    """(id, entry, "section.id") of one catalogue section; an unknown key is an error naming it."""
    out = []
    for eid, e in (cfg.get(section) or {}).items():
        where = f"{section}.{eid}"
        if not isinstance(e, dict):
            raise InvalidInputError(f"[{where}] must be a table", file=str(path), field=eid)
        extra = sorted(set(e) - known)
        if extra:
            raise InvalidInputError(f"[{where}] unknown key '{extra[0]}'", file=str(path), field=extra[0])
        out.append((eid, e, where))
    return out


def load_register_catalogue(path: str | os.PathLike[str] | None = None) -> RegisterCatalogue:
    """Parse a register catalogue (default: ``datasets/facility_registers.toml``)."""
    p = Path(path) if path is not None else dataset_path("facility_registers.toml")
    if not p.is_file():
        raise DataFileError("facility register catalogue not found", file=str(p))
    try:
        cfg = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInputError(f"register catalogue is not valid TOML: {exc}", file=str(p)) from None
    if cfg.get("format") != 1:
        raise InvalidInputError("register catalogue needs 'format = 1'", file=str(p), field="format")
    regs: dict[str, RegisterSpec] = {}
    for rid, e, where in _entries(cfg, "registers", _REGISTER_KEYS, p):
        fmt = _need(e, "format", where, p)
        if fmt not in ("csv", "json_records"):
            raise InvalidInputError(f"[{where}] format must be 'csv' or 'json_records'", file=str(p), field="format")
        has_latlon = "lat" in e and "lon" in e
        has_coords = "coordinates" in e and "coordinate_pattern" in e
        if not (has_latlon or has_coords):
            raise InvalidInputError(f"[{where}] needs lat and lon, or coordinates and coordinate_pattern",
                                    file=str(p), field="lat")
        types = e.get("types") or {}
        if not types:
            raise InvalidInputError(f"[{where}] needs a [types] table", file=str(p), field="types")
        regs[rid] = RegisterSpec(
            id=rid, title=str(e.get("title", "")), format=fmt, id_column=_need(e, "id", where, p),
            name_column=_need(e, "name", where, p), type_column=_need(e, "type", where, p),
            types={_key(k): str(v) for k, v in types.items()}, kecamatan_column=e.get("kecamatan"),
            regency_column=e.get("regency"), regency_pattern=e.get("regency_pattern"), lat_column=e.get("lat"),
            lon_column=e.get("lon"), coordinates_column=e.get("coordinates"),
            coordinate_pattern=e.get("coordinate_pattern"), strip_prefix=str(e.get("strip_prefix", "")),
            separator=str(e.get("separator", ",")), attributes=tuple(e.get("attributes", ())),
            notes=str(e.get("notes", "")))
    caps: dict[str, CapacitySpec] = {}
    for cid, e, where in _entries(cfg, "capacity", _CAPACITY_KEYS, p):
        caps[cid] = CapacitySpec(
            id=cid, title=str(e.get("title", "")), name_column=_need(e, "name", where, p),
            value_column=_need(e, "value", where, p), value_label=str(e.get("value_label", "capacity")),
            regency_column=e.get("regency"), separator=str(e.get("separator", ",")),
            attributes=tuple(e.get("attributes", ())),
            name_replacements=tuple((str(a), str(b)) for a, b in e.get("name_replacements", ())),
            min_similarity=float(e.get("min_similarity", 0.9)))
    return RegisterCatalogue(path=p, registers=regs, capacity=caps)


@functools.lru_cache(maxsize=1)
def register_catalogue() -> RegisterCatalogue:
    """The register catalogue shipped with jangkau (read once)."""
    return load_register_catalogue()


def _key(s: Any) -> str:
    return " ".join(str(s).split()).upper()


def _clean(s: Any) -> str | None:
    """Text with runs of whitespace (including the CR/LF padding of scraped cells) collapsed."""
    if s is None or (isinstance(s, float) and np.isnan(s)):
        return None
    t = " ".join(str(s).split())
    return t or None


def normalise_regency(s: Any) -> str:
    """``Kab. Serang``, ``Kabupaten Serang`` and ``Serang`` → ``serang``; ``Kota Serang`` → ``kota serang``."""
    t = (_clean(s) or "").lower()
    t = re.sub(r"^(kab\.?|kabupaten)\s+", "", t)
    return t


def _read_rows(spec: RegisterSpec, path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise DataFileError("register file not found", file=str(path))
    if spec.format == "csv":
        try:
            return pd.read_csv(path, sep=spec.separator, dtype=str, keep_default_na=False, na_values=[""])
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise DataFileError(f"cannot read register CSV: {exc}", file=str(path)) from None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataFileError(f"register is not valid JSON: {exc}", file=str(path)) from None
    if isinstance(doc, dict):
        records = [r for v in doc.values() if isinstance(v, list) for r in v]
    elif isinstance(doc, list):
        records = doc
    else:
        raise InvalidInputError("register JSON must be a list of records or an object of such lists", file=str(path))
    if not all(isinstance(r, dict) for r in records):
        raise InvalidInputError("register JSON records must be objects", file=str(path))
    return pd.DataFrame.from_records(records).astype(object).where(lambda d: d.notna(), None)


def _coordinates(spec: RegisterSpec, rows: pd.DataFrame, path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Latitude and longitude per row (NaN where absent, unparsable, exactly 0 or out of range)."""
    if spec.coordinates_column is not None:
        col = _column(rows, spec.coordinates_column, path)
        assert spec.coordinate_pattern is not None
        got = col.astype(str).str.extract(spec.coordinate_pattern)
        if "lat" not in got.columns or "lon" not in got.columns:
            raise InvalidInputError("coordinate_pattern needs groups named 'lat' and 'lon'", field="coordinate_pattern")
        lat = pd.to_numeric(got["lat"], errors="coerce")
        lon = pd.to_numeric(got["lon"], errors="coerce")
    else:
        assert spec.lat_column is not None and spec.lon_column is not None
        lat = pd.to_numeric(_column(rows, spec.lat_column, path), errors="coerce")
        lon = pd.to_numeric(_column(rows, spec.lon_column, path), errors="coerce")
    la = np.array(lat, dtype=np.float64)
    lo = np.array(lon, dtype=np.float64)
    # A coordinate of exactly 0 is a placeholder for "unknown" in these registers (e.g. a
    # school at longitude 0): the row counts as having no coordinates, never as a point.
    bad = ~np.isfinite(la) | ~np.isfinite(lo) | (la == 0) | (lo == 0) | (np.abs(la) > 90) | (np.abs(lo) > 180)
    la[bad] = np.nan
    lo[bad] = np.nan
    return la, lo


def _column(rows: pd.DataFrame, name: str, path: Path) -> pd.Series:
    if name not in rows.columns:
        raise UnknownColumnError(f"register has no column '{name}' (columns: {', '.join(map(str, rows.columns))})",
                                 file=str(path), field=name)
    return rows[name]


def read_register(register: str | RegisterSpec, path: str | os.PathLike[str], *, select: str | None = None,
                  catalogue: RegisterCatalogue | None = None, region: Any = None, region_crs: Any = None,
                  margin_m: float = 0.0) -> gpd.GeoDataFrame:
    """Read a register's verbatim file into facilities (EPSG:4326).

    Columns: ``facility_id`` (the register's id), ``facility_type`` (catalogue key),
    ``name``, ``register`` (the register id), ``register_type`` (the register's own type text),
    ``register_kecamatan`` / ``register_regency`` (as listed, None where the register has no
    such column), ``capacity`` (NaN), ``source`` (file name), ``source_index`` (row in the
    file), ``attr_<column>`` for each kept attribute, and ``geometry`` (a point, or None where
    the row has no usable coordinates — such rows are kept for the QA to flag).

    ``select`` keeps the rows of one regency (compared after :func:`normalise_regency`, so
    ``Kab. Serang`` and ``Serang`` agree). Rows whose type the register entry does not map are
    left out; their count per type is in ``attrs["left_out"]``.

    Facilities across the border: with ``region`` (a shapely geometry in ``region_crs``, a
    metric CRS: the region's outline) and ``margin_m`` > 0, the rows of OTHER regencies whose
    point lies within ``margin_m`` of the region (straight line) are kept too, with
    ``margin_facility`` True — they serve the region's people near its border but are not
    the region's own (rows of other regencies without a point cannot be placed and are left
    out). ``region_distance_m``: distance from the point to ``region`` in metres (0 inside;
    NaN without ``region`` or point). The selected regency's rows have ``margin_facility``
    False wherever their point lies (the facility QA flags those outside the region).
    """
    cat = catalogue or register_catalogue()
    spec = register if isinstance(register, RegisterSpec) else cat.register(register)
    p = Path(path)
    rows = _read_rows(spec, p)
    n_all = len(rows)
    index = np.arange(n_all, dtype=np.int64)
    regency = pd.Series([None] * n_all, index=rows.index, dtype=object)
    if spec.regency_column is not None:
        regency = _column(rows, spec.regency_column, p).map(_clean)
        if spec.regency_pattern:
            got = regency.astype(str).str.extract(spec.regency_pattern)
            if "regency" not in got.columns:
                raise InvalidInputError("regency_pattern needs a group named 'regency'", file=str(cat.path),
                                        field="regency_pattern")
            regency = got["regency"].where(got["regency"].notna(), regency).map(_clean)
    if margin_m < 0 or not np.isfinite(margin_m):
        raise InvalidInputError(f"the margin must be a distance in metres ≥ 0, not {margin_m!r}", field="margin")
    if region is not None and region_crs is None:
        raise InvalidInputError("a region outline needs its (metric) CRS", field="region_crs")
    keep = np.ones(n_all, dtype=bool)
    if select is not None:
        if spec.regency_column is None:
            raise InvalidInputError(f"register '{spec.id}' has no regency column: cannot select '{select}'",
                                    field="select")
        keep &= (regency.map(normalise_regency) == normalise_regency(select)).to_numpy()
        if not keep.any():
            known = sorted({str(v) for v in regency.dropna().unique()})
            raise InvalidInputError(f"no rows of '{select}' in the register (regencies: {', '.join(known[:12])})",
                                    file=str(p), field="select")
    own = keep.copy()
    raw_type = _column(rows, spec.type_column, p).map(_clean)
    ftype = raw_type.map(lambda v: spec.types.get(_key(v)) if v is not None else None)
    mapped = ftype.notna().to_numpy()
    left_out = raw_type[keep & ~mapped].fillna("(none)").value_counts().sort_index()
    lat, lon = _coordinates(spec, rows, p)
    distance = np.full(n_all, np.nan)
    if region is not None:
        has_point = np.isfinite(lat)
        pts = gpd.GeoSeries(gpd.points_from_xy(lon[has_point], lat[has_point]), crs="EPSG:4326").to_crs(region_crs)
        distance[has_point] = shapely.distance(region, np.asarray(pts.values, dtype=object))
        if select is not None and margin_m > 0:
            # Rows of the other regencies within the margin: they serve people near the border.
            keep |= ~own & (distance <= margin_m)
    keep &= mapped
    kec = None
    if spec.kecamatan_column is not None:
        kec = _column(rows, spec.kecamatan_column, p).map(_clean)
        if spec.strip_prefix:
            pre = spec.strip_prefix.strip().lower()
            kec = kec.map(lambda v: v[len(pre):].strip() if v is not None and v.lower().startswith(pre) else v)
    ids = _column(rows, spec.id_column, p).map(_clean)
    names = _column(rows, spec.name_column, p).map(_clean)
    sel = np.flatnonzero(keep)
    geom = np.array([None] * len(sel), dtype=object)
    has = np.isfinite(lat[sel])
    geom[has] = gpd.points_from_xy(lon[sel][has], lat[sel][has])
    data: dict[str, Any] = {
        "facility_id": ids.to_numpy(dtype=object)[sel],
        "facility_type": ftype.to_numpy(dtype=object)[sel],
        "name": names.to_numpy(dtype=object)[sel],
        "register": spec.id,
        "register_type": raw_type.to_numpy(dtype=object)[sel],
        "register_kecamatan": kec.to_numpy(dtype=object)[sel] if kec is not None else None,
        "register_regency": regency.to_numpy(dtype=object)[sel],
        "capacity": np.full(len(sel), np.nan),
        "source": p.name,
        "source_index": index[sel],
        "margin_facility": ~own[sel],
        "region_distance_m": distance[sel],
    }
    for a in spec.attributes:
        data[f"attr_{a}"] = _column(rows, a, p).map(_clean).to_numpy(dtype=object)[sel]
    out = gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geom, crs="EPSG:4326"), crs="EPSG:4326")
    out.attrs["left_out"] = left_out.to_dict()
    if len(left_out):
        log.info("%s: %d rows of types not mapped to facilities left out (%s)", p.name, int(left_out.sum()),
                 ", ".join(f"{k} {v}" for k, v in left_out.items()))
    return out


# ------------------------------------------------------------------------------------------ capacity

def normalise_name(name: Any, replacements: tuple[tuple[str, str], ...] = ()) -> str:
    """Lower case, punctuation to spaces, whitespace collapsed, then ``replacements`` applied
    as whole-word phrases (e.g. "rs umum daerah" → "rsud")."""
    t = re.sub(r"[^0-9a-z]+", " ", (_clean(name) or "").lower()).strip()
    for a, b in replacements:
        t = re.sub(rf"\b{re.escape(a)}\b", b, t)
    return " ".join(t.split())


def join_capacity(facilities: gpd.GeoDataFrame, capacity: str | CapacitySpec, path: str | os.PathLike[str], *,
                  types: tuple[str, ...] = ("rumah_sakit",), catalogue: RegisterCatalogue | None = None,
                  ) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Fill ``capacity`` of the facilities of ``types`` from a capacity register matched by name.

    Names are normalised (:func:`normalise_name` with the entry's replacements) and compared
    with difflib's similarity ratio; a facility takes the best candidate of the same regency
    (when both sides have one) whose ratio is at least ``min_similarity``, each candidate at
    most once. Returns the facilities (``capacity`` set where matched, plus
    ``capacity_match`` = matched register name and ``attr_<a>`` for the entry's attributes)
    and a report: one row per facility of ``types`` (``status`` "matched" or "no match in the
    register", ``facility_id``, ``name``, ``matched`` = register name or None, ``similarity``,
    the value under the entry's ``value_label``), then one row per register entry of the same
    regencies that no facility took (``status`` "in the register, not in the facility list").
    """
    cat = catalogue or register_catalogue()
    spec = capacity if isinstance(capacity, CapacitySpec) else cat.capacity_register(capacity)
    p = Path(path)
    if not p.is_file():
        raise DataFileError("capacity register not found", file=str(p))
    try:
        reg = pd.read_csv(p, sep=spec.separator, dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataFileError(f"cannot read capacity register: {exc}", file=str(p)) from None
    names = _column(reg, spec.name_column, p)
    values = pd.to_numeric(_column(reg, spec.value_column, p), errors="coerce").to_numpy(dtype=np.float64)
    reg_norm = [normalise_name(n, spec.name_replacements) for n in names]
    reg_regency = (_column(reg, spec.regency_column, p).map(normalise_regency).to_numpy(dtype=object)
                   if spec.regency_column else np.full(len(reg), None, dtype=object))
    attrs = {a: _column(reg, a, p).map(_clean).to_numpy(dtype=object) for a in spec.attributes}
    out = facilities.copy()
    out["capacity_match"] = None
    for a in spec.attributes:
        out[f"attr_{a}"] = None
    used: set[int] = set()
    report = []
    targets = np.flatnonzero(out["facility_type"].isin(types).to_numpy())
    for i in targets.tolist():
        fname = out["name"].iloc[i]
        fn = normalise_name(fname, spec.name_replacements)
        freg = normalise_regency(out["register_regency"].iloc[i]) if "register_regency" in out.columns else ""
        best, best_score = -1, 0.0
        for j, rn in enumerate(reg_norm):
            if j in used or (freg and reg_regency[j] and reg_regency[j] != freg):
                continue
            score = difflib.SequenceMatcher(None, fn, rn).ratio()
            if score > best_score or (score == best_score and best >= 0 and rn < reg_norm[best]):
                best, best_score = j, score
        matched = best >= 0 and best_score >= spec.min_similarity
        if matched:
            used.add(best)
            row = out.index[i]
            out.loc[row, "capacity"] = values[best]
            out.loc[row, "capacity_match"] = str(names.iloc[best]).strip()
            for a in spec.attributes:
                out.loc[row, f"attr_{a}"] = attrs[a][best]
        report.append({"status": "matched" if matched else "no match in the register",
                       "facility_id": out["facility_id"].iloc[i] if "facility_id" in out.columns else None,
                       "name": fname, "matched": str(names.iloc[best]).strip() if matched else None,
                       "similarity": round(best_score, 3), spec.value_label: values[best] if matched else np.nan})
    # Register entries of the same regencies that no facility took: facilities the point list lacks.
    regencies = ({normalise_regency(v) for v in out["register_regency"].iloc[targets]}
                 if "register_regency" in out.columns else set())
    for j in range(len(reg)):
        if j not in used and reg_regency[j] is not None and reg_regency[j] in regencies:
            report.append({"status": "in the register, not in the facility list", "facility_id": None, "name": None,
                           "matched": str(names.iloc[j]).strip(), "similarity": np.nan, spec.value_label: values[j]})
    rep = pd.DataFrame(report, columns=["status", "facility_id", "name", "matched", "similarity", spec.value_label])
    unmatched = (rep["status"] == "no match in the register").sum()
    if unmatched:
        log.warning("%d of %d facilities found no match in %s (capacity unknown)", int(unmatched), len(rep), p.name)
    return out, rep
