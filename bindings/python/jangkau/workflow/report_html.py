"""The interactive, self-contained ``report.html`` of a run, and ``explore()`` maps for Jupyter.

One HTML file that works offline: Leaflet (JavaScript and CSS, from Debian's ``libjs-leaflet``
or the folder named by ``JANGKAU_LEAFLET_DIR``) and the map data are inlined; nothing is
loaded from the network. The map shows every GeoJSON layer of the run's output folder,
drawn generically by its role (known from the file name: ``zones_<level>``, ``facilities``,
``gaps_*``, ``isochrones_*``, ``pilots``, ``sites``...) or else by its geometry type, so a
layer a new step writes appears without code of its own. Zones are coloured by any
indicator (a picker), with a legend computed from the values shown; every table is sortable
and a click on a row zooms the map to its zone.

Geometry is simplified for display only (GEOS coverage simplification in the metric working
CRS, :data:`DISPLAY_TOLERANCE_M`; coordinates rounded to 1e-5 degrees): the files of the run
keep the full geometry and every number was computed on it. Output is deterministic: the
same run gives the same bytes.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import math
import os
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..data.crs import metric_crs_for

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd


__all__ = ["DISPLAY_TOLERANCE_M", "MapLayer", "MapView", "explore", "leaflet_assets", "layers_from_folder",
           "map_data"]

log = logging.getLogger("jangkau")

#: Douglas–Peucker-like tolerance (metres, in the working CRS) of the display geometry.
DISPLAY_TOLERANCE_M = 20.0
#: Decimal places of displayed lon/lat (1e-5° ≈ 1.1 m).
COORD_DECIMALS = 5
#: Significant digits of the numbers shown on the map (tables keep theirs).
VALUE_DIGITS = 6

#: Debian's libjs-leaflet; ``JANGKAU_LEAFLET_DIR`` overrides.
LEAFLET_DIRS = (Path("/usr/share/javascript/leaflet"),)

_LEVELS = ("desa", "kecamatan", "dapil", "kabupaten")


# ------------------------------------------------------------------------------------------ assets

def leaflet_assets() -> tuple[str, str] | None:
    """Leaflet's JavaScript and CSS (its images inlined as data URIs), or None when no copy
    is installed (``apt install libjs-leaflet``, or set ``JANGKAU_LEAFLET_DIR``)."""
    dirs = [Path(os.environ["JANGKAU_LEAFLET_DIR"])] if os.environ.get("JANGKAU_LEAFLET_DIR") else []
    for d in [*dirs, *LEAFLET_DIRS]:
        js, css = d / "leaflet.min.js", d / "leaflet.css"
        if not js.is_file():
            js = d / "leaflet.js"
        if js.is_file() and css.is_file():
            script = re.sub(r"//# sourceMappingURL=\S+\s*$", "", js.read_text(encoding="utf-8"))
            style = re.sub(r"/\*# sourceMappingURL=\S+\s*\*/\s*$", "", css.read_text(encoding="utf-8"))

            def inline(m: re.Match[str], base: Path = d) -> str:
                img = base / m.group(1)
                if not img.is_file():
                    return "none"
                return "url(data:image/png;base64," + base64.b64encode(img.read_bytes()).decode("ascii") + ")"

            style = re.sub(r"url\((images/[^)]+\.png)\)", inline, style)
            return script, style
    return None


def template_text(name: str) -> str:
    return resources.files("jangkau.workflow").joinpath("templates", name).read_text(encoding="utf-8")


# ------------------------------------------------------------------------------------------ layers

@dataclass
class MapLayer:
    """One layer of the map: a GeoDataFrame (any CRS), its ``id`` (file stem), a ``title``,
    its ``role`` (``zones``, ``boundary``, ``facilities``, ``gaps``, ``isochrones``,
    ``pilots``, ``sites``, ``stages``, ``points``, ``lines``, ``areas``), the zone ``level``
    for zones, and whether it shows when the map opens."""

    id: str
    title: str
    role: str
    frame: gpd.GeoDataFrame = field(repr=False)
    level: str | None = None
    visible: bool = False


_ROLE_PREFIXES = (("zones_", "zones"), ("facilities", "facilities"), ("gaps_", "gaps"), ("isochrones", "isochrones"),
                  ("pilots", "pilots"), ("sites", "sites"), ("stage", "stages"))
#: Columns that colour a layer by category, first one present wins.
CATEGORY_COLUMNS = ("stage", "facility_type", "band_min", "issue", "kind", "status", "dapil", "type")


def _kind(frame) -> str:
    import shapely

    ids = set(shapely.get_type_id(np.asarray(frame.geometry.values, dtype=object)).tolist()) - {-1}
    if ids and ids <= {0, 4}:
        return "point"
    if ids and ids <= {1, 5}:
        return "line"
    return "polygon"


def classify(name: str, frame) -> MapLayer:
    """A :class:`MapLayer` for the layer ``name`` (a file stem): its role from the name where
    known, else from the geometry type."""
    role = next((r for p, r in _ROLE_PREFIXES if name.startswith(p)), "")
    kind = _kind(frame)
    level = None
    if role == "zones":
        level = name[len("zones_"):]
        if level == "kabupaten" or len(frame) <= 1:
            role = "boundary"
    if not role:
        role = {"point": "points", "line": "lines", "polygon": "areas"}[kind]
    titles = {"zones": (level or "").capitalize(), "boundary": "Boundary", "facilities": "Facilities",
              "pilots": "Pilot kecamatan", "sites": "New sites (site selection)"}
    title = titles.get(role) or name.replace("_", " ").capitalize()
    if role == "gaps":
        m = re.match(r"gaps_(.+?)_(\d+)m$", name)
        title = f"Gap: beyond {m.group(2)} m of {m.group(1)}" if m else title
    if role == "isochrones":
        title = "Isochrones " + name[len("isochrones_"):].replace("_", " ")
    visible = role in ("boundary", "facilities", "pilots", "sites", "stages", "lines") or \
        (role == "zones" and level == "kecamatan")
    return MapLayer(id=name, title=title, role=role, frame=frame, level=level, visible=visible)


def layers_from_folder(folder: str | os.PathLike[str]) -> list[MapLayer]:
    """Every GeoJSON layer of a run's output folder, in file-name order, classified."""
    from ..data.io import read_vector

    out = []
    for p in sorted(Path(folder).glob("*.geojson")):
        frame = read_vector(p)
        if len(frame) == 0:
            continue
        out.append(classify(p.stem, frame))
    return out


# ------------------------------------------------------------------------------------------ data

def _round_value(v: Any) -> Any:
    if v is None or v is pd.NA:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if not math.isfinite(f):
            return None
        return float(f"{f:.{VALUE_DIGITS}g}")
    return str(v)


def _display_geometry(layer: MapLayer, working_crs: str | None) -> np.ndarray:
    """Simplified WGS84 geometry for display (never for computation)."""
    import shapely

    frame = layer.frame
    if frame.crs is None:
        raise ValueError(f"layer '{layer.id}' has no CRS")
    geoms = frame.geometry
    kind = _kind(frame)
    if kind != "point":
        metric = working_crs or metric_crs_for(frame).to_string()
        g = geoms.to_crs(metric).values
        arr = np.asarray(g, dtype=object)
        valid = ~shapely.is_missing(arr) & ~shapely.is_empty(arr)
        out = arr.copy()
        if layer.role in ("zones", "boundary", "pilots") and kind == "polygon" and valid.all():
            # Zones tile the region: simplify their shared edges once, so neighbours still meet.
            out = shapely.coverage_simplify(arr, DISPLAY_TOLERANCE_M)
        elif valid.any():
            out[valid] = shapely.simplify(arr[valid], DISPLAY_TOLERANCE_M, preserve_topology=True)
        import geopandas as gpd

        return np.asarray(gpd.GeoSeries(out, crs=metric).to_crs("EPSG:4326").values, dtype=object)
    return np.asarray(geoms.to_crs("EPSG:4326").values, dtype=object)


def _label_points(layer: MapLayer, working_crs: str | None) -> list[list[float]] | None:
    """Label anchors (lat, lon; a point inside each zone) of kecamatan and dapil zones."""
    if layer.role != "zones" or layer.level not in ("kecamatan", "dapil"):
        return None
    import geopandas as gpd

    metric = working_crs or metric_crs_for(layer.frame).to_string()
    import shapely

    pts = gpd.GeoSeries(layer.frame.geometry.to_crs(metric).representative_point(), crs=metric).to_crs("EPSG:4326")
    xs, ys = shapely.get_x(pts.values), shapely.get_y(pts.values)
    return [[round(float(y), COORD_DECIMALS), round(float(x), COORD_DECIMALS)] for x, y in zip(xs, ys, strict=True)]


def _category_column(layer: MapLayer) -> str | None:
    cols = layer.frame.columns
    if layer.role in ("zones", "boundary", "pilots", "sites", "gaps"):   # drawn in one style of their own
        return None
    return next((c for c in CATEGORY_COLUMNS if c in cols and layer.frame[c].notna().any()), None)


def map_data(layers: list[MapLayer], *, working_crs: str | None = None, default_column: str | None = None) -> dict:
    """The JSON document the map script draws: geometries (deduplicated across layers, so
    the pilots layer reuses the kecamatan shapes), and per layer its columns, rows,
    geometry indices, role, category column and label points."""
    import shapely
    from shapely.geometry import mapping

    geoms: list[Any] = []
    index: dict[bytes, int] = {}
    out_layers = []
    for layer in layers:
        display = _display_geometry(layer, working_crs)
        present = ~shapely.is_missing(display)
        rounded = display.copy()
        rounded[present] = shapely.transform(display[present], lambda c: np.round(c, COORD_DECIMALS))
        gidx = []
        for g in rounded:
            if g is None or g.is_empty:
                gidx.append(-1)
                continue
            key = shapely.to_wkb(g)
            if key not in index:
                index[key] = len(geoms)
                gj = mapping(g)
                geoms.append({"type": gj["type"], "coordinates": gj["coordinates"]})
            gidx.append(index[key])
        frame = layer.frame
        cols = [c for c in frame.columns if c != frame.geometry.name]
        numeric = [c for c in cols if pd.api.types.is_numeric_dtype(frame[c].dtype)
                   and not pd.api.types.is_bool_dtype(frame[c].dtype) and frame[c].notna().any()]
        rows = [[_round_value(v) for v in r] for r in frame[cols].itertuples(index=False, name=None)]
        entry: dict[str, Any] = {
            "id": layer.id, "title": layer.title, "role": layer.role, "kind": _kind(frame), "level": layer.level,
            "visible": layer.visible, "columns": cols, "numeric": numeric, "rows": rows, "g": gidx,
            "category": _category_column(layer),
        }
        labels = _label_points(layer, working_crs)
        if labels is not None:
            entry["labels"] = labels
            entry["label_column"] = "name" if "name" in cols and frame["name"].notna().all() else "code"
        out_layers.append(entry)
    return {"geoms": geoms, "layers": out_layers, "default_column": default_column,
            "simplify_m": DISPLAY_TOLERANCE_M}


def _json_script(obj: Any, element_id: str) -> str:
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    text = text.replace("</", "<\\/").replace("<!--", "<\\!--")
    return f'<script type="application/json" id="{element_id}">{text}</script>'


def map_block(layers: list[MapLayer], *, working_crs: str | None = None, default_column: str | None = None,
              height: str = "72vh") -> tuple[str, str]:
    """(HTML of the map, the scripts that draw it): Leaflet, the data and the map script, all
    inline. Raises :class:`~jangkau.errors.DataFileError` when no Leaflet copy is installed."""
    from ..errors import DataFileError

    assets = leaflet_assets()
    if assets is None:
        raise DataFileError("Leaflet is not installed: apt install libjs-leaflet (or set JANGKAU_LEAFLET_DIR to a "
                            "folder holding leaflet.js and leaflet.css)", file=str(LEAFLET_DIRS[0]))
    js, css = assets
    data = map_data(layers, working_crs=working_crs, default_column=default_column)
    body = (f'<div id="map" class="map" style="height:{height}" role="application" '
            'aria-label="interactive map"></div>')
    scripts = (f"<style>{css}</style>\n<script>{js}</script>\n" + _json_script(data, "jangkau-data") +
               f"\n<script>{template_text('report.js')}</script>")
    return body, scripts


# ------------------------------------------------------------------------------------------ tables

# ------------------------------------------------------------------------------------------ report

TABLE_LAYERS = ("pilots", "sites", "zones_kecamatan", "zones_dapil", "zones_desa")


def default_column(layers: list[MapLayer]) -> str | None:
    for layer in layers:
        if layer.role == "zones" and layer.level == "kecamatan":
            for c in ("density_per_km2", "population"):
                if c in layer.frame.columns and layer.frame[c].notna().any():
                    return c
    return None


# ------------------------------------------------------------------------------------------ explore

class MapView:
    """An interactive map for Jupyter: displays inline (an ``<iframe srcdoc>``, so its scripts
    run isolated from the notebook) and saves as a self-contained HTML file."""

    def __init__(self, document: str, *, height: int = 520):
        self.document = document
        self.height = height

    def _repr_html_(self) -> str:
        return (f'<iframe srcdoc="{html.escape(self.document, quote=True)}" style="width:100%;'
                f'height:{self.height}px;border:1px solid #ccc" sandbox="allow-scripts"></iframe>')

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the map as a self-contained HTML file."""
        from ..util import atomic_write_text

        atomic_write_text(path, self.document)
        return Path(path)


def _as_layers(data: Any, name: str | None, region: Any, level: str | None) -> list[MapLayer]:
    import geopandas as gpd

    if isinstance(data, MapLayer):
        return [data]
    if isinstance(data, gpd.GeoDataFrame):
        return [classify(name or (f"zones_{level}" if level else "layer"), data)]
    if isinstance(data, pd.DataFrame):
        if region is None or "code" not in data.columns:
            raise TypeError("a table without geometry needs a 'code' column and region= to join onto its zones")
        lvl = level or (str(data["level"].iloc[0]) if "level" in data.columns else "kecamatan")
        table = data[data["level"] == lvl] if "level" in data.columns else data
        if {"facility_type", "radius_m", "share"} <= set(table.columns):
            # a long coverage table: one share column per (type, radius)
            wide = table.pivot_table(index="code", columns=["facility_type", "radius_m"], values="share")
            pairs: list[Any] = list(wide.columns)
            wide.columns = [f"coverage_share_{t}_{int(r)}m" for t, r in pairs]
            table = wide.reset_index()
        zones = region.zones(lvl)
        table = table.assign(code=table["code"].astype(str))
        extra = table.drop(columns=[c for c in table.columns if c in zones.columns and c != "code"])
        joined = zones.assign(code=zones["code"].astype(str)).merge(extra, on="code", how="left")
        out = gpd.GeoDataFrame(joined, geometry="geometry", crs=zones.crs)
        added = [c for c in extra.columns if c != "code" and pd.api.types.is_numeric_dtype(out[c].dtype)]
        if added:
            out.attrs["default_column"] = added[0]   # the table's own first figure
        return [classify(name or f"zones_{lvl}", out)]
    raise TypeError(f"cannot map {type(data).__name__}")


def explore(*data: Any, column: str | None = None, region: Any = None, level: str | None = None,
            names: list[str] | None = None, title: str = "jangkau", height: int = 520) -> MapView:
    """An interactive map of GeoDataFrames (or zone tables joined onto ``region``'s zones at
    ``level``), the same map as ``report.html``: zones coloured by ``column`` (any indicator
    from the picker), other layers drawn by role and geometry type.

    A GeoDataFrame's role comes from its name in ``names`` (``zones_kecamatan``, ``facilities``,
    ``gaps_sd``, ``isochrones``, ``pilots``, ``sites``...) or from its geometry type.
    Returns a :class:`MapView` (shown inline by Jupyter; ``.save(path)`` writes it)."""
    layers: list[MapLayer] = []
    for i, d in enumerate(data):
        name = names[i] if names and i < len(names) else None
        layers.extend(_as_layers(d, name, region, level))
    for layer in layers:
        if layer.role == "zones" and len([x for x in layers if x.role == "zones"]) == 1:
            layer.visible = True
        if layer.role in ("gaps", "isochrones", "areas", "points"):
            layer.visible = True
    working = getattr(region, "working_crs", None)
    column = column or next((x.frame.attrs["default_column"] for x in layers if "default_column" in x.frame.attrs),
                            None)
    body, scripts = map_block(layers, working_crs=working, default_column=column or default_column(layers),
                              height=f"{height - 10}px")
    doc = ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
           f"<title>{html.escape(title)}</title><style>{template_text('report.css')}"
           "body{margin:0;max-width:none}</style></head><body>" + body + scripts + "</body></html>\n")
    return MapView(doc, height=height)


def explore_run(result: Any, *, column: str | None = None, height: int = 560) -> MapView:
    """The map of a finished run (its output folder's layers), as in its report."""
    layers = layers_from_folder(result.output)
    working = result.region.working_crs if result.region is not None else None
    body, scripts = map_block(layers, working_crs=working, default_column=column or default_column(layers),
                              height=f"{height - 10}px")
    doc = ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>jangkau</title><style>"
           f"{template_text('report.css')}body{{margin:0;max-width:none}}</style></head><body>" + body + scripts +
           "</body></html>\n")
    return MapView(doc, height=height)
