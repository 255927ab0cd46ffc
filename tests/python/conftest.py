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


@pytest.fixture(scope="session")
def serang_checked(data_dir):
    """Kab. Serang (the built-in region) and the facilities of its own register rows after the
    facility QA and its default policies, those with a location (EPSG:4326)."""
    from jangkau.data.facilities import read_facilities
    from jangkau.data.facility_qa import apply_policies, check_facilities
    from jangkau.data.region import Region

    serang = Region.load("serang", data_dir=data_dir)
    fac = read_facilities(serang.facility_layers(), region_boundary=serang.zones("kabupaten"), keep_missing=True)
    flags = check_facilities(fac, boundary=serang.zones("kabupaten"), kecamatan=serang.zones("kecamatan"),
                             metric_crs=serang.working_crs)
    checked = apply_policies(fac, flags)
    return serang, checked[checked.geometry.notna()].reset_index(drop=True)
