"""A region's roads and facilities cut out of a large OpenStreetMap extract, with a cache.

:func:`cut_osm` reads only what a region needs from an extract such as Geofabrik's Java file:
the box around the region's boundary grown by a margin (default 10 km, so trips that leave the
regency and come back are kept), every road way with a node in that box kept whole. The
engine's reader (``engine/io/osm_reader.cpp``, libosmium) streams the file twice with a compact
node index; see ``docs/roads.md`` for the passes, the memory bound and why libosmium and not
GDAL's OSM driver.

The first cut of a region writes the road network and the OSM facility candidates to the cache
(``<cache>/osm_cuts/<key>/``), keyed by the extract's sha256, the window and the reading
options; later cuts load it in well under a second. Every cut's ``manifest.json`` records which
extract (path, size, sha256) it came from. A changed extract has another sha256 and so another
key: the old cut is never used for it.

:func:`osm_facilities` maps the facility candidates onto the facility catalogue
(``datasets/facility_types.csv``) by OSM tags and Indonesian naming conventions ("Puskesmas",
"Pustu", "SD Negeri", "SMPN", ...): one point per feature, inside the area for ways and
multipolygon relations, each with its OSM id (``n123``, ``w123``, ``r123``). Facility
multipolygons the reader cannot assemble (a member way or node missing from the extract, rings
that do not close) are named in ``OsmCut.broken_relations`` and in the manifest, and logged.
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import itertools
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import _core
from ..errors import DataFileError, InvalidInputError
from ..util import atomic_output, atomic_write_text, sha256_file
from .roads import RoadNetwork, default_speed_table_path, speed_table_of

__all__ = ["DEFAULT_MARGIN_M", "OsmCut", "cut_osm", "cuts_dir", "extract_sha256", "osm_facilities",
           "osm_facility_layer", "osm_window", "read_osm_window"]

log = logging.getLogger("jangkau")

#: Default margin around the region's boundary, metres.
DEFAULT_MARGIN_M = 10_000.0
#: Version of the cached cut's layout; a new version never reads an old cut.
#: 2: facility multipolygon relations are read (and broken ones listed in the manifest).
#: 3: the facility points in facilities.json (was GeoParquet).
CUT_FORMAT = 3

PathLike = str | os.PathLike[str]
Window = tuple[float, float, float, float]


def cuts_dir() -> Path:
    """Where cuts are cached: ``$JANGKAU_CACHE/osm_cuts`` if set, else
    ``$XDG_CACHE_HOME/jangkau/osm_cuts`` (``~/.cache/jangkau/osm_cuts``), beside the
    downloaded data of ``jangkau data fetch``."""
    env = os.environ.get("JANGKAU_CACHE")
    if env:
        return Path(env).expanduser() / "osm_cuts"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "jangkau" / "osm_cuts"


# --------------------------------------------------------------------------------------------
# window


def osm_window(boundary: Any, margin_m: float = DEFAULT_MARGIN_M) -> Window:
    """The lon/lat window of a region: the bounding box of ``boundary`` grown by ``margin_m``
    metres in the UTM zone of its centre, as (min_lon, min_lat, max_lon, max_lat), rounded
    outwards to 1e-7° (OSM's precision) so that the same boundary always gives the same window.

    ``boundary``: a GeoDataFrame/GeoSeries with a CRS, a shapely geometry in lon/lat, or a
    (min_lon, min_lat, max_lon, max_lat) tuple. Raises InvalidInputError for a negative margin or
    an empty boundary, CrsError for a layer without a CRS.
    """
    from ..errors import CrsError

    if not np.isfinite(margin_m) or margin_m < 0:
        raise InvalidInputError(f"margin must be a non-negative number of metres, not {margin_m}", field="margin_m")
    if isinstance(boundary, (gpd.GeoDataFrame, gpd.GeoSeries)):
        if boundary.crs is None:
            raise CrsError("the boundary has no CRS")
        geoms = np.asarray(boundary.geometry if isinstance(boundary, gpd.GeoDataFrame) else boundary)
        src = boundary.crs
    elif isinstance(boundary, shapely.Geometry):
        geoms, src = np.asarray([boundary]), None
    else:
        b = [float(v) for v in boundary]
        if len(b) != 4:
            raise InvalidInputError("a window is (min_lon, min_lat, max_lon, max_lat)", field="window")
        geoms, src = np.asarray([shapely.box(b[0], b[1], b[2], b[3])]), None
    # Every vertex, transformed as arrays (no GeoSeries.to_crs: the cached cut must start fast).
    xy = shapely.get_coordinates(geoms[~shapely.is_missing(geoms)])
    if src is not None and len(xy) and not _is_wgs84(src):
        xy = np.column_stack(_transformer(src, "EPSG:4326").transform(xy[:, 0], xy[:, 1]))
    xy = xy[np.isfinite(xy).all(axis=1)]
    if len(xy) == 0:
        raise InvalidInputError("the boundary is empty", field="boundary")
    lon0, lat0 = xy.min(axis=0)
    lon1, lat1 = xy.max(axis=0)
    utm = _core.utm_crs_for(0.5 * (lon0 + lon1), 0.5 * (lat0 + lat1))
    ux, uy = _transformer("EPSG:4326", utm).transform(xy[:, 0], xy[:, 1])
    x0, y0, x1, y1 = float(np.min(ux)), float(np.min(uy)), float(np.max(ux)), float(np.max(uy))
    grown = shapely.segmentize(shapely.box(x0 - margin_m, y0 - margin_m, x1 + margin_m, y1 + margin_m),
                               max(1.0, (x1 - x0 + y1 - y0) / 200.0))
    gx, gy = _transformer(utm, "EPSG:4326").transform(*shapely.get_coordinates(grown).T)
    w = (np.min(gx), np.min(gy), np.max(gx), np.max(gy))
    q = 1e7
    return (float(np.floor(w[0] * q) / q), float(np.floor(w[1] * q) / q),
            float(np.ceil(w[2] * q) / q), float(np.ceil(w[3] * q) / q))


@functools.lru_cache(maxsize=16)
def _transformer(src: Any, dst: str) -> Any:
    """A lon/lat-ordered pyproj Transformer (made once per pair: building one costs ~0.1 s)."""
    from pyproj import Transformer

    return Transformer.from_crs(src, dst, always_xy=True)


def _is_wgs84(crs: Any) -> bool:
    from pyproj import CRS

    return bool(CRS.from_user_input(crs).equals("EPSG:4326", ignore_axis_order=True))


# --------------------------------------------------------------------------------------------
# reading


@dataclass
class OsmCut:
    """The roads and facility candidates of one window of an OSM extract."""

    #: The road network (ways with a node in the window, whole).
    roads: RoadNetwork
    #: Facility candidates mapped onto the catalogue (:func:`osm_facilities`).
    facilities: gpd.GeoDataFrame
    #: The lon/lat window read.
    window: Window | None
    #: What the reader did (nodes, ways, passes' seconds...); empty for a cached cut.
    stats: dict = field(default_factory=dict)
    #: The cut's manifest (extract, sha256, window, options), None when not cached.
    manifest: dict | None = None
    #: True when the cut came from the cache.
    cached: bool = False
    #: Facility multipolygon relations inside the window that could not be assembled:
    #: (relation id, reason) pairs, e.g. (123, "member way 45 is not in the file").
    broken_relations: list[tuple[int, str]] = field(default_factory=list)


def read_osm_window(
    path: PathLike,
    window: Window | None = None,
    *,
    crs: str | None = None,
    classes: Iterable[str] | None = None,
    speed_table: PathLike | None = None,
    honour_access: bool = True,
    threads: int = 0,
    progress: Callable[[str, int, int], Any] | None = None,
    halo_deg: float = 0.1,
) -> OsmCut:
    """Read the roads and facility candidates of ``window`` (lon/lat; None = the whole file)
    out of an OSM file with the engine's streaming reader, without any cache. ``crs``: the
    metric output CRS (default: the UTM zone of the window's centre). Other arguments as
    :meth:`RoadNetwork.from_osm`. ``halo_deg``: the ring around the window whose node locations
    the first pass keeps too (the second pass runs only for nodes beyond it); it changes the
    work, never the result. Raises DataFileError (missing/corrupt file),
    InvalidInputError (no road of the classes in the window, unsorted file, bad window)."""
    speeds = speed_table_of(speed_table)
    core, feats, stats = _core.read_osm_window(
        str(path), speeds, list(classes) if classes is not None else [], crs or "", bool(honour_access),
        None if window is None else [float(v) for v in window], int(threads), True, progress, float(halo_deg))
    net = RoadNetwork(core, [str(path)])
    net.warn_skipped()
    broken = _broken_relations(feats, path)
    stats = dict(stats)
    stats["broken_relations"] = [list(b) for b in broken]
    return OsmCut(roads=net, facilities=osm_facilities(feats), window=window, stats=stats, broken_relations=broken)


def _broken_relations(feats: dict, path: PathLike) -> list[tuple[int, str]]:
    """The reader's broken facility multipolygons as (id, reason) pairs, logged as a warning."""
    ids = np.asarray(feats.get("broken_relation", np.zeros(0, np.int64)), dtype=np.int64)
    broken = [(int(i), str(r)) for i, r in zip(ids.tolist(), feats.get("broken_reason", []), strict=True)]
    if broken:
        shown = "; ".join(f"r{i}: {r}" for i, r in broken[:10])
        more = f" (and {len(broken) - 10} more)" if len(broken) > 10 else ""
        log.warning("%d facility multipolygon relation(s) of %s could not be assembled and were left out: %s%s",
                    len(broken), path, shown, more)
    return broken


# --------------------------------------------------------------------------------------------
# the cache


def _memo_path() -> Path:
    return cuts_dir() / "sha256_memo.json"


def extract_sha256(path: PathLike) -> str:
    """The sha256 of an extract, hashed once per version of the file: the result is remembered
    (in ``osm_cuts/sha256_memo.json``) with the file's size and modification time, and hashed
    again whenever either changes."""
    p = Path(path).resolve()
    try:
        st = p.stat()
    except FileNotFoundError:
        raise DataFileError(f"OSM extract not found: {path}", file=str(path)) from None
    memo_file = _memo_path()
    memo: dict[str, Any] = {}
    if memo_file.is_file():
        try:
            memo = json.loads(memo_file.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            log.warning("%s is damaged; hashing extracts again", memo_file)
            memo = {}
    rec = memo.get(str(p))
    if rec and rec.get("bytes") == st.st_size and rec.get("mtime_ns") == st.st_mtime_ns:
        return str(rec["sha256"])
    sha = sha256_file(p)
    memo[str(p)] = {"bytes": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha}
    memo_file.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(memo_file, json.dumps(memo, indent=1, sort_keys=True) + "\n")
    return sha


def _cut_key(extract_sha: str, window: Window | None, options: dict) -> str:
    doc = {"format": CUT_FORMAT, "extract_sha256": extract_sha,
           "window": None if window is None else [round(v, 7) for v in window], **options}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:32]


def cut_osm(
    path: PathLike,
    boundary: Any = None,
    *,
    margin_m: float = DEFAULT_MARGIN_M,
    window: Window | None = None,
    crs: str | None = None,
    classes: Iterable[str] | None = None,
    speed_table: PathLike | None = None,
    honour_access: bool = True,
    threads: int = 0,
    cache: bool = True,
    progress: Callable[[str, int, int], Any] | None = None,
) -> OsmCut:
    """The roads and OSM facilities of a region, cut out of an extract and cached.

    Give the region's ``boundary`` (its window is :func:`osm_window` with ``margin_m``) or a
    lon/lat ``window``. The first call reads the extract (:func:`read_osm_window`) and, with
    ``cache``, writes the cut to :func:`cuts_dir` under a key made of the extract's sha256,
    the window and the options; the next call with the same extract and options loads it.
    Raises as :func:`read_osm_window`, and InvalidInputError when neither or both of
    ``boundary`` and ``window`` are given.
    """
    if (boundary is None) == (window is None):
        raise InvalidInputError("give either a boundary or a window", field="boundary")
    win = osm_window(boundary, margin_m) if boundary is not None else tuple(float(v) for v in window)  # type: ignore[union-attr]
    if len(win) != 4:
        raise InvalidInputError("a window is (min_lon, min_lat, max_lon, max_lat)", field="window")
    win = (win[0], win[1], win[2], win[3])
    table = Path(speed_table) if speed_table is not None else default_speed_table_path()
    options = {"crs": crs or "", "classes": sorted(classes) if classes is not None else None,
               "honour_access": bool(honour_access), "speed_table_sha256": sha256_file(table)}
    if not cache:
        return read_osm_window(path, win, crs=crs, classes=classes, speed_table=table, honour_access=honour_access,
                               threads=threads, progress=progress)
    sha = extract_sha256(path)
    key = _cut_key(sha, win, options)
    folder = cuts_dir() / key
    loaded = _load_cut(folder, path, sha)
    if loaded is not None:
        return loaded
    t0 = time.perf_counter()
    cut = read_osm_window(path, win, crs=crs, classes=classes, speed_table=table, honour_access=honour_access,
                          threads=threads, progress=progress)
    stat = Path(path).stat()
    manifest = {
        "format": CUT_FORMAT,
        "extract": {"path": str(Path(path).resolve()), "bytes": stat.st_size, "sha256": sha},
        "window": list(win),
        "margin_m": float(margin_m) if boundary is not None else None,
        **options,
        "network_crs": cut.roads.crs,
        "nodes": cut.roads.node_count,
        "edges": cut.roads.edge_count,
        "facility_candidates": len(cut.facilities),
        "reader": dict(cut.stats),
        "seconds": round(time.perf_counter() - t0, 3),
        "created_utc": _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat(),
    }
    _write_cut(folder, cut, manifest)
    cut.manifest = manifest
    return cut


def _write_cut(folder: Path, cut: OsmCut, manifest: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {k: np.asarray(v) for k, v in _core.road_network_arrays(cut.roads._core).items()}
    with atomic_output(folder / "roads.npz", "wb") as f:
        np.savez(f, **arrays)  # type: ignore[arg-type]
    atomic_write_text(folder / "facilities.json", _facilities_json(cut.facilities))
    extra = {"class_names": cut.roads.class_names, "crs": cut.roads.crs}
    atomic_write_text(folder / "network.json", json.dumps(extra, indent=1) + "\n")
    # The manifest last: a folder without it is an unfinished cut and is written again.
    atomic_write_text(folder / "manifest.json", json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def _facilities_json(fac: gpd.GeoDataFrame) -> str:
    """The facility points of a cut as JSON: the columns and the points' lon/lat (exact: floats
    round-trip through JSON). Loading it needs neither pyarrow nor a CRS parse per column, which
    keeps a cached cut well under a second."""
    cols = {c: [None if pd.isna(v) else v for v in fac[c]] for c in fac.columns if c != fac.geometry.name}
    return json.dumps({"columns": cols, "lon": fac.geometry.x.tolist(), "lat": fac.geometry.y.tolist()}) + "\n"


def _facilities_from_json(text: str) -> gpd.GeoDataFrame:
    doc = json.loads(text)
    df = pd.DataFrame(doc["columns"])
    points = shapely.points(np.asarray(doc["lon"], dtype=np.float64), np.asarray(doc["lat"], dtype=np.float64))
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(points, crs="EPSG:4326"), crs="EPSG:4326")


def _load_cut(folder: Path, path: PathLike, sha: str) -> OsmCut | None:
    mf = folder / "manifest.json"
    if not mf.is_file():
        return None
    try:
        manifest = json.loads(mf.read_text(encoding="utf-8"))
        if manifest.get("format") != CUT_FORMAT or manifest["extract"]["sha256"] != sha:
            return None
        extra = json.loads((folder / "network.json").read_text(encoding="utf-8"))
        with np.load(folder / "roads.npz") as z:
            arrays = {k: z[k] for k in z.files}
        core = _core.road_network_from_arrays(arrays, extra["crs"], list(extra["class_names"]))
        fac = _facilities_from_json((folder / "facilities.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, json.JSONDecodeError) as exc:
        log.warning("cached OSM cut %s cannot be read (%s); cutting again", folder, exc)
        return None
    net = RoadNetwork(core, [str(path)])
    broken = [(int(i), str(r)) for i, r in manifest.get("reader", {}).get("broken_relations", [])]
    return OsmCut(roads=net, facilities=fac, window=tuple(manifest["window"]), stats={}, manifest=manifest,
                  cached=True, broken_relations=broken)


# --------------------------------------------------------------------------------------------
# facilities

_OSM_TYPES = {"n": "node", "w": "way", "r": "relation"}
_TAG_COLUMNS = ["amenity", "healthcare", "education", "building", "name", "operator:type", "isced:level",
                "school:type"]

# Name rules, first match wins: (regex on the lower-cased name, catalogue type). Indonesian
# conventions: "Puskesmas Pembantu"/"Pustu" before "Puskesmas"; SD Negeri = SDN, SMP Negeri =
# SMPN; madrasah ibtidaiyah/tsanawiyah/aliyah (MI/MTs/MA) are the religious equivalents of
# SD/SMP/SMA; RSUD/RSIA/RS are hospitals; PAUD/TK/RA are kindergartens.
_NAME_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(puskesmas pembantu|pustu|puskesmas keliling)\b"), "pustu"),
    (re.compile(r"^(upt )?puskesmas\b"), "puskesmas"),
    (re.compile(r"^posyandu\b"), "posyandu"),
    (re.compile(r"^(rumah sakit|rsud|rsia|rsu|rs)\b"), "rumah_sakit"),
    (re.compile(r"^klinik\b"), "klinik"),
    (re.compile(r"^(sd|sdn|sd negeri|sdit|sds|mi|min|mis|madrasah ibtidaiyah)\b"), "sd"),
    (re.compile(r"^(smp|smpn|smp negeri|smpit|mts|mtsn|mtss|madrasah tsanawiyah)\b"), "smp"),
    (re.compile(r"^(sma|sman|sma negeri|smk|smkn|smk negeri|ma|man|mas|madrasah aliyah)\b"), "sma"),
    (re.compile(r"^(tk|paud|ra|kb|taman kanak)\b"), "tk"),
    (re.compile(r"^(kantor desa|balai desa|kantor kelurahan|kantor kepala desa)\b"), "kantor_desa"),
    (re.compile(r"^(kantor camat|kantor kecamatan)\b"), "kantor_kecamatan"),
    (re.compile(r"^(pasar)\b"), "pasar"),
]


def _tag_type(tags: dict[str, str]) -> tuple[str | None, str]:
    amenity, health = tags.get("amenity", ""), tags.get("healthcare", "")
    if amenity == "hospital" or health == "hospital":
        return "rumah_sakit", "tag hospital"
    if amenity == "clinic" or health in ("clinic", "centre"):
        return "klinik", f"tag {'amenity' if amenity == 'clinic' else 'healthcare'}={amenity or health}"
    if amenity == "school":
        level = tags.get("isced:level", "").split(";")[0].strip()
        kind = {"1": "sd", "2": "smp", "3": "sma"}.get(level)
        if kind:
            return kind, f"tag amenity=school, isced:level={level}"
        return None, "tag amenity=school without level"
    if amenity == "kindergarten":
        return "tk", "tag amenity=kindergarten"
    if amenity == "marketplace":
        return "pasar", "tag amenity=marketplace"
    if amenity == "townhall":
        return "kantor_pemerintahan", "tag amenity=townhall"
    return None, ""


def _classify(tags: dict[str, str], known: set[str]) -> tuple[str | None, str]:
    name = " ".join(tags.get("name", "").lower().replace(".", " ").split())
    for pattern, kind in _NAME_RULES:
        if name and pattern.match(name) and kind in known:
            return kind, f"name '{pattern.pattern}'"
    tag_kind, why = _tag_type(tags)
    return (tag_kind, why) if tag_kind in known else (None, why)


def _multipolygon(coords: np.ndarray, ring_starts: np.ndarray) -> shapely.Geometry:
    """The area of a multipolygon relation from its assembled rings (closed coordinate runs
    starting at ``ring_starts``): the even-odd union of the rings (a point is inside when an odd
    number of rings surround it), so that holes need no role and a ring inside a hole is an
    island again. Each ring is made valid first (a self-touching ring is split, not dropped)."""
    bounds = [*ring_starts.tolist(), len(coords)]
    area: shapely.Geometry = shapely.Polygon()
    for a, b in itertools.pairwise(bounds):
        ring = shapely.make_valid(shapely.Polygon(coords[a:b]))
        area = shapely.symmetric_difference(area, ring)
    return area


def osm_facilities(features: dict) -> gpd.GeoDataFrame:
    """Facility candidates (the reader's dict) as points mapped onto the facility catalogue.

    One row per OSM node, way or multipolygon relation, in file order: ``osm_id``
    (``n123``/``w456``/``r789``), ``osm_type``, the tags read (``name``, ``amenity``, ...),
    ``facility_type`` (a catalogue type, None when no rule applies), ``match`` (the rule that
    decided) and a point in EPSG:4326: the node itself; for a closed way a point inside its area
    (shapely ``point_on_surface``, never a centroid that can fall outside); for a relation a
    point inside the even-odd union of its rings (outside its holes); for an open way the middle
    of the line. Name rules (Indonesian conventions) come before tag rules.
    """
    from ..data.facilities import FacilityCatalogue

    known = {t.type for t in FacilityCatalogue.default()}
    types = str(features["osm_type"])
    ids = np.asarray(features["osm_id"], dtype=np.int64)
    lon, lat = np.asarray(features["lon"]), np.asarray(features["lat"])
    off = np.asarray(features["offsets"], dtype=np.int64)
    rings = np.asarray(features.get("ring_offsets", off), dtype=np.int64)
    tags = {k: list(v) for k, v in dict(features["tags"]).items()}
    points = []
    for i in range(len(ids)):
        a, b = int(off[i]), int(off[i + 1])
        if types[i] == "r":
            starts = rings[np.searchsorted(rings, a):np.searchsorted(rings, b)] - a
            points.append(shapely.point_on_surface(_multipolygon(np.column_stack([lon[a:b], lat[a:b]]), starts)))
            continue
        if types[i] == "n" or b - a == 1:
            points.append(shapely.Point(lon[a], lat[a]))
            continue
        coords = np.column_stack([lon[a:b], lat[a:b]])
        if b - a >= 4 and coords[0, 0] == coords[-1, 0] and coords[0, 1] == coords[-1, 1]:
            poly = shapely.make_valid(shapely.Polygon(coords))
            points.append(shapely.point_on_surface(poly))
        else:
            line = shapely.LineString(coords)
            points.append(line.interpolate(0.5, normalized=True))
    rows = []
    for i in range(len(ids)):
        t = {k: tags[k][i] for k in tags if tags[k][i]}
        kind, why = _classify(t, known)
        rows.append((kind, why))
    df = pd.DataFrame({
        "osm_id": [f"{types[i]}{ids[i]}" for i in range(len(ids))],
        "osm_type": [_OSM_TYPES[types[i]] for i in range(len(ids))],
    })
    for k in _TAG_COLUMNS:
        if k in tags:
            df[k] = [v or None for v in tags[k]]
    df["facility_type"] = [r[0] for r in rows]
    df["match"] = [r[1] for r in rows]
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(points, crs="EPSG:4326") if points else
                            gpd.GeoSeries([], crs="EPSG:4326"), crs="EPSG:4326")


def osm_facility_layer(path: PathLike, boundary: Any, folder: PathLike, *, margin_m: float = DEFAULT_MARGIN_M,
                       crs: str | None = None) -> Path:
    """The typed OSM facilities of a region (:func:`cut_osm`, cached) written as a GeoJSON point
    layer ``folder/osm_facilities.geojson`` with ``facility_type``, ``name`` and ``osm_id``
    columns, for :func:`jangkau.data.facilities.read_facilities` (``type_column=
    "facility_type"``); candidates no rule types are left out. Give the ``crs`` of the road cut to
    share its cache entry. Returns the file's path."""
    from ..data.io import write

    cut = cut_osm(path, boundary, margin_m=margin_m, crs=crs)
    fac = cut.facilities
    fac = fac[fac["facility_type"].notna()]
    cols = [c for c in ("osm_id", "facility_type", "name", "amenity", "healthcare", "match") if c in fac.columns]
    out = Path(folder) / "osm_facilities.geojson"
    write(gpd.GeoDataFrame(fac[cols], geometry=fac.geometry.values, crs="EPSG:4326"), out)
    return out
