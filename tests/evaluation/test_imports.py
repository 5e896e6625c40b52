"""The modules of skfmm.evaluation import in any order and never import one another back."""

import ast
import pathlib
import subprocess
import sys

import pytest

import skfmm.evaluation

PACKAGE = pathlib.Path(skfmm.evaluation.__file__).parent
MODULES = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")


def _imported_siblings(module):
    """The sibling modules that ``module`` imports anywhere in its code (lazy imports too)."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    siblings = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level == 1 and node.module:
            siblings.add(node.module.split(".")[0])
        elif node.level == 1:  # from . import x
            siblings.update(alias.name for alias in node.names)
        elif (node.module or "").startswith("skfmm.evaluation."):
            siblings.add(node.module.split(".")[2])
    return siblings & set(MODULES)


GRAPH = {m: _imported_siblings(m) for m in MODULES}


def _reachable(start):
    seen, todo = set(), list(GRAPH[start])
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(GRAPH[module])
    return seen


def test_no_module_imports_one_that_imports_it_back():
    assert {"nested", "results", "summary", "stats", "permutation"} <= set(MODULES)
    assert [m for m in MODULES if m in _reachable(m)] == [], GRAPH


# The package's __init__ imports every module in one fixed order, so each run replaces it by
# an empty package: the modules then load in exactly the order given. Each module first, the
# others after it forwards and backwards, puts every pair in both orders.
_SCRIPT = """
import importlib, sys, types
package = types.ModuleType("skfmm.evaluation")
package.__path__ = [{path!r}]
sys.modules["skfmm.evaluation"] = package
importlib.import_module("skfmm.evaluation." + {first!r})
print(sorted(m.rsplit(".", 1)[1] for m in sys.modules if m.startswith("skfmm.evaluation.")))
for name in {rest!r}:
    importlib.import_module("skfmm.evaluation." + name)
"""


@pytest.mark.parametrize("first", MODULES)
def test_each_module_imports_alone_and_before_any_other(first):
    rest = [m for m in MODULES if m != first]
    for order in (rest, rest[::-1]):
        script = _SCRIPT.format(path=str(PACKAGE), first=first, rest=order)
        run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                             check=False)
        assert run.returncode == 0, run.stderr
        # Alone, a module loads exactly what it imports, nothing that would import it back.
        assert run.stdout.split("\n")[0] == str(sorted({first} | _reachable(first)))
