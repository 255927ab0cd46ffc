"""The interactive report.html of a real run (Kota Cilegon: real RTRW facilities and roads),
opened in headless Chromium (Debian's chromium + chromium-driver, driven by selenium) the way
a planner opens it: no console errors, every layer of the run on the map with its feature
count, layers toggled from the layer switcher, a zone clicked and its popup read, a table row
clicked to zoom to its zone, the indicator picker and its legend, and a screenshot compared
loosely (the map is drawn, not blank). Needs no network: the page is a local file."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from jangkau.data.io import read_vector
from jangkau.workflow.pipeline import run

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def cilegon_result(tmp_path_factory, data_dir):
    out = tmp_path_factory.mktemp("cilegon") / "out"
    return run("cilegon", out, data_dir=data_dir)


@pytest.fixture(scope="module")
def cilegon_run(cilegon_result) -> Path:
    return cilegon_result.output


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if not Path(CHROMIUM).is_file() or not Path(CHROMEDRIVER).is_file():
        pytest.fail("headless browser tests need Debian's chromium and chromium-driver (bash scripts/dev.sh setup)")
    opts = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000",
              "--force-device-scale-factor=1"):
        opts.add_argument(a)
    opts.binary_location = CHROMIUM
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def page(browser, cilegon_run):
    browser.get((cilegon_run / "report.html").as_uri())
    for _ in range(100):
        if browser.execute_script("return !!(window.jangkau && window.jangkau.ready)"):
            break
        time.sleep(0.1)
    return browser


def _errors(browser) -> list[dict]:
    return [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]


def test_report_is_self_contained(cilegon_run):
    text = (cilegon_run / "report.html").read_text(encoding="utf-8")
    # nothing is fetched: no external scripts, stylesheets, images or tiles
    for needle in ('src="http', "src='http", "url(http", "@import", "tile.openstreetmap", "unpkg.com"):
        assert needle not in text.lower(), needle
    assert re.search(r"<script[^>]*\bsrc=", text) is None and re.search(r"<link[^>]*\bhref=", text) is None
    assert "L.map(" in text and "jangkau-data" in text


def test_report_opens_without_console_errors(page):
    assert page.execute_script("return window.jangkau.ready") is True
    assert _errors(page) == []


def test_every_layer_of_the_run_is_on_the_map(page, cilegon_run):
    for p in sorted(cilegon_run.glob("*.geojson")):
        frame = read_vector(p)
        drawn = page.execute_script("return window.jangkau.count(arguments[0])", p.stem)
        if len(frame) == 0:
            assert drawn == -1, p.name   # empty layers are left out
        else:
            assert drawn == int((~frame.geometry.isna()).sum()), p.name
    # the map starts on the kecamatan, with the facilities, pilots and sites shown
    assert page.execute_script("return window.jangkau.base()") == "zones_kecamatan"
    for lid in ("facilities", "pilots", "sites", "zones_kabupaten"):
        assert page.execute_script("return window.jangkau.visible(arguments[0])", lid), lid
    # the kecamatan names are on the map
    names = set(read_vector(cilegon_run / "zones_kecamatan.geojson")["name"])
    labels = {e.text for e in page.find_elements("css selector", ".lbl-kecamatan")}
    assert labels == names


def test_toggle_layers_from_the_switcher(page):
    from selenium.webdriver.common.by import By

    def row(text):
        for label in page.find_elements(By.CSS_SELECTOR, ".leaflet-control-layers label"):
            if text in label.text:
                return label.find_element(By.TAG_NAME, "input")
        raise AssertionError(f"no layer '{text}' in the switcher")

    gap = row("Gap: beyond 3000 m of puskesmas")
    assert not page.execute_script("return window.jangkau.visible('gaps_puskesmas_3000m')")
    before = len(page.find_elements(By.CSS_SELECTOR, ".leaflet-areas-pane path"))
    gap.click()
    assert page.execute_script("return window.jangkau.visible('gaps_puskesmas_3000m')")
    n_gaps = page.execute_script("return window.jangkau.count('gaps_puskesmas_3000m')")
    assert len(page.find_elements(By.CSS_SELECTOR, ".leaflet-areas-pane path")) == before + n_gaps
    gap.click()
    assert not page.execute_script("return window.jangkau.visible('gaps_puskesmas_3000m')")
    # the desa level is a base layer: switching colours the desa, with their own picker
    row("Desa (").click()
    assert page.execute_script("return window.jangkau.base()") == "zones_desa"
    row("Kecamatan (").click()
    assert page.execute_script("return window.jangkau.base()") == "zones_kecamatan"
    assert _errors(page) == []


def test_click_a_zone_and_read_its_popup(page, cilegon_run):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    kec = read_vector(cilegon_run / "zones_kecamatan.geojson")
    page.execute_script("window.jangkau.map.closePopup(); window.jangkau.map.fitBounds("
                        "window.jangkau.layers['zones_kecamatan'].sub[0].getBounds())")
    time.sleep(0.3)
    # click the screen point of a point inside kecamatan 0
    p = kec.geometry.iloc[0].representative_point()
    xy = page.execute_script("var pt = window.jangkau.map.latLngToContainerPoint([arguments[0], arguments[1]]);"
                             "var r = document.getElementById('map').getBoundingClientRect();"
                             "return [pt.x - r.width / 2, pt.y - r.height / 2];", p.y, p.x)
    page.execute_script("document.getElementById('map').scrollIntoView({block: 'center'})")
    # hide the point layers so the click lands on the zone
    page.execute_script("window.jangkau.map.getPane('pts').style.display = 'none';"
                        "window.jangkau.map.getPane('labels').style.display = 'none'")
    ActionChains(page).move_to_element_with_offset(page.find_element(By.ID, "map"), int(xy[0]), int(xy[1])) \
        .click().perform()
    time.sleep(0.3)
    page.execute_script("window.jangkau.map.getPane('pts').style.display = '';"
                        "window.jangkau.map.getPane('labels').style.display = ''")
    popup = page.find_element(By.CSS_SELECTOR, ".leaflet-popup-content").text
    assert kec["name"].iloc[0] in popup
    assert "1 = highest" in popup
    assert "population" in popup
    # a rank that matches the data: the zone's rank by population among the kecamatan
    pop = kec["population"].to_numpy()
    rank = int((pop > pop[0]).sum()) + 1
    assert f"{rank} / {len(kec)}" in popup


def test_table_row_zooms_to_its_zone(page, cilegon_run):
    from selenium.webdriver.common.by import By

    rows = page.find_elements(By.CSS_SELECTOR, 'table[data-layer="zones_kecamatan"] tbody tr')
    kec = read_vector(cilegon_run / "zones_kecamatan.geojson")
    assert len(rows) == len(kec)
    target = rows[-1]
    code = target.get_attribute("data-code")
    name = kec.loc[kec["code"] == code, "name"].iloc[0]
    page.execute_script("arguments[0].scrollIntoView({block: 'center'})", target)
    target.click()
    time.sleep(0.5)
    assert name in page.find_element(By.CSS_SELECTOR, ".leaflet-popup-content").text
    bounds = page.execute_script("var b = window.jangkau.map.getBounds(); return [b.getWest(), b.getSouth(), "
                                 "b.getEast(), b.getNorth()]")
    c = kec.loc[kec["code"] == code].geometry.iloc[0].representative_point()
    assert bounds[0] <= c.x <= bounds[2] and bounds[1] <= c.y <= bounds[3]
    # sorting: a click on a numeric header orders the rows by value
    header = next(th for th in page.find_elements(By.CSS_SELECTOR, 'table[data-layer="zones_kecamatan"] thead th')
                  if th.text.strip() == "area_km2")
    page.execute_script("arguments[0].scrollIntoView({block: 'center'})", header)
    header.click()
    col = [th.text.strip() for th in page.find_elements(
        By.CSS_SELECTOR, 'table[data-layer="zones_kecamatan"] thead th')].index("area_km2")
    vals = page.execute_script(
        "var c = arguments[0];"
        "return Array.from(document.querySelectorAll('table[data-layer=\"zones_kecamatan\"] tbody tr'))"
        ".map(function (r) { return parseFloat(r.cells[c].getAttribute('data-v')); })", col)
    assert vals == sorted(vals) and len(vals) == len(kec)


def test_picker_and_legend_match_the_data(page, cilegon_run):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    kec = read_vector(cilegon_run / "zones_kecamatan.geojson")
    Select(page.find_element(By.ID, "indicator")).select_by_value("coverage_share_puskesmas_3000m")
    legend = page.find_element(By.ID, "legend").text
    v = kec["coverage_share_puskesmas_3000m"]
    assert f"{v.min():.3f}".rstrip("0") in legend or f"{v.min():,.3f}" in legend
    # one colour per distinct value when every zone is alike: never a made-up range
    same = [c for c in kec.columns if kec[c].dtype.kind == "f" and kec[c].notna().all()
            and np.allclose(kec[c], kec[c].iloc[0], rtol=1e-9, atol=0)]
    assert same, "Cilegon has an indicator equal in every kecamatan (density from one regency-wide figure)"
    page.execute_script("window.jangkau.setColumn(arguments[0])", same[0])
    legend = page.find_element(By.ID, "legend").text
    assert f"all {len(kec)} zones" in legend
    assert "–" not in legend.split("\n")[1]
    fills = set(page.execute_script(
        "var L_ = window.jangkau.layers['zones_kecamatan'];"
        "return Object.keys(L_.sub).map(function (k) { return L_.sub[k].options.fillColor; })"))
    assert len(fills) == 1
    page.execute_script("window.jangkau.setColumn('coverage_share_puskesmas_3000m')")
    fills = set(page.execute_script(
        "var L_ = window.jangkau.layers['zones_kecamatan'];"
        "return Object.keys(L_.sub).map(function (k) { return L_.sub[k].options.fillColor; })"))
    assert len(fills) == min(5, v.round(6).nunique())


def test_screenshot_shows_a_drawn_map(page, tmp_path):
    import matplotlib.image as mpimg

    page.execute_script("window.jangkau.map.closePopup(); document.getElementById('map').scrollIntoView();"
                        "window.jangkau.map.fitBounds(window.jangkau.layers['zones_kabupaten'].group.getBounds())")
    time.sleep(0.5)
    shot = tmp_path / "map.png"
    page.find_element("id", "map").screenshot(str(shot))
    img = mpimg.imread(shot)[..., :3]
    h, w = img.shape[:2]
    assert h > 300 and w > 600
    # not blank: many pixels differ from the map background, in many colours
    bg = np.array([0xF4, 0xF6, 0xF8]) / 255
    drawn = np.abs(img - bg).sum(axis=2) > 0.05
    assert drawn.mean() > 0.2
    colours = {tuple(c) for c in (img[::7, ::7].reshape(-1, 3) * 255).astype(int).tolist()}
    assert len(colours) > 20
    assert _errors(page) == []


def test_layers_added_by_other_steps_show_without_code(browser, cilegon_result, tmp_path):
    """A layer the report knows nothing about (here a line layer like the dapil sea links and
    a polygon layer with a ``stage`` column, drawn from the kecamatan for the test) is drawn
    by its geometry type and coloured by its category column, with a legend."""
    import geopandas as gpd
    import shapely

    from jangkau.data.io import write
    from jangkau.workflow.report import write_report

    folder = tmp_path / "out"
    shutil.copytree(cilegon_result.output, folder)
    kec = read_vector(folder / "zones_kecamatan.geojson")
    pts = kec.geometry.to_crs("EPSG:32748").representative_point().to_crs("EPSG:4326")
    lines = gpd.GeoDataFrame({"kind": ["link", "link"]},
                             geometry=[shapely.LineString([pts.iloc[0], pts.iloc[1]]),
                                       shapely.LineString([pts.iloc[2], pts.iloc[3]])], crs="EPSG:4326")
    write(lines, folder / "test_links.geojson")
    stages = kec[["code", "name", "geometry"]].assign(stage=[1 + i % 4 for i in range(len(kec))])
    write(stages, folder / "stages.geojson")
    write_report(cilegon_result, folder / "report.html", folder=folder)
    browser.get((folder / "report.html").as_uri())
    for _ in range(100):
        if browser.execute_script("return !!(window.jangkau && window.jangkau.ready)"):
            break
        time.sleep(0.1)
    assert browser.execute_script("return window.jangkau.count('test_links')") == 2
    assert browser.execute_script("return window.jangkau.count('stages')") == len(kec)
    assert browser.execute_script("return window.jangkau.layers['test_links'].kind") == "line"
    assert browser.execute_script("return window.jangkau.layers['stages'].role") == "stages"
    assert browser.execute_script("return window.jangkau.visible('stages')")
    legend = browser.find_element("id", "legend").text
    lines = legend.split("\n")
    head = next(i for i, t in enumerate(lines) if t.endswith("(stage)"))
    assert lines[head + 1:head + 5] == ["1", "2", "3", "4"]
    assert len(browser.find_elements("css selector", ".leaflet-lines-pane path")) == 2
    assert _errors(browser) == []
