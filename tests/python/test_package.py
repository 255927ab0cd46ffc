"""The package layout: subpackages, the 0.1 module paths kept as aliases for one release,
and a cheap ``import jangkau``."""

from __future__ import annotations

import importlib
import subprocess
import sys
import warnings

import pytest

import jangkau
from jangkau import _compat


@pytest.mark.parametrize("old,new", sorted(_compat.MOVED.items()))
def test_old_module_path_is_the_new_module(old, new):
    real = importlib.import_module(f"jangkau.{new}")
    sys.modules.pop(f"jangkau.{old}", None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        alias = importlib.import_module(f"jangkau.{old}")
    assert alias is real
    assert alias.__spec__.name == f"jangkau.{new}"  # the alias does not rename the module
    assert any(issubclass(w.category, DeprecationWarning) and f"jangkau.{new}" in str(w.message)
               for w in caught)
    assert getattr(jangkau, old) is real


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError):
        jangkau.no_such_module  # noqa: B018


def test_version_is_the_engines():
    from jangkau import _core

    assert jangkau.__version__ == _core.__version__


def test_import_jangkau_loads_neither_pandas_nor_the_engine():
    code = ("import sys, jangkau, jangkau.data, jangkau.cli; "
            "heavy = [m for m in ('pandas', 'geopandas', 'shapely', 'jangkau._core') if m in sys.modules]; "
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_no_import_cycles_between_modules():
    """Every module imports (at module level) only modules that do not import it back."""
    import ast
    from pathlib import Path

    root = Path(jangkau.__file__).parent
    graph: dict[str, set[str]] = {}
    for path in root.rglob("*.py"):
        mod = ".".join(("jangkau", *path.relative_to(root).with_suffix("").parts)).removesuffix(".__init__")
        pkg = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
        deps = set()
        for node in ast.parse(path.read_text()).body:  # module level only: lazy imports inside functions are fine
            if isinstance(node, ast.ImportFrom) and node.level:
                base = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
                deps.add(target)
                deps.update(f"{target}.{a.name}" for a in node.names)
        graph[mod] = deps
    for a, deps in graph.items():
        for b in deps:
            if b in graph and b != a and not a.startswith(b + "."):
                assert a not in graph[b] or b.startswith(a + "."), f"import cycle {a} <-> {b}"
