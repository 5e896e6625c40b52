"""One naming scheme for regions (parcels) across extraction, interpretation and figures.

A region is named by the user's names when given (an atlas's label names, e.g. from its
lookup table), else by :func:`default_region_names`: ``region0``, ``region1``, ... in the
order of the parcels (the columns of ``ts``, the rows of ``xyz`` and ``fc``), 0-based.
:class:`~skfmm.ConnectivityExtractor` (``region_names=``), :func:`skfmm.interpret.region_attributions`
and :func:`skfmm.interpret.interpretation_report` (``region_names=``) and the figures use
the same names.
"""

from __future__ import annotations

import numpy as np

__all__ = ["default_region_names", "check_region_names"]


def default_region_names(n_regions):
    """The default region names: ``region0`` ... ``region{n_regions - 1}``, in parcel order.

    Parameters
    ----------
    n_regions : int
        Number of regions (parcels).

    Returns
    -------
    ndarray of str (object dtype), shape (n_regions,)

    Examples
    --------
    >>> from skfmm.extraction import default_region_names
    >>> default_region_names(3).tolist()
    ['region0', 'region1', 'region2']
    """
    if isinstance(n_regions, bool) or not isinstance(n_regions, (int, np.integer)) \
            or n_regions < 1:
        raise ValueError(f"'n_regions' must be a positive integer; got {n_regions!r}.")
    return np.array([f"region{i}" for i in range(int(n_regions))], dtype=object)


def check_region_names(names, n_regions, argument="region_names"):
    """``names`` as an object array of ``n_regions`` distinct non-empty strings, or
    :func:`default_region_names` when ``names`` is None; errors name ``argument``.

    Examples
    --------
    >>> from skfmm.extraction.names import check_region_names
    >>> check_region_names(["PCC", "mPFC"], 2).tolist()
    ['PCC', 'mPFC']
    >>> check_region_names(None, 2).tolist()
    ['region0', 'region1']
    """
    if names is None:
        return default_region_names(n_regions)
    if isinstance(names, str) or not hasattr(names, "__len__"):
        raise TypeError(f"'{argument}' must be a sequence of {n_regions} region names; got "
                        f"{type(names).__name__}.")
    names = np.asarray(list(names), dtype=object)
    if len(names) != n_regions:
        raise ValueError(f"'{argument}' must hold one name per region ({n_regions}); got "
                         f"{len(names)}.")
    if not all(isinstance(n, str) and n for n in names):
        raise ValueError(f"'{argument}' must hold non-empty strings; got "
                         f"{[n for n in names if not (isinstance(n, str) and n)][:5]}.")
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if list(names).count(n) > 1})
        raise ValueError(f"'{argument}' must hold distinct names; {dup[:5]} repeat.")
    return names
