"""The splits of :func:`~skfmm.evaluation.nested_cross_validate`: outer and inner splitters,
the rows of each part, and several windows per subject kept together.

:func:`plan_splits` turns the ``outer_cv``/``inner_cv``/``groups`` arguments into a
:class:`SplitPlan`; with several windows per subject (:func:`window_subjects`) its default
splitters are stratified group K-folds over the subjects, and :func:`aggregate_windows` gives
each test subject one prediction. :func:`~skfmm.evaluation.permutation_test` shuffles labels
per subject with :func:`window_subjects`.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import (
    LeaveOneGroupOut,
    RepeatedKFold,
    RepeatedStratifiedKFold,
    StratifiedGroupKFold,
    StratifiedKFold,
)
from sklearn.utils import _safe_indexing

__all__ = ["plan_splits", "SplitPlan", "inner_splits", "window_subjects", "aggregate_windows",
           "RepeatedStratifiedGroupKFold", "n_rows", "take_rows"]

_WHO = "nested_cross_validate"


# --------------------------------------------------------------------------- rows


def _is_slicedict(X):
    # skorch (and torch) are imported only when X is a dict, so array-only runs stay light.
    if not isinstance(X, dict):
        return False
    from skorch.helper import SliceDict

    return isinstance(X, SliceDict)


def n_rows(X):
    """The number of rows of ``X`` (subjects, or windows), refusing a plain dict.

    Parameters
    ----------
    X : array-like or MultimodalData (skorch ``SliceDict``)

    Returns
    -------
    int

    Examples
    --------
    >>> import numpy as np
    >>> from skfmm.evaluation.splitting import n_rows
    >>> n_rows(np.zeros((6, 2)))
    6
    """
    if isinstance(X, dict) and not _is_slicedict(X):
        raise TypeError(
            f"{_WHO}: 'X' must be an array-like or a row-sliceable container "
            "(MultimodalData / skorch SliceDict); got a plain dict. Wrap it: "
            "MultimodalData(**X)."
        )
    try:
        return len(X)
    except TypeError:
        raise TypeError(
            f"{_WHO}: 'X' must have one row per subject; got {type(X).__name__} "
            "without a length."
        ) from None


def take_rows(X, index):
    """The rows ``index`` of ``X``: a container's rows, or :func:`sklearn.utils._safe_indexing`.

    Examples
    --------
    >>> import numpy as np
    >>> from skfmm.evaluation.splitting import take_rows
    >>> take_rows(np.arange(5), np.array([0, 3])).tolist()
    [0, 3]
    """
    if _is_slicedict(X):
        return X[index]
    return _safe_indexing(X, index)


# --------------------------------------------------------------------------- subjects' windows


class RepeatedStratifiedGroupKFold:
    """Stratified group K-fold repeated with different shuffles (a subject's windows stay together).

    scikit-learn has no repeated version of :class:`~sklearn.model_selection.StratifiedGroupKFold`;
    repeat ``r`` shuffles with a seed drawn from ``random_state``.

    Parameters
    ----------
    n_splits : int, default=5
    n_repeats : int, default=1
    random_state : int, default=None

    Examples
    --------
    >>> import numpy as np
    >>> from skfmm.evaluation.splitting import RepeatedStratifiedGroupKFold
    >>> groups = np.repeat(np.arange(8), 3)
    >>> y = np.repeat([0, 1], 12)
    >>> cv = RepeatedStratifiedGroupKFold(n_splits=2, n_repeats=2, random_state=0)
    >>> splits = list(cv.split(np.zeros(24), y, groups))
    >>> len(splits), all(not set(groups[tr]) & set(groups[te]) for tr, te in splits)
    (4, True)
    """

    def __init__(self, n_splits=5, n_repeats=1, random_state=None):
        self.n_splits = n_splits
        self.n_repeats = n_repeats
        self.random_state = random_state
        self.cvargs = {"n_splits": n_splits}

    def split(self, X, y, groups):
        seeds = np.random.RandomState(self.random_state).randint(
            np.iinfo(np.int32).max, size=self.n_repeats)
        for seed in seeds:
            cv = StratifiedGroupKFold(n_splits=self.n_splits, shuffle=True,
                                      random_state=int(seed))
            yield from cv.split(X, y, groups)

    def get_n_splits(self, X=None, y=None, groups=None):
        return self.n_splits * self.n_repeats

    def __repr__(self):
        return (f"RepeatedStratifiedGroupKFold(n_splits={self.n_splits}, "
                f"n_repeats={self.n_repeats}, random_state={self.random_state})")


def window_subjects(X, y, groups=None):
    """The ``subject`` of each row when ``X`` holds several windows of a subject, else None.

    Checks that a subject's windows share one label and one group.

    Parameters
    ----------
    X : array-like or MultimodalData
        Several windows per subject when it is a container with a ``subject`` key of
        repeated ids (``TimeSeriesExtractor(window_position="all")``).
    y : array-like of shape (n_rows,)
    groups : array-like of shape (n_rows,), default=None

    Returns
    -------
    ndarray of shape (n_rows,) or None
        None for one row per subject (an array, a container without ``subject``, or
        ``subject`` ids that are all distinct).

    Examples
    --------
    >>> import numpy as np
    >>> from skfmm import MultimodalData
    >>> from skfmm.evaluation.splitting import window_subjects
    >>> X = MultimodalData(ts=np.zeros((4, 3, 2)), subject=np.array([7, 7, 8, 8]))
    >>> window_subjects(X, np.array([0, 0, 1, 1])).tolist()
    [7, 7, 8, 8]
    >>> window_subjects(np.zeros((4, 2)), np.array([0, 0, 1, 1])) is None
    True
    """
    if not (_is_slicedict(X) and "subject" in X):
        return None
    subjects = np.asarray(X["subject"])
    if subjects.shape != (len(y),):
        raise ValueError(
            f"{_WHO}: X['subject'] must hold one subject id per row ({len(y)}); got shape "
            f"{subjects.shape}."
        )
    if len(np.unique(subjects)) == len(subjects):
        return None
    for name, values in (("label in 'y'", y), ("group in 'groups'", groups)):
        if values is None:
            continue
        per_subject = pd.Series(values).groupby(subjects).nunique()
        mixed = per_subject.index[per_subject.to_numpy() > 1]
        if len(mixed):
            raise ValueError(
                f"{_WHO}: the windows of a subject must share one {name}; subject(s) "
                f"{list(mixed[:5])} of X['subject'] have several."
            )
    return subjects


def aggregate_windows(subjects, y_test, y_pred, y_score, raw_score, classes, pos_label):
    """One prediction per subject from its windows' predictions.

    The score is the mean of the windows' positive-class scores; the label is the class of
    the highest mean probability when the model gave probabilities (soft voting), the sign
    of the mean decision function when it gave one, else the majority of the windows'
    labels (ties: the first class in sorted order).

    Parameters
    ----------
    subjects : ndarray of shape (n_windows,)
        The subject of each test window.
    y_test, y_pred : ndarray of shape (n_windows,)
        True and predicted labels of the windows.
    y_score : ndarray of shape (n_windows,)
        Positive-class scores of the windows.
    raw_score : ndarray or None
        The fitter's scores as returned: 2-D probabilities, 1-D decision function, or None
        (no scores: majority vote).
    classes : array-like of the two classes
    pos_label : the positive class

    Returns
    -------
    ids, y_true, y_pred, y_score, n_windows : ndarrays of shape (n_subjects,)
        Sorted subject ids, each subject's label, aggregated label and score, and its number
        of windows.

    Examples
    --------
    >>> import numpy as np
    >>> from skfmm.evaluation.splitting import aggregate_windows
    >>> proba = np.array([[0.8, 0.2], [0.4, 0.6], [0.1, 0.9]])
    >>> ids, y_true, y_pred, score, n = aggregate_windows(
    ...     np.array([5, 5, 6]), np.array([0, 0, 1]), np.array([0, 1, 1]), proba[:, 1], proba,
    ...     [0, 1], 1)
    >>> ids.tolist(), y_pred.tolist(), score.round(2).tolist(), n.tolist()
    ([5, 6], [0, 1], [0.4, 0.9], [2, 1])
    """
    ids, inverse, n_windows = np.unique(subjects, return_inverse=True, return_counts=True)
    first = np.zeros(len(ids), dtype=int)
    first[inverse[::-1]] = np.arange(len(subjects))[::-1]
    mean_score = np.bincount(inverse, weights=y_score, minlength=len(ids)) / n_windows
    neg_label = [c for c in classes if c != pos_label][0]
    if raw_score is not None and np.ndim(raw_score) == 2:
        agg_pred = np.where(mean_score > 0.5, pos_label, neg_label)
    elif raw_score is not None:
        agg_pred = np.where(mean_score > 0.0, pos_label, neg_label)
    else:
        votes = np.stack([np.bincount(inverse, weights=(y_pred == c).astype(float),
                                      minlength=len(ids)) for c in classes])
        agg_pred = np.asarray(classes)[votes.argmax(axis=0)]
    return ids, y_test[first], np.asarray(agg_pred), mean_score, n_windows


# --------------------------------------------------------------------------- splitters


def _resolve_outer_cv(outer_cv, n_repeats, groups, random_state):
    if outer_cv is None or isinstance(outer_cv, numbers.Integral):
        n_splits = 5 if outer_cv is None else int(outer_cv)
        n_repeats = 5 if n_repeats is None else n_repeats
        if groups is not None:
            raise ValueError(
                "nested_cross_validate: 'groups' was given but outer_cv="
                f"{outer_cv!r} (repeated stratified K-fold) ignores groups. Use "
                "outer_cv='logo' (leave one group out) or a group splitter such as "
                "StratifiedGroupKFold."
            )
        if n_splits < 2 or not isinstance(n_repeats, numbers.Integral) or n_repeats < 1:
            raise ValueError(
                "nested_cross_validate: 'outer_cv' must be >= 2 splits and 'n_repeats' >= 1; "
                f"got outer_cv={outer_cv!r}, n_repeats={n_repeats!r}."
            )
        return RepeatedStratifiedKFold(
            n_splits=n_splits, n_repeats=int(n_repeats), random_state=random_state
        )
    if n_repeats is not None:
        # Only the default repeated K-fold is repeated: refused rather than ignored.
        raise ValueError(
            "nested_cross_validate: 'n_repeats' applies to the default repeated stratified "
            "K-fold (outer_cv None or an int); it would be ignored with outer_cv="
            f"{outer_cv!r}. Drop n_repeats, or repeat the splitter yourself (e.g. "
            "RepeatedStratifiedGroupKFold).")
    if isinstance(outer_cv, str):
        if outer_cv != "logo":
            raise ValueError(
                "nested_cross_validate: 'outer_cv' must be None, an int, 'logo', a CV "
                f"splitter or an iterable of (train, test) indices; got {outer_cv!r}."
            )
        if groups is None:
            raise ValueError(
                "nested_cross_validate: outer_cv='logo' (leave one group out) needs "
                "'groups' (e.g. the study, site or drug of each subject); got groups=None."
            )
        return LeaveOneGroupOut()
    if hasattr(outer_cv, "split"):
        return outer_cv
    try:
        return [(np.asarray(tr), np.asarray(te)) for tr, te in outer_cv]
    except TypeError:
        raise TypeError(
            "nested_cross_validate: 'outer_cv' must be None, an int, 'logo', a CV splitter "
            f"or an iterable of (train, test) indices; got {type(outer_cv).__name__}."
        ) from None


def _resolve_inner_cv(inner_cv, random_state):
    if inner_cv is None:
        inner_cv = 3
    if isinstance(inner_cv, numbers.Integral):
        return StratifiedKFold(n_splits=int(inner_cv), shuffle=True, random_state=random_state)
    if not hasattr(inner_cv, "split"):
        raise TypeError(
            "nested_cross_validate: 'inner_cv' must be None, an int or a CV splitter "
            f"(an object with split); got {type(inner_cv).__name__}."
        )
    return inner_cv


def _uses_groups(cv):
    """Whether a splitter reads ``groups`` (sklearn warns when they are passed otherwise)."""
    try:
        from sklearn.model_selection._split import GroupsConsumerMixin
    except ImportError:  # pragma: no cover - older or newer layouts: pass groups along
        return True
    return isinstance(cv, GroupsConsumerMixin)


def inner_splits(inner_cv, train, y_train, groups=None):
    """The inner ``(train, test)`` splits of an outer training part (positions in it).

    Drawn from that part only, with its groups when the splitter reads groups.

    Parameters
    ----------
    inner_cv : CV splitter
    train : ndarray of int
        The rows of the outer training part.
    y_train : ndarray of shape (len(train),)
    groups : ndarray of shape (n_rows,), default=None
        The groups of every row (:attr:`SplitPlan.inner_groups`).

    Returns
    -------
    list of (ndarray, ndarray)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.model_selection import StratifiedKFold
    >>> from skfmm.evaluation.splitting import inner_splits
    >>> splits = inner_splits(StratifiedKFold(2), np.arange(10, 18), np.repeat([0, 1], 4))
    >>> len(splits), int(max(te.max() for _, te in splits))
    (2, 7)
    """
    uses = groups is not None and _uses_groups(inner_cv)
    return list(inner_cv.split(np.zeros(len(train)), y_train, groups[train] if uses else None))


@dataclass(frozen=True, eq=False)
class SplitPlan:
    """The splitters of one nested cross-validation and the groups each one receives.

    Made by :func:`plan_splits`.

    Attributes
    ----------
    outer : CV splitter or list of (train, test)
        The outer splitter (explicit splits stay a list).
    inner : CV splitter
        The inner splitter of the grid search.
    outer_groups : ndarray or None
        What ``outer.split`` receives as ``groups``: the subjects with several windows per
        subject and no ``groups``, else ``groups``.
    inner_groups : ndarray or None
        The groups of every row, of which the inner splitter receives the training part's.
    subjects : ndarray or None
        The subject of each row with several windows per subject (:func:`window_subjects`).

    Examples
    --------
    >>> import numpy as np
    >>> from skfmm.evaluation.splitting import plan_splits
    >>> plan = plan_splits(np.zeros((20, 2)), np.repeat([0, 1], 10), outer_cv=5, n_repeats=1)
    >>> type(plan).__name__, plan.outer.get_n_splits(), plan.subjects is None
    ('SplitPlan', 5, True)
    """

    outer: object
    inner: object
    outer_groups: np.ndarray | None
    inner_groups: np.ndarray | None
    subjects: np.ndarray | None

    def outer_splits(self, n, y):
        """The outer ``(train, test)`` index arrays, checked to be disjoint and non-empty
        and, with several windows per subject, to keep a subject's windows on one side."""
        if isinstance(self.outer, list):
            splits = self.outer
        else:
            splits = [(np.asarray(tr), np.asarray(te))
                      for tr, te in self.outer.split(np.zeros((n, 1)), y, self.outer_groups)]
        for i, (train, test) in enumerate(splits):
            if len(np.intersect1d(train, test)):
                raise ValueError(f"{_WHO}: outer split {i} has rows in both train and test.")
            if len(test) == 0 or len(train) == 0:
                raise ValueError(f"{_WHO}: outer split {i} has an empty train or test part.")
        if self.subjects is not None:
            for i, (train, test) in enumerate(splits):
                if len(np.intersect1d(self.subjects[train], self.subjects[test])):
                    raise ValueError(
                        f"{_WHO}: outer split {i} puts windows of one subject (X['subject']) "
                        "in both train and test; use a group splitter over the subjects (the "
                        "default outer_cv does this)."
                    )
        return splits

    def repeat_and_fold(self, index):
        """``(repeat, fold)`` of the outer split ``index`` (repeat 0 for a splitter that
        does not repeat)."""
        if isinstance(self.outer, (RepeatedStratifiedKFold, RepeatedKFold,
                                   RepeatedStratifiedGroupKFold)):
            n_splits = self.outer.cvargs.get("n_splits", 5)
            return index // n_splits, index % n_splits
        return 0, index


def plan_splits(X, y, groups=None, *, outer_cv=None, inner_cv=None, n_repeats=None,
                random_state=0):
    """The outer and inner splitters of :func:`~skfmm.evaluation.nested_cross_validate`.

    ``outer_cv``, ``inner_cv``, ``groups``, ``n_repeats`` and ``random_state`` mean what they
    mean there (and are refused with the same errors). With several windows per subject
    (:func:`window_subjects`), a default outer or inner splitter becomes a stratified group
    K-fold over the subjects; the outer splitter is given the subjects when no ``groups``
    are.

    Parameters
    ----------
    X : array-like or MultimodalData
    y : ndarray of shape (n_rows,)
    groups : ndarray of shape (n_rows,), default=None
    outer_cv, inner_cv, n_repeats, random_state
        As for :func:`~skfmm.evaluation.nested_cross_validate`.

    Returns
    -------
    SplitPlan

    Examples
    --------
    >>> import numpy as np
    >>> from skfmm.evaluation.splitting import plan_splits
    >>> y = np.repeat([0, 1], 10)
    >>> plan = plan_splits(np.zeros((20, 2)), y, outer_cv=5, n_repeats=2)
    >>> splits = plan.outer_splits(20, y)
    >>> len(splits), plan.repeat_and_fold(7)
    (10, (1, 2))
    """
    subjects = window_subjects(X, y, groups)
    if subjects is not None and groups is None:
        # Several windows per subject: every split keeps a subject's windows together.
        outer = _resolve_outer_cv(outer_cv, n_repeats, None, random_state)
        if isinstance(outer, RepeatedStratifiedKFold):
            outer = RepeatedStratifiedGroupKFold(
                n_splits=outer.cvargs["n_splits"], n_repeats=outer.n_repeats,
                random_state=random_state)
        outer_groups = subjects
    else:
        outer = _resolve_outer_cv(outer_cv, n_repeats, groups, random_state)
        outer_groups = groups
    inner = _resolve_inner_cv(inner_cv, random_state)
    inner_groups = groups
    if subjects is not None:
        if inner_cv is None or isinstance(inner_cv, numbers.Integral):
            inner = StratifiedGroupKFold(n_splits=inner.n_splits, shuffle=True,
                                         random_state=random_state)
            inner_groups = subjects
        elif groups is None:
            inner_groups = subjects
    return SplitPlan(outer=outer, inner=inner, outer_groups=outer_groups,
                     inner_groups=inner_groups, subjects=subjects)
