"""Label-permutation tests: each permutation runs the whole nested cross-validation."""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import joblib
import numpy as np
from tqdm.auto import tqdm
from ..utils._docs import fill_doc
from ..utils.progress import bar_disabled

from .metrics import METRICS
from .nested import nested_cross_validate
from .results import NestedCVResult
from .splitting import window_subjects
from .summary import pooled_metrics

__all__ = ["permutation_test", "PermutationTestResult"]


@dataclass
class PermutationTestResult:
    """What :func:`permutation_test` returns.

    Attributes
    ----------
    metric : str
    statistic : float
        The metric on the true labels (:func:`pooled_metrics` of ``result``).
    p_value : float
        ``(1 + #{null >= statistic}) / (1 + n_permutations)``.
    null_distribution : ndarray of shape (n_permutations,)
        The statistic on each label permutation.
    result : NestedCVResult
        The nested cross-validation on the true labels.
    """

    metric: str
    statistic: float
    p_value: float
    null_distribution: np.ndarray = field(repr=False)
    result: NestedCVResult = field(repr=False)


def _permuted_statistic(estimator, X, y_perm, metric, kwargs):
    result = nested_cross_validate(estimator, X, y_perm, **kwargs)
    return pooled_metrics(result)[metric]


@fill_doc
def permutation_test(
    estimator,
    X,
    y,
    *,
    n_permutations=100,
    metric="mcc",
    groups=None,
    n_jobs=None,
    random_state=0,
    verbose=1,
    **nested_kwargs,
):
    """Label-permutation p-value of a metric, each permutation through the whole nested CV.

    The labels are shuffled (within groups when ``groups`` is given; per subject when ``X``
    holds several windows per subject, ``X["subject"]``), and the complete
    :func:`nested_cross_validate` (inner search included) runs on each shuffle with the
    same splitter seeds; the p-value is the fraction of shuffles scoring at least as high
    as the true labels (counting the true labels as one shuffle).

    Parameters
    ----------
    estimator, X, y
        As for :func:`nested_cross_validate`.
    n_permutations : int, default=100
        Number of label shuffles; the smallest reachable p-value is ``1/(n_permutations+1)``.
    %(metric)s
        Higher must mean better.
    groups : array-like, default=None
        Passed to the nested CV; labels are shuffled within each group.
    %(n_jobs)s
        Here: the permutations.
    random_state : int, default=0
        Seeds the shuffles and the nested CV splitters.
    %(verbose)s
        1 shows a progress bar over the permutations (on a terminal).
    **nested_kwargs
        Other arguments of :func:`nested_cross_validate` (``param_grid``, ``outer_cv``,
        ``n_repeats``, ``fold_fitter``, ``cache_dir``, ...).

    Returns
    -------
    PermutationTestResult

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skfmm.evaluation import permutation_test
    >>> y = np.repeat([0, 1], 15)
    >>> X = np.random.default_rng(0).normal(size=(30, 2)) + 3 * y[:, None]
    >>> res = permutation_test(LogisticRegression(), X, y, n_permutations=9, n_repeats=1,
    ...                        verbose=0)
    >>> res.p_value
    0.1
    """
    who = "permutation_test"
    if metric not in METRICS:
        raise ValueError(f"{who}: 'metric' must be one of {METRICS}; got {metric!r}.")
    if not isinstance(n_permutations, numbers.Integral) or n_permutations < 1:
        raise ValueError(f"{who}: 'n_permutations' must be a positive int; got {n_permutations!r}.")
    for reserved in ("n_jobs", "verbose", "return_predictions"):
        if reserved in nested_kwargs:
            raise TypeError(f"{who}: '{reserved}' is set by permutation_test itself.")
    y = np.asarray(y)
    kwargs = dict(nested_kwargs, groups=groups, random_state=random_state, verbose=0,
                  return_predictions=True, n_jobs=1)
    observed = nested_cross_validate(estimator, X, y, **kwargs)
    statistic = pooled_metrics(observed)[metric]

    # With several windows per subject (X['subject']), subjects' labels are shuffled, so
    # that a subject's windows keep one label, as nested_cross_validate requires.
    subjects = window_subjects(X, y, None if groups is None else np.asarray(groups))
    if subjects is None:
        unit_y, unit_groups, expand = y, groups, np.arange(len(y))
    else:
        _, first, expand = np.unique(subjects, return_index=True, return_inverse=True)
        unit_y = y[first]
        unit_groups = None if groups is None else np.asarray(groups)[first]
    rng = np.random.default_rng(random_state)
    if unit_groups is None:
        perms = [rng.permutation(len(unit_y)) for _ in range(n_permutations)]
    else:
        groups_arr = np.asarray(unit_groups)
        perms = []
        for _ in range(n_permutations):
            order = np.arange(len(unit_y))
            for g in np.unique(groups_arr):
                members = np.flatnonzero(groups_arr == g)
                order[members] = members[rng.permutation(len(members))]
            perms.append(order)
    jobs = joblib.Parallel(n_jobs=n_jobs, return_as="generator")(
        joblib.delayed(_permuted_statistic)(estimator, X, unit_y[p][expand], metric, kwargs)
        for p in perms
    )
    null = np.array(
        list(tqdm(jobs, total=n_permutations, desc=f"{who} ({metric})",
                  disable=bar_disabled(verbose), leave=False)),
        dtype=float,
    )
    if np.isnan(statistic):
        p_value = np.nan
    else:
        p_value = float((1 + np.sum(null >= statistic)) / (1 + n_permutations))
    return PermutationTestResult(
        metric=metric, statistic=float(statistic), p_value=p_value,
        null_distribution=null, result=observed,
    )
