"""Shared pytest fixtures. Tests that need the real data directory use ``data_dir``:
it fails (never skips) when the data is missing, so CI cannot pass without it."""

from __future__ import annotations

from pathlib import Path

import pytest

import jangkau.data


@pytest.fixture(scope="session")
def data_dir() -> Path:
    d = jangkau.data.data_dir(required=False)
    if d is None or not (d / "SOURCES.md").is_file():
        pytest.fail("the real data directory is missing: set JANGKAU_DATA or place ../shared/data beside the checkout")
    return d
