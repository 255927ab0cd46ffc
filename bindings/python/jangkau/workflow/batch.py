"""``jangkau batch``: the pipeline over many regions, as independent tasks on Dask distributed.

Every region is one task that runs :func:`jangkau.workflow.pipeline.run` into ``OUTDIR/<name>/``
(replaced atomically by the pipeline). Tasks run on a Dask ``LocalCluster`` (one process per
core, one thread each) or on an existing cluster (``scheduler="tcp://host:8786"``). A region
that fails is recorded and does not stop the others. A region whose existing
``manifest.json`` shows the same inputs digest as the one computed now, *without running*
(:func:`inputs_digest_of`), and whose output files are intact, is skipped unless ``force``.
When all tasks are done, the pilot locations of all regions are ranked together
(:func:`combined_ranking`). See ``docs/batch.md``.

Files written into OUTDIR besides the region folders:

* ``batch_status.csv``: region, status (ok / failed / skipped), error (one line), seconds,
  synthetic_inputs, inputs_digest — in the order of the batch list;
* ``combined_ranking.csv`` / ``.geojson``: every kecamatan of every region that has outputs,
  scored on a common basis; ``combined_criteria.csv``: the criteria, weights and ranges used;
* ``_synthetic_inputs/<name>/``: the SYNTHETIC stand-ins of regions that asked for them
  (:mod:`jangkau.synthetic.fill`).
"""

from __future__ import annotations

import copy
import json
import logging
import math
import os
import sys
import time
import tomllib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import DataFileError, InvalidInputError, JangkauError
from ..synthetic.fill import FILL_GENERATOR, SYNTHETIC_INPUTS, FillOptions
from ..util import atomic_output, sha256_file

__all__ = [
    "STATUS_COLUMNS",
    "SYNTHETIC_DIR",
    "BatchEntry",
    "BatchResult",
    "BatchSpec",
    "combined_ranking",
    "expected_inputs",
    "inputs_digest_of",
    "load_batch",
    "run_batch",
    "run_entry",
]

log = logging.getLogger("jangkau")

#: Columns of ``batch_status.csv``.
STATUS_COLUMNS = ["region", "status", "error", "seconds", "synthetic_inputs", "inputs_digest"]

#: Folder of OUTDIR holding the generated SYNTHETIC inputs, one sub-folder per region.
SYNTHETIC_DIR = "_synthetic_inputs"

#: Sections of a run file that a batch list may override.
_SECTIONS = ("population", "coverage", "access", "dapil", "pilots", "sites", "report")
_ENTRY_KEYS = {"run", "name", "synthetic_inputs", "fill", *_SECTIONS}
_LIST_KEYS = {"title", "description", "region", "run", "fill", "combined"}
_COMBINED_KEYS = {"method", "mode", "normalisation", "weights"}


# ------------------------------------------------------------------------------------------ batch list

@dataclass(frozen=True)
class BatchEntry:
    """One region of a batch: ``run`` is a run file, region file or built-in region name;
    ``name`` the output folder; ``overrides`` run-file sections merged over the run file's
    (key by key); ``synthetic_inputs`` the SYNTHETIC stand-ins to generate (:mod:`jangkau.synthetic.fill`)."""

    name: str
    run: str
    synthetic_inputs: tuple[str, ...] = ()
    overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    fill: FillOptions = field(default_factory=FillOptions)


@dataclass(frozen=True)
class BatchSpec:
    """A batch: its entries (unique names) and the settings of the combined ranking
    (``combined``: method, mode, normalisation, weights — see :func:`combined_ranking`)."""

    entries: tuple[BatchEntry, ...]
    combined: Mapping[str, Any] = field(default_factory=dict)
    title: str = ""
    source: Path | None = None


def _merge(base: dict, overrides: Mapping[str, Mapping[str, Any]]) -> dict:
    out = copy.deepcopy(base)
    for section, values in overrides.items():
        if isinstance(values, Mapping) and isinstance(out.get(section), dict):
            out[section] = {**out[section], **copy.deepcopy(dict(values))}
        else:
            out[section] = copy.deepcopy(values)
    return out


def _merge_overrides(*layers: Mapping[str, Mapping[str, Any]]) -> dict:
    out: dict[str, dict] = {}
    for layer in layers:
        for section, values in layer.items():
            out[section] = {**out.get(section, {}), **dict(values)}
    return out


def _entry_name(run: str) -> str:
    """The output folder name of a run spec: the region's ``name``."""
    from .pipeline import load_config

    cfg = load_config(run)
    region = cfg.region
    if not region.endswith(".toml"):
        return region
    try:
        data = tomllib.loads(Path(region).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return Path(region).parent.name
    return str(data.get("name", Path(region).parent.name))


def _check_name(name: str, where: str | None) -> str:
    if not name or name.startswith((".", "_")) or any(c in name for c in "/\\"):
        raise InvalidInputError(f"'{name}' cannot be a region folder name", file=where, field="name")
    return name


def _synthetic_list(value: Any, where: str | None) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [v for v in value.replace(",", " ").split() if v]
    if not isinstance(value, (list, tuple)):
        raise InvalidInputError("synthetic_inputs must be a list", file=where, field="synthetic_inputs")
    for v in value:
        if v not in SYNTHETIC_INPUTS:
            raise InvalidInputError(f"unknown synthetic input '{v}' ({', '.join(SYNTHETIC_INPUTS)})", file=where,
                                    field="synthetic_inputs")
    return tuple(dict.fromkeys(str(v) for v in value))


def _read_list(path: Path) -> tuple[list[BatchEntry], dict, str]:
    where = str(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"batch list is not valid TOML: {exc}", file=where) from None
    unknown = sorted(set(raw) - _LIST_KEYS)
    if unknown:
        raise InvalidInputError(f"unknown key '{unknown[0]}' in batch list (known: {', '.join(sorted(_LIST_KEYS))})",
                                file=where, field=unknown[0])
    regions = raw.get("region")
    if not isinstance(regions, list) or not regions:
        raise InvalidInputError("batch list needs [[region]] entries", file=where, field="region")
    common = raw.get("run") or {}
    for s in common:
        if s not in _SECTIONS:
            raise InvalidInputError(f"unknown section [run.{s}] (known: {', '.join(_SECTIONS)})", file=where, field=s)
    fill_defaults = raw.get("fill") or {}
    combined = dict(raw.get("combined") or {})
    for k in combined:
        if k not in _COMBINED_KEYS:
            raise InvalidInputError(f"unknown key '{k}' in [combined] (known: {', '.join(sorted(_COMBINED_KEYS))})",
                                    file=where, field=k)
    entries = []
    for i, item in enumerate(regions):
        if isinstance(item, str):
            item = {"run": item}
        bad = sorted(set(item) - _ENTRY_KEYS)
        if bad:
            raise InvalidInputError(f"[[region]] #{i + 1}: unknown key '{bad[0]}' (known: {', '.join(sorted(_ENTRY_KEYS))})",
                                    file=where, feature=i, field=bad[0])
        if "run" not in item:
            raise InvalidInputError(f"[[region]] #{i + 1} lacks 'run'", file=where, feature=i, field="run")
        run = str(item["run"])
        if run.endswith(".toml") and not Path(run).is_absolute():
            run = str((path.parent / run).resolve())
        name = _check_name(str(item.get("name") or _entry_name(run)), where)
        fill = FillOptions.from_mapping({**fill_defaults, **(item.get("fill") or {})}, file=where)
        overrides = _merge_overrides(common, {s: item[s] for s in _SECTIONS if s in item})
        entries.append(BatchEntry(name=name, run=run,
                                  synthetic_inputs=_synthetic_list(item.get("synthetic_inputs", []), where),
                                  overrides=overrides, fill=fill))
    return entries, combined, str(raw.get("title", ""))


def _is_batch_list(path: Path) -> bool:
    if path.suffix != ".toml" or not path.is_file():
        return False
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return False
    return isinstance(data.get("region"), list)


def load_batch(specs: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], *,
               synthetic_inputs: Iterable[str] = (),
               overrides: Mapping[str, Mapping[str, Any]] | None = None,
               combined: Mapping[str, Any] | None = None) -> BatchSpec:
    """A batch from batch lists (``*.toml`` with ``[[region]]`` entries, format in
    ``docs/batch.md``) and/or single regions (built-in names, run files, region files).

    ``synthetic_inputs`` applies to the single regions given directly; ``overrides``
    (run-file sections) are merged over every entry's own; ``combined`` over the lists'
    ``[combined]`` table. Duplicate region names are an error.
    """
    if isinstance(specs, (str, os.PathLike)):
        specs = [specs]
    entries: list[BatchEntry] = []
    comb: dict[str, Any] = {}
    titles, source = [], None
    for spec in specs:
        p = Path(spec)
        if _is_batch_list(p):
            es, c, title = _read_list(p)
            entries.extend(es)
            comb.update(c)
            titles.append(title)
            source = source or p.resolve()
        else:
            run = str(p.resolve()) if p.suffix == ".toml" else str(spec)
            entries.append(BatchEntry(name=_check_name(_entry_name(run), str(spec)), run=run,
                                      synthetic_inputs=_synthetic_list(list(synthetic_inputs), None)))
    if not entries:
        raise InvalidInputError("no regions given")
    if overrides:
        entries = [BatchEntry(name=e.name, run=e.run, synthetic_inputs=e.synthetic_inputs,
                              overrides=_merge_overrides(e.overrides, overrides), fill=e.fill) for e in entries]
    seen: set[str] = set()
    for e in entries:
        if e.name in seen:
            raise InvalidInputError(f"region '{e.name}' appears twice in the batch (give entries distinct 'name's)",
                                    file=str(source) if source else None, field="name")
        seen.add(e.name)
    comb.update(combined or {})
    return BatchSpec(entries=tuple(entries), combined=comb, title="; ".join(t for t in titles if t), source=source)


# ------------------------------------------------------------------------------------------ inputs digest

def prepare_config(entry: BatchEntry, output: str | os.PathLike[str], data_dir: str | os.PathLike[str] | None):
    """The run configuration of one entry: its run file with the overrides merged in and,
    when asked for, the SYNTHETIC inputs generated into ``output/_synthetic_inputs/<name>/``."""
    from ..synthetic.fill import fill_region
    from .pipeline import RunConfig, load_config

    cfg = load_config(entry.run)
    raw = _merge(cfg.raw, entry.overrides)
    region = cfg.region
    if entry.synthetic_inputs:
        if "facilities" in entry.synthetic_inputs and (raw.get("coverage") or {}).get("facilities"):
            raise InvalidInputError("synthetic facilities requested, but the run file names real facility layers",
                                    file=str(cfg.path) if cfg.path else entry.run, field="synthetic_inputs")
        filled = fill_region(region, Path(output) / SYNTHETIC_DIR / entry.name, entry.synthetic_inputs,
                             options=entry.fill, data_dir=data_dir)
        # The pipeline loads the derived region file; the parameters keep the region as the run
        # file names it (so the inputs digest does not depend on where OUTDIR is) and record
        # what was generated. The derived file itself is an input (its path and sha256 are in
        # the manifest).
        region = str(filled.region_file.resolve())
        raw["synthetic"] = {"inputs": list(filled.inputs), "generator": FILL_GENERATOR,
                            "options": json.loads(json.dumps(asdict(entry.fill)))}
    return RunConfig(region=region, path=cfg.path, raw=raw)


def expected_inputs(config, data_dir: str | os.PathLike[str] | None = None) -> dict[str, Path]:
    """The input files a run of ``config`` records (see :func:`jangkau.workflow.pipeline.resolve_inputs`)."""
    from .pipeline import resolve_inputs

    return resolve_inputs(config, data_dir)


def inputs_digest_of(config, data_dir: str | os.PathLike[str] | None = None) -> str:
    """The ``inputs_digest`` that :func:`jangkau.workflow.pipeline.run` would write into manifest.json
    for ``config``, computed without running (hashes of :func:`expected_inputs` and the run
    parameters, by :func:`jangkau.workflow.pipeline.inputs_digest`). A missing input raises
    DataFileError naming it."""
    from .pipeline import RunConfig, input_sha256, inputs_digest, load_config

    cfg = config if isinstance(config, RunConfig) else load_config(config)
    files = expected_inputs(cfg, data_dir)
    for label, p in files.items():
        if not p.is_file():
            raise DataFileError(f"input '{label}' not found", file=str(p))
    return inputs_digest({k: {"sha256": input_sha256(p)} for k, p in files.items()}, cfg.raw)


def _up_to_date(out: Path, digest: str) -> bool:
    """True when ``out/manifest.json`` has ``digest`` and every output it lists is intact."""

    manifest = out / "manifest.json"
    if not manifest.is_file():
        return False
    try:
        m = json.loads(manifest.read_text(encoding="utf-8"))
    except ValueError:
        return False
    if m.get("inputs_digest") != digest:
        return False
    outputs = m.get("outputs") or {}
    return all((out / name).is_file() and sha256_file(out / name) == h for name, h in outputs.items())


# ------------------------------------------------------------------------------------------ one task

def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def run_entry(entry: BatchEntry, output: str, data_dir: str | None = None, force: bool = False) -> dict:
    """Run one region of a batch (the task each Dask worker executes). Never raises: returns
    a status row (region, status ok/failed/skipped, error, seconds, synthetic_inputs,
    inputs_digest). The pipeline's own log messages are silenced below ERROR while it runs
    (they are kept in the region's manifest.json and report.html)."""
    from .pipeline import run as run_pipeline

    t0 = time.perf_counter()
    row = {"region": entry.name, "status": "failed", "error": "", "seconds": 0.0,
           "synthetic_inputs": ";".join(entry.synthetic_inputs), "inputs_digest": ""}
    logger = logging.getLogger("jangkau")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        out = Path(output) / entry.name
        cfg = prepare_config(entry, output, data_dir)
        digest = inputs_digest_of(cfg, data_dir)
        row["inputs_digest"] = digest
        if not force and _up_to_date(out, digest):
            row["status"] = "skipped"
        else:
            result = run_pipeline(cfg, out, data_dir=data_dir)
            if result.manifest.get("inputs_digest") != digest:
                # The rule mirrored in expected_inputs() drifted from the pipeline: say so
                # rather than skip wrongly on the next run.
                row["error"] = "warning: manifest inputs_digest differs from the precomputed one (rerun will not skip)"
            row["status"] = "ok"
    except Exception as exc:  # noqa: BLE001 - one region failing must not stop the batch
        row["status"] = "failed"
        row["error"] = _one_line(exc)
    finally:
        logger.setLevel(level)
    row["seconds"] = round(time.perf_counter() - t0, 2)
    return row


# ------------------------------------------------------------------------------------------ combined ranking

def _read_region_outputs(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, gpd.GeoDataFrame, dict]:
    from ..data.io import read_vector

    need = ["indicators_kecamatan.csv", "pilots.csv", "pilots.geojson", "manifest.json"]
    for n in need:
        if not (folder / n).is_file():
            raise DataFileError("region output missing (was the region run?)", file=str(folder / n))
    ind = pd.read_csv(folder / "indicators_kecamatan.csv", dtype={"code": str})
    pil = pd.read_csv(folder / "pilots.csv", dtype={"code": str, "dapil": str}, keep_default_na=False,
                      na_values={"score": [""], "rank": [""]})
    geo = read_vector(folder / "pilots.geojson")
    geo["code"] = geo["code"].astype(str)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return ind, pil, geo, manifest


def _truthy(v: Any) -> bool:
    if isinstance(v, str):
        return v.strip().lower() in ("1", "true", "yes")
    return bool(v) and not (isinstance(v, float) and math.isnan(v))


def _rank_or_minus_one(pilots: pd.DataFrame, code: str) -> int:
    """The zone's rank in its region's pilots table; -1 when there is no rank column or no rank."""
    if "rank" not in pilots.columns:
        return -1
    r = pilots["rank"].get(code)
    return -1 if r is None or pd.isna(r) else int(r)


def combined_ranking(folders: Mapping[str, str | os.PathLike[str]], *, method: str = "topsis",
                     mode: str = "need", normalisation: str = "min_max",
                     weights: Mapping[str, float] | None = None,
                     synthetic_inputs: Mapping[str, Sequence[str]] | None = None
                     ) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Rank the kecamatan of several regions together.

    ``folders``: region name → its pipeline output folder (indicators_kecamatan.csv,
    pilots.csv, pilots.geojson). The indicators used are ``weights``' keys, else every
    catalogue indicator present without gaps in *every* region (so all zones are scored on
    the same criteria); they are oriented and normalised jointly over all regions'
    kecamatan (:func:`jangkau.selection.indicators.criteria_matrix`), weighted with the same weights
    (equal by default) and scored by ``method`` ("topsis" or "weighted_sum"); ranks are
    1 = highest score, ties by region then code.

    Returns (ranking, criteria): the ranking (EPSG:4326, sorted by rank) has rank, region,
    code, name, dapil, score, selected_in_region, rank_in_region, synthetic,
    synthetic_inputs, the raw indicator values and geometry; criteria has one row per
    criterion with indicator, benefit, weight, min and max over all regions.
    """
    from ..selection.indicators import IndicatorCatalogue, criteria_matrix, parse_enum
    from ..selection.ranking import Method, WeightSpec, rank_order, topsis, weighted_sum

    if not folders:
        raise InvalidInputError("no region outputs to rank")
    catalogue = IndicatorCatalogue.default()
    synthetic_inputs = synthetic_inputs or {}
    tables, infos, geoms = [], [], []
    for region in sorted(folders):
        ind, pil, geo, manifest = _read_region_outputs(Path(folders[region]))
        key = region + "/" + ind["code"]
        t = ind.drop(columns=["code"]).set_index(pd.Index(key, name="zone"))
        tables.append((region, t))
        p = pil.set_index("code")
        codes = ind["code"].tolist()
        labels = synthetic_inputs.get(region, ())
        infos.append(pd.DataFrame({
            "region": region, "code": codes,
            "name": [str(p["name"].get(c, "")) for c in codes],
            "dapil": [str(p["dapil"].get(c, "")) if "dapil" in p.columns else "" for c in codes],
            "selected_in_region": [_truthy(p["selected"].get(c, False)) if "selected" in p.columns else False
                                   for c in codes],
            "rank_in_region": [_rank_or_minus_one(p, c) for c in codes],
            "synthetic": bool((manifest.get("region") or {}).get("synthetic", False)) or bool(labels),
            "synthetic_inputs": ";".join(labels),
        }, index=pd.Index(key, name="zone")))
        g = geo.set_index(pd.Index(region + "/" + geo["code"], name="zone"))[["geometry"]]
        geoms.append(g.to_crs("EPSG:4326"))
    if weights:
        names = [str(k) for k in weights]
        for region, t in tables:
            missing = [n for n in names if n not in t.columns or t[n].isna().any()]
            if missing:
                raise InvalidInputError(f"indicator '{missing[0]}' is missing or incomplete in region '{region}'",
                                        field=missing[0])
    else:
        names = [c for c in tables[0][1].columns if catalogue.find(c) is not None]
        names = [c for c in names if all(c in t.columns and t[c].notna().all() for _r, t in tables)]
        if not names:
            raise InvalidInputError("the regions share no complete indicator: nothing to rank on")
    table = pd.concat([t[names] for _r, t in tables]).astype(float)
    cm = criteria_matrix(table, catalogue, indicators=names, mode=mode, normalisation=normalisation)
    spec = WeightSpec(indicator_weights=pd.Series({n: float((weights or {}).get(n, 1.0)) for n in names}),
                      source="batch [combined]")
    w = spec.criterion_weights(cm)
    m = parse_enum(Method, method, field="method")
    if m is Method.WEIGHTED_SUM:
        scores = weighted_sum(cm.normalised.to_numpy(), w.to_numpy())
    else:
        scores = topsis(cm.raw.to_numpy(), w.to_numpy(), cm.criteria["benefit"].to_numpy())
    zones = cm.zones.astype(str)
    ranks = rank_order(scores, np.asarray(zones))
    info = pd.concat(infos)
    out = info.reindex(cm.zones).copy()
    out.insert(0, "rank", ranks)
    out.insert(5, "score", scores)
    for n in names:
        out[n] = table[n].reindex(cm.zones).to_numpy()
    geometry = pd.concat(geoms)["geometry"].reindex(cm.zones)
    out = gpd.GeoDataFrame(out, geometry=geometry.to_numpy(), crs="EPSG:4326")
    out = out.sort_values(["rank"], kind="stable").reset_index(drop=True)
    criteria = cm.criteria.reset_index()[["criterion", "indicator", "side", "benefit", "dimension"]]
    criteria["weight"] = w.reindex(cm.criteria.index).to_numpy()
    criteria["min"] = cm.raw.min().to_numpy()
    criteria["max"] = cm.raw.max().to_numpy()
    criteria["method"] = m.value
    criteria["normalisation"] = cm.normalisation.value
    return out, criteria


# ------------------------------------------------------------------------------------------ the batch

@dataclass
class BatchResult:
    """What a batch did: one status row per region (in list order), the combined ranking
    (None when no region has outputs) and the output folder."""

    output: Path
    status: pd.DataFrame
    combined: gpd.GeoDataFrame | None
    combined_error: str = ""

    @property
    def failed(self) -> list[str]:
        """Names of the regions that failed."""
        return self.status.loc[self.status["status"] == "failed", "region"].tolist()


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    with atomic_output(path, "w") as f:
        frame.to_csv(f, index=False, lineterminator="\n")


def _cluster(workers: int | None, scheduler: str | None, n_tasks: int):
    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler), None
    n = int(workers) if workers else (os.cpu_count() or 1)
    if n < 1:
        raise InvalidInputError(f"workers must be ≥ 1, got {n}", field="workers")
    n = max(1, min(n, n_tasks))
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=logging.ERROR)
    return Client(cluster), cluster


def run_batch(batch: BatchSpec | str | os.PathLike[str] | Sequence[str], output: str | os.PathLike[str], *,
              workers: int | None = None, scheduler: str | None = None, force: bool = False,
              data_dir: str | os.PathLike[str] | None = None, progress: bool = True) -> BatchResult:
    """Run every region of ``batch`` (a :class:`BatchSpec` or what :func:`load_batch`
    takes) into ``output/<name>/`` as independent Dask tasks, then write batch_status.csv and
    the combined ranking. ``workers``: processes of the LocalCluster (default: the machine's
    cores, at most one per region); ``scheduler``: address of an existing cluster instead
    (its workers must see ``output`` and the data directory at the same paths).
    ``force`` reruns regions whose outputs are up to date. ``progress`` draws a tqdm bar."""
    from distributed import as_completed
    from tqdm import tqdm

    from ..data.paths import data_dir as resolve_data_dir

    spec = batch if isinstance(batch, BatchSpec) else load_batch(batch)
    out = Path(output).resolve()
    if out.exists() and not out.is_dir():
        raise DataFileError("output exists and is not a directory", file=str(out))
    out.mkdir(parents=True, exist_ok=True)
    ddir = resolve_data_dir(data_dir, required=False)
    ddir_s = str(ddir) if ddir is not None else None
    rows: dict[str, dict] = {}
    client, cluster = _cluster(workers, scheduler, len(spec.entries))
    try:
        token = uuid.uuid4().hex[:8]
        futures = {client.submit(run_entry, e, str(out), ddir_s, force, key=f"jangkau-batch-{e.name}-{token}",
                                 pure=False, retries=0): e for e in spec.entries}
        bar = tqdm(total=len(futures), desc="jangkau batch", unit="region", disable=not progress, file=sys.stderr)
        try:
            for fut in as_completed(futures):
                entry = futures[fut]
                try:
                    row = fut.result()
                except Exception as exc:  # noqa: BLE001 - e.g. a worker died (KilledWorker)
                    row = {"region": entry.name, "status": "failed", "error": _one_line(exc), "seconds": float("nan"),
                           "synthetic_inputs": ";".join(entry.synthetic_inputs), "inputs_digest": ""}
                rows[entry.name] = row
                if row["status"] == "failed":
                    log.error("%s failed: %s", entry.name, row["error"])
                bar.set_postfix_str(f"{entry.name} {row['status']}")
                bar.update(1)
        finally:
            bar.close()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    status = pd.DataFrame([rows[e.name] for e in spec.entries], columns=STATUS_COLUMNS)
    _write_csv(status, out / "batch_status.csv")

    done = {r["region"]: out / r["region"] for _i, r in status.iterrows() if r["status"] in ("ok", "skipped")}
    combined = None
    combined_error = ""
    if done:
        from ..data.io import write

        opts = dict(spec.combined)
        try:
            combined, criteria = combined_ranking(
                done, method=opts.get("method", "topsis"), mode=opts.get("mode", "need"),
                normalisation=opts.get("normalisation", "min_max"), weights=opts.get("weights"),
                synthetic_inputs={e.name: e.synthetic_inputs for e in spec.entries})
        except (JangkauError, ValueError, OSError) as exc:
            combined_error = _one_line(exc)
            log.error("combined ranking failed: %s", combined_error)
        else:
            write(pd.DataFrame(combined.drop(columns="geometry")), out / "combined_ranking.csv")
            write(combined, out / "combined_ranking.geojson")
            write(criteria, out / "combined_criteria.csv")
    return BatchResult(output=out, status=status, combined=combined, combined_error=combined_error)
