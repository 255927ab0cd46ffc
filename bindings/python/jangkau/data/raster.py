"""Single-band rasters through the engine (GDAL): read any GDAL raster, write compressed
GeoTIFF atomically and deterministically, and exact zonal sums (exactextract's rule).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyproj

from .. import _core
from ..errors import CrsError, InvalidInputError
from ..util import atomic_path, check_size

__all__ = ["Grid", "Raster", "RasterType", "grid_for_bounds", "read_raster", "write_raster"]

Grid = _core.Grid
RasterType = _core.RasterType


@dataclass(frozen=True)
class Raster:
    """One band in memory. ``values`` has shape (rows, cols), north row first, float64;
    missing cells (``nodata`` or NaN) are NaN after :func:`read_raster`."""

    values: np.ndarray
    grid: _core.Grid
    crs: str
    nodata: float | None = None

    @property
    def crs_object(self) -> pyproj.CRS | None:
        """The CRS as a :class:`pyproj.CRS` (None when the raster has none)."""
        return pyproj.CRS.from_user_input(self.crs) if self.crs else None

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) of the grid."""
        g = self.grid
        return (
            g.origin_x,
            g.origin_y - g.rows * g.cell_height,
            g.origin_x + g.cols * g.cell_width,
            g.origin_y,
        )

    def cell_centers(self) -> tuple[np.ndarray, np.ndarray]:
        """x and y of every cell centre, flattened row-major."""
        g = self.grid
        xs = g.origin_x + (np.arange(g.cols) + 0.5) * g.cell_width
        ys = g.origin_y - (np.arange(g.rows) + 0.5) * g.cell_height
        return np.tile(xs, g.rows), np.repeat(ys, g.cols)


def read_raster(path: str | os.PathLike[str], band: int = 1, *,
                window: tuple[float, float, float, float] | None = None, window_crs: str = "") -> Raster:
    """Read band ``band`` (1-based) of a GDAL raster. Cells equal to the band's nodata value
    become NaN.

    ``window`` = (min_x, min_y, max_x, max_y), in ``window_crs`` (default: the raster's own CRS;
    e.g. ``"EPSG:4326"`` with x = longitude), reads only the cells that intersect that box: one
    GDAL window read at full resolution, no resampling, so the values are exactly the matching
    slice of a whole read and the grid is the raster's grid moved to the window's corner. Memory
    is the window's, whatever the file's size (a regency out of WorldPop's 100 m raster of
    Indonesia, see ``docs/population.md``).

    Raises DataFileError (cannot open/read), InvalidInputError (missing band, rotated or
    south-up grid, a window that is inverted or misses the raster), CrsError (a ``window_crs``
    that is not understood, or a raster without CRS to place it on)."""
    if window is None:
        values, grid, wkt, nodata = _core.read_raster(str(path), band)
    else:
        w = [float(v) for v in window]
        if len(w) != 4:
            raise InvalidInputError("a window is (min_x, min_y, max_x, max_y)", file=str(path), field="window")
        values, grid, wkt, nodata = _core.read_raster_window(str(path), w[0], w[1], w[2], w[3], window_crs, band)
    if nodata is not None:
        values[values == nodata] = np.nan
    return Raster(values=values, grid=grid, crs=wkt, nodata=nodata)


def write_raster(
    path: str | os.PathLike[str],
    raster: Raster,
    *,
    type: RasterType = RasterType.Float64,
    nodata: float | None = None,
    deflate_level: int = 6,
) -> Path:
    """Write ``raster`` as a tiled DEFLATE GeoTIFF (atomic, byte-identical for identical input).

    NaN cells are written as ``nodata`` (default: the raster's own nodata, else -9999 when
    there are NaNs). ``raster.crs`` may be any pyproj-understood definition; it is stored as WKT.
    """
    values = np.asarray(raster.values, dtype=np.float64)
    nd = nodata if nodata is not None else raster.nodata
    if nd is None and np.isnan(values).any():
        nd = -9999.0
    if nd is not None:
        values = np.where(np.isnan(values), nd, values)
    wkt = ""
    if raster.crs:
        try:
            wkt = pyproj.CRS.from_user_input(raster.crs).to_wkt()
        except pyproj.exceptions.CRSError as exc:
            raise CrsError(f"CRS not understood: {raster.crs!r}", file=str(path)) from exc
    with atomic_path(path) as tmp:
        _core.write_raster(str(tmp), np.ascontiguousarray(values), raster.grid, wkt, nd, type, deflate_level)
    return Path(path)


def grid_for_bounds(bounds, cell_size: float, *, snap: bool = True) -> _core.Grid:
    """A north-up grid of square cells of ``cell_size`` covering ``bounds`` (xmin, ymin, xmax,
    ymax); with ``snap`` the origin is a multiple of the cell size (grids of different extents
    then align)."""
    xmin, ymin, xmax, ymax = (float(b) for b in bounds)
    if not (math.isfinite(cell_size) and cell_size > 0):
        raise InvalidInputError(f"the cell size must be a positive number of metres, got {cell_size!r}",
                                field="cell_size")
    if not all(math.isfinite(b) for b in (xmin, ymin, xmax, ymax)):
        raise InvalidInputError(f"grid bounds are not finite: {(xmin, ymin, xmax, ymax)}", field="bounds")
    check_size(f"a grid of {cell_size:g} m cells over {(xmax - xmin) / 1e3:,.1f} × {(ymax - ymin) / 1e3:,.1f} km",
               (math.ceil((xmax - xmin) / cell_size) + 1) * (math.ceil((ymax - ymin) / cell_size) + 1),
               "max_cells", hint="use a larger cell size")
    if snap:
        x0 = np.floor(xmin / cell_size) * cell_size
        y0 = np.ceil(ymax / cell_size) * cell_size
    else:
        x0, y0 = xmin, ymax
    cols = max(1, int(np.ceil((xmax - x0) / cell_size)))
    rows = max(1, int(np.ceil((y0 - ymin) / cell_size)))
    return _core.Grid(float(x0), float(y0), float(cell_size), float(cell_size), rows, cols)
