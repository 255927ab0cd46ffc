"""Routable road networks from real files, and snapping points onto them.

A :class:`RoadNetwork` is a directed edge list in a metric CRS (UTM by default): node
coordinates, edges with length, travel time and road class, the edge geometry, a report of
the joins made while building the topology, and weakly-connected components. Build it from
an OpenStreetMap extract (:meth:`RoadNetwork.from_osm`) or from digitised line layers such
as RTRW road maps (:meth:`RoadNetwork.from_layers`); snap demand points and facilities onto
its edges with :meth:`RoadNetwork.snap`. The engine does the work (``engine/io/roads.cpp``,
``engine/core/snapping.cpp``); see ``docs/roads.md`` for the rules and the speed table.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import _core
from ..errors import GeometryError, InvalidInputError

__all__ = ["RoadNetwork", "SnapDirection", "default_speed_table_path", "read_speed_table",
           "road_class_from_name"]

SnapDirection = _core.SnapDirection

_JOIN_KINDS = ["endpoint_to_endpoint", "endpoint_to_line", "crossing", "touch", "duplicate"]
_SKIP_REASONS = ["empty geometry", "zero length", "collapsed by snapping", "missing nodes"]

log = logging.getLogger("jangkau")
_SPEED_TABLE = "road_speeds.csv"

PathLike = str | os.PathLike[str]


def default_speed_table_path() -> Path:
    """The default speed table: ``jangkau/datasets/road_speeds.csv`` in an installed package,
    else ``datasets/road_speeds.csv`` of the source checkout."""
    from ..errors import DataFileError
    from ..util import dataset_path

    path = dataset_path(_SPEED_TABLE)
    if not path.is_file():
        raise DataFileError(f"default speed table {_SPEED_TABLE} not found (looked in {path.parent})")
    return path


def read_speed_table(path: PathLike | None = None) -> pd.DataFrame:
    """The speed table as a DataFrame (class, speed_kmh, routable, basis, note);
    ``path=None`` reads the default table."""
    p = Path(path) if path is not None else default_speed_table_path()
    _core.read_speed_table(str(p))  # validates it the way the engine will
    return pd.read_csv(p, comment="#", skipinitialspace=True)


def speed_table_of(speed_table: PathLike | None) -> _core.SpeedTable:
    p = Path(speed_table) if speed_table is not None else default_speed_table_path()
    return _core.read_speed_table(str(p))


class RoadNetwork:
    """A road network as a directed edge list (read-only numpy arrays).

    Nodes and edges are numbered deterministically: the same input gives identical arrays.
    Lengths are metres in :attr:`crs`, times seconds. Two-way roads have two directed edges
    (twins, see :attr:`edge_twin`); one-way roads one.
    """

    def __init__(self, core: _core.RoadNetwork, sources: list[str]) -> None:
        self._core = core
        self._sources = list(sources)
        self._index: _core.SegmentIndex | None = None
        self._reversed: Any = None

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_osm(
        cls,
        path: PathLike,
        crs: str | None = None,
        *,
        classes: Iterable[str] | None = None,
        speed_table: PathLike | None = None,
        keep_largest: bool = False,
        honour_access: bool = True,
        progress: Callable[[str, int, int], Any] | None = None,
    ) -> RoadNetwork:
        """Build from an OpenStreetMap ``.osm.pbf``/``.osm`` file (GDAL's OSM driver).

        ``crs``: the metric output CRS (default: the UTM zone of the data). ``classes``:
        ``highway=*`` values to keep (default: every class marked routable in the speed
        table). Ways share vertices at junctions, so the topology comes from identical
        coordinates; lines are never split where they merely cross (bridges, tunnels).
        Honours ``maxspeed``, ``oneway`` and ``junction=roundabout`` (docs/roads.md). With
        ``honour_access`` (default) ways closed to motor vehicles are left out — the most
        specific of ``motorcycle``, ``motor_vehicle``, ``vehicle``, ``access`` decides, and
        ``no``/``private``/``agricultural``/``forestry`` close the way; their OSM ids are in
        :attr:`excluded_access`.
        Raises DataFileError for a missing or unreadable file, InvalidInputError when no way
        of the selected classes exists or a class is not in the speed table.
        """
        speeds = speed_table_of(speed_table)
        core = _core.road_network_from_osm(
            str(path), speeds, list(classes) if classes is not None else [], crs or "", progress, honour_access
        )
        net = cls(core, [str(path)])
        net.warn_skipped()
        return net.largest_component() if keep_largest else net

    @classmethod
    def from_layers(
        cls,
        layers: Mapping[PathLike, str] | Iterable[PathLike | tuple[PathLike, str]],
        *,
        class_column: str | None = None,
        snap_tolerance_m: float = 5.0,
        split_crossings: bool = True,
        node_tolerance_m: float = 0.001,
        grade_separated: Iterable[str] = (),
        drop_duplicates: bool = True,
        crs: str | None = None,
        assume_crs: str | None = None,
        layer: str | None = None,
        speed_table: PathLike | None = None,
        keep_largest: bool = False,
        progress: Callable[[str, int, int], Any] | None = None,
    ) -> RoadNetwork:
        """Build from digitised line layers (any OGR source), e.g. RTRW road maps.

        ``layers``: ``{path: road_class}``, or a list of paths (each feature's class then
        comes from ``class_column``) or of ``(path, road_class)`` pairs. Classes are matched
        to the speed table case-insensitively, ignoring a leading "jalan " ("JALAN ARTERI" →
        arteri). Endpoints within ``snap_tolerance_m`` of another endpoint are merged,
        remaining dangling endpoints within it of another line are moved onto that line, and
        (with ``split_crossings``) lines are split where they cross or touch, except for the
        ``grade_separated`` classes (e.g. ``["tol"]``). With ``drop_duplicates``, a piece of
        road drawn in two layers (same vertices) is kept once, in its faster class. Every
        join is listed in :attr:`join_report`. All roads are two-way. Raises DataFileError (missing file),
        CrsError (no CRS and no ``assume_crs``), GeometryError (not lines),
        UnknownColumnError (``class_column`` missing), InvalidInputError (empty layer,
        unknown class).
        """
        items: list[tuple[str, str]] = []
        if isinstance(layers, Mapping):
            items = [(str(p), str(c)) for p, c in layers.items()]
        else:
            for item in layers:
                if isinstance(item, tuple):
                    items.append((str(item[0]), str(item[1])))
                else:
                    items.append((str(item), ""))
        if not items:
            raise InvalidInputError("no road layers given")
        for path, road_class in items:
            if not road_class and not class_column:
                raise InvalidInputError(f"no road class for '{path}': give {{path: class}} or class_column",
                                        file=path, field="road_class")
        paths = [p for p, _ in items]
        road_classes = [c for _, c in items]
        columns = ["" if c else (class_column or "") for _, c in items]
        speeds = speed_table_of(speed_table)
        core = _core.road_network_from_layers(
            paths, [layer or ""] * len(paths), road_classes, columns, [assume_crs or ""] * len(paths), speeds,
            crs or "", float(snap_tolerance_m), bool(split_crossings), float(node_tolerance_m),
            list(grade_separated), bool(drop_duplicates), progress,
        )
        net = cls(core, paths)
        net.warn_skipped()
        return net.largest_component() if keep_largest else net

    # ------------------------------------------------------------------ arrays
    @property
    def crs(self) -> str:
        """The metric CRS of the coordinates and geometry, e.g. ``"EPSG:32748"``."""
        return self._core.crs

    @property
    def node_count(self) -> int:
        return self._core.node_count

    @property
    def edge_count(self) -> int:
        return self._core.edge_count

    @property
    def node_x(self) -> np.ndarray:
        return self._core.node_x

    @property
    def node_y(self) -> np.ndarray:
        return self._core.node_y

    @property
    def node_lon(self) -> np.ndarray:
        return self._core.node_lon

    @property
    def node_lat(self) -> np.ndarray:
        return self._core.node_lat

    @property
    def edge_from(self) -> np.ndarray:
        return self._core.edge_from

    @property
    def edge_to(self) -> np.ndarray:
        return self._core.edge_to

    @property
    def edge_twin(self) -> np.ndarray:
        """The opposite edge of a two-way road, -1 for one-way edges."""
        return self._core.edge_twin

    @property
    def edge_piece(self) -> np.ndarray:
        """Undirected piece of road of each edge (twins share it)."""
        return self._core.edge_piece

    @property
    def edge_length_m(self) -> np.ndarray:
        return self._core.edge_length_m

    @property
    def edge_time_s(self) -> np.ndarray:
        return self._core.edge_time_s

    @property
    def edge_speed_kmh(self) -> np.ndarray:
        return self._core.edge_speed_kmh

    @property
    def edge_class(self) -> np.ndarray:
        """Class code of each edge; names in :attr:`class_names`."""
        return self._core.edge_class

    @property
    def class_names(self) -> list[str]:
        return list(self._core.class_names)

    @property
    def edge_feature(self) -> np.ndarray:
        """Source feature id of each edge: the OSM way id, or the OGR FID of the layer feature."""
        return self._core.edge_feature

    @property
    def edge_layer(self) -> np.ndarray:
        """Index of the source file of each edge in :attr:`sources`."""
        return self._core.edge_layer

    @property
    def sources(self) -> list[str]:
        return list(self._sources)

    def edge_geometry(self) -> np.ndarray:
        """Shapely LineStrings of the edges (oriented from → to), in :attr:`crs`."""
        coords = np.column_stack([self._core.edge_geometry_x, self._core.edge_geometry_y])
        offsets = np.asarray(self._core.edge_geometry_offsets, dtype=np.int64)
        return shapely.from_ragged_array(shapely.GeometryType.LINESTRING, coords, (offsets,))

    def edges_gdf(self, crs: str | None = None) -> gpd.GeoDataFrame:
        """The edges as a GeoDataFrame (one row per directed edge), in :attr:`crs` or ``crs``."""
        names = np.asarray(self.class_names, dtype=object)
        df = gpd.GeoDataFrame(
            {
                "edge": np.arange(self.edge_count, dtype=np.int64),
                "from_node": self.edge_from,
                "to_node": self.edge_to,
                "twin": self.edge_twin,
                "length_m": self.edge_length_m,
                "speed_kmh": self.edge_speed_kmh,
                "time_s": self.edge_time_s,
                "road_class": pd.Categorical(names[self.edge_class], categories=self.class_names),
                "feature": self.edge_feature,
                "source": pd.Categorical(np.asarray(self._sources, dtype=object)[self.edge_layer]),
            },
            geometry=self.edge_geometry(),
            crs=self.crs,
        )
        return df.to_crs(crs) if crs is not None else df

    def nodes_gdf(self, crs: str | None = None) -> gpd.GeoDataFrame:
        """The nodes as points, with lon/lat and component label."""
        df = gpd.GeoDataFrame(
            {"node": np.arange(self.node_count), "lon": self.node_lon, "lat": self.node_lat,
             "component": self.component_labels},
            geometry=shapely.points(self.node_x, self.node_y),
            crs=self.crs,
        )
        return df.to_crs(crs) if crs is not None else df

    @property
    def excluded_access(self) -> np.ndarray:
        """OSM way ids left out because their access tags close them to motor vehicles
        (:meth:`from_osm` with ``honour_access``); empty for line layers."""
        return np.asarray(self._core.excluded_feature)

    @property
    def skipped(self) -> pd.DataFrame:
        """Features of the input that carry no road and are therefore not in the network,
        one row each: ``source`` (file), ``feature`` (OGR FID / OSM way id) and ``reason`` —
        ``empty geometry`` (missing or empty), ``zero length`` (no part with two distinct
        vertices) or ``collapsed by snapping`` (shorter than the snap tolerance, merged into
        a point while joining). A documented repair: such features are never dropped silently
        (a warning is logged when the network is built)."""
        c = self._core
        layer = np.asarray(c.skipped_layer, dtype=np.int64)
        src = np.asarray(self._sources, dtype=object)
        return pd.DataFrame({
            "source": src[layer] if len(layer) else np.empty(0, dtype=object),
            "feature": np.asarray(c.skipped_feature, dtype=np.int64),
            "reason": pd.Categorical.from_codes(np.asarray(c.skipped_reason, dtype=np.int8),
                                                categories=pd.Index(_SKIP_REASONS)),
        })

    def skipped_summary(self) -> str:
        """One line on :attr:`skipped`, e.g. ``"12 road features carry no road and were left
        out (12 collapsed by snapping)"``; empty when nothing was left out."""
        sk = self.skipped
        if not len(sk):
            return ""
        counts = ", ".join(f"{n} {r}" for r, n in sk["reason"].value_counts(sort=False).items() if n)
        return f"{len(sk)} road features carry no road and were left out ({counts})"

    def warn_skipped(self) -> None:
        summary = self.skipped_summary()
        if summary:
            first = self.skipped.iloc[0]
            log.warning("%s; first: feature %d of %s; see RoadNetwork.skipped", summary, int(first["feature"]),
                        first["source"])

    @property
    def join_report(self) -> pd.DataFrame:
        """One row per join made while building the topology: ``kind``
        (endpoint_to_endpoint, endpoint_to_line, crossing, touch, duplicate), location (x, y metric;
        lon, lat), ``distance_m`` moved, and the two lines involved (``line_a`` was moved,
        split or dropped as a duplicate, by ``line_b``) with their source feature id and file.
        Empty for OSM."""
        c = self._core
        line_a, line_b = np.asarray(c.join_line_a), np.asarray(c.join_line_b)
        feat, layer = np.asarray(c.line_feature), np.asarray(c.line_layer)
        src = np.asarray(self._sources, dtype=object)
        return pd.DataFrame(
            {
                "kind": pd.Categorical.from_codes(
                    np.asarray(c.join_kind, dtype=np.int8), categories=pd.Index(_JOIN_KINDS)
                ),
                "x": c.join_x,
                "y": c.join_y,
                "lon": c.join_lon,
                "lat": c.join_lat,
                "distance_m": c.join_distance_m,
                "line_a": line_a,
                "feature_a": feat[line_a],
                "source_a": src[layer[line_a]] if len(line_a) else np.empty(0, dtype=object),
                "line_b": line_b,
                "feature_b": feat[line_b],
                "source_b": src[layer[line_b]] if len(line_b) else np.empty(0, dtype=object),
            }
        )

    # ------------------------------------------------------------------ components
    @property
    def component_labels(self) -> np.ndarray:
        """Weakly connected component of each node (0 = largest)."""
        return self._core.components()[0]

    def components(self) -> pd.DataFrame:
        """Weakly connected components, largest first: ``component``, ``nodes``, ``edges``,
        ``length_km`` (each road piece counted once)."""
        labels, sizes = self._core.components()
        edge_comp = labels[self.edge_from] if self.edge_count else np.empty(0, dtype=np.int64)
        edges = np.bincount(edge_comp, minlength=len(sizes))
        first = self._piece_first()
        length = np.bincount(edge_comp[first], weights=self.edge_length_m[first], minlength=len(sizes))
        return pd.DataFrame(
            {"component": np.arange(len(sizes)), "nodes": sizes, "edges": edges, "length_km": length / 1000.0}
        )

    def largest_component(self) -> RoadNetwork:
        """The sub-network of the largest weakly connected component (renumbered)."""
        return RoadNetwork(self._core.largest_component(), self._sources)

    def subnetwork(self, keep_node: np.ndarray) -> RoadNetwork:
        """The sub-network induced by the nodes where ``keep_node`` is true (renumbered)."""
        keep = np.asarray(keep_node, dtype=bool)
        if keep.shape != (self.node_count,):
            raise InvalidInputError(f"keep_node must have {self.node_count} entries, not {keep.shape}")
        return RoadNetwork(self._core.subnetwork(keep.astype(np.uint8)), self._sources)

    def total_length_m(self) -> float:
        """Length of road, each piece counted once (not per direction)."""
        return float(self.edge_length_m[self._piece_first()].sum())

    def _piece_first(self) -> np.ndarray:
        piece = np.asarray(self.edge_piece)
        if len(piece) == 0:
            return np.zeros(0, dtype=bool)
        return np.concatenate([[True], piece[1:] != piece[:-1]])

    # ------------------------------------------------------------------ snapping
    def snap(
        self,
        points: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
        *,
        x: np.ndarray | None = None,
        y: np.ndarray | None = None,
        max_snap_m: float = 1000.0,
        walk_speed_kmh: float = 5.0,
        threads: int = 0,
    ) -> pd.DataFrame:
        """Snap points onto the nearest edge (not node).

        Give ``points`` (a GeoDataFrame/GeoSeries of points in any CRS; reprojected to
        :attr:`crs`) or ``x``/``y`` arrays in :attr:`crs`. One row per point, same order and
        index: ``edge`` (the first edge of the nearest road piece), ``fraction`` along it,
        snapped ``x``/``y``, off-road ``distance_m``, ``walk_time_s`` (at
        ``walk_speed_kmh``), ``beyond_max`` (True when farther than ``max_snap_m``: still
        reported, never dropped), ``from_node``/``to_node`` of the edge.
        """
        index = None
        if points is not None:
            geoms = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
            if geoms.crs is None:
                from ..errors import CrsError

                raise CrsError("points have no CRS")
            geoms = geoms.to_crs(self.crs)
            types = set(geoms.geom_type.dropna().unique())
            if not types <= {"Point"}:
                raise GeometryError(f"snap needs points, not {sorted(types)}")
            x = shapely.get_x(geoms.values)
            y = shapely.get_y(geoms.values)
            index = points.index
        elif x is None or y is None:
            raise InvalidInputError("give points or both x and y")
        xs = np.ascontiguousarray(x, dtype=np.float64)
        ys = np.ascontiguousarray(y, dtype=np.float64)
        if self._index is None:
            self._index = _core.SegmentIndex(self._core.edge_geometry, self._piece_first().astype(np.uint8))
        r = self._index.snap(xs, ys, float(max_snap_m), float(walk_speed_kmh), int(threads))
        edge = r["edge"]
        valid = edge >= 0
        from_node = np.full(len(edge), -1, dtype=np.int64)
        to_node = np.full(len(edge), -1, dtype=np.int64)
        from_node[valid] = self.edge_from[edge[valid]]
        to_node[valid] = self.edge_to[edge[valid]]
        return pd.DataFrame(
            {
                "edge": edge,
                "fraction": r["fraction"],
                "x": r["x"],
                "y": r["y"],
                "distance_m": r["distance_m"],
                "walk_time_s": r["walk_time_s"],
                "beyond_max": r["beyond_max"].astype(bool),
                "from_node": from_node,
                "to_node": to_node,
            },
            index=index,
        )

    def snap_entries(
        self, snapped: pd.DataFrame, direction: SnapDirection | str = "from_point"
    ) -> pd.DataFrame:
        """Start entries of snapped points for a multi-source Dijkstra: rows (``point``
        position in ``snapped``, ``node``, ``offset_s``). For a point at fraction t on edge
        u→v: as an origin (``"from_point"``) (v, walk + (1−t)·time) and, on two-way roads,
        (u, walk + t·time of the twin); as a destination (``"to_point"``) (u, t·time + walk)
        and (v, (1−t)·time of the twin + walk). Points flagged beyond_max get no rows."""
        if isinstance(direction, str):
            lookup = {"from_point": SnapDirection.FromPoint, "to_point": SnapDirection.ToPoint}
            if direction not in lookup:
                raise InvalidInputError(f"direction must be one of {sorted(lookup)}, not {direction!r}",
                                        field="direction")
            direction = lookup[direction]
        point, node, offset = _core.snap_entries(
            np.ascontiguousarray(snapped["edge"], dtype=np.int64),
            np.ascontiguousarray(snapped["fraction"], dtype=np.float64),
            np.ascontiguousarray(snapped["walk_time_s"], dtype=np.float64),
            np.ascontiguousarray(snapped["beyond_max"], dtype=np.uint8),
            self.edge_from, self.edge_to, self.edge_time_s, self.edge_twin, direction,
        )
        return pd.DataFrame({"point": point, "node": node, "offset_s": offset})

    # ------------------------------------------------------------------ graph
    def to_graph(self):
        """The network as a :class:`jangkau.network.Network` (weight sets ``time_s``, the
        default, and ``length_m``); node and edge ids are the same as here, so
        :meth:`snap_entries` rows are its seeds (``node`` → sources, ``offset_s`` → offsets,
        ``point`` → groups). The engine builds this graph once with the network."""
        from .graph import Network

        return Network(self._core.graph, ("time_s", "length_m"))

    def reversed_graph(self):
        """:meth:`to_graph` with every edge reversed, for costs *to* a node (e.g. from every
        node to the nearest facility in one search from the facilities); built once with the
        network, same weight sets and edge ids."""
        if self._reversed is None:
            from .graph import Network

            self._reversed = Network(self._core.reversed_graph, ("time_s", "length_m"))
        return self._reversed

    def __repr__(self) -> str:
        return f"RoadNetwork({self.node_count} nodes, {self.edge_count} edges, crs={self.crs!r})"


def road_class_from_name(path: PathLike, classes: Iterable[str]) -> str | None:
    """The speed-table class named in a file name (``..._JALAN_ARTERI_LN`` → ``arteri``): the last
    file-name token that is a class; None when no token is."""
    known = {c.lower() for c in classes}
    tokens = [t.lower() for t in Path(path).name.split(".")[0].replace("-", "_").split("_") if t]
    hits = [t for t in tokens if t in known]
    return hits[-1] if hits else None
