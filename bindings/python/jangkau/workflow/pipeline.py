"""The one-command pipeline: ``jangkau run CONFIG.toml -o OUTDIR``.

Runs zones → facility QA → coverage → road access → indicators → dapil → spread → pilots →
dimensions → site selection → staged plan → layers → report (each step only where its
inputs are configured; the steps live in :mod:`jangkau.workflow.steps`, one module per
concern) and writes GeoJSON layers, CSV tables, a self-contained HTML report and
``manifest.json`` into OUTDIR. Everything is written into a staging folder beside OUTDIR
and moved into place only when the whole run succeeded, so a failed run leaves no
partial output.

The run file format is described in ``docs/pipeline.md``; it is read by
:mod:`jangkau.workflow.config`.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from .. import __version__
from ..errors import DataFileError
from ..util import atomic_write_text, sha256_file
from .config import OPTIONAL_INPUTS, RunConfig, default_config_for, load_config, resolve_inputs
from .context import RunContext
from .result import RunResult, backup_folder, staging_folder
from .steps import STEP_NAMES, STEPS as _STEPS

__all__ = ["RunConfig", "RunResult", "run", "load_config", "default_config_for", "resolve_inputs", "inputs_digest",
           "STEPS"]

#: Steps in the order they run.
STEPS = STEP_NAMES


def run(config: RunConfig | str | os.PathLike[str], output: str | os.PathLike[str], *,
        data_dir: str | os.PathLike[str] | None = None, progress: Callable[[str, int, int], None] | None = None,
        overwrite: bool = True, detail: Callable[[str, int, int], None] | None = None) -> RunResult:
    """Run the pipeline and write everything into ``output`` (replaced atomically as a
    whole; nothing is left behind when a step fails). Returns a :class:`RunResult`.
    ``progress(step, done, total)`` is called per step, ``detail(stage, done, total)`` within
    steps (zone levels, facility types, and the engine's own progress callbacks)."""
    from ..data.paths import data_dir as resolve_data_dir

    cfg = config if isinstance(config, RunConfig) else load_config(config)
    out = Path(output).resolve()
    if out.exists() and not out.is_dir():
        raise DataFileError("output exists and is not a directory", file=str(out))
    if out.exists() and not overwrite:
        raise DataFileError("output directory exists", file=str(out))
    out.parent.mkdir(parents=True, exist_ok=True)
    ddir_spec = data_dir or cfg.raw.get("data")
    ddir = resolve_data_dir(ddir_spec, required=False)
    staging = staging_folder(out)
    ctx = RunContext(cfg, out, staging, ddir, progress, detail)
    ctx.inputs = resolve_inputs(cfg, ddir)
    for label, path in list(ctx.inputs.items()):
        if not path.is_file():
            if label in OPTIONAL_INPUTS:
                # an optional input of the region: a warning, the run goes on without it
                ctx.warn(f"optional input '{label}' not found ({path}): continuing without it")
                del ctx.inputs[label]
                continue
            shutil.rmtree(staging, ignore_errors=True)
            raise DataFileError(f"input '{label}' not found", file=str(path))
    steps = _STEPS
    try:
        for i, (name, fn) in enumerate(steps):
            if progress:
                progress(name, i, len(steps))
            t0 = time.perf_counter()
            fn(ctx)
            ctx.timings[name] = round(time.perf_counter() - t0, 3)
        if progress:
            progress("done", len(steps), len(steps))
        manifest = _manifest(ctx, out)
        atomic_write_text(staging / "manifest.json", json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        backup = None
        if out.exists():
            backup = backup_folder(out)
            out.rename(backup)
        staging.rename(out)
        if backup is not None:
            shutil.rmtree(backup)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    ctx.result.files = sorted(p.name for p in out.iterdir())
    ctx.result.manifest = manifest
    return ctx.result


#: Inputs hashed once per version of the file (besides OSM extracts): GeoTIFFs, e.g. WorldPop's
#: raster of Indonesia (about 1 GB).
MEMO_HASH_SUFFIXES = (".tif", ".tiff")


def input_sha256(path: Path) -> str:
    """sha256 of an input; an OSM extract (1.5 GB for Java) or a GeoTIFF (WorldPop's raster of
    Indonesia) is hashed once per version of the file (its size and modification time,
    :func:`jangkau.network.osm.extract_sha256`), not on every run."""
    from ..network.build import OSM_SUFFIXES

    if str(path).lower().endswith(OSM_SUFFIXES + MEMO_HASH_SUFFIXES):
        from ..network.osm import extract_sha256

        return extract_sha256(path)
    return sha256_file(path)


def _manifest(ctx: RunContext, out: Path) -> dict:
    inputs = {k: {"path": str(v), "sha256": input_sha256(v), "bytes": v.stat().st_size}
              for k, v in sorted(ctx.inputs.items())}
    outputs = {p.name: sha256_file(p) for p in sorted(ctx.staging.iterdir()) if p.is_file()}
    return {
        "jangkau_version": __version__,
        "python": platform.python_version(),
        "region": {"name": ctx.region.name, "title": ctx.region.title, "working_crs": ctx.region.working_crs,
                   "synthetic": ctx.region.is_synthetic},
        "run_file": str(ctx.config.path) if ctx.config.path else None,
        "parameters": ctx.config.raw,
        "data_dir": str(ctx.data_dir) if ctx.data_dir else None,
        "inputs": inputs,
        "inputs_digest": inputs_digest(inputs, ctx.config.raw),
        "population": _population_record(ctx, inputs),
        "effective_parameters": dict(sorted(ctx.effective.items())),
        "outputs": outputs,
        "warnings": ctx.warnings,
        "skipped_steps": ctx.result.skipped,
        "timings_s": ctx.timings,
    }


def _population_record(ctx: RunContext, inputs: dict) -> dict:
    """How the run placed people (:attr:`jangkau.data.region.Region.population_weighting`): the
    weighting, and with a raster its path, sha256, window and the units that fell back to areal
    weighting."""
    rec = dict(ctx.region.population_weighting)
    if "population_raster" in inputs and rec.get("raster"):
        rec["sha256"] = inputs["population_raster"]["sha256"]
    return rec


def inputs_digest(inputs: dict, parameters: dict) -> str:
    """One hash of every input's content and the parameters: equal digests mean a rerun
    would produce identical outputs (used by ``jangkau batch`` to skip)."""
    h = hashlib.sha256()
    h.update(__version__.encode())
    for k in sorted(inputs):
        h.update(k.encode())
        h.update(inputs[k]["sha256"].encode())
    h.update(json.dumps(parameters, sort_keys=True, default=str).encode())
    return h.hexdigest()
