"""Argument and array checks shared by the whole package (one home for each check).

Every error names the argument, what was expected and what was received.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["check_choice", "check_positive_int", "check_int", "check_real",
           "check_timeseries_list", "check_float_array", "check_batch_coords", "n_rows"]


def _prefix(who):
    return f"{who}: " if who else ""


def check_choice(value, allowed, argument):
    """Raise a ``ValueError`` unless ``value`` is one of ``allowed``; return ``value``.

    Examples
    --------
    >>> from skfmm.utils.validation import check_choice
    >>> check_choice("cls", ("cls", "mean"), "pooling")
    'cls'
    """
    if isinstance(value, str) or value is None or isinstance(value, bool):
        if value in allowed:
            return value
    raise ValueError(f"'{argument}' must be one of {tuple(allowed)}; got {value!r}.")


def check_positive_int(value, argument, *, minimum=1, allow_none=False, who=None):
    """Raise unless ``value`` is an integer >= ``minimum`` (bools refused); return it as int.

    Parameters
    ----------
    value : object
    argument : str
        The parameter named in the error.
    minimum : int, default=1
    allow_none : bool, default=False
        Accept (and return) None.
    who : str, optional
        The caller, to start the message with (``"dask_backend"``).

    Raises
    ------
    ValueError
        ``'<argument>' must be an integer >= <minimum>[ or None]; got <value!r>.``

    Examples
    --------
    >>> from skfmm.utils.validation import check_positive_int
    >>> check_positive_int(8, "batch_size")
    8
    >>> check_positive_int(0, "n_steps", who="region_attributions")
    Traceback (most recent call last):
    ...
    ValueError: region_attributions: 'n_steps' must be an integer >= 1; got 0.
    """
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or (
        value < minimum
    ):
        raise ValueError(
            f"{_prefix(who)}'{argument}' must be an integer >= {minimum}"
            f"{' or None' if allow_none else ''}; got {value!r}."
        )
    return int(value)


def check_int(value, argument, minimum=None, maximum=None, *, who=None):
    """An integer in ``[minimum, maximum]`` (either bound optional; bools refused), as int.

    Parameters
    ----------
    value : object
    argument : str
        The parameter named in the error.
    minimum, maximum : int, optional
        Inclusive bounds.
    who : str, optional
        The caller, to start the message with.

    Raises
    ------
    TypeError
        For a value that is not an integer.
    ValueError
        Out of range: ``'<argument>' must be at least <minimum> [and at most <maximum>]``.

    Examples
    --------
    >>> from skfmm.utils.validation import check_int
    >>> check_int(100, "n_regions", 16, 1000)
    100
    >>> check_int(5, "n_regions", 16, 1000)
    Traceback (most recent call last):
    ...
    ValueError: 'n_regions' must be at least 16 and at most 1000; got 5.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{_prefix(who)}'{argument}' must be an integer; got {value!r} "
                        f"({type(value).__name__}).")
    value = int(value)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        if minimum is None:
            bounds = f"at most {maximum}"
        else:
            bounds = f"at least {minimum}" + (f" and at most {maximum}" if maximum is not None
                                              else "")
        raise ValueError(f"{_prefix(who)}'{argument}' must be {bounds}; got {value}.")
    return value


def check_real(value, argument, low=-np.inf, high=np.inf, *, low_open=False, high_open=False,
               who=None, kind="a number", bounds=None):
    """A finite real number in the interval ``low .. high``, as float (bools refused).

    Parameters
    ----------
    value : object
    argument : str
        The parameter named in the error.
    low, high : float, default=-inf, inf
        Bounds of the interval.
    low_open, high_open : bool, default=False
        Exclude that bound.
    who : str, optional
        The caller, to start the message with.
    kind : str, default="a number"
        What a value must be, named when it is not a real number.
    bounds : str, optional
        What the value must be, named when it is out of range; default the interval
        (``in (0, 1)``, ``in [0.1, 10]``, ``> 0``, ...).

    Raises
    ------
    TypeError
        For a value that is not a real number: ``'<argument>' must be <kind>; got ...``.
    ValueError
        For NaN, an infinity or a value out of range: ``'<argument>' must be <bounds>; got ...``.

    Examples
    --------
    >>> from skfmm.utils.validation import check_real
    >>> check_real(0.95, "ci", 0, 1, low_open=True, high_open=True)
    0.95
    >>> check_real(1.5, "ci", 0, 1, low_open=True, high_open=True, who="summarize")
    Traceback (most recent call last):
    ...
    ValueError: summarize: 'ci' must be in (0, 1); got 1.5.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{_prefix(who)}'{argument}' must be {kind}; got {value!r}.")
    number = float(value)
    inside = (low < number if low_open else low <= number) and (
        number < high if high_open else number <= high)
    if not (np.isfinite(number) and inside):
        if bounds is None:
            bounds = _interval(low, high, low_open, high_open)
        raise ValueError(f"{_prefix(who)}'{argument}' must be {bounds}; got {value!r}.")
    return number


def _interval(low, high, low_open, high_open):
    """``in (0, 1)``, ``> 0``, ``<= 3``, ... (finite bounds are written with ``:g``)."""
    if np.isinf(low) and np.isinf(high):
        return "finite"
    if np.isinf(high):
        return f"{'>' if low_open else '>='} {low:g}"
    if np.isinf(low):
        return f"{'<' if high_open else '<='} {high:g}"
    return f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"


def check_timeseries_list(X, *, argument="X", n_regions=None, finite=True):
    """Validate a cohort of time series and return a list of float 2-D arrays.

    Parameters
    ----------
    X : list of array-like of shape (n_timepoints_i, n_regions) or ndarray (n, T, R)
    n_regions : int, optional
        Required number of regions (columns), e.g. the number seen in ``fit``.
    finite : bool
        Refuse NaN and inf.

    Examples
    --------
    >>> import numpy as np
    >>> from skfmm.utils.validation import check_timeseries_list
    >>> [a.shape for a in check_timeseries_list([np.zeros((40, 5)), np.zeros((35, 5))])]
    [(40, 5), (35, 5)]
    """
    if isinstance(X, np.ndarray) and X.dtype != object:
        if X.ndim == 3:
            subjects = list(X)
        elif X.ndim == 2:
            raise ValueError(
                f"'{argument}' must be a cohort: a list of 2-D arrays (n_timepoints, "
                f"n_regions) or a 3-D array (n_subjects, n_timepoints, n_regions); got one "
                f"2-D array of shape {X.shape}. Wrap a single subject in a list: [X]."
            )
        else:
            raise ValueError(
                f"'{argument}' must be a list of 2-D arrays (n_timepoints, n_regions) or a "
                f"3-D array; got an array with {X.ndim} dimension(s), shape {X.shape}."
            )
    elif isinstance(X, (list, tuple)):
        subjects = list(X)
    else:
        raise TypeError(
            f"'{argument}' must be a list of 2-D arrays (n_timepoints, n_regions) or a 3-D "
            f"array; got {type(X).__name__}."
        )
    if len(subjects) == 0:
        raise ValueError(f"'{argument}' is an empty cohort: it holds no subject.")
    out = []
    for i, sub in enumerate(subjects):
        try:
            arr = np.asarray(sub, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"'{argument}[{i}]' must be a numeric 2-D array (n_timepoints, n_regions); "
                f"could not convert a {type(sub).__name__}: {exc}"
            ) from exc
        if arr.ndim != 2:
            raise ValueError(
                f"'{argument}[{i}]' must be a 2-D array (n_timepoints, n_regions); got "
                f"{arr.ndim} dimension(s), shape {arr.shape}."
            )
        if arr.shape[0] < 1 or arr.shape[1] < 1:
            raise ValueError(
                f"'{argument}[{i}]' is empty: shape {arr.shape}; expected at least one "
                f"timepoint and one region."
            )
        if n_regions is not None and arr.shape[1] != n_regions:
            raise ValueError(
                f"'{argument}[{i}]' has {arr.shape[1]} regions (columns) but "
                f"{n_regions} were expected (every subject must use the same parcellation)."
            )
        if n_regions is None:
            n_regions = arr.shape[1]
        if finite and not np.all(np.isfinite(arr)):
            bad = np.argwhere(~np.isfinite(arr))[0]
            raise ValueError(
                f"'{argument}[{i}]' contains NaN or infinite values (first at timepoint "
                f"{bad[0]}, region {bad[1]}); clean or censor the data before extraction."
            )
        out.append(arr)
    return out


def check_float_array(value, key, ndim):
    """A finite float32 NumPy array of ``ndim`` dimensions from an array or tensor ``X[key]``.

    Parameters
    ----------
    value : array-like or torch.Tensor
    key : str
        The container key named in errors (``'ts' in X must be ...``).
    ndim : int

    Returns
    -------
    ndarray of dtype float32

    Examples
    --------
    >>> from skfmm.utils.validation import check_float_array
    >>> check_float_array([[1, 2]], "covariates", ndim=2).dtype
    dtype('float32')
    """
    if hasattr(value, "detach"):  # a torch tensor, without importing torch here
        value = value.detach().cpu().numpy()
    arr = np.asarray(value)
    if arr.ndim != ndim:
        raise ValueError(f"'{key}' in X must be {ndim}-D; got shape {arr.shape}.")
    if not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"'{key}' in X must be numeric; got dtype {arr.dtype}.")
    arr = arr.astype(np.float32, copy=False)
    if not np.isfinite(arr).all():
        raise ValueError(f"'{key}' in X contains NaN or infinite values.")
    return arr


def n_rows(X):
    """Number of subjects (rows) of an array, a list or a dict-like container of arrays.

    Examples
    --------
    >>> import numpy as np
    >>> from skfmm.utils.validation import n_rows
    >>> n_rows({"ts": np.zeros((3, 10, 4))}), n_rows(np.zeros((5, 2)))
    (3, 5)
    """
    if isinstance(X, dict):
        return len(next(iter(X.values())))
    return len(X)


def check_batch_coords(shape, n_rows, n_regions, *, argument="xyz", data="ts",
                       data_layout="(n, n_timepoints, n_regions)", who=""):
    """Refuse parcel coordinates whose shape is not ``(n_rows, n_regions, 3)``.

    Only shapes are read, so NumPy arrays and torch tensors (in either time-series layout)
    share the check.

    Parameters
    ----------
    shape : tuple of int
        Shape of the coordinates (after broadcasting one ``(n_regions, 3)`` table).
    n_rows, n_regions : int
        What the time series hold.
    argument, data : str
        Names of the coordinates and of the time series in errors.
    data_layout : str
        The time series' layout, named when the region counts differ (a transposed input
        shows up there).
    who : str
        Prefix of the errors (e.g. ``"BrainLM: "``).

    Examples
    --------
    >>> from skfmm.utils.validation import check_batch_coords
    >>> check_batch_coords((2, 5, 3), 2, 5)
    >>> check_batch_coords((2, 4, 3), 2, 5)
    Traceback (most recent call last):
    ...
    ValueError: 'ts' has 5 regions (in (n, n_timepoints, n_regions)) but 'xyz' has 4 coordinate rows; give one coordinate per region.
    """
    shape = tuple(int(s) for s in shape)
    if len(shape) != 3 or shape[2] != 3:
        raise ValueError(
            f"{who}'{argument}' must have shape ({n_rows}, {n_regions}, 3) (one row of MNI "
            f"coordinates per region and row of '{data}') or ({n_regions}, 3); got shape {shape}."
        )
    if shape[0] != n_rows:
        raise ValueError(
            f"{who}'{argument}' has {shape[0]} rows but '{data}' has batch size {n_rows}."
        )
    if shape[1] != n_regions:
        raise ValueError(
            f"{who}'{data}' has {n_regions} regions (in {data_layout}) but '{argument}' has "
            f"{shape[1]} coordinate rows; give one coordinate per region."
        )
