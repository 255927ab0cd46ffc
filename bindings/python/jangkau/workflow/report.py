"""The self-contained HTML report of a pipeline run, drawn from its
:class:`~jangkau.workflow.result.RunResult`: maps drawn with matplotlib and embedded as PNG
data URIs, tables, method notes, data sources and licences, and the warnings about unknown
facts. Deterministic: the same run gives the same bytes."""

from __future__ import annotations

import base64
import html
import io
from typing import TYPE_CHECKING

import pandas as pd

from .. import __version__
from ..util import atomic_write_text

if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path

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
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _map(layer, column: str | None, title: str, *, cmap: str = "viridis", points=None, point_label=None,
         legend_label: str = "") -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 5.5))
    values = layer[column] if column is not None and column in layer.columns else None
    if values is not None and values.notna().any() and values.min() != values.max():
        layer.plot(column=column, ax=ax, cmap=cmap, legend=True, edgecolor="white", linewidth=0.3,
                   missing_kwds={"color": "lightgrey", "label": "unknown"},
                   legend_kwds={"label": legend_label or column, "shrink": 0.7})
    else:
        layer.plot(ax=ax, color="#dddddd", edgecolor="white", linewidth=0.3)
    if points is not None and len(points):
        points.plot(ax=ax, color="crimson", markersize=18, marker="^", label=point_label)
        ax.legend(loc="lower left", fontsize=8)
    ax.set_title(title, fontsize=11)
    ax.set_axis_off()
    return _png(fig)


def _table(df: pd.DataFrame, max_rows: int = 40) -> str:
    if df is None or len(df) == 0:
        return "<p><em>none</em></p>"
    d = df.head(max_rows).copy()
    for c in d.columns:
        if pd.api.types.is_float_dtype(d[c]):
            d[c] = d[c].map(lambda v: "" if pd.isna(v) else f"{v:,.3f}" if abs(v) < 10 else f"{v:,.0f}")
    more = f"<p><em>{len(df) - max_rows} more rows in the CSV</em></p>" if len(df) > max_rows else ""
    return d.to_html(index=False, escape=True, border=0, classes="t") + more


def write_report(result: RunResult, path: Path) -> Path:
    """Write the HTML report of a run to ``path`` and return it. Reads ``result.region``,
    its ``layers`` (at least the desa and kecamatan zones), ``tables``, ``facilities``,
    ``warnings``, ``notes`` and ``inputs``."""
    region = result.region
    kec = result.layers["kecamatan"]
    parts: list[str] = []
    title = f"jangkau report — {region.title}"
    parts.append(f"<h1>{html.escape(title)}</h1>")
    if region.is_synthetic:
        what = region.config.get("notes") or ("this region, its population, roads and facilities were generated by "
                                              "jangkau's seeded generator; no number here describes a real place")
        parts.append(f'<p class="warn big">SYNTHETIC DATA: {html.escape(str(what))}</p>')
    parts.append(f"<p>jangkau {html.escape(__version__)} · working CRS {html.escape(region.working_crs)} · "
                 f"{len(result.layers['desa'])} desa, {len(kec)} kecamatan</p>")
    if result.warnings:
        parts.append("<h2>Warnings and unknown facts</h2><ul>")
        parts.extend(f'<li class="warn">{html.escape(w)}</li>' for w in result.warnings)
        parts.append("</ul>")

    parts.append("<h2>Zones</h2>")
    kec_m = kec.to_crs(region.working_crs)
    parts.append(f'<img alt="population density" src="{_map(kec_m, "density_per_km2", "Population density per kecamatan", legend_label="people per km²")}">')
    cols = [c for c in ["code", "name", "dapil", "n_desa", "area_km2", "population", "density_per_km2"]
            if c in kec.columns]
    parts.append(_table(pd.DataFrame(kec[cols])))

    if "coverage" in result.tables:
        cov = result.tables["coverage"]
        parts.append("<h2>Service coverage (straight-line)</h2>")
        share_cols = [c for c in kec.columns if c.startswith("coverage_share_")]
        for c in share_cols[:4]:
            fac = result.facilities.to_crs(region.working_crs) if result.facilities is not None else None
            t = c[len("coverage_share_"):].rsplit("_", 1)[0]
            pts = fac[fac["facility_type"] == t] if fac is not None else None
            parts.append(f'<img alt="{html.escape(c)}" src="{_map(kec_m, c, c.replace("_", " "), cmap="RdYlGn", points=pts, point_label=t, legend_label="share covered")}">')
        kab = cov[cov["level"] == "kabupaten"]
        parts.append(_table(kab.drop(columns=["level"], errors="ignore")))

    parts.append(facility_qa_section(result))
    parts.append(coverage_maps_section(result))

    access_tables = [k for k in result.tables if k.startswith("access_")]
    if access_tables:
        parts.append("<h2>Road access</h2>")
        tcols = [c for c in kec.columns if c.startswith("travel_time") and c.endswith("_min")][:2]
        for c in tcols:
            parts.append(f'<img alt="{html.escape(c)}" src="{_map(kec_m, c, c.replace("_", " "), cmap="magma_r", legend_label="minutes")}">')
        for k in access_tables:
            parts.append(f"<h3>{html.escape(k)}</h3>")
            parts.append(_table(result.tables[k]))

    if "pilots" in result.tables:
        p = result.tables["pilots"]
        parts.append("<h2>Pilot kecamatan per dapil</h2>")
        sel = result.layers["pilots"].to_crs(region.working_crs)
        sel = sel.assign(selected_num=sel["selected"].astype(float))
        parts.append(f'<img alt="pilots" src="{_map(sel, "score", "Score (selected pilots outlined in the table)", cmap="YlOrRd", legend_label="score")}">')
        cols = [c for c in ["rank", "code", "name", "dapil", "score", "selected", "p_selected", "rank_low",
                            "rank_high", "stability", "dapil_source"] if c in p.columns]
        parts.append(_table(p[cols]))

    if "dapil_plan" in result.tables:
        parts.append("<h2>Dapil plan</h2>")
        parts.append(_table(result.tables["dapil_plan"]))

    if "sites" in result.layers:
        parts.append("<h2>New service points (site selection)</h2>")
        sites = result.layers["sites"].to_crs(region.working_crs)
        parts.append(f'<img alt="sites" src="{_map(kec_m, "density_per_km2", "Chosen sites on population density", points=sites, point_label="chosen site", legend_label="people per km²")}">')
        parts.append(_table(result.tables.get("sites_summary")))
        parts.append(_table(pd.DataFrame(result.layers["sites"].drop(columns="geometry"))))

    parts.append("<h2>Method notes</h2><dl>")
    for name, text in METHODS:
        parts.append(f"<dt>{html.escape(name)}</dt><dd>{html.escape(text)}</dd>")
    parts.append("</dl>")
    if result.notes:
        parts.append("<h3>This run</h3><ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in result.notes) + "</ul>")
    parts.append("<h2>Data sources and licences</h2>")
    src = pd.DataFrame(SOURCES, columns=["data", "source", "licence"])
    ps = region.population_source
    if ps is not None:
        src.loc[len(src)] = [f"Population ({ps.level}, {ps.year})", ps.source, "facts"]
    parts.append(_table(src))
    parts.append("<h3>Inputs</h3>")
    parts.append(_table(pd.DataFrame([{"input": k, "file": v.name} for k, v in sorted(result.inputs.items())])))

    style = ("body{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}"
             "table.t{border-collapse:collapse;font-size:0.85em}table.t td,table.t th{padding:2px 8px;"
             "border-bottom:1px solid #ddd;text-align:right}img{max-width:100%}.warn{color:#a40}"
             ".big{font-size:1.2em;font-weight:bold;border:2px solid #a40;padding:0.5em}")
    doc = (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
           f"<style>{style}</style></head><body>\n" + "\n".join(parts) + "\n</body></html>\n")
    atomic_write_text(path, doc)
    return path


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
    region = result.region
    parts = ["<h2>Facility quality checks</h2>",
             "<p>Rules and policies: docs/facilities.md. Nothing is moved: a flagged point is kept, dropped, or its "
             "location is treated as unknown (it then counts for no coverage or distance). All flags are in "
             "facility_qa.csv and facility_qa.geojson.</p>"]
    parts.append(_table(result.tables.get("facility_qa_summary"), max_rows=60))
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

    region = result.region
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
        col = f"coverage_share_{t}_{int(r)}m"
        pts = fac[fac["facility_type"] == t] if fac is not None else None
        if col in desa.columns:
            parts.append(f'<img alt="{html.escape(col)}" src="{_coverage_map(desa, col, result.layers.get(f"gaps_{t}"), pts, t, r, region.working_crs)}">')
        dcol = f"nearest_distance_m_{t}"
        if dcol in kec.columns:
            parts.append(f'<img alt="{html.escape(dcol)}" src="{_map(kec, dcol, f"Mean distance to the nearest {t} (population-weighted)", cmap="magma_r", legend_label="metres")}">')
        kab = cov[(cov["facility_type"] == t) & (cov["level"] == "kabupaten")]
        parts.append(_table(kab.drop(columns=["level"], errors="ignore")))
    parts.append("<h3>Thresholds used</h3>")
    parts.append(_table(pd.DataFrame(rows)))
    return "\n".join(parts)


def _coverage_map(desa, column: str, gaps, points, ftype: str, radius: float, crs) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 5.5))
    desa.plot(column=column, ax=ax, cmap="RdYlGn", vmin=0.0, vmax=1.0, legend=True, edgecolor="white",
              linewidth=0.2, missing_kwds={"color": "lightgrey", "label": "unknown"},
              legend_kwds={"label": "share of people covered", "shrink": 0.7})
    if gaps is not None and len(gaps):
        gaps.to_crs(crs).plot(ax=ax, facecolor="none", edgecolor="black", linewidth=0.4, hatch="///")
    if points is not None and len(points):
        points.plot(ax=ax, color="navy", markersize=6, marker="o", label=f"{ftype} ({len(points)})")
        ax.legend(loc="lower left", fontsize=8)
    ax.set_title(f"{ftype}: share within {radius:,.0f} m per desa (hatched: gaps)", fontsize=11)
    ax.set_axis_off()
    return _png(fig)
