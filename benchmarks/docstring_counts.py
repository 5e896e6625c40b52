"""Count the numpydoc parameter entries of the package and their distinct wordings.

For every function, method and class of ``skfmm`` (the docstrings as Python sees them at import,
i.e. after :func:`skfmm.utils._docs.fill_doc` filled them), parse the ``Parameters`` section with
numpydoc and group the entries by parameter name. A parameter's *wording* is its type line and
description, whitespace-normalised. Columns:

- ``entries``: the objects that document the parameter;
- ``distinct``: different full wordings (a shared entry followed by a function's own sentence
  counts as its own wording);
- ``shared``: entries that start with a :data:`skfmm.utils._docs.docdict` entry (whole entry, or
  a ``_desc`` description under the object's own type line);
- ``wordings``: distinct *base* wordings, each shared entry counted as its docdict key (what a
  reader sees as "worded differently": the sentences that define the parameter).

Run from the repository root::

    PYTHONPATH=$PWD python benchmarks/docstring_counts.py            # the repeated ones
    PYTHONPATH=$PWD python benchmarks/docstring_counts.py random_state verbose foundation_model
    PYTHONPATH=$PWD python benchmarks/docstring_counts.py --skip skfmm.classifier,skfmm.benchmark random_state

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


def parameter_entries(skip=()):
    """Map parameter name -> list of (object name, wording), leaving out modules in ``skip``."""
    entries = defaultdict(list)
    for qualname, obj in iter_objects():
        if any(qualname.startswith(prefix + ".") for prefix in skip):
            continue
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


def _norm(text):
    return " ".join(text.split())


def shared_wordings():
    """Map parameter name -> [(docdict key, normalised wording it starts an entry with)]."""
    try:
        from skfmm.utils._docs import docdict
    except ImportError:  # before the shared docs existed
        return {}
    out = defaultdict(list)
    for key, entry in docdict.items():
        if key.endswith("_desc"):
            name = key[: -len("_desc")]
            out[name].append((key, None, _norm(entry)))
        else:
            head, _, desc = entry.partition("\n")
            name, _, type_ = head.partition(" : ")
            out[name.strip()].append((key, _norm(type_), _norm(desc)))
    return out


def base_wording(name, wording, shared):
    """The docdict key an entry starts with, else its own wording."""
    for key, type_, desc in shared.get(name, []):
        text = desc if type_ is None else f"{type_} {desc}"
        if type_ is None:
            # a description under the object's own type line: anywhere after the type
            if f" {desc}" in f" {wording}":
                return f"docdict:{key}"
        elif wording.startswith(text):
            return f"docdict:{key}"
    return wording


def main(names):
    skip = ()
    if names and names[0] == "--skip":
        skip, names = tuple(names[1].split(",")), names[2:]
    entries = parameter_entries(skip)
    shared = shared_wordings()
    if not names:
        names = sorted(entries, key=lambda n: (-len(entries[n]), n))
        names = [n for n in names if len(entries[n]) >= 3]
    print(f"{'parameter':<24} {'entries':>7} {'distinct':>8} {'shared':>6} {'wordings':>8}")
    for n in names:
        items = entries.get(n, [])
        bases = [base_wording(n, w, shared) for _, w in items]
        n_shared = sum(b.startswith("docdict:") for b in bases)
        print(f"{n:<24} {len(items):>7} {len({w for _, w in items}):>8} {n_shared:>6} "
              f"{len(set(bases)):>8}")


if __name__ == "__main__":
    main(sys.argv[1:])
