"""Download the public data a region needs (``jangkau data fetch``).

The catalogue ``datasets/sources.toml`` lists, per source, a URL, the path the file gets in
the data directory, its sha256 (or ``"unknown"`` where the publisher changes the file or
publishes no checksum), its size where known, and its licence; and, per region, which
sources it needs. Files land in the user cache (:func:`jangkau.data.cache_dir`), laid out as
a data directory, so ``Region.load("serang")`` finds them there.

Downloads are resumable and atomic: bytes go to ``<file>.part``; an interrupted transfer is
resumed with an HTTP ``Range`` request (retried with exponential backoff); the file gets its
final name only after its checksum is verified. For a source whose checksum is unknown, the
sha256 of the first download is recorded in ``sources.lock.json`` in the cache and every later
use verifies the file against it. Only the standard library (urllib) talks HTTP.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import http.client
import json
import logging
import os
import re
import socket
import time
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import DataFileError, InvalidInputError
from ..util import atomic_write_text, dataset_path, sha256_file
from .paths import cache_dir

__all__ = ["LOCK_FILE", "UNKNOWN", "Catalogue", "Source", "catalogue_path", "fetch", "fetch_hint", "fetched_file",
           "load_catalogue", "sha256_file", "status"]

log = logging.getLogger("jangkau")

#: Name of the lock/manifest file kept in the cache directory.
LOCK_FILE = "sources.lock.json"
#: Value of ``sha256`` in the catalogue for a source without a published checksum.
UNKNOWN = "unknown"
#: Environment variable naming another catalogue file.
CATALOGUE_ENV = "JANGKAU_SOURCES"
#: Environment variable naming a mirror: a base URL under which every source is found at its
#: ``path`` (the mirror is laid out as a data directory), used instead of the catalogue's URLs.
MIRROR_ENV = "JANGKAU_MIRROR"

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1 << 16


@dataclass(frozen=True)
class Source:
    """One downloadable file of the catalogue."""

    #: Identifier (the key under ``[sources]``).
    id: str
    #: URL to download (http or https).
    url: str
    #: Destination, relative to the data directory (forward slashes).
    path: str
    #: Expected sha256 (lower-case hex), or None when unknown (then the lock file pins it).
    sha256: str | None
    #: Expected size in bytes, or None when unknown.
    size: int | None
    #: One-line description.
    title: str = ""
    #: Licence of the data, e.g. "ODbL 1.0".
    licence: str = ""
    #: Attribution required by the licence.
    attribution: str = ""
    #: Free-text notes (why there is no checksum, how to pin a version, ...).
    notes: str = ""


@dataclass(frozen=True)
class Catalogue:
    """The parsed ``sources.toml``: sources by id and, per region, the ids it needs."""

    path: Path
    sources: dict[str, Source]
    regions: dict[str, tuple[str, ...]]

    def select(self, names: list[str] | tuple[str, ...]) -> list[Source]:
        """Sources for region names or source ids (in catalogue order, each once).

        Raises :class:`~jangkau.errors.InvalidInputError` for a name that is neither.
        """
        wanted: set[str] = set()
        for name in names:
            if name in self.regions:
                wanted.update(self.regions[name])
            elif name in self.sources:
                wanted.add(name)
            else:
                raise InvalidInputError(
                    f"'{name}' is neither a region nor a source in the catalogue (regions: "
                    f"{', '.join(sorted(self.regions))})", file=str(self.path), field=name)
        return [s for sid, s in self.sources.items() if sid in wanted]


def catalogue_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The catalogue file: ``explicit``, else ``$JANGKAU_SOURCES``, else the ``sources.toml``
    shipped in the package's ``datasets`` folder or in ``datasets/`` of a checkout."""
    if explicit is not None:
        return Path(explicit).expanduser()
    env = os.environ.get(CATALOGUE_ENV)
    if env:
        return Path(env).expanduser()
    return dataset_path("sources.toml")


def load_catalogue(path: str | os.PathLike[str] | None = None) -> Catalogue:
    """Read and check a catalogue (see :func:`catalogue_path` for the default).

    Raises :class:`~jangkau.errors.DataFileError` if it cannot be read and
    :class:`~jangkau.errors.InvalidInputError` naming the source and key for bad entries.
    """
    p = catalogue_path(path)
    try:
        cfg = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataFileError(f"data catalogue '{p}' not found (set {CATALOGUE_ENV} or pass --catalogue)",
                            file=str(p)) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"data catalogue is not valid TOML: {exc}", file=str(p)) from None
    if cfg.get("format") != 1:
        raise InvalidInputError("data catalogue needs 'format = 1'", file=str(p), field="format")
    sources: dict[str, Source] = {}
    for sid, entry in cfg.get("sources", {}).items():
        where = f"sources.{sid}"
        for key in ("url", "path", "sha256"):
            if key not in entry:
                raise InvalidInputError(f"[{where}] lacks '{key}'", file=str(p), field=key)
        url = str(entry["url"])
        if not url.startswith(("http://", "https://")):
            raise InvalidInputError(f"[{where}] url must be http(s): {url}", file=str(p), field="url")
        rel = str(entry["path"])
        if rel.startswith("/") or ".." in Path(rel).parts:
            raise InvalidInputError(f"[{where}] path must stay inside the data directory: {rel}",
                                    file=str(p), field="path")
        sha = str(entry["sha256"]).lower()
        if sha != UNKNOWN and not _SHA256.match(sha):
            raise InvalidInputError(f"[{where}] sha256 must be 64 hex digits or \"{UNKNOWN}\"",
                                    file=str(p), field="sha256")
        size = entry.get("size")
        if size is not None and (not isinstance(size, int) or size < 0):
            raise InvalidInputError(f"[{where}] size must be a byte count", file=str(p), field="size")
        known = {"url", "path", "sha256", "size", "title", "licence", "attribution", "notes", "upstream"}
        extra = sorted(set(entry) - known)
        if extra:
            raise InvalidInputError(f"[{where}] unknown key '{extra[0]}'", file=str(p), field=extra[0])
        sources[sid] = Source(id=sid, url=url, path=rel, sha256=None if sha == UNKNOWN else sha, size=size,
                              title=str(entry.get("title", "")), licence=str(entry.get("licence", "")),
                              attribution=str(entry.get("attribution", "")), notes=str(entry.get("notes", "")))
    paths: dict[str, str] = {}
    for s in sources.values():
        if s.path in paths:
            raise InvalidInputError(f"sources '{paths[s.path]}' and '{s.id}' both write '{s.path}'",
                                    file=str(p), field="path")
        paths[s.path] = s.id
    regions: dict[str, tuple[str, ...]] = {}
    for name, entry in cfg.get("regions", {}).items():
        ids = tuple(entry.get("sources", []))
        for sid in ids:
            if sid not in sources:
                raise InvalidInputError(f"[regions.{name}] names unknown source '{sid}'", file=str(p), field=sid)
        regions[name] = ids
    return Catalogue(path=p, sources=sources, regions=regions)


# --------------------------------------------------------------------------------------------
# lock file


def _read_lock(dest: Path) -> dict:
    p = dest / LOCK_FILE
    if not p.is_file():
        return {"format": 1, "files": {}}
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataFileError(f"lock file is damaged ({exc}); delete it and run 'jangkau data fetch --force'",
                            file=str(p)) from None
    doc.setdefault("files", {})
    return doc


def _write_lock(dest: Path, doc: dict) -> None:
    atomic_write_text(dest / LOCK_FILE, json.dumps(doc, indent=2, sort_keys=True) + "\n")


# --------------------------------------------------------------------------------------------
# fetching


@dataclass
class _Settings:
    force: bool
    dry_run: bool
    progress: bool
    retries: int
    backoff_s: float
    timeout_s: float


class _Retryable(Exception):
    """A failure worth another attempt (connection dropped, short body, 5xx)."""


def fetch(names: str | list[str] | tuple[str, ...], *, catalogue: Catalogue | str | os.PathLike[str] | None = None,
          dest: str | os.PathLike[str] | None = None, force: bool = False, dry_run: bool = False,
          progress: bool = True, retries: int = 5, backoff_s: float = 1.0, timeout_s: float = 60.0,
          mirror: str | None = None) -> pd.DataFrame:
    """Download the sources of regions (or single source ids) into ``dest`` (default: the
    user cache directory).

    ``mirror`` (default: ``$JANGKAU_MIRROR``, else none) is a base URL laid out as a data
    directory: each source is downloaded from ``<mirror>/<path>`` instead of its catalogue URL
    (an offline copy, an institutional mirror, a local test server); checksums are verified
    the same way and the lock file records the URL actually used.

    Returns one row per source: ``source``, ``path`` (absolute), ``action`` (``cached``,
    ``downloaded``, ``adopted``, or with ``dry_run`` ``would download``/``would resume``/
    ``would verify``), ``bytes``, ``sha256`` (None in a dry run) and ``pinned`` (the catalogue
    gives the checksum). ``force`` downloads again even when a verified copy exists.

    Raises :class:`~jangkau.errors.DataFileError` naming the URL and the file on HTTP errors,
    exhausted retries and checksum mismatches (a mismatching download is deleted).
    """
    cat = catalogue if isinstance(catalogue, Catalogue) else load_catalogue(catalogue)
    selected = cat.select([names] if isinstance(names, str) else list(names))
    target = Path(dest).expanduser() if dest is not None else cache_dir()
    base = mirror if mirror is not None else os.environ.get(MIRROR_ENV) or None
    if base is not None:
        if not base.startswith(("http://", "https://")):
            raise InvalidInputError(f"mirror must be an http(s) URL, not '{base}'", field="mirror")
        selected = [dataclasses.replace(s, url=f"{base.rstrip('/')}/{s.path}") for s in selected]
    settings = _Settings(force=force, dry_run=dry_run, progress=progress, retries=max(0, int(retries)),
                         backoff_s=float(backoff_s), timeout_s=float(timeout_s))
    rows = [_fetch_one(src, target, settings) for src in selected]
    return pd.DataFrame(rows, columns=["source", "path", "action", "bytes", "sha256", "pinned"])


def _fetch_one(src: Source, dest: Path, st: _Settings) -> dict:
    final = dest / src.path
    part = final.with_name(final.name + ".part")
    row: dict[str, Any] = {"source": src.id, "path": str(final), "action": "", "bytes": None, "sha256": None,
                           "pinned": src.sha256 is not None}
    lock: dict[str, Any] = _read_lock(dest) if dest.is_dir() else {"format": 1, "files": {}}
    recorded = lock["files"].get(src.path, {}).get("sha256")
    if recorded is not None and lock["files"][src.path].get("url") != src.url:
        recorded = None  # the catalogue points elsewhere now: the old record says nothing

    if st.dry_run:
        if final.is_file() and not st.force:
            row.update(action="would verify", bytes=final.stat().st_size)
        elif part.is_file() and not st.force:
            row.update(action="would resume", bytes=part.stat().st_size)
        else:
            row.update(action="would download", bytes=src.size)
        return row

    if final.is_file() and not st.force:
        got = sha256_file(final)
        expected = src.sha256 or recorded
        if expected is None:
            # A file put there by hand: keep it and pin what it is now.
            log.warning("%s: no checksum known for %s; recording the sha256 of the file found", src.id, final)
            _record(dest, src, got, final.stat().st_size, adopted=True)
            row.update(action="adopted", bytes=final.stat().st_size, sha256=got)
            return row
        if got == expected:
            row.update(action="cached", bytes=final.stat().st_size, sha256=got)
            return row
        if src.sha256 is None:
            raise DataFileError(
                f"cached file '{final}' no longer matches the sha256 recorded when it was downloaded from "
                f"{src.url} ({expected[:12]}…, now {got[:12]}…); run 'jangkau data fetch --force' to download "
                f"it again", file=str(final))
        log.warning("%s: cached copy %s is damaged (sha256 %s…); downloading it again", src.id, final, got[:12])

    if st.force:
        part.unlink(missing_ok=True)
    final.parent.mkdir(parents=True, exist_ok=True)
    _download(src, part, final, st)
    got = sha256_file(part)
    size = part.stat().st_size
    if src.sha256 is not None and got != src.sha256:
        part.unlink(missing_ok=True)
        raise DataFileError(
            f"checksum mismatch for {src.url}: expected sha256 {src.sha256}, got {got} ({size} bytes); "
            f"the download was deleted, nothing was written to '{final}'", file=str(final))
    if src.size is not None and size != src.size:
        part.unlink(missing_ok=True)
        raise DataFileError(f"size mismatch for {src.url}: expected {src.size} bytes, got {size}; the download "
                            f"was deleted, nothing was written to '{final}'", file=str(final))
    with open(part, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(part, final)
    _record(dest, src, got, size, adopted=False)
    row.update(action="downloaded", bytes=size, sha256=got)
    return row


def _record(dest: Path, src: Source, sha: str, size: int, *, adopted: bool) -> None:
    lock = _read_lock(dest)
    lock["format"] = 1
    lock["files"][src.path] = {
        "source": src.id,
        "url": src.url,
        "sha256": sha,
        "bytes": size,
        "pinned": src.sha256 is not None,
        "adopted": adopted,
        "recorded_utc": _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat(),
    }
    _write_lock(dest, lock)


def _user_agent() -> str:
    try:
        from importlib.metadata import version
        return f"jangkau/{version('jangkau')}"
    except Exception:  # noqa: BLE001 - an uninstalled checkout still downloads
        return "jangkau"


def _download(src: Source, part: Path, final: Path, st: _Settings) -> None:
    """Fill ``part`` with the whole body of ``src.url``, resuming what is there."""
    attempt = 0
    while True:
        try:
            _transfer(src, part, final, st)
            return
        except urllib.error.HTTPError as exc:
            if exc.code in (408, 425, 429) or 500 <= exc.code < 600:
                err: Exception = exc
            else:
                raise DataFileError(f"HTTP {exc.code} {exc.reason} for {src.url} (downloading '{final}')",
                                    file=str(final)) from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, socket.gaierror):
                raise DataFileError(f"cannot resolve the host of {src.url} ({exc.reason}); are you offline? "
                                    f"(downloading '{final}')", file=str(final)) from None
            err = exc
        except (_Retryable, http.client.HTTPException, ConnectionError, TimeoutError) as exc:
            err = exc
        attempt += 1
        if attempt > st.retries:
            have = part.stat().st_size if part.exists() else 0
            raise DataFileError(
                f"download of {src.url} failed after {st.retries} retries ({err}); {have} bytes kept in '{part}', "
                f"run the same command again to resume", file=str(final))
        delay = min(st.backoff_s * 2 ** (attempt - 1), 60.0)
        log.info("%s: %s; retry %d/%d in %.1f s", src.id, err, attempt, st.retries, delay)
        time.sleep(delay)


_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


def _transfer(src: Source, part: Path, final: Path, st: _Settings) -> None:
    have = part.stat().st_size if part.exists() else 0
    req = urllib.request.Request(src.url, headers={"User-Agent": _user_agent(), "Accept-Encoding": "identity"})
    if have:
        req.add_header("Range", f"bytes={have}-")
    try:
        resp = urllib.request.urlopen(req, timeout=st.timeout_s)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:
            # Nothing left to send: the part file is complete (the checksum decides).
            return
        raise
    with resp:
        total: int | None
        length = resp.headers.get("Content-Length")
        if have and resp.status == 206:
            m = _CONTENT_RANGE.match(resp.headers.get("Content-Range", ""))
            if not m or int(m.group(1)) != have:
                part.unlink(missing_ok=True)
                raise _Retryable(f"server answered a different range ({resp.headers.get('Content-Range')})")
            total = int(m.group(3)) if m.group(3) != "*" else None
            mode = "ab"
        else:
            if have:
                log.info("%s: server does not resume; starting again", src.id)
            have = 0
            total = int(length) if length is not None else src.size
            mode = "wb"
        bar = _progress_bar(st.progress, total, have, src)
        try:
            with open(part, mode) as f:
                while True:
                    chunk = resp.read(_CHUNK)
                    if not chunk:
                        break
                    f.write(chunk)
                    have += len(chunk)
                    if bar is not None:
                        bar.update(len(chunk))
                f.flush()
        finally:
            if bar is not None:
                bar.close()
    if total is not None and have < total:
        raise _Retryable(f"connection closed after {have} of {total} bytes")


def _progress_bar(enabled: bool, total: int | None, initial: int, src: Source):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, unit="B", unit_scale=True, unit_divisor=1024,
                desc=src.id, leave=False, disable=None)


# --------------------------------------------------------------------------------------------
# what is in the cache


def fetched_file(source_id: str, data_dir: str | os.PathLike[str] | None = None, *,
                 catalogue: Catalogue | str | os.PathLike[str] | None = None) -> tuple[Source, Path | None]:
    """The catalogue entry of ``source_id`` and where its file is: ``<data_dir>/<path>`` if that
    file exists, else ``<download cache>/<path>`` (:func:`jangkau.data.cache_dir`, where
    ``jangkau data fetch`` puts it) if that one does, else None (not fetched; a ``.part`` file
    of an unfinished download does not count). Existence only: the checksum is verified by
    ``jangkau data fetch`` and ``jangkau data status --verify``.

    Raises :class:`~jangkau.errors.InvalidInputError` naming the source for an id the catalogue
    does not list.
    """
    cat = catalogue if isinstance(catalogue, Catalogue) else load_catalogue(catalogue)
    src = cat.sources.get(source_id)
    if src is None:
        raise InvalidInputError(f"unknown data source '{source_id}' (sources: {', '.join(sorted(cat.sources))})",
                                file=str(cat.path), field=source_id)
    for base in ([Path(data_dir)] if data_dir is not None else []) + [cache_dir()]:
        if (base / src.path).is_file():
            return src, base / src.path
    return src, None


def fetch_hint(source_id: str, region: str) -> str:
    """What to tell a user whose input ``source_id`` is not fetched yet:
    ``"<source> not fetched; run `jangkau data fetch <target>`"``, the target being ``region``
    when the catalogue lists the source among that region's sources (one command fetches all
    it needs), else the source id itself."""
    cat = load_catalogue()
    target = region if source_id in cat.regions.get(region, ()) else source_id
    return f"{source_id} not fetched; run `jangkau data fetch {target}`"

def status(names: str | list[str] | tuple[str, ...] | None = None, *,
           catalogue: Catalogue | str | os.PathLike[str] | None = None,
           dest: str | os.PathLike[str] | None = None, verify: bool = False) -> pd.DataFrame:
    """The catalogue (or the sources of ``names``) and what the cache holds of it.

    Columns: ``source``, ``regions`` (comma-separated), ``path`` (relative), ``state``
    (``present``, ``verified``, ``mismatch``, ``partial``, ``missing``), ``bytes``,
    ``checksum`` (``catalogue``, ``lock`` or ``unknown``), ``licence`` and ``url``. ``verify``
    hashes present files (``verified`` or ``mismatch``); otherwise they are ``present``.
    """
    cat = catalogue if isinstance(catalogue, Catalogue) else load_catalogue(catalogue)
    target = Path(dest).expanduser() if dest is not None else cache_dir()
    sources = cat.select([names] if isinstance(names, str) else list(names)) if names else list(cat.sources.values())
    lock = _read_lock(target) if target.is_dir() else {"files": {}}
    rows = []
    for s in sources:
        final = target / s.path
        part = final.with_name(final.name + ".part")
        rec = lock["files"].get(s.path, {})
        recorded = rec.get("sha256") if rec.get("url") == s.url else None
        expected = s.sha256 or recorded
        checksum = "catalogue" if s.sha256 else ("lock" if recorded else "unknown")
        if final.is_file():
            size = final.stat().st_size
            state = "present"
            if verify and expected is not None:
                state = "verified" if sha256_file(final) == expected else "mismatch"
        elif part.is_file():
            size, state = part.stat().st_size, "partial"
        else:
            size, state = None, "missing"
        rows.append({"source": s.id, "regions": ",".join(r for r, ids in cat.regions.items() if s.id in ids),
                     "path": s.path, "state": state, "bytes": size, "checksum": checksum,
                     "licence": s.licence, "url": s.url})
    return pd.DataFrame(rows, columns=["source", "regions", "path", "state", "bytes", "checksum", "licence", "url"])


def describe(src: Source) -> dict:
    """The catalogue entry as a plain dict (for ``--json`` output)."""
    return dataclasses.asdict(src)
