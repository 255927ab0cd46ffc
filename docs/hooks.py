"""mkdocs hooks of the jangkau documentation (listed under ``hooks:`` in mkdocs.yml).

* Notebooks as cookbooks: every ``notebooks/*.ipynb`` of the repository is added to the
  site (rendered by mkdocs-jupyter with ``execute: false``; their stored outputs are shown)
  and listed at the end of the navigation under "Cookbook". The notebooks stay where they
  are — nothing is copied into ``docs/``.
* The download catalogue: the marker ``<!-- sources-catalogue -->`` (docs/sources.md) is
  replaced by a table generated from ``datasets/sources.toml``, so the licences listed on
  the site are the ones ``jangkau data fetch`` records.
* Bracketed text in docstrings such as ``dapil[, seats][, closed | composition]`` reads to
  Markdown as a reference link ``[text][id]``; autorefs then reports a missing target
  ", closed | composition". An id with a space, comma or bar cannot name a Python object
  or a heading, so such pseudo-links are put back as the literal text they were. Real
  cross-references (``[Region][jangkau.Region]``) are untouched and still fail strict mode
  when their target is missing.
* Docstring roles: the docstrings use Sphinx roles (``:class:`~jangkau.data.region.Region```);
  Markdown renders them as a literal ``:class:`` before a code span. They are turned into
  optional cross-references: a link when the target is documented in the API reference,
  plain code otherwise (never a warning, so strict mode stays about real errors).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
COOKBOOK = "Cookbook"
SOURCES_TOML = ROOT / "datasets" / "sources.toml"
SOURCES_MARKER = "<!-- sources-catalogue -->"


def _notebooks() -> list[Path]:
    if not NOTEBOOKS.is_dir():
        return []
    return sorted(p for p in NOTEBOOKS.glob("*.ipynb") if not p.name.startswith("."))


def on_config(config):
    """Append the notebooks present to the navigation (after everything else)."""
    nbs = _notebooks()
    nav = config.get("nav")
    if nbs and nav is not None and not any(isinstance(e, dict) and COOKBOOK in e for e in nav):
        nav.append({COOKBOOK: [f"notebooks/{p.name}" for p in nbs]})
    return config


@event_priority(100)  # before mkdocs-jupyter wraps the notebook files
def on_files(files, config):
    """Add ``notebooks/*.ipynb`` from the repository root (outside ``docs/``)."""
    for p in _notebooks():
        uri = f"notebooks/{p.name}"
        if files.get_file_from_path(uri) is None:
            files.append(File(uri, src_dir=str(ROOT), dest_dir=config["site_dir"],
                              use_directory_urls=config["use_directory_urls"]))
    return files


def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def sources_table() -> str:
    """Markdown table of the download catalogue (``datasets/sources.toml``)."""
    doc = tomllib.loads(SOURCES_TOML.read_text(encoding="utf-8"))
    regions: dict[str, list[str]] = {}
    for region, spec in sorted((doc.get("regions") or {}).items()):
        for sid in spec.get("sources", []):
            regions.setdefault(sid, []).append(region)
    rows = ["| source id | what | licence | attribution | checksum | used by |", "|---|---|---|---|---|---|"]
    for sid, src in doc.get("sources", {}).items():
        pinned = "pinned sha256" if src.get("sha256", "unknown") != "unknown" else "recorded at first download"
        rows.append(f"| `{sid}` | {_cell(src.get('title', ''))} | {_cell(src.get('licence', ''))} | "
                    f"{_cell(src.get('attribution', ''))} | {pinned} | {_cell(', '.join(regions.get(sid, [])))} |")
    return "\n".join(rows) + "\n"


def on_page_markdown(markdown: str, page, config, files) -> str:
    if SOURCES_MARKER in markdown:
        markdown = markdown.replace(SOURCES_MARKER, sources_table())
    return markdown


_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|attr|mod|exc|data|obj|const):<code>(~?)([A-Za-z_][\w.]*)(\(\))?</code>")


def _role(match: re.Match) -> str:
    short, target, call = match.group(1), match.group(2), match.group(3) or ""
    title = target.rsplit(".", 1)[-1] if short else target
    if "." not in target:  # a bare name: nothing to resolve against
        return f"<code>{title}{call}</code>"
    return f'<autoref identifier="{target}" optional><code>{title}{call}</code></autoref>'


_AUTOREF = re.compile(r"<autoref (?P<attrs>[^>]*)>(?P<title>.*?)</autoref>", flags=re.DOTALL)
_IDENTIFIER = re.compile(r'\bidentifier="(?P<id>[^"]*)"')
_NOT_AN_ID = re.compile(r"[\s,|]")


def _literal_brackets(match: re.Match) -> str:
    found = _IDENTIFIER.search(match["attrs"])
    if found is None or not _NOT_AN_ID.search(found["id"]):
        return match.group(0)
    return f"[{match['title']}][{found['id']}]"


def on_page_content(html: str, page, config, files) -> str:
    if "<autoref " in html:
        html = _AUTOREF.sub(_literal_brackets, html)
    if ":<code>" in html:
        html = _ROLE.sub(_role, html)
    return html
