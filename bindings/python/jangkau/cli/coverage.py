"""``jangkau coverage REGION --facilities FILE [--type T] --radius 1km,2km,5km --level kecamatan
-o OUT``: population within straight-line reach of facilities, per zone."""

from __future__ import annotations

import argparse
import logging

from . import options as opt

log = logging.getLogger("jangkau")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "coverage",
        help="population covered by facilities within given radii, per zone",
        description="Population living within straight-line radii of facilities, per desa, kecamatan, dapil "
        "or kabupaten (exact polygon overlay; exact partial cells with --population-raster). Output by the "
        "extension of -o: .csv (a table), .geojson/.gpkg/.fgb (zones with one row per type and radius).",
    )
    p.add_argument("region", help="built-in region name (serang, cilegon) or a region .toml file")
    p.add_argument(
        "--facilities",
        required=True,
        action="append",
        metavar="FILE",
        help="point layer of facilities (any OGR source, or a CSV table with lon/lat or x/y columns); repeat "
        "for several layers. A layer without a type column takes the type of a single --type",
    )
    p.add_argument(
        "--type",
        dest="types",
        action="append",
        metavar="T",
        help="facility type to analyse (catalogue key or alias, e.g. puskesmas); repeatable; "
        "default: every type found",
    )
    p.add_argument(
        "--type-column",
        default=None,
        help="column holding the facility type (default: guessed, else the file name, else the one --type)",
    )
    add_point_table_options(p)
    p.add_argument(
        "--radius",
        default=None,
        type=opt.radii,
        help="radii, e.g. 1km,2km,5km or 500m (default: each type's catalogue threshold)",
    )
    p.add_argument(
        "--level",
        default="kecamatan",
        choices=["desa", "kecamatan", "dapil", "kabupaten"],
        help="zone level (default: kecamatan)",
    )
    p.add_argument(
        "--quadrant-segments",
        default=None,
        metavar="K",
        type=opt.integer(1, 100_000),
        help="polygon discs with 4K sides (shapely's/QGIS' buffers; K=8 is their default 32-gon, 0.64%% less "
        "area than the circle) instead of true circles; only to reproduce results made with those tools",
    )
    p.add_argument(
        "--population-raster",
        default=None,
        metavar="TIF",
        help="raster of population counts per cell (default: the region's population table)",
    )
    t = p.add_argument_group("travel-time coverage (instead of straight-line radii)")
    t.add_argument("--roads", action="append", metavar="FILE[,FILE]",
                   help="road layers or one OSM file (see 'jangkau access --help'); with --max-time")
    t.add_argument("--max-time", default=None, metavar="T[,T]", type=opt.durations,
                   help="travel-time thresholds, e.g. 15min,30min (over --roads, nearest facility, <=)")
    t.add_argument("--cell-size", type=opt.number(0, 100_000, lo_open=True), default=250.0,
                   help="demand cell size in metres for travel time (default 250)")
    t.add_argument("--max-snap", type=opt.number(0, 1_000_000), default=1000.0,
                   help="largest off-road walk in metres; farther people are counted as not covered (default 1000)")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="output file (.csv, .geojson, ...)")
    p.add_argument("--crs", default=None, type=opt.crs, help="working (metric) CRS (default: the region's)")
    p.set_defaults(func=run)


def add_point_table_options(p: argparse.ArgumentParser) -> None:
    """Options for point layers given as CSV tables (shared by the verbs reading facilities and
    existing sites)."""
    g = p.add_argument_group("point tables (CSV): facility layers, existing sites")
    g.add_argument("--x-column", default=None, metavar="COL",
                   help="column with longitude / x (default: lon, longitude, lng, bujur or x)")
    g.add_argument("--y-column", default=None, metavar="COL",
                   help="column with latitude / y (default: lat, latitude, lintang or y)")
    g.add_argument("--points-crs", default=None, metavar="CRS",
                   help="CRS of the table's coordinates (default EPSG:4326 for lon/lat; required for x/y)")
    add_missing_coordinates_option(g)


def add_missing_coordinates_option(g) -> None:
    """--missing-coordinates: the missing_coordinates policy (jangkau.data.facility_qa) of point inputs."""
    g.add_argument("--missing-coordinates", default=None, choices=("refuse", "drop", "unknown"),
                   help="points without coordinates: refuse (default for point files: an error naming the "
                        "file and feature), drop them, or keep them without a location (unknown)")


def facility_layers_from_args(args: argparse.Namespace) -> list:
    """FacilityLayer per --facilities file: the type column if given, the one --type as the type
    of layers without one, and the CSV coordinate options."""
    from ..data.facilities import FacilityLayer

    types = getattr(args, "types", None) or []
    single = getattr(args, "type", None) or (types[0] if len(types) == 1 else None)
    return [FacilityLayer(path=f, type_column=args.type_column, default_type=single,
                          capacity_column=getattr(args, "capacity_column", None),
                          x_column=args.x_column, y_column=args.y_column, points_crs=args.points_crs)
            for f in args.facilities]


def _travel_time_coverage(args, region, facilities, population):
    """Population within each travel time of the nearest facility of each type (roads)."""
    import pandas as pd

    from ..errors import InvalidInputError
    from ..network.build import build_roads
    from ..network.travel import DemandKind, TravelModel, demand, parse_minutes

    if not args.roads:
        raise InvalidInputError("--max-time needs --roads", field="roads")
    if args.radius:
        raise InvalidInputError("give either --radius or --max-time, not both", field="radius")
    minutes = parse_minutes(args.max_time)
    roads = build_roads(args.roads, crs=region.working_crs)
    pop = population or region.population_model()
    dm = demand(region, level=args.level, population=pop, kind=DemandKind.CELLS, cell_size=args.cell_size)
    fac = facilities[~facilities["duplicate"].astype(bool)] if "duplicate" in facilities.columns else facilities
    types = sorted(fac["facility_type"].unique()) if not args.types else args.types
    frames = []
    for t in types:
        sub = fac[fac["facility_type"] == t].reset_index(drop=True)
        if sub.empty:
            raise InvalidInputError(f"no facilities of type '{t}'", field="type")
        cov = TravelModel(roads, sub, dm, max_snap_m=args.max_snap).coverage(minutes)
        cov.insert(1, "facility_type", t)
        frames.append(cov)
    return pd.concat(frames, ignore_index=True)


def run(args: argparse.Namespace) -> int:
    import geopandas as gpd

    from ..coverage.analysis import coverage
    from ..data.facilities import read_facilities
    from ..data.io import write
    from ..data.population import from_raster
    from ..data.region import Region
    from ..errors import InvalidInputError

    region = Region.load(args.region, data_dir=args.data, crs=args.crs)
    layers = facility_layers_from_args(args)
    facilities = read_facilities(layers, region_boundary=region.zones("kabupaten"),
                                 missing_coordinates=getattr(args, "missing_coordinates", None))
    outside = int(facilities["outside_region"].sum())
    if outside:
        log.info("%d facilities lie outside %s and are counted (people cross borders)", outside, region.title)
    # only the region's window (box + 10 km) of the raster is read: a national raster is never loaded
    population = (from_raster(args.population_raster, boundary=region.zones("kabupaten"))
                  if args.population_raster else None)
    if args.max_time or args.roads:
        if not args.max_time:
            raise InvalidInputError("--roads needs --max-time (travel-time thresholds)", field="max_time")
        if args.quadrant_segments is not None:
            raise InvalidInputError("--quadrant-segments applies to straight-line radii, not to --max-time",
                                    field="quadrant_segments")
        table = _travel_time_coverage(args, region, facilities, population)
    else:
        table = coverage(
            region, facilities, args.radius, level=args.level, population=population, types=args.types,
            quadrant_segments=args.quadrant_segments,
        )
    out = args.output
    if out.lower().endswith(".csv"):
        write(table, out)
    elif out.lower().endswith((".geojson", ".json", ".gpkg", ".fgb", ".parquet")):
        zones = region.zones(args.level)[["code", "geometry"]]
        merged = zones.merge(table, on="code", how="inner")
        write(gpd.GeoDataFrame(merged, geometry="geometry", crs=zones.crs), out)
    else:
        raise InvalidInputError(
            f"unknown output format for '{out}' (use .csv, .geojson, .gpkg, .fgb or .parquet)", field="output"
        )
    log.info("wrote %d rows (%s level) to %s", len(table), args.level, out)
    return 0
