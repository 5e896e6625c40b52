"""Count the numpydoc parameter entries of the package and their distinct wordings.

For every function, method and class of ``skfmm`` (the docstrings as Python sees them at import,
i.e. after :func:`skfmm.utils._docs.fill_doc` filled them), parse the ``Parameters`` section with
numpydoc and group the entries by parameter name. A parameter's *wording* is its type line and
description, whitespace-normalised; ``distinct`` counts different wordings, ``entries`` counts
the objects that document that parameter.

Run from the repository root::

    PYTHONPATH=$PWD python benchmarks/docstring_counts.py            # the repeated ones
    PYTHONPATH=$PWD python benchmarks/docstring_counts.py random_state verbose foundation_model

Static reading (no import of the heavy modules is needed for the count, but the package is
imported so that filled docstrings are what is counted).
"""

import importlib
import inspect
import pkgutil
import sys
from collections import defaultdict

from numpydoc.docscrape import NumpyDocString

import skfmm


def iter_objects():
    """Yield (qualified name, object) for each function, class and method defined in skfmm."""
    seen = set()
    for info in pkgutil.walk_packages(skfmm.__path__, "skfmm."):
        if ".demo" in info.name:
            continue
        try:
            mod = importlib.import_module(info.name)
        except Exception as exc:  # pragma: no cover - reported, not hidden
            print(f"# could not import {info.name}: {exc}", file=sys.stderr)
            continue
        for name, obj in vars(mod).items():
            if not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            if getattr(obj, "__module__", None) != mod.__name__:
                continue
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            yield f"{mod.__name__}.{name}", obj
            if inspect.isclass(obj):
                for mname, meth in vars(obj).items():
                    func = getattr(meth, "__func__", meth)
                    if inspect.isfunction(func) and id(func) not in seen:
                        seen.add(id(func))
                        yield f"{mod.__name__}.{name}.{mname}", func


def parameter_entries():
    """Map parameter name -> list of (object name, wording)."""
    entries = defaultdict(list)
    for qualname, obj in iter_objects():
        doc = obj.__doc__
        if not doc:
            continue
        try:
            parsed = NumpyDocString(inspect.cleandoc(doc))
        except Exception:
            continue
        for section in ("Parameters", "Other Parameters"):
            for p in parsed[section]:
                for pname in p.name.split(","):
                    pname = pname.strip()
                    wording = " ".join((p.type + " " + " ".join(p.desc)).split())
                    entries[pname].append((qualname, wording))
    return entries


def main(names):
    entries = parameter_entries()
    if not names:
        names = sorted(entries, key=lambda n: (-len(entries[n]), n))
        names = [n for n in names if len(entries[n]) >= 3]
    print(f"{'parameter':<24} {'entries':>7} {'distinct':>8}")
    for n in names:
        items = entries.get(n, [])
        print(f"{n:<24} {len(items):>7} {len({w for _, w in items}):>8}")


if __name__ == "__main__":
    main(sys.argv[1:])
