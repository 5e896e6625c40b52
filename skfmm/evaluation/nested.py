"""Honest nested cross-validation: outer splits for the estimate, inner GridSearchCV for choices.

Folds run through joblib (so a Dask backend distributes them) and can be cached on disk to resume.
"""

from __future__ import annotations

import numbers
import time
import warnings

import joblib
import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.model_selection import GridSearchCV
from tqdm.auto import tqdm

from ..utils._docs import fill_doc
from ..utils.progress import bar_disabled
from ..utils.signals import interrupt_watch
from ._common import compute_metrics_and_reason, resolve_pos_label
from ._fold_cache import fold_keys, load_folds, store_fold
from .metrics import METRICS, MetricScorer
from .results import NestedCVResult
# RepeatedStratifiedGroupKFold is imported here too: its home was this module.
from .splitting import (
    RepeatedStratifiedGroupKFold,  # noqa: F401
    aggregate_windows,
    inner_splits,
    n_rows,
    plan_splits,
    take_rows,
)

__all__ = ["nested_cross_validate", "fit_predict"]

_WHO = "nested_cross_validate"


def fit_predict(estimator, X_train, y_train, X_test, y_test=None):
    """The default fold fitter: fit on the training part, predict the test part.

    ``y_test`` is accepted (and ignored) so that other fitters with the same signature,
    such as the authors' protocol that picks the best epoch on the test fold, can use it.

    Parameters
    ----------
    estimator : unfitted estimator (a clone, or a GridSearchCV around one)
    X_train, y_train : training rows
    X_test : test rows
    y_test : ignored

    Returns
    -------
    y_pred : ndarray of shape (n_test,)
    y_score : ndarray of shape (n_test, n_classes) or None
        ``predict_proba`` (columns in ``estimator.classes_`` order), else the
        ``decision_function``, else None.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skfmm.evaluation import fit_predict
    >>> X, y = np.arange(8.0).reshape(-1, 1), np.repeat([0, 1], 4)
    >>> y_pred, y_score = fit_predict(LogisticRegression(), X[::2], y[::2], X[1::2])
    >>> y_pred.tolist(), y_score.shape
    ([0, 0, 1, 1], (4, 2))
    """
    estimator.fit(X_train, y_train)
    y_pred = estimator.predict(X_test)
    if hasattr(estimator, "predict_proba"):
        y_score = estimator.predict_proba(X_test)
    elif hasattr(estimator, "decision_function"):
        y_score = estimator.decision_function(X_test)
    else:
        y_score = None
    return y_pred, y_score


# --------------------------------------------------------------------------- input checks


def _default_name(estimator):
    steps = getattr(estimator, "steps", None)
    if steps:
        return "+".join(type(step).__name__ for _, step in steps if step not in (None, "passthrough"))
    return type(estimator).__name__


# --------------------------------------------------------------------------- one fold


def _run_fold(estimator, X, y, groups, train, test, *, param_grid, inner_cv, scoring,
              inner_n_jobs, fold_fitter):
    """Fit one outer fold; returns predictions only (metrics are computed by the caller)."""
    X_train, X_test = take_rows(X, train), take_rows(X, test)
    y_train, y_test = y[train], y[test]
    model = clone(estimator)
    if param_grid is not None:
        # Inner splits are made from the outer training part only (with its groups).
        model = GridSearchCV(
            model, param_grid, scoring=scoring, cv=inner_splits(inner_cv, train, y_train, groups),
            n_jobs=inner_n_jobs, refit=True, error_score="raise",
        )
    start = time.perf_counter()
    with interrupt_watch() as interrupted:
        y_pred, y_score = fold_fitter(model, X_train, y_train, X_test, y_test)
    if interrupted:
        # Some libraries (skorch's fit) swallow Ctrl-C and return a partly trained model:
        # its predictions are not a finished fold and must never reach the fold cache.
        raise KeyboardInterrupt(
            f"{_WHO}: interrupted while fitting an outer fold (the estimator returned after "
            "the interrupt); the fold is discarded, not cached."
        )
    fit_time = time.perf_counter() - start
    best_params = dict(getattr(model, "best_params_", {}) or {})
    model_classes = getattr(model, "classes_", None)
    return {
        "y_pred": np.asarray(y_pred),
        "y_score": None if y_score is None else np.asarray(y_score, dtype=float),
        "model_classes": None if model_classes is None else np.asarray(model_classes),
        "best_params": best_params,
        "fit_time": fit_time,
    }


def _positive_score(y_score, model_classes, classes, pos_label, n_test, fitter_name):
    """The 1-D positive-class score from a fitter's output (NaN when it gave none)."""
    if y_score is None:
        return np.full(n_test, np.nan)
    if y_score.ndim == 2:
        order = list(model_classes) if model_classes is not None else list(classes)
        if y_score.shape != (n_test, len(order)) or pos_label not in order:
            raise ValueError(
                f"nested_cross_validate: {fitter_name} returned y_score of shape "
                f"{y_score.shape}; expected ({n_test},) or ({n_test}, 2) with columns "
                f"in the order of classes {order}."
            )
        y_score = y_score[:, order.index(pos_label)]
    elif y_score.ndim == 1 and model_classes is not None and len(model_classes) == 2 \
            and pos_label == model_classes[0]:
        # A 1-D decision function scores classes_[1]; flip it for the first class.
        y_score = -y_score
    if y_score.shape != (n_test,) or not np.all(np.isfinite(y_score)):
        raise ValueError(
            f"nested_cross_validate: {fitter_name} returned y_score of shape "
            f"{y_score.shape} (or with NaN/inf); expected {n_test} finite scores."
        )
    return y_score

# --------------------------------------------------------------------------- main entry


@fill_doc
def nested_cross_validate(
    estimator,
    X,
    y,
    *,
    param_grid=None,
    outer_cv=None,
    inner_cv=None,
    groups=None,
    scoring="mcc",
    n_repeats=None,
    n_jobs=None,
    inner_n_jobs=None,
    random_state=0,
    pos_label=None,
    fold_fitter=None,
    cache_dir=None,
    name=None,
    verbose=1,
    return_predictions=True,
):
    """Estimate a classifier's performance by nested cross-validation.

    Each outer fold fits a fresh :func:`~sklearn.base.clone` of ``estimator`` on the outer
    training part only (inside a :class:`~sklearn.model_selection.GridSearchCV` over
    ``param_grid`` whose inner splits are drawn from that part) and predicts the outer test
    part, which nothing has seen. Per-subject feature extraction that uses no labels may
    run once before; everything learned (scalers, connectome reference, the network)
    belongs in ``estimator``.

    Parameters
    ----------
    estimator : scikit-learn classifier or Pipeline
        Any estimator with ``fit``/``predict`` (``predict_proba`` or ``decision_function``
        for AUROC), e.g. a Pipeline ending in ``FMMTCClassifier``.
    X : array-like or MultimodalData
        One row per subject; a :class:`~skfmm.MultimodalData` (skorch ``SliceDict``) is
        sliced by rows. When it holds several windows per subject (a ``subject`` key with
        repeated ids, from ``TimeSeriesExtractor(window_position="all")``), every split
        keeps a subject's windows together (the default outer and inner splitters become
        stratified *group* K-folds over the subjects, and any other outer splitter is
        checked), and each test subject gets one prediction: the mean of its windows'
        positive-class scores, the label of the highest mean probability (the sign of the
        mean decision function; the windows' majority without scores). Metrics,
        ``predictions`` (``sample`` is then the subject id, ``n_windows`` its windows) and
        the subject bootstrap of :func:`~skfmm.evaluation.summarize` are per subject.
    y : array-like of shape (n_subjects,)
        Two classes, any labels (strings too).
    param_grid : dict or list of dict, default=None
        Inner grid; None fits ``estimator`` as is.
    outer_cv : None, int, "logo", CV splitter or iterable of (train, test), default=None
        None: ``RepeatedStratifiedKFold(n_splits=5, n_repeats=n_repeats)``; an int sets
        ``n_splits``; ``"logo"``: :class:`~sklearn.model_selection.LeaveOneGroupOut` over
        ``groups`` (leave one study / site / drug out). A splitter receives ``groups``.
    inner_cv : None, int or CV splitter, default=None
        None: ``StratifiedKFold(3, shuffle=True, random_state=random_state)``; an int sets
        the number of splits. Used only with ``param_grid``; it receives the training
        part's ``groups``.
    groups : array-like of shape (n_subjects,), default=None
        Group of each subject, for group-aware splits; refused with the default (non-group)
        ``outer_cv`` instead of being silently ignored. With several windows per subject,
        a subject's windows must share one group.
    scoring : str or callable, default="mcc"
        Inner selection criterion: a name of :data:`~skfmm.evaluation.METRICS` or any
        scikit-learn scoring.
    n_repeats : int, default=None
        Repeats of the default outer K-fold (None: 5). Refused with any other ``outer_cv``
        (a splitter, ``"logo"``, explicit splits), which it would not change.
    %(n_jobs)s
        Here: the outer folds.
    inner_n_jobs : int, default=None
        ``n_jobs`` of the inner GridSearchCV.
    random_state : int, default=0
        Seeds the default outer and inner splitters. The estimator's own ``random_state``
        is left as given: set it for deterministic models.
    %(pos_label)s
    fold_fitter : callable, default=None
        ``fold_fitter(estimator, X_train, y_train, X_test, y_test) -> (y_pred, y_score)``
        with an unfitted ``estimator`` (a clone, wrapped in GridSearchCV with a grid) that it
        fits in place. ``y_score`` is None, 1-D positive-class scores, or 2-D
        ``predict_proba`` output in ``estimator.classes_`` order. Default
        :func:`fit_predict`, which never looks at ``y_test``. Pass another only to measure a
        protocol (e.g. the authors' best epoch on the test fold), never for an estimate.
    cache_dir : str or path, default=None
        Directory of finished folds. A fold is stored when it finishes and loaded instead
        of refitted when the estimator's parameters, grid, splitters, scoring, fitter,
        fold indices and the data are unchanged, so an interrupted run resumes.
    name : str, default=None
        The ``model`` column; default the estimator's class (or pipeline steps).
    %(verbose)s
        1 shows a progress bar over the outer folds (on a terminal).
    return_predictions : bool, default=True
        Keep the out-of-fold predictions (needed for ROC curves and the subject bootstrap
        of :func:`~skfmm.evaluation.summarize`).

    Returns
    -------
    NestedCVResult
        ``folds`` (one row per outer fold), ``predictions`` (out-of-fold, per subject),
        ``splits``, ``classes``, ``pos_label``. A metric that is undefined on a fold
        (e.g. MCC or AUROC on a leave-one-group-out test fold holding one class) is NaN,
        with an :class:`~sklearn.exceptions.UndefinedMetricWarning`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skfmm.evaluation import nested_cross_validate
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat(["placebo", "responder"], 20)
    >>> X = rng.normal(size=(40, 3)) + (y == "responder")[:, None]
    >>> res = nested_cross_validate(LogisticRegression(), X, y, param_grid={"C": [0.1, 1]},
    ...                             n_repeats=2, verbose=0)
    >>> res.folds[["repeat", "fold", "mcc"]].shape
    (10, 3)
    """
    n, y, classes, pos_label, groups = _check_inputs(X, y, groups, pos_label, param_grid, verbose)
    plan = plan_splits(X, y, groups, outer_cv=outer_cv, inner_cv=inner_cv, n_repeats=n_repeats,
                       random_state=random_state)
    scorer = (MetricScorer(scoring, pos_label) if isinstance(scoring, str) and scoring in METRICS
              else scoring)
    fitter = fit_predict if fold_fitter is None else fold_fitter
    if not callable(fitter):
        raise TypeError(f"{_WHO}: 'fold_fitter' must be callable; got {fitter!r}.")
    name = _default_name(estimator) if name is None else str(name)
    splits = plan.outer_splits(n, y)

    keys, outputs, from_cache = _cached_folds(
        cache_dir, splits, estimator=estimator, param_grid=param_grid, inner_cv=plan.inner,
        scoring=scorer, fold_fitter=fitter, X=X, y=y, groups=groups, classes=classes,
        pos_label=pos_label)
    fold_kwargs = dict(
        param_grid=param_grid, inner_cv=plan.inner, scoring=scorer, inner_n_jobs=inner_n_jobs,
        fold_fitter=fitter,
    )
    _run_pending_folds(outputs, estimator, X, y, plan.inner_groups, splits, fold_kwargs,
                       cache_dir=cache_dir, keys=keys, n_jobs=n_jobs, name=name, verbose=verbose)
    folds, predictions = _collect_folds(
        outputs, from_cache, plan, splits, y, groups, classes=classes, pos_label=pos_label,
        name=name, fitter_name=getattr(fitter, "__qualname__", repr(fitter)),
        return_predictions=return_predictions,
    )
    return NestedCVResult(
        model=name, folds=folds, predictions=predictions, splits=splits, classes=classes,
        pos_label=pos_label,
    )


# --------------------------------------------------------------------------- steps of the entry


def _check_inputs(X, y, groups, pos_label, param_grid, verbose):
    """Validated ``n_rows, y, classes, pos_label, groups`` (arrays)."""
    n = n_rows(X)
    if n == 0:
        raise ValueError(f"{_WHO}: 'X' holds no rows; it needs one row per subject.")
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != n:
        raise ValueError(
            f"{_WHO}: 'y' must be a 1-D array with one label per row of X ({n}); got shape "
            f"{y.shape}."
        )
    missing = pd.isna(y) if y.dtype.kind in "fcO" else np.zeros(n, dtype=bool)
    if np.any(missing):
        raise ValueError(
            f"{_WHO}: 'y' holds {int(np.sum(missing))} missing label(s) (NaN/None), first at "
            f"row {int(np.flatnonzero(missing)[0])}; drop those subjects or label them."
        )
    classes = np.unique(y)
    if len(classes) != 2:
        raise ValueError(
            f"{_WHO} handles binary classification; 'y' must hold exactly two classes, got "
            f"{len(classes)}: {list(classes)[:10]}."
        )
    pos_label = resolve_pos_label(pos_label, classes, classes, _WHO)
    if groups is not None:
        groups = np.asarray(groups)
        if groups.shape != (n,):
            raise ValueError(
                f"{_WHO}: 'groups' must hold one value per row of X ({n}); got shape "
                f"{groups.shape}."
            )
    if param_grid is not None and not isinstance(param_grid, (dict, list)):
        raise TypeError(
            f"{_WHO}: 'param_grid' must be a dict or a list of dicts; got "
            f"{type(param_grid).__name__}."
        )
    if not isinstance(verbose, numbers.Integral) or verbose < 0:
        raise ValueError(f"{_WHO}: 'verbose' must be a non-negative int; got {verbose!r}.")
    return n, y, classes, pos_label, groups


def _cached_folds(cache_dir, splits, *, classes, pos_label, **key_params):
    """The folds' cache keys, the outputs found in the cache (None for the others) and
    whether each came from it.

    A cached entry must pass the checks a fresh fold's output passes; one that does not is
    refitted with a warning (docs/evaluation.md), never an abort of the run.
    """
    keys = fold_keys(cache_dir, splits, **key_params)
    outputs, from_cache = load_folds(cache_dir, keys, n_test=[len(test) for _, test in splits])
    for i, output in enumerate(outputs):
        if output is None:
            continue
        try:
            _positive_score(output["y_score"], output["model_classes"], classes, pos_label,
                            len(splits[i][1]), "the fold cache")
        except ValueError as exc:
            warnings.warn(f"Ignoring unusable fold cache entry of outer fold {i} ({exc}); "
                          "refitting that fold.", UserWarning,
                          stacklevel=3)  # the caller of nested_cross_validate
            outputs[i], from_cache[i] = None, False
    return keys, outputs, from_cache


def _run_pending_folds(outputs, estimator, X, y, groups, splits, fold_kwargs, *, cache_dir, keys,
                       n_jobs, name, verbose):
    """Fit the folds whose ``outputs`` entry is None, filling it in and caching each one."""
    pending = [i for i in range(len(splits)) if outputs[i] is None]
    progress = tqdm(
        total=len(splits), initial=len(splits) - len(pending), desc=f"{name}: outer folds",
        disable=bar_disabled(verbose), leave=False,
    )
    try:
        jobs = joblib.Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
            joblib.delayed(_index_result)(
                i, _run_fold, estimator, X, y, groups, splits[i][0], splits[i][1], **fold_kwargs
            )
            for i in pending
        )
        for i, output in jobs:
            outputs[i] = output
            # Stored as soon as it finishes, so an interrupted run keeps it.
            store_fold(cache_dir, keys[i], output)
            progress.update(1)
    finally:
        progress.close()


def _collect_folds(outputs, from_cache, plan, splits, y, groups, *, classes, pos_label, name,
                   fitter_name, return_predictions):
    """The fold table and the out-of-fold predictions (None unless ``return_predictions``)."""
    rows, pred_frames, no_scores = [], [], False
    for i, ((train, test), output) in enumerate(zip(splits, outputs)):
        repeat, fold = plan.repeat_and_fold(i)
        row, frame, has_score = _score_fold(
            output, train, test, y, groups, repeat=repeat, fold=fold, classes=classes,
            pos_label=pos_label, name=name, fitter_name=fitter_name, subjects=plan.subjects,
        )
        row["from_cache"] = from_cache[i]
        rows.append(row)
        no_scores = no_scores or not has_score
        if return_predictions:
            pred_frames.append(frame)
    if no_scores:
        warnings.warn(
            f"{name} gives no positive-class scores (no predict_proba or decision_function, "
            f"or {fitter_name} returned y_score=None); auroc is NaN.",
            UndefinedMetricWarning,
            stacklevel=3,  # the caller of nested_cross_validate
        )
    folds = pd.DataFrame(rows)
    predictions = pd.concat(pred_frames, ignore_index=True) if return_predictions else None
    return folds, predictions


def _score_fold(output, train, test, y, groups, *, repeat, fold, classes, pos_label, name,
                fitter_name, subjects=None):
    """One fold's row of metrics, its prediction frame, and whether it gave scores.

    With ``subjects`` (several windows per subject), the windows' predictions are
    aggregated per subject first: metrics, and the frame's rows, are per subject.
    """
    y_test = y[test]
    y_pred = np.asarray(output["y_pred"])
    if y_pred.shape != (len(test),):
        raise ValueError(
            f"{_WHO}: {fitter_name} returned y_pred of shape {y_pred.shape}; expected "
            f"({len(test)},)."
        )
    y_score = _positive_score(
        output["y_score"], output["model_classes"], classes, pos_label, len(test), fitter_name
    )
    has_score = np.all(np.isfinite(y_score))
    sample, n_windows, test_groups = test, None, None if groups is None else groups[test]
    if subjects is not None:
        sample, y_test, y_pred, y_score, n_windows = aggregate_windows(
            subjects[test], y_test, y_pred, y_score, output["y_score"] if has_score else None,
            classes, pos_label)
        if groups is not None:
            test_groups = pd.Series(groups[test]).groupby(subjects[test]).first().to_numpy()
    values, reason = compute_metrics_and_reason(
        y_test, y_pred, y_score if has_score else None, pos_label, classes=classes
    )
    # A model without scores is reported once for all folds, not as an undefined auroc per fold.
    if reason is not None and not (reason.startswith("auroc undefined") and not has_score):
        warnings.warn(
            f"{name}, repeat {repeat}, fold {fold}: {reason}", UndefinedMetricWarning,
            stacklevel=4,  # the caller of nested_cross_validate
        )
    row = {"model": name, "repeat": repeat, "fold": fold, "n_train": len(train), "n_test": len(test)}
    y_train = y[train]
    if subjects is not None:
        row.update(n_train=len(np.unique(subjects[train])), n_test=len(sample),
                   n_train_windows=len(train), n_test_windows=len(test))
        # one label per training subject, not per window
        _, first = np.unique(subjects[train], return_index=True)
        y_train = y_train[first]
    # The accuracy of always predicting the training part's most frequent class: the chance
    # level that summarize tests accuracy against.
    row["train_majority_rate"] = float(np.unique(y_train, return_counts=True)[1].max()
                                       / len(y_train))
    if groups is not None:
        row["test_groups"] = ",".join(str(g) for g in np.unique(groups[test]))
    row.update(values)
    row.update(best_params=output["best_params"], fit_time=output["fit_time"])
    frame = {
        "model": name, "repeat": repeat, "fold": fold, "sample": sample,
        "y_true": y_test, "y_pred": y_pred, "y_score": y_score,
    }
    if n_windows is not None:
        frame["n_windows"] = n_windows
    if groups is not None:
        frame["group"] = test_groups
    return row, pd.DataFrame(frame), has_score


def _index_result(index, func, *args, **kwargs):
    return index, func(*args, **kwargs)

