"""`jangkau indicators`: the indicator catalogue and the template a region fills in."""

from __future__ import annotations

import argparse
import logging

_log = logging.getLogger("jangkau.indicators")


def _catalogue(args: argparse.Namespace):
    from ..selection.indicators import IndicatorCatalogue

    cat = IndicatorCatalogue.default()
    if getattr(args, "catalogue", None):
        cat = cat.extended(IndicatorCatalogue.from_toml(args.catalogue))
    return cat


def run_template(args: argparse.Namespace) -> int:
    from ..data.region import Region
    from ..selection.indicators import indicator_template
    from .pilots import write_table

    region = Region.load(args.region, data_dir=args.data)
    zones = region.zones(args.level)
    table = indicator_template(zones, _catalogue(args), level=args.level)
    write_table(table, args.output)
    _log.info("wrote the %s template of %s (%d zones, %d indicators) to %s", args.level, region.title,
              len(table) - 3, len(table.columns) - 2 - int("kode_kemendagri" in table.columns), args.output)
    return 0


def run_catalogue(args: argparse.Namespace) -> int:
    from .pilots import write_table

    write_table(_catalogue(args).to_frame(), args.output)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "indicators", help="indicator catalogue and the template table a region fills in",
        description="The indicators of the six dimensions (governance, branding, economy, living, society, "
                    "environment): write the catalogue, or the template table of what only the region knows "
                    "(SPBE index, internet access, poverty share, Podes counts, budget) keyed by zone code, with "
                    "its dimension, direction and unit rows. See docs/programme.md.")
    verbs = p.add_subparsers(dest="action", metavar="ACTION")
    verbs.required = True
    t = verbs.add_parser("template", help="write the template table for a region",
                         description="One row per kecamatan (or desa) with its BPS code, name and Kemendagri code, "
                                     "one empty column per template indicator, and the #dimension, #direction and "
                                     "#unit rows (read back by 'jangkau pilots --indicators').")
    t.add_argument("region", help="region name or region.toml")
    t.add_argument("--level", choices=["kecamatan", "desa"], default="kecamatan")
    t.add_argument("--catalogue", metavar="TOML", help="extra indicator catalogue (template = true entries)")
    t.add_argument("-o", "--output", required=True, metavar="CSV", help="output .csv")
    t.set_defaults(func=run_template)
    c = verbs.add_parser("catalogue", help="write the indicator catalogue as a table",
                         description="Every indicator with its dimension, direction, role, unit and whether it "
                                     "belongs to the template.")
    c.add_argument("--catalogue", metavar="TOML", help="extra indicator catalogue")
    c.add_argument("-o", "--output", required=True, metavar="CSV", help="output .csv")
    c.set_defaults(func=run_catalogue)
