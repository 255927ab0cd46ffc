"""``jangkau run CONFIG -o OUTDIR``: the whole pipeline in one command."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from . import options as opt

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
    p.add_argument("--seed", type=opt.integer(0, 2**32 - 1), default=0, help="seed of the synthetic region (default 0)")
    p.set_defaults(func=run)


class _Bars:
    """Two tqdm bars on stderr: the pipeline's steps, and progress within the step (zone
    levels, facility types and the engine's own callbacks, e.g. site selection). Without a
    terminal, with ``-q`` or in CI (``CI`` set) there are none and progress goes to the
    debug log."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.steps = None
        self.inner = None
        if enabled:
            from tqdm import tqdm

            self.steps = tqdm(total=8, unit="step", desc="jangkau run", file=sys.stderr, position=0)
            self.inner = tqdm(total=1, desc="", file=sys.stderr, position=1, leave=False,
                              bar_format="{desc} {bar} {n_fmt}/{total_fmt}")

    def step(self, stage: str, done: int, total: int) -> None:
        if self.steps is None:
            log.debug("step %d/%d: %s", done, total, stage)
            return
        self.steps.total = total
        self.steps.set_postfix_str(stage)
        self.steps.n = done
        self.steps.refresh()

    def detail(self, stage: str, done: int, total: int) -> None:
        if self.inner is None:
            log.debug("  %s: %d/%d", stage, done, total)
            return
        if self.inner.desc != stage or self.inner.total != max(total, 1):
            self.inner.reset(total=max(int(total), 1))
            self.inner.set_description_str(stage, refresh=False)
        self.inner.n = int(done)
        self.inner.refresh()

    def close(self) -> None:
        for b in (self.inner, self.steps):
            if b is not None:
                b.close()


def progress_bars(*, quiet: bool) -> _Bars:
    """Progress bars for ``jangkau run``: none when quiet, without a terminal or in CI."""
    ci = os.environ.get("CI", "").lower() not in ("", "0", "false", "no")
    return _Bars(not quiet and not ci and sys.stderr.isatty())


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
    import contextlib

    bars = progress_bars(quiet=args.quiet)
    redirect: contextlib.AbstractContextManager = contextlib.nullcontext()
    if bars.enabled:
        from tqdm.contrib.logging import logging_redirect_tqdm

        redirect = logging_redirect_tqdm(loggers=[log])  # log lines print above the bars
    try:
        with redirect:
            result = run_pipeline(config, args.output, data_dir=args.data, progress=bars.step, detail=bars.detail)
    finally:
        bars.close()
    for w in result.warnings:
        log.debug("warning: %s", w)
    log.info("wrote %d files to %s (%s)", len(result.files), result.output,
             ", ".join(f"{k} {v:.1f}s" for k, v in result.timings_s.items()))
    return 0
