"""GeoParquet output (``-o x.parquet``): GDAL 3.6 on Debian 12 has no Parquet driver, so
GeoParquet is written with geopandas/pyarrow (GeoParquet 1.0 metadata, WKB geometry, the CRS
as PROJJSON), through the project's atomic writer. A table without geometry is written as
plain Parquet. Deterministic: the same frame gives the same bytes."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ..errors import CrsError, InvalidInputError
from ..util import atomic_output

__all__ = ["write_parquet", "read_parquet"]


def _pyarrow():
    try:
        import pyarrow.parquet as pq  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - pyarrow is in requirements/dev.txt and the parquet extra
        raise InvalidInputError("writing .parquet needs pyarrow: pip install 'jangkau[parquet]' (or pyarrow)",
                                field="output") from None
    return pq


def write_parquet(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``frame`` to ``path`` as GeoParquet (a GeoDataFrame, which needs a CRS) or Parquet
    (a DataFrame), atomically. The index is not written."""
    _pyarrow()
    path = Path(path)
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame.columns:
        if frame.crs is None:
            raise CrsError(f"cannot write '{path}': the GeoDataFrame has no CRS", file=str(path))
        out = frame.reset_index(drop=True)
        with atomic_output(path, "wb") as f:
            out.to_parquet(f, index=False, compression="zstd", schema_version="1.0.0")
    else:
        with atomic_output(path, "wb") as f:
            pd.DataFrame(frame).reset_index(drop=True).to_parquet(f, index=False, compression="zstd")
    return path


def read_parquet(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a (Geo)Parquet file: a GeoDataFrame when it carries GeoParquet metadata."""
    pq = _pyarrow()
    meta = pq.read_schema(path).metadata or {}
    if b"geo" in meta:
        return gpd.read_parquet(path)
    return pd.read_parquet(path)
