"""``jangkau run CONFIG -o OUTDIR``: the whole pipeline in one command."""

from __future__ import annotations

import argparse
import logging
import sys

log = logging.getLogger("jangkau")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="run zones → coverage → access → dapil → pilots → sites and write a report",
        description="Run the whole pipeline for one region and write GeoJSON layers, CSV tables, report.html and "
        "manifest.json into OUTDIR (replaced as a whole only when the run succeeds). CONFIG is a run file "
        "(docs/pipeline.md) or a built-in region name (serang, cilegon). With no CONFIG: Kabupaten Serang "
        "when the data directory is found, else the embedded SYNTHETIC region.",
    )
    p.add_argument("config", nargs="?", default=None, help="run file (.toml) or region name")
    p.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="output folder")
    p.add_argument("--synthetic", action="store_true", help="run on the embedded synthetic region (seeded)")
    p.add_argument("--seed", type=int, default=0, help="seed of the synthetic region (default 0)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..data.paths import data_dir
    from ..workflow.pipeline import run as run_pipeline

    config = args.config
    if args.synthetic or (config is None and data_dir(args.data, required=False) is None):
        from ..synthetic.run import synthetic_config

        if not args.synthetic:
            log.warning("no data directory found: running on the embedded SYNTHETIC region")
        config = synthetic_config(seed=args.seed)
    elif config is None:
        config = "serang"
    bar = None
    if not args.quiet and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=8, unit="step", desc="jangkau run", file=sys.stderr)

    def progress(stage: str, done: int, total: int) -> None:
        if bar is not None:
            bar.total = total
            bar.set_postfix_str(stage)
            bar.n = done
            bar.refresh()
        else:
            log.debug("step %d/%d: %s", done, total, stage)

    try:
        result = run_pipeline(config, args.output, data_dir=args.data, progress=progress)
    finally:
        if bar is not None:
            bar.close()
    for w in result.warnings:
        log.debug("warning: %s", w)
    log.info("wrote %d files to %s (%s)", len(result.files), result.output,
             ", ".join(f"{k} {v:.1f}s" for k, v in result.timings_s.items()))
    return 0
