"""Steps ``facility_qa`` and ``coverage``: the facility layers read and checked, then the population within\na distance of each type, the gaps and the distance to the nearest."""

from __future__ import annotations

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
    fac = read_facilities(layers, catalogue=facility_catalogue(ctx), region_boundary=ctx.layers["kabupaten"],
                          keep_missing=True)
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
    table.insert(len(table.columns), "location", np.where(located, "as registered", "unknown"))
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


#: Said wherever school coverage from the Kemdikbud register is shown.
MADRASAH_NOTE = ("school coverage counts Kemdikbud schools only: madrasahs (MI, MTs, MA; registered with Kemenag) "
                 "are not in the register, so coverage of SD/SMP/SMA understates the schools people can reach")


def step_coverage(ctx: RunContext) -> None:
    from ...coverage import analysis as cov
    from ...data.facilities import facility_issues, read_facilities
    from ...data.population import from_zone_counts

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
        ctx.warn("coverage needs a population: not computed (facility QA and the facility layers were written)")
        return
    types = cfg.get("types")
    radii = cfg.get("radii")
    results = []
    for i, level in enumerate(("desa", "kecamatan", "dapil", "kabupaten")):
        ctx.report_detail(f"coverage {level}", i, 4)
        if level == "dapil" and len(ctx.layers["dapil"]) == 0:
            continue
        res = cov.coverage(ctx.region, fac, radii, level=level, types=types, catalogue=catalogue)
        results.append(res)
        wide = res.pivot_table(index="code", columns=["facility_type", "radius_m"], values="share")
        wide.columns = [f"coverage_share_{key[0]}_{int(key[1])}m" for key in wide.columns]
        ctx.indicators[level] = ctx.indicators[level].join(wide)
    table = pd.concat(results, ignore_index=True)
    ctx.tables["coverage"] = table
    ctx.write("coverage.csv", table)
    # Gap layers: uncovered populated area per type at its largest radius.
    gap_types = sorted(table["facility_type"].unique())
    for i, t in enumerate(gap_types):
        ctx.report_detail(f"gaps {t}", i, len(gap_types))
        r = float(table.loc[table["facility_type"] == t, "radius_m"].max())
        g = cov.gaps(ctx.region, fac[fac["facility_type"] == t], r, level="desa")
        g.insert(0, "facility_type", t)
        ctx.write(f"gaps_{t}_{int(r)}m.geojson", g)
        ctx.layers[f"gaps_{t}"] = g
    # Distance to the nearest facility of each type, population-weighted per zone.
    population = from_zone_counts(ctx.region.zones("desa", crs=ctx.region.working_crs))
    cell = parse_distance_m(cfg.get("distance_cell", "100m"), "distance_cell")
    dist_rows = []
    for t in sorted(table["facility_type"].unique()):
        of_type = fac[fac["facility_type"] == t].reset_index(drop=True)
        for level in ("desa", "kecamatan", "dapil", "kabupaten"):
            zones = ctx.region.zones(level, crs=ctx.region.working_crs)
            if len(zones) == 0:
                continue
            d = cov.distance_by_zone(population, of_type, zones, cell_size=cell)
            ctx.indicators[level] = ctx.indicators[level].join(
                d.set_index("code")[["mean_distance_m"]].rename(columns={"mean_distance_m": f"nearest_distance_m_{t}"}))
            d.insert(0, "level", level)
            d.insert(0, "facility_type", t)
            dist_rows.append(d)
    if dist_rows:
        dist = pd.concat(dist_rows, ignore_index=True)
        ctx.tables["nearest_distance"] = dist
        ctx.write("nearest_distance.csv", dist)
    if any(t in ("sd", "smp", "sma") for t in table["facility_type"].unique()) and \
            MADRASAH_NOTE not in ctx.warnings and "madrasah" not in " ".join(ctx.notes):
        ctx.notes.append("coverage: school layers may lack madrasahs (MI, MTs, MA) — check the facility source")


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
