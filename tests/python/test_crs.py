"""jangkau.data.crs: the one rule choosing a layer's UTM zone (centre of its bounding box).

Checked against independent references: pyproj's CRS database (``query_utm_crs_info``: the
zones whose area of use holds a point), geopandas' ``estimate_utm_crs`` on the 17 real
boundary files, and a brute force over all 60 zones for the claim that the chosen zone's
central meridian minimises the largest distance to the layer's longitude extent. Families:
uniform random extents, extents clustered on zone edges and the equator, real regencies.
"""

from __future__ import annotations

import functools
import glob

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from pyproj.database import query_utm_crs_info

from jangkau import _core
from jangkau.data.crs import centre_lonlat, metric_crs_for, utm_crs_of
from jangkau.data.region import Region
from jangkau.errors import CrsError, InvalidInputError


@functools.cache
def _utm_areas() -> list[tuple[str, tuple[float, float, float, float]]]:
    """The 120 WGS 84 / UTM zones of PROJ's database with their areas of use (w, s, e, n)."""
    out = [(f"EPSG:{c.code}", c.area_of_use.bounds) for c in query_utm_crs_info(datum_name="WGS 84")
           if c.name.startswith("WGS 84 / UTM zone ") and c.area_of_use is not None]
    assert len(out) == 120
    return out


def _pyproj_zones(lon: float, lat: float) -> set[str]:
    """EPSG codes of the WGS 84 / UTM zones whose area of use contains (lon, lat). The
    database puts the equator in both hemispheres' areas; the rule says north."""
    return {code for code, (w, s, e, n) in _utm_areas() if w <= lon <= e and s <= lat <= n
            and (lat != 0.0 or code.startswith("EPSG:326"))}


def _cm(code: str) -> float:
    """Central meridian (degrees) of a WGS 84 / UTM EPSG code."""
    zone = int(code.split(":")[1]) % 100
    return -183.0 + 6.0 * zone


def test_hemispheres_and_zone_edges():
    assert _core.utm_crs_for(106.15, -6.1) == "EPSG:32748"  # Kab. Serang, south
    assert _core.utm_crs_for(101.45, 0.55) == "EPSG:32647"  # Kota Pekanbaru, north
    assert _core.utm_crs_for(106.0, 0.0) == "EPSG:32648"  # the equator counts as north
    assert _core.utm_crs_for(106.0, -1e-9) == "EPSG:32748"
    # a zone edge belongs to the zone east of it; -180 is zone 1, +180 zone 60
    assert _core.utm_crs_for(108.0, -6.0) == "EPSG:32749"
    assert _core.utm_crs_for(np.nextafter(108.0, 0.0), -6.0) == "EPSG:32748"
    assert _core.utm_crs_for(-180.0, 10.0) == "EPSG:32601"
    assert _core.utm_crs_for(180.0, 10.0) == "EPSG:32660"
    assert _core.utm_crs_for(0.0, 84.0) == "EPSG:32631" and _core.utm_crs_for(0.0, -80.0) == "EPSG:32731"
    for lon, lat in [(0.0, 84.01), (0.0, -80.01), (180.01, 0.0), (float("nan"), 0.0)]:
        with pytest.raises(InvalidInputError, match="no UTM zone"):
            _core.utm_crs_for(lon, lat)


def test_zone_equals_pyproj_database():
    rng = np.random.default_rng(11)
    uniform = np.column_stack([rng.uniform(-179.9, 179.9, 300), rng.uniform(-79.9, 83.9, 300)])
    # clustered within 1e-6..0.05 degrees of zone edges and of the equator, on both sides
    edges = -180.0 + 6.0 * rng.integers(1, 60, 300)
    off = rng.choice([-1.0, 1.0], 300) * 10.0 ** rng.uniform(-6, np.log10(0.05), 300)
    lat = rng.choice([-1.0, 1.0], 300) * 10.0 ** rng.uniform(-6, 0, 300)
    clustered = np.column_stack([edges + off, lat])
    for lon, la in np.vstack([uniform, clustered]):
        got = _core.utm_crs_for(lon, la)
        ref = _pyproj_zones(lon, la)
        # the database's areas of use touch (and, to its precision, overlap) at zone edges:
        # within 1e-5 degrees of an edge it names both neighbours
        near_edge = abs((lon + 180.0) / 6.0 - round((lon + 180.0) / 6.0)) * 6.0 < 1e-5
        assert got in ref and (len(ref) == 1 or near_edge), (lon, la, ref)
        # the side of the edge: west edge ≤ lon < east edge (edges are exact integers)
        zone = int(got[-2:])
        assert -180.0 + 6.0 * (zone - 1) <= lon < -180.0 + 6.0 * zone, (lon, got)


@pytest.mark.parametrize("family", ["uniform", "edges"])
def test_bounding_box_centre_minimises_the_largest_distance_to_the_central_meridian(family):
    """Brute force over the 60 zones: the chosen zone's central meridian c minimises
    max(|a − c|, |b − c|) over the longitude extent [a, b] (ties: either zone)."""
    rng = np.random.default_rng(7)
    cms = -183.0 + 6.0 * np.arange(1, 61)
    for _ in range(400):
        if family == "uniform":
            a = rng.uniform(-179, 170)
            b = a + rng.uniform(0.01, 9.0)
        else:  # lopsided extents whose middle is near a zone edge
            edge = -180.0 + 6.0 * rng.integers(2, 59)
            half = rng.uniform(0.05, 4.0)
            mid = edge + rng.uniform(-0.2, 0.2)
            a, b = mid - half, mid + half
        lat = rng.uniform(-11, 6)
        code = utm_crs_of((a, lat - 0.1, b, lat + 0.1), "EPSG:4326")
        worst = np.maximum(np.abs(a - cms), np.abs(b - cms))
        assert max(abs(a - _cm(code)), abs(b - _cm(code))) <= worst.min() + 1e-9
        assert code.startswith("EPSG:327" if lat < 0 else "EPSG:326")


def test_lopsided_layer_uses_the_bounding_box_not_the_centroid():
    # a large block west of 108°E and a thin strip far east of it: the centroid lies in zone
    # 48, the middle of the extent in zone 49, whose central meridian (111°) is nearer to the
    # farthest vertex (105.0 → 6.0°, 113.2 → 2.2°) than zone 48's (105° → 0°, 113.2 → 8.2°).
    block = shapely.box(105.0, -7.0, 107.9, -6.0)
    strip = shapely.box(107.9, -6.52, 113.2, -6.48)
    g = gpd.GeoDataFrame({"code": ["a", "b"]}, geometry=[block, strip], crs="EPSG:4326")
    c = g.union_all().centroid
    assert _core.utm_crs_for(c.x, c.y) == "EPSG:32748"
    assert metric_crs_for(g) == pyproj.CRS.from_epsg(32749)
    assert metric_crs_for(g) == g.estimate_utm_crs()


def test_projected_bounds_and_metric_crs():
    # bounds given in a projected CRS are carried to lon/lat before the zone is chosen
    x, y = pyproj.Transformer.from_crs(4326, 3857, always_xy=True).transform([105.9, 106.4], [-6.4, -5.8])
    assert utm_crs_of((x[0], y[0], x[1], y[1]), "EPSG:3857") == "EPSG:32748"
    lon, lat = centre_lonlat((x[0], y[0], x[1], y[1]), pyproj.CRS.from_epsg(3857))
    assert lon == pytest.approx(106.15, abs=1e-9) and lat == pytest.approx(-6.1, abs=2e-3)
    g = gpd.GeoDataFrame(geometry=[shapely.Point(600000, 9320000)], crs="EPSG:32748")
    assert metric_crs_for(g) is g.crs  # a projected layer keeps its CRS
    with pytest.raises(CrsError, match="no CRS"):
        metric_crs_for(gpd.GeoDataFrame(geometry=[shapely.Point(106, -6)]))
    with pytest.raises(InvalidInputError, match="no coordinates"):
        metric_crs_for(gpd.GeoDataFrame(geometry=[], crs="EPSG:4326"))


def test_real_regencies_match_geopandas(data_dir):
    files = sorted(glob.glob(str(data_dir / "boundaries" / "**" / "*.geojson"), recursive=True))
    assert len(files) >= 17
    seen = set()
    for f in files:
        g = gpd.read_file(f)
        got = metric_crs_for(g)
        assert got == g.estimate_utm_crs(), f
        seen.add(got.to_epsg())
    assert {32647, 32648, 32748, 32749, 32750, 32751, 32752, 32754} <= seen  # both hemispheres, 47–54


def test_region_working_crs_uses_the_same_rule(data_dir):
    r = Region.load("cilegon", data_dir=data_dir)
    desa = gpd.read_file(data_dir / "boundaries" / "hdx_bps2020_desa_3672_kota_cilegon.geojson")
    assert r.working_crs == utm_crs_of(desa.total_bounds, desa.crs) == "EPSG:32748"
