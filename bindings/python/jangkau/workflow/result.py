"""What a pipeline run produced, as one public object: the files written and, in memory,
the region, tables, layers, warnings and notes they were written from. The pipeline
(:mod:`.pipeline`) fills it step by step; the report (:mod:`.report`) is drawn from it.

This module imports neither of them, so neither can import the other back."""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..util import stale_pid

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
    import pandas as pd

    from ..data.region import Region

__all__ = ["RunResult", "backup_folder", "clean_stale_staging", "staging_folder"]

log = logging.getLogger("jangkau")


@dataclass
class RunResult:
    """What a run produced.

    ``output`` is the output folder, ``files`` the names written there, ``warnings`` the
    warnings raised (each once), ``timings_s`` the seconds per step and ``manifest`` the
    contents of ``manifest.json``; ``files`` and ``manifest`` are filled when the run has
    finished. The rest is what those files were written from: the loaded ``region``, the
    ``inputs`` (label → path, as recorded in the manifest), ``tables`` (name → DataFrame:
    ``coverage``, ``access_*``, ``dapil_plan``, ``pilots``, ``sites_summary``, ...), ``layers``
    (name → GeoDataFrame: the zones per level with their indicators, ``gaps_<type>``,
    ``isochrones``, ``pilots``, ``sites``), the facilities read (None when the run had none)
    and ``notes`` on what each step did.
    """

    output: Path
    files: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    timings_s: dict[str, float] = field(default_factory=dict)
    manifest: dict = field(default_factory=dict)
    region: Region | None = field(default=None, repr=False)
    inputs: dict[str, Path] = field(default_factory=dict, repr=False)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict, repr=False)
    facilities: gpd.GeoDataFrame | None = field(default=None, repr=False)
    notes: list[str] = field(default_factory=list, repr=False)
    #: Steps that did not run (or ran only in part), step → reason; also in manifest.json.
    skipped: dict[str, str] = field(default_factory=dict)

    def loaded_region(self) -> Region:
        """The region the run loaded (its first step); an error for a result no run filled."""
        if self.region is None:
            from ..errors import InvalidInputError

            raise InvalidInputError("this run result has no region (its zones step did not run)", file=str(self.output))
        return self.region

    def explore(self, column: str | None = None, **kwargs):
        """The interactive map of this run (every layer of its output folder: zones with their
        indicators, facilities, gaps, isochrones, pilots, sites...), as in its report.html;
        displays in Jupyter."""
        from .report_html import explore_run

        return explore_run(self, column=column, **kwargs)


# ------------------------------------------------------------------------ staging folders
#
# A run writes into ``.NAME.partial-PID`` beside its output folder NAME and, at the end,
# renames the old NAME to ``.NAME.old-PID`` and the staging folder to NAME. A run killed
# (kill -9, power loss) leaves those behind; the next run for the same output cleans them.


def staging_folder(out: Path) -> Path:
    """A new, empty staging folder ``.NAME.partial-PID`` beside the output folder ``out``,
    after :func:`clean_stale_staging`."""
    clean_stale_staging(out)
    staging = out.parent / f".{out.name}.partial-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    return staging


def backup_folder(out: Path) -> Path:
    """Where the previous output folder is kept while the new one is renamed into place."""
    return out.parent / f".{out.name}.old-{os.getpid()}"


def clean_stale_staging(out: Path) -> list[Path]:
    """Removes the staging folders (``.NAME.partial-PID``) of runs whose process is dead; a
    backup (``.NAME.old-PID``) of a dead run is put back as ``out`` when ``out`` is missing
    (the run died between its two renames), else removed. Folders of live processes are
    kept. Returns the folders removed or restored."""
    done: list[Path] = []
    try:
        entries = sorted(out.parent.iterdir())
    except OSError:
        return done
    for entry in entries:
        if not entry.is_dir() or entry.is_symlink():
            continue
        if stale_pid(entry.name, f".{out.name}.partial-") is not None:
            shutil.rmtree(entry, ignore_errors=True)
            log.info("removed the staging folder of an interrupted run: %s", entry)
            done.append(entry)
        elif stale_pid(entry.name, f".{out.name}.old-") is not None:
            if not out.exists():
                entry.rename(out)
                log.warning("restored %s from the backup of an interrupted run (%s)", out, entry.name)
            else:
                shutil.rmtree(entry, ignore_errors=True)
                log.info("removed the backup folder of an interrupted run: %s", entry)
            done.append(entry)
    return done
