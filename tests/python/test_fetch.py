"""Tests of `jangkau data fetch` against a local HTTP server (this machine has no internet).

The server (http.server in a thread on 127.0.0.1) serves files generated in the test,
honours Range requests, and can be told to misbehave on the next requests for a path:
cut the body short, answer 500, or ignore the Range header.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import re
import threading
import tomllib
from pathlib import Path

import numpy as np
import pytest

from jangkau import cli
from jangkau.data.fetch import LOCK_FILE, catalogue_path, fetch, load_catalogue, sha256_file, status
from jangkau.errors import DataFileError, InvalidInputError

# -- the local server -----------------------------------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    server_version = "jangkau-test/1"

    def log_message(self, *args) -> None:  # keep pytest output quiet
        pass

    def do_GET(self) -> None:
        srv = self.server
        srv.requests.append((self.path, self.headers.get("Range")))
        body = srv.files.get(self.path)
        if body is None:
            self.send_error(404, "Not Found")
            return
        plan = srv.plans.get(self.path, [])
        mode = plan.pop(0) if plan else "ok"
        if mode == "500":
            self.send_error(500, "Internal Server Error")
            return
        start, status_code = 0, 200
        rng = self.headers.get("Range")
        if rng and mode != "ignore-range":
            m = re.fullmatch(r"bytes=(\d+)-", rng)
            assert m, rng
            start = int(m.group(1))
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(body)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status_code = 206
        self.send_response(status_code)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body) - start))
        self.send_header("Accept-Ranges", "bytes")
        if status_code == 206:
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        self.end_headers()
        payload = body[start:]
        if mode == "truncate":  # promise everything, send the first 40 %, hang up
            payload = payload[: int(len(payload) * 0.4)]
            self.close_connection = True
        self.wfile.write(payload)
        self.wfile.flush()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.files: dict[str, bytes] = {}
        self.plans: dict[str, list[str]] = {}
        self.requests: list[tuple[str, str | None]] = []

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def server():
    srv = _Server()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(timeout=5)


def _blob(n: int, seed: int) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()


def _sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def _catalogue(tmp_path: Path, server: _Server, entries: dict[str, dict], regions: dict[str, list[str]]) -> Path:
    lines = ["format = 1", ""]
    for sid, e in entries.items():
        lines.append(f"[sources.{sid}]")
        for k, v in e.items():
            lines.append(f"{k} = {json.dumps(v)}")
        lines.append("")
    for name, ids in regions.items():
        lines += [f"[regions.{name}]", f"sources = {json.dumps(ids)}", ""]
    p = tmp_path / "sources.toml"
    p.write_text("\n".join(lines))
    return p


@pytest.fixture
def tiny(tmp_path, server):
    """A catalogue with a pinned boundary file and an unpinned (\"unknown\") raster."""
    bounds = _blob(300_000, 1)
    raster = _blob(150_000, 2)
    server.files["/b/desa.geojson"] = bounds
    server.files["/r/pop.tif"] = raster
    cat = _catalogue(tmp_path, server, {
        "bounds": {"url": server.base + "/b/desa.geojson", "path": "boundaries/desa.geojson",
                   "sha256": _sha(bounds), "size": len(bounds), "licence": "CC BY-IGO"},
        "raster": {"url": server.base + "/r/pop.tif", "path": "population/pop.tif", "sha256": "unknown",
                   "licence": "CC BY 4.0"},
    }, {"tiny": ["bounds", "raster"]})
    return {"catalogue": cat, "dest": tmp_path / "cache", "bounds": bounds, "raster": raster}


def _fetch(t, names="tiny", **kw):
    kw.setdefault("progress", False)
    kw.setdefault("backoff_s", 0.0)
    return fetch(names, catalogue=t["catalogue"], dest=t["dest"], **kw)


# -- downloads and the cache ----------------------------------------------------------------


def test_download_then_cache_hit(tiny, server):
    first = _fetch(tiny, progress=True)
    assert list(first["action"]) == ["downloaded", "downloaded"]
    assert (tiny["dest"] / "boundaries/desa.geojson").read_bytes() == tiny["bounds"]
    assert (tiny["dest"] / "population/pop.tif").read_bytes() == tiny["raster"]
    assert list(first["pinned"]) == [True, False]
    assert not list(tiny["dest"].rglob("*.part"))
    lock = json.loads((tiny["dest"] / LOCK_FILE).read_text())
    assert lock["files"]["population/pop.tif"]["sha256"] == _sha(tiny["raster"])
    assert lock["files"]["population/pop.tif"]["pinned"] is False
    assert lock["files"]["boundaries/desa.geojson"]["pinned"] is True
    n = len(server.requests)
    second = _fetch(tiny)
    assert list(second["action"]) == ["cached", "cached"]
    assert len(server.requests) == n  # no network on a verified cache hit
    assert list(second["sha256"]) == [_sha(tiny["bounds"]), _sha(tiny["raster"])]


def test_interrupted_download_resumes_with_range(tiny, server):
    server.plans["/b/desa.geojson"] = ["truncate"]
    out = _fetch(tiny, names="bounds")
    assert out["action"].iloc[0] == "downloaded"
    assert (tiny["dest"] / "boundaries/desa.geojson").read_bytes() == tiny["bounds"]
    reqs = [r for r in server.requests if r[0] == "/b/desa.geojson"]
    assert reqs[0][1] is None
    assert reqs[1][1] == f"bytes={int(len(tiny['bounds']) * 0.4)}-"  # resumed, not restarted


def test_resume_across_runs_keeps_the_part_file(tiny, server):
    server.plans["/b/desa.geojson"] = ["truncate"]
    with pytest.raises(DataFileError) as err:
        _fetch(tiny, names="bounds", retries=0)
    msg = str(err.value)
    assert "/b/desa.geojson" in msg and "resume" in msg
    final = tiny["dest"] / "boundaries/desa.geojson"
    part = final.with_name(final.name + ".part")
    assert not final.exists()  # nothing half-written under the real name
    assert part.read_bytes() == tiny["bounds"][: int(len(tiny["bounds"]) * 0.4)]
    assert status("tiny", catalogue=tiny["catalogue"], dest=tiny["dest"])["state"].tolist() == ["partial", "missing"]
    dry = _fetch(tiny, names="bounds", dry_run=True)
    assert dry["action"].iloc[0] == "would resume"
    _fetch(tiny, names="bounds")
    assert final.read_bytes() == tiny["bounds"] and not part.exists()
    assert server.requests[-1] == ("/b/desa.geojson", f"bytes={int(len(tiny['bounds']) * 0.4)}-")


def test_server_error_is_retried(tiny, server):
    server.plans["/r/pop.tif"] = ["500", "500"]
    out = _fetch(tiny, names="raster", retries=3)
    assert out["action"].iloc[0] == "downloaded"
    assert [r for r in server.requests if r[0] == "/r/pop.tif"].__len__() == 3


def test_retries_exhausted_raise(tiny, server):
    server.plans["/r/pop.tif"] = ["500"] * 10
    with pytest.raises(DataFileError) as err:
        _fetch(tiny, names="raster", retries=2)
    assert "/r/pop.tif" in str(err.value) and "2 retries" in str(err.value)
    assert len([r for r in server.requests if r[0] == "/r/pop.tif"]) == 3


def test_server_ignoring_range_restarts_cleanly(tiny, server):
    server.plans["/b/desa.geojson"] = ["truncate", "ignore-range"]
    _fetch(tiny, names="bounds")
    assert (tiny["dest"] / "boundaries/desa.geojson").read_bytes() == tiny["bounds"]


def test_checksum_mismatch_is_an_error_and_leaves_nothing(tmp_path, server):
    body = _blob(10_000, 3)
    server.files["/x.bin"] = body
    cat = _catalogue(tmp_path, server, {"x": {"url": server.base + "/x.bin", "path": "x/x.bin",
                                              "sha256": "0" * 64}}, {"r": ["x"]})
    with pytest.raises(DataFileError) as err:
        fetch("r", catalogue=cat, dest=tmp_path / "c", progress=False, backoff_s=0)
    msg = str(err.value)
    assert "checksum mismatch" in msg and server.base + "/x.bin" in msg and _sha(body) in msg
    assert err.value.file == str(tmp_path / "c" / "x" / "x.bin")
    assert not (tmp_path / "c" / "x" / "x.bin").exists()
    assert not (tmp_path / "c" / "x" / "x.bin.part").exists()


def test_http_404_is_a_clear_error_without_retries(tmp_path, server):
    cat = _catalogue(tmp_path, server, {"gone": {"url": server.base + "/missing.tif", "path": "gone.tif",
                                                 "sha256": "unknown"}}, {"r": ["gone"]})
    with pytest.raises(DataFileError) as err:
        fetch("r", catalogue=cat, dest=tmp_path / "c", progress=False, retries=5, backoff_s=0)
    assert "HTTP 404" in str(err.value) and server.base + "/missing.tif" in str(err.value)
    assert "gone.tif" in str(err.value)
    assert len(server.requests) == 1
    # through the CLI: one line on stderr, exit code 1
    rc = cli.main(["data", "fetch", "r", "--catalogue", str(cat), "--dest", str(tmp_path / "c")])
    assert rc == 1


def test_unpinned_file_is_verified_against_the_lock(tiny, server):
    _fetch(tiny)
    cached = tiny["dest"] / "population/pop.tif"
    cached.write_bytes(b"tampered" + tiny["raster"][8:])
    with pytest.raises(DataFileError) as err:
        _fetch(tiny, names="raster")
    assert "--force" in str(err.value) and err.value.file == str(cached)
    assert status("raster", catalogue=tiny["catalogue"], dest=tiny["dest"], verify=True)["state"].iloc[0] == "mismatch"
    # the publisher changed the file: --force takes the new one and records its checksum
    new = _blob(120_000, 9)
    server.files["/r/pop.tif"] = new
    out = _fetch(tiny, names="raster", force=True)
    assert out["action"].iloc[0] == "downloaded" and cached.read_bytes() == new
    lock = json.loads((tiny["dest"] / LOCK_FILE).read_text())
    assert lock["files"]["population/pop.tif"]["sha256"] == _sha(new)
    assert _fetch(tiny, names="raster")["action"].iloc[0] == "cached"


def test_damaged_pinned_file_is_downloaded_again(tiny, server):
    _fetch(tiny)
    cached = tiny["dest"] / "boundaries/desa.geojson"
    cached.write_bytes(b"broken")
    out = _fetch(tiny, names="bounds")
    assert out["action"].iloc[0] == "downloaded"
    assert cached.read_bytes() == tiny["bounds"]


def test_force_downloads_again(tiny, server):
    _fetch(tiny)
    n = len(server.requests)
    out = _fetch(tiny, force=True)
    assert list(out["action"]) == ["downloaded", "downloaded"]
    assert len(server.requests) == n + 2


def test_dry_run_touches_nothing(tiny, server):
    out = _fetch(tiny, dry_run=True)
    assert list(out["action"]) == ["would download", "would download"]
    assert out["bytes"].iloc[0] == len(tiny["bounds"])
    assert server.requests == []
    assert not tiny["dest"].exists()


def test_file_placed_by_hand_is_adopted(tiny, server):
    target = tiny["dest"] / "population/pop.tif"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"my own copy")
    out = _fetch(tiny, names="raster")
    assert out["action"].iloc[0] == "adopted"
    assert server.requests == []
    lock = json.loads((tiny["dest"] / LOCK_FILE).read_text())
    assert lock["files"]["population/pop.tif"]["adopted"] is True
    assert lock["files"]["population/pop.tif"]["sha256"] == sha256_file(target)


def test_range_past_the_end_completes_a_full_part_file(tiny, server):
    final = tiny["dest"] / "boundaries/desa.geojson"
    final.parent.mkdir(parents=True)
    final.with_name(final.name + ".part").write_bytes(tiny["bounds"])  # complete, not yet renamed
    out = _fetch(tiny, names="bounds")
    assert out["action"].iloc[0] == "downloaded" and final.read_bytes() == tiny["bounds"]
    assert server.requests == [("/b/desa.geojson", f"bytes={len(tiny['bounds'])}-")]


def test_status_reports_cache_states(tiny, server):
    st = status(catalogue=tiny["catalogue"], dest=tiny["dest"])
    assert st["state"].tolist() == ["missing", "missing"]
    assert st["checksum"].tolist() == ["catalogue", "unknown"]
    _fetch(tiny)
    st = status(catalogue=tiny["catalogue"], dest=tiny["dest"], verify=True)
    assert st["state"].tolist() == ["verified", "verified"]
    assert st["checksum"].tolist() == ["catalogue", "lock"]
    assert st["regions"].tolist() == ["tiny", "tiny"]


def test_default_destination_is_the_user_cache(tiny, server, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    fetch("bounds", catalogue=tiny["catalogue"], progress=False)
    assert (tmp_path / "xdg" / "jangkau" / "data" / "boundaries" / "desa.geojson").read_bytes() == tiny["bounds"]


# -- the CLI --------------------------------------------------------------------------------


def test_cli_fetch_list_path(tiny, server, capsys, tmp_path):
    args = ["--catalogue", str(tiny["catalogue"]), "--dest", str(tiny["dest"])]
    assert cli.main(["-q", "data", "fetch", "tiny", *args]) == 0
    out = capsys.readouterr().out
    assert "downloaded" in out and "boundaries/desa.geojson" in out
    assert cli.main(["data", "fetch", "tiny", "--dry-run", *args]) == 0
    assert "would verify" in capsys.readouterr().out
    assert cli.main(["data", "list", *args, "--verify"]) == 0
    out = capsys.readouterr().out
    assert "verified" in out and "CC BY 4.0" in out
    assert cli.main(["data", "fetch", "nowhere", *args]) == 1
    assert "neither a region nor a source" in capsys.readouterr().err
    assert cli.main(["--data", str(tiny["dest"]), "data", "path"]) == 0
    assert capsys.readouterr().out.strip() == str(tiny["dest"].resolve())


def test_cli_synthetic_writes_a_labelled_region(tmp_path, capsys):
    assert cli.main(["-q", "data", "synthetic", str(tmp_path / "syn"), "--seed", "2", "--cells", "20000"]) == 0
    toml = Path(capsys.readouterr().out.strip())
    cfg = tomllib.loads(toml.read_text())
    assert cfg["synthetic"] is True and (tmp_path / "syn" / "population" / "population.tif").is_file()


# -- the catalogue --------------------------------------------------------------------------


def test_catalogue_must_state_every_checksum(tmp_path, server):
    bad = {"url": server.base + "/x", "path": "x"}
    cat = _catalogue(tmp_path, server, {"x": bad}, {})
    with pytest.raises(InvalidInputError) as err:
        load_catalogue(cat)
    assert err.value.field == "sha256"
    for entry, field in (({**bad, "sha256": "abc"}, "sha256"), ({**bad, "sha256": "unknown", "url": "ftp://x"}, "url"),
                         ({**bad, "sha256": "unknown", "path": "../escape"}, "path")):
        cat = _catalogue(tmp_path, server, {"x": entry}, {})
        with pytest.raises(InvalidInputError) as err:
            load_catalogue(cat)
        assert err.value.field == field
    cat = _catalogue(tmp_path, server, {"x": {**bad, "sha256": "unknown"}}, {"r": ["x", "y"]})
    with pytest.raises(InvalidInputError) as err:
        load_catalogue(cat)
    assert err.value.field == "y"


def test_shipped_catalogue_is_complete():
    cat = load_catalogue()
    assert cat.path == catalogue_path()
    assert {"serang", "cilegon", "banten"} <= set(cat.regions)
    for sid, src in cat.sources.items():
        assert src.licence and src.attribution, sid
        assert src.url.startswith("https://"), sid
        if sid.startswith(("hdx_", "cahyadsn_")):
            assert src.sha256 is not None and src.size, sid  # GitHub files are pinned to a commit
            assert re.search(r"/[0-9a-f]{40}/", src.url), sid
    kinds = {s.licence for s in cat.select(["serang"])}
    assert {"CC BY-IGO", "ODbL 1.0", "CC BY 4.0"} <= kinds
    assert len(cat.select(["banten"])) == 10


def test_shipped_checksums_match_the_shared_copies(data_dir):
    """The shared data holds byte-for-byte copies of the GitHub files: their sha256 and sizes
    must be the catalogue's, and the catalogue's paths are where the data directory keeps them."""
    cat = load_catalogue()
    checked = 0
    for src in cat.sources.values():
        p = data_dir / src.path
        if src.sha256 is None:
            continue
        assert p.is_file(), src.path
        assert sha256_file(p) == src.sha256, src.id
        assert p.stat().st_size == src.size, src.id
        checked += 1
    assert checked == 14  # 11 boundary files + 3 facility registers
