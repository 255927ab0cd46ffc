"""``jangkau batch LIST|REGION... -o OUTDIR``: the pipeline over many regions on Dask."""

from __future__ import annotations

import argparse
import logging
import sys

from . import options as opt

log = logging.getLogger("jangkau")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "batch",
        help="run the pipeline for many regions on Dask and rank pilot locations across them",
        description="Run the pipeline for every region of one or more batch lists (TOML with [[region]] entries, "
        "e.g. datasets/banten.toml) or regions given directly (names, run files, region files). Each region is "
        "an independent Dask task writing OUTDIR/<region>/; a failing region is reported in "
        "OUTDIR/batch_status.csv and does not stop the others. Regions whose manifest.json shows identical "
        "inputs are skipped unless --force. Writes a combined ranking of all kecamatan "
        "(OUTDIR/combined_ranking.csv/.geojson). Exit code 1 if any region failed. See docs/batch.md.",
    )
    p.add_argument("specs", nargs="+", metavar="LIST|REGION", help="batch list (.toml) or region/run file/name")
    p.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="output folder (one sub-folder per region)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="address of an existing Dask scheduler (default: a LocalCluster on this machine)")
    p.add_argument("--workers", type=opt.integer(1, 1024), metavar="N",
                   help="worker processes of the LocalCluster (default: the number of cores, at most one per region)")
    p.add_argument("--force", action="store_true", help="rerun regions whose outputs are up to date")
    p.add_argument("--synthetic-inputs", metavar="LIST", default="",
                   help="for regions given directly: generate SYNTHETIC stand-ins, e.g. 'facilities,population' "
                   "(labelled SYNTHETIC in every output)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..workflow.batch import load_batch, run_batch

    if not args.verbose:
        # The scheduler of a LocalCluster runs in this process: keep Dask's INFO chatter out.
        for name in ("distributed", "tornado", "bokeh"):
            logging.getLogger(name).setLevel(logging.ERROR)
    synthetic = [s for s in args.synthetic_inputs.replace(",", " ").split() if s]
    spec = load_batch(args.specs, synthetic_inputs=synthetic)
    result = run_batch(spec, args.output, workers=args.workers, scheduler=args.scheduler, force=args.force,
                       data_dir=args.data, progress=not args.quiet and sys.stderr.isatty())
    counts = result.status["status"].value_counts()
    log.info("batch: %d ok, %d skipped, %d failed; status in %s", int(counts.get("ok", 0)),
             int(counts.get("skipped", 0)), int(counts.get("failed", 0)), result.output / "batch_status.csv")
    if result.combined is not None:
        log.info("combined ranking of %d kecamatan in %d regions: %s", len(result.combined),
                 result.combined["region"].nunique(), result.output / "combined_ranking.csv")
    for name in result.failed:
        row = result.status.set_index("region").loc[name]
        print(f"jangkau: {name} failed: {row['error']}", file=sys.stderr)
    return 1 if result.failed or result.combined_error else 0
