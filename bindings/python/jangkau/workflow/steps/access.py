"""Step ``access``: travel time over roads, floating catchments, road density, the Rural Access\nIndex and isochrones."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ...errors import InvalidInputError
from ..context import RunContext


def step_access(ctx: RunContext) -> None:
    """Travel time to the nearest facility, network coverage, an accessibility index, road
    density, the Rural Access Index and isochrones, over the configured road layers."""
    cfg = ctx.config.section("access")
    roads_files = [ctx.config.resolve(f, ctx.data_dir) for f in cfg.get("roads") or []] or ctx.region.road_files()
    if not roads_files:
        reason = ctx.region.roads_unavailable()
        ctx.skip("access", reason or "no road layers configured")
        ctx.warn(f"no road network for {ctx.region.title}: travel-time access was not computed"
                 + (f" ({reason})" if reason else ""))
        return
    if ctx.facilities is None:
        ctx.warn("road access needs facilities: step skipped")
        ctx.skip("access", "road access needs facilities")
        return
    from ...network.build import build_roads
    from ...network.isochrones import isochrones
    from ...network.rai import road_density, rural_access_index
    from ...network.travel import (
        AccessMethod,
        DemandKind,
        TravelModel,
        demand,
        minutes_label,
        parse_duration_s,
        parse_minutes,
    )

    region = ctx.region
    roads_cfg = region.config.get("roads") or {}
    # An OSM-style highway column maps straight onto the speed table; else the class column.
    class_column = cfg.get("class_column") or roads_cfg.get("highway_column") or roads_cfg.get("class_column")
    roads = build_roads([str(p) for p in roads_files], class_column=class_column, crs=region.working_crs,
                        boundary=region.zones("kabupaten"), margin_m=cfg.get("osm_margin_m"))
    skipped = roads.skipped
    if len(skipped):
        ctx.write("access_roads_skipped.csv", skipped.assign(source=[Path(x).name for x in skipped["source"]]))
        ctx.notes.append(f"access: {roads.skipped_summary()}: listed in access_roads_skipped.csv")
    ctx.roads = roads
    comps = roads.components()
    if len(comps) > 1:
        ctx.notes.append(f"access: road network of {roads.node_count} nodes in {len(comps)} components "
                         f"(largest {comps['length_km'].iloc[0]:.1f} of {comps['length_km'].sum():.1f} km)")
    fac = ctx.facilities
    if "duplicate" in fac.columns:
        fac = fac[~fac["duplicate"].astype(bool)]
    if "margin_facility" in fac.columns and fac["margin_facility"].astype(bool).any():
        # 2SFCA divides a facility's supply by the demand it reaches; a neighbouring regency's
        # facility also serves people the run does not have, so it is left out of access.
        fac = fac[~fac["margin_facility"].astype(bool)]
        ctx.notes.append("access: facilities of neighbouring regencies (facility margin) are left out of road access "
                         "(their demand outside the region is unknown)")
    ftype = cfg.get("facility_type")
    if ftype is None:
        ftype = "puskesmas" if (fac["facility_type"] == "puskesmas").any() else str(fac["facility_type"].iloc[0])
    fac = fac[fac["facility_type"] == ftype].reset_index(drop=True)
    if fac.empty:
        raise InvalidInputError(f"no facilities of type '{ftype}' for road access", field="facility_type")
    max_time_min = parse_duration_s(cfg.get("max_time", "30min")) / 60.0
    thresholds = parse_minutes(cfg.get("thresholds", [15, 30, 60]))
    method = AccessMethod(str(cfg.get("method", "e2sfca")))
    max_snap = float(cfg.get("max_snap_m", 1000.0))
    cell = float(cfg.get("cell_size_m", 250.0))
    pop = region.population_model()
    for i, level in enumerate(("desa", "kecamatan")):
        ctx.report_detail(f"travel time {level}", i, 3)
        dm = demand(region, level=level, population=pop, kind=DemandKind.CELLS, cell_size=cell)
        model = TravelModel(roads, fac, dm, max_snap_m=max_snap, capacity_column=cfg.get("capacity_column"))
        near = model.nearest()
        zt = model.by_zone(thresholds, nearest=near)
        zt.insert(1, "facility_type", ftype)
        ctx.tables[f"access_travel_time_{level}"] = zt
        ctx.write(f"access_travel_time_{level}.csv", zt)
        # Indicators must be finite: p90 is inf where a tenth cannot reach a facility, so the
        # ranking uses the mean over those who can and the share within the time limit.
        within = f"share_within_{minutes_label(max_time_min)}"
        if within not in zt.columns:
            zt2 = model.by_zone([max_time_min], nearest=near)
            zt[within] = zt2[within].to_numpy()
        ind = pd.DataFrame({
            f"travel_time_{ftype}_mean_min": zt["mean_time_min"].to_numpy(),
            f"covered_share_{ftype}_{within[len('share_within_'):]}": zt[within].to_numpy(),
        }, index=pd.Index(zt["code"].astype(str), name="code"))
        if method is not AccessMethod.NEAREST:
            res = model.accessibility(method, max_time_min=max_time_min)
            az = res.zones.assign(method=method.value, facility_type=ftype)
            ctx.tables[f"access_{method.value}_{level}"] = az
            ctx.write(f"access_{method.value}_{level}.csv", az)
            ind[f"access_2sfca_{method.value}_{ftype}"] = az.set_index(az["code"].astype(str))["access"]
        if level == "kecamatan":
            report = model.snap_report()
            if len(report):
                ctx.write("access_snap_report.csv", report)
                ctx.warn(f"{len(report)} facilities or demand points are farther than {max_snap:g} m from a road: "
                         "reported in access_snap_report.csv (their time is inf)")
        ctx.indicators[level] = ctx.indicators[level].join(ind, how="left")
    zones = region.zones("kecamatan", crs=region.working_crs)
    dens = road_density(roads, zones)
    ctx.write("road_density_kecamatan.csv", dens)
    total = dens[dens["road_class"] == "total"].set_index("code")["density_km_per_km2"]
    ctx.indicators["kecamatan"] = ctx.indicators["kecamatan"].join(total.rename("road_density_km_per_km2"))
    rai = rural_access_index(roads, region, level="kecamatan", population=pop)
    ctx.write("rai_kecamatan.csv", rai)
    ctx.tables["access_rai"] = rai
    r = rai[rai["code"] != "all"].set_index("code")["rai"]
    if r.notna().any():
        ctx.indicators["kecamatan"] = ctx.indicators["kecamatan"].join(r.rename("rai"))
    else:
        ctx.notes.append("access: no rural population by the default rule, so the RAI is undefined (NaN)")
    bands = parse_minutes(cfg.get("bands", [15, 30]))
    ctx.report_detail("isochrones", 2, 3)
    iso = isochrones(roads, fac, bands, group_by="facility_type", max_snap_m=max_snap, population=pop)
    ctx.layers["isochrones"] = iso
    ctx.write(f"isochrones_{ftype}.geojson", iso)
    ctx.notes.append(f"access: nearest {ftype} over {roads.edge_count} road edges; {method.value} within "
                     f"{max_time_min:g} min; isochrones {', '.join(f'{b:g}' for b in bands)} min")
