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
        parsed = NumpyDocString("Parameters\n----------\n" + entry + "\n")["Parameters"]
        assert len(parsed) == 1, key
        assert parsed[0].type and parsed[0].desc, key
