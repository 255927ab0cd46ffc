"""The documentation site builds in strict mode (broken links, missing pages, docstrings
mkdocstrings cannot render and nav entries without a file all fail the build)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _build(site: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", PYTHONDONTWRITEBYTECODE="1")
    # No network at build time: any plugin that tries to fetch something fails fast.
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        env[var] = "http://127.0.0.1:9"
    env["NO_PROXY"] = env["no_proxy"] = ""
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(ROOT / "mkdocs.yml"),
         "--site-dir", str(site)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200,
    )


def test_docs_build_strict(tmp_path: Path) -> None:
    site = tmp_path / "site"
    proc = _build(site)
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr}"
    assert "WARNING" not in proc.stderr, proc.stderr

    # The pages the site promises are there and not empty.
    for page in ("index.html", "quickstart/index.html", "cli/index.html", "pipeline/index.html",
                 "methods/index.html", "sources/index.html", "api/region/index.html"):
        assert (site / page).stat().st_size > 2000, page

    # The CLI reference is generated from the real parsers: every subcommand is documented.
    from jangkau.cli import SUBCOMMANDS

    cli = (site / "cli" / "index.html").read_text(encoding="utf-8")
    assert "<!-- cli-reference -->" not in cli
    for name in SUBCOMMANDS:
        assert f"jangkau {name}" in cli, name

    # The download catalogue table is generated from datasets/sources.toml.
    sources = (site / "sources" / "index.html").read_text(encoding="utf-8")
    assert "<!-- sources-catalogue -->" not in sources
    assert "hdx_desa_3604" in sources and "ODbL" in sources

    # The Python reference rendered the docstrings (a function of jangkau.data.region by its anchor).
    region = (site / "api" / "region" / "index.html").read_text(encoding="utf-8")
    assert 'id="jangkau.data.region.Region"' in region

    # Notebooks present in notebooks/ are rendered as cookbook pages (not executed).
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert (site / "notebooks" / nb.stem / "index.html").is_file(), nb.name

    # The search index exists (built locally by the search plugin).
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert len(index["docs"]) > 20
