"""The working (metric) CRS of a layer: the one place jangkau picks a UTM zone.

A layer in degrees is measured in the UTM zone (WGS 84 / UTM, EPSG:326zz north of the
equator, EPSG:327zz south of it; the engine's ``utm_crs_for``) of the **centre of its
bounding box**, taken in the layer's own CRS and carried to longitude/latitude. Zone
``zz = ⌊(λ + 180°)/6°⌋ + 1`` (λ = 180° belongs to zone 60; a longitude on a zone edge, e.g.
108°E, to the zone east of it); latitude 0 counts as north; outside 80°S–84°N there is no UTM
zone and :class:`jangkau.errors.InvalidInputError` is raised.

Why the bounding-box centre: the UTM scale error grows with the distance x from the zone's
central meridian (k = k0·(1 + x²/(2R²) + …), Snyder 1987, §8; :mod:`jangkau.geodesy`), and
over a longitude extent [a, b] the largest distance from a meridian c is (b − a)/2 + |m − c|
with m = (a + b)/2, smallest for the central meridian nearest to m — the one of the zone that
contains m. The centroid of the union of the features would need a dissolve and can fall in
another zone for a lopsided region. A layer crossing the antimeridian is not handled (no
Indonesian region does).
"""

from __future__ import annotations

import numpy as np
import pyproj

from .. import _core
from ..errors import CrsError, InvalidInputError

__all__ = ["centre_lonlat", "utm_crs_of", "metric_crs_for"]

_WGS84 = "EPSG:4326"


def centre_lonlat(bounds, crs) -> tuple[float, float]:
    """Longitude and latitude (degrees) of the centre of ``bounds`` = (min x, min y, max x,
    max y) in ``crs`` (a definition string the engine reads, or a :class:`pyproj.CRS`). Raises
    :class:`~jangkau.errors.InvalidInputError` when the bounds are not finite (an empty layer)."""
    x0, y0, x1, y1 = (float(v) for v in bounds)
    if not all(np.isfinite([x0, y0, x1, y1])):
        raise InvalidInputError("cannot choose a UTM zone: the layer has no coordinates (empty bounds)")
    src = crs if isinstance(crs, str) else pyproj.CRS.from_user_input(crs).to_wkt()
    lon, lat = _core.transform_xy(np.array([(x0 + x1) / 2]), np.array([(y0 + y1) / 2]), src, _WGS84)
    return float(lon[0]), float(lat[0])


def utm_crs_of(bounds, crs) -> str:
    """The UTM zone ("EPSG:326zz" or "EPSG:327zz") of the centre of ``bounds`` =
    (min x, min y, max x, max y) in ``crs`` — see the module text for the rule."""
    lon, lat = centre_lonlat(bounds, crs)
    return _core.utm_crs_for(lon, lat)


def metric_crs_for(gdf) -> pyproj.CRS:
    """The CRS of the GeoDataFrame/GeoSeries ``gdf`` when projected, else the UTM zone of the
    centre of its bounding box (:func:`utm_crs_of`). Raises :class:`~jangkau.errors.CrsError`
    when ``gdf`` has no CRS."""
    if gdf.crs is None:
        raise CrsError("GeoDataFrame has no CRS")
    if gdf.crs.is_projected:
        return gdf.crs
    return pyproj.CRS.from_user_input(utm_crs_of(gdf.total_bounds, gdf.crs))
