"""Reading and writing vector data through the engine (GDAL/OGR), and the zero-copy-ish
bridge between GeoDataFrames and the engine's geometry arrays.

Geometry crosses the boundary as GeoArrow-style coordinate + offset arrays
(:func:`shapely.to_ragged_array` / :func:`shapely.from_ragged_array`), never one Python
object per vertex.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import GeometryType

from .. import _core
from ..errors import CrsError, InvalidInputError

__all__ = ["read_vector", "write", "list_layers", "to_geometry_array", "from_geometry_array", "WGS84"]

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
    coords = np.column_stack([ga.x, ga.y]) if len(ga.x) else np.empty((0, 2))
    offsets: tuple[np.ndarray, ...]
    if ga.kind == _core.GeometryKind.Point:
        offsets = (ga.geom_offsets,)
    elif ga.kind == _core.GeometryKind.Line:
        # parts are single rings: map geometry → part offsets straight onto ring offsets
        offsets = (ga.ring_offsets, ga.geom_offsets)
    else:
        offsets = (ga.ring_offsets, ga.part_offsets, ga.geom_offsets)
    return shapely.from_ragged_array(gtype, coords, offsets)


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
    :class:`~jangkau.errors.CrsError`). For CSV give either ``x``/``y`` (lon/lat or
    easting/northing columns) or ``wkt``. Attribute types follow the source: integers become
    ``Int64`` (nullable), reals ``float64`` (null → NaN) and everything else ``str`` (null →
    None). With ``single_parts`` single-part multi-geometries are returned as simple
    geometries (Polygon rather than a one-part MultiPolygon).
    """
    lyr = _core.read_vector(str(path), layer or "", crs or "", x or "", y or "", wkt or "", where or "", True)
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
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geoms, index=df.index), crs=lyr.crs)


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
    """
    path = Path(path)
    if path.suffix.lower() == ".parquet":  # GeoParquet: no GDAL driver on Debian 12, written with pyarrow
        from .geoparquet import write_parquet

        return write_parquet(gdf, path)
    geometry = None
    crs = None
    frame: pd.DataFrame
    if isinstance(gdf, gpd.GeoDataFrame) and gdf.geometry.name in gdf.columns:
        if gdf.crs is None:
            raise CrsError(f"cannot write '{path}': the GeoDataFrame has no CRS", file=str(path))
        geometry = to_geometry_array(gdf.geometry)
        crs = gdf.crs.to_string()
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
    _core.write_vector(str(path), geometry, crs, names, columns, precision, layer or "")
    return path
