"""``jangkau access REGION --roads FILE[,FILE...] --facilities FILE [--type T]
[--method nearest|2sfca|e2sfca|gaussian|gravity] [--max-time 30min] --level kecamatan -o OUT
[--isochrones OUT.geojson --bands 15,30,60]``: travel time over the road network from where
people live to facilities, and accessibility indices, per zone."""

from __future__ import annotations

import argparse
import logging

from . import options as opt

log = logging.getLogger("jangkau")

_METHODS = ["nearest", "2sfca", "e2sfca", "gaussian", "gravity"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "access",
        help="travel time to the nearest facility and accessibility indices over a road network, per zone",
        description="Travel time from every populated cell (or desa point) to facilities over a road network "
        "(OSM .osm.pbf or line layers such as RTRW road maps), per desa, kecamatan, dapil or kabupaten. "
        "Output by the extension of -o: .csv (a table) or .geojson/.gpkg (zones with the table).",
    )
    p.add_argument("region", help="built-in region name (serang, cilegon) or a region .toml file")
    p.add_argument("--roads", required=True, action="append", metavar="FILE[,FILE...]",
                   help="road files: .osm.pbf/.osm, or line layers; a layer's class comes from FILE:CLASS, "
                   "--road-class-column, or its file name (e.g. ..._JALAN_ARTERI_LN → arteri); repeatable")
    p.add_argument("--road-class-column", default=None, help="column of the line layers holding the road class")
    p.add_argument("--speed-table", default=None, metavar="CSV", help="road speed table (default: built-in)")
    p.add_argument("--facilities", required=True, action="append", metavar="FILE",
                   help="point layer of facilities (any OGR source), or an OSM extract (.osm.pbf: its "
                   "facilities in the region, typed by tags and names); repeatable")
    p.add_argument("--type", dest="types", action="append", metavar="T",
                   help="facility type(s) to use (catalogue key or alias, e.g. puskesmas); default: all")
    p.add_argument("--type-column", default=None, help="column holding the facility type (default: guessed)")
    p.add_argument("--capacity-column", default=None,
                   help="facility column with the supply of 2SFCA/E2SFCA/gravity (default: 1 per facility)")
    p.add_argument("--method", default="nearest", choices=_METHODS, help="measure (default: nearest)")
    p.add_argument("--max-time", default="30min", type=opt.duration,
                   help="catchment / cutoff, e.g. 30min, 1h, 900s (default 30min; E2SFCA uses --breaks); "
                        "also caps --method nearest: people farther count as unreachable")
    p.add_argument("--thresholds", default=None, type=opt.durations,
                   help="minutes for the share-within columns of --method nearest, each at most --max-time "
                        "(default 15,30,60 up to --max-time)")
    p.add_argument("--breaks", default="10,20,30", type=opt.durations, help="E2SFCA zone bounds in minutes (default 10,20,30)")
    p.add_argument("--level", default="kecamatan", choices=["desa", "kecamatan", "dapil", "kabupaten"],
                   help="zone level (default: kecamatan)")
    p.add_argument("--population-raster", default=None, metavar="TIF",
                   help="raster of population counts per cell (default: the region's population table)")
    p.add_argument("--demand", default="cells", choices=["cells", "centroids"],
                   help="demand points: populated cells (default) or one point per desa")
    p.add_argument("--cell-size", type=opt.number(0, 100_000, lo_open=True), default=100.0, help="cell size (m) of the population surface")
    p.add_argument("--max-snap", type=opt.number(0, 1_000_000), default=1000.0, help="largest off-road distance, m (default 1000)")
    p.add_argument("--walk-speed", type=opt.number(0, 50, lo_open=True), default=5.0, help="off-road walking speed, km/h (default 5)")
    p.add_argument("--isochrones", default=None, metavar="FILE", help="also write isochrone bands here")
    p.add_argument("--bands", default="15,30,60", type=opt.durations, help="isochrone bands in minutes (default 15,30,60)")
    p.add_argument("--isochrones-by", default="type", choices=["type", "facility"],
                   help="isochrones per facility type (default) or per facility")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="output file (.csv, .geojson, .gpkg)")
    p.add_argument("--crs", default=None, type=opt.crs, help="working (metric) CRS (default: the region's)")
    from .coverage import add_point_table_options

    add_point_table_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import geopandas as gpd

    from ..data.facilities import FacilityLayer, read_facilities
    from ..data.io import write
    from ..data.population import from_raster
    from ..data.region import Region
    from ..errors import InvalidInputError
    from ..network.build import build_roads
    from ..network.travel import (
        AccessMethod,
        DemandKind,
        TravelModel,
        demand,
        parse_duration_s,
        parse_minutes,
    )
    from .coverage import facility_layers_from_args

    out = args.output
    fmt = out.lower().rsplit(".", 1)[-1] if "." in out else ""
    if fmt not in ("csv", "geojson", "json", "gpkg", "parquet"):
        raise InvalidInputError(f"unknown output format for '{out}' (use .csv, .geojson, .gpkg or .parquet)", field="output")
    max_time_s = parse_duration_s(args.max_time)
    max_min = max_time_s / 60.0
    # --max-time caps the nearest-facility search; the default thresholds stop at it. Checked
    # here, before any work or output.
    thresholds = (parse_minutes(args.thresholds) if args.thresholds is not None
                  else [t for t in (15.0, 30.0, 60.0) if t < max_min] + [max_min])
    if args.method == AccessMethod.NEAREST.value and max(thresholds) > max_min:
        raise InvalidInputError(f"--thresholds {args.thresholds} exceed --max-time {args.max_time}: "
                                "raise --max-time or lower the thresholds", field="thresholds")
    region = Region.load(args.region, data_dir=args.data, crs=args.crs)
    boundary = region.zones("kabupaten")
    roads = build_roads(args.roads, class_column=args.road_class_column, speed_table=args.speed_table,
                        crs=region.working_crs, boundary=boundary)
    comps = roads.components()
    if len(comps) > 1:
        log.info("road network: %d nodes, %d edges in %d components (largest %.1f km of %.1f km)",
                 roads.node_count, roads.edge_count, len(comps), comps["length_km"].iloc[0],
                 comps["length_km"].sum())
    import tempfile
    from pathlib import Path

    from ..network.osm import osm_facility_layer

    layers = facility_layers_from_args(args)
    with tempfile.TemporaryDirectory(prefix="jangkau-osm-") as tmp:  # removed once the layers are read
        for k, f in enumerate(args.facilities):
            if f.lower().endswith((".osm.pbf", ".osm")):  # OSM facilities of the region (cached cut)
                folder = Path(tmp) / str(k)  # one folder per extract: each writes osm_facilities.geojson
                folder.mkdir()
                layers[k] = FacilityLayer(path=osm_facility_layer(f, boundary, folder, crs=region.working_crs),
                                          type_column="facility_type", name_column="name")
        facilities = read_facilities(layers, region_boundary=region.zones("kabupaten"),
                                     missing_coordinates=getattr(args, "missing_coordinates", None))
    if "duplicate" in facilities.columns:
        facilities = facilities[~facilities["duplicate"].astype(bool)].reset_index(drop=True)
    if args.types:
        from ..data.facilities import FacilityCatalogue

        cat = FacilityCatalogue.default()
        wanted = {cat.resolve(t) or t.lower() for t in args.types}
        facilities = facilities[facilities["facility_type"].isin(wanted)].reset_index(drop=True)
        if facilities.empty:
            raise InvalidInputError(f"no facilities of type {', '.join(args.types)}", field="type")
    # only the region's window (box + 10 km) of the raster is read: a national raster is never loaded
    population = (from_raster(args.population_raster, boundary=region.zones("kabupaten"))
                  if args.population_raster else None)
    dm = demand(region, level=args.level, population=population, kind=DemandKind(args.demand),
                cell_size=args.cell_size)
    model = TravelModel(roads, facilities, dm, max_snap_m=args.max_snap, walk_speed_kmh=args.walk_speed,
                        capacity_column="capacity" if args.capacity_column else None)
    report = model.snap_report()
    if len(report):
        f = report[report["what"] == "facility"]
        d = report[report["what"] == "demand"]
        if len(f):
            log.warning("%d facilities are farther than %g m from any road: they serve nobody", len(f), args.max_snap)
        if len(d):
            log.warning("%d demand points (%.0f people) are farther than %g m from any road: time inf, "
                        "counted in not_snapped", len(d), d["population"].sum(), args.max_snap)
    method = AccessMethod(args.method)
    if method is AccessMethod.NEAREST:
        table = model.by_zone(thresholds, max_time_min=max_min)
    else:
        res = model.accessibility(method, max_time_min=max_min, breaks_min=parse_minutes(args.breaks))
        near = model.by_zone([max_min], max_time_min=max_min)
        table = res.zones.merge(near.drop(columns=["level", "name", "population"]), on="code", how="left")
        table.insert(4, "method", method.value)
    iso = None
    if args.isochrones:  # computed before anything is written: a failure leaves no output
        from ..network.isochrones import isochrones

        pop = population if population is not None else region.population_model()
        iso = isochrones(roads, facilities, parse_minutes(args.bands),
                         group_by="facility_type" if args.isochrones_by == "type" else None,
                         max_snap_m=args.max_snap, walk_speed_kmh=args.walk_speed, population=pop)
    if fmt == "csv":
        write(table, out)
    else:
        zones = region.zones(args.level)[["code", "geometry"]]
        merged = zones.merge(table, on="code", how="inner")
        write(gpd.GeoDataFrame(merged, geometry="geometry", crs=zones.crs), out)
    log.info("wrote %d zones (%s level, %s) to %s", len(table), args.level, method.value, out)
    if iso is not None:
        write(iso, args.isochrones)
        log.info("wrote %d isochrone bands to %s", len(iso), args.isochrones)
    return 0
