"""Indicator tables: assembly, catalogue, normalisation, missing values, scoring modes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jangkau.errors import DataFileError, InvalidInputError, UnknownColumnError
from jangkau.selection.indicators import (
    Dimension,
    Direction,
    Imputation,
    IndicatorCatalogue,
    IndicatorSpec,
    Normalisation,
    Role,
    assemble_indicators,
    criteria_matrix,
    impute,
    normalise,
    read_user_table,
)

ZONES = pd.DataFrame({"code": ["3604020", "3604010", "3604030"], "name": ["B", "A", "C"],
                      "population": [200.0, 100.0, 300.0], "density_per_km2": [10.0, 20.0, 30.0]})


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_assemble_engine_results_and_user_tables(tmp_path):
    engine = pd.DataFrame({"code": ["3604010", "3604020", "3604030"], "coverage_share_health": [0.5, 0.7, 0.9]})
    csv = _write(tmp_path, "user.csv", "code,name,poverty_rate\n3604030,C,0.2\n3604010,A,0.1\n3604020,B,0.15\n")
    t = assemble_indicators(ZONES, [engine], [csv])
    assert list(t.index) == ["3604010", "3604020", "3604030"]
    assert list(t.columns) == ["population", "density_per_km2", "coverage_share_health", "poverty_rate"]
    assert t.loc["3604030", "poverty_rate"] == 0.2 and t.loc["3604020", "population"] == 200.0
    assert t.attrs["sources"]["poverty_rate"] == str(csv)
    assert all(t.dtypes == np.float64)


def test_assemble_reports_unknown_and_missing_zones(tmp_path):
    bad = _write(tmp_path, "bad.csv", "code,poverty_rate\n3604010,0.1\n3604999,0.2\n3604020,0.1\n3604030,0.3\n")
    with pytest.raises(InvalidInputError) as exc:
        assemble_indicators(ZONES, user_tables=[bad])
    assert exc.value.file == str(bad) and exc.value.field == "code" and "3604999" in str(exc.value)
    short = _write(tmp_path, "short.csv", "code,poverty_rate\n3604010,0.1\n3604020,0.1\n")
    with pytest.raises(InvalidInputError) as exc:
        assemble_indicators(ZONES, user_tables=[short])
    assert exc.value.file == str(short) and "3604030" in str(exc.value)
    t = assemble_indicators(ZONES, user_tables=[short], allow_missing=True)
    assert np.isnan(t.loc["3604030", "poverty_rate"])
    dup = _write(tmp_path, "dup.csv", "code,x\n3604010,1\n3604010,2\n3604020,1\n3604030,1\n")
    with pytest.raises(InvalidInputError, match="more than once"):
        assemble_indicators(ZONES, user_tables=[dup])
    twice = pd.DataFrame({"code": ZONES["code"], "population": [1.0, 2, 3]})
    with pytest.raises(InvalidInputError, match="both"):
        assemble_indicators(ZONES, [twice])


def test_read_user_table_errors(tmp_path):
    p = _write(tmp_path, "t.csv", "code,poverty_rate\n3604010,0.1\n3604020,abc\n3604030,0.2\n")
    with pytest.raises(InvalidInputError) as exc:
        read_user_table(p)
    assert exc.value.field == "poverty_rate" and exc.value.feature == 1 and "row 3" in str(exc.value)
    with pytest.raises(UnknownColumnError):
        read_user_table(_write(tmp_path, "n.csv", "kode,x\n1,2\n"))
    with pytest.raises(DataFileError):
        read_user_table(tmp_path / "missing.csv")
    t = read_user_table(_write(tmp_path, "z.csv", "code,x\n0012,1\n"))
    assert t["code"].iloc[0] == "0012"  # codes stay text


def test_catalogue_default_and_patterns(tmp_path):
    cat = IndicatorCatalogue.default()
    s = cat.spec("coverage_share_puskesmas")
    assert s.dimension is Dimension.LIVING and s.direction is Direction.HIGHER_IS_BETTER
    assert cat.spec("poverty_rate").role is Role.NEED
    assert {d.value for d in Dimension} >= set(cat.to_frame()["dimension"])
    with pytest.raises(UnknownColumnError, match="catalogue"):
        cat.spec("unknown_indicator")
    extra = _write(tmp_path, "c.toml", '[[indicator]]\nname = "coverage_share_school"\ndimension = "society"\n'
                                       'direction = "higher_is_better"\n')
    ext = cat.extended(IndicatorCatalogue.from_toml(extra))
    assert ext.spec("coverage_share_school").dimension is Dimension.SOCIETY  # exact beats pattern
    bad = _write(tmp_path, "b.toml", '[[indicator]]\nname = "x"\ndimension = "wealth"\ndirection = "higher_is_better"\n')
    with pytest.raises(InvalidInputError, match="governance"):
        IndicatorCatalogue.from_toml(bad)


def test_normalisations():
    x = np.array([1.0, 3.0, 2.0, 3.0])
    np.testing.assert_allclose(normalise(x, Normalisation.MIN_MAX), [0, 1, 0.5, 1])
    z = normalise(x, "z_score")
    np.testing.assert_allclose(z, (x - x.mean()) / x.std())
    np.testing.assert_allclose(normalise(x, "rank"), [0, (3.5 - 1) / 3, 1 / 3, (3.5 - 1) / 3])
    np.testing.assert_allclose(normalise(np.c_[x, np.full(4, 7.0)], "min_max")[:, 1], 0)
    with pytest.raises(InvalidInputError, match="min_max, z_score, rank"):
        normalise(x, "log")
    with pytest.raises(InvalidInputError):
        normalise(np.array([1.0, np.nan]), "rank")


def _cat():
    return IndicatorCatalogue([
        IndicatorSpec("a", Dimension.LIVING, Direction.HIGHER_IS_WORSE, Role.NEED),
        IndicatorSpec("b", Dimension.LIVING, Direction.HIGHER_IS_BETTER, Role.BOTH),
        IndicatorSpec("c", Dimension.ECONOMY, Direction.HIGHER_IS_BETTER, Role.READINESS),
    ])


def test_missing_values_error_and_imputations():
    t = pd.DataFrame({"a": [1.0, 2.0, np.nan, 4.0], "b": [10.0, 20.0, 30.0, 40.0], "c": [1.0, 1, 1, 1]},
                     index=pd.Index(["k1", "k2", "k3", "k4"], name="code"))
    t.attrs["sources"] = {"a": "poverty.csv"}
    with pytest.raises(InvalidInputError) as exc:
        criteria_matrix(t, _cat(), mode="need")
    assert "'a'" in str(exc.value) and "k3" in str(exc.value) and exc.value.file == "poverty.csv"
    med = impute(t, _cat(), Imputation.MEDIAN)
    assert med.loc["k3", "a"] == 2.0 and med.attrs["imputed"] == [("a", "k3")]
    dm = impute(t, _cat(), "dimension_mean")
    # k3's z-score on b (the other LIVING indicator) mapped back onto a's scale
    zb = (30.0 - 25.0) / np.std([10, 20, 30, 40])
    mu, sd = np.mean([1, 2, 4]), np.std([1, 2, 4])
    assert dm.loc["k3", "a"] == pytest.approx(mu + zb * sd)
    allnan = t.assign(a=np.nan)
    with pytest.raises(InvalidInputError, match="no value for any zone"):
        impute(allnan, _cat(), "median")


def test_scoring_modes_orient_and_select_indicators():
    t = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [5.0, 6.0, 7.0], "c": [3.0, 2.0, 1.0]},
                     index=pd.Index(["x", "y", "z"], name="code"))
    need = criteria_matrix(t, _cat(), mode="need")
    assert list(need.criteria.index) == ["a", "b"]
    np.testing.assert_allclose(need.normalised["a"], [0, 0.5, 1])   # higher a is worse → more need
    np.testing.assert_allclose(need.normalised["b"], [1, 0.5, 0])   # higher b is better → less need
    ready = criteria_matrix(t, _cat(), mode="readiness")
    assert list(ready.criteria.index) == ["b", "c"]
    np.testing.assert_allclose(ready.normalised["c"], [1, 0.5, 0])
    blend = criteria_matrix(t, _cat(), mode="blend", blend_need_share=0.25)
    assert list(blend.criteria.index) == ["a:need", "b:need", "b:readiness", "c:readiness"]
    assert blend.criteria.loc["b:need", "benefit"] == False  # noqa: E712
    assert blend.criteria.loc["b:readiness", "side_share"] == 0.75
    with pytest.raises(InvalidInputError):
        criteria_matrix(t, _cat(), mode="blend", blend_need_share=1.5)
    with pytest.raises(InvalidInputError, match="need, readiness, blend"):
        criteria_matrix(t, _cat(), mode="gaps")
    with pytest.raises(UnknownColumnError):
        criteria_matrix(t, _cat(), indicators=["a", "zz"])
