"""The layout figures of issue 24, read from the code of a checkout (before/after a refactor).

Counts what the issue measured: file and function lengths, the classifier's skorch overrides
and writes to skorch-internal names, package-level import arrows that run back up (cycles
between packages), the foundation model's loading sites and type checks, private names used
across modules, and, by tracing one ``FMMTCClassifier.fit`` and one ``predict_proba`` on a
toy cohort, how many input checks run and how many calls climb from a lower package to a
higher one.

Usage (the checkout's code is imported, so run it with that checkout on ``PYTHONPATH``)::

    PYTHONPATH=. python benchmarks/architecture_counts.py --root . --json counts.json
    PYTHONPATH=/tmp/before python benchmarks/architecture_counts.py --root /tmp/before

The layer order used for "climbs" (lower first): utils / container / _typing, datasets,
foundation, nn, extraction, classifier, evaluation / interpret / parallel, benchmark,
commands / cli. A call from a function of a lower layer into a function of a higher one is
a climb (the data going back up the layers).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

LAYERS = {
    "utils": 0, "container": 0, "_typing": 0, "_lazy": 0,
    "datasets": 1, "foundation": 2, "nn": 3, "extraction": 4, "classifier": 5,
    "evaluation": 6, "interpret": 6, "parallel": 6, "benchmark": 7,
    "report": 7, "baselines": 7, "commands": 8, "cli": 8, "__main__": 8,
}
INTERNAL_WRITES = ["classes_inferred_", "__cuda_dependent_attributes__", "self.__dict__[",
                   "object.__setattr__", "tb_frame", "f_locals", "_is_score_improved",
                   "_calc_new_threshold", "misses_"]


def _modules(pkg):
    mods = {}
    for path in sorted(pkg.rglob("*.py")):
        parts = list(path.relative_to(pkg.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = path
    return mods


def _imports(name, path, mods):
    """(module, imported names) pairs of every skfmm import in ``path``."""
    found = []
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
            names = [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            target, names = None, [a.name for a in node.names]
        else:
            continue
        cands = [target] if target else names
        for cand in cands:
            mod = cand
            while mod and mod not in mods:
                mod = mod.rpartition(".")[0]
            if mod and mod != name:
                found.append((mod, names if target else []))
    return found


def _package(mod):
    parts = mod.split(".")
    return parts[1] if len(parts) > 1 else "skfmm"


def package_graph(pkg):
    mods = _modules(pkg)
    edges = defaultdict(set)
    private = []
    for name, path in mods.items():
        for mod, names in _imports(name, path, mods):
            a, b = _package(name), _package(mod)
            if a != b and a != "skfmm" and b != "skfmm":
                edges[a].add(b)
            for n in names:
                if n.startswith("_") and not n.startswith("__") and mod != name:
                    private.append(f"{name} imports {mod}.{n}")
    return edges, private


def cycles(graph):
    nodes = set(graph) | {w for ws in graph.values() for w in ws}
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


def _function(tree, name):
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == name:
            return node
    return None


def _length(root, rel, name):
    path = root / rel
    if not path.exists():
        return None
    for cand in [path] + sorted(path.parent.glob("*.py")):
        node = _function(ast.parse(cand.read_text()), name)
        if node is not None:
            doc = ast.get_docstring(node)
            n_doc = 0
            if doc is not None:
                first = node.body[0]
                n_doc = first.end_lineno - first.lineno + 1
            out = {"file": str(cand.relative_to(root)), "lines": node.end_lineno - node.lineno + 1,
                   "docstring_lines": n_doc}
            if isinstance(node, ast.FunctionDef):
                a = node.args
                out["parameters"] = len(a.posonlyargs + a.args + a.kwonlyargs) - (
                    1 if a.args and a.args[0].arg in ("self", "cls") else 0)
            return out
    return None


def static_counts(root):
    pkg = root / "skfmm"
    files = ["classifier/fmmtc.py", "classifier/runtime.py", "classifier/batched.py",
             "benchmark/run.py", "evaluation/nested.py", "interpret/attributions.py"]
    out = {"file_lines": {f: (len((pkg / f).read_text().splitlines()) if (pkg / f).exists()
                              else None) for f in files}}
    out["functions"] = {n: _length(pkg, f, n) for f, n in [
        ("classifier/fmmtc.py", "FMMTCClassifier"), ("benchmark/run.py", "run_benchmark"),
        ("evaluation/nested.py", "nested_cross_validate"),
        ("interpret/attributions.py", "region_attributions")]}
    edges, private = package_graph(pkg)
    cyc = cycles(edges)
    back = sorted(f"{a} -> {b}" for comp in cyc for a in comp for b in edges[a] if b in comp)
    out["package_cycles"] = cyc
    out["package_arrows_in_cycles"] = back
    out["private_names_across_modules"] = sorted(set(private))
    text = {p: p.read_text() for p in pkg.rglob("*.py")}
    out["skorch_internal_names"] = {k: sum(t.count(k) for t in text.values())
                                    for k in INTERNAL_WRITES}
    load_sites = Counter()
    for p, t in text.items():
        for node in ast.walk(ast.parse(t)):
            if isinstance(node, ast.Call):
                f = node.func
                fname = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
                if fname in ("load_foundation_model", "resolve_foundation_model"):
                    load_sites[f"{p.relative_to(pkg)}:{fname}"] += 1
    out["foundation_loading_calls"] = dict(sorted(load_sites.items()))
    out["content_params_defs"] = {k: sum(len(re.findall(rf"def {k}\(", t)) for t in text.values())
                                  for k in ("_content_params", "content_params")}
    out["brainlm_isinstance_checks"] = sum(len(re.findall(r"isinstance\([^)]*BrainLM\b", t))
                                           for t in text.values())
    return out


def skorch_overrides():
    from skorch import NeuralNetClassifier

    from skfmm import FMMTCClassifier
    names = set(dir(NeuralNetClassifier))
    own = {}
    for cls in FMMTCClassifier.__mro__:
        if cls.__module__.startswith("skfmm"):
            for k, v in vars(cls).items():
                if callable(v) or isinstance(v, (property, staticmethod, classmethod)):
                    own.setdefault(k, cls.__name__)
    over = sorted(k for k in own if k in names and k not in ("__doc__", "__module__"))
    return {"methods_in_skfmm_classes": len(own), "skorch_overrides": len(over),
            "overridden": over}


def traced_counts():
    """Input checks and upward calls during one fit and one predict_proba (toy cohort)."""
    import numpy as np
    import torch

    from skfmm import ConnectivityExtractor, FMMTCClassifier, TimeSeriesExtractor
    from skfmm.datasets import make_pain_cohort
    torch.set_num_threads(1)
    coh = make_pain_cohort(16, n_regions=20, n_timepoints=60, random_state=0)
    ts = TimeSeriesExtractor(coords=coh.coords, t_r=coh.t_r, window=40,
                             foundation_model="demo").fit_transform(coh.timeseries)
    X = ConnectivityExtractor().fit_transform(ts)
    y = np.asarray(coh.y)
    clf = FMMTCClassifier(foundation_model="demo", fc_encoder="mlp", max_epochs=2,
                          random_state=0, verbose=0)
    pkg_root = os.path.dirname(sys.modules["skfmm"].__file__)
    check_re = re.compile(r"(^_?check|_check_|valid|finite)")

    def layer(code):
        f = code.co_filename
        if not f.startswith(pkg_root):
            return None
        rel = os.path.relpath(f, pkg_root).split(os.sep)
        top = rel[0][:-3] if rel[0].endswith(".py") else rel[0]
        return top

    def trace(fn):
        checks, climbs = Counter(), Counter()

        def prof(frame, event, arg):
            if event != "call":
                return
            callee = layer(frame.f_code)
            if callee is None:
                return
            name = frame.f_code.co_name
            if check_re.search(name):
                checks[f"{callee}.{name}"] += 1
            back = frame.f_back
            caller = layer(back.f_code) if back is not None else None
            if caller and caller != callee and LAYERS.get(caller, 9) < LAYERS.get(callee, 9):
                climbs[f"{caller}.{back.f_code.co_name} -> {callee}.{name}"] += 1

        sys.setprofile(prof)
        try:
            fn()
        finally:
            sys.setprofile(None)
        return {"input_checks": sum(checks.values()), "checks": dict(checks.most_common()),
                "climbs": sum(climbs.values()), "climb_calls": dict(climbs.most_common())}

    fit = trace(lambda: clf.fit(X, y))
    proba = trace(lambda: clf.predict_proba(X))
    return {"fit": fit, "predict_proba": proba}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=".", help="the checkout to read (its skfmm/ folder)")
    ap.add_argument("--json", help="write the counts here")
    ap.add_argument("--no-trace", action="store_true", help="skip the traced fit")
    args = ap.parse_args(argv)
    root = Path(args.root).resolve()
    out = static_counts(root)
    import skfmm
    if Path(skfmm.__file__).resolve().parent != root / "skfmm":
        sys.exit(f"architecture_counts: skfmm is imported from {skfmm.__file__}, not from "
                 f"{root}: run with PYTHONPATH={root}")
    out.update(skorch_overrides())
    if not args.no_trace:
        out["traced"] = traced_counts()
    text = json.dumps(out, indent=1, default=str)
    if args.json:
        Path(args.json).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
