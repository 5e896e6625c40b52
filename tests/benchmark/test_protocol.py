"""The authors' (optimistic) protocol: the epoch chosen on the test fold, deep models only."""

import numpy as np
import pytest
from sklearn.metrics import matthews_corrcoef

from skfmm.benchmark.protocol import authors_protocol_fit_predict
from skfmm.benchmark.zoo import make_baselines


def test_authors_protocol_keeps_the_best_epoch_on_the_test_fold(cohort):
    from skfmm import ConnectivityExtractor
    from skfmm.benchmark.protocol import fit_authors_protocol

    X, y = cohort
    train, test = np.arange(16), np.arange(16, 24)
    estimator, _ = make_baselines(None, size="quick", models=["fc_only"])["fc_only"]
    estimator.set_params(model__max_epochs=8)
    y_pred, y_score = authors_protocol_fit_predict(estimator, X[train], y[train], X[test],
                                                   y[test])
    assert y_pred.shape == (8,) and y_score.shape == (8, 2)
    # The same run by hand: the connectome fitted on the training fold, every epoch scored
    # on the test fold. The fold fitter's predictions are those of the best-scoring epoch.
    conn = ConnectivityExtractor(output="multimodal").fit(X[train])
    fitted = fit_authors_protocol(estimator.named_steps["model"], conn.transform(X[train]),
                                  y[train], conn.transform(X[test]), y[test])
    per_epoch = fitted.history[:, "test_score"]
    assert len(per_epoch) == 8  # all epochs trained: no early stopping
    assert matthews_corrcoef(y[test], y_pred) == pytest.approx(max(per_epoch))
    assert max(per_epoch) >= per_epoch[-1]


def test_authors_protocol_refuses_non_deep_models(cohort):
    X, y = cohort
    estimator, _ = make_baselines(None, models=["corr_logreg"])["corr_logreg"]
    with pytest.raises(TypeError, match="FMMTCClassifier"):
        authors_protocol_fit_predict(estimator, X[:16], y[:16], X[16:], y[16:])
