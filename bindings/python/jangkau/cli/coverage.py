"""``jangkau coverage REGION --facilities FILE [--type T] --radius 1km,2km,5km --level kecamatan
-o OUT``: population within straight-line reach of facilities, per zone."""

from __future__ import annotations

import argparse
import logging

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
        help="point layer of facilities (any OGR source); repeat for several layers",
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
        help="column holding the facility type (default: guessed, else the file name)",
    )
    p.add_argument(
        "--radius",
        default=None,
        help="radii, e.g. 1km,2km,5km or 500m (default: each type's catalogue threshold)",
    )
    p.add_argument(
        "--level",
        default="kecamatan",
        choices=["desa", "kecamatan", "dapil", "kabupaten"],
        help="zone level (default: kecamatan)",
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
    t.add_argument("--max-time", default=None, metavar="T[,T]",
                   help="travel-time thresholds, e.g. 15min,30min (over --roads, nearest facility, <=)")
    t.add_argument("--cell-size", type=float, default=250.0,
                   help="demand cell size in metres for travel time (default 250)")
    t.add_argument("--max-snap", type=float, default=1000.0,
                   help="largest off-road walk in metres; farther people are counted as not covered (default 1000)")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="output file (.csv, .geojson, ...)")
    p.add_argument("--crs", default=None, help="working (metric) CRS (default: the region's)")
    p.set_defaults(func=run)


def _travel_time_coverage(args, region, facilities, population):
    """Population within each travel time of the nearest facility of each type (roads)."""
    import pandas as pd

    from ..data.population import from_zone_counts
    from ..errors import InvalidInputError
    from ..network.roads import build_roads
    from ..network.travel import DemandKind, TravelModel, demand, parse_minutes

    if not args.roads:
        raise InvalidInputError("--max-time needs --roads", field="roads")
    if args.radius:
        raise InvalidInputError("give either --radius or --max-time, not both", field="radius")
    minutes = parse_minutes(args.max_time)
    roads = build_roads(args.roads, crs=region.working_crs)
    pop = population or from_zone_counts(region.zones("desa", crs=region.working_crs))
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
    from ..data.facilities import FacilityLayer, read_facilities
    from ..data.io import write
    from ..data.population import from_raster
    from ..data.region import Region
    from ..errors import InvalidInputError

    region = Region.load(args.region, data_dir=args.data, crs=args.crs)
    layers = [FacilityLayer(path=f, type_column=args.type_column) for f in args.facilities]
    facilities = read_facilities(layers, region_boundary=region.zones("kabupaten"))
    outside = int(facilities["outside_region"].sum())
    if outside:
        log.info("%d facilities lie outside %s and are counted (people cross borders)", outside, region.title)
    population = from_raster(args.population_raster) if args.population_raster else None
    if args.max_time or args.roads:
        if not args.max_time:
            raise InvalidInputError("--roads needs --max-time (travel-time thresholds)", field="max_time")
        table = _travel_time_coverage(args, region, facilities, population)
    else:
        table = coverage(
            region, facilities, args.radius, level=args.level, population=population, types=args.types
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
