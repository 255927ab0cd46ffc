"""The QGIS Processing provider (qgis/jangkau_processing), tested the way planners use it: through
QGIS itself. ``qgis_process`` (Debian's ``qgis`` package, installed by scripts/dev.sh) runs the
jangkau algorithms headless with the plugin enabled in a temporary QGIS profile, on the real
Cilegon data, and the outputs must equal those of the jangkau CLI run directly. The styles are
loaded on real outputs with QGIS's own Python. When QGIS is missing these tests FAIL: CI must
install it.

The pure-Python part of the plugin (runner.py: finding the CLI, cancelling, reading its errors)
is also tested here directly."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

import jangkau
import jangkau.data

REPO = Path(__file__).resolve().parents[2]
PLUGINS = REPO / "qgis"
PLUGIN = PLUGINS / "jangkau_processing"
sys.path.insert(0, str(PLUGINS))
from jangkau_processing import runner  # noqa: E402 - the plugin folder is not a package of the venv

VERBS = ["zones", "coverage", "access", "sites", "pilots", "run"]
#: QGIS's Python: the interpreter python3-qgis is built for (Debian's), not the venv's.
QGIS_PYTHON = "/usr/bin/python3"


# ---- QGIS, headless ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def qgis_process() -> str:
    exe = shutil.which("qgis_process")
    if exe is None:
        pytest.fail("qgis_process is missing: install Debian's qgis, qgis-providers and python3-qgis "
                    "(bash scripts/dev.sh setup)")
    # Debian 12's wrapper script passes --noversioncheck, which qgis_process 3.22 rejects
    # ("Command --noversioncheck not known!", qgis/QGIS#57683): run the binary it wraps.
    binary = Path(exe).with_name("qgis_process.bin")
    return str(binary) if binary.is_file() else exe


@pytest.fixture(scope="session")
def jangkau_cli(tmp_path_factory) -> Path:
    """The ``jangkau`` command for the plugin to call: the console script of this environment (as
    scripts/dev.sh installs it), else (a worktree using PYTHONPATH) a wrapper running this
    interpreter on this jangkau package, whatever QGIS's environment is."""
    installed = Path(sys.executable).with_name("jangkau")
    if installed.is_file():
        return installed
    path = tmp_path_factory.mktemp("cli") / "jangkau"
    package_root = Path(jangkau.__file__).resolve().parent.parent
    path.write_text(
        "#!/bin/sh\n"
        f"PYTHONPATH={shlex.quote(str(package_root))} exec {shlex.quote(sys.executable)} -m jangkau.cli \"$@\"\n"
    )
    path.chmod(0o755)
    return path


@pytest.fixture(scope="session")
def qgis_env(tmp_path_factory, qgis_process, jangkau_cli, data_dir) -> dict[str, str]:
    """Environment of a headless QGIS with a fresh profile and the plugin enabled."""
    home = tmp_path_factory.mktemp("qgis")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    runtime = home / "runtime"
    runtime.mkdir(mode=0o700)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        XDG_RUNTIME_DIR=str(runtime),
        QGIS_CUSTOM_CONFIG_PATH=str(home / "config"),  # the profile lives here, not in ~/.local
        QGIS_PLUGINPATH=str(PLUGINS),
        JANGKAU_CLI=str(jangkau_cli),
        JANGKAU_DATA=str(data_dir),
    )
    done = subprocess.run([qgis_process, "plugins", "enable", "jangkau_processing"], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return env


def qgis_run(qgis_process: str, env: dict[str, str], algorithm: str, **params: str | list[str]):
    argv = [qgis_process, "--json", "run", algorithm, "--"]
    for key, value in params.items():
        for v in value if isinstance(value, list) else [value]:
            argv.append(f"{key}={v}")
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=900)


def cli_run(*args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "jangkau.cli", *args], capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stderr


def assert_same_layer(a: Path, b: Path, keys: list[str]) -> None:
    """Same rows (by ``keys``), same attribute values and same geometries."""
    left = gpd.read_file(a).sort_values(keys).reset_index(drop=True)
    right = gpd.read_file(b).sort_values(keys).reset_index(drop=True)
    assert len(left) > 0
    assert list(left.columns) == list(right.columns)
    pd.testing.assert_frame_equal(left.drop(columns="geometry"), right.drop(columns="geometry"))
    assert left.crs == right.crs
    assert left.geometry.geom_equals_exact(right.geometry, tolerance=0).all()


def test_toolbox_has_the_jangkau_group_with_every_verb(qgis_process, qgis_env):
    listed = subprocess.run([qgis_process, "list"], env=qgis_env, capture_output=True, text=True, timeout=300)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    group = lines.index("jangkau")  # the provider's group in the toolbox
    ids = {ln.split("\t")[1] for ln in lines[group + 1:] if ln.startswith("\tjangkau:")}
    assert ids == {f"jangkau:{v}" for v in VERBS}
    described = subprocess.run([qgis_process, "help", "jangkau:coverage"], env=qgis_env, capture_output=True,
                               text=True, timeout=300)
    assert described.returncode == 0, described.stderr
    for param in ("REGION", "FACILITIES", "RADIUS", "LEVEL", "OUTPUT"):
        assert param in described.stdout


def test_coverage_from_qgis_equals_the_cli(qgis_process, qgis_env, data_dir, tmp_path):
    facilities = [str(data_dir / "facilities" / f"cilegon3672_rtrw_{name}_PT.geojson")
                  for name in ("PUSKESMAS", "RUMAH_SAKIT")]
    out = tmp_path / "qgis.gpkg"
    done = qgis_run(qgis_process, qgis_env, "jangkau:coverage", REGION="cilegon", FACILITIES=facilities,
                    RADIUS="1km,3km", LEVEL="1", OUTPUT=str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["results"]["OUTPUT"] == str(out)
    cli_out = tmp_path / "cli.gpkg"
    cli_run("coverage", "cilegon", "--facilities", facilities[0], "--facilities", facilities[1],
            "--radius", "1km,3km", "--level", "kecamatan", "-o", str(cli_out))
    assert_same_layer(out, cli_out, ["code", "facility_type", "radius_m"])
    table = gpd.read_file(out)
    # 8 kecamatan × 3 types (puskesmas, pustu from the same file, rumah_sakit) × 2 radii
    assert len(table) == 8 * 3 * 2 and set(table["radius_m"]) == {1000.0, 3000.0}


@pytest.mark.parametrize("verb", ["zones", "access", "sites", "pilots"])
def test_other_verbs_from_qgis_equal_the_cli(verb, qgis_process, qgis_env, data_dir, tmp_path):
    """The other verbs, through QGIS and straight from the CLI, with the same options."""
    fac = str(data_dir / "facilities" / "cilegon3672_rtrw_PUSKESMAS_PT.geojson")
    roads = [str(p) for p in sorted((data_dir / "roads").glob("cilegon3672_rtrw_*_LN.geojson"))]
    q, c = tmp_path / "qgis.gpkg", tmp_path / "cli.gpkg"
    extra: list[tuple[Path, Path, list[str]]] = []  # further outputs to compare
    if verb == "zones":
        params = {"REGION": "cilegon", "LEVEL": "0"}
        cli = ["zones", "cilegon", "--level", "desa"]
        keys = ["code"]
    elif verb == "access":
        qi, ci = tmp_path / "qgis_iso.geojson", tmp_path / "cli_iso.geojson"
        params = {"REGION": "cilegon", "ROADS": roads, "FACILITIES": fac, "TYPES": "puskesmas", "METHOD": "2",
                  "MAX_TIME": "30min", "ISOCHRONES": str(qi), "BANDS": "15,30"}
        cli = ["access", "cilegon", "--roads", ",".join(roads), "--facilities", fac, "--type", "puskesmas",
               "--method", "e2sfca", "--max-time", "30min", "--isochrones", str(ci), "--bands", "15,30"]
        keys = ["code"]
        extra.append((qi, ci, ["facility_type", "band_min"]))
    elif verb == "sites":
        params = {"REGION": "cilegon", "CANDIDATES_FROM": "1", "MODEL": "0", "P": "3", "RADIUS": "2km",
                  "SOLVER": "1"}
        cli = ["sites", "cilegon", "--candidates", "desa", "--model", "mclp", "--p", "3", "--radius", "2km",
               "--solver", "greedy"]
        keys = ["order"]
    else:
        weights = tmp_path / "weights.csv"
        weights.write_text("indicator,weight\npopulation,2\ndensity_per_km2,1\n")
        # Kabupaten Serang: the dapil of some kecamatan are known (the others are left out, with a warning)
        params = {"REGION": "serang", "WEIGHTS": str(weights), "DRAWS": "200", "SEED": "7"}
        cli = ["pilots", "serang", "--weights", str(weights), "--draws", "200", "--seed", "7"]
        keys = ["code"]
    done = qgis_run(qgis_process, qgis_env, f"jangkau:{verb}", OUTPUT=str(q), **params)
    assert done.returncode == 0, done.stdout + done.stderr
    cli_run(*cli, "-o", str(c))
    for a, b, k in [(q, c, keys), *extra]:
        assert_same_layer(a, b, k)


def test_filtered_layer_is_exported_and_gives_the_cli_result(qgis_process, qgis_env, data_dir, tmp_path):
    """A layer with a filter is not a plain file: the plugin writes the filtered features out and
    jangkau sees exactly them."""
    src = data_dir / "facilities" / "cilegon3672_rtrw_PUSKESMAS_PT.geojson"
    out = tmp_path / "qgis.geojson"
    done = qgis_run(qgis_process, qgis_env, "jangkau:coverage", REGION="cilegon",
                    FACILITIES=f"{src}|subset=\"KETERANGAN\" = 'PUSKESMAS'", LEVEL="0", OUTPUT=str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    filtered = gpd.read_file(src)
    filtered = filtered[filtered["KETERANGAN"] == "PUSKESMAS"]
    assert 0 < len(filtered) < len(gpd.read_file(src))
    own = tmp_path / "filtered" / src.name
    own.parent.mkdir()
    filtered.to_file(own)
    cli_out = tmp_path / "cli.geojson"
    cli_run("coverage", "cilegon", "--facilities", str(own), "--level", "desa", "-o", str(cli_out))
    assert_same_layer(out, cli_out, ["code", "facility_type", "radius_m"])
    assert set(gpd.read_file(out)["facility_type"]) == {"puskesmas"}


def test_bad_input_is_a_processing_error_not_a_traceback(qgis_process, qgis_env, data_dir, tmp_path):
    polygons = data_dir / "boundaries" / "hdx_bps2020_desa_3672_kota_cilegon.geojson"
    done = qgis_run(qgis_process, qgis_env, "jangkau:coverage", REGION="cilegon", FACILITIES=str(polygons),
                    OUTPUT=str(tmp_path / "x.gpkg"))
    assert done.returncode != 0
    text = done.stdout + done.stderr
    # the Processing error is jangkau's one-line message, which names the file
    assert any(line.startswith("jangkau coverage: facility layers must hold points") and f"[file '{polygons}'" in line
               for line in text.splitlines()), text
    assert "Traceback" not in text
    assert not (tmp_path / "x.gpkg").exists()


def test_missing_cli_is_a_processing_error(qgis_process, qgis_env, tmp_path):
    env = dict(qgis_env, JANGKAU_CLI=str(tmp_path / "no-such-jangkau"))
    done = qgis_run(qgis_process, env, "jangkau:zones", REGION="cilegon", OUTPUT=str(tmp_path / "z.gpkg"))
    assert done.returncode != 0
    text = done.stdout + done.stderr
    assert "jangkau command from JANGKAU_CLI not found" in text
    assert "Traceback" not in text


#: Runs algorithms in QGIS's Python the way the desktop does (processing.runAndLoadResults: the
#: outputs are loaded into the project and the plugin's post-processors style them), then reports
#: every loaded layer: its renderer, and what a planner would see wrong (fields the style uses that
#: the layer lacks, features drawn by no symbol, label expressions that do not parse).
LOAD_AND_STYLE = textwrap.dedent("""
    import json, os, sys
    from qgis.core import QgsApplication, QgsExpression, QgsProject, QgsRenderContext, QgsVectorLayer
    app = QgsApplication([], False)
    app.initQgis()
    sys.path[:0] = ["/usr/share/qgis/python/plugins", os.environ["QGIS_PLUGINPATH"]]
    from processing.core.Processing import Processing
    Processing.initialize()
    import processing
    import jangkau_processing
    plugin = jangkau_processing.classFactory(None)
    plugin.initProcessing()
    results = [processing.runAndLoadResults(alg, params) for alg, params in json.loads(sys.argv[1])]
    expected = json.loads(sys.argv[2])
    layers = {}
    for layer in QgsProject.instance().mapLayers().values():
        renderer = layer.renderer()
        fields = set(layer.fields().names())
        used = {renderer.classAttribute()} if hasattr(renderer, "classAttribute") else set()
        ctx = QgsRenderContext()
        renderer.startRender(ctx, layer.fields())
        unstyled = sum(1 for f in layer.getFeatures() if not renderer.symbolsForFeature(f, ctx))
        renderer.stopRender(ctx)
        settings = layer.labeling().settings() if layer.labelsEnabled() else None
        label = QgsExpression(settings.fieldName) if settings is not None else None
        qml = next((q for prefix, q in expected.items() if layer.name().startswith(prefix)), None)
        reference = QgsVectorLayer(layer.source(), "reference", "ogr")
        loaded = reference.loadNamedStyle(qml)[1] if qml else False
        layers[layer.name()] = dict(
            valid=layer.isValid(), features=layer.featureCount(), qml=qml, source=layer.source(),
            style_applied=loaded and layer.renderer().dump() == reference.renderer().dump(),
            missing=sorted(used - fields), unstyled=unstyled,
            label_fields_missing=sorted(set(label.referencedColumns()) - fields) if label else [],
            label_error=label.hasParserError() if label else False)
    print(json.dumps({"results": results, "layers": layers}), flush=True)
    os._exit(0)  # QGIS 3.22 may crash while tearing down at exit; the report is out
""")


def test_outputs_load_into_qgis_with_their_styles(qgis_env, data_dir):
    """coverage, access (with isochrones) and run, as the desktop runs them: every output layer is
    loaded, wears the plugin's style for it, and that style fits the layer."""
    fac = str(data_dir / "facilities" / "cilegon3672_rtrw_PUSKESMAS_PT.geojson")
    roads = [str(p) for p in sorted((data_dir / "roads").glob("cilegon3672_rtrw_*_LN.geojson"))]
    temporary = "TEMPORARY_OUTPUT"
    jobs = [
        ["jangkau:coverage", {"REGION": "cilegon", "FACILITIES": [fac], "OUTPUT": temporary}],
        ["jangkau:access", {"REGION": "cilegon", "ROADS": roads, "FACILITIES": [fac], "OUTPUT": temporary,
                            "ISOCHRONES": temporary}],
        ["jangkau:run", {"REGION": "cilegon", "OUTPUT": temporary}],
    ]
    styles = PLUGIN / "styles"
    expected = {"Coverage": "coverage", "Access": "access", "Isochrone bands": "isochrones",
                "zones_": "zones", "facilities": "facilities", "gaps_": "gaps", "isochrones_": "isochrones",
                "pilots": "pilots", "sites": "sites", "facility_qa": "facilities", "plan_sites": "facilities"}
    expected = {k: str(styles / f"{v}.qml") for k, v in expected.items()}
    done = subprocess.run([QGIS_PYTHON, "-c", LOAD_AND_STYLE, json.dumps(jobs), json.dumps(expected)],
                          env=qgis_env, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    run_folder = Path(report["results"][2]["OUTPUT"])
    assert json.loads((run_folder / "manifest.json").read_text())
    layers = report["layers"]
    # every non-empty map layer of the run's folder is loaded (a gap layer can be empty)
    run_layers = {p.stem for p in run_folder.glob("*.geojson") if not gpd.read_file(p).empty}
    assert run_layers <= set(layers) and len(run_layers) >= 8
    assert {"Coverage", "Access", "Isochrone bands"} <= set(layers)
    # and every style shipped is used
    assert {Path(r["qml"]).stem for r in layers.values() if r["qml"]} == {p.stem for p in styles.glob("*.qml")}
    for name, r in layers.items():
        assert r["valid"] and r["features"] > 0 and r["qml"], (name, r)
        assert r["style_applied"], (name, r)
        assert r["missing"] == [] and r["unstyled"] == 0, (name, r)
        assert r["label_fields_missing"] == [] and not r["label_error"], (name, r)


SETTINGS_CHECK = textwrap.dedent("""
    import json, os, sys
    from qgis.core import QgsApplication
    app = QgsApplication([], True)
    app.initQgis()
    sys.path[:0] = ["/usr/share/qgis/python/plugins", os.environ["QGIS_PLUGINPATH"]]
    from processing.core.Processing import Processing
    Processing.initialize()
    import processing
    from processing.core.ProcessingConfig import ProcessingConfig
    from processing.gui.ConfigDialog import ConfigDialog
    from qgis.core import QgsProcessingException
    import jangkau_processing
    plugin = jangkau_processing.classFactory(None)  # kept alive, as QGIS keeps its plugins
    plugin.initProcessing()
    cli, data, out = sys.argv[1:4]
    ProcessingConfig.setSettingValue("JANGKAU_CLI", cli)
    dialog = ConfigDialog()  # Settings > Options > Processing (kept: its items die with it)
    root = dialog.model.invisibleRootItem()
    providers = next(root.child(i) for i in range(root.rowCount()) if root.child(i).text() == "Providers")
    group = next(providers.child(i) for i in range(providers.rowCount()) if providers.child(i).text() == "jangkau")
    report = {"options": sorted(group.child(i).text() for i in range(group.rowCount()))}
    report["zones"] = processing.run("jangkau:zones", {"REGION": "cilegon", "OUTPUT": out})["OUTPUT"]
    ProcessingConfig.setSettingValue("JANGKAU_DATA", data)
    try:
        processing.run("jangkau:zones", {"REGION": "cilegon", "OUTPUT": out + ".2.gpkg"})
    except QgsProcessingException as exc:
        report["error"] = str(exc)
    print(json.dumps(report), flush=True)
    os._exit(0)
""")


def test_settings_in_processing_options_win(qgis_env, jangkau_cli, tmp_path):
    """The provider's settings are in Processing's options dialog; the jangkau command set there
    wins over JANGKAU_CLI, and the data directory set there is passed as --data."""
    env = dict(qgis_env, JANGKAU_CLI=str(tmp_path / "not-this-one"),
               QGIS_CUSTOM_CONFIG_PATH=str(tmp_path / "profile"))  # settings persist: a profile of its own
    missing = tmp_path / "empty-data"  # a folder (the option checks that) without the data
    missing.mkdir()
    out = tmp_path / "zones.gpkg"
    done = subprocess.run([QGIS_PYTHON, "-c", SETTINGS_CHECK, str(jangkau_cli), str(missing), str(out)],
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(report["options"]) == 2 and report["options"][1].startswith("jangkau command")
    assert report["zones"] == str(out) and len(gpd.read_file(out)) == 8  # Cilegon's kecamatan
    assert report["error"].startswith("jangkau zones: ") and f"[file '{missing}/boundaries/" in report["error"]


# ---- runner.py: the plugin's pure-Python part -------------------------------------------------


def test_find_cli_order(tmp_path, monkeypatch):
    checkout_venv = tmp_path / "checkout" / ".venv"
    monkeypatch.setattr(runner, "_checkout_venv", lambda: checkout_venv)
    exe = tmp_path / "bin" / "jangkau"
    exe.parent.mkdir()
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    other = tmp_path / "my jangkau"  # a path with a space, used as is
    other.write_text("#!/bin/sh\n")
    other.chmod(0o755)
    env = {"PATH": str(exe.parent)}
    assert runner.find_cli(None, env) == [str(exe)]
    assert runner.find_cli(None, dict(env, JANGKAU_CLI=str(other))) == [str(other)]
    assert runner.find_cli(f"{sys.executable} -m jangkau.cli", dict(env, JANGKAU_CLI=str(other))) == [
        sys.executable, "-m", "jangkau.cli"]
    with pytest.raises(runner.CliNotFound, match="from JANGKAU_CLI not found"):
        runner.find_cli("", {"PATH": "", "JANGKAU_CLI": "/nonexistent/jangkau"})
    with pytest.raises(runner.CliNotFound, match="Processing"):
        runner.find_cli("", {"PATH": str(tmp_path / "empty")})
    # last resort: the .venv of the checkout the plugin is linked from, then $VIRTUAL_ENV before it
    venv_cli = checkout_venv / "bin" / "jangkau"
    venv_cli.parent.mkdir(parents=True)
    venv_cli.write_text("#!/bin/sh\n")
    venv_cli.chmod(0o755)
    assert runner.find_cli("", {"PATH": str(tmp_path / "empty")}) == [str(venv_cli)]
    assert runner.find_cli("", {"PATH": str(tmp_path / "empty"), "VIRTUAL_ENV": str(tmp_path)}) == [str(exe)]


def test_error_message_is_jangkau_one_line():
    stderr = "jangkau: 3 facilities lie outside\njangkau: error: no column 'x' [file 'a.gpkg', field 'x']\n"
    assert runner.error_message(stderr, 1) == "no column 'x' [file 'a.gpkg', field 'x']"
    usage = "usage: jangkau coverage [-h] ...\njangkau coverage: error: the following arguments are required: -o\n"
    assert runner.error_message(usage, 2) == "the following arguments are required: -o"
    crash = "Traceback (most recent call last):\n  ...\nMemoryError\n"
    assert runner.error_message(crash, 1) == "jangkau ended with exit code 1: MemoryError"


def test_run_cli_streams_lines_and_raises_the_message(tmp_path):
    seen: list[str] = []
    script = "import sys; print('jangkau: one', file=sys.stderr); print('jangkau: error: bad [file x]', " \
             "file=sys.stderr); sys.exit(1)"
    with pytest.raises(runner.CliFailed) as err:
        runner.run_cli([sys.executable, "-c", script], on_line=seen.append)
    assert str(err.value) == "bad [file x]" and err.value.returncode == 1
    assert seen == ["jangkau: one", "jangkau: error: bad [file x]"]
    assert runner.run_cli([sys.executable, "-c", "print('ok')"]) == "ok"


def _gone(pid: int) -> bool:
    """True once ``pid`` has ended (gone, or a zombie nobody reaped yet); waits up to 10 s."""
    stat = Path(f"/proc/{pid}/stat")
    for _ in range(100):
        try:
            state = stat.read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("ignores_sigint", [False, True])
def test_cancel_stops_the_process_group(tmp_path, monkeypatch, ignores_sigint):
    """Cancel: SIGINT to the whole group (jangkau's KeyboardInterrupt cleans up); a process that
    ignores it is killed after the grace period. Its children go too."""
    monkeypatch.setattr(runner, "CANCEL_GRACE_S", 0.5)
    pids = tmp_path / "pids"
    script = textwrap.dedent(f"""
        import os, signal, subprocess, sys, time
        if {ignores_sigint}:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        child = subprocess.Popen(["sleep", "60"])
        open({str(pids)!r}, "w").write(f"{{os.getpid()}} {{child.pid}}")
        print("started", flush=True)
        time.sleep(60)
    """)
    lines: list[str] = []

    def cancelled() -> bool:
        return "started" in lines

    with pytest.raises(runner.CliCancelled):
        runner.run_cli([sys.executable, "-c", script], on_line=lines.append, is_cancelled=cancelled)
    parent, child = (int(p) for p in pids.read_text().split())
    assert _gone(parent) and _gone(child)
