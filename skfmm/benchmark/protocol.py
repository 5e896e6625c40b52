"""OPTIMISTIC, by name only: the FMM_TC authors' protocol of picking the epoch on the test fold.

It exists to measure how much that protocol inflates a score; never use it to report one.
"""

from __future__ import annotations

import copy

import numpy as np
from sklearn.base import clone
from sklearn.metrics import get_scorer
from sklearn.pipeline import Pipeline
from skorch.callbacks import Callback

from ..utils._docs import fill_doc

__all__ = ["TestFoldEpochSelection", "fit_authors_protocol", "authors_protocol_fit_predict"]


@fill_doc
class TestFoldEpochSelection(Callback):
    """OPTIMISTIC: the authors' epoch selection on the *test* fold (for measuring bias only).

    After every epoch the test fold is scored; at the end of training the weights of
    the best-scoring epoch are restored. This is model selection on the test data (flaw
    1 of the reference code): the resulting score is biased upwards. It exists so that
    benchmarks can measure by how much; never use it to report performance.

    Parameters
    ----------
    X_test : MultimodalData
        The held-out fold.
    y_test : array-like
        Its labels (original values).
    %(scoring_epoch)s
    name : str, default="test_score"
        History key of the per-epoch test score.

    Attributes
    ----------
    best_epoch_ : int
        1-based epoch whose weights are kept.
    best_score_ : float
        Its test score (the optimistic estimate).

    Examples
    --------
    >>> from skfmm.benchmark.protocol import TestFoldEpochSelection
    >>> TestFoldEpochSelection(None, None).scoring
    'matthews_corrcoef'
    """

    __test__ = False  # not a pytest test class despite the name

    def __init__(self, X_test, y_test, scoring="matthews_corrcoef", name="test_score"):
        self.X_test = X_test
        self.y_test = y_test
        self.scoring = scoring
        self.name = name

    def initialize(self):
        self.best_epoch_ = None
        self.best_score_ = -np.inf
        self.best_weights_ = None
        return self

    def on_epoch_end(self, net, **kwargs):
        scorer = get_scorer(self.scoring) if isinstance(self.scoring, str) else self.scoring
        score = float(scorer(net, self.X_test, self.y_test))
        net.history.record(self.name, score)
        if score > self.best_score_:  # first best epoch wins, as in the reference code
            self.best_score_ = score
            self.best_epoch_ = int(net.history[-1, "epoch"])
            self.best_weights_ = copy.deepcopy(net.module_.state_dict())

    def on_train_end(self, net, **kwargs):
        if self.best_weights_ is not None:
            net.module_.load_state_dict(self.best_weights_)
            self.best_weights_ = None


@fill_doc
def fit_authors_protocol(estimator, X_train, y_train, X_test, y_test, *,
                         scoring="matthews_corrcoef"):
    """OPTIMISTIC: fit as the authors did, choosing the epoch on the test fold.

    A clone of ``estimator`` is trained on the whole training fold (``train_split=None``,
    no early stopping, ``max_epochs`` epochs); after every epoch the test fold is
    scored and the weights of the best epoch are kept (:class:`TestFoldEpochSelection`).
    Scores of the returned model on ``(X_test, y_test)`` are therefore biased upwards;
    compare them with an honest fit to measure the optimism.

    Parameters
    ----------
    estimator : FMMTCClassifier
        Unfitted template (cloned, not modified).
    X_train, y_train : MultimodalData, array-like
        Training fold.
    X_test, y_test : MultimodalData, array-like
        Test fold, used for epoch selection.
    %(scoring_epoch)s

    Returns
    -------
    FMMTCClassifier
        Fitted clone; ``callbacks_`` holds ``"test_fold_selection"`` with ``best_epoch_``
        and ``best_score_``; ``history[:, "test_score"]`` the per-epoch test scores.

    Examples
    --------
    >>> import numpy as np
    >>> from skfmm import FMMTCClassifier, MultimodalData
    >>> from skfmm.benchmark.protocol import fit_authors_protocol
    >>> rng = np.random.default_rng(0)
    >>> X = MultimodalData(fc=rng.standard_normal((16, 5, 5)).astype("float32"))
    >>> y = np.array([0, 1] * 8)
    >>> est = FMMTCClassifier(modalities=("fc",), fc_encoder="mlp", max_epochs=3,
    ...                       random_state=0, verbose=0)
    >>> fitted = fit_authors_protocol(est, X[:12], y[:12], X[12:], y[12:])
    >>> len(fitted.history[:, "test_score"])
    3
    """
    est = clone(estimator)
    selection = TestFoldEpochSelection(X_test, y_test, scoring=scoring)
    callbacks = list(est.callbacks or []) + [("test_fold_selection", selection)]
    est.set_params(train_split=None, callbacks=callbacks)
    return est.fit(X_train, y_train)


def authors_protocol_fit_predict(estimator, X_train, y_train, X_test, y_test):
    """OPTIMISTIC fold fitter: the FMM_TC authors' protocol (best epoch on the test fold).

    For :func:`skfmm.evaluation.nested_cross_validate` ``(fold_fitter=...)``, only to
    measure how optimistic that protocol is. The pipeline's transformers are fitted on the
    training fold; the final :class:`~skfmm.FMMTCClassifier` is trained for all its
    ``max_epochs`` without a validation split and, after every epoch, scored (MCC) on the
    *test* fold; the weights of the best epoch are kept
    (:func:`fit_authors_protocol`). The returned predictions have been
    selected for agreeing with the test labels.

    Parameters
    ----------
    estimator : Pipeline ending in FMMTCClassifier, or FMMTCClassifier
        Unfitted (a GridSearchCV around it is refused: the protocol has no inner search).
    X_train, y_train, X_test, y_test
        The outer fold.

    Returns
    -------
    y_pred : ndarray of shape (n_test,)
    y_score : ndarray of shape (n_test, 2)
        ``predict_proba``, columns in ``classes_`` order.

    Examples
    --------
    >>> import numpy as np
    >>> from skfmm import FMMTCClassifier, MultimodalData
    >>> from skfmm.benchmark.protocol import authors_protocol_fit_predict
    >>> rng = np.random.default_rng(0)
    >>> X = MultimodalData(fc=rng.standard_normal((16, 5, 5)).astype("float32"))
    >>> y = np.array([0, 1] * 8)
    >>> est = FMMTCClassifier(modalities=("fc",), fc_encoder="mlp", max_epochs=3,
    ...                       random_state=0, verbose=0)
    >>> y_pred, y_score = authors_protocol_fit_predict(est, X[:12], y[:12], X[12:], y[12:])
    >>> y_pred.shape, y_score.shape
    ((4,), (4, 2))
    """
    from ..classifier import FMMTCClassifier

    if isinstance(estimator, Pipeline):
        transformers, final = estimator.steps[:-1], estimator.steps[-1][1]
    else:
        transformers, final = [], estimator
    if not isinstance(final, FMMTCClassifier):
        raise TypeError(
            "authors_protocol_fit_predict: 'estimator' must be an FMMTCClassifier or a "
            "Pipeline ending in one (the protocol selects training epochs); got "
            f"{type(final).__name__}."
        )
    Xt_train, Xt_test = X_train, X_test
    for _, step in transformers:
        if step is None or step == "passthrough":
            continue
        step = clone(step)
        Xt_train = step.fit_transform(Xt_train, y_train)
        Xt_test = step.transform(Xt_test)
    fitted = fit_authors_protocol(final, Xt_train, y_train, Xt_test, y_test)
    return np.asarray(fitted.predict(Xt_test)), np.asarray(fitted.predict_proba(Xt_test))
