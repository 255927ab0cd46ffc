"""Ellipsoidal (geodesic) areas and lengths: the one place jangkau computes them.

Planar measures in a UTM zone carry the projection's scale error: the point scale is
k = k0·(1 + x²/(2R²) + …) with k0 = 0.9996 and x the distance from the central meridian, so
lengths are 0.04 % short on the central meridian and about 0.1 % long 3° (330 km) away at the
equator, and areas (scale k²) between −0.08 % and +0.2 % (Snyder 1987, *Map Projections — A
Working Manual*, USGS PP 1395, §8). Where users read a figure as the true size of a zone
(``area_km2`` of :meth:`jangkau.data.region.Region.zones`) jangkau reports the area on the
WGS84 ellipsoid instead, computed with PROJ's geodesic routines (Karney 2013, "Algorithms for
geodesics", J. Geodesy 87:43–55; :meth:`pyproj.Geod.polygon_area_perimeter`): each ring's
vertices are taken to longitude/latitude and joined by geodesics.

Measured per desa on real boundaries in UTM zones 47–54 (``tests/python/test_geodesy.py``
re-checks it): planar UTM areas differ from the geodesic ones by −0.080 % to +0.122 % and
perimeters by −0.040 % to +0.061 %, depending on the distance from the central meridian
(docs/coverage.md, "Areas and lengths").
"""

from __future__ import annotations

import numpy as np
import pyproj

from . import _core
from .data.io import to_geometry_array

__all__ = ["WGS84_GEOD", "geodesic_area_m2", "geodesic_length_m", "geodesic_area_km2"]

#: The WGS84 ellipsoid (a = 6378137 m, 1/f = 298.257223563) of every geodesic figure.
WGS84_GEOD = pyproj.Geod(ellps="WGS84")


def _lonlat(geoms, crs) -> _core.GeometryArray:
    ga = geoms if isinstance(geoms, _core.GeometryArray) else to_geometry_array(geoms)
    src = pyproj.CRS.from_user_input(crs)
    if src.equals(pyproj.CRS.from_epsg(4326)):
        return ga
    # traditional lon/lat order (the engine's convention, always x = longitude/easting)
    return _core.transform_geometry(ga, src.to_wkt(), "EPSG:4326")


def _ring_sums(ga: _core.GeometryArray, measure) -> np.ndarray:
    """Per geometry, Σ over rings of ``measure(lon, lat, is_hole)``."""
    x, y = ga.x, ga.y
    ro, po, go = ga.ring_offsets, ga.part_offsets, ga.geom_offsets
    out = np.zeros(len(ga))
    for g in range(len(ga)):
        total = 0.0
        for p in range(go[g], go[g + 1]):
            for r in range(po[p], po[p + 1]):
                b, e = ro[r], ro[r + 1]
                if e - b >= 2:
                    total += measure(x[b:e], y[b:e], r != po[p])
        out[g] = total
    return out


def geodesic_area_m2(geoms, crs) -> np.ndarray:
    """Area (m²) on the WGS84 ellipsoid of every polygon of ``geoms`` (GeoSeries, shapely array
    or GeometryArray in ``crs``): Σ over parts of |area(shell)| − Σ |area(hole)|, each ring's
    vertices joined by geodesics. Empty geometries give 0."""
    ga = _lonlat(geoms, crs)

    def ring(lon, lat, hole):
        if len(lon) < 4:
            return 0.0
        a, _ = WGS84_GEOD.polygon_area_perimeter(lon, lat)
        return -abs(a) if hole else abs(a)

    return _ring_sums(ga, ring)


def geodesic_area_km2(geoms, crs) -> np.ndarray:
    """:func:`geodesic_area_m2` in km²."""
    return geodesic_area_m2(geoms, crs) / 1e6


def geodesic_length_m(geoms, crs) -> np.ndarray:
    """Length (m) on the WGS84 ellipsoid of every line of ``geoms`` (perimeter for polygons),
    vertices joined by geodesics."""
    ga = _lonlat(geoms, crs)

    def ring(lon, lat, hole):
        return float(WGS84_GEOD.line_length(lon, lat))

    return _ring_sums(ga, ring)
