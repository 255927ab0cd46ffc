"""jangkau batch: all eight Banten regions on a Dask LocalCluster (real boundaries, SYNTHETIC
stand-ins where inputs are missing), failure isolation, skip on rerun, determinism across
worker counts, the combined ranking; and the SYNTHETIC fill generators."""

from __future__ import annotations

import io
import json
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from jangkau.cli import main
from jangkau.data.region import Region
from jangkau.errors import InvalidInputError
from jangkau.synthetic.fill import dump_toml, fill_region, synthetic_facilities, synthetic_population
from jangkau.util import datasets_dir
from jangkau.workflow.batch import SYNTHETIC_DIR, load_batch, run_batch

BANTEN = datasets_dir() / "banten.toml"
EIGHT = ["serang", "cilegon", "kota_serang", "pandeglang", "lebak", "tangerang", "kota_tangerang",
         "tangerang_selatan"]
# Small settings so the test stays quick: few Monte Carlo draws.
FAST = {"pilots": {"draws": 50}}
# A subset rerun with one worker to compare bytes against the two-worker run.
SUBSET = ["serang", "kota_tangerang", "tangerang_selatan"]


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _manifest_stable(data: bytes, root: Path) -> dict:
    """manifest.json without the fields documented to vary (timings, the output root)."""
    m = json.loads(data.decode("utf-8").replace(str(root), "<OUTDIR>"))
    m.pop("timings_s", None)
    return m


@pytest.fixture(scope="module")
def banten(data_dir, tmp_path_factory):
    """Run the Banten batch (+ one broken entry) with 2 workers, rerun it, and run a subset
    with 1 worker; return everything the tests look at."""
    tmp = tmp_path_factory.mktemp("batch")
    broken = tmp / "broken" / "region.toml"
    broken.parent.mkdir()
    text = (datasets_dir() / "tangerang_selatan" / "region.toml").read_text(encoding="utf-8")
    text = text.replace('name = "tangerang_selatan"', 'name = "broken"').replace(
        'code = "village_code"', 'code = "village_kode"')
    broken.write_text(text, encoding="utf-8")
    # The Banten list with few Monte Carlo draws, as a batch list the CLI can take.
    fast = tmp / "banten_fast.toml"
    fast.write_text(BANTEN.read_text(encoding="utf-8") + "\n[run.pilots]\ndraws = 50\n", encoding="utf-8")
    spec = load_batch([fast, broken])
    assert all(e.overrides == FAST for e in spec.entries[:8])
    out = tmp / "out"
    first = run_batch(spec, out, workers=2, data_dir=data_dir, progress=False)
    before = _files(out)
    # The rerun goes through the command line: same list, same OUTDIR.
    rc = main(["--data", str(data_dir), "-q", "batch", str(fast), str(broken), "-o", str(out), "--workers", "2"])
    second = pd.read_csv(out / "batch_status.csv", keep_default_na=False)
    after = _files(out)
    sub = load_batch([BANTEN], overrides=FAST)
    sub = type(sub)(entries=tuple(e for e in sub.entries if e.name in SUBSET), combined=sub.combined)
    out1 = tmp / "out1"
    one = run_batch(sub, out1, workers=1, data_dir=data_dir, progress=False)
    return {"out": out, "first": first, "second": second, "rc": rc, "before": before, "after": after,
            "out1": out1, "one": one}


def test_batch_completes_with_one_isolated_failure(banten):
    st = banten["first"].status.set_index("region")
    assert list(st.index) == [*EIGHT, "broken"]  # list order, not completion order
    assert (st.loc[EIGHT, "status"] == "ok").all(), st[["status", "error"]]
    assert (st.loc[EIGHT, "error"] == "").all()  # includes: precomputed digest == manifest digest
    assert st.loc["broken", "status"] == "failed"
    assert "village_kode" in st.loc["broken", "error"]
    assert "\n" not in st.loc["broken", "error"]
    assert banten["first"].failed == ["broken"]
    on_disk = pd.read_csv(io.BytesIO(banten["before"]["batch_status.csv"]), keep_default_na=False)
    assert list(on_disk.columns)[:4] == ["region", "status", "error", "seconds"]
    assert on_disk["status"].tolist() == ["ok"] * 8 + ["failed"]
    assert not (banten["out"] / "broken").exists()


def test_every_region_has_its_outputs(banten):
    out = banten["out"]
    for name in EIGHT:
        d = out / name
        for f in ("pilots.csv", "indicators_kecamatan.csv", "zones_kecamatan.geojson", "zones_desa.geojson",
                  "report.html", "manifest.json"):
            assert (d / f).is_file(), f"{name}/{f}"
        m = json.loads((d / "manifest.json").read_text())
        assert set(m["outputs"]) <= {p.name for p in d.iterdir()}
        assert len(m["inputs_digest"]) == 64
        kec = gpd.read_file(d / "zones_kecamatan.geojson")
        assert len(pd.read_csv(d / "pilots.csv")) == len(kec) > 0
    # No staging folder is left behind.
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    # Cilegon's RTRW road slivers that snapping merges away are listed (file names only, so
    # the output does not depend on where the data lives).
    skipped = pd.read_csv(out / "cilegon" / "access_roads_skipped.csv")
    assert len(skipped) == 12 and set(skipped["reason"]) == {"collapsed by snapping"}
    assert skipped["source"].str.match(r"^cilegon3672_rtrw_\w+_LN\.geojson$").all()


def test_synthetic_regions_say_so(banten):
    out = banten["out"]
    entries = {e.name: e for e in load_batch(BANTEN).entries}
    assert entries["cilegon"].synthetic_inputs == ()
    # the boundaries-only regions now have their real 2025 totals: only facilities are stand-ins
    assert set(entries["pandeglang"].synthetic_inputs) == {"facilities"}
    for name in EIGHT:
        d = out / name
        m = json.loads((d / "manifest.json").read_text())
        report = (d / "report.html").read_text(encoding="utf-8")
        pilots = pd.read_csv(d / "pilots.csv")
        if entries[name].synthetic_inputs:
            assert m["region"]["synthetic"] is True
            assert "SYNTHETIC" in m["region"]["title"]
            assert any("SYNTHETIC" in w for w in m["warnings"])
            assert "SYNTHETIC" in report
            assert (pilots["synthetic"] == 1).all()
            fac = gpd.read_file(d / "facilities.geojson")
            assert fac["name"].str.startswith("SYNTHETIC ").all()
            assert (fac["synthetic"] == 1).all()
            gen = out / SYNTHETIC_DIR / name
            assert "synthetic = true" in (gen / "region.toml").read_text()
        else:
            assert m["region"]["synthetic"] is False
            assert "SYNTHETIC" not in report
            assert "synthetic" not in pilots.columns


def test_rerun_skips_and_changes_nothing(banten):
    assert banten["rc"] == 1  # the broken region still fails: exit code 1
    st = banten["second"].set_index("region")
    assert (st.loc[EIGHT, "status"] == "skipped").all(), st[["status", "error"]]
    assert st.loc["broken", "status"] == "failed"
    before, after = banten["before"], banten["after"]
    assert set(before) == set(after)
    changed = [k for k in before if before[k] != after[k] and k != "batch_status.csv"]
    assert changed == []


def test_one_worker_equals_two_workers(banten):
    st = banten["one"].status
    assert (st["status"] == "ok").all(), st
    two, one = banten["before"], _files(banten["out1"])
    compared = 0
    for name in SUBSET:
        for prefix in (f"{name}/", f"{SYNTHETIC_DIR}/{name}/"):
            keys = sorted(k for k in two if k.startswith(prefix))
            assert keys == sorted(k for k in one if k.startswith(prefix))
            for k in keys:
                if k.endswith("manifest.json"):
                    assert _manifest_stable(two[k], banten["out"]) == _manifest_stable(one[k], banten["out1"]), k
                else:
                    assert two[k] == one[k], k
                compared += 1
    assert compared > 60


def test_combined_ranking(banten):
    out = banten["out"]
    comb = pd.read_csv(out / "combined_ranking.csv", dtype={"code": str})
    assert set(comb["region"]) == set(EIGHT)
    for name in EIGHT:
        pil = pd.read_csv(out / name / "pilots.csv", dtype={"code": str})
        part = comb[comb["region"] == name]
        assert sorted(part["code"]) == sorted(pil["code"])
        assert int(part["selected_in_region"].sum()) == int(pil["selected"].sum()) > 0
        assert sorted(part["rank_in_region"]) == sorted(pil["rank"])
    n = len(comb)
    assert comb["rank"].tolist() == list(range(1, n + 1))
    assert comb["score"].is_monotonic_decreasing
    # Common basis: the same criteria for every region, normalised over all of them.
    crit = pd.read_csv(out / "combined_criteria.csv")
    assert "population" in crit["indicator"].tolist()
    assert np.isclose(crit["weight"].sum(), 1.0)
    for _i, c in crit.iterrows():
        assert np.isclose(c["min"], comb[c["indicator"]].min()) and np.isclose(c["max"], comb[c["indicator"]].max())
    # Synthetic rows are marked; Cilegon's (all real inputs) are not.
    assert (comb.loc[comb["region"] == "cilegon", "synthetic"] == 0).all()
    assert (comb.loc[comb["region"] == "lebak", "synthetic_inputs"] == "facilities").all()  # population: the real 2025 total
    geo = gpd.read_file(out / "combined_ranking.geojson")
    assert len(geo) == n and geo.crs.to_epsg() == 4326
    assert geo["rank"].tolist() == comb["rank"].tolist()
    assert geo.geometry.notna().all() and geo.is_valid.all()


# ------------------------------------------------------------------------------------------ fill

def test_synthetic_population_is_seeded_and_sums(data_dir, tmp_path):
    # tangerang_selatan without its [regency_total]: boundaries only, so the total is invented
    text = (datasets_dir() / "tangerang_selatan" / "region.toml").read_text(encoding="utf-8")
    f = tmp_path / "region.toml"
    f.write_text(text[:text.index("[regency_total]")], encoding="utf-8")
    r = Region.load(f, data_dir=data_dir)
    a = synthetic_population(r, seed=3)
    b = synthetic_population(r, seed=3)
    c = synthetic_population(r, seed=4)
    pd.testing.assert_frame_equal(a, b)
    assert not a["population"].equals(c["population"])
    area = r.desa["area_km2"].sum()
    assert a["population"].sum() == round(1000 * area)
    assert (a["population"] >= 0).all() and a["synthetic"].all()
    assert a["method"].str.startswith("SYNTHETIC").all()
    assert list(a["code"]) == sorted(r.desa["code"])
    t = synthetic_population(r, seed=3, total=12345)
    assert t["population"].sum() == 12345
    # A real kabupaten total is kept as the total.
    ks = Region.load("kota_serang", data_dir=data_dir)
    assert synthetic_population(ks, seed=0)["population"].sum() == 759929
    # ... also when it comes from the 2025 Kemendagri totals ([regency_total])
    ts = Region.load("tangerang_selatan", data_dir=data_dir)
    assert synthetic_population(ts, seed=0)["population"].sum() == 1463607
    # Real finer data is never replaced.
    with pytest.raises(InvalidInputError, match="real population"):
        synthetic_population(Region.load("serang", data_dir=data_dir), seed=0)


def test_synthetic_facilities_inside_and_labelled(data_dir):
    r = Region.load("kota_tangerang", data_dir=data_dir)
    pop = synthetic_population(r, seed=0)
    fac = synthetic_facilities(r, seed=0, people_per_sd=5000,
                               population=pd.Series(pop["population"].to_numpy(), index=pop["code"]))
    kec = r.zones("kecamatan")
    pk = fac[fac["facility_type"] == "puskesmas"]
    assert sorted(pk["kecamatan_code"]) == sorted(kec["code"])  # one per kecamatan
    sd = fac[fac["facility_type"] == "sd"]
    per_kec = pop.groupby("kecamatan_code")["population"].sum()
    expect = np.maximum(1, np.round(per_kec / 5000)).astype(int)
    assert sd.groupby("kecamatan_code").size().reindex(expect.index).tolist() == expect.tolist()
    assert fac.crs.to_epsg() == 4326
    assert fac["name"].str.startswith("SYNTHETIC ").all() and fac["synthetic"].all()
    # Every point lies inside its kecamatan (and SD inside its desa).
    kg = dict(zip(kec["code"], kec.geometry))
    assert all(shapely.covers(kg[k], p) for k, p in zip(fac["kecamatan_code"], fac.geometry))
    dg = dict(zip(r.zones("desa")["code"], r.zones("desa").geometry))
    assert all(shapely.covers(dg[d], p) for d, p in zip(sd["desa_code"], sd.geometry))
    again = synthetic_facilities(r, seed=0, people_per_sd=5000,
                                 population=pd.Series(pop["population"].to_numpy(), index=pop["code"]))
    assert shapely.equals(again.geometry.values, fac.geometry.values).all()


def test_fill_region_folder_is_reused_and_refuses_real_data(data_dir, tmp_path):
    f = fill_region("kota_serang", tmp_path / "ks", ["facilities"], data_dir=data_dir)
    assert not f.reused
    conf = tomllib.loads(f.region_file.read_text())
    assert conf["synthetic"] is True and "SYNTHETIC" in conf["title"]
    assert conf["population"]["file"] == "@region/population_kabupaten.csv"  # the real total, copied
    assert conf["levels"]["kecamatan"]["names"] == "@region/kecamatan.csv"
    r = Region.load(f.region_file, data_dir=data_dir)
    assert r.is_synthetic and len(r.facility_layers()) == 2
    before = _files(tmp_path / "ks")
    g = fill_region("kota_serang", tmp_path / "ks", ["facilities"], data_dir=data_dir)
    assert g.reused and _files(tmp_path / "ks") == before
    with pytest.raises(InvalidInputError, match="real population"):
        fill_region("serang", tmp_path / "s", ["population"], data_dir=data_dir)
    with pytest.raises(InvalidInputError, match="unknown synthetic input"):
        fill_region("serang", tmp_path / "s", ["roads"], data_dir=data_dir)


def test_dump_toml_round_trips():
    data = {"name": "x", "n": 3, "f": 0.5, "ok": True, "tags": ["a", "b"],
            "levels": {"desa": {"code": "c", "name": "n"}, "kecamatan": {"code": 'q"uote'}},
            "facilities": {"s": {"file": "@region/a.geojson"}}}
    assert tomllib.loads(dump_toml(data, "header\nline 2")) == data


def test_batch_list_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[region]]\nrun = "serang"\ncolour = "red"\n')
    with pytest.raises(InvalidInputError, match="colour"):
        load_batch(bad)
    dup = tmp_path / "dup.toml"
    dup.write_text('[[region]]\nrun = "serang"\n[[region]]\nrun = "serang"\n')
    with pytest.raises(InvalidInputError, match="twice"):
        load_batch(dup)
    syn = tmp_path / "syn.toml"
    syn.write_text('[[region]]\nrun = "serang"\nsynthetic_inputs = ["roads"]\n')
    with pytest.raises(InvalidInputError, match="roads"):
        load_batch(syn)
    spec = load_batch(BANTEN)
    assert [e.name for e in spec.entries] == EIGHT
    assert spec.combined["method"] == "topsis"


# ----------------------------------------------------------------------------- real inputs only (issues 12, 18)

#: Keeps the 17 runs within minutes: few Monte Carlo draws, and each HiGHS solve of the dapil
#: proposer stops after 20 branch-and-bound nodes (its best plan so far, with the certified bound).
REAL_FAST = {"pilots": {"draws": 50}, "dapil": {"node_limit": 20}}
SAMPLE = ["kota_pekanbaru", "kota_batam", "semarang", "badung", "kota_kupang", "kota_samarinda", "kota_makassar",
          "kota_ambon", "kota_jayapura"]


@pytest.fixture(scope="module")
def real_only(data_dir, tmp_path_factory):
    """Every region of banten.toml and of indonesia_sample.toml with only its real inputs
    (no synthetic stand-ins), through `jangkau batch` with two workers."""
    out = tmp_path_factory.mktemp("real") / "out"
    sample = load_batch(datasets_dir() / "indonesia_sample.toml", overrides=REAL_FAST)
    banten = load_batch(EIGHT, overrides=REAL_FAST)  # built-in names: their own run files, nothing generated
    spec = type(sample)(entries=sample.entries + banten.entries, combined=sample.combined)
    res = run_batch(spec, out, workers=2, data_dir=data_dir, progress=False)
    return out, res


def test_every_region_runs_with_only_its_real_inputs(real_only):
    out, res = real_only
    st = res.status.set_index("region")
    assert list(st.index) == SAMPLE + EIGHT
    assert (st["status"] == "ok").all(), st[["status", "error"]]
    assert (st["synthetic_inputs"].fillna("") == "").all()
    for name in SAMPLE + EIGHT:
        d = out / name
        m = json.loads((d / "manifest.json").read_text())
        assert m["region"]["synthetic"] is False and "SYNTHETIC" not in (d / "report.html").read_text()
        kec = gpd.read_file(d / "zones_kecamatan.geojson")
        assert kec.loc[~kec["pseudo_unit"].astype(bool), "population"].notna().all(), name
        # a plan the checker accepts, or the proof that none exists, never a crash
        check = d / "dapil_plan_ILLUSTRATIVE_check.csv"
        if check.is_file():
            v = pd.read_csv(check)
            assert (v["severity"] != "violation").all(), (name, v)
            prop = pd.read_csv(d / "dapil_proposal.csv").iloc[0]
            assert prop["status"] in ("optimal", "stopped") and prop["bound"] <= prop["objective"] + 1e-9
        else:
            reasons = pd.read_csv(d / "dapil_no_plan.csv")["reason"]
            assert reasons.str.contains("proven infeasible|alone has quota").any(), (name, reasons.tolist())
            assert "dapil" in m["skipped_steps"]
        assert (d / "pilots.csv").is_file()
    # areal weighting from the 2025 totals, labelled
    for name in SAMPLE:
        desa = pd.read_csv(out / name / "zones_desa.csv", dtype={"code": str})
        real = desa[~desa["pseudo_unit"].astype(bool)]
        assert real["population_method"].str.startswith("areal weighting from the 2025 regency total").all()
    jay = json.loads((out / "kota_jayapura" / "manifest.json").read_text())
    assert any("BPS 9471 → Kemendagri 91.71" in w for w in jay["warnings"])  # the codes differ
    # Kab. Serang: the 2017 table checked against the 2025 total, not rescaled
    chk = pd.read_csv(out / "serang" / "population_check.csv")
    assert chk["population"].tolist() == [1_493_591, 1_791_795]
    # Semarang's lake is a pseudo-unit, shown and never a dapil member or pilot
    assert gpd.read_file(out / "semarang" / "pseudo_units.geojson")["code"].tolist() == ["3322888888"]
    assert "3322888" not in set(pd.read_csv(out / "semarang" / "pilots.csv", dtype={"code": str})["code"])
    # Batam is an archipelago: its sea links are a layer of the run
    assert (out / "kota_batam" / "dapil_sea_links.geojson").is_file()
