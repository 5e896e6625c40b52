"""The package's layout rules: no import cycle between skfmm modules nor between its packages
(function-level and lazy imports included)."""

import ast
from pathlib import Path

import skfmm

PACKAGE = Path(skfmm.__file__).parent


def _modules():
    mods = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = path
    return mods


def _imports(name, path, mods):
    """skfmm modules imported anywhere in ``path`` (function-level imports too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                if path.name != "__init__.py":
                    base = base[:-1]
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            candidates = [f"{target}.{alias.name}" for alias in node.names] + [target]
        elif isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            continue
        for cand in candidates:
            while cand and cand not in mods:
                cand = cand.rpartition(".")[0]
            if cand and cand != name:
                found.add(cand)
    return found


def _cycles(graph):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_cycle_finder_sees_a_planted_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycle_in_the_package():
    mods = _modules()
    assert "skfmm.classifier.fmmtc" in mods and "skfmm.evaluation.nested" in mods
    graph = {name: _imports(name, path, mods) for name, path in mods.items()}
    # the graph is real: known edges are seen
    assert "skfmm.utils.validation" in graph["skfmm.extraction.timeseries"]
    assert _cycles(graph) == []


def test_shared_helpers_depend_on_nothing_else_in_the_package():
    mods = _modules()
    for name, path in mods.items():
        if name.startswith("skfmm.utils"):
            assert {m for m in _imports(name, path, mods)
                    if not m.startswith("skfmm.utils")} == set(), name


def test_the_container_sits_on_the_ground_floor():
    # MultimodalData is read by extraction, foundation, classifier and interpret: it may use
    # the shared helpers only, so that no package reaches another one through it.
    mods = _modules()
    assert "skfmm.container" in mods
    assert {m for m in _imports("skfmm.container", mods["skfmm.container"], mods)
            if not m.startswith("skfmm.utils")} == set()


def _lazy_targets(path, mods):
    """Modules a package's ``_LAZY = {"Name": "skfmm.module"}`` map imports on first use."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict)
                and any(isinstance(t, ast.Name) and t.id == "_LAZY" for t in node.targets)):
            found |= {v.value for v in node.value.values
                      if isinstance(v, ast.Constant) and v.value in mods}
    return found


def _package_of(module):
    """``skfmm.extraction.timeseries`` -> ``skfmm.extraction``; a top-level module
    (``skfmm.parallel``, ``skfmm.container``) and ``skfmm`` itself are their own node."""
    return ".".join(module.split(".")[:2])


def _package_graph(graph):
    """The module graph collapsed to packages, with the module edges behind each arrow."""
    packages, behind = {}, {}
    for module, targets in graph.items():
        source = _package_of(module)
        packages.setdefault(source, set())
        for target in targets:
            sink = _package_of(target)
            packages.setdefault(sink, set())
            if sink != source:
                packages[source].add(sink)
                behind.setdefault((source, sink), []).append(f"{module} -> {target}")
    return packages, behind


def test_package_collapse_sees_a_cycle_that_no_module_cycle_shows():
    # a.x -> b.y and b.z -> a (the package): no module cycle, but packages a and b need
    # each other; c only depends on a; a top-level module is its own node.
    graph = {"skfmm.a.x": {"skfmm.b.y"}, "skfmm.b.y": set(), "skfmm.b.z": {"skfmm.a"},
             "skfmm.a": set(), "skfmm.c": {"skfmm.a.x"}, "skfmm.d": {"skfmm.c"}}
    assert _cycles(graph) == []
    packages, behind = _package_graph(graph)
    assert packages == {"skfmm.a": {"skfmm.b"}, "skfmm.b": {"skfmm.a"}, "skfmm.c": {"skfmm.a"},
                        "skfmm.d": {"skfmm.c"}}
    assert _cycles(packages) == [["skfmm.a", "skfmm.b"]]
    assert behind[("skfmm.b", "skfmm.a")] == ["skfmm.b.z -> skfmm.a"]


def test_no_import_cycle_between_packages():
    mods = _modules()
    graph = {name: _imports(name, path, mods) | _lazy_targets(path, mods)
             for name, path in mods.items()}
    packages, behind = _package_graph(graph)
    # the graph is real: known package edges are seen, lazy ones included
    assert "skfmm.container" in packages["skfmm.extraction"]
    assert "skfmm.classifier" in packages["skfmm"]  # skfmm.FMMTCClassifier, lazily
    cycles = _cycles(packages)
    assert cycles == [], [(c, sorted(e for (a, b), edges in behind.items()
                                     if a in c and b in c for e in edges)) for c in cycles]
