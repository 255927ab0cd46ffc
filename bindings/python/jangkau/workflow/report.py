"""The parts of a run's report drawn from its :class:`~jangkau.workflow.result.RunResult`:
static maps for print (matplotlib, embedded as PNG data URIs, with kecamatan labels, a scale
bar and colour ranges that match the data), summary tables, method notes, data sources and
licences, and the warnings about unknown facts. The page around them, with its interactive
map, is :mod:`jangkau.workflow.report_html`. Deterministic: the same run gives the same bytes."""

from __future__ import annotations

import base64
import html
import io
import logging
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib import patheffects

from .. import __version__

log = logging.getLogger("jangkau")

if TYPE_CHECKING:  # pragma: no cover

    from .result import RunResult

SOURCES = [
    ("Desa boundaries (BPS 2020 edition)", "HDX COD-AB Indonesia, via JfrAziz/indonesia-district", "CC BY-IGO"),
    ("Kemendagri codes and names", "cahyadsn/wilayah (Kepmendagri 300.2.2-2138/2025)", "MIT"),
    ("Population tables", "see datasets/<region>/ and the region file (year and source per table)", "facts"),
    ("Kota Cilegon facilities and roads (RTRW)", "ziinspiration/webgis_cilegon (DPUTR Kota Cilegon 2016)",
     "unstated"),
    ("Kab. Serang schools (Kemdikbud register, 2019)", "suryavip/daftar-sekolah-indonesia (jendela.data.kemdikbud.go.id)",
     "MIT (repository); register's own licence not verified"),
    ("Banten health facilities (BPJS 2019) and hospital beds", "mzakik10-pixel/Hospital-Allocation-Recomendatiom",
     "not verified"),
    ("OpenStreetMap", "© OpenStreetMap contributors", "ODbL 1.0"),
]

METHODS = [
    ("Zones", "desa polygons validated (GEOS MakeValid where needed) and dissolved to kecamatan, dapil and "
              "kabupaten in the metric working CRS; areas are planar in that CRS."),
    ("Population", "tables above desa are spread to desa by areal weighting (uniform density within the source "
                   "zone); zone populations add back exactly."),
    ("Coverage", "population within a straight-line radius: exact overlay of the union of facility buffers with "
                 "the population zones (density × intersected area); see docs/coverage.md."),
    ("Travel time", "multi-source Dijkstra over the road graph, demand and facilities snapped onto the nearest "
                    "edge with a walking leg; cutoff convention ≤; 2SFCA (Luo & Wang 2003), E2SFCA (Luo & Qi "
                    "2009); see docs/travel.md and docs/access.md."),
    ("Ranking", "indicators normalised (min–max by default), weighted sum or TOPSIS (Hwang & Yoon 1981), "
                "weights direct or by AHP (Saaty 1980); Monte Carlo over Dirichlet weights for stability; see "
                "docs/pilots.md."),
    ("Sites", "maximal covering (Church & ReVelle 1974) by lazy greedy with swap local search and a certified "
              "upper bound (Nemhauser, Wolsey & Fisher 1978); see docs/siting.md."),
]


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=72, bbox_inches="tight", metadata={"Software": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _scale_bar(ax) -> None:
    """A metric scale bar in the lower right of a map drawn in a metric CRS."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    width = x1 - x0
    target = width / 5
    exp = 10 ** int(np.floor(np.log10(target)))
    length = max((m * exp for m in (1, 2, 5) if m * exp <= target), default=exp)
    xs = x1 - 0.05 * width - length
    ys = y0 + 0.05 * (y1 - y0)
    ax.plot([xs, xs + length], [ys, ys], color="black", linewidth=3, solid_capstyle="butt")
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.text(xs + length / 2, ys + 0.015 * (y1 - y0), label, ha="center", va="bottom", fontsize=8)


def _labels(ax, zones, column: str = "name") -> None:
    if column not in zones.columns:
        return
    pts = zones.geometry.representative_point()
    for p, name in zip(pts, zones[column], strict=True):
        if name is None or (isinstance(name, float) and np.isnan(name)):
            continue
        ax.annotate(str(name), (p.x, p.y), ha="center", va="center", fontsize=6.5,
                    path_effects=[patheffects.withStroke(linewidth=2, foreground="white")])


def _map(layer, column: str | None, title: str, *, cmap: str = "viridis", points=None, point_label=None,
         legend_label: str = "", labels=None, vmin: float | None = None, vmax: float | None = None,
         outline=None) -> str:
    """A static map of ``layer`` (metric CRS) coloured by ``column``: the colour range is the
    data's (or ``vmin``/``vmax``), a single colour with the value in the title when every zone
    has the same value; ``labels`` (zones in the same CRS) are named on the map, ``outline``
    zones outlined in black; a scale bar."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 5.5))
    values = layer[column] if column is not None and column in layer.columns else None
    finite = values.dropna() if values is not None else None
    # values equal up to rounding (e.g. one regency-wide density spread by area) count as equal
    spread = float(finite.max() - finite.min()) if finite is not None and len(finite) else 0.0
    if finite is not None and len(finite) and spread > 1e-9 * max(abs(float(finite.max())), 1.0):
        lo = vmin if vmin is not None and vmin <= finite.min() else finite.min()
        hi = vmax if vmax is not None and vmax >= finite.max() else finite.max()
        layer.plot(column=column, ax=ax, cmap=cmap, legend=True, edgecolor="white", linewidth=0.3, vmin=lo, vmax=hi,
                   missing_kwds={"color": "lightgrey", "label": "unknown"},
                   legend_kwds={"label": legend_label or column, "shrink": 0.7})
    else:
        layer.plot(ax=ax, color="#9ecae1" if finite is not None and len(finite) else "#dddddd", edgecolor="white",
                   linewidth=0.3)
        if finite is not None and len(finite):
            v = float(finite.iloc[0])
            title += f" — every zone: {v:,.4g} {legend_label}".rstrip()
        elif values is not None:
            title += " — unknown everywhere"
    if points is not None and len(points):
        points.plot(ax=ax, color="crimson", markersize=18, marker="^", label=point_label)
        ax.legend(loc="lower left", fontsize=8)
    if outline is not None and len(outline):
        outline.boundary.plot(ax=ax, color="black", linewidth=1.8)
    if labels is not None:
        _labels(ax, labels)
    ax.set_title(title, fontsize=11)
    ax.set_axis_off()
    _scale_bar(ax)
    return _png(fig)


def _fmt(v: Any) -> tuple[str, str | None]:
    """(text, sort key) of a table cell."""
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return "", None
    if isinstance(v, (bool, np.bool_)):
        return ("yes" if v else "no"), ("1" if v else "0")
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}", repr(int(v))
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if not math.isfinite(f):
            return ("∞" if f > 0 else "−∞"), ("1e308" if f > 0 else "-1e308")
        text = f"{f:,.3f}" if abs(f) < 10 else f"{f:,.1f}" if abs(f) < 1000 else f"{f:,.0f}"
        return text, f"{f:.10g}"
    return str(v), None


def sortable_table(df: pd.DataFrame, *, layer: str | None = None, caption: str | None = None,
                   max_rows: int | None = None) -> str:
    """A sortable HTML table. Rows carry ``data-code`` (a zone code, linked to the zone on the
    map) where the table has a ``code`` column, and ``data-layer``/``data-i`` (the feature of
    map layer ``layer``) when the rows are that layer's features, in order."""
    if df is None or len(df) == 0:
        return "<p><em>none</em></p>"
    d = pd.DataFrame(df.drop(columns=[c for c in df.columns if str(c) == "geometry"]))
    shown = d if max_rows is None else d.head(max_rows)
    attrs = f' data-layer="{html.escape(layer)}"' if layer else ""
    out = [f'<div class="tw"><table class="t sortable"{attrs}>']
    if caption:
        out.append(f"<caption>{html.escape(caption)}</caption>")
    out.append("<thead><tr>" + "".join(f'<th scope="col" tabindex="0">{html.escape(str(c))}</th>'
                                       for c in d.columns) + "</tr></thead><tbody>")
    code_col = "code" if "code" in d.columns else None
    for i, row in enumerate(shown.itertuples(index=False, name=None)):
        ra = ""
        if layer:
            ra += f' data-i="{i}"'
        if code_col is not None:
            code = row[list(d.columns).index(code_col)]
            if code is not None and not (isinstance(code, float) and math.isnan(code)):
                ra += f' data-code="{html.escape(str(code))}"'
        cells = []
        for v in row:
            text, key = _fmt(v)
            k = f' data-v="{key}"' if key is not None else ""
            cells.append(f"<td{k}>{html.escape(text)}</td>")
        out.append(f"<tr{ra}>" + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    if max_rows is not None and len(d) > max_rows:
        out.append(f"<p><em>{len(d) - max_rows} more rows in the CSV</em></p>")
    return "".join(out)


def _table(df: pd.DataFrame, max_rows: int = 40) -> str:
    return sortable_table(df, max_rows=max_rows)


def _img(alt: str, src: str) -> str:
    return f'<figure><img alt="{html.escape(alt)}" src="{src}"></figure>'


def header_lines(result: RunResult) -> list[str]:
    """The synthetic-data banner and the one-line description of the run."""
    region = result.loaded_region()
    parts = []
    if region.is_synthetic:
        what = region.config.get("notes") or ("this region, its population, roads and facilities were generated by "
                                              "jangkau's seeded generator; no number here describes a real place")
        parts.append(f'<p class="warn big">SYNTHETIC DATA: {html.escape(str(what))}</p>')
    parts.append(f"<p>jangkau {html.escape(__version__)} · working CRS {html.escape(region.working_crs)} · "
                 f"{len(result.layers['desa'])} desa, {len(result.layers['kecamatan'])} kecamatan</p>")
    return parts


def warnings_section(result: RunResult) -> list[str]:
    """The warnings and unknown facts of the run."""
    if not result.warnings:
        return []
    return (['<section id="warnings"><h2>Warnings and unknown facts</h2><ul>'] +
            [f'<li class="warn">{html.escape(w)}</li>' for w in result.warnings] + ["</ul></section>"])


def summary_tables(result: RunResult) -> list[str]:
    """Tables without geometry: coverage of the whole regency, road access, the dapil plan
    and the site-selection summary."""
    parts = []
    if "coverage" in result.tables:
        cov = result.tables["coverage"]
        kab = cov[cov["level"] == "kabupaten"]
        measure = _area_measure(cov)
        parts.append("<h3>Service coverage of the whole region (straight-line"
                     + (f"; {html.escape(measure)}: the share of AREA, not of people" if measure else "") + ")</h3>")
        parts.append(_table(kab.drop(columns=["level"], errors="ignore")))
    for k in sorted(t for t in result.tables if t.startswith("access_")):
        parts.append(f"<details><summary>{html.escape(k.replace('_', ' '))}</summary>{_table(result.tables[k])}"
                     "</details>")
    if "dapil_plan" in result.tables:
        parts.append("<h3>Dapil plan</h3>")
        parts.append(_table(result.tables["dapil_plan"]))
    if "sites_summary" in result.tables:
        parts.append("<h3>Site selection</h3>")
        parts.append(_table(result.tables["sites_summary"]))
    return parts


def static_maps(result: RunResult) -> list[str]:
    """Static PNG maps (for print): density, coverage shares (0–1 scale), travel times, pilot
    scores and chosen sites, each with kecamatan names and a scale bar."""
    region = result.loaded_region()
    kec_m = result.layers["kecamatan"].to_crs(region.working_crs)
    parts = [_img("population density", _map(kec_m, "density_per_km2", "Population density per kecamatan",
                                              legend_label="people per km²", labels=kec_m))]
    if "coverage" in result.tables:
        share_cols = [c for c in kec_m.columns if c.startswith("coverage_share_")]
        fac = result.facilities.to_crs(region.working_crs) if result.facilities is not None else None
        for c in share_cols[:4]:
            t = c[len("coverage_share_"):].rsplit("_", 1)[0]
            pts = fac[fac["facility_type"] == t] if fac is not None else None
            parts.append(_img(c, _map(kec_m, c, c.replace("_", " "), cmap="RdYlGn", points=pts, point_label=t,
                                      legend_label="share covered", labels=kec_m, vmin=0.0, vmax=1.0)))
    for c in [c for c in kec_m.columns if c.startswith("travel_time") and c.endswith("_min")][:2]:
        parts.append(_img(c, _map(kec_m, c, c.replace("_", " "), cmap="magma_r", legend_label="minutes",
                                  labels=kec_m, vmin=0.0)))
    if "pilots" in result.layers:
        sel = result.layers["pilots"].to_crs(region.working_crs)
        chosen = sel[sel["selected"].astype(bool)] if "selected" in sel.columns else sel.iloc[:0]
        parts.append(_img("pilots", _map(sel, "score", "Pilot score (chosen pilots outlined and named)",
                                         cmap="YlOrRd", legend_label="score", labels=chosen, outline=chosen)))
    if "sites" in result.layers:
        sites = result.layers["sites"].to_crs(region.working_crs)
        parts.append(_img("sites", _map(kec_m, "density_per_km2", "Chosen sites on population density",
                                        points=sites, point_label="chosen site", legend_label="people per km²",
                                        labels=kec_m)))
    return parts


def methods_and_sources(result: RunResult) -> list[str]:
    """Method notes, notes of this run, data sources and licences, and the input files."""
    region = result.loaded_region()
    parts = ['<section id="methods"><h2>Method notes</h2><dl>']
    for name, text in METHODS:
        parts.append(f"<dt>{html.escape(name)}</dt><dd>{html.escape(text)}</dd>")
    parts.append("</dl>")
    if result.notes:
        parts.append("<h3>This run</h3><ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in result.notes) + "</ul>")
    parts.append('</section><section id="sources"><h2>Data sources and licences</h2>')
    src = pd.DataFrame(SOURCES, columns=["data", "source", "licence"])
    ps = region.population_source
    if ps is not None:
        src.loc[len(src)] = [f"Population ({ps.level}, {ps.year})", ps.source, "facts"]
    parts.append(_table(src))
    parts.append("<h3>Inputs</h3>")
    parts.append(_table(pd.DataFrame([{"input": k, "file": v.name} for k, v in sorted(result.inputs.items())])))
    parts.append("<p>Map library: Leaflet (BSD 2-clause licence, © Vladimir Agafonkin), inlined.</p></section>")
    return parts

# ------------------------------------------------------------------------------------------ facilities

_SCHOOL_TYPES = ("sd", "smp", "sma", "slb")


def madrasah_note(result: RunResult) -> str | None:
    """The run's warning that madrasahs are missing from the school layers, if it has one."""
    return next((w for w in result.warnings if "madrasah" in w.lower()), None)


def facility_qa_section(result: RunResult) -> str:
    """HTML of the facility quality report: flags per rule and type with their policies, a map
    of the flagged points, the flags that changed what the run uses (drop / unknown
    location), and the capacity matches. Empty when the run had no facility QA."""
    flags = result.tables.get("facility_qa")
    if flags is None:
        return ""
    region = result.loaded_region()
    parts = ["<h2>Facility quality checks</h2>",
             "<p>Rules and policies: docs/facilities.md. Nothing is moved: a flagged point is kept, dropped, or its "
             "location is treated as unknown (it then counts for no coverage or distance). All flags are in "
             "facility_qa.csv and facility_qa.geojson.</p>"]
    parts.append(_table(result.tables.get("facility_qa_summary", pd.DataFrame()), max_rows=60))
    located = flags.dropna(subset=["lon", "lat"])
    if len(located):
        import geopandas as gpd

        kec_m = result.layers["kecamatan"].to_crs(region.working_crs)
        pts = gpd.GeoDataFrame(located, geometry=gpd.points_from_xy(located["lon"], located["lat"]),
                               crs="EPSG:4326").to_crs(region.working_crs)
        strong = pts[pts["policy"] != "keep"]
        parts.append(f'<img alt="facility QA flags" src="{_map(kec_m, None, "Facilities whose location is not trusted (policy drop or unknown)", points=strong if len(strong) else pts, point_label="flagged point")}">')
    acted = flags[flags["policy"] != "keep"]
    parts.append("<h3>Flags that change what the run uses</h3>")
    parts.append(_table(acted[["rule", "facility_id", "facility_type", "name", "detail", "policy"]], max_rows=60))
    fac = result.tables.get("facilities")
    if fac is not None and "location" in fac.columns:
        counts = fac.groupby(["facility_type", "location"]).size().unstack(fill_value=0).reset_index()
        parts.append("<h3>Facilities per type and location status</h3>")
        parts.append(_table(counts))
    matches = result.tables.get("capacity_matches")
    if matches is not None and len(matches):
        parts.append("<h3>Capacity joined by name (hospital beds, usable as 2SFCA supply)</h3>")
        parts.append(_table(matches))
    return "\n".join(parts)


def coverage_maps_section(result: RunResult) -> str:
    """HTML maps of straight-line coverage per facility type: the share covered per desa with
    the uncovered (gap) areas and the facilities, and the population-weighted distance to the
    nearest facility per kecamatan; the thresholds used with their basis and source; the
    madrasah caveat wherever school coverage is shown. Empty without coverage."""
    cov = result.tables.get("coverage")
    if cov is None:
        return ""
    from ..data.facilities import FacilityCatalogue

    region = result.loaded_region()
    desa = result.layers["desa"].to_crs(region.working_crs)
    kec = result.layers["kecamatan"].to_crs(region.working_crs)
    fac = result.facilities.to_crs(region.working_crs) if result.facilities is not None else None
    cat = FacilityCatalogue.default()
    parts = ["<h2>Coverage maps per facility type</h2>"]
    rows = []
    note = madrasah_note(result)
    for t in list(dict.fromkeys(cov["facility_type"])):
        r = float(cov.loc[cov["facility_type"] == t, "radius_m"].max())
        ft = cat.get(t) if t in cat else None
        rows.append({"type": t, "threshold_m": r, "basis": ft.basis.value if ft else "",
                     "source": (ft.source or ft.note) if ft else ""})
        parts.append(f"<h3>{html.escape(ft.label if ft else t)} — within {r:,.0f} m</h3>")
        if t in _SCHOOL_TYPES and note:
            parts.append(f'<p class="warn">{html.escape(note)}</p>')
        measure = _area_measure(cov)
        col = f"coverage_{'area_' if measure else ''}share_{t}_{int(r)}m"
        pts = fac[fac["facility_type"] == t] if fac is not None else None
        if measure:
            parts.append(f'<p class="warn">Coverage here is an {html.escape(measure)}: the share of each zone\'s area '
                         "within the threshold, and the area-weighted distance to the nearest facility.</p>")
        if col in desa.columns:
            parts.append(f'<img alt="{html.escape(col)}" src="{_coverage_map(desa, col, result.layers.get(f"gaps_{t}"), pts, t, r, region.working_crs, what="area" if measure else "people")}">')
        dcol = f"nearest_distance_m_{t}"
        weighting = "area" if measure else "population"
        if dcol in kec.columns:
            parts.append(f'<img alt="{html.escape(dcol)}" src="{_map(kec, dcol, f"Mean distance to the nearest {t} ({weighting}-weighted)", cmap="magma_r", legend_label="metres")}">')
        kab = cov[(cov["facility_type"] == t) & (cov["level"] == "kabupaten")]
        parts.append(_table(kab.drop(columns=["level"], errors="ignore")))
    parts.append("<h3>Thresholds used</h3>")
    parts.append(_table(pd.DataFrame(rows)))
    return "\n".join(parts)


def _area_measure(cov: pd.DataFrame) -> str:
    """The coverage table's measure when it is not people (a region without population), else ""."""
    if "measure" in cov.columns and len(cov):
        return str(cov["measure"].iloc[0])
    return ""


def _coverage_map(desa, column: str, gaps, points, ftype: str, radius: float, crs, what: str = "people") -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 5.5))
    desa.plot(column=column, ax=ax, cmap="RdYlGn", vmin=0.0, vmax=1.0, legend=True, edgecolor="white",
              linewidth=0.2, missing_kwds={"color": "lightgrey", "label": "unknown"},
              legend_kwds={"label": f"share of {what} covered", "shrink": 0.7})
    if gaps is not None and len(gaps):
        gaps.to_crs(crs).plot(ax=ax, facecolor="none", edgecolor="black", linewidth=0.4, hatch="///")
    if points is not None and len(points):
        points.plot(ax=ax, color="navy", markersize=6, marker="o", label=f"{ftype} ({len(points)})")
        ax.legend(loc="lower left", fontsize=8)
    ax.set_title(f"{ftype}: share within {radius:,.0f} m per desa (hatched: gaps)", fontsize=11)
    ax.set_axis_off()
    return _png(fig)

def feature_sections(result: RunResult) -> list[str]:
    """Report sections of the features a run may have (facility quality, coverage maps per
    facility type, ...): each adds nothing when its step did not run. The HTML report puts them
    after its tables."""
    parts = [s for s in (facility_qa_section(result), coverage_maps_section(result)) if s]
    return parts + _what_is_known_sections(result) + programme_sections(result)


def _what_is_known_sections(result: RunResult) -> list[str]:
    """Skipped steps with their reasons, the population check (table vs regency total), the
    pseudo-units, and the dapil plan's map with its sea links (an assumption)."""
    parts: list[str] = []
    region = result.loaded_region()
    if result.skipped:
        parts.append("<h2>Skipped steps</h2>")
        parts.append(_table(pd.DataFrame({"step": list(result.skipped), "reason": list(result.skipped.values())})))
    if "population_check" in result.tables:
        parts.append("<h2>Population figures compared</h2>")
        parts.append(_table(result.tables["population_check"]))
    if "pseudo_units" in result.tables:
        parts.append("<h2>Pseudo-units (no population; never pilots or sites)</h2>")
        cols = [c for c in ("code", "name", "kecamatan_code", "kecamatan", "area_km2", "reason")
                if c in result.tables["pseudo_units"].columns]
        parts.append(_table(result.tables["pseudo_units"][cols]))
    plan = result.tables.get("dapil_plan")
    kec = result.layers.get("kecamatan")
    if plan is not None and kec is not None and len(kec) and region is not None:
        parts.append(f'<img alt="dapil plan" src="{dapil_map_png(kec.to_crs(region.working_crs), plan, result.layers.get("dapil_sea_links"))}">')
    if "dapil_proposal" in result.tables:
        parts.append(_table(result.tables["dapil_proposal"].drop(columns=["search_log"], errors="ignore")))
    return parts


def dapil_map_png(kec, plan: pd.DataFrame, sea_links=None) -> str:
    """A PNG data URI: kecamatan coloured by dapil (a split kecamatan by the dapil of its most
    populous part, hatched) with the sea links drawn as dashed lines (labelled an assumption)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    p = plan.copy()
    p["kecamatan_code"] = p["kecamatan_code"].astype(str)
    split = set(p.loc[p["kecamatan_code"].duplicated(keep=False), "kecamatan_code"])
    if "population" in p.columns:
        p = p.sort_values("population", ascending=False, kind="stable")
    first = p.drop_duplicates("kecamatan_code").set_index("kecamatan_code")["dapil"].astype(str)
    k = kec.assign(dapil=kec["code"].astype(str).map(first))
    fig, ax = plt.subplots(figsize=(7, 6))
    k.plot(ax=ax, column="dapil", categorical=True, legend=True, cmap="tab20", edgecolor="white", linewidth=0.5,
           missing_kwds={"color": "#eee", "label": "no dapil"}, legend_kwds={"fontsize": 7, "loc": "best"})
    if split:
        k[k["code"].astype(str).isin(split)].plot(ax=ax, facecolor="none", edgecolor="black", hatch="//",
                                                  linewidth=0.8)
    if sea_links is not None and len(sea_links):
        sea_links.to_crs(k.crs).plot(ax=ax, color="navy", linestyle="--", linewidth=1.2)
        ax.plot([], [], color="navy", linestyle="--", label="sea link (assumption)")
    ax.set_title("Dapil plan" + (" (hatched: split kecamatan)" if split else ""))
    ax.set_axis_off()
    return _png(fig)


# ------------------------------------------------------------------------------------------ programme

def _stage_maps(kec_m, plan_m, stages: int) -> list[str]:
    """One map per stage: the sites open by the end of that stage, this stage's in red."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = []
    for t in range(1, stages + 1):
        fig, ax = plt.subplots(figsize=(5.5, 4.5))
        kec_m.plot(ax=ax, color="#eeeeee", edgecolor="white", linewidth=0.4)
        if "dapil" in kec_m.columns and kec_m["dapil"].notna().all():
            kec_m.dissolve("dapil").boundary.plot(ax=ax, color="#777777", linewidth=0.8)
        earlier = plan_m[plan_m["stage"] < t]
        now = plan_m[plan_m["stage"] == t]
        if len(earlier):
            earlier.plot(ax=ax, color="#3b6ea5", markersize=14, marker="o", label="earlier stages")
        if len(now):
            now.plot(ax=ax, color="crimson", markersize=22, marker="^", label=f"stage {t}")
        ax.legend(loc="lower left", fontsize=7)
        ax.set_title(f"Stage {t}: {len(earlier) + len(now)} sites open", fontsize=10)
        ax.set_axis_off()
        out.append(f'<img alt="stage {t}" style="max-width:48%" src="{_png(fig)}">')
    return out


def _timeline(stages: pd.DataFrame, horizon: float) -> str:
    """Covered share over the years: the staged plan against the myopic one."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.2))
    years = list(stages["start_year"]) + [horizon]
    total = stages["covered"].iloc[0] / stages["covered_share"].iloc[0] if stages["covered_share"].iloc[0] else 0
    for col, label, style in (("covered", "staged plan", "-"), ("myopic_covered", "myopic (stage by stage)", "--")):
        if col not in stages.columns:
            continue
        share = list(stages[col] / total if total else stages[col] * 0)
        ax.step(years, share + [share[-1]], where="post", linestyle=style, label=label)
    for y, t in zip(stages["start_year"], stages["stage"]):
        ax.axvline(y, color="#cccccc", linewidth=0.6)
        ax.text(y + 0.1, 0.02, f"stage {t}", fontsize=7, transform=ax.get_xaxis_transform())
    ax.set_xlim(0, horizon)
    ax.set_xlabel("years from the programme start")
    ax.set_ylabel("share of population newly covered")
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title("Timeline of the staged plan", fontsize=10)
    return f'<img alt="timeline" src="{_png(fig)}">'


def programme_sections(result: RunResult) -> list[str]:
    """The report's programme sections: indicators per dimension (backed or empty), the
    spread of pilots through their dapil and the staged plan (stage table, one map per
    stage, the timeline against the myopic plan). Empty when the run has none of them."""
    parts: list[str] = []
    tables = result.tables
    if "dimension_status" in tables:
        parts.append("<h2>Indicators per dimension</h2>")
        parts.append("<p>Which indicators of the six smart-city dimensions this run's data supports; an empty "
                     "dimension has no data here (supply it with <code>jangkau indicators template</code>). "
                     "The pilot table gives each dimension's contribution to the score "
                     "(<code>contrib_*</code> in pilots.csv).</p>")
        parts.append(_table(tables["dimension_status"]))
    if "spread" in tables:
        parts.append("<h2>Spread of pilots through their dapil</h2>")
        parts.append("<p>Per kecamatan as a pilot: population-weighted distance (or travel time) to the zones of its "
                     "dapil, the farthest populated zone, and the share of the dapil's population within the "
                     "threshold; the 1-median and 1-center of each dapil below.</p>")
        parts.append(_table(tables.get("spread_centres", pd.DataFrame())))
    if "plan_stages" in tables and "plan" in result.layers:
        region = result.loaded_region()
        st = tables["plan_stages"]
        summ = tables.get("plan_summary")
        parts.append("<h2>Staged plan</h2>")
        if summ is not None and len(summ):
            s0 = summ.iloc[0]
            parts.append(f"<p>{int(s0['stages'])} stages over {s0['horizon_years']:g} years; budgets "
                         f"{html.escape(str(s0['budgets']))}; stage 1 has a site in every dapil "
                         f"({html.escape(str(s0['dapil_plan']))}). Objective: newly covered person-years "
                         f"{s0['objective_person_years']:,.0f} ({html.escape(str(s0['source']))}), certified bound "
                         f"{s0['bound']:,.0f} (gap {100 * s0['gap']:.2f}%); planning each stage myopically gives "
                         f"{s0['myopic_person_years']:,.0f}. Multi-period maximal covering (Church & ReVelle 1974 "
                         "over stages; Owen & Daskin 1998); see docs/programme.md.</p>")
        parts.append(_timeline(st, float(summ.iloc[0]["horizon_years"]) if summ is not None else 10.0))
        kec_m = result.layers["kecamatan"].to_crs(region.working_crs)
        plan_m = result.layers["plan"].to_crs(region.working_crs)
        parts.append("<div>" + "".join(_stage_maps(kec_m, plan_m, int(st["stage"].max()))) + "</div>")
        parts.append(_table(st))
        cols = [c for c in ["stage", "start_year", "candidate_code", "name", "kecamatan_code", "dapil"]
                if c in plan_m.columns]
        parts.append(_table(pd.DataFrame(plan_m[cols]), max_rows=60))
    return parts


def write_report(result: RunResult, path: str | os.PathLike[str], *, folder: str | os.PathLike[str] | None = None) \
        -> Path:
    """Write the self-contained interactive report of a run to ``path`` and return it.

    The map shows every GeoJSON layer in ``folder`` (default: the folder of ``path``, i.e.
    the run's output being written); tables, warnings, notes, sources and the static maps
    for print come from ``result``. When no Leaflet copy is installed the report is written
    with the static maps only, and says so."""
    from ..errors import DataFileError
    from ..util import atomic_write_text
    from .report_html import (
        DISPLAY_TOLERANCE_M,
        TABLE_LAYERS,
        default_column,
        layers_from_folder,
        map_block,
        template_text,
    )

    path = Path(path)
    folder = Path(folder) if folder is not None else path.parent
    region = result.region
    title = f"jangkau report — {region.title}" if region is not None else "jangkau report"
    layers = layers_from_folder(folder)
    working_crs = region.working_crs if region is not None else None

    parts: list[str] = [f"<header><h1>{html.escape(title)}</h1>"]
    parts.extend(header_lines(result))
    parts.append('<nav class="noprint"><a href="#map-section">Map</a> · <a href="#tables">Tables</a> · '
                 '<a href="#print-maps">Maps for print</a> · <a href="#methods">Methods</a> · '
                 '<a href="#sources">Sources</a></nav></header>')
    parts.extend(warnings_section(result))

    scripts = ""
    parts.append('<section id="map-section"><h2>Map</h2>')
    try:
        body, scripts = map_block(layers, working_crs=working_crs, default_column=default_column(layers))
        parts.append(body)
        parts.append(f'<p class="note">Boundaries on this map are simplified for display only (tolerance '
                     f'{DISPLAY_TOLERANCE_M:g} m, coordinates to 1e-5°); every figure was computed on the full '
                     'geometry in the GeoJSON files beside this report. No background map: the page works offline. '
                     'Pick the zone level in the layer switcher and the indicator in the picker; click a zone for '
                     'its indicators and ranks, a table row to zoom to it.</p>')
    except DataFileError as exc:  # no Leaflet: the report still has its static maps
        log.warning("report: %s; the report has static maps only", exc)
        parts.append(f'<p class="warn">The interactive map is missing: {html.escape(str(exc))}.</p>')
    parts.append("</section>")

    parts.append('<section id="tables"><h2>Tables</h2>')
    by_id = {layer.id: layer for layer in layers}
    for lid in TABLE_LAYERS:
        layer = by_id.get(lid)
        if layer is None:
            continue
        open_ = " open" if lid in ("pilots", "zones_kecamatan", "sites") else ""
        parts.append(f"<details{open_}><summary>{html.escape(layer.title)} ({len(layer.frame)})</summary>")
        parts.append(sortable_table(layer.frame, layer=lid))
        parts.append("</details>")
    parts.extend(summary_tables(result))
    for layer in layers:
        if layer.id in TABLE_LAYERS or layer.role == "boundary":
            continue
        parts.append(f"<details><summary>{html.escape(layer.title)} ({len(layer.frame)})</summary>")
        parts.append(sortable_table(layer.frame, layer=layer.id))
        parts.append("</details>")
    parts.append("</section>")

    parts.extend(feature_sections(result))
    parts.append('<section id="print-maps"><h2>Maps for print</h2>')
    parts.extend(static_maps(result))
    parts.append("</section>")
    parts.extend(methods_and_sources(result))

    doc = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
           f"<title>{html.escape(title)}</title><style>{template_text('report.css')}</style></head><body>\n"
           + "\n".join(parts) + "\n" + scripts + "\n</body></html>\n")
    atomic_write_text(path, doc)
    return path
