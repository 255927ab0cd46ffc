"""One entry point for a road network from the files a user names: :func:`build_roads` reads
OpenStreetMap extracts (cut to a region's window and cached, :mod:`jangkau.network.osm`) and
digitised line layers (:mod:`jangkau.network.roads`) alike."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import DataFileError, InvalidInputError
from .osm import DEFAULT_MARGIN_M, cut_osm
from .roads import PathLike, RoadNetwork, read_speed_table, road_class_from_name

__all__ = ["OSM_SUFFIXES", "build_roads"]

#: File endings read as OpenStreetMap extracts.
OSM_SUFFIXES = (".pbf", ".osm")


def build_roads(specs: Iterable[str], *, class_column: str | None = None, speed_table: PathLike | None = None,
                crs: str | None = None, boundary: Any = None, margin_m: float | None = None) -> RoadNetwork:
    """A RoadNetwork from road file specifications, as the command line's ``--roads`` takes
    them: each spec is one file or several separated by commas; a file is an OSM extract
    (``.osm.pbf``/``.osm``) or a line layer whose road class comes from ``FILE:CLASS``, from
    ``class_column``, or from its file name (:func:`road_class_from_name`). OSM files and line
    layers cannot be mixed, and only one OSM file is read. With a region ``boundary`` the OSM
    file is cut to the boundary's box plus ``margin_m`` (default 10 km) by the windowed reader and
    the cut is cached (:func:`jangkau.network.osm.cut_osm`). Raises DataFileError for a missing
    file and InvalidInputError (``field="roads"`` or ``"road_class"``) for the rest."""

    files = [s.strip() for spec in specs for s in str(spec).split(",") if s.strip()]
    if not files:
        raise InvalidInputError("no road file given", field="roads")
    layers: list[tuple[str, str]] = []
    osm: list[str] = []
    classes = read_speed_table(speed_table)["class"].astype(str).tolist()
    for f in files:
        path, _, cls = f.partition(":") if ":" in f and not Path(f).exists() else (f, "", "")
        if not Path(path).exists():
            raise DataFileError(f"road file not found: {path}", file=path)
        if path.lower().endswith(OSM_SUFFIXES):
            osm.append(path)
            continue
        if not cls and not class_column:
            cls = road_class_from_name(path, classes) or ""
            if not cls:
                raise InvalidInputError("cannot tell the road class from the file name: give FILE:CLASS or "
                                        "--road-class-column", file=path, field="road_class")
        layers.append((path, cls))
    if osm and layers:
        raise InvalidInputError("give either OSM files or line layers, not both", field="roads")
    if len(osm) > 1:
        raise InvalidInputError("one OSM file at a time", field="roads")
    if osm and boundary is not None:
        margin = DEFAULT_MARGIN_M if margin_m is None else margin_m
        return cut_osm(osm[0], boundary, margin_m=margin, crs=crs, speed_table=speed_table).roads
    if osm:
        return RoadNetwork.from_osm(osm[0], crs, speed_table=speed_table)
    return RoadNetwork.from_layers(layers, class_column=class_column, crs=crs, speed_table=speed_table,
                                   grade_separated=["tol", "motorway"])
