"""Facilities: point layers of public services, their types and default service thresholds.

The catalogue (``datasets/facility_types.csv``) lists the facility types used in Indonesian
planning with a default service radius each, and says where each number comes from:
``regulation`` (a cited regulation or standard), ``assumption`` (a value commonly attributed
to a standard that we could not verify against its text) or ``placeholder`` (no source —
override it). See ``docs/coverage.md``.
"""

from __future__ import annotations

import enum
import functools
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import DataFileError, InvalidInputError, UnknownColumnError
from ..util import as_path, dataset_path
from .io import TABLE_SUFFIXES, check_points, read_csv

__all__ = [
    "Basis",
    "FacilityCatalogue",
    "FacilityLayer",
    "FacilityType",
    "covered_by",
    "facility_issues",
    "read_facilities",
]

log = logging.getLogger("jangkau")


class Basis(enum.Enum):
    """Where a default threshold comes from."""

    REGULATION = "regulation"
    ASSUMPTION = "assumption"
    PLACEHOLDER = "placeholder"


@dataclass(frozen=True)
class FacilityType:
    """One facility type: key, label, sector, default service radius (metres) and its basis."""

    type: str
    label: str
    sector: str
    default_radius_m: float
    basis: Basis
    source: str
    note: str
    aliases: tuple[str, ...]


def _catalogue_path() -> Path:
    return dataset_path("facility_types.csv")


class FacilityCatalogue:
    """The facility types and their default thresholds; users override radii with
    :meth:`with_radius` or load their own CSV (same columns) with :meth:`from_csv`."""

    def __init__(self, types: Iterable[FacilityType]) -> None:
        self._types = {t.type: t for t in types}
        self._alias = {}
        for t in self._types.values():
            for a in (t.type, t.label, *t.aliases):
                self._alias[_norm(a)] = t.type

    @classmethod
    def from_csv(cls, path: str | os.PathLike[str]) -> FacilityCatalogue:
        """Read a catalogue CSV (columns type, label, sector, default_radius_m, basis, source,
        note, aliases separated by ';')."""
        path = Path(path)
        if not path.is_file():
            raise DataFileError("facility catalogue not found", file=str(path))
        df = read_csv(path, what="facility catalogue", dtype=str, keep_default_na=False)
        need = ["type", "label", "sector", "default_radius_m", "basis", "source", "note", "aliases"]
        for c in need:
            if c not in df.columns:
                raise UnknownColumnError(f"facility catalogue lacks column '{c}'", file=str(path), field=c)
        types = []
        for i, (_, row) in enumerate(df.iterrows()):
            try:
                radius = float(row["default_radius_m"])
                basis = Basis(row["basis"].strip())
            except ValueError as exc:
                raise InvalidInputError(f"bad catalogue row: {exc}", file=str(path), feature=i) from exc
            if basis is Basis.REGULATION and not row["source"].strip():
                raise InvalidInputError(
                    "a 'regulation' threshold needs a source", file=str(path), feature=i, field="source"
                )
            types.append(
                FacilityType(
                    row["type"].strip(),
                    row["label"],
                    row["sector"],
                    radius,
                    basis,
                    row["source"],
                    row["note"],
                    tuple(a.strip() for a in row["aliases"].split(";") if a.strip()),
                )
            )
        return cls(types)

    @classmethod
    def default(cls) -> FacilityCatalogue:
        """The catalogue shipped with jangkau (read once; catalogues are immutable)."""
        return _default_catalogue()

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and _norm(name) in self._alias

    def __iter__(self) -> Iterator[FacilityType]:
        return iter(self._types.values())

    def __len__(self) -> int:
        return len(self._types)

    def resolve(self, name: str) -> str | None:
        """The catalogue type for a type key, label or alias (case/space-insensitive), or None."""
        return self._alias.get(_norm(name))

    def get(self, name: str) -> FacilityType:
        """The type for a key/alias; raises InvalidInputError naming the known types."""
        t = self.resolve(name)
        if t is None:
            raise InvalidInputError(
                f"unknown facility type '{name}' (known: {', '.join(self._types)})", field="type"
            )
        return self._types[t]

    def radius_m(self, name: str) -> float:
        """Default service radius of a type, metres."""
        return self.get(name).default_radius_m

    def with_radius(self, overrides: Mapping[str, float]) -> FacilityCatalogue:
        """A copy with some default radii replaced (basis becomes ``assumption``, source 'user')."""
        types = []
        for t in self._types.values():
            if t.type in overrides:
                t = FacilityType(
                    t.type,
                    t.label,
                    t.sector,
                    float(overrides[t.type]),
                    Basis.ASSUMPTION,
                    "user",
                    "user override",
                    t.aliases,
                )
            types.append(t)
        return FacilityCatalogue(types)

    def to_frame(self) -> pd.DataFrame:
        """The catalogue as a DataFrame (one row per type)."""
        return pd.DataFrame(
            [
                {
                    "type": t.type,
                    "label": t.label,
                    "sector": t.sector,
                    "default_radius_m": t.default_radius_m,
                    "basis": t.basis.value,
                    "source": t.source,
                    "note": t.note,
                }
                for t in self._types.values()
            ]
        )


@functools.lru_cache(maxsize=1)
def _default_catalogue() -> FacilityCatalogue:
    return FacilityCatalogue.from_csv(_catalogue_path())


def _norm(s: str) -> str:
    return " ".join(str(s).replace("_", " ").upper().split())


@dataclass(frozen=True)
class FacilityLayer:
    """One source layer to read: a path, and either a fixed ``type`` or a ``type_column`` whose
    values are resolved through the catalogue; optional name and capacity columns.

    ``default_type``: the type of a layer that has no type column (and no type in its file
    name), e.g. the one ``--type`` of the CLI. CSV tables: points from ``x_column`` /
    ``y_column`` (default: guessed among lon/lat, longitude/latitude, bujur/lintang, x/y) in
    ``points_crs`` (default EPSG:4326 for lon/lat names; required for x/y).
    ``register``: an entry of ``datasets/facility_registers.toml`` — the file is then read
    from its verbatim form by :func:`jangkau.data.registers.read_register` (``select`` = the
    regency's rows), and ``capacity_register`` + ``capacity_file`` join capacities by name."""

    path: str | os.PathLike[str]
    type: str | None = None
    type_column: str | None = None
    name_column: str | None = None
    capacity_column: str | None = None
    layer: str | None = None
    default_type: str | None = None
    x_column: str | None = None
    y_column: str | None = None
    points_crs: str | None = None
    register: str | None = None
    select: str | None = None
    capacity_register: str | None = None
    capacity_file: str | os.PathLike[str] | None = None

    #: Keys a ``[facilities.NAME]`` table of a region file may hold.
    CONFIG_KEYS: ClassVar[frozenset[str]] = frozenset(
        {"file", "type", "type_column", "name_column", "capacity_column", "layer", "x_column", "y_column",
         "crs", "register", "select", "capacity_register", "capacity_file",
         # descriptive keys (recorded, not read): what the layer holds and where it comes from
         "note", "notes", "source", "types", "capacity_unit_column"})

    @classmethod
    def from_config(cls, name: str, spec: Mapping[str, Any], resolve: Callable[[str], Path], *,
                    file: str | None = None) -> FacilityLayer:
        """A layer from a region file's ``[facilities.NAME]`` table (keys :attr:`CONFIG_KEYS`;
        ``file`` and ``capacity_file`` are resolved with ``resolve``)."""
        if not isinstance(spec, Mapping) or "file" not in spec:
            raise InvalidInputError(f"[facilities.{name}] needs a 'file'", file=file, field=name)
        extra = sorted(set(spec) - cls.CONFIG_KEYS)
        if extra:
            raise InvalidInputError(f"[facilities.{name}] unknown key '{extra[0]}' (known: "
                                    f"{', '.join(sorted(cls.CONFIG_KEYS))})", file=file, field=extra[0])
        if bool(spec.get("capacity_register")) != bool(spec.get("capacity_file")):
            raise InvalidInputError(f"[facilities.{name}] capacity_register and capacity_file go together",
                                    file=file, field="capacity_register")
        return cls(path=resolve(str(spec["file"])), type=spec.get("type"), type_column=spec.get("type_column"),
                   name_column=spec.get("name_column"), capacity_column=spec.get("capacity_column"),
                   layer=spec.get("layer"), x_column=spec.get("x_column"), y_column=spec.get("y_column"),
                   points_crs=spec.get("crs"), register=spec.get("register"), select=spec.get("select"),
                   capacity_register=spec.get("capacity_register"),
                   capacity_file=resolve(str(spec["capacity_file"])) if spec.get("capacity_file") else None)


def _read(path: str, layer: str | None = None) -> gpd.GeoDataFrame:
    from .io import read_vector

    return read_vector(path, layer)


def _read_table(spec: FacilityLayer) -> gpd.GeoDataFrame:
    """A CSV point table (see :func:`jangkau.data.io.read_point_table`)."""
    from .io import read_point_table

    return read_point_table(spec.path, x_column=spec.x_column, y_column=spec.y_column,
                            points_crs=spec.points_crs, what="facility")


def _read_register_layer(spec: FacilityLayer, catalogue: FacilityCatalogue, region: Any = None,
                         region_crs: Any = None, margin_m: float = 0.0) -> gpd.GeoDataFrame:
    from .registers import join_capacity, read_register

    assert spec.register is not None
    fac = read_register(spec.register, spec.path, select=spec.select, region=region, region_crs=region_crs,
                        margin_m=margin_m)
    unknown = sorted(set(fac["facility_type"]) - {t.type for t in catalogue})
    if unknown:
        raise InvalidInputError(f"register '{spec.register}' maps to types not in the facility catalogue: "
                                f"{', '.join(unknown)}", file=str(spec.path), field="types")
    if spec.capacity_register:
        assert spec.capacity_file is not None
        # Capacities of the region's own facilities only (a facility across the border serves
        # people on both sides: its capacity is not the region's supply).
        own = ~fac["margin_facility"].to_numpy(dtype=bool)
        attrs = dict(fac.attrs)
        joined, report = join_capacity(fac[own], spec.capacity_register, spec.capacity_file)
        fac = gpd.GeoDataFrame(pd.concat([joined, fac[~own]]).sort_values("source_index", kind="stable"),
                               geometry=fac.geometry.name, crs=fac.crs).reset_index(drop=True)
        fac.attrs.update(attrs)
        fac.attrs["capacity_matches"] = report
    fac["synthetic"] = False
    return fac


_NAME_GUESSES = ("name", "nama", "toponim", "toponimi", "namobj")
_TYPE_GUESSES = ("facility_type", "type", "jenis_fasilitas", "keterangan", "jenis", "amenity")


def _guess(columns, guesses) -> str | None:
    lower = {c.lower(): c for c in columns}
    for g in guesses:
        if g in lower:
            return lower[g]
    return None


def read_facilities(
    layers: Iterable[FacilityLayer | str | os.PathLike[str]],
    *,
    catalogue: FacilityCatalogue | None = None,
    region_boundary=None,
    crs: str | None = None,
    keep_missing: bool = False,
    margin_m: float = 0.0,
    metric_crs: Any = None,
    missing_coordinates: str | None = None,
) -> gpd.GeoDataFrame:
    """Read one or more point layers into one GeoDataFrame with columns ``facility_type`` (catalogue key,
    or the raw value lower-cased when unknown), ``name``, ``capacity`` (NaN when absent),
    ``source`` (file name), ``source_index``, ``outside_region`` (bool; False when no
    ``region_boundary``), ``duplicate`` (same type and same location as an earlier row), ``synthetic`` (True for
    generated stand-ins, from a ``synthetic`` column of the source),
    ``geometry`` — in ``crs`` (default: EPSG:4326).

    Layers given as plain paths get their type from a ``type``/``keterangan``/``jenis``
    column, else from the file name (e.g. ``..._PUSKESMAS_PT.geojson``), else the layer's
    ``default_type``. CSV tables are read as points from their coordinate columns (see
    :class:`FacilityLayer`); register layers through :mod:`jangkau.data.registers` (they add
    ``facility_id``, ``register_*`` and ``attr_*`` columns, and ``attrs["capacity_matches"]``).
    Points without coordinates follow the one ``missing_coordinates`` rule
    (:mod:`jangkau.data.facility_qa`): in a point FILE they are refused by default
    (:class:`~jangkau.errors.GeometryError` naming the file, the feature as numbered in the file
    and the field — ``geometry``, or the x/y columns of a CSV table); register records without
    them are dropped and reported (see :func:`facility_issues`). ``missing_coordinates="drop"``
    drops both, ``"unknown"`` (or ``keep_missing=True``) keeps both with no geometry for
    :mod:`jangkau.data.facility_qa`, ``"refuse"`` refuses both;
    facilities outside the region are kept and flagged (people cross borders to use them).
    Non-point layers raise InvalidInputError naming the file.

    ``margin_m`` (with ``region_boundary``): register layers that ``select`` one regency also
    keep the rows of the other regencies whose point lies within ``margin_m`` of the region
    (``margin_facility`` True: they serve demand near the border, they are never counted as
    the region's own); distances in ``metric_crs`` (default: the UTM zone of the boundary).
    Every row has ``margin_facility`` (False for other layers) and ``region_distance_m``
    (register layers read with a region: metres from the point to the region, 0 inside).
    """
    catalogue = catalogue or FacilityCatalogue.default()
    from .facility_qa import Policy
    from .io import missing_points

    try:
        policy = None if missing_coordinates is None else Policy(str(getattr(missing_coordinates, "value",
                                                                             missing_coordinates)))
    except ValueError:
        raise InvalidInputError(f"missing_coordinates must be refuse, drop or unknown, not {missing_coordinates!r}",
                                field="missing_coordinates") from None
    if policy is Policy.KEEP:
        policy = Policy.UNKNOWN  # a point without coordinates cannot be kept "as is"
    if policy is None and keep_missing:
        policy = Policy.UNKNOWN
    frames = []
    capacity_matches = []
    left_out: dict[str, int] = {}
    one = isinstance(layers, (str, os.PathLike, FacilityLayer)) or not hasattr(layers, "__iter__")
    specs: list[Any] = [layers] if one else list(layers)
    outline, outline_crs = None, None
    if region_boundary is not None and any(isinstance(s_, FacilityLayer) and s_.register for s_ in specs):
        outline, outline_crs = _outline(region_boundary, metric_crs)
    for spec in specs:
        if not isinstance(spec, FacilityLayer):
            spec = FacilityLayer(path=spec)
        path = as_path(spec.path, "layers")
        if spec.register:
            reg = _read_register_layer(spec, catalogue, outline, outline_crs, margin_m)
            if "capacity_matches" in reg.attrs:
                capacity_matches.append(reg.attrs["capacity_matches"])
            for k, v in reg.attrs.get("left_out", {}).items():
                left_out[f"{path.name}: {k}"] = int(v)
            frames.append(reg.to_crs(crs or "EPSG:4326"))
            continue
        if path.suffix.lower() in TABLE_SUFFIXES:
            gdf = _read_table(spec)
        else:
            gdf = _read(str(path), spec.layer)
        if gdf.crs is None:
            raise InvalidInputError("facility layer has no CRS", file=str(path))
        present, type_ids = check_points(gdf, file=str(path), what="facility")
        if policy in (None, Policy.REFUSE):  # a point file: refused unless a policy accepts them
            missing_points(gdf, Policy.REFUSE, file=str(path), what="facility",
                           field=gdf.attrs.get("coordinate_columns", "geometry"))
        types_present = set(np.unique(type_ids[present]).tolist())  # 0 and 4 only (check_points)
        # Multi-points with one member become points; real multi-points are exploded.
        gdf = gdf.explode(index_parts=False) if (4 in types_present) else gdf
        n = len(gdf)
        if spec.type is not None:
            t = catalogue.resolve(spec.type) or spec.type.lower()
            types = np.full(n, t, dtype=object)
        else:
            col = spec.type_column or _guess(gdf.columns, _TYPE_GUESSES)
            if spec.type_column and spec.type_column not in gdf.columns:
                raise UnknownColumnError(
                    f"no column '{spec.type_column}'", file=str(path), field=spec.type_column
                )
            stem_type = _type_from_filename(path.stem, catalogue)
            if col is not None:
                types, any_known = _resolve_types(gdf[col], catalogue)
                # A generic column (e.g. JENIS = KESEHATAN) that resolves to nothing: use the file
                # name, else the layer's default type.
                fallback = stem_type or (
                    catalogue.resolve(spec.default_type) or spec.default_type.lower() if spec.default_type else None
                )
                if fallback and not any_known:
                    types = np.full(n, fallback, dtype=object)
            elif stem_type:
                types = np.full(n, stem_type, dtype=object)
            elif spec.default_type is not None:
                t = catalogue.resolve(spec.default_type) or spec.default_type.lower()
                types = np.full(n, t, dtype=object)
            else:
                raise InvalidInputError(
                    "cannot tell the facility type: the layer has no type column; give one type "
                    "(--type T, or type= in a region file) or name the column (--type-column, type_column=)",
                    file=str(path),
                )
        name_col = spec.name_column or _guess(gdf.columns, _NAME_GUESSES)
        if spec.name_column and spec.name_column not in gdf.columns:
            raise UnknownColumnError(
                f"no column '{spec.name_column}'", file=str(path), field=spec.name_column
            )
        names = gdf[name_col].astype(str).str.strip() if name_col else pd.Series([None] * n, index=gdf.index)
        if spec.capacity_column:
            if spec.capacity_column not in gdf.columns:
                raise UnknownColumnError(
                    f"no column '{spec.capacity_column}'", file=str(path), field=spec.capacity_column
                )
            cap = pd.to_numeric(gdf[spec.capacity_column], errors="coerce").to_numpy(dtype=np.float64)
        else:
            cap = np.full(n, np.nan)
        out = gpd.GeoDataFrame(
            {
                "facility_type": types,
                "name": names.to_numpy(dtype=object),
                "capacity": cap,
                "source": path.name,
                # The feature number in the file (kept through the explode of multi-points).
                "source_index": (np.asarray(gdf.index, dtype=np.int64) if pd.api.types.is_integer_dtype(gdf.index)
                                 else np.arange(n, dtype=np.int64)),
            },
            geometry=gdf.geometry.to_numpy(),
            crs=gdf.crs,
        )
        out["margin_facility"] = False
        out["region_distance_m"] = np.nan
        # Generated stand-ins say so all the way to the outputs.
        out["synthetic"] = (
            gdf["synthetic"].fillna(False).astype(bool).to_numpy() if "synthetic" in gdf.columns else False
        )
        frames.append(out.to_crs(crs or "EPSG:4326"))
    if not frames:
        raise InvalidInputError("no facility layers given")
    fac = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    fac = gpd.GeoDataFrame(fac, geometry="geometry", crs=frames[0].crs)
    missing: np.ndarray = (fac.geometry.isna() | fac.geometry.is_empty).to_numpy(dtype=bool)
    if missing.any() and policy is Policy.REFUSE:  # only register records can be left here
        i = int(np.flatnonzero(missing)[0])
        from ..errors import GeometryError

        raise GeometryError(f"{int(missing.sum())} facilities have no coordinates (policy 'refuse')",
                            file=str(fac["source"].iloc[i]), feature=int(fac["source_index"].iloc[i]),
                            field="geometry")
    keep_missing = policy is Policy.UNKNOWN
    if missing.any() and not keep_missing:
        log.warning("%d facilities without coordinates dropped (missing_coordinates policy 'drop'%s)",
                    int(missing.sum()), "" if policy is Policy.DROP else " of register records")
    fac.attrs["dropped_without_geometry"] = (
        fac.loc[missing, ["facility_type", "name", "source", "source_index"]].copy()
        if not keep_missing
        else fac.loc[[], ["facility_type", "name", "source", "source_index"]].copy()
    )
    if capacity_matches:
        fac.attrs["capacity_matches"] = pd.concat(capacity_matches, ignore_index=True)
    fac.attrs["left_out"] = left_out
    if missing.any() and not keep_missing:
        fac = fac[~missing].reset_index(drop=True)
        missing = np.zeros(len(fac), dtype=bool)
    located = ~missing
    xy = shapely.get_coordinates(np.asarray(fac.geometry.values, dtype=object)[located])  # all points now
    rounded = np.round(xy, 9)
    # type as integer codes: the same rows as comparing the texts, without hashing 10⁶ strings twice
    type_code = pd.factorize(fac["facility_type"].to_numpy(dtype=object)[located])[0]
    key = pd.DataFrame({"type": type_code, "x": rounded[:, 0], "y": rounded[:, 1]})
    dup = np.zeros(len(fac), dtype=bool)
    dup[located] = key.duplicated(keep="first").to_numpy()
    fac["duplicate"] = dup
    if dup.any():
        log.warning("%d duplicate facilities (same type and location)", int(dup.sum()))
    outside = np.zeros(len(fac), dtype=bool)
    if region_boundary is not None and located.any():
        outside[located] = ~covered_by(region_boundary, xy[:, 0], xy[:, 1], fac.crs)
    fac["outside_region"] = outside
    return fac


def _outline(boundary: Any, metric_crs: Any) -> tuple[Any, Any]:
    """The region's outline (one geometry) in a metric CRS (given, or the boundary's UTM zone)."""
    if not isinstance(boundary, (gpd.GeoDataFrame, gpd.GeoSeries)):
        raise InvalidInputError("a facility margin needs the region boundary as a GeoDataFrame with a CRS",
                                field="region_boundary")
    if metric_crs is None:
        from .crs import metric_crs_for

        metric_crs = metric_crs_for(boundary if isinstance(boundary, gpd.GeoDataFrame)
                                    else gpd.GeoDataFrame(geometry=boundary))
    geoms = np.asarray(boundary.to_crs(metric_crs).geometry.values, dtype=object)
    outline = shapely.union_all(geoms[~shapely.is_missing(geoms)])
    shapely.prepare(outline)
    return outline, metric_crs


def _resolve_types(values: pd.Series, catalogue: FacilityCatalogue) -> tuple[np.ndarray, bool]:
    """Facility type per row of a type column: the catalogue key of the stripped text, else
    the text lower-cased — resolved once per distinct value, not per row. A missing value
    reads as 'None' (type ``none``), whatever pandas version read it. Also says whether any
    value is a catalogue type."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    raw = [str(u).strip() for u in uniques] + ["None"]
    codes = np.where(codes < 0, len(raw) - 1, codes)
    resolved = [catalogue.resolve(v) for v in raw]
    types = np.array([r or v.lower() for r, v in zip(resolved, raw)], dtype=object)
    known = np.array([r is not None for r in resolved])
    return types[codes], bool(known[codes].any())


def covered_by(boundary, x: np.ndarray, y: np.ndarray, crs) -> np.ndarray:
    """Whether each point (``x``, ``y`` in ``crs``) lies in ``boundary`` or on its edge: a
    GeoDataFrame/GeoSeries of polygons (reprojected to ``crs``; in any of them) or one shapely
    geometry (taken to be in ``crs``). Polygons go through the engine's point-in-polygon
    index (:func:`jangkau._core.locate_points`: R-tree, exact test, both cores); other
    geometries through a prepared shapely ``covers``."""
    from .. import _core
    from .io import to_geometry_array

    if isinstance(boundary, (gpd.GeoDataFrame, gpd.GeoSeries)):
        geoms = np.asarray(boundary.to_crs(crs).geometry.values, dtype=object)
    else:
        geoms = np.array([boundary], dtype=object)
    present = geoms[~shapely.is_missing(geoms)]
    x = np.ascontiguousarray(x, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.float64)
    if len(present) and np.isin(shapely.get_type_id(present), (3, 6)).all():  # (multi)polygons
        return _core.locate_points(to_geometry_array(present), x, y) >= 0
    union = shapely.union_all(present)
    shapely.prepare(union)
    return np.asarray(shapely.covers(union, shapely.points(x, y)), dtype=bool)


def _type_from_filename(stem: str, catalogue: FacilityCatalogue) -> str | None:
    """Type from a file name such as ``cilegon3672_rtrw_SD_SETINGKAT_SEDERAJAT_PT``: the longest
    run of name tokens that is a catalogue alias."""
    tokens = [t for t in stem.replace("-", "_").split("_") if t]
    best = None
    for i in range(len(tokens)):
        for j in range(len(tokens), i, -1):
            cand = " ".join(tokens[i:j])
            t = catalogue.resolve(cand)
            if t and (best is None or j - i > best[0]):
                best = (j - i, t)
    return best[1] if best else None


def facility_issues(facilities: gpd.GeoDataFrame) -> pd.DataFrame:
    """One row per problem found by :func:`read_facilities`: ``issue`` in
    {"no geometry", "duplicate", "outside region"}, with facility_type, name, source and source_index."""
    rows = []
    dropped = facilities.attrs.get("dropped_without_geometry")
    if dropped is not None and len(dropped):
        d = dropped.copy()
        d["issue"] = "no geometry"
        rows.append(d)
    for flag, label in (("duplicate", "duplicate"), ("outside_region", "outside region")):
        if flag in facilities.columns:
            d = pd.DataFrame(
                facilities.loc[facilities[flag], ["facility_type", "name", "source", "source_index"]]
            )
            d["issue"] = label
            rows.append(d)
    if not rows:
        return pd.DataFrame(columns=["issue", "facility_type", "name", "source", "source_index"])
    return pd.concat(rows, ignore_index=True)[["issue", "facility_type", "name", "source", "source_index"]]
