"""skfmm.utils._docs: shared parameter docs (nilearn's fill_doc pattern)."""

import pytest

from skfmm.utils._docs import docdict, fill_doc, placeholders


def test_fill_doc_inserts_the_entry_at_the_placeholder_indentation():
    @fill_doc
    def f(verbose=0):
        """Summary.

        Parameters
        ----------
        %(verbose0)s
            Specific to f.
        """

    lines = f.__doc__.splitlines()
    assert lines[4] == "        verbose : int, default=0"
    # the entry's description lines follow at the description indentation, then f's own text
    body = [ln for ln in lines[5:] if ln.strip()]
    assert all(ln.startswith("            ") for ln in body)
    assert body[-1].strip() == "Specific to f."
    assert placeholders(f.__doc__) == []


def test_fill_doc_fills_classes_and_leaves_other_percent_signs():
    @fill_doc
    class C:
        """A 50% thing.

        Parameters
        ----------
        %(random_state)s
        """

    assert "A 50% thing." in C.__doc__
    assert "random_state : int, default=0" in C.__doc__
    assert "%(" not in C.__doc__


def test_fill_doc_unknown_key_names_it():
    def g():
        """%(no_such_key)s"""

    with pytest.raises(RuntimeError, match=r"%\(no_such_key\)s.*not a key"):
        fill_doc(g)


def test_fill_doc_without_docstring_is_a_no_op():
    def h():
        pass

    assert fill_doc(h) is h and h.__doc__ is None


def test_docdict_entries_are_numpydoc_entries():
    from numpydoc.docscrape import NumpyDocString

    for key, entry in docdict.items():
        if key.endswith("_desc"):  # a description alone, under the object's own header line
            entry = "name : type\n" + "\n".join("    " + ln for ln in entry.splitlines())
        parsed = NumpyDocString("Parameters\n----------\n" + entry + "\n")["Parameters"]
        assert len(parsed) == 1, key
        assert parsed[0].type and parsed[0].desc, key


def _package_objects():
    """(qualified name, object) of every function, class and method defined in skfmm."""
    import importlib
    import inspect
    import pkgutil

    import skfmm

    for info in pkgutil.walk_packages(skfmm.__path__, "skfmm."):
        if ".demo" in info.name or info.name == "skfmm.utils._docs":
            continue
        mod = importlib.import_module(info.name)
        for name, obj in vars(mod).items():
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and \
                    getattr(obj, "__module__", None) == mod.__name__:
                yield f"{mod.__name__}.{name}", obj
                if inspect.isclass(obj):
                    for mname, meth in vars(obj).items():
                        func = getattr(meth, "__func__", meth)
                        if inspect.isfunction(func):
                            yield f"{mod.__name__}.{name}.{mname}", func


def test_no_placeholder_is_left_unfilled_in_the_package():
    """Every ``%(key)s`` written in a docstring of skfmm was filled at import (the object is
    decorated with fill_doc): what Sphinx, help() and numpydoc read holds no placeholder."""
    unfilled = {q: placeholders(obj.__doc__) for q, obj in _package_objects()
                if placeholders(obj.__doc__)}
    assert unfilled == {}


def test_every_docdict_entry_is_shared():
    """An entry documents a parameter of two objects or more (one used once is not shared),
    and each is used somewhere in the package's source."""
    import pathlib
    import re

    import skfmm

    root = pathlib.Path(skfmm.__file__).parent
    uses = {key: 0 for key in docdict}
    for path in root.rglob("*.py"):
        if path.name == "_docs.py" and path.parent.name == "utils":
            continue
        # a placeholder stands on a line of its own (argparse's inline %(default)s is not one)
        text = path.read_text(encoding="utf-8")
        for key in re.findall(r"^[ \t]*%\((\w+)\)s[ \t]*$", text, flags=re.M):
            assert key in docdict, f"{path}: unknown placeholder %({key})s"
            uses[key] += 1
    assert {k: n for k, n in uses.items() if n < 2} == {}
