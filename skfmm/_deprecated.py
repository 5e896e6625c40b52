"""Module-level deprecation of names that moved (PEP 562 ``__getattr__``).

``__getattr__, __all__ = moved_names(__name__, {"name": "skfmm.new.home", ...})``: each name
still imports from the old module, with a :class:`FutureWarning` naming its new home. The
moved names are left out of ``dir()`` (no completion to a deprecated name, and tools that walk
``dir()``, such as pytest's fixture collection, do not trigger the warning).
"""

import importlib
import warnings


def moved_names(module, new_homes):
    """Return ``(__getattr__, __all__)`` of a deprecated module whose names moved.

    Parameters
    ----------
    module : str
        The deprecated module's name (``__name__``).
    new_homes : dict of str -> str
        Each public name and the module it moved to.

    Examples
    --------
    >>> import warnings
    >>> from skfmm._deprecated import moved_names
    >>> getattr_, all_ = moved_names("old.place", {"sqrt": "math"})
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     getattr_("sqrt")(4.0)
    2.0
    >>> caught[0].category.__name__, "from math import sqrt" in str(caught[0].message)
    ('FutureWarning', True)
    """
    names = sorted(new_homes)

    def __getattr__(name):
        if name not in new_homes:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        home = new_homes[name]
        warnings.warn(f"{module}.{name} is deprecated and will be removed in a future release: "
                      f"import it from {home} instead (from {home} import {name}).",
                      FutureWarning, stacklevel=2)
        return getattr(importlib.import_module(home), name)

    return __getattr__, names
