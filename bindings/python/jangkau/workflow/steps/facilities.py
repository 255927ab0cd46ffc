"""Steps ``facility_qa`` and ``coverage``: the facility layers read and checked, then the population within\na distance of each type, the gaps and the distance to the nearest."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import parse_distance_m
from ..context import RunContext, facility_catalogue, facility_layers


def step_facility_qa(ctx: RunContext) -> None:
    """Read the facility layers (registers from their verbatim files), check them
    (jangkau.data.facility_qa), write the flags and apply the configured policies. The
    facilities with a usable location go on to coverage and access."""
    from ...data import facility_qa as qa
    from ...data.facilities import read_facilities

    layers = facility_layers(ctx)
    if not layers:
        return
    options = qa.QAOptions.from_config(ctx.config.section("facility_qa"),
                                       file=str(ctx.config.path) if ctx.config.path else None)
    catalogue = facility_catalogue(ctx)
    margin, final = facility_margin(ctx, catalogue)
    fac = read_facilities(layers, catalogue=catalogue, region_boundary=ctx.layers["kabupaten"],
                          keep_missing=True, margin_m=margin, metric_crs=ctx.region.working_crs)
    fac = _trim_margin(ctx, fac, catalogue, margin, final, layers)
    if ctx.region.is_synthetic or ("synthetic" in fac.columns and fac["synthetic"].astype(bool).any()):
        ctx.warn("facilities are SYNTHETIC (generated), labelled so in every output")
    flags = qa.check_facilities(fac, boundary=ctx.layers["kabupaten"], kecamatan=ctx.layers["kecamatan"],
                                options=options, metric_crs=ctx.region.working_crs)
    summary = qa.summary(flags, fac)
    checked = qa.apply_policies(fac, flags)
    ctx.tables["facility_qa"] = flags
    ctx.tables["facility_qa_summary"] = summary
    ctx.write("facility_qa.csv", flags)
    ctx.write("facility_qa.geojson", qa.flags_layer(flags))
    ctx.write("facility_qa_summary.csv", summary)
    _osm_match(ctx, qa.apply_policies(fac, flags), options.osm_match_m)
    if len(flags):
        n_fac = flags["source_index"].groupby(flags["source"]).nunique().sum()
        ctx.warn(f"facility QA: {len(flags)} flags on {n_fac} facilities (policies: "
                 + ", ".join(f"{r} → {options.policies[r].value}" for r in qa.RULES if (flags["rule"] == r).any())
                 + "); nothing was moved — see facility_qa.csv")
    located = checked.geometry.notna() & ~checked.geometry.is_empty
    table = pd.DataFrame(checked.drop(columns=checked.geometry.name))
    status = np.where(located, "as registered", "unknown").astype(object)
    status[checked["margin_facility"].to_numpy(dtype=bool) & located.to_numpy()] = MARGIN_LOCATION
    table.insert(len(table.columns), "location", status)
    ctx.tables["facilities"] = table
    ctx.write("facilities.csv", table)
    matches = fac.attrs.get("capacity_matches")
    if matches is not None and len(matches):
        ctx.tables["capacity_matches"] = matches
        ctx.write("facility_capacity_matches.csv", matches)
        unmatched = matches[matches["status"] == "no match in the register"]
        if len(unmatched):
            ctx.warn(f"capacity unknown for {len(unmatched)} facilities not found by name in the capacity register: "
                     + ", ".join(unmatched["name"].astype(str).head(8)))
        extra = matches[matches["status"] == "in the register, not in the facility list"]
        if len(extra):
            ctx.notes.append(f"facilities: {len(extra)} entries of the capacity register have no point in the facility "
                             "list (not analysed): " + ", ".join(extra["matched"].astype(str).head(8)))
    if fac.attrs.get("left_out"):
        ctx.notes.append("facilities: register rows of types not analysed were left out ("
                         + ", ".join(f"{k} {v}" for k, v in sorted(fac.attrs["left_out"].items())) + ")")
    if any(str(getattr(layer, "register", "") or "").startswith("kemdikbud") for layer in layers):
        ctx.warn(MADRASAH_NOTE)
    ctx.facilities = checked[located.to_numpy()].reset_index(drop=True)


#: The ``location`` of a facility of a neighbouring regency read within the margin (facilities.csv).
MARGIN_LOCATION = "as registered, neighbouring regency (margin)"


def facility_margin(ctx: RunContext, catalogue) -> tuple[float, bool]:
    """The facility margin in metres to read with, and whether it is final:
    ``[coverage] facility_margin`` (a distance ≥ 0; 0 reads only the region's own rows), else
    the largest coverage threshold of the run (the ``radii`` given, else the catalogue radius
    of each of the ``types``) — final; else the largest radius of the facility catalogue, to be
    trimmed after reading to the largest radius of the types found (:func:`_trim_margin`)."""
    from ...coverage.analysis import parse_radii
    from ...errors import InvalidInputError

    cfg = ctx.config.section("coverage")
    given = cfg.get("facility_margin")
    if given is not None:
        try:
            if isinstance(given, (int, float)) and not isinstance(given, bool):
                values: tuple[float, ...] = (float(given),)
            elif isinstance(given, str) and re.fullmatch(r"\s*0+(\.0*)?\s*(m|km)?\s*", given):
                values = (0.0,)  # "0m": only the region's own rows (parse_radii refuses a zero radius)
            else:
                values = tuple(parse_radii(given))
        except (TypeError, ValueError, InvalidInputError):
            values = ()
        if len(values) != 1 or not np.isfinite(values[0]) or values[0] < 0:
            raise InvalidInputError(f"facility_margin must be one distance ≥ 0 (e.g. \"3km\", \"0m\"), not {given!r}",
                                    file=str(ctx.config.path) if ctx.config.path else None, field="facility_margin")
        return float(values[0]), True
    if cfg.get("radii") is not None:
        return float(max(parse_radii(cfg["radii"]))), True
    types = cfg.get("types")
    if types:
        return max(catalogue.radius_m(t) for t in ([types] if isinstance(types, str) else list(types))), True
    return max(t.default_radius_m for t in catalogue), False


def _trim_margin(ctx: RunContext, fac, catalogue, margin_m: float, final: bool, layers: list):
    """Keep the margin rows within the final margin (see :func:`facility_margin`), record it
    (table ``facility_margin``, a note) and say which layers cannot supply facilities across
    the border (a register file holding one regency's rows only)."""
    from ...data.registers import normalise_regency

    margin = fac["margin_facility"].to_numpy(dtype=bool)
    if not final:
        own_types = sorted(set(fac.loc[~margin, "facility_type"]) & {t.type for t in catalogue})
        margin_m = max((catalogue.radius_m(t) for t in own_types), default=0.0)
        far = margin & ~(fac["region_distance_m"].to_numpy(dtype=float) <= margin_m)
        if far.any():
            fac = fac[~far].reset_index(drop=True)
            margin = fac["margin_facility"].to_numpy(dtype=bool)
    m = fac.loc[margin]
    ctx.tables["facility_margin"] = pd.DataFrame({"margin_m": [margin_m], "facilities": [len(m)]})
    given = ctx.config.section("coverage").get("facility_margin")
    ctx.effective["coverage.facility_margin_m"] = float(margin_m)
    ctx.effective["coverage.facility_margin_source"] = (
        "run file" if given is not None else "default: the largest coverage threshold of the run"
        + ("" if final else " (catalogue radius of the types found)"))
    if len(m):
        per = ", ".join(f"{k} {v}" for k, v in m.groupby("register_regency").size().items())
        types = ", ".join(f"{k} {v}" for k, v in m.groupby("facility_type").size().items())
        ctx.notes.append(f"facilities across the border: {len(m)} facilities of neighbouring regencies within "
                         f"{margin_m:,.0f} m of the region ({types}; from {per}) serve its people near the border in "
                         "coverage, gaps and nearest distance; they are never counted as the region's own "
                         "(facilities per 10,000, capacity, road access, new sites) — see facility_qa.csv, "
                         "rule neighbour_margin")
    for layer in layers:
        if not getattr(layer, "register", None) or getattr(layer, "select", None):
            continue
        rows = fac[fac["source"] == Path(layer.path).name]
        regencies = {normalise_regency(v) for v in rows.get("register_regency", pd.Series(dtype=object)).dropna()}
        if len(regencies) == 1:
            kinds = ", ".join(sorted(set(rows["facility_type"])))
            ctx.warn(f"facilities across the border: {Path(layer.path).name} holds the rows of one regency only, so "
                     f"no {kinds} of a neighbouring regency is counted and coverage of those types near the border is "
                     "understated")
    return fac


#: Said wherever school coverage from the Kemdikbud register is shown.
MADRASAH_NOTE = ("school coverage counts Kemdikbud schools only: madrasahs (MI, MTs, MA; registered with Kemenag) "
                 "are not in the register, so coverage of SD/SMP/SMA understates the schools people can reach")


def step_coverage(ctx: RunContext) -> None:
    from ...data.facilities import facility_issues, read_facilities

    layers = facility_layers(ctx)
    if not layers:
        ctx.skip("coverage", "no facility layers configured")
        ctx.warn(f"no facility data for {ctx.region.title}: coverage was not computed (supply facility layers)")
        return
    cfg = ctx.config.section("coverage")
    catalogue = facility_catalogue(ctx)
    fac = ctx.facilities
    if fac is None:  # not read by the QA step (e.g. a run calling the steps itself)
        fac = read_facilities(layers, catalogue=catalogue, region_boundary=ctx.layers["kabupaten"])
        ctx.facilities = fac
    issues = facility_issues(fac) if "facility_qa" not in ctx.tables else pd.DataFrame()
    if len(issues):
        ctx.write("facility_issues.csv", issues)
        ctx.warn(f"{len(issues)} facility issues (duplicates, missing geometry, outside the region): "
                 "see facility_issues.csv")
    ctx.write("facilities.geojson", fac)
    if ctx.region.population_source is None:
        _area_coverage(ctx, fac, cfg, catalogue)
        return
    _coverage_outputs(ctx, fac, cfg, catalogue, weight="population")
    types_found = set(ctx.tables["coverage"]["facility_type"].unique())
    if any(t in ("sd", "smp", "sma") for t in types_found) and \
            MADRASAH_NOTE not in ctx.warnings and "madrasah" not in " ".join(ctx.notes):
        ctx.notes.append("coverage: school layers may lack madrasahs (MI, MTs, MA) — check the facility source")


#: How coverage is measured when the region has no population at all (tables, report, manifest).
AREA_SHARE = "area share, no population data"

#: Zone levels of the coverage tables and the desa column naming each level's zone.
_LEVEL_COLUMNS = {"desa": "code", "kecamatan": "kecamatan_code", "dapil": "dapil", "kabupaten": "kabupaten_code"}


def _area_coverage(ctx: RunContext, fac, cfg: dict, catalogue) -> None:
    """Coverage of a region without any population (no table, raster or regency total): the
    share of each zone's AREA within the threshold, area(zone ∩ U_r) / area(zone), planar in
    the working CRS — the same exact overlay with ``population`` := area in km² (uniform
    density). Pseudo-units (lakes, forests) are left out. Tables carry ``measure`` =
    :data:`AREA_SHARE` and area columns instead of people; the indicators are
    ``coverage_area_share_<type>_<r>m`` and ``nearest_distance_m_<type>`` (area-weighted)."""
    ctx.warn(f"coverage is an {AREA_SHARE.upper()}: {ctx.region.title} has no population (no table, raster or regency "
             "total), so coverage.csv, the gap layers and nearest_distance.csv measure area (km², area-weighted "
             "distance), not people")
    _coverage_outputs(ctx, fac, cfg, catalogue, weight="area_km2")
    ctx.notes.append(f"coverage: {AREA_SHARE} — the share of each zone's area within each type's threshold "
                     "(straight line), and the area-weighted mean distance to the nearest facility")


def _coverage_outputs(ctx: RunContext, fac, cfg: dict, catalogue, *, weight: str) -> None:
    """coverage.csv (every level), the gap layers (per type at its largest radius) and
    nearest_distance.csv, with their indicators, weighted by ``weight``: ``"population"``, the
    people of the region's population model (tables, WorldPop cells when fetched); or
    ``"area_km2"``, the area of the real units (:data:`AREA_SHARE`: columns renamed to km²,
    ``measure`` column, indicators ``coverage_area_share_*``)."""
    from ...coverage import analysis as cov
    from ...data.population import from_zone_counts
    from ..context import real_units

    area = weight != "population"
    wcrs = ctx.region.working_crs
    types, radii = cfg.get("types"), cfg.get("radii")
    if area:
        desa = real_units(ctx.region.zones("desa", crs=wcrs)).reset_index(drop=True)
        source = desa[["code", "name", "kecamatan_code", "dapil", "kabupaten_code", desa.geometry.name]].copy()
        source["population"] = desa.geometry.area.to_numpy() / 1e6  # km², planar in the working CRS
        population = from_zone_counts(source)
        has_dapil = not source["dapil"].isna().all()
    else:
        source = ctx.region
        population = ctx.region.population_model()
        has_dapil = len(ctx.layers["dapil"]) > 0
    suffix = " (area)" if area else ""
    results = []
    for i, (level, column) in enumerate(_LEVEL_COLUMNS.items()):
        ctx.report_detail(f"coverage {level}{suffix}", i, len(_LEVEL_COLUMNS))
        if level == "dapil" and not has_dapil:
            continue
        if area:
            res = cov.coverage(source.dropna(subset=[column]), fac, radii, level=column, types=types,
                               catalogue=catalogue)
            res["level"] = level
        else:
            res = cov.coverage(source, fac, radii, level=level, types=types, catalogue=catalogue)
        results.append(res)
        wide = res.pivot_table(index="code", columns=["facility_type", "radius_m"], values="share")
        wide.columns = [f"coverage_{'area_' if area else ''}share_{key[0]}_{int(key[1])}m" for key in wide.columns]
        ctx.indicators[level] = ctx.indicators[level].join(wide)
    table = pd.concat(results, ignore_index=True)
    if area:
        table = table.rename(columns={"population": "area_km2", "covered": "covered_km2",
                                      "not_covered": "not_covered_km2"})
        table.insert(len(table.columns), "measure", AREA_SHARE)
    ctx.tables["coverage"] = table
    ctx.write("coverage.csv", table)
    # Gap layers: the uncovered part of each zone per type at its largest radius.
    gap_types = sorted(table["facility_type"].unique())
    for i, t in enumerate(gap_types):
        ctx.report_detail(f"gaps {t}{suffix}", i, len(gap_types))
        r = float(table.loc[table["facility_type"] == t, "radius_m"].max())
        g = cov.gaps(source, fac[fac["facility_type"] == t], r, level="code" if area else "desa")
        if area:
            g = g.rename(columns={"population": "uncovered_km2"})
        g.insert(0, "facility_type", t)
        if area:
            g["measure"] = AREA_SHARE
        ctx.write(f"gaps_{t}_{int(r)}m.geojson", g)
        ctx.layers[f"gaps_{t}"] = g
    # Distance to the nearest facility of each type, weighted per zone.
    cell = parse_distance_m(cfg.get("distance_cell", "100m"), "distance_cell")
    rows = []
    for t in gap_types:
        of_type = fac[fac["facility_type"] == t].reset_index(drop=True)
        for level in _LEVEL_COLUMNS:
            zones = ctx.region.zones(level, crs=wcrs)
            if area:
                zones = real_units(zones).reset_index(drop=True)
            if len(zones) == 0 or (area and level == "dapil" and not has_dapil):
                continue
            d = cov.distance_by_zone(population, of_type, zones, cell_size=cell)
            ctx.indicators[level] = ctx.indicators[level].join(
                d.set_index("code")[["mean_distance_m"]].rename(columns={"mean_distance_m": f"nearest_distance_m_{t}"}))
            if area:
                d = d.rename(columns={"population": "area_km2"})
            d.insert(0, "level", level)
            d.insert(0, "facility_type", t)
            if area:
                d["measure"] = "area-weighted, no population data"
            rows.append(d)
    if rows:
        dist = pd.concat(rows, ignore_index=True)
        ctx.tables["nearest_distance"] = dist
        ctx.write("nearest_distance.csv", dist)


def _osm_match(ctx: RunContext, register, max_distance_m: float) -> None:
    """When the region's roads are a fetched OSM extract: its facilities inside the region
    against the register's points of the same type (matched / OSM only / register only,
    jangkau.data.facility_match), written as facility_osm_match.csv and _summary.csv. The cut
    is the access step's (same window and options, so it is cut once and cached)."""
    from ...data.facility_match import match_facilities
    from ...network.build import OSM_SUFFIXES
    from ...network.osm import DEFAULT_MARGIN_M, cut_osm

    osm = [p for p in ctx.region.road_files() if str(p).lower().endswith(OSM_SUFFIXES)]
    if len(osm) != 1 or ctx.config.section("access").get("roads"):
        return
    margin = ctx.config.section("access").get("osm_margin_m")
    cut = cut_osm(osm[0], ctx.region.zones("kabupaten"), margin_m=DEFAULT_MARGIN_M if margin is None else margin,
                  crs=ctx.region.working_crs)
    ofac = cut.facilities
    inside = ofac.to_crs("EPSG:4326").within(ctx.layers["kabupaten"].to_crs("EPSG:4326").union_all())
    ofac = ofac[inside.to_numpy() & ofac["facility_type"].notna().to_numpy()]
    reg = register[register.geometry.notna() & ~register.geometry.is_empty]
    if "margin_facility" in reg.columns:  # neighbouring regencies' rows: OSM is read inside the region only
        reg = reg[~reg["margin_facility"].fillna(False).astype(bool)]
    types = sorted(set(reg["facility_type"].dropna().astype(str)))
    res = match_facilities(ofac, reg, max_distance_m=max_distance_m, types=types, metric_crs=ctx.region.working_crs)
    ctx.tables["facility_osm_match"] = res.summary
    ctx.write("facility_osm_match.csv", res.points)
    ctx.write("facility_osm_match_summary.csv", res.summary)
    tot = res.summary[res.summary["facility_type"] == "all"]
    if len(tot):
        t = tot.iloc[0]
        ctx.notes.append(f"facility QA: OSM against the register within {max_distance_m:g} m: {int(t['matched'])} "
                         f"matched, {int(t['osm_only'])} only in OSM, {int(t['register_only'])} only in the register "
                         "— see facility_osm_match.csv")
