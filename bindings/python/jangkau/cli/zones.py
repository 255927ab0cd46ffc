"""``jangkau zones REGION --level LEVEL -o FILE``: the zones of a region with their
codes, hierarchy, area, population and density."""

from __future__ import annotations

import argparse
import logging

from . import options as opt

log = logging.getLogger("jangkau")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "zones",
        help="write the desa/kecamatan/dapil/kabupaten zones of a region",
        description="Write the zones of one level with code, name, parent codes, dapil, area_km2, "
        "population and density. The format follows the extension of -o: .geojson (RFC 7946, "
        "WGS84), .gpkg, .fgb, .parquet (GeoParquet) or .csv (attributes only).",
    )
    p.add_argument("region", help="built-in region name (serang, cilegon) or a region .toml file")
    p.add_argument("--level", default="kecamatan", choices=["desa", "kecamatan", "dapil", "kabupaten"],
                   help="zone level (default: kecamatan)")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="output file")
    p.add_argument("--precision", type=opt.integer(0, 15), default=7, help="GeoJSON coordinate decimals (default 7)")
    p.add_argument("--crs", default=None, type=opt.crs, help="working (metric) CRS, e.g. EPSG:32748 (default: UTM zone)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..data.io import write
    from ..data.region import Region
    from ..errors import InvalidInputError

    region = Region.load(args.region, data_dir=args.data, crs=args.crs)
    zones = region.zones(args.level)
    if args.level == "dapil" and zones.empty:
        # Never an empty layer with exit 0: say why there is nothing and what to do.
        why = ("its region file has no [dapil] table" if region.dapil is None
               else "its [dapil] table gives no kecamatan a dapil")
        raise InvalidInputError(
            f"region '{region.title}' has no dapil plan: {why}. Give the dapil of each kecamatan in "
            "the region file's [dapil] table, or propose an ILLUSTRATIVE plan with "
            "'jangkau dapil propose'", file=str(region.path), field="dapil")
    if args.output.lower().endswith(".csv"):
        zones = zones.drop(columns=zones.geometry.name)
    write(zones, args.output, precision=args.precision)
    log.info("wrote %d %s zones of %s to %s", len(zones), args.level, region.title, args.output)
    return 0
