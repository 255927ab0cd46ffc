"""`jangkau data`: fetch public sources, list the catalogue and cache, show the data
directory, and write a synthetic region."""

from __future__ import annotations

import argparse
import logging
import sys

from . import options as opt

log = logging.getLogger("jangkau")


def register(sub) -> None:
    p = sub.add_parser("data", help="download public data, list the cache, write a synthetic region",
                       description="Manage the input data: public downloads (with checksums and a cache) and "
                                   "the embedded synthetic region.")
    data_sub = p.add_subparsers(dest="data_command", metavar="ACTION")
    data_sub.required = True

    f = data_sub.add_parser("fetch", help="download the public sources of regions into the cache",
                            description="Download the sources a region needs (boundaries, an OpenStreetMap "
                                        "extract, a population raster) with checksums, resumable transfers "
                                        "and a cache.")
    f.add_argument("names", nargs="+", metavar="REGION", help="region name(s) or source id(s) of the catalogue")
    _common(f)
    f.add_argument("--dry-run", action="store_true", help="say what would be downloaded; download nothing")
    f.add_argument("--force", action="store_true", help="download again even if a verified copy is cached")
    f.add_argument("--retries", type=opt.integer(0, 100), default=5, metavar="N", help="retries per file (default: 5)")
    f.add_argument("--timeout", type=opt.number(0, 86_400, lo_open=True), default=60.0, metavar="S",
                   help="network timeout in seconds (default: 60)")
    f.add_argument("--mirror", metavar="URL", default=None,
                   help="download every file from URL/<path in the data directory> instead of the catalogue's "
                        "URL (a mirror laid out as a data directory; default: $JANGKAU_MIRROR, else none)")
    f.set_defaults(func=_fetch)

    ls = data_sub.add_parser("list", help="list the catalogue and what the cache holds",
                             description="List catalogue sources (all, or those of the given regions) with "
                                         "their state in the cache.")
    ls.add_argument("names", nargs="*", metavar="REGION", help="only these regions or sources")
    _common(ls)
    ls.add_argument("--verify", action="store_true", help="hash cached files against their checksums")
    ls.set_defaults(func=_list)

    pth = data_sub.add_parser("path", help="print the data directory jangkau will read",
                              description="Print the resolved data directory (--data, JANGKAU_DATA, the cache, "
                                          "or ../shared/data in a checkout), the cache and the catalogue.")
    pth.set_defaults(func=_path)

    syn = data_sub.add_parser("synthetic", help="write the embedded SYNTHETIC region to a folder",
                              description="Generate a seeded, clearly labelled synthetic regency (desa, "
                                          "kecamatan, dapil, population raster, roads, facilities).")
    syn.add_argument("out", metavar="DIR", help="output folder (created; files in it are replaced)")
    syn.add_argument("--seed", type=opt.integer(0, 2**32 - 1), default=0, help="random seed (default: 0)")
    syn.add_argument("--cells", type=opt.number(1, 1e10), default=None, metavar="N",
                     help="size the region for about N raster cells (e.g. 1e6); default: a regency-sized region")
    syn.add_argument("--cell-size", type=opt.number(0, 100_000, lo_open=True), default=100.0, metavar="M", help="raster cell size in metres")
    syn.set_defaults(func=_synthetic)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dest", metavar="DIR", help="download folder (default: the user cache directory)")
    p.add_argument("--catalogue", metavar="FILE", help="catalogue file (default: datasets/sources.toml)")


def _fmt_bytes(n) -> str:
    import pandas as pd

    if n is None or pd.isna(n):
        return "-"
    n = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"  # pragma: no cover


def _print_table(rows: list[list[object]], header: list[str]) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    lines: list[list[object]] = [list(header), *rows]
    for r in lines:
        print("  ".join(str(x).ljust(w) for x, w in zip(r, widths)).rstrip())


def _fetch(args) -> int:
    from ..data.fetch import fetch

    result = fetch(args.names, catalogue=args.catalogue, dest=args.dest, force=args.force, dry_run=args.dry_run,
                   progress=not args.quiet, retries=args.retries, timeout_s=args.timeout,
                   mirror=args.mirror)
    _print_table([[r.source, r.action, _fmt_bytes(r.bytes), "pinned" if r.pinned else "lock", r.path]
                  for r in result.itertuples()], ["SOURCE", "ACTION", "SIZE", "CHECKSUM", "PATH"])
    return 0


def _list(args) -> int:
    from ..data.fetch import load_catalogue, status
    from ..data.paths import cache_dir

    cat = load_catalogue(args.catalogue)
    table = status(args.names or None, catalogue=cat, dest=args.dest, verify=args.verify)
    print(f"catalogue: {cat.path}")
    print(f"cache:     {args.dest or cache_dir()}")
    print(f"regions:   {', '.join(sorted(cat.regions))}")
    _print_table([[r.source, r.state, _fmt_bytes(r.bytes), r.checksum, r.licence, r.path]
                  for r in table.itertuples()], ["SOURCE", "STATE", "SIZE", "CHECKSUM", "LICENCE", "PATH"])
    return 0


def _path(args) -> int:
    from ..data.fetch import catalogue_path
    from ..data.paths import cache_dir, data_dir

    d = data_dir(args.data, required=False)
    print(d if d is not None else "(none found: pass --data DIR, set JANGKAU_DATA or run 'jangkau data fetch')")
    if args.verbose:
        print(f"cache: {cache_dir()}", file=sys.stderr)
        print(f"catalogue: {catalogue_path()}", file=sys.stderr)
    return 0 if d is not None else 1


def _synthetic(args) -> int:
    from ..synthetic.generator import SyntheticOptions, generate

    if args.cells is not None:
        opt = SyntheticOptions.for_cells(int(args.cells), cell_size_m=args.cell_size, seed=args.seed)
    else:
        opt = SyntheticOptions(seed=args.seed, cell_size_m=args.cell_size)
    path = generate(opt).write(args.out)
    log.info("wrote a SYNTHETIC region (seed %d, %d desa) to %s", opt.seed, opt.n_desa, path.parent)
    print(path)
    return 0
