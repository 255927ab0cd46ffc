"""Writes the QML styles the Processing provider applies to jangkau's outputs
(qgis/jangkau_processing/styles/*.qml). Run with QGIS's Python after changing a style:

    QT_HASH_SEED=0 QT_QPA_PLATFORM=offscreen /usr/bin/python3 qgis/make_styles.py

(QT_HASH_SEED=0 keeps the XML attribute order, so an unchanged style gives an unchanged file.)

Class breaks are fixed and meaningful (shares in steps a planner reads: 25/50/75/90 %, minutes in
the thresholds of the access analysis), so a legend never invents a range the data does not have.
The field names are the ones jangkau writes; tests/python/test_qgis.py loads every style on a real
output and checks the fields it uses exist."""

from __future__ import annotations

import sys
from pathlib import Path

from qgis.core import (
    QgsApplication,
    QgsCategorizedSymbolRenderer,
    QgsFillSymbol,
    QgsGraduatedSymbolRenderer,
    QgsMarkerSymbol,
    QgsPalLayerSettings,
    QgsRendererCategory,
    QgsRendererRange,
    QgsSingleSymbolRenderer,
    QgsTextBufferSettings,
    QgsTextFormat,
    QgsVectorLayer,
    QgsVectorLayerSimpleLabeling,
)
from qgis.PyQt.QtGui import QColor

OUT = Path(__file__).resolve().parent / "jangkau_processing" / "styles"


def fill(colour: str, outline: str = "#505050", width: float = 0.26) -> QgsFillSymbol:
    return QgsFillSymbol.createSimple({"color": colour, "outline_color": outline, "outline_width": str(width)})


def labels(expression: str, size: float = 8.0) -> QgsVectorLayerSimpleLabeling:
    fmt = QgsTextFormat()
    fmt.setSize(size)
    buffer = QgsTextBufferSettings()
    buffer.setEnabled(True)
    buffer.setSize(0.8)
    buffer.setColor(QColor("white"))
    fmt.setBuffer(buffer)
    settings = QgsPalLayerSettings()
    settings.fieldName = expression
    settings.isExpression = True
    settings.setFormat(fmt)
    return QgsVectorLayerSimpleLabeling(settings)


def graduated(field: str, breaks: list[tuple[float, float, str, str]]) -> QgsGraduatedSymbolRenderer:
    ranges = [QgsRendererRange(lo, hi, fill(colour), label) for lo, hi, colour, label in breaks]
    return QgsGraduatedSymbolRenderer(field, ranges)


def save(name: str, geometry: str, renderer, labeling=None, opacity: float = 1.0) -> None:
    layer = QgsVectorLayer(f"{geometry}?crs=EPSG:4326", name, "memory")
    layer.setRenderer(renderer)
    if labeling is not None:
        layer.setLabeling(labeling)
        layer.setLabelsEnabled(True)
    layer.setOpacity(opacity)
    path = OUT / f"{name}.qml"
    message, ok = layer.saveNamedStyle(str(path))
    if not ok:
        sys.exit(f"{path}: {message}")
    print(path)


def main() -> None:
    OUT.mkdir(exist_ok=True)
    # Zones: outlines and names (the indicator maps are coverage/access/pilots).
    save("zones", "MultiPolygon", QgsSingleSymbolRenderer(fill("#ffffff00", "#404040", 0.4)), labels('"name"'))
    # Coverage share per zone, 0-1 (red: few people within reach).
    share = [(0.0, 0.25, "#d7191c", "< 25 %"), (0.25, 0.5, "#fdae61", "25–50 %"), (0.5, 0.75, "#ffffbf", "50–75 %"),
             (0.75, 0.9, "#a6d96a", "75–90 %"), (0.9, 1.0, "#1a9641", "≥ 90 %")]
    save("coverage", "MultiPolygon", graduated("share", share),
         labels("\"name\" || '\\n' || format_number(100 * \"share\", 0) || ' %'"), opacity=0.85)
    # Access: mean travel time to the nearest facility, minutes.
    minutes = [(0.0, 10.0, "#1a9641", "< 10 min"), (10.0, 15.0, "#a6d96a", "10–15 min"),
               (15.0, 30.0, "#ffffbf", "15–30 min"), (30.0, 60.0, "#fdae61", "30–60 min"),
               (60.0, 1e9, "#d7191c", "≥ 60 min")]
    save("access", "MultiPolygon", graduated("mean_time_min", minutes),
         labels("\"name\" || '\\n' || format_number(\"mean_time_min\", 1) || ' min'"), opacity=0.85)
    # Isochrone bands by their upper bound, minutes.
    bands = [(0.0, 15.0, "#1a9641", "≤ 15 min"), (15.0, 30.0, "#a6d96a", "15–30 min"),
             (30.0, 60.0, "#fdae61", "30–60 min"), (60.0, 1e9, "#d7191c", "> 60 min")]
    save("isochrones", "MultiPolygon", graduated("band_min", bands), opacity=0.6)
    # Coverage gaps: people beyond the threshold.
    save("gaps", "MultiPolygon", QgsSingleSymbolRenderer(fill("#d7191c99", "#a50f15", 0.3)), opacity=0.8)
    # Pilots: chosen zones stand out, with their rank.
    cats = [QgsRendererCategory(True, fill("#2b83ba", "#1f4e79", 0.5), "pilot"),
            QgsRendererCategory(False, fill("#e0e0e0", "#808080", 0.3), "not chosen")]
    save("pilots", "MultiPolygon", QgsCategorizedSymbolRenderer("selected", cats),
         labels("\"name\" || ' (#' || \"rank\" || ')'"), opacity=0.85)
    # Facilities and chosen sites.
    save("facilities", "Point", QgsSingleSymbolRenderer(QgsMarkerSymbol.createSimple(
        {"name": "circle", "color": "#636363", "outline_color": "white", "size": "1.8"})))
    save("sites", "Point", QgsSingleSymbolRenderer(QgsMarkerSymbol.createSimple(
        {"name": "star", "color": "#e66101", "outline_color": "#5e3c00", "size": "5"})),
        labels("'#' || \"order\" || ' ' || coalesce(\"name\", '')", 9.0))


if __name__ == "__main__":
    app = QgsApplication([], False)
    app.initQgis()
    try:
        main()
    finally:
        app.exitQgis()
