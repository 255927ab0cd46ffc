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


def _package_imports():
    """{module: [(imported module, names, line)]} for every import of a jangkau module
    anywhere in the package: module level, inside functions (lazy imports) and under
    ``if TYPE_CHECKING``; relative imports resolved to absolute names."""
    import ast
    from pathlib import Path

    root = Path(jangkau.__file__).parent
    out: dict[str, list[tuple[str, list[str], int]]] = {}
    for path in sorted(root.rglob("*.py")):
        mod = ".".join(("jangkau",) + path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
        pkg = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
        found = []
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    parts = pkg.split(".")
                    target = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if target == "jangkau" or target.startswith("jangkau."):
                    found.append((target, [a.name for a in node.names], node.lineno))
            elif isinstance(node, ast.Import):
                found += [(a.name, [], node.lineno) for a in node.names
                          if a.name == "jangkau" or a.name.startswith("jangkau.")]
        out[mod] = found
    return out


def _import_graph() -> dict[str, set[str]]:
    """Module → the jangkau modules it imports (a name imported from a package counts as the
    submodule when there is one). A module's own parent packages are left out: importing a
    submodule runs them anyway, so an edge to them cannot close a cycle of its own."""
    imports = _package_imports()
    graph: dict[str, set[str]] = {}
    for mod, found in imports.items():
        deps = set()
        for target, names, _ in found:
            subs = {f"{target}.{n}" for n in names} & imports.keys()
            deps |= subs or ({target} if target in imports else set())
            if target in imports and set(names) - {n.rsplit(".", 1)[-1] for n in subs}:
                deps.add(target)
        graph[mod] = {d for d in deps if d != mod and not mod.startswith(d + ".")}
    return graph


def test_import_graph_sees_lazy_imports():
    graph = _import_graph()
    assert "jangkau.network.build" in graph["jangkau.workflow.steps.access"]  # inside step_access
    assert "jangkau.workflow.report" in graph["jangkau.workflow.steps.outputs"]  # inside step_report
    assert "jangkau.data.facilities" in graph["jangkau.data.region"]  # inside Region.facility_layers
    assert "jangkau.workflow.result" in graph["jangkau.workflow.report"]  # under TYPE_CHECKING


def test_no_import_cycles_between_modules():
    """No chain of imports leads from a module back to itself — counting imports inside
    functions too: a lazy import only hides a cycle until the function runs."""
    graph = _import_graph()
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        path.append(m)
        for d in sorted(graph.get(m, ())):
            if state.get(d) == 1:
                cycle = path[path.index(d):] + [d]
                raise AssertionError("import cycle " + " -> ".join(cycle))
            if d not in state:
                visit(d)
        path.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)


def test_library_code_does_not_import_the_cli():
    offenders = [f"{mod}:{line} imports {target}" for mod, found in _package_imports().items()
                 if not (mod == "jangkau.cli" or mod.startswith("jangkau.cli."))
                 for target, names, line in found
                 if target == "jangkau.cli" or target.startswith("jangkau.cli.")
                 or (target == "jangkau" and "cli" in names)]
    assert offenders == []


def test_no_module_imports_private_names_of_another():
    """``from .x import _name`` reaches into another module's internals; the engine module
    ``_core`` is the one private module every module may use."""
    imports = _package_imports()
    offenders = []
    for mod, found in imports.items():
        for target, names, line in found:
            owner, _, last = target.rpartition(".")
            if last.startswith("_") and not last.startswith("__") and last != "_core" and owner != mod:
                offenders.append(f"{mod}:{line} imports the private module {target}")
            if target == mod:
                continue
            for n in names:
                own_submodule = f"{target}.{n}" in imports and target == mod
                if n.startswith("_") and not n.startswith("__") and n != "_core" and not own_submodule:
                    offenders.append(f"{mod}:{line} imports {n} from {target}")
    assert offenders == []


def test_no_module_uses_private_attributes_of_another():
    """``obj._name`` where ``_name`` is defined nowhere in the module using it: a private
    attribute of another module's object (``population._source_geometry()``,
    ``network._graph``). Attributes of modules from outside jangkau (``argparse._SubParsersAction``)
    are not jangkau's to police."""
    import ast
    from pathlib import Path

    root = Path(jangkau.__file__).parent
    offenders = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        defined: set[str] = set()
        foreign: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                defined.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                defined.add(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                defined.add(node.attr)
            elif isinstance(node, ast.arg):
                defined.add(node.arg)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                defined.add(node.value)  # __slots__ entries
            elif isinstance(node, ast.Import):
                foreign |= {(a.asname or a.name).split(".")[0] for a in node.names if not a.name.startswith("jangkau")}
            elif isinstance(node, ast.ImportFrom) and not node.level and not (node.module or "").startswith("jangkau"):
                foreign |= {a.asname or a.name for a in node.names}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                    and node.attr not in defined and node.attr != "_core"):
                base = node.value
                while isinstance(base, ast.Attribute):
                    base = base.value
                if isinstance(base, ast.Name) and base.id in foreign:
                    continue
                offenders.append(f"{path.relative_to(root)}:{node.lineno} {ast.unparse(node)}")
    assert offenders == []


@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["coverage", "--help"]])
def test_cli_start_up_loads_neither_pandas_nor_the_engine(argv):
    """Building the parser (and ``--version``) imports argparse and the small command modules
    only; the chosen command's ``run`` loads pandas, geopandas and the engine."""
    code = ("import runpy, sys\n"
            f"sys.argv = ['jangkau', *{argv!r}]\n"
            "try:\n"
            "    runpy.run_module('jangkau.cli', run_name='__main__')\n"
            "except SystemExit as exc:\n"
            "    assert exc.code in (0, None), exc.code\n"
            "heavy = [m for m in ('numpy', 'pandas', 'geopandas', 'shapely', 'pyproj', 'jangkau._core') "
            "if m in sys.modules]\n"
            "print('HEAVY:' + ','.join(heavy))\n"
            "print('CLI:' + ','.join(sorted(m for m in sys.modules if m.startswith('jangkau.cli.'))))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-2] == "HEAVY:"
    if argv[0] == "coverage":  # one verb: only its module (and the small option parsers)
        assert out.stdout.strip().splitlines()[-1] == "CLI:jangkau.cli.coverage,jangkau.cli.options"
    if argv == ["--version"]:
        assert out.stdout.splitlines()[0] == f"jangkau {jangkau.__version__}"
    else:
        assert "usage: jangkau" in out.stdout


@pytest.mark.parametrize("argv,verb", [
    (["coverage", "cilegon", "--facilities", "f.geojson", "-o", "x.csv"], "coverage"),
    (["-q", "--data", "run", "zones", "serang", "-o", "z.geojson"], "zones"),  # a data folder named "run"
    (["--dat", "/d", "-v", "dapil", "check", "serang", "-o", "c.csv"], "dapil"),  # abbreviations count
    (["--data=/d", "run", "-o", "out"], "run"),
    (["--help"], None),
    (["nope", "zones"], None),
    ([], None),
])
def test_cli_builds_the_parser_of_the_chosen_command_only(argv, verb):
    from jangkau.cli import build_parser, chosen_command

    assert chosen_command(argv) == verb
    if verb is not None:  # the parser of one command parses as the parser of all of them
        one = vars(build_parser(argv).parse_args(argv))
        full = vars(build_parser().parse_args(argv))
        assert one == full and one["command"] == verb
