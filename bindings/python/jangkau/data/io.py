"""Reading and writing vector data through the engine (GDAL/OGR), and the zero-copy-ish
bridge between GeoDataFrames and the engine's geometry arrays.

Geometry crosses the boundary as GeoArrow-style coordinate + offset arrays
(:func:`shapely.to_ragged_array` / :func:`shapely.from_ragged_array`), never one Python
object per vertex.
"""

from __future__ import annotations

import json
import logging
import os
import re
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import GeometryType

from .. import _core
from ..errors import CrsError, DataFileError, GeometryError, InvalidInputError, JangkauError
from ..util import as_path, atomic_path

log = logging.getLogger("jangkau")

__all__ = ["read_csv", "read_vector", "read_points", "read_point_table", "write", "list_layers", "to_geometry_array",
           "from_geometry_array", "WGS84", "check_working_crs", "check_coordinates", "check_population", "check_points",
           "missing_points", "source_crs", "geojson_declared_crs"]

#: The CRS of every GeoJSON output (RFC 7946) and of GeoDataFrames returned by default.
WGS84 = "EPSG:4326"

_KIND_TYPES = {
    _core.GeometryKind.Point: GeometryType.MULTIPOINT,
    _core.GeometryKind.Line: GeometryType.MULTILINESTRING,
    _core.GeometryKind.Polygon: GeometryType.MULTIPOLYGON,
}


def to_geometry_array(geoms) -> _core.GeometryArray:
    """Convert a GeoSeries / array of shapely geometries (one dimension) to a GeometryArray.

    Missing geometries (None) become empty geometries. Raises InvalidInputError for mixed
    dimensions (e.g. points with polygons).
    """
    arr = np.asarray(getattr(geoms, "values", geoms), dtype=object)
    n = len(arr)
    present = ~shapely.is_missing(arr)
    types = shapely.get_type_id(arr[present]) if present.any() else np.array([], dtype=int)
    dims = {0 if t in (0, 4) else 1 if t in (1, 2, 5) else 2 if t in (3, 6) else -1 for t in types.tolist()}
    if -1 in dims:
        raise InvalidInputError("geometry collections are not supported; explode them first")
    if len(dims) > 1:
        raise InvalidInputError("mixed geometry dimensions in one column")
    dim = dims.pop() if dims else 2
    kind = [_core.GeometryKind.Point, _core.GeometryKind.Line, _core.GeometryKind.Polygon][dim]
    if dim == 2:
        return _polygon_array(arr)
    # Points and lines: promote to multi-geometries so the layout is always three offset levels deep.
    filled = arr.copy()
    empty = [shapely.MultiPoint(), shapely.MultiLineString()][dim]
    filled[~present] = empty
    multi = _to_multi(filled, dim)
    if n == 0:
        z = np.zeros(1, dtype=np.int64)
        return _core.GeometryArray(kind, np.empty(0), np.empty(0), z, z, z)
    _gtype, coords, offsets = shapely.to_ragged_array(multi, include_z=False)
    x = np.ascontiguousarray(coords[:, 0], dtype=np.float64)
    y = np.ascontiguousarray(coords[:, 1], dtype=np.float64)
    if dim == 0:
        (geom_off,) = offsets
        ring = np.arange(len(x) + 1, dtype=np.int64)
        part = ring
        geom = geom_off.astype(np.int64)
    else:  # lines
        line_off, geom_off = offsets
        ring = line_off.astype(np.int64)
        part = np.arange(len(ring), dtype=np.int64)
        geom = geom_off.astype(np.int64)
    return _core.GeometryArray(kind, x, y, ring, part, geom)


def _polygon_array(arr: np.ndarray) -> _core.GeometryArray:
    """Polygons/multipolygons straight to the offset layout: parts, rings and coordinates come
    from shapely's vectorised accessors, without the per-part temporaries of
    :func:`shapely.to_ragged_array` (about 3× faster on the 326 Serang desa). Same vertex order;
    missing and empty geometries (and empty parts) get no parts."""
    parts, part_geom = shapely.get_parts(arr, return_index=True)
    keep = ~shapely.is_empty(parts)
    parts, part_geom = parts[keep], part_geom[keep]
    rings = shapely.get_rings(parts)
    n_coords = shapely.get_num_coordinates(rings)
    coords = shapely.get_coordinates(rings)
    ring = np.zeros(len(rings) + 1, dtype=np.int64)
    np.cumsum(n_coords, out=ring[1:])
    part = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum(shapely.get_num_interior_rings(parts) + 1, out=part[1:])
    geom = np.zeros(len(arr) + 1, dtype=np.int64)
    np.cumsum(np.bincount(part_geom, minlength=len(arr)), out=geom[1:])
    x = np.ascontiguousarray(coords[:, 0], dtype=np.float64)
    y = np.ascontiguousarray(coords[:, 1], dtype=np.float64)
    return _core.GeometryArray(_core.GeometryKind.Polygon, x, y, ring, part, geom)


def _to_multi(arr: np.ndarray, dim: int) -> np.ndarray:
    types = shapely.get_type_id(arr)
    single = {0: 0, 1: 1}[dim]
    out = arr.copy()
    idx = np.flatnonzero(types == single)
    if len(idx):
        ctor = shapely.multipoints if dim == 0 else shapely.multilinestrings
        out[idx] = ctor(arr[idx], indices=np.arange(len(idx)))  # vectorised: one part each
    return out


def from_geometry_array(ga: _core.GeometryArray) -> np.ndarray:
    """Shapely geometries (multi-part, as stored) from a GeometryArray; empty → empty geometry."""
    gtype = _KIND_TYPES[ga.kind]
    if len(ga.x) == 0:  # all empty (e.g. points read with NaN coordinates): shapely 2.0 cannot build these
        empty = {GeometryType.MULTIPOINT: "MULTIPOINT EMPTY", GeometryType.MULTILINESTRING: "MULTILINESTRING EMPTY",
                 GeometryType.MULTIPOLYGON: "MULTIPOLYGON EMPTY"}[gtype]
        return np.array([shapely.from_wkt(empty) for _ in range(len(ga))], dtype=object)
    coords = np.column_stack([ga.x, ga.y])
    offsets: tuple[np.ndarray, ...]
    if ga.kind == _core.GeometryKind.Point:
        offsets = (ga.geom_offsets,)
    elif ga.kind == _core.GeometryKind.Line:
        # parts are single rings: map geometry → part offsets straight onto ring offsets
        offsets = (ga.ring_offsets, ga.geom_offsets)
    else:
        offsets = (ga.ring_offsets, ga.part_offsets, ga.geom_offsets)
    return shapely.from_ragged_array(gtype, coords, offsets)


def read_csv(path: str | os.PathLike[str], *, what: str = "table", **kwargs) -> pd.DataFrame:
    """A CSV table read with pandas (``kwargs`` as :func:`pandas.read_csv`), its failures typed:
    a missing file, an empty one, bad quoting, bytes that are not UTF-8 or a row with more
    fields than the header (which pandas would silently turn into an index) raise
    :class:`~jangkau.errors.DataFileError` naming the file and saying ``what`` it is."""
    import warnings

    p = as_path(path, "path")
    if not p.is_file():
        raise DataFileError(f"{what} not found", file=str(p))
    kwargs.setdefault("index_col", False)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(p, **kwargs)
    except pd.errors.ParserWarning:
        raise DataFileError(f"cannot read {what}: a row has more fields than the header", file=str(p)) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError, ValueError) as exc:
        reason = " ".join(str(exc).split())[:200]
        raise DataFileError(f"cannot read {what}: {reason}", file=str(p)) from None


def list_layers(path: str | os.PathLike[str]) -> list[str]:
    """Names of the layers in a data source."""
    return list(_core.list_layers(str(path)))


def read_vector(
    path: str | os.PathLike[str],
    layer: str | None = None,
    *,
    crs: str | None = None,
    x: str | None = None,
    y: str | None = None,
    wkt: str | None = None,
    where: str | None = None,
    single_parts: bool = True,
) -> gpd.GeoDataFrame:
    """Read a vector layer (any OGR source: GeoJSON, GeoPackage, Shapefile, FlatGeobuf, CSV…)
    through the engine into a GeoDataFrame.

    ``crs`` is used only when the source has none (a source without CRS and no ``crs`` raises
    :class:`~jangkau.errors.CrsError`); a GeoJSON file without a ``crs`` member has none (GDAL
    would assume WGS84), and one that declares a CRS PROJ does not know is refused (see
    :func:`source_crs`). For CSV give either ``x``/``y`` (lon/lat or
    easting/northing columns) or ``wkt``. Attribute types follow the source: integers become
    ``Int64`` (nullable), reals ``float64`` (null → NaN) and everything else ``str`` (null →
    None). With ``single_parts`` single-part multi-geometries are returned as simple
    geometries (Polygon rather than a one-part MultiPolygon).
    """
    path = as_path(path, "path")
    lyr = _core.read_vector(str(path), layer or "", crs or "", x or "", y or "", wkt or "", where or "", True)
    layer_crs = source_crs(path, lyr.crs, crs)
    data: dict[str, object] = {}
    for name, typ, values, valid in lyr.columns():
        valid = np.asarray(valid, dtype=bool)
        if typ in ("bool", "int"):
            masked = (pd.array(np.where(valid, values, 0).astype(bool), dtype="boolean") if typ == "bool"
                      else pd.array(np.where(valid, values, 0), dtype="Int64"))
            if not valid.all():
                masked[~valid] = pd.NA
            data[name] = masked
        elif typ == "float":
            data[name] = np.asarray(values, dtype=np.float64)
        else:
            col = np.array(values, dtype=object)
            col[~valid] = None
            data[name] = col
    ga = lyr.geometry
    if single_parts and ga.kind == _core.GeometryKind.Point and len(ga.x) == len(ga) \
            and np.array_equal(ga.geom_offsets, np.arange(len(ga) + 1)):
        # One point per feature (every point layer without empty or multi-points): build the
        # points straight from the coordinates, without the multi-point detour.
        geoms = shapely.points(ga.x, ga.y)
    else:
        geoms = _single_parts(from_geometry_array(ga)) if single_parts else from_geometry_array(ga)
    df = pd.DataFrame(data, index=pd.RangeIndex(len(lyr)))
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geoms, index=df.index), crs=layer_crs)


def _single_parts(geoms: np.ndarray) -> np.ndarray:
    """Single-part multi-geometries as simple geometries; no parts → None."""
    if len(geoms):
        parts = shapely.get_num_geometries(geoms)
        one = parts == 1
        if one.any():
            geoms = geoms.copy()
            geoms[one] = shapely.get_geometry(geoms[one], 0)
        geoms[parts == 0] = None
    return geoms


def write(gdf: pd.DataFrame, path: str | os.PathLike[str], *, precision: int = 7, layer: str | None = None) -> Path:
    """Write a (Geo)DataFrame atomically; the format comes from the extension
    (``.geojson``/``.json``, ``.gpkg``, ``.fgb``, ``.csv``, ``.parquet`` for GeoParquet).

    GeoJSON follows RFC 7946 (WGS84 lon/lat, counter-clockwise exterior rings, ``precision``
    decimals). A GeoDataFrame without CRS raises :class:`~jangkau.errors.CrsError`. Columns of
    integer, float, boolean and string type are written; other types are written as strings.
    Returns the path written.

    All or nothing: the file is written beside ``path`` under a temporary name, read back
    (every feature must be there: some GDAL drivers ignore a full disk), fsync'ed and renamed
    over ``path``; on any failure ``path`` keeps its old content and a
    :class:`~jangkau.errors.DataFileError` names the file and the reason.
    """
    path = as_path(path, "path")
    if not isinstance(gdf, pd.DataFrame):
        raise InvalidInputError(f"write() needs a DataFrame or GeoDataFrame, got {type(gdf).__name__}",
                                file=str(path), field="gdf")
    if path.suffix.lower() == ".parquet":  # GeoParquet: no GDAL driver on Debian 12, written with pyarrow
        from .geoparquet import write_parquet

        return write_parquet(gdf, path)
    geometry = None
    crs = None
    frame: pd.DataFrame
    if isinstance(gdf, gpd.GeoDataFrame) and gdf.geometry.name in gdf.columns:
        if gdf.crs is None:
            raise CrsError(f"cannot write '{path}': the GeoDataFrame has no CRS", file=str(path))
        geo = gdf.geometry
        source_crs = gdf.crs  # checked above: not None
        if path.suffix.lower() in (".geojson", ".json"):
            # RFC 7946: WGS84 with coordinates rounded to ``precision`` decimals. Snapping here,
            # before the writer rounds, keeps every ring valid and counter-clockwise (a sliver
            # whose rounded ring would turn clockwise or collapse is fixed by the snap).
            import shapely

            if not source_crs.equals(WGS84):
                geo = geo.to_crs(WGS84)
            snapped = shapely.set_precision(np.asarray(geo.values, dtype=object), 10.0 ** -precision)
            geo = gpd.GeoSeries(shapely.orient_polygons(snapped), index=geo.index, crs=WGS84)
            source_crs = geo.crs or source_crs
        geometry = to_geometry_array(geo)
        crs = source_crs.to_string()
        frame = gdf.drop(columns=[gdf.geometry.name])
    else:
        frame = gdf
    names: list[str] = []
    columns: list[object] = []
    for name in frame.columns:
        s = frame[name]
        names.append(str(name))
        if pd.api.types.is_bool_dtype(s.dtype) and not s.isna().any():
            columns.append(s.to_numpy(dtype=bool))
        elif pd.api.types.is_integer_dtype(s.dtype) and not s.isna().any():
            columns.append(s.to_numpy(dtype=np.int64))
        elif pd.api.types.is_numeric_dtype(s.dtype):
            columns.append(s.to_numpy(dtype=np.float64, na_value=np.nan))
        else:
            columns.append([None if (v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA) else str(v)
                            for v in s.tolist()])
    if not path.parent.is_dir():
        raise DataFileError(f"cannot write: the folder '{path.parent}' does not exist", file=str(path))
    with atomic_path(path) as tmp:
        try:
            # the layer is named after the target, not the temporary file (GPKG, FlatGeobuf)
            _core.write_vector(str(tmp), geometry, crs, names, columns, precision, layer or path.stem)
        except DataFileError as exc:
            raise DataFileError(f"cannot write: {_write_failure(exc, path)}", file=str(path),
                                feature=exc.feature, field=exc.field) from None
        _check_written(tmp, path, len(frame), layer, crs)
    return path


def _first_reason(message: str) -> str:
    """The first of GDAL's accumulated error messages, without the engine's ``[file ...]``
    context (jangkau names the real file itself)."""
    text = " ".join(message.split())
    if text.endswith("]") and " [" in text:
        text = text[: text.rindex(" [")]
    for prefix in ("cannot write feature:", "cannot write:", "cannot create layer:", "cannot create field:"):
        if text.startswith(prefix):
            text = text[len(prefix):].strip()
    return text.split("; ")[0][:300]


def _no_space(folder: Path) -> bool:
    """True when the file system holding ``folder`` has no block left (a full disk)."""
    try:
        st = os.statvfs(folder)
    except (OSError, AttributeError):  # pragma: no cover - Windows
        return False
    return st.f_bfree == 0 or st.f_bavail == 0


def _write_failure(exc: DataFileError, path: Path) -> str:
    """Why a write failed, in a few words: GDAL's first message, or the full disk GDAL's
    drivers do not always report."""
    reason = _first_reason(str(exc))
    if _no_space(path.parent):
        return "no space left on device" + (f" ({reason})" if reason and "full" not in reason else "")
    if reason:
        return reason
    try:
        free = f"; {os.statvfs(path.parent).f_bavail * os.statvfs(path.parent).f_frsize} bytes are free there"
    except (OSError, AttributeError):  # pragma: no cover - Windows
        free = ""
    return f"GDAL gave no reason{free}"


def _geojson_complete(path: Path, expected: int) -> bool:
    """True when ``path`` is a GeoJSON file as GDAL writes it, closed and holding ``expected``
    features: one ``{ "type": "Feature", `` per line (newlines inside values are escaped, so
    the pattern cannot occur elsewhere) and the closing ``]`` ``}``."""
    if path.suffix.lower() not in (".geojson", ".json"):
        return False
    data = path.read_bytes()
    return data.rstrip().endswith(b"\n]\n}") and data.count(b'\n{ "type": "Feature", ') == expected


def _check_written(tmp: Path, path: Path, expected: int, layer: str | None, crs: str | None) -> None:
    """Reads the freshly written file back and checks it holds ``expected`` features: GDAL's
    GeoJSON and FlatGeobuf drivers ignore failed writes on a full disk (GDAL 3.6) and would
    otherwise leave a truncated file that looks written. A GeoJSON file is first checked from
    its bytes (GDAL writes one feature per line and closes with ``]`` ``}``; about 50 times
    faster than parsing it again); when that check does not pass, the file is read back."""
    if _geojson_complete(tmp, expected):
        return
    try:
        got = len(_core.read_vector(str(tmp), layer or "", crs or WGS84, "", "", "", "", False))
    except JangkauError as exc:
        why = "no space left on device" if _no_space(path.parent) else _first_reason(str(exc))
        raise DataFileError(f"cannot write: the file written is unreadable ({why})", file=str(path)) from None
    if got != expected:
        why = "no space left on device" if _no_space(path.parent) else "the driver lost features"
        raise DataFileError(f"cannot write: {got} of {expected} features were written ({why})",
                            file=str(path))


# --------------------------------------------------------------------------------------------
# input validation shared by every reader of user layers (facilities, candidates, existing
# sites, boundaries): the CRS a layer is in, the working CRS, coordinate ranges, point layers.

#: How far (degrees) coordinates may lie outside a projected CRS's area of use.
AREA_OF_USE_MARGIN_DEG = 5.0

_GEOJSON_EXT = (".geojson", ".json", ".geojsonl", ".geojsons")


def geojson_declared_crs(path: str | os.PathLike[str]) -> str | None:
    """The CRS named by the ``crs`` member of a GeoJSON file (the 2008 GeoJSON spec's
    ``{"type": "name", "properties": {"name": ...}}``, as GDAL and QGIS write it), or None when
    the file has no ``crs`` member (RFC 7946: WGS84 lon/lat). Only a member before
    ``"features"`` within the first MiB is looked at, where GDAL and QGIS put it (a feature
    property named ``crs`` is not mistaken for it); a file that is not GeoJSON gives None."""
    try:
        with open(path, "rb") as f:
            head = f.read(1 << 20).decode("utf-8", errors="replace")
    except OSError:
        return None
    features = re.search(r'"features"\s*:', head)
    # only a member before "features": a property named "crs" inside a feature is not the layer's CRS
    m = re.search(r'"crs"\s*:\s*', head[: features.start()] if features else head)
    if not m:
        return None
    try:
        obj, _ = json.JSONDecoder().raw_decode(head, m.end())
    except ValueError:
        return "(unreadable crs member)"
    if obj is None:
        return None
    if isinstance(obj, dict):
        props = obj.get("properties") or {}
        name = props.get("name") if isinstance(props, dict) else None
        if isinstance(name, str):
            return name
        if isinstance(props, dict) and isinstance(props.get("code"), (int, str)):
            return f"EPSG:{props['code']}"
    return f"(unsupported crs member {json.dumps(obj)[:80]})"


@lru_cache(maxsize=256)
def _crs(definition: str):
    import pyproj

    return pyproj.CRS.from_user_input(definition)


def source_crs(path: str | os.PathLike[str], reported: str | None, stated: str | None = None) -> str:
    """The CRS of a layer of ``path`` whose reader reported ``reported`` and whose user stated
    ``stated`` (``crs=``, ``[boundaries] crs``).

    * GeoJSON without a ``crs`` member: ``stated`` when given (the user knows better than the
      RFC 7946 default), else WGS84;
    * GeoJSON declaring a CRS: that CRS, which PROJ must know: an unknown code or garbage is a
      :class:`~jangkau.errors.CrsError` (GDAL would silently read the layer as WGS84);
    * any other source: ``reported``, else ``stated``, else CrsError.
    """
    where = str(path)
    if stated:  # a CRS the user states must be one PROJ knows (a region file's crs = 0 is not)
        try:
            _crs(stated)
        except Exception as exc:  # pyproj.exceptions.CRSError, or garbage PROJ cannot parse
            raise CrsError(f"unknown coordinate reference system {stated!r} stated for the layer", file=where,
                           field="crs") from exc
    if where.lower().endswith(_GEOJSON_EXT) and os.path.isfile(where):
        declared = geojson_declared_crs(where)
        if declared is None:
            return stated or reported or WGS84
        try:
            crs = _crs(declared)
        except Exception as exc:  # pyproj.exceptions.CRSError, or garbage PROJ cannot parse
            raise CrsError(f"the file declares a coordinate reference system PROJ does not know: "
                           f"{declared!r}", file=where, field="crs") from exc
        if reported and not _same_crs(reported, crs):
            # GDAL fell back to WGS84 for a CRS it did not understand: trust PROJ's reading.
            return crs.to_string()
        return reported or crs.to_string()
    if reported:
        return reported
    if stated:
        return stated
    raise CrsError("the layer has no coordinate reference system: state it (crs=...)", file=where)


def _same_crs(a: str, b) -> bool:
    try:
        return bool(_crs(a) == b) or bool(_crs(a).equals(b, ignore_axis_order=True))
    except Exception:  # noqa: BLE001 - any CRS PROJ cannot read differs
        return False


def check_working_crs(crs: str, *, file: str | None = None, field: str = "working_crs") -> str:
    """Checks that ``crs`` can be a working CRS: known to PROJ, projected, with axes in metres
    (areas in m², distances in m). Returns ``crs``; raises :class:`~jangkau.errors.CrsError`
    naming the CRS and what is wrong (EPSG:4326 would give areas in square degrees)."""
    try:
        c = _crs(crs)
    except Exception as exc:
        raise CrsError(f"unknown coordinate reference system {crs!r}", file=file, field=field) from exc
    if not c.is_projected:
        raise CrsError(f"the working CRS must be projected in metres; {crs!r} ({c.name}) is "
                       f"{'geographic (degrees)' if c.is_geographic else 'not projected'}: use e.g. the UTM zone "
                       f"of the region", file=file, field=field)
    units = {(a.unit_name or "").lower() for a in c.axis_info[:2]}
    if not units <= {"metre", "meter", "m"}:
        raise CrsError(f"the working CRS must be in metres; {crs!r} ({c.name}) is in {', '.join(sorted(units))}",
                       file=file, field=field)
    return crs


def _lonlat_bounds(crs_def: str) -> tuple[float, float, float, float]:
    """The area of use of a CRS in degrees, widened by :data:`AREA_OF_USE_MARGIN_DEG` for
    projected CRSs (the whole globe when the CRS states none)."""
    c = _crs(crs_def)
    aou = c.area_of_use
    if c.is_geographic or aou is None:
        return (-180.0, -90.0, 180.0, 90.0)
    m = AREA_OF_USE_MARGIN_DEG
    return (max(-180.0, aou.west - m), max(-90.0, aou.south - m), min(180.0, aou.east + m), min(90.0, aou.north + m))


def check_coordinates(x, y, crs: str, *, file: str | None = None, what: str = "feature",
                      index=None) -> None:
    """Refuses coordinates that are not finite or lie outside the range of ``crs``: longitude
    within ±180° and latitude within ±90° for a geographic CRS; for a projected CRS, the point
    taken back to lon/lat must fall within the CRS's area of use widened by
    :data:`AREA_OF_USE_MARGIN_DEG` degrees. ``index`` (default 0…n-1) numbers the features in
    the error, which names the first bad one, its coordinates and the likely cause."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    idx = np.arange(len(x)) if index is None else np.asarray(index)
    if len(x) == 0:
        return
    bad = ~(np.isfinite(x) & np.isfinite(y))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InvalidInputError(f"{what} {idx[i]} has a non-finite coordinate ({x[i]:g}, {y[i]:g}); "
                                f"{int(bad.sum())} such {what}(s) in all", file=file, feature=int(idx[i]),
                                field="geometry")
    c = _crs(crs)
    if c.is_geographic:
        lon, lat = x, y
    else:
        import pyproj

        lon, lat = pyproj.Transformer.from_crs(c, "EPSG:4326", always_xy=True).transform(x, y, errcheck=False)
        lon = np.asarray(lon, dtype=np.float64)
        lat = np.asarray(lat, dtype=np.float64)
    w, s, e, n = _lonlat_bounds(crs)
    with np.errstate(invalid="ignore"):
        out = ~(np.isfinite(lon) & np.isfinite(lat) & (lon >= w) & (lon <= e) & (lat >= s) & (lat <= n))
    if out.any():
        i = int(np.flatnonzero(out)[0])
        hint = (" (these look like projected metres: state the layer's CRS)"
                if c.is_geographic and max(abs(x[i]), abs(y[i])) < 1e8 and (abs(x[i]) > 360 or abs(y[i]) > 180) else "")
        raise CrsError(f"{what} {idx[i]} at ({x[i]:.10g}, {y[i]:.10g}) lies outside the range of {crs} "
                       f"(lon {w:g}…{e:g}, lat {s:g}…{n:g}){hint}; {int(out.sum())} such {what}(s) in all",
                       file=file, feature=int(idx[i]), field="geometry")


#: The largest population any one record (a desa, a kecamatan, a raster cell) may hold: three
#: times Indonesia's. Anything above is a unit or parsing error (1e300 once went through).
MAX_POPULATION = 1e9


def check_population(values, *, file: str | None = None, field: str | None = "population",
                     what: str = "row") -> None:
    """Refuses population counts that are negative, above :data:`MAX_POPULATION` or ±inf,
    naming the first bad record (NaN means unknown and is the caller's to handle)."""
    v = np.asarray(values, dtype=np.float64).ravel()
    with np.errstate(invalid="ignore"):
        bad = np.isinf(v) | (v < 0) | (v > MAX_POPULATION)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        head = f"negative population {v[i]:g} of {what} {i}" if v[i] < 0 else f"population {v[i]:g} of {what} {i}"
        raise InvalidInputError(f"{head} is outside 0…{MAX_POPULATION:g} ({int(bad.sum())} such value(s) in all)",
                                file=file, feature=i, field=field)


def check_points(gdf: gpd.GeoDataFrame, *, file: str | None = None,
                 what: str = "point") -> tuple[np.ndarray, np.ndarray]:
    """The one geometry rule for point layers (facilities, candidate sites, existing sites):
    every present geometry is a Point or MultiPoint (missing/empty ones are the caller's to
    report), coordinates finite and within the layer CRS's range (:func:`check_coordinates`).
    A line or polygon raises :class:`~jangkau.errors.GeometryError` naming the first such
    feature: a centroid would silently stand in for where the service is.

    Returns ``(present, types)`` per feature: whether it has a non-empty geometry, and its
    shapely type id (0 Point, 4 MultiPoint, -1 missing), for callers that need them again."""
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    types = shapely.get_type_id(geoms)
    wrong = present & ~np.isin(types, (0, 4))
    if wrong.any():
        i = int(np.flatnonzero(wrong)[0])
        kind = shapely.get_type_id(geoms[i])
        name = {1: "LineString", 2: "LinearRing", 3: "Polygon", 5: "MultiLineString", 6: "MultiPolygon",
                7: "GeometryCollection"}.get(int(kind), "non-point")
        raise GeometryError(f"{what} layers must hold points; feature {i} is a {name} "
                            f"({int(wrong.sum())} non-point feature(s) in all)", file=file, feature=i,
                            field="geometry")
    if gdf.crs is None:
        raise CrsError(f"the {what} layer has no coordinate reference system", file=file)
    if present.any():
        if (types[present] == 0).all():  # points only (the usual case): one coordinate pair each
            xy = shapely.get_coordinates(geoms[present])
            owner = np.arange(xy.shape[0])
        else:
            parts, owner = shapely.get_parts(geoms[present], return_index=True)
            xy = shapely.get_coordinates(parts)
        check_coordinates(xy[:, 0], xy[:, 1], gdf.crs.to_string(), file=file, what="feature",
                          index=np.flatnonzero(present)[owner])
    return present, types


#: File suffixes read as delimited point tables (coordinates in two columns).
TABLE_SUFFIXES = (".csv", ".tsv", ".txt")
_X_GUESSES = ("lon", "longitude", "lng", "long", "bujur", "x", "easting")
_Y_GUESSES = ("lat", "latitude", "lintang", "y", "northing")


def _table_header(path: Path) -> list[str]:
    """Column names of a delimited table (the separator as OGR's CSV driver detects it:
    the most frequent of , ; tab | on the first line)."""
    import csv

    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            first = fh.readline()
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(f"cannot read the table: {exc}", file=str(path)) from None
    sep = max((",", ";", "\t", "|"), key=first.count)
    return next(csv.reader([first], delimiter=sep))


def _guess_column(columns: list[str], guesses: tuple[str, ...]) -> str | None:
    lower = {c.lower(): c for c in columns}
    return next((lower[g] for g in guesses if g in lower), None)


def read_point_table(path: str | os.PathLike[str], *, x_column: str | None = None, y_column: str | None = None,
                     points_crs: str | None = None, what: str = "point") -> gpd.GeoDataFrame:
    """A CSV point table (facilities, existing or candidate sites) through OGR's CSV driver:
    points from its ``x_column`` / ``y_column`` (default: guessed among lon/lat,
    longitude/latitude, lng, bujur/lintang, x/y, easting/northing, case-insensitive) in
    ``points_crs`` (default EPSG:4326 for lon/lat names; required for x/y — a
    :class:`~jangkau.errors.CrsError` otherwise). Rows without coordinates are kept with no
    geometry. A named column the table lacks, or no coordinate columns at all, raises
    :class:`~jangkau.errors.UnknownColumnError` naming the file and the columns it has."""
    from ..errors import UnknownColumnError

    p = Path(path)
    if not p.is_file():
        raise DataFileError(f"{what} table not found", file=str(p))
    columns = [c.strip() for c in _table_header(p)]
    for given in (x_column, y_column):
        if given and given not in columns:
            raise UnknownColumnError(f"no column '{given}' (columns: {', '.join(columns)})", file=str(p),
                                     field=given)
    xc = x_column or _guess_column(columns, _X_GUESSES)
    yc = y_column or _guess_column(columns, _Y_GUESSES)
    if xc is None or yc is None:
        raise UnknownColumnError(
            "a point table needs coordinate columns (lon/lat, longitude/latitude, bujur/lintang or x/y; or "
            f"name them with --x-column/--y-column); columns: {', '.join(columns)}", file=str(p))
    crs = points_crs
    if crs is None:
        if xc.lower() in ("x", "easting") or yc.lower() in ("y", "northing"):
            raise CrsError("x/y columns need their CRS (e.g. --points-crs EPSG:32748)", file=str(p), field="crs")
        crs = WGS84
    gdf = read_vector(p, x=xc, y=yc, crs=crs)
    gdf.attrs["coordinate_columns"] = f"{xc}, {yc}"
    return gdf


def missing_points(gdf: gpd.GeoDataFrame, policy=None, *, file: str | None = None, what: str = "point",
                   field: str = "geometry", index=None) -> np.ndarray:
    """The ``missing_coordinates`` rule (:mod:`jangkau.data.facility_qa`) for a point layer read
    from a file: the mask of features without a usable location (no geometry, or an empty one).
    ``policy`` (a :class:`~jangkau.data.facility_qa.Policy` or its name; None = ``refuse``):
    ``refuse`` raises :class:`~jangkau.errors.GeometryError` naming the file, the first such
    feature (``index`` numbers the features as the user sees them, default 0…n-1: the row /
    FID order of the file) and the field, with the count; ``drop``/``unknown``/``keep`` return
    the mask for the caller to drop the rows or keep them without a location (logged)."""
    # The policy by its value: facility_qa (which defines the Policy enum) imports this module.
    pol = str(getattr(policy, "value", policy) or "refuse")
    if pol not in ("refuse", "drop", "unknown", "keep"):
        raise InvalidInputError(f"missing_coordinates must be refuse, drop or unknown, not {policy!r}",
                                field="missing_coordinates")
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    missing = np.asarray(shapely.is_missing(geoms) | shapely.is_empty(geoms), dtype=bool)
    if missing.any():
        idx = np.arange(len(gdf)) if index is None else np.asarray(index)
        first = int(idx[int(np.flatnonzero(missing)[0])])
        if pol == "refuse":
            raise GeometryError(f"{what} {first} has no coordinates ({int(missing.sum())} of the {len(gdf)} "
                                f"{what}(s) have none); give them, or accept them explicitly with the "
                                "missing_coordinates policy 'drop' (e.g. --missing-coordinates drop)",
                                file=file, feature=first, field=field)
        log.warning("%d %s(s) without coordinates in %s (first: feature %d): policy '%s'", int(missing.sum()),
                    what, file, first, pol)
    return missing


def read_points(path: str | os.PathLike[str], *, layer: str | None = None, crs: str | None = None,
                what: str = "point", x_column: str | None = None, y_column: str | None = None,
                points_crs: str | None = None, missing_coordinates=None) -> gpd.GeoDataFrame:
    """Read a point layer (candidate or existing sites, facilities) through the engine and
    apply :func:`check_points`: the one reader and the one geometry rule of point inputs.
    A CSV table (suffix in :data:`TABLE_SUFFIXES`) is read by :func:`read_point_table` with
    ``x_column`` / ``y_column`` / ``points_crs``. Features without coordinates are refused
    (:func:`missing_points`) unless the ``missing_coordinates`` policy says ``drop`` (then they
    are left out, logged). The result keeps the file's feature numbers in ``source_index``."""
    if Path(path).suffix.lower() in TABLE_SUFFIXES:
        gdf = read_point_table(path, x_column=x_column, y_column=y_column, points_crs=points_crs, what=what)
    else:
        gdf = read_vector(path, layer, crs=crs)
    check_points(gdf, file=str(path), what=what)
    gdf["source_index"] = np.arange(len(gdf), dtype=np.int64)
    missing = missing_points(gdf, missing_coordinates, file=str(path), what=what,
                             field=gdf.attrs.get("coordinate_columns", "geometry"))
    if missing.any():
        gdf = gdf[~missing]
    return gdf
