"""The one-way layering of bayesnu, checked on the source code (docs/architecture.md).

Every module under ``bayesnu/``, ``models/`` (installed as ``bayesnu.models``) and
``inference/`` (``bayesnu.inference``) is parsed, and every import it makes is
collected, *including imports inside functions and methods*. A module may import
only from its own layer or a lower one, and no private name (``_x``, a ``_x``
module included) may be imported from another package.

Layers, lowest first (the rule that assigns a module is in :func:`layer_of`):

=====  ===========  ==========================================================
rank   layer        modules
=====  ===========  ==========================================================
0      base         ``bayesnu`` and every root *module file* ``bayesnu/<name>.py``
                    (errors, version, sources, atomic, jsonio, citations ...),
                    ``bayesnu.data``
1      response     ``bayesnu.detector``, ``bayesnu.pdfs``
2      simulate     ``bayesnu.simulate``
3      kernels      ``bayesnu.likelihood``, ``bayesnu.flare``, ``bayesnu.transport``,
                    ``bayesnu.lightcurve``, ``bayesnu.blazar`` and *any other*
                    ``bayesnu.<package>`` (numpy / numba kernels, no PyTensor model)
4      ops          ``bayesnu.ops`` and any module named ``ops`` (``bayesnu.transport.ops``)
5      models       ``bayesnu.models``
6      inference    ``bayesnu.inference``
7      apps         ``bayesnu.apps``, ``bayesnu.cli``
=====  ===========  ==========================================================

A new root module file (``bayesnu/x.py``) is "base" (a small utility every layer
may use); a new package (``bayesnu/x/``) lands in "kernels" unless it is added to
``_PACKAGE_LAYER``; a new file in ``models/`` or ``inference/`` lands in its
folder's layer. Same-layer imports
across packages are allowed, but the package graph and the module graph must be
free of cycles (function-level imports included).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# source folder -> dotted package it is installed as
SOURCE_DIRS = {"bayesnu": "bayesnu", "models": "bayesnu.models", "inference": "bayesnu.inference"}

LAYERS = ("base", "response", "simulate", "kernels", "ops", "models", "inference", "apps")
RANK = {name: i for i, name in enumerate(LAYERS)}

# first-level packages/modules below ``bayesnu`` with a layer other than "kernels"
_PACKAGE_LAYER = {
    "": "base",  # bayesnu/__init__.py, bayesnu/_version.py, bayesnu/errors.py, ...
    "data": "base",
    "detector": "response",
    "pdfs": "response",
    "simulate": "simulate",
    "ops": "ops",
    "models": "models",
    "inference": "inference",
    "apps": "apps",
    "cli": "apps",
}
_SOURCE_ROOT = ROOT / "bayesnu"


def _root_modules() -> set[str]:
    """Names of the module files directly in ``bayesnu/`` (all "base")."""
    return {p.stem for p in _SOURCE_ROOT.glob("*.py") if p.stem != "__init__"}


_ROOT_MODULES = _root_modules()


def layer_of(module: str) -> str:
    """Layer of a dotted module name ``bayesnu.x.y``.

    1. a module named ``ops`` anywhere (``bayesnu.transport.ops``) is "ops";
    2. root module files (``bayesnu/errors.py``, ``bayesnu/atomic.py``, any new
       ``bayesnu/x.py``) are "base";
    3. otherwise the first component below ``bayesnu`` decides via ``_PACKAGE_LAYER``;
    4. any other package below ``bayesnu`` (new analyses) is "kernels".
    """
    parts = module.split(".")
    assert parts[0] == "bayesnu", module
    if len(parts) > 2 and parts[-1] == "ops":
        return "ops"
    first = parts[1] if len(parts) > 1 else ""
    if first in _ROOT_MODULES:
        return "base"
    return _PACKAGE_LAYER.get(first, "kernels")


def package_of(module: str) -> str:
    """``bayesnu.x`` for ``bayesnu.x.y...``; root modules belong to ``bayesnu``."""
    parts = module.split(".")
    if len(parts) == 1 or parts[1] in _ROOT_MODULES:
        return "bayesnu"
    return ".".join(parts[:2])


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def iter_modules() -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` file of the three source folders."""
    return dict(_modules_under(ROOT))


@lru_cache(maxsize=4)
def _modules_under(root: Path) -> tuple[tuple[str, Path], ...]:
    modules: dict[str, Path] = {}
    for folder, package in SOURCE_DIRS.items():
        for path in sorted((root / folder).rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            parts = list(path.relative_to(root / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join([package, *parts])] = path
    return tuple(modules.items())


def iter_imports(module: str, path: Path):
    """Yield ``(target_module, imported_name_or_None, line)`` for every bayesnu import.

    ``from a.b import c`` yields the target ``a.b`` with name ``c`` and, when
    ``a.b.c`` is itself a module, the caller resolves it; ``import a.b`` yields
    ``a.b`` with no name. Relative imports are resolved against ``module``.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "bayesnu" or alias.name.startswith("bayesnu."):
                    yield alias.name, None, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target == "bayesnu" or target.startswith("bayesnu."):
                for alias in node.names:
                    yield target, alias.name, node.lineno


def collect_edges() -> list[tuple[str, str, str | None, int]]:
    """All ``(importer, imported_module, imported_name, line)`` edges.

    ``from bayesnu.x import y`` where ``bayesnu.x.y`` is a module counts as an
    import of that module.
    """
    return list(_edges_under(ROOT))


@lru_cache(maxsize=4)
def _edges_under(root: Path) -> tuple[tuple[str, str, str | None, int], ...]:
    modules = dict(_modules_under(root))
    edges = []
    for module, path in modules.items():
        for target, name, line in iter_imports(module, path):
            if name is not None and f"{target}.{name}" in modules:
                edges.append((module, f"{target}.{name}", None, line))
            else:
                edges.append((module, target, name, line))
    return tuple(edges)


def _where(module: str, line: int) -> str:
    return f"{iter_modules()[module].relative_to(ROOT)}:{line}"


def upward_violations() -> list[str]:
    out = []
    for src, dst, name, line in collect_edges():
        a, b = layer_of(src), layer_of(dst)
        if RANK[b] > RANK[a]:
            what = f"{dst}.{name}" if name else dst
            out.append(f"{_where(src, line)}: {src} [{a}] imports {what} [{b}]")
    return sorted(out)


def private_violations() -> list[str]:
    out = []
    for src, dst, name, line in collect_edges():
        if package_of(src) == package_of(dst):
            continue
        private_parts = [p for p in dst.split(".")[1:] if _is_private(p)]
        # bayesnu._version etc. are root modules: private to the root package only
        if private_parts or (name is not None and _is_private(name)):
            what = f"{dst}.{name}" if name else dst
            out.append(f"{_where(src, line)}: {src} imports private {what}")
    return sorted(out)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def cycle_violations() -> list[str]:
    modules = set(iter_modules())
    module_graph: dict[str, set[str]] = defaultdict(set)
    package_graph: dict[str, set[str]] = defaultdict(set)
    for src, dst, _name, _line in collect_edges():
        if dst not in modules or dst == src:
            continue
        # a package's __init__ importing its own submodules is not a cycle
        if dst.startswith(src + ".") or src.startswith(dst + "."):
            continue
        module_graph[src].add(dst)
        ps, pd = package_of(src), package_of(dst)
        if ps != pd and "bayesnu" not in (ps, pd):
            package_graph[ps].add(pd)
    out = [f"module cycle: {' <-> '.join(c)}" for c in _cycles(module_graph)]
    out += [f"package cycle: {' <-> '.join(c)}" for c in _cycles(package_graph)]
    return out


def _report(kind: str, violations: list[str]) -> str:
    return f"{len(violations)} {kind}:\n  " + "\n  ".join(violations)


def test_layer_rule_assigns_every_module():
    for module in iter_modules():
        assert layer_of(module) in RANK
    # the rule for packages nobody has listed yet
    assert layer_of("bayesnu.newanalysis.kernel") == "kernels"
    assert layer_of("bayesnu.newanalysis.ops") == "ops"
    assert layer_of("bayesnu.models.newmodel") == "models"
    assert layer_of("bayesnu.inference.newthing") == "inference"
    assert layer_of("bayesnu.apps.report") == "apps"


def test_checker_catches_upward_and_private_imports(tmp_path, monkeypatch):
    """The checks themselves would fail on a bad import inside a function."""
    (tmp_path / "bayesnu" / "pdfs").mkdir(parents=True)
    (tmp_path / "bayesnu" / "__init__.py").write_text("")
    (tmp_path / "bayesnu" / "pdfs" / "__init__.py").write_text("")
    (tmp_path / "bayesnu" / "pdfs" / "bad.py").write_text(
        "def f():\n    from bayesnu.models import flare\n    from bayesnu.data.core import _x\n"
    )
    for folder in ("models", "inference"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "__init__.py").write_text("")
    (tmp_path / "models" / "flare.py").write_text("import bayesnu.inference\n")
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    up = upward_violations()
    assert any("bayesnu.pdfs.bad [response] imports bayesnu.models.flare [models]" in v for v in up)
    assert any("bayesnu.models.flare [models] imports bayesnu.inference" in v for v in up)
    assert any("imports private bayesnu.data.core._x" in v for v in private_violations())


def test_no_upward_imports():
    violations = upward_violations()
    assert not violations, _report("upward imports (see docs/architecture.md)", violations)


def test_no_private_names_across_packages():
    violations = private_violations()
    assert not violations, _report("private names imported across packages", violations)


def test_no_import_cycles():
    violations = cycle_violations()
    assert not violations, _report("import cycles", violations)


if __name__ == "__main__":  # python tests/test_layering.py: print every violation
    for kind, found in (
        ("upward imports", upward_violations()),
        ("private names across packages", private_violations()),
        ("cycles", cycle_violations()),
    ):
        print(_report(kind, found))
