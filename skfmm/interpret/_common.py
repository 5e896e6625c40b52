"""What the interpretation functions share: the fitted classifier behind an estimator, the
checked container it reads, and the region names.

A module private to :mod:`skfmm.interpret` (its name starts with ``_``); the functions in it are
the package's internal protocol, used by :mod:`~skfmm.interpret.attributions` and
:mod:`~skfmm.interpret.report`, hence without a leading underscore.
"""

from __future__ import annotations

from sklearn.exceptions import NotFittedError

from ..container import check_multimodal

__all__ = ["resolve_estimator", "check_interpretable", "required_keys", "check_container",
           "region_names_for"]


def resolve_estimator(estimator, X, *, argument="X", who):
    """The fitted FMMTCClassifier behind ``estimator`` and ``X`` as that classifier reads it.

    Parameters
    ----------
    estimator : FMMTCClassifier or Pipeline ending in one
        Fitted.
    X : object or None
        What ``estimator`` takes; a pipeline's transformers are applied to it. None: only the
        classifier is returned.
    argument : str, default="X"
        The name of ``X`` in errors (``"background"``).
    who : str
        The caller, to start the errors with.

    Returns
    -------
    clf : FMMTCClassifier
    X : MultimodalData or None
        Checked by :func:`check_container`.

    Raises
    ------
    TypeError
        For an estimator that is not an FMMTCClassifier or a Pipeline ending in one.
    sklearn.exceptions.NotFittedError
        For an unfitted classifier.
    """
    from sklearn.pipeline import Pipeline

    from ..classifier import FMMTCClassifier

    if isinstance(estimator, Pipeline):
        if not estimator.steps:
            raise TypeError(f"{who}: 'estimator' is an empty Pipeline.")
        final = estimator.steps[-1][1]
        if not isinstance(final, FMMTCClassifier):
            raise TypeError(
                f"{who}: 'estimator' must be a fitted FMMTCClassifier or a Pipeline ending in "
                f"one; got a Pipeline ending in {type(final).__name__}."
            )
        check_interpretable(final, who)
        if X is not None and len(estimator.steps) > 1:
            X = estimator[:-1].transform(X)
        clf = final
    elif isinstance(estimator, FMMTCClassifier):
        check_interpretable(estimator, who)
        clf = estimator
    else:
        raise TypeError(
            f"{who}: 'estimator' must be a fitted FMMTCClassifier or a Pipeline ending in one; "
            f"got {type(estimator).__name__}."
        )
    if X is None:
        return clf, None
    return clf, check_container(clf, X, argument, who)


def region_names_for(estimator, region_names, n_regions):
    """``region_names``, else a fitted pipeline step's ``region_names_`` (the time-series
    extractor names regions after its atlas), else ``region0``, ``region1``, ..."""
    from sklearn.pipeline import Pipeline

    from ..extraction.names import check_region_names

    if region_names is None and isinstance(estimator, Pipeline):
        for _, step in estimator.steps[:-1]:
            names = getattr(step, "region_names_", None)
            if names is not None and len(names) == n_regions:
                region_names = names
                break
    return check_region_names(region_names, n_regions, "region_names")


def check_interpretable(clf, who):
    """Refuse an unfitted classifier, or one whose network is not skfmm's FMMTCModule."""
    if getattr(clf, "module_sizes_", None) is None or not getattr(clf, "initialized_", False):
        raise NotFittedError(
            f"{who}: this FMMTCClassifier is not fitted yet; call fit(X, y) before "
            "interpreting it."
        )
    module = clf.module_
    needed = ("feature_blocks", "dropout", "head")
    if not all(hasattr(module, a) for a in needed):
        raise TypeError(
            f"{who}: interpretation needs the network to be skfmm's FMMTCModule (or a "
            f"subclass); got module {type(module).__name__}."
        )


def required_keys(clf):
    """The container keys the fitted classifier reads."""
    # Covariates are optional in fit and required afterwards; required_keys() reads only
    # the parameters, so the fitted sizes add them.
    extra = ["covariates"] if clf.module_sizes_.get("n_covariates") else []
    return clf.required_keys() + extra


def check_container(clf, X, argument, who):
    """``X`` as a MultimodalData holding what the model reads, checked by check_multimodal.

    Its errors are reworded for the interpretation functions: the keys come from the
    fitted model, and a pipeline's ``X`` is what its first step takes.
    """
    required = required_keys(clf)
    try:
        X = check_multimodal(X, required, argument=argument, who=who)
    except (TypeError, ValueError):
        if not isinstance(X, dict):
            raise TypeError(
                f"{who}: '{argument}' must be a MultimodalData container with keys "
                f"{required} (or what the pipeline's first step takes); got "
                f"{type(X).__name__}."
            ) from None
        missing = [k for k in required if k not in X]
        if not missing:
            raise  # the container itself is malformed: MultimodalData's own error
        raise ValueError(
            f"{who}: the model uses {required} but '{argument}' lacks "
            f"{', '.join(repr(k) for k in missing)} (got keys {sorted(X.keys())})."
        ) from None
    if len(X) == 0:
        raise ValueError(f"{who}: '{argument}' holds no subjects.")
    return X
