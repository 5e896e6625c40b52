"""No skfmm module imports another module's underscored name: what modules share
has a name without an underscore (in a package-private ``_common.py`` when it is internal)."""

import ast
from pathlib import Path

import skfmm

PACKAGE = Path(skfmm.__file__).parent
# The whole package is held to the rule (issue 24): every subpackage and top-level module.
CHECKED = tuple(sorted(
    p.name for p in PACKAGE.iterdir()
    if (p.is_dir() and (p / "__init__.py").exists()) or p.suffix == ".py"))


def private_imports(path):
    """``(line, module, name)`` of each ``from <skfmm module> import _name`` in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom):
            continue
        module = "." * node.level + (node.module or "")
        if not (node.level or module.startswith("skfmm")):
            continue  # third-party privates are another matter
        for alias in node.names:
            if alias.name.startswith("_") and not alias.name.startswith("__"):
                found.append((node.lineno, module, alias.name))
    return found


def test_the_scan_sees_a_private_import(tmp_path):
    planted = tmp_path / "m.py"
    planted.write_text("def f():\n    from .attributions import _resolve, ok\n")
    assert private_imports(planted) == [(2, ".attributions", "_resolve")]


def test_no_cross_module_import_of_a_private_name():
    offending = {}
    for entry in CHECKED:
        paths = [PACKAGE / entry] if entry.endswith(".py") else (PACKAGE / entry).rglob("*.py")
        for path in paths:
            if private_imports(path):
                offending[str(path.relative_to(PACKAGE))] = private_imports(path)
    assert offending == {}
    # the scan covers every package and top-level module, the classifier included
    assert {"classifier", "foundation", "evaluation", "benchmark", "container.py"} <= set(CHECKED)
