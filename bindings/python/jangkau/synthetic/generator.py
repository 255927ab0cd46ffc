"""A seeded generator of a SYNTHETIC regency-like region.

The generator builds everything a jangkau run needs, for a place that does not exist:

* desa polygons: a Voronoi tessellation of seeded points (denser near towns), clipped to
  a blobby regency outline; every polygon is valid and together they cover the outline
  exactly (a valid polygonal coverage);
* kecamatan: contiguous groups of desa (balanced region growing over the adjacency graph);
* dapil: contiguous groups of kecamatan balanced by population, with seats allocated by
  population (largest remainder, bounded per dapil);
* a population raster (GeoTIFF, people per cell): towns as Gaussian peaks, one village per
  desa, and a patchy rural background, integer counts that add up exactly to the stated
  population;
* a road hierarchy: an arterial spine connecting the towns, collectors from every kecamatan
  centre to the spine, and local roads between neighbouring villages (one connected network);
* facilities: puskesmas (one per kecamatan plus extra ones near towns), schools (SD and SMP,
  placed where people live) and one kantor desa per desa.

The default location is open sea in the Indian Ocean south-west of Java (103.5 E, 9.5 S, more
than 300 km from any coast, so even a 500 km benchmark region stays at sea): a synthetic map
can never be mistaken for a real place; the metric working CRS is
EPSG:32748 (WGS 84 / UTM zone 48S). Every file written carries a ``synthetic`` = true
label (a property on every feature, a column in every table, GeoTIFF metadata, and a key in
the region TOML), and every name is invented.

The same seed gives byte-identical files; the size parameters scale the region from a few
thousand raster cells to tens of millions (see :meth:`SyntheticOptions.for_cells`).

Example::

    from jangkau.synthetic import SyntheticOptions, generate
    region = generate(SyntheticOptions(seed=7))
    region_toml = region.write("out/synthetic")

Shared code and deliberate independence. Atomic writes, largest-remainder rounding, TOML
values and the contiguity algorithms (components, balanced region growing) come from
:mod:`jangkau.util` and :mod:`jangkau.data.contiguity`. Five pieces stay in this package on purpose
(the writers in :mod:`jangkau.synthetic.files`, the Dijkstra in :mod:`jangkau.synthetic.algorithms`),
because the engine's counterparts cannot give the same files (the same seed must keep giving
the same sha256 digests, and every file must carry its SYNTHETIC label):

* :func:`write_geotiff` beside :func:`jangkau.data.raster.write_raster`: the engine writer
  has no metadata items, description or software tag (the ``synthetic = true`` label, the
  generator and the seed travel in GDAL_METADATA, ImageDescription and Software here) and
  stores the CRS as WKT, where this writer stores the EPSG code in the GeoKeys;
* the GeoJSON writer beside :func:`jangkau.data.io.write`: the engine writer rounds
  coordinates to ``precision`` decimals and has no collection-level members (``synthetic``,
  ``description``, ``generator``, ``seed``); here coordinates keep full precision
  (``repr``), so the written polygons are exactly the valid coverage generated;
* the CSV writer: ``true``/``false`` for the ``synthetic`` column, as in the GeoJSON;
* the region TOML is a commented template (the raster key is a comment until the region
  format has one), not a serialised table, so :func:`jangkau.util.dump_toml` cannot write
  it; its values are written by :func:`jangkau.util.toml_value`;
* the heapq Dijkstra (:func:`dijkstra`): the engine's searches
  (:meth:`jangkau.network.Network.shortest_paths`, ``nearest``) return costs only, but the
  road builder needs the predecessor edge of every node, ties to the lowest edge id; the
  Kruskal spanning forest has no engine counterpart (and SciPy is not a run-time
  dependency).
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPoint, Point, Polygon, box

from ..data.contiguity import is_connected
from ..errors import InvalidInputError
from ..util import largest_remainder
from .algorithms import (
    allocate_seats,
    dijkstra,
    farthest_points,
    grow_seeded_regions,
    invent_name,
    kruskal,
    middle_point,
    proportional_integers,
    rebalance,
    roman,
    shortest_path_edges,
)
from .files import GENERATOR, NODATA, write_geotiff, write_region_files

__all__ = ["GENERATOR", "SyntheticOptions", "SyntheticRegion", "generate", "write_geotiff", "write_region"]



@dataclass(frozen=True)
class SyntheticOptions:
    """Parameters of the synthetic region. Every field has a default; sizes scale together
    through :meth:`for_cells`."""

    #: Seed of the random generator. DEFAULT: 0. Same seed -> byte-identical files.
    seed: int = 0
    #: Name of the region (used in the region TOML and file metadata). DEFAULT: "synthetic".
    name: str = "synthetic"
    #: Number of desa polygons. DEFAULT: 300 (Kabupaten Serang has 326).
    n_desa: int = 300
    #: Number of kecamatan (contiguous groups of desa). DEFAULT: 24.
    n_kecamatan: int = 24
    #: Number of dapil (contiguous groups of kecamatan). DEFAULT: 5.
    n_dapil: int = 5
    #: Seats to allocate over the dapil by population. DEFAULT: 50.
    seats: int = 50
    #: Fewest and most seats one dapil may get. DEFAULT: 3 and 12 (the DPRD kabupaten range).
    min_seats: int = 3
    max_seats: int = 12
    #: Side of the square raster extent, in km. The outline fills most of it. DEFAULT: 48.
    extent_km: float = 48.0
    #: Raster cell size in metres. DEFAULT: 100 (as WorldPop's 100 m grids).
    cell_size_m: float = 100.0
    #: Total population (people), exactly the sum of the raster. DEFAULT: 1,500,000.
    population: int = 1_500_000
    #: Number of towns (Gaussian population peaks joined by the arterial spine). DEFAULT: 5.
    n_towns: int = 5
    #: Shares of the population living in towns, villages and scattered rural settlement.
    #: DEFAULT: 0.35, 0.45, 0.20 (must add up to 1).
    town_share: float = 0.35
    village_share: float = 0.45
    rural_share: float = 0.20
    #: Spread (standard deviation) of the largest town, in metres; smaller towns are narrower.
    #: DEFAULT: 1800.
    town_sigma_m: float = 1800.0
    #: Residents per puskesmas used to size the total number (at least one per kecamatan).
    #: DEFAULT: 30,000.
    people_per_puskesmas: int = 30_000
    #: Residents per SD (primary school) and per SMP (junior secondary school).
    #: DEFAULT: 1,600 and 5,000.
    people_per_sd: int = 1_600
    people_per_smp: int = 5_000
    #: Probability that a non-tree link between neighbouring villages becomes a local road.
    #: DEFAULT: 0.35.
    extra_local_road_fraction: float = 0.35
    #: Centre of the region, WGS84 degrees. DEFAULT: 103.5 E, 9.5 S (open sea, Indian Ocean).
    centre_lon: float = 103.5
    centre_lat: float = -9.5
    #: Metric CRS of the raster and of the in-memory layers. DEFAULT: 32748 (UTM zone 48S).
    epsg: int = 32748
    #: Administrative code of the invented kabupaten (province 99 does not exist in BPS codes).
    #: DEFAULT: "9901".
    kabupaten_code: str = "9901"

    @classmethod
    def for_cells(cls, n_cells: int, *, cell_size_m: float = 100.0, seed: int = 0,
                  **overrides) -> SyntheticOptions:
        """Options for a region whose raster has about ``n_cells`` cells of ``cell_size_m``.

        The extent grows with the cell count; desa (about one per 4.5 km2), kecamatan (about
        12 desa each), dapil and population (about 1,000 people per km2) scale with the area.
        Any other field can be overridden by keyword.
        """
        if n_cells < 100:
            raise InvalidInputError(f"n_cells must be at least 100, got {n_cells}", field="n_cells")
        extent_km = math.sqrt(n_cells) * cell_size_m / 1000.0
        area_km2 = 0.55 * extent_km**2  # the outline covers roughly 55 % of the square
        n_desa = max(20, round(area_km2 / 4.5))
        seats = overrides.get("seats", cls.seats)
        max_seats = overrides.get("max_seats", cls.max_seats)
        min_seats = overrides.get("min_seats", cls.min_seats)
        n_dapil = min(max(math.ceil(seats / max_seats), round(n_desa / 60)), seats // min_seats)
        n_kecamatan = max(n_dapil, round(n_desa / 12))
        values = {"seed": seed, "cell_size_m": cell_size_m, "extent_km": extent_km, "n_desa": n_desa,
                  "n_kecamatan": n_kecamatan, "n_dapil": n_dapil,
                  "population": max(10_000, round(area_km2 * 1000)),
                  "n_towns": max(1, min(5 * max(1, round(area_km2 / 1500)), 200))}
        values.update(overrides)
        return cls(**values)

    def validate(self) -> None:
        """Raise :class:`~jangkau.errors.InvalidInputError` naming the first bad field."""
        def bad(field: str, why: str) -> None:
            raise InvalidInputError(f"synthetic option {field}={getattr(self, field)!r}: {why}", field=field)

        if self.n_desa < 3:
            bad("n_desa", "need at least 3 desa")
        if not 1 <= self.n_kecamatan <= self.n_desa:
            bad("n_kecamatan", "must be between 1 and n_desa")
        if not 1 <= self.n_dapil <= self.n_kecamatan:
            bad("n_dapil", "must be between 1 and n_kecamatan")
        if self.min_seats < 1 or self.max_seats < self.min_seats:
            bad("min_seats", "need 1 <= min_seats <= max_seats")
        if not self.n_dapil * self.min_seats <= self.seats <= self.n_dapil * self.max_seats:
            bad("seats", f"cannot give {self.n_dapil} dapil between {self.min_seats} and "
                         f"{self.max_seats} seats each")
        if self.cell_size_m <= 0:
            bad("cell_size_m", "must be positive")
        if self.extent_km * 1000.0 / self.cell_size_m < 10:
            bad("extent_km", "the raster must be at least 10 cells wide")
        if self.population < 1:
            bad("population", "must be positive")
        if self.n_towns < 1:
            bad("n_towns", "need at least one town")
        shares = (self.town_share, self.village_share, self.rural_share)
        if min(shares) < 0 or abs(sum(shares) - 1.0) > 1e-9:
            bad("town_share", "town, village and rural shares must be >= 0 and add up to 1")
        if not 0 <= self.extra_local_road_fraction <= 1:
            bad("extra_local_road_fraction", "must be between 0 and 1")
        if not (self.kabupaten_code.isdigit() and len(self.kabupaten_code) == 4):
            bad("kabupaten_code", "must be 4 digits")


@dataclass
class SyntheticRegion:
    """A generated region, in memory. Layers are in the metric CRS ``crs`` (EPSG:32748 by
    default); :meth:`write` stores them as RFC 7946 GeoJSON (WGS84) beside a GeoTIFF."""

    options: SyntheticOptions
    #: Desa polygons: desa_code, desa_name, kecamatan_code, kecamatan_name, kabupaten_code,
    #: kabupaten_name, dapil, population, area_km2, synthetic, geometry.
    desa: gpd.GeoDataFrame
    #: The regency outline (the union of all desa).
    outline: Polygon
    #: Per kecamatan: kecamatan_code, kecamatan_name, dapil, dapil_name, seats, population.
    dapil: pd.DataFrame
    #: People per cell, float32, NODATA outside the region; row 0 is the northern edge.
    population_raster: np.ndarray
    #: West and north edges of the raster, in metres of ``crs``.
    raster_origin: tuple[float, float]
    #: Roads: road_id, class (arterial/collector/local), highway, length_m, from_desa, to_desa,
    #: synthetic, geometry (LineString; links meet at shared end points).
    roads: gpd.GeoDataFrame
    #: Facilities: facility_id, type, name, capacity, capacity_unit, desa_code, kecamatan_code,
    #: synthetic, geometry (Point). Types: puskesmas, sd, smp, kantor_desa.
    facilities: gpd.GeoDataFrame
    #: Towns: name, weight (share of the town population), sigma_m, geometry (Point).
    towns: gpd.GeoDataFrame

    @property
    def crs(self) -> str:
        """The metric CRS of the in-memory layers and of the raster, e.g. ``"EPSG:32748"``."""
        return f"EPSG:{self.options.epsg}"

    @property
    def cell_size_m(self) -> float:
        """Raster cell size in metres."""
        return self.options.cell_size_m

    def write(self, directory: str | os.PathLike[str]) -> Path:
        """Write every layer and the region TOML into ``directory`` (created if needed) and
        return the path of the region TOML. Each file is written atomically; existing files of
        the same names are replaced."""
        return write_region_files(self, Path(directory))


def generate(options: SyntheticOptions | None = None, **kwargs) -> SyntheticRegion:
    """Generate a synthetic region. Pass a :class:`SyntheticOptions` or its fields as keywords.

    Raises :class:`~jangkau.errors.InvalidInputError` for inconsistent options.
    """
    if options is None:
        options = SyntheticOptions(**kwargs)
    elif kwargs:
        options = dataclasses.replace(options, **kwargs)
    options.validate()
    return _Builder(options).build()


def write_region(directory: str | os.PathLike[str], options: SyntheticOptions | None = None,
                 **kwargs) -> Path:
    """Generate a region and write it to ``directory``; returns the region TOML path."""
    return generate(options, **kwargs).write(directory)


# --------------------------------------------------------------------------------------------
# generator


class _Builder:
    def __init__(self, opt: SyntheticOptions) -> None:
        self.opt = opt
        # One generator per concern, so that changing (say) the number of schools does not move
        # every desa: each stream is derived from the seed and a fixed label.
        root = np.random.SeedSequence([opt.seed, 0x6A616E67])
        streams = root.spawn(8)
        self.rng_outline, self.rng_towns, self.rng_desa, self.rng_groups, self.rng_pop, \
            self.rng_roads, self.rng_fac, self.rng_names = (np.random.default_rng(s) for s in streams)

    def build(self) -> SyntheticRegion:
        opt = self.opt
        self._grid()
        self._outline()
        self._towns()
        self._desa_points()
        self._tessellate()
        self._adjacency()
        self._kecamatan()
        self._population()
        self._dapil()
        self._names()
        roads = self._roads()
        facilities = self._facilities()
        desa = self._desa_frame()
        return SyntheticRegion(
            options=opt, desa=desa, outline=self.outline, dapil=self.dapil_frame,
            population_raster=self.raster, raster_origin=(self.x0, self.y1), roads=roads,
            facilities=facilities, towns=self._towns_frame())

    # -- grid and outline ----------------------------------------------------------------

    def _grid(self) -> None:
        opt = self.opt
        to_metric = Transformer.from_crs("EPSG:4326", f"EPSG:{opt.epsg}", always_xy=True)
        cx, cy = to_metric.transform(opt.centre_lon, opt.centre_lat)
        cell = opt.cell_size_m
        n = max(10, round(opt.extent_km * 1000.0 / cell))
        self.nx = self.ny = n
        # Align the grid on whole multiples of the cell size, as published rasters are.
        self.x0 = math.floor((cx - n * cell / 2) / cell) * cell
        self.y0 = math.floor((cy - n * cell / 2) / cell) * cell
        self.x1 = self.x0 + n * cell
        self.y1 = self.y0 + n * cell
        self.cx = (self.x0 + self.x1) / 2
        self.cy = (self.y0 + self.y1) / 2

    def _outline(self) -> None:
        rng = self.rng_outline
        n_vertices = 720
        theta = np.linspace(0.0, 2.0 * np.pi, n_vertices, endpoint=False)
        r = np.ones(n_vertices)
        for k in range(2, 8):
            r += rng.uniform(0.0, 0.16) / k**0.8 * np.cos(k * theta + rng.uniform(0.0, 2.0 * np.pi))
        # A star-shaped outline with r > 0 is a simple polygon; scale it to fit in the grid.
        r *= 0.48 * (self.x1 - self.x0) / r.max()
        outline = Polygon(np.column_stack([self.cx + r * np.cos(theta), self.cy + r * np.sin(theta)]))
        self.outline = shapely.orient_polygons(outline)
        shapely.prepare(self.outline)
        self.radius_m = float(r.mean())

    def _random_points_inside(self, rng, n: int, geom, weight=None) -> np.ndarray:
        """n points uniformly inside ``geom`` (rejection sampling), thinned by ``weight(x, y)``
        in [0, 1] when given."""
        minx, miny, maxx, maxy = geom.bounds
        out: list[np.ndarray] = []
        have = 0
        batch = max(1024, 4 * n)
        for _ in range(10_000):
            x = rng.uniform(minx, maxx, batch)
            y = rng.uniform(miny, maxy, batch)
            u = rng.uniform(0.0, 1.0, batch)
            keep = shapely.contains_xy(geom, x, y)
            if weight is not None:
                keep &= u < weight(x, y)
            pts = np.column_stack([x[keep], y[keep]])
            out.append(pts)
            have += len(pts)
            if have >= n:
                break
        pts = np.concatenate(out)
        if len(pts) < n:  # pragma: no cover - the region would have to be degenerate
            raise InvalidInputError("could not place points inside the synthetic outline")
        return pts[:n]

    # -- towns and desa ------------------------------------------------------------------

    def _towns(self) -> None:
        opt, rng = self.opt, self.rng_towns
        inner = self.outline.buffer(-0.15 * self.radius_m)
        if inner.is_empty:
            inner = self.outline
        shapely.prepare(inner)
        min_sep = 0.9 * self.radius_m / math.sqrt(opt.n_towns)
        towns: list[tuple[float, float]] = []
        while len(towns) < opt.n_towns:
            candidates = self._random_points_inside(rng, 256, inner)
            for x, y in candidates:
                if all((x - tx) ** 2 + (y - ty) ** 2 >= min_sep**2 for tx, ty in towns):
                    towns.append((float(x), float(y)))
                    if len(towns) == opt.n_towns:
                        break
            min_sep *= 0.8  # relax when the outline is too small for the requested spacing
        self.town_xy = np.array(towns)
        w = 1.0 / np.arange(1, opt.n_towns + 1) ** 1.0  # rank-size rule: town k has 1/k
        self.town_weight = w / w.sum()
        self.town_sigma = opt.town_sigma_m * np.sqrt(w / w[0])

    def _settlement_density(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Relative density of desa seeds in [0, 1]: more, smaller desa near towns."""
        d = np.full_like(x, 0.3)
        rel = self.town_weight / self.town_weight[0]
        for (tx, ty), s, w in zip(self.town_xy, self.town_sigma, rel):
            d += w * np.exp(-((x - tx) ** 2 + (y - ty) ** 2) / (2.0 * (2.5 * s) ** 2))
        return d / (0.3 + rel.sum())

    def _voronoi(self, pts: np.ndarray) -> np.ndarray:
        minx, miny, maxx, maxy = self.outline.bounds
        pad = maxx - minx
        env = box(minx - pad, miny - pad, maxx + pad, maxy + pad)
        cells = shapely.get_parts(shapely.voronoi_polygons(MultiPoint(pts), extend_to=env, ordered=True))
        if len(cells) != len(pts):  # pragma: no cover - duplicate seeds have probability zero
            raise InvalidInputError("synthetic desa seeds are not distinct")
        return shapely.intersection(cells, self.outline)

    def _desa_points(self) -> None:
        pts = self._random_points_inside(self.rng_desa, self.opt.n_desa, self.outline,
                                         self._settlement_density)
        # One Lloyd step evens out clumps of the random seeds while keeping the density trend.
        cells = self._voronoi(pts)
        centroids = shapely.get_coordinates(shapely.centroid(cells))
        inside = shapely.contains_xy(self.outline, centroids[:, 0], centroids[:, 1])
        pts = np.where(inside[:, None], 0.5 * (pts + centroids), pts)
        self.seed_xy = pts

    def _tessellate(self) -> None:
        cells = list(self._voronoi(self.seed_xy))
        # A convex Voronoi cell clipped to a non-convex outline can fall apart. Keep the part
        # holding the seed; give every other part to the neighbour it shares most boundary with.
        pending: list[tuple[int, Polygon]] = []
        for i, g in enumerate(cells):
            if g.geom_type == "Polygon":
                continue
            parts = list(shapely.get_parts(g))
            seed = Point(self.seed_xy[i])
            keep = next(k for k, p in enumerate(parts) if p.intersects(seed))
            cells[i] = parts[keep]
            pending.extend((i, p) for k, p in enumerate(parts) if k != keep)
        while pending:
            progress = False
            remaining = []
            tree = shapely.STRtree(cells)
            for owner, frag in pending:
                cand = [int(c) for c in tree.query(frag, predicate="intersects") if c != owner]
                shared = [shapely.intersection(frag.boundary, cells[c].boundary).length for c in cand]
                if not cand or max(shared) <= 0.0:
                    remaining.append((owner, frag))
                    continue
                best = cand[int(np.argmax(shared))]
                merged = shapely.union(cells[best], frag)
                if merged.geom_type != "Polygon":
                    remaining.append((owner, frag))
                    continue
                cells[best] = merged
                progress = True
                tree = shapely.STRtree(cells)
            if not progress:  # pragma: no cover - a fragment must border another cell
                raise InvalidInputError("synthetic tessellation left a detached fragment")
            pending = remaining
        self.cells = shapely.orient_polygons(np.array(cells, dtype=object))
        self.n = len(self.cells)

    def _adjacency(self) -> None:
        tree = shapely.STRtree(self.cells)
        left, right = tree.query(self.cells, predicate="intersects")
        sel = left < right
        left, right = left[sel], right[sel]
        boundaries = shapely.boundary(self.cells)
        shared = shapely.intersection(boundaries[left], boundaries[right])
        length = shapely.length(shared)
        # Cells touching at a single point are not neighbours (no road or boundary between).
        ok = length > 1e-6 * self.opt.cell_size_m
        self.edges = np.column_stack([left[ok], right[ok]]).astype(np.int64)
        self.shared = shared[ok]
        self.neighbours: list[list[int]] = [[] for _ in range(self.n)]
        for a, b in self.edges:
            self.neighbours[a].append(int(b))
            self.neighbours[b].append(int(a))
        for lst in self.neighbours:
            lst.sort()
        if self.n > 1 and not is_connected(range(self.n), self.neighbours):  # pragma: no cover
            raise InvalidInputError("synthetic desa adjacency graph is not connected")

    # -- grouping ------------------------------------------------------------------------

    def _kecamatan(self) -> None:
        opt = self.opt
        seeds = farthest_points(self.seed_xy, opt.n_kecamatan, self.rng_groups)
        labels = grow_seeded_regions(self.neighbours, np.ones(self.n), self.seed_xy, seeds)
        # Number kecamatan from north-west to south-east so codes read like a map.
        cent = np.array([self.seed_xy[labels == k].mean(axis=0) for k in range(opt.n_kecamatan)])
        order = np.lexsort((cent[:, 0], -np.round(cent[:, 1] / (self.radius_m / 3))))
        rank = np.empty(opt.n_kecamatan, dtype=np.int64)
        rank[order] = np.arange(opt.n_kecamatan)
        self.kec = rank[labels]
        # Desa numbered within each kecamatan from north-west too.
        self.desa_order = np.lexsort((self.seed_xy[:, 0], -self.seed_xy[:, 1], self.kec))

    def _dapil(self) -> None:
        opt = self.opt
        nk = opt.n_kecamatan
        kec_pop = np.bincount(self.kec, weights=self.desa_pop, minlength=nk)
        kec_xy = np.array([self.seed_xy[self.kec == k].mean(axis=0) for k in range(nk)])
        kec_nb: list[set[int]] = [set() for _ in range(nk)]
        for a, b in self.edges:
            ka, kb = int(self.kec[a]), int(self.kec[b])
            if ka != kb:
                kec_nb[ka].add(kb)
                kec_nb[kb].add(ka)
        neighbours = [sorted(s) for s in kec_nb]
        seeds = farthest_points(kec_xy, opt.n_dapil, self.rng_groups)
        labels = grow_seeded_regions(neighbours, kec_pop, kec_xy, seeds)
        labels = rebalance(labels, neighbours, kec_pop, opt.n_dapil)
        order = np.lexsort((np.array([kec_xy[labels == d, 0].mean() for d in range(opt.n_dapil)]),
                            -np.round(np.array([kec_xy[labels == d, 1].mean() for d in range(opt.n_dapil)])
                                      / (self.radius_m / 2))))
        rank = np.empty(opt.n_dapil, dtype=np.int64)
        rank[order] = np.arange(opt.n_dapil)
        self.kec_dapil = rank[labels] + 1  # dapil are numbered from 1
        dapil_pop = np.bincount(self.kec_dapil - 1, weights=kec_pop, minlength=opt.n_dapil)
        self.dapil_seats = allocate_seats(dapil_pop, opt.seats, opt.min_seats, opt.max_seats)
        self.kec_pop = kec_pop

    # -- population ----------------------------------------------------------------------

    def _population(self) -> None:
        opt, rng = self.opt, self.rng_pop
        cell, nx, ny = opt.cell_size_m, self.nx, self.ny
        xc = self.x0 + (np.arange(nx) + 0.5) * cell
        yc = self.y1 - (np.arange(ny) + 0.5) * cell  # row 0 is the northern edge

        # Which desa holds each cell centre (-1: outside the region).
        labels = np.full((ny, nx), -1, dtype=np.int32)
        bounds = shapely.bounds(self.cells)
        for d in range(self.n):
            minx, miny, maxx, maxy = bounds[d]
            c0 = max(0, math.floor((minx - self.x0) / cell - 0.5))
            c1 = min(nx, math.ceil((maxx - self.x0) / cell + 0.5))
            r0 = max(0, math.floor((self.y1 - maxy) / cell - 0.5))
            r1 = min(ny, math.ceil((self.y1 - miny) / cell + 0.5))
            if c0 >= c1 or r0 >= r1:
                continue
            gx, gy = np.meshgrid(xc[c0:c1], yc[r0:r1])
            shapely.prepare(self.cells[d])
            inside = shapely.contains_xy(self.cells[d], gx, gy)
            sub = labels[r0:r1, c0:c1]
            sub[inside & (sub < 0)] = d
        mask = labels >= 0
        if not mask.any():  # pragma: no cover - validate() keeps the grid fine enough
            raise InvalidInputError("synthetic raster has no cell inside the region", field="cell_size_m")

        def gaussian_window(px: float, py: float, sigma: float, out: np.ndarray, amp: float) -> None:
            # A separable Gaussian evaluated on the cells within 4 sigma of (px, py).
            reach = 4.0 * sigma
            c0 = max(0, int((px - reach - self.x0) // cell))
            c1 = min(nx, int((px + reach - self.x0) // cell) + 1)
            r0 = max(0, int((self.y1 - py - reach) // cell))
            r1 = min(ny, int((self.y1 - py + reach) // cell) + 1)
            if c0 >= c1 or r0 >= r1:
                return
            gx = np.exp(-((xc[c0:c1] - px) ** 2) / (2.0 * sigma**2))
            gy = np.exp(-((yc[r0:r1] - py) ** 2) / (2.0 * sigma**2))
            out[r0:r1, c0:c1] += amp * np.outer(gy, gx)

        towns = np.zeros((ny, nx))
        for (tx, ty), s, w in zip(self.town_xy, self.town_sigma, self.town_weight):
            gaussian_window(tx, ty, max(s, cell), towns, w / (2.0 * np.pi * max(s, cell) ** 2))

        villages = np.zeros((ny, nx))
        v_amp = rng.uniform(0.5, 1.5, self.n)
        v_sigma = np.maximum(rng.uniform(200.0, 450.0, self.n), cell)
        for d in range(self.n):
            gaussian_window(self.seed_xy[d, 0], self.seed_xy[d, 1], v_sigma[d], villages,
                            v_amp[d] / (2.0 * np.pi * v_sigma[d] ** 2))

        rural = self._rural_noise(rng, xc, yc)

        target = np.zeros((ny, nx))
        for share, comp in ((opt.town_share, towns), (opt.village_share, villages), (opt.rural_share, rural)):
            total = comp[mask].sum()
            if share > 0 and total <= 0:  # a component that vanished on a coarse grid: spread it
                comp = np.ones_like(comp)
                total = comp[mask].sum()
            if share > 0:
                target += share * comp / total
        target = np.where(mask, target, 0.0)
        target *= opt.population / target[mask].sum()

        counts = largest_remainder(target[mask], opt.population)
        raster = np.full((ny, nx), NODATA, dtype=np.float32)
        raster[mask] = counts.astype(np.float32)  # integers below 2**24 are exact in float32
        self.raster = raster
        self.labels = labels
        self.desa_pop = np.bincount(labels[mask], weights=counts, minlength=self.n).astype(np.int64)

    def _rural_noise(self, rng, xc: np.ndarray, yc: np.ndarray) -> np.ndarray:
        """Patchy scattered settlement: log-normal noise on a 2.5 km lattice, bilinearly
        interpolated, with the lowest 40 % cut to zero (fields, forest, water)."""
        step = 2500.0
        gx = np.arange(self.x0 - step, self.x1 + 2 * step, step)
        gy = np.arange(self.y0 - step, self.y1 + 2 * step, step)
        coarse = rng.lognormal(0.0, 0.7, (len(gy), len(gx)))
        along_x = np.stack([np.interp(xc, gx, row) for row in coarse])  # (len(gy), nx)
        t = (yc - gy[0]) / step
        k = np.clip(np.floor(t).astype(np.int64), 0, len(gy) - 2)
        f = (t - k)[:, None]
        field = along_x[k] * (1.0 - f) + along_x[k + 1] * f
        cut = np.quantile(coarse, 0.4)
        return np.maximum(field - cut, 0.0)

    # -- names ---------------------------------------------------------------------------

    def _names(self) -> None:
        opt, rng = self.opt, self.rng_names
        taken: set[str] = set()
        self.kec_names = [invent_name(rng, taken) for _ in range(opt.n_kecamatan)]
        self.desa_names = [""] * self.n
        for d in self.desa_order:
            self.desa_names[int(d)] = invent_name(rng, taken)
        self.town_names = [invent_name(rng, taken) for _ in range(opt.n_towns)]
        width = max(3, len(str(10 * opt.n_kecamatan)))
        self.kec_codes = [f"{opt.kabupaten_code}{10 * (k + 1):0{width}d}" for k in range(opt.n_kecamatan)]
        self.desa_codes = [""] * self.n
        counter = np.zeros(opt.n_kecamatan, dtype=np.int64)
        for d in self.desa_order:
            k = int(self.kec[d])
            counter[k] += 1
            self.desa_codes[int(d)] = f"{self.kec_codes[k]}{counter[k]:03d}"
        dapil_names = [f"{opt.name.upper()} {d}" for d in range(1, opt.n_dapil + 1)]
        self.dapil_frame = pd.DataFrame({
            "kecamatan_code": self.kec_codes,
            "kecamatan_name": self.kec_names,
            "dapil": self.kec_dapil.astype(np.int64),
            "dapil_name": [dapil_names[d - 1] for d in self.kec_dapil],
            "seats": self.dapil_seats[self.kec_dapil - 1].astype(np.int64),
            "population": self.kec_pop.astype(np.int64),
            "synthetic": True,
        })

    # -- roads ---------------------------------------------------------------------------

    def _roads(self) -> gpd.GeoDataFrame:
        opt, rng = self.opt, self.rng_roads
        n = self.n
        xy = self.seed_xy  # village centres: road nodes and kantor desa sites
        # Each link runs from one village centre over the middle of the shared desa boundary to
        # the next, so it stays inside the two desa it joins.
        mids = np.array([middle_point(g) for g in self.shared])
        link_len = (np.hypot(*(xy[self.edges[:, 0]] - mids).T) + np.hypot(*(xy[self.edges[:, 1]] - mids).T))
        adj: list[list[tuple[int, float, int]]] = [[] for _ in range(n)]
        for e, (a, b) in enumerate(self.edges):
            adj[a].append((int(b), float(link_len[e]), e))
            adj[b].append((int(a), float(link_len[e]), e))
        road_class = np.full(len(self.edges), -1, dtype=np.int64)  # 0 arterial, 1 collector, 2 local

        # Arterial spine: the minimum spanning tree of the towns, each tree edge routed along
        # the shortest chain of village links.
        town_node = np.array([self._desa_at(x, y) for x, y in self.town_xy], dtype=np.int64)
        tn = len(town_node)
        pairs = [(math.dist(self.town_xy[i], self.town_xy[j]), i, j) for i in range(tn) for j in range(i + 1, tn)]
        for _, i, j in kruskal(tn, sorted(pairs)):
            for e in shortest_path_edges(adj, [int(town_node[i])], int(town_node[j])):
                road_class[e] = 0
        arterial_nodes = sorted({int(v) for e in np.flatnonzero(road_class == 0) for v in self.edges[e]}
                                | {int(t) for t in town_node})

        # Collectors: from the most populous desa of every kecamatan to the nearest arterial node.
        self.kec_centre = np.zeros(opt.n_kecamatan, dtype=np.int64)
        for k in range(opt.n_kecamatan):
            members = np.flatnonzero(self.kec == k)
            self.kec_centre[k] = members[np.argmax(self.desa_pop[members])]
        _, pred_edge = dijkstra(adj, arterial_nodes)
        for k in range(opt.n_kecamatan):
            v = int(self.kec_centre[k])
            while pred_edge[v] >= 0:
                e = int(pred_edge[v])
                if road_class[e] < 0:
                    road_class[e] = 1
                a, b = self.edges[e]
                v = int(a) if int(b) == v else int(b)

        # Local roads: a spanning tree of all village links (so the network is connected) plus a
        # random share of the remaining links.
        links = sorted((float(link_len[e]), int(a), int(b), e) for e, (a, b) in enumerate(self.edges))
        tree_edges = {e for _, _, _, e in kruskal(n, links)}
        extra = rng.uniform(0.0, 1.0, len(self.edges)) < opt.extra_local_road_fraction
        for e in range(len(self.edges)):
            if road_class[e] < 0 and (e in tree_edges or extra[e]):
                road_class[e] = 2

        used = np.flatnonzero(road_class >= 0)
        names = np.array(["arterial", "collector", "local"])
        highway = np.array(["primary", "secondary", "unclassified"])
        geoms = [shapely.LineString([xy[self.edges[e, 0]], mids[e], xy[self.edges[e, 1]]]) for e in used]
        cls = road_class[used]
        order = np.lexsort((used, cls))  # arterial first, then collectors, then local roads
        used, cls = used[order], cls[order]
        geoms = [geoms[i] for i in order]
        return gpd.GeoDataFrame({
            "road_id": [f"R{i + 1:06d}" for i in range(len(used))],
            "class": names[cls],
            "highway": highway[cls],
            "length_m": np.round(shapely.length(np.array(geoms, dtype=object)), 3),
            "from_desa": [self.desa_codes[int(self.edges[e, 0])] for e in used],
            "to_desa": [self.desa_codes[int(self.edges[e, 1])] for e in used],
            "synthetic": True,
        }, geometry=geoms, crs=f"EPSG:{opt.epsg}")

    def _desa_at(self, x: float, y: float) -> int:
        """Index of the desa holding (x, y); the nearest one if (x, y) is on no desa."""
        hit = np.flatnonzero(shapely.contains_xy(self.cells, x, y))
        if len(hit):
            return int(hit[0])
        return int(np.argmin(np.hypot(self.seed_xy[:, 0] - x, self.seed_xy[:, 1] - y)))

    # -- facilities ----------------------------------------------------------------------

    def _facilities(self) -> gpd.GeoDataFrame:
        opt, rng = self.opt, self.rng_fac
        rows: list[tuple[str, str, int, str, float, float]] = []  # type, name, capacity, unit, x, y

        # Puskesmas: one in the centre desa of every kecamatan (Permenkes 43/2019 asks for at
        # least one per kecamatan), a few hundred metres from the kantor desa, plus extra ones
        # around the towns up to about one per `people_per_puskesmas` residents.
        for k in range(opt.n_kecamatan):
            d = int(self.kec_centre[k])
            x, y = self._jitter_inside(rng, d, 150.0, 500.0)
            rows.append(("puskesmas", f"Puskesmas {self.kec_names[k]}", int(rng.integers(60, 151)),
                         "patients_per_day", x, y))
        n_extra = max(0, round(opt.population / opt.people_per_puskesmas) - opt.n_kecamatan)
        per_town = proportional_integers(self.town_weight, n_extra)
        for t in range(opt.n_towns):
            for j in range(int(per_town[t])):
                x, y = self._near_inside(rng, self.town_xy[t], self.town_sigma[t])
                rows.append(("puskesmas", f"Puskesmas {self.town_names[t]} {roman(j + 2)}",
                             int(rng.integers(80, 201)), "patients_per_day", x, y))

        # Schools are placed where people live: cells drawn with probability proportional to
        # their population, a uniform position within the cell.
        counts = np.where(self.raster > 0, self.raster, 0).astype(np.int64).ravel()
        cum = np.cumsum(counts)
        for kind, per, unit_size, label in (("sd", opt.people_per_sd, 28 * 6, "SD Negeri"),
                                            ("smp", opt.people_per_smp, 32 * 3, "SMP Negeri")):
            m = max(1, round(opt.population / per))
            draws = rng.integers(0, cum[-1], m)
            idx = np.searchsorted(cum, draws, side="right")
            r, c = np.divmod(idx, self.nx)
            x = self.x0 + (c + rng.uniform(0.0, 1.0, m)) * opt.cell_size_m
            y = self.y1 - (r + rng.uniform(0.0, 1.0, m)) * opt.cell_size_m
            cap = unit_size * rng.integers(1, 4, m) if kind == "sd" else unit_size * rng.integers(2, 7, m)
            for i in range(m):
                rows.append((kind, f"{label} {i + 1}", int(cap[i]), "pupils", float(x[i]), float(y[i])))

        # One kantor desa per desa, at the village centre.
        for d in self.desa_order:
            d = int(d)
            rows.append(("kantor_desa", f"Kantor Desa {self.desa_names[d]}", int(self.desa_pop[d]),
                         "residents", float(self.seed_xy[d, 0]), float(self.seed_xy[d, 1])))

        pts = shapely.points(np.array([[r[4], r[5]] for r in rows]))
        tree = shapely.STRtree(self.cells)
        p_idx, d_idx = tree.query(pts, predicate="intersects")
        where = np.full(len(rows), -1, dtype=np.int64)
        for pi, di in zip(p_idx[::-1], d_idx[::-1]):  # first hit wins on a shared boundary
            where[pi] = di
        missing = np.flatnonzero(where < 0)
        for p in missing:  # a point jittered just outside the outline: use the nearest desa
            where[p] = self._desa_at(rows[p][4], rows[p][5])
        prefix = {"puskesmas": "PKM", "sd": "SD", "smp": "SMP", "kantor_desa": "KD"}
        seq = dict.fromkeys(prefix, 0)
        ids = []
        for row in rows:
            seq[row[0]] += 1
            ids.append(f"{prefix[row[0]]}-{seq[row[0]]:05d}")
        return gpd.GeoDataFrame({
            "facility_id": ids,
            "type": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "capacity": np.array([r[2] for r in rows], dtype=np.int64),
            "capacity_unit": [r[3] for r in rows],
            "desa_code": [self.desa_codes[int(d)] for d in where],
            "kecamatan_code": [self.kec_codes[int(self.kec[d])] for d in where],
            "synthetic": True,
        }, geometry=pts, crs=f"EPSG:{opt.epsg}")

    def _jitter_inside(self, rng, d: int, r_min: float, r_max: float) -> tuple[float, float]:
        x0, y0 = self.seed_xy[d]
        for _ in range(50):
            a = rng.uniform(0.0, 2.0 * np.pi)
            r = rng.uniform(r_min, r_max)
            x, y = x0 + r * math.cos(a), y0 + r * math.sin(a)
            if shapely.contains_xy(self.cells[d], x, y):
                return float(x), float(y)
        return float(x0), float(y0)

    def _near_inside(self, rng, centre, sigma: float) -> tuple[float, float]:
        for _ in range(100):
            x, y = rng.normal(centre[0], sigma), rng.normal(centre[1], sigma)
            if shapely.contains_xy(self.outline, x, y):
                return float(x), float(y)
        return float(centre[0]), float(centre[1])

    # -- frames --------------------------------------------------------------------------

    def _desa_frame(self) -> gpd.GeoDataFrame:
        opt = self.opt
        order = self.desa_order
        kec = self.kec[order]
        return gpd.GeoDataFrame({
            "desa_code": [self.desa_codes[int(d)] for d in order],
            "desa_name": [self.desa_names[int(d)] for d in order],
            "kecamatan_code": [self.kec_codes[int(k)] for k in kec],
            "kecamatan_name": [self.kec_names[int(k)] for k in kec],
            "kabupaten_code": opt.kabupaten_code,
            "kabupaten_name": f"Kabupaten {opt.name.capitalize()} (SYNTHETIC)",
            "dapil": self.kec_dapil[kec].astype(np.int64),
            "population": self.desa_pop[order],
            "area_km2": np.round(shapely.area(self.cells[order]) / 1e6, 6),
            "synthetic": True,
        }, geometry=list(self.cells[order]), crs=f"EPSG:{opt.epsg}")

    def _towns_frame(self) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame({
            "name": self.town_names,
            "weight": self.town_weight,
            "sigma_m": self.town_sigma,
            "synthetic": True,
        }, geometry=shapely.points(self.town_xy), crs=f"EPSG:{self.opt.epsg}")
