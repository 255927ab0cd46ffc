"""Small readers shared by the region file (:mod:`jangkau.data.region`) and the population of a
region (:mod:`jangkau.data.region_population`): a key of a region-file table, an attribute table
(CSV or any vector file GDAL reads, geometry dropped), one of its columns, codes as strings, and
the rule for optional inputs that are missing. Each names the file and field it complains about."""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataFileError, InvalidInputError, UnknownColumnError
from .io import read_csv, read_vector

__all__ = ["code_strings", "column", "optional_file", "read_table", "require_key"]

log = logging.getLogger("jangkau")


def require_key(table: dict, key: str, where: str, file: Path) -> Any:
    """``table[key]`` of the ``[where]`` table of the region file ``file``; InvalidInputError
    naming the file and the key when it is absent."""
    if key not in table:
        raise InvalidInputError(f"region file lacks '{key}' in [{where}]", file=str(file), field=key)
    return table[key]


def column(df: pd.DataFrame, name: str, file: str) -> pd.Series:
    """The column ``name`` of a table read from ``file``; UnknownColumnError listing the columns
    there are when it is absent."""
    if name not in df.columns:
        raise UnknownColumnError(
            f"no column '{name}' in '{file}' (columns: {', '.join(map(str, df.columns))})", file=file, field=name
        )
    return df[name]


def code_strings(values: pd.Series) -> pd.Series:
    """Codes as strings without float artefacts ('3604010', never '3604010.0'); missing values
    (None, NaN, pd.NA) stay None, other values are stripped of surrounding blanks."""
    def fmt(v):
        if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
            return None
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            return str(int(v))
        return str(v).strip()
    return values.map(fmt)


def read_table(file: Path) -> pd.DataFrame:
    """An attribute table: a CSV file read as strings (``dtype=str``, empty cells NaN), or any
    other vector file read through the engine with its geometry dropped. DataFileError naming
    the file when it is missing or cannot be parsed."""
    if not file.is_file():
        raise DataFileError("table not found", file=str(file))
    try:
        if file.suffix.lower() == ".csv":
            return read_csv(file, what="table", dtype=str, keep_default_na=True)
        return pd.DataFrame(read_vector(file).drop(columns="geometry"))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataFileError(f"cannot read table: {exc}", file=str(file)) from None


def optional_file(file: Path, what: str, warnings: list[str]) -> bool:
    """True when the optional input ``file`` exists. One that is missing is a warning — a
    sentence appended to ``warnings`` (a region's, which its run reports) and logged — and the
    run goes on without it, never an error."""
    if file.is_file():
        return True
    warnings.append(f"{what} file not found: {file} — continuing without it")
    log.warning("%s file not found: %s — continuing without it", what, file)
    return False
