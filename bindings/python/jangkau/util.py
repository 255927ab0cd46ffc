"""Small helpers shared by the whole package: where the bundled datasets are, atomic file
writes, TOML output, the sha256 of a file and largest-remainder apportionment.

Everything here is free of pandas/geopandas so that it can be imported cheaply (the CLI's
start-up time counts); numpy is imported only by the apportionment functions.
"""

from __future__ import annotations

import errno
import hashlib
import json
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .errors import DataFileError, InvalidInputError, ResourceLimitError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

__all__ = [
    "Limits",
    "apportion",
    "atomic_output",
    "atomic_path",
    "atomic_write_bytes",
    "as_path",
    "atomic_write_text",
    "check_size",
    "check_matrix",
    "check_toml_types",
    "limits",
    "dataset_path",
    "datasets_dir",
    "dump_toml",
    "largest_remainder",
    "pid_alive",
    "remove_stale_temporaries",
    "sha256_file",
    "toml_value",
]

_PACKAGE = Path(__file__).resolve().parent


# --------------------------------------------------------------------------------------------
# bundled datasets


@cache
def datasets_dir() -> Path:
    """The bundled ``datasets`` folder: ``jangkau/datasets`` of an installed package, else
    ``datasets/`` of the source checkout this package was imported from (editable installs,
    ``PYTHONPATH=bindings/python``)."""
    packaged = _PACKAGE / "datasets"
    if packaged.is_dir():
        return packaged
    for parent in _PACKAGE.parents:
        if (parent / "pyproject.toml").is_file() and (parent / "datasets").is_dir():
            return parent / "datasets"
    return packaged


def dataset_path(name: str) -> Path:
    """A file of the bundled datasets, e.g. ``dataset_path("facility_types.csv")``."""
    return datasets_dir() / name


# --------------------------------------------------------------------------------------------
# arguments of the Python API


def as_path(value: object, field: str) -> Path:
    """``value`` (a str or os.PathLike naming a file) as a Path; anything else (a number,
    None, a list) raises InvalidInputError naming the argument ``field``, not the TypeError
    os.fspath would raise deep inside."""
    if isinstance(value, (str, os.PathLike)) and not isinstance(value, bytes):
        text = os.fspath(value)
        if isinstance(text, str) and text.strip():
            return Path(text)
    raise InvalidInputError(f"'{field}' must be a file path (str or os.PathLike), got "
                            f"{type(value).__name__} {value!r:.60}", field=field)


# --------------------------------------------------------------------------------------------
# resource limits


@dataclass
class Limits:
    """Size limits checked *before* a grid, matrix or candidate set is allocated, so that a
    typo (``--cell-size 0.001``, ``grid:1m``) ends in an error stating the estimate instead of
    tens of GB of memory or hours of work. Defaults suit a 24 GB machine and a regency of a few
    thousand km²; change them on :data:`limits` (Python) or with the environment variables
    ``JANGKAU_MAX_CELLS``, ``JANGKAU_MAX_CANDIDATES``, ``JANGKAU_MAX_MATRIX`` and
    ``JANGKAU_MAX_MATRIX_BYTES`` (read when jangkau is imported)."""

    #: Cells of a population surface / raster grid (rows × columns): 20 million is a 10 m grid
    #: over 2,000 km² (Kabupaten Serang at 100 m has about 180,000 cells).
    max_cells: int = 20_000_000
    #: Candidate sites of a siting model (grid:SPACING): 250,000 is a 100 m grid over 2,500 km².
    max_candidates: int = 250_000
    #: Entries of a dense demand × candidate (or origin × destination) matrix.
    max_matrix: int = 500_000_000
    #: Bytes of a travel-time / cost matrix in the worst case, every origin reaching every
    #: destination (origins × destinations × 24 bytes: origin, destination and time of a pair):
    #: 16 GiB, two thirds of the 24 GB machine. Checked before the engine's searches start.
    max_matrix_bytes: int = 16 * 2**30

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Limits:
        """Defaults overridden by ``JANGKAU_MAX_<NAME>`` environment variables (integers ≥ 1;
        anything else raises InvalidInputError naming the variable)."""
        env = dict(os.environ if env is None else env)
        out = cls()
        for f in fields(cls):
            var = f"JANGKAU_{f.name.upper()}"
            if var in env:
                try:
                    value = int(float(env[var]))
                except ValueError:
                    value = 0
                if value < 1:
                    raise InvalidInputError(f"environment variable {var} must be a whole number ≥ 1, "
                                            f"got {env[var]!r}", field=var)
                setattr(out, f.name, value)
        return out


#: The limits in force (see :class:`Limits`).
limits = Limits.from_env()


def check_size(what: str, estimate: float, limit: str, *, hint: str = "") -> None:
    """Refuses work whose size ``estimate`` (cells, candidates, matrix entries) exceeds the
    limit named ``limit`` (a field of :class:`Limits`): raises
    :class:`~jangkau.errors.ResourceLimitError` stating the estimate, the limit, how to raise
    it and ``hint`` (what to change instead). Non-finite estimates are refused too."""
    cap = getattr(limits, limit)
    if not math.isfinite(estimate) or estimate > cap:
        est = f"{estimate:,.0f}" if math.isfinite(estimate) else str(estimate)
        raise ResourceLimitError(
            f"{what} would hold {est} {_UNITS.get(limit, 'entries')}, above the limit of {cap:,}"
            f"{'; ' + hint if hint else ''} (raise the limit with JANGKAU_{limit.upper()}=N or "
            f"jangkau.util.limits.{limit})", field=limit)


_UNITS = {"max_cells": "cells", "max_candidates": "candidates", "max_matrix": "entries", "max_matrix_bytes": "bytes"}

#: Bytes per pair of a travel-time table (int64 origin, int64 destination, float64 time).
PAIR_BYTES = 24


def check_matrix(what: str, origins: int, destinations: int, *, bytes_per_pair: int = PAIR_BYTES,
                 hint: str = "") -> None:
    """Refuses a travel-time / cost matrix whose worst-case size, ``origins × destinations ×
    bytes_per_pair`` bytes (every pair within the cutoff), exceeds ``limits.max_matrix_bytes``:
    :class:`~jangkau.errors.ResourceLimitError` stating the pairs, the estimate in bytes and GiB,
    and the limit. Called before any search or allocation."""
    est = float(origins) * float(destinations) * float(bytes_per_pair)
    if math.isfinite(est) and est <= limits.max_matrix_bytes:
        return
    check_size(f"{what} ({origins:,} × {destinations:,} pairs × {bytes_per_pair} bytes = {est / 2**30:,.1f} GiB "
               f"in the worst case)", est, "max_matrix_bytes",
               hint=hint or "use a shorter cutoff with fewer origins/destinations (a coarser grid, fewer facilities)")


# --------------------------------------------------------------------------------------------
# atomic writes


def _fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable (POSIX); a no-op where folders cannot be opened
    or synced (Windows, some network file systems)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists on this machine (signal 0). A process of another user
    counts as alive; so does any PID when the check is impossible (no ``os.kill``)."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError, AttributeError):
        return True
    return True


def stale_pid(name: str, prefix: str) -> int | None:
    """The PID in ``name`` = ``prefix + "<pid>"`` + anything not a digit, when that process
    is dead; None when ``name`` does not match or the process is alive."""
    if not name.startswith(prefix):
        return None
    digits = ""
    for c in name[len(prefix):]:
        if not c.isdigit():
            break
        digits += c
    if not digits:
        return None
    pid = int(digits)
    return None if pid_alive(pid) else pid


def remove_stale_temporaries(path: str | os.PathLike[str]) -> list[Path]:
    """Removes the temporary files of :func:`atomic_output`/:func:`atomic_path` for ``path``
    (``.NAME.<pid>-<random>.tmp...``) whose process is dead (killed mid-write); files of
    running processes are kept. Returns the files removed."""
    path = Path(path)
    removed: list[Path] = []
    prefix = f".{path.name}."
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return removed
    for entry in entries:
        if ".tmp" in entry.name[len(prefix):] and stale_pid(entry.name, prefix) is not None:
            try:
                if entry.is_file(follow_symlinks=False):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
            except OSError:
                pass
    return removed


def _open_temp(path: Path, suffix: str = ".tmp") -> tuple[int, Path]:
    """A new, exclusively created temporary file beside ``path`` (same folder, so the final
    rename is atomic) with the usual permissions (0666 minus the umask), named
    ``.NAME.<pid>-<random>.tmp`` (``suffix`` replaces ``.tmp``, e.g. to keep an extension GDAL
    needs). Temporary files of ``path`` left by processes that died are removed first."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    remove_stale_temporaries(path)
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{os.getpid()}-{os.urandom(6).hex()}{suffix}")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:  # pragma: no cover - 48 random bits
            continue
    raise FileExistsError(errno.EEXIST, "cannot create a temporary file", str(path))  # pragma: no cover


@contextmanager
def atomic_output(path: str | os.PathLike[str], mode: str = "wb", *, encoding: str | None = "utf-8",
                  newline: str | None = "") -> Iterator[IO[Any]]:
    """Write ``path`` all or nothing: a file object on a new temporary file in the same folder.

    When the ``with`` block ends normally the data is flushed, fsync'ed and the file closed
    (each step checked: an error raises), the file is renamed over ``path`` with
    :func:`os.replace` and the folder is fsync'ed, so ``path`` holds either its old content or
    the complete new one, even after a crash. When the block raises, the temporary file is
    removed and ``path`` is untouched. The parent folder is created if missing.

    ``mode`` is ``"wb"`` (default) or ``"w"`` (text: ``encoding`` UTF-8 and no newline
    translation by default, so the bytes are the same on every platform).
    """
    if mode not in ("wb", "w"):
        raise InvalidInputError(f"atomic_output mode must be 'wb' or 'w', got {mode!r}", field="mode")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _open_temp(path)
    try:
        f: IO[Any]
        if mode == "wb":
            f = os.fdopen(fd, "wb")
        else:
            f = os.fdopen(fd, "w", encoding=encoding, newline=newline)
        with f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        # Leaving the `with` closed the file; a failing close (e.g. a full disk on the last
        # buffered write) raised there, before the rename.
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        _raise_write_error(exc, path)
        raise
    _fsync_dir(path.parent)


def _raise_write_error(exc: BaseException, path: Path) -> None:
    """A plain OSError of a write (``[Errno 28] No space left on device``) becomes a
    DataFileError naming the file; anything else is left to propagate."""
    if isinstance(exc, OSError) and not isinstance(exc, DataFileError):
        reason = exc.strerror or str(exc)
        raise DataFileError(f"cannot write: {reason}", file=str(path)) from exc


def _fsync_file(path: Path) -> None:
    """fsync a written file (reports write-back errors such as a full disk); raises OSError."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_path(path: str | os.PathLike[str], *, suffix: str | None = None) -> Iterator[Path]:
    """Write ``path`` all or nothing through a writer that takes a file *name* (GDAL, the
    engine's writers, matplotlib): yields the path of a new, empty temporary file in the same
    folder, named ``.NAME.<random>.tmp<suffix>`` (``suffix`` defaults to the extension of
    ``path``, which GDAL uses to choose the format).

    When the ``with`` block ends normally the temporary file is fsync'ed (an error raises),
    renamed over ``path`` and the folder fsync'ed; when the block raises (or the fsync fails)
    the temporary file is removed and ``path`` keeps its old content. The caller checks what
    its writer reports (see :func:`jangkau.data.io.write`, which also reads the file back).
    The parent folder must exist.
    """
    path = Path(path)
    fd, tmp = _open_temp(path, ".tmp" + (path.suffix if suffix is None else suffix))
    os.close(fd)
    try:
        yield tmp
        _fsync_file(tmp)
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        _raise_write_error(exc, path)
        raise
    _fsync_dir(path.parent)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (see :func:`atomic_output`)."""
    with atomic_output(path, "wb") as f:
        f.write(data)


def atomic_write_text(path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8") -> None:
    """Replace ``path`` with ``text`` atomically, encoded as ``encoding``, no newline translation
    (see :func:`atomic_output`)."""
    atomic_write_bytes(path, text.encode(encoding))


# --------------------------------------------------------------------------------------------
# TOML output (the standard library reads TOML but does not write it)


def toml_value(v) -> str:
    """A TOML value for ``v``: bool, int, finite float, str (a JSON string is a valid TOML basic
    string), list/tuple (array) or dict (inline table). Raises InvalidInputError otherwise."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise InvalidInputError(f"cannot write {v} to TOML")
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {toml_value(x)}" for k, x in v.items()) + "}"
    raise InvalidInputError(f"cannot write a {type(v).__name__} to TOML")


def _toml_key(k: str) -> str:
    return k if k and all(c.isalnum() or c in "_-" for c in k) else json.dumps(k)


def dump_toml(data: dict, header: str = "") -> str:
    """A TOML document for ``data`` (scalars, lists and nested tables; tables after the keys
    of their parent, in insertion order). ``header`` is written first as ``#`` comments."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()]

    def emit(table: dict, path: list[str]) -> None:
        scalars = [(k, v) for k, v in table.items() if not isinstance(v, dict)]
        tables = [(k, v) for k, v in table.items() if isinstance(v, dict)]
        if path and (scalars or not tables):
            lines.append("")
            lines.append("[" + ".".join(_toml_key(p) for p in path) + "]")
        for k, v in scalars:
            lines.append(f"{_toml_key(k)} = {toml_value(v)}")
        for k, v in tables:
            emit(v, path + [k])

    emit(data, [])
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# TOML input: value types


#: A path, a name or any other text.
TEXT = str
#: The spec of a table whose keys are free (e.g. ``[levels]``) and whose values all follow one spec.
_EACH = "__each__"

_TYPE_NAMES = {str: "a string", int: "a whole number", float: "a number", bool: "true or false",
               list: "an array", dict: "a table"}


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return f"the string {value!r}"
    return f"the {type(value).__name__} {value!r}"


def check_toml_types(doc: dict, spec: dict, *, file: str | os.PathLike[str] | None = None,
                     where: str = "") -> None:
    """Checks the value types of a parsed TOML document against ``spec`` (key → type, tuple
    of types, or a nested spec dict for a table; ``{"__each__": spec}`` for a table of tables
    with free keys). Keys absent from ``spec`` or ``doc`` are not checked (unknown keys are
    the reader's to refuse). A number where a path belongs, or a string where a table belongs,
    raises InvalidInputError naming the file, the ``[table] key`` and what was found."""
    for key, want in spec.items():
        if key == _EACH:
            for k, v in doc.items():
                check_toml_types({k: v}, {k: want}, file=file, where=where)
            continue
        if key not in doc:
            continue
        value = doc[key]
        name = f"{where}.{key}" if where else key
        if isinstance(want, dict):
            if not isinstance(value, dict):
                raise InvalidInputError(f"'{name}' in the TOML file must be a table ([{name}]), found "
                                        f"{_describe(value)}", file=str(file) if file else None, field=name)
            check_toml_types(value, want, file=file, where=name)
            continue
        types = want if isinstance(want, tuple) else (want,)
        ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in types)
        if float in types and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if not ok:
            expected = " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in types)
            raise InvalidInputError(f"'{name}' in the TOML file must be {expected}, found {_describe(value)}",
                                    file=str(file) if file else None, field=name)


#: Value types of a region file (docs/data-model.md).
REGION_FILE_TYPES: dict = {
    "name": str, "title": str, "province": str, "working_crs": str, "synthetic": bool, "notes": (str, list),
    "boundaries": {"file": str, "layer": str, "crs": str, "source": str, "strip_code_prefix": str},
    "levels": {_EACH: {"code": str, "name": str, "names": str, "names_code": str}},
    "population": {"file": str, "level": str, "code": str, "value": str, "year": int, "source": str,
                   "raster": str},
    "population_raster": {"file": str, "catalogue": str, "band": int, "source": str},
    "dapil": {"file": str, "code": str, "dapil": str, "seats": str, "composition": str, "election": (str, int),
              "total_seats": int, "note": str},
    "code": (str, int),
    "regency_total": {"file": str, "code": (str, int), "year": int, "source": str, "rescale": bool, "bridge": str},
    "pseudo_units": {"rule": (str, bool), "exclude": list, "keep": list},
}


# --------------------------------------------------------------------------------------------
# checksums


def sha256_file(path: str | os.PathLike[str], *, chunk_size: int = 1 << 20) -> str:
    """Hex (lower-case) sha256 of a file's bytes, read in chunks of ``chunk_size`` bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------------------------
# largest-remainder apportionment


def largest_remainder(quotas, total: int, *, caps=None, ties=None) -> np.ndarray:
    """Integers close to ``quotas`` (real numbers ≥ 0 that add up to ``total``) adding up to
    exactly ``total`` (Hamilton / largest-remainder rounding), as int64.

    Every entry gets ⌊quota⌋ (a quota within 1e-9 below an integer counts as that integer,
    so rounding noise never costs a unit), at most its cap; the units left go one each, in
    passes, to the largest fractional parts (compared to 12 decimals), skipping entries at
    their cap. Ties go to the smallest ``ties`` key (any sortable values, e.g. labels),
    else to the lower index. ``caps`` (optional, may hold ``inf``) must allow ``total``.
    """
    import numpy as np

    q = np.asarray(quotas, dtype=np.float64)
    total = int(total)
    base = np.floor(q + 1e-9)
    rem = np.round(q - base, 12)
    cap = None
    if caps is not None:
        cap = np.asarray(caps, dtype=np.float64)
        base = np.minimum(base, cap)
    out = base.astype(np.int64)
    key = np.arange(len(q)) if ties is None else np.asarray(ties)
    order = np.lexsort((key, -rem))
    left = total - int(out.sum())
    if left < 0 or (cap is None and left > len(q)):
        raise InvalidInputError(f"quotas add up to {q.sum():g}, not {total}")
    if cap is None:
        if left > 0:
            out[order[:left]] += 1
        return out
    while left > 0:
        room = order[out[order] < cap[order]]
        if len(room) == 0:
            raise InvalidInputError(f"cannot allocate {total} units: the caps allow only {int(out.sum())}")
        give = room[:left]
        out[give] += 1
        left -= len(give)
    return out


def apportion(weights, total: int, *, caps=None, ties=None) -> np.ndarray:
    """Split ``total`` integer units in proportion to ``weights`` (≥ 0, positive sum):
    quota_i = total·w_i/Σw, then :func:`largest_remainder` (with its ``caps`` and ``ties``).
    Raises InvalidInputError for bad weights, a negative total or caps below the total."""
    import numpy as np

    w = np.asarray(weights, dtype=np.float64)
    if np.isnan(w).any() or (w < 0).any() or not w.sum() > 0:
        raise InvalidInputError("largest-remainder allocation needs sizes ≥ 0 with a positive sum")
    total = int(total)
    if total < 0:
        raise InvalidInputError(f"cannot allocate a negative total ({total})")
    if caps is not None and np.sum(np.asarray(caps, dtype=np.float64)) < total:
        raise InvalidInputError(f"cannot allocate {total} units: the caps allow only "
                                f"{int(np.sum(np.asarray(caps, dtype=np.float64)))}")
    return largest_remainder(total * w / w.sum(), total, caps=caps, ties=ties)
