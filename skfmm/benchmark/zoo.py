"""The model zoo of the benchmark: chance, classical connectomes, the deep unimodal models, FMM_TC.

Every model is a scikit-learn Pipeline fed the same container from TimeSeriesExtractor (ts, xyz).
"""

from __future__ import annotations

import hashlib
import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from ..utils._docs import fill_doc
from ..utils.validation import n_rows

__all__ = [
    "ChanceClassifier",
    "BASELINE_NAMES",
    "EXTENDED_NAMES",
    "BASELINE_DESCRIPTIONS",
    "DEEP_MODELS",
    "FM_MODELS",
    "MODEL_SIZES",
    "SIZES",
    "make_baselines",
]

#: The main job's models (what ``skfmm benchmark`` runs by default), in table order.
BASELINE_NAMES = (
    "chance",
    "corr_logreg",
    "tangent_logreg",
    "corr_svm",
    "temporal_logreg",
    "fc_only",
    "multimodal_temporal",
    "ts_only_fm",
    "multimodal_no_fm",
    "fmm_tc",
    "ts_only_random_fm",
    "fmm_tc_random_fm",
    "ts_only_fm_parcel",
    "ts_only_random_fm_parcel",
)

#: Models of the extended zoo, run only when named (``--models``): FMM_TC with region-level
#: foundation-model features and its control, left out of the main job to keep it within
#: 5 minutes on 2 cores (docs/benchmark.md measures them).
EXTENDED_NAMES = (
    "fmm_tc_parcel",
    "fmm_tc_random_fm_parcel",
)

_ALL_NAMES = BASELINE_NAMES + EXTENDED_NAMES

#: One line per model, for tables and reports.
BASELINE_DESCRIPTIONS = {
    "chance": "ChanceClassifier: random labels at the training class rates, a random score "
              "per subject (seeded by random_state and the subject's data)",
    "corr_logreg": "correlation connectome (upper triangle) + StandardScaler + logistic regression",
    "tangent_logreg": "tangent-space connectome (reference fitted in the fold) + StandardScaler "
                      "+ logistic regression",
    "corr_svm": "correlation connectome + StandardScaler + linear SVM",
    "temporal_logreg": "TemporalFeatures (per-parcel ALFF, fALFF, lag-1..3 autocorrelation, "
                       "intrinsic timescale) + StandardScaler + logistic regression",
    "multimodal_temporal": "FMMTCClassifier(foundation_model=None, modalities=('fc',)) with "
                           "the TemporalFeatures as covariates: connectivity encoder + "
                           "hand-made temporal features + linear head (FMM_TC's fusion, no "
                           "foundation model)",
    "fc_only": "FMMTCClassifier(modalities=('fc',)): deep connectivity encoder + linear head",
    "ts_only_fm": "FMMTCClassifier(modalities=('ts',)): frozen foundation-model CLS embedding "
                  "+ linear head",
    "multimodal_no_fm": "FMMTCClassifier(foundation_model=None): temporal CNN trained from "
                        "scratch + connectivity encoder + linear head",
    "fmm_tc": "FMMTCClassifier: frozen foundation model + connectivity encoder + linear head "
              "(FMM_TC)",
    "ts_only_random_fm": "control of ts_only_fm: the same architecture as the foundation model "
                         "with random weights (no pretraining)",
    "fmm_tc_random_fm": "control of fmm_tc: the same architecture as the foundation model with "
                        "random weights (no pretraining)",
    "ts_only_fm_parcel": "FMMTCClassifier(modalities=('ts',), pooling='parcel'): frozen "
                         "foundation-model tokens averaged per parcel + factorized head (one "
                         "projection shared by the parcels, one weight per parcel)",
    "ts_only_random_fm_parcel": "control of ts_only_fm_parcel: random-weight BrainLM of the "
                                "same architecture",
    "fmm_tc_parcel": "FMMTCClassifier(pooling='parcel'): FMM_TC with region-level "
                     "foundation-model features (factorized head) + connectivity encoder",
    "fmm_tc_random_fm_parcel": "control of fmm_tc_parcel: random-weight BrainLM of the same "
                               "architecture",
}

#: Models that read a frozen encoder: the foundation model, or its random-weight control.
FM_MODELS = ("ts_only_fm", "fmm_tc", "ts_only_random_fm", "fmm_tc_random_fm",
             "ts_only_fm_parcel", "ts_only_random_fm_parcel", "fmm_tc_parcel",
             "fmm_tc_random_fm_parcel")

#: The models trained with skorch (they have epochs, hence the authors' protocol applies).
DEEP_MODELS = ("fc_only", "multimodal_temporal", "ts_only_fm", "multimodal_no_fm", "fmm_tc",
               "ts_only_random_fm", "fmm_tc_random_fm") + FM_MODELS[4:]

#: Size presets.
SIZES = ("quick", "default", "full")

#: Settings of the deep models per size. ``full`` is the paper's (ResNet-18, 100 epochs,
#: batch 8, AdamW lr 5e-4 with cosine annealing); the lighter ones keep the default run
#: within minutes on a laptop CPU. ``train_split="auto"``: all ``max_epochs`` on cohorts below
#: 50 training subjects per class (the main job's), early stopping on an internal validation
#: split of the training data above; never on test data.
MODEL_SIZES = {
    "quick": dict(fc_encoder="mlp", module__fc_width=32, max_epochs=20, lr=1e-3, batch_size=8,
                  deep_grid=None),
    "default": dict(fc_encoder="mlp", module__fc_width=32, max_epochs=40, lr=1e-3,
                    batch_size=8, deep_grid=None),
    "full": dict(fc_encoder="resnet18", max_epochs=100, lr=5e-4, batch_size=8,
                 deep_grid={"model__lr": [5e-4, 1e-4]}),
}

_LINEAR_GRIDS = {
    "quick": {"logreg": [0.01, 1.0], "svm": [0.001, 0.1]},
    "default": {"logreg": [0.001, 0.01, 0.1, 1.0], "svm": [1e-4, 1e-3, 1e-2, 1e-1]},
    "full": {"logreg": [1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0],
             "svm": [1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0]},
}


@fill_doc
class ChanceClassifier(ClassifierMixin, BaseEstimator):
    """Chance level: random predictions at the training class rates, reproducible per subject.

    Unlike ``DummyClassifier(strategy="stratified", random_state=0)``, whose draws restart
    from the same seed in every fold (so that, with test folds ordered alike, the same
    pattern of guesses meets the same pattern of labels fold after fold and pooled
    estimates stop behaving like chance), each subject's draw is seeded by
    ``random_state`` and the subject's own data: it does not depend on the fold, the
    order of the rows or the other subjects, and draws are independent across subjects.

    Parameters
    ----------
    %(random_state)s
        With the subject's own data, it seeds each subject's draw.

    Attributes
    ----------
    classes_ : ndarray of shape (2,) or more
    class_prior_ : ndarray
        Class rates of the training labels.

    Examples
    --------
    >>> import numpy as np
    >>> from skfmm.benchmark.zoo import ChanceClassifier
    >>> X, y = np.arange(40.0).reshape(20, 2), np.repeat(["no", "yes"], 10)
    >>> clf = ChanceClassifier(random_state=0).fit(X, y)
    >>> clf.predict(X[:3]).tolist() == clf.predict(X[[2, 1, 0]])[::-1].tolist()
    True
    >>> clf.predict_proba(X).shape
    (20, 2)
    """

    def __init__(self, random_state=0):
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.input_tags.dict = True
        return tags

    def fit(self, X, y):
        """Learn the classes and their rates (``X`` only fixes the number of rows).

        Parameters
        ----------
        X : array-like or MultimodalData
        y : array-like of shape (n_subjects,)

        Returns
        -------
        self
        """
        if not isinstance(self.random_state, numbers.Integral) or isinstance(
                self.random_state, bool):
            raise ValueError("ChanceClassifier: 'random_state' must be an int; got "
                             f"{self.random_state!r}.")
        if y is None:
            raise ValueError("ChanceClassifier requires y to be passed, but the target y is "
                             "None.")
        y = np.asarray(y)
        from sklearn.utils.multiclass import check_classification_targets
        from sklearn.utils.validation import column_or_1d

        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)  # a column vector: warn and ravel, as sklearn does

        check_classification_targets(y)
        if y.ndim != 1 or len(y) != n_rows(X):
            raise ValueError(f"ChanceClassifier: 'y' must be 1-D with one label per row of X "
                             f"({n_rows(X)}); got shape {y.shape}.")
        self.classes_, counts = np.unique(y, return_counts=True)
        if len(self.classes_) < 2:
            raise ValueError(f"ChanceClassifier needs two classes in 'y'; got "
                             f"{list(self.classes_)}.")
        self.class_prior_ = counts / counts.sum()
        return self

    def _uniform(self, X):
        rows = _row_bytes(X)
        out = np.empty(len(rows))
        for i, row in enumerate(rows):
            digest = hashlib.sha256(str(int(self.random_state)).encode() + b"|" + row).digest()
            out[i] = int.from_bytes(digest[:8], "little") / 2.0**64
        return out

    def predict_proba(self, X):
        """A random, subject-seeded score for each class (rows sum to 1).

        For two classes the positive column is uniform on [0, 1] (a random ranking, so the
        AUROC is at chance); :meth:`predict` thresholds it at the training class rate.

        Parameters
        ----------
        X : array-like or MultimodalData

        Returns
        -------
        ndarray of shape (n_subjects, n_classes)
        """
        check_is_fitted(self, "classes_")
        u = self._uniform(X)
        if len(self.classes_) == 2:
            return np.column_stack([1.0 - u, u])
        edges = np.cumsum(self.class_prior_)
        index = np.minimum(np.searchsorted(edges, u, side="right"), len(edges) - 1)
        return np.eye(len(self.classes_))[index]

    def predict(self, X):
        """Random labels drawn at the training class rates, the same for a subject every time.

        Parameters
        ----------
        X : array-like or MultimodalData

        Returns
        -------
        ndarray of shape (n_subjects,)
        """
        check_is_fitted(self, "classes_")
        u = self._uniform(X)
        if len(self.classes_) == 2:
            return self.classes_[(u >= self.class_prior_[0]).astype(int)]
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


def _row_bytes(X):
    """One byte string per row: the subject's data, whatever the input type."""
    if isinstance(X, dict):
        # The data only: records such as 'subject', 'n_padded' or 't_r' would tie the draws
        # of a subject to its position in the cohort.
        from ..container import KNOWN_KEYS

        keys = sorted(k for k in X.keys() if k in KNOWN_KEYS) or sorted(X.keys())
        arrays = [np.ascontiguousarray(np.asarray(X[k])) for k in keys]
        return [b"".join(a[i].tobytes() for a in arrays) for i in range(n_rows(X))]
    arr = np.asarray(X)
    if arr.dtype == object:
        return [np.ascontiguousarray(np.asarray(r, dtype=float)).tobytes() for r in arr]
    arr = np.ascontiguousarray(arr)
    return [arr[i].tobytes() for i in range(len(arr))]


def _logistic(class_weight, seed):
    """liblinear logistic regression, one-vs-rest: it takes 3+ classes (liblinear alone refuses
    them), and a two-class problem fits exactly the binary model, so binary results are those
    of a plain ``LogisticRegression(solver="liblinear")``."""
    return OneVsRestClassifier(LogisticRegression(
        solver="liblinear", max_iter=5000, class_weight=class_weight, random_state=seed))


def _connectome_pipeline(kind, classifier, memory):
    from ..extraction import ConnectivityExtractor

    return Pipeline([
        ("connectivity", ConnectivityExtractor(kind=kind, output="vector")),
        ("scale", StandardScaler()),
        ("model", classifier),
    ], memory=memory)


def _temporal_pipeline(classifier, memory):
    from ..extraction import TemporalFeatures

    return Pipeline([
        ("temporal", TemporalFeatures()),
        ("scale", StandardScaler()),
        ("model", classifier),
    ], memory=memory)


def _deep_pipeline(foundation_model, modalities, settings, random_state, device, class_weight,
                   temporal=False, pooling="cls"):
    from ..classifier import FMMTCClassifier
    from ..extraction import ConnectivityExtractor, TemporalFeatures

    params = {k: v for k, v in settings.items() if k != "deep_grid"}
    if "fc" not in modalities:
        params = {k: v for k, v in params.items() if not k.startswith("module__fc_")}
    model = FMMTCClassifier(
        foundation_model=foundation_model,
        modalities=tuple(modalities),
        class_weight=class_weight,
        random_state=random_state,
        device=device,
        verbose=0,
        **params,
    )
    if pooling != "cls":
        # Region-level features: each parcel's mean token, standardised per column with the
        # training subjects (the tokens are LayerNorm outputs with large shared offsets),
        # through the shared projection of the factorized head.
        model.set_params(pooling=pooling, standardize_embedding=True)
    steps = []
    if temporal:  # the hand-made temporal features through the covariates branch
        steps.append(("temporal", TemporalFeatures(output="multimodal")))
    if "fc" in modalities:
        steps.append(("connectivity", ConnectivityExtractor(kind="correlation",
                                                             output="multimodal")))
    steps.append(("model", model))
    return Pipeline(steps)


@fill_doc
def make_baselines(foundation_model="demo", *, fc_encoder=None, random_state=0, size="default",
                   device="cpu", class_weight="balanced", models=None, memory=None):
    """The named models of the benchmark, each with its small hyper-parameter grid.

    Every model takes the container made by :class:`~skfmm.TimeSeriesExtractor`
    (``ts`` and ``xyz``) and learns everything else inside ``fit`` (connectomes, the
    tangent reference, scalers, networks), so it can be cross-validated honestly.

    =========================  =================================================================
    ``chance``                 :class:`ChanceClassifier`: random labels at the class rates
    ``corr_logreg``            correlation connectome + StandardScaler + logistic regression
    ``tangent_logreg``         tangent-space connectome + StandardScaler + logistic regression
    ``corr_svm``               correlation connectome + StandardScaler + linear SVM
    ``temporal_logreg``        :class:`~skfmm.TemporalFeatures` (per-parcel ALFF, fALFF, lag-1..3
                               autocorrelation, intrinsic timescale) + StandardScaler +
                               logistic regression: the hand-made temporal baseline
    ``fc_only``                ``FMMTCClassifier(modalities=("fc",))`` on the correlation matrix
    ``multimodal_temporal``    ``fc_only`` with the temporal features of ``temporal_logreg``
                               as FMM_TC's covariates block: the fusion of ``fmm_tc`` with
                               hand-made temporal features in place of the foundation model
    ``ts_only_fm``             ``FMMTCClassifier(modalities=("ts",))``: frozen foundation-model
                               embedding + linear head
    ``multimodal_no_fm``       ``FMMTCClassifier(foundation_model=None)``: both modalities, the
                               time series encoded by a small CNN trained from scratch
    ``fmm_tc``                 ``FMMTCClassifier``: FMM_TC in full
    ``ts_only_random_fm``      ``ts_only_fm`` with a random-weight BrainLM of the foundation
                               model's architecture (seeded by ``random_state``): the control
                               that shows what pretraining, not the architecture, adds
    ``fmm_tc_random_fm``       ``fmm_tc`` with that random-weight BrainLM
    ``ts_only_fm_parcel``      ``ts_only_fm`` with ``pooling="parcel"``: each parcel's mean token
                               (standardised with the training subjects) through a factorized
                               head, one projection shared by the parcels then one weight per
                               parcel
    ``fmm_tc_parcel``          ``fmm_tc`` with those region-level features (extended zoo:
                               only when named in ``models``)
    ``*_random_fm_parcel``     their random-weight controls
    =========================  =================================================================

    Parameters
    ----------
    foundation_model : "demo", str path or BrainLM, default="demo"
        The frozen encoder of ``ts_only_fm`` and ``fmm_tc`` (see
        :class:`~skfmm.FMMTCClassifier`); its architecture is that of the random-weight
        controls.
    fc_encoder : {"resnet18", "brainnetcnn", "mlp"} or None, default=None
        Connectivity encoder of the deep models; None takes the size's (``"resnet18"`` for
        ``"full"``, ``"mlp"`` otherwise).
    %(random_state)s
        It seeds every model.
    size : {"quick", "default", "full"}, default="default"
        ``"full"``: the paper's settings (ResNet-18, at most 100 epochs, batch 8, AdamW lr
        5e-4, cosine annealing) with a learning-rate grid; ``"default"`` and ``"quick"``:
        a small MLP connectivity encoder and at most 40 / 20 epochs, no deep grid. In
        every size ``train_split="auto"`` trains all epochs below 50 training subjects per
        class and chooses the epoch by early stopping on a stratified validation split
        of the training data above.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Device of the deep models.
    class_weight : None or "balanced", default="balanced"
        Class weights of the deep models' loss and of the linear models (learned in fit).
    models : list of str, default=None
        Names from :data:`BASELINE_NAMES` and :data:`EXTENDED_NAMES` (returned in that
        order); default :data:`BASELINE_NAMES`, the main job's models.
    memory : None, str or joblib.Memory, default=None
        ``Pipeline(memory=...)`` of the connectome models and of ``temporal_logreg``: a
        connectome (or the temporal features) computed on a training set is reused by the
        other grid candidates and by the other connectome model of the same kind
        (``corr_logreg`` and ``corr_svm``) on that same set.

    Every model takes two or more classes: the logistic regressions and the SVM are
    one-vs-rest (liblinear alone refuses 3+ classes; with two classes one-vs-rest fits the
    binary model itself), the deep models have one output per class. :func:`~skfmm.evaluation.nested_cross_validate` and its metrics
    are binary and refuse 3+ classes up front; cross-validate multiclass models with
    scikit-learn's ``cross_validate`` and a multiclass scoring.

    Returns
    -------
    dict
        ``name -> (estimator, param_grid)``; ``param_grid`` is a dict for
        :class:`~sklearn.model_selection.GridSearchCV` over the pipeline, or None.

    Examples
    --------
    >>> from skfmm.benchmark.zoo import make_baselines
    >>> zoo = make_baselines(foundation_model=None, models=["chance", "corr_logreg"])
    >>> list(zoo)
    ['chance', 'corr_logreg']
    >>> zoo["corr_logreg"][1]
    {'model__estimator__C': [0.001, 0.01, 0.1, 1.0]}
    """
    who = "make_baselines"
    if size not in SIZES:
        raise ValueError(f"{who}: 'size' must be one of {SIZES}; got {size!r}.")
    if not isinstance(random_state, numbers.Integral) or isinstance(random_state, bool):
        raise ValueError(
            f"{who}: 'random_state' must be an int (every model is seeded with it); got "
            f"{random_state!r}."
        )
    from ..nn.encoders import FC_ENCODERS

    if fc_encoder is not None and fc_encoder not in FC_ENCODERS:
        raise ValueError(f"{who}: 'fc_encoder' must be one of {FC_ENCODERS} or None; got "
                         f"{fc_encoder!r}.")
    if class_weight not in (None, "balanced"):
        raise ValueError(f"{who}: 'class_weight' must be None or 'balanced'; got "
                         f"{class_weight!r}.")
    if models is None:
        models = list(BASELINE_NAMES)
    else:
        if isinstance(models, str):
            models = [models]
        unknown = [m for m in models if m not in _ALL_NAMES]
        if unknown or not models:
            raise ValueError(
                f"{who}: 'models' must be a non-empty list of names from {_ALL_NAMES}; "
                f"got {list(models)!r}."
            )
        models = [m for m in _ALL_NAMES if m in set(models)]
    needs_fm = set(FM_MODELS) & set(models)
    if foundation_model is None and needs_fm:
        raise ValueError(
            f"{who}: models {sorted(needs_fm)} need a foundation model; got "
            "foundation_model=None. Pass 'demo' or a BrainLM directory, or leave them out "
            "with models=[...]."
        )

    settings = dict(MODEL_SIZES[size])
    if fc_encoder is not None and fc_encoder != settings["fc_encoder"]:
        settings["fc_encoder"] = fc_encoder
        if fc_encoder == "resnet18":  # module__fc_width applies to brainnetcnn/mlp only
            settings.pop("module__fc_width", None)
    deep_grid = settings["deep_grid"]
    linear = _LINEAR_GRIDS[size]
    seed = int(random_state)
    lr_weight = class_weight

    def deep(fm, modalities, temporal=False, pooling="cls"):
        return (_deep_pipeline(fm, modalities, settings, seed, device, class_weight,
                               temporal=temporal, pooling=pooling),
                None if deep_grid is None else dict(deep_grid))

    def random_fm():
        # The control of pretraining: the foundation model's architecture, random weights.
        from ..foundation import BrainLM, resolve_foundation_model

        config = resolve_foundation_model(foundation_model, copy=False).model.config
        return BrainLM(config, with_decoder=False, random_state=seed)

    makers = {
        "chance": lambda: (
            Pipeline([("model", ChanceClassifier(random_state=seed))]),
            None),
        "corr_logreg": lambda: (
            _connectome_pipeline("correlation", _logistic(lr_weight, seed), memory),
            {"model__estimator__C": list(linear["logreg"])}),
        "tangent_logreg": lambda: (
            _connectome_pipeline("tangent", _logistic(lr_weight, seed), memory),
            {"model__estimator__C": list(linear["logreg"])}),
        "corr_svm": lambda: (
            _connectome_pipeline("correlation", LinearSVC(
                max_iter=20000, class_weight=lr_weight, random_state=seed), memory),
            {"model__C": list(linear["svm"])}),
        "temporal_logreg": lambda: (
            _temporal_pipeline(_logistic(lr_weight, seed), memory),
            {"model__estimator__C": list(linear["logreg"])}),
        "fc_only": lambda: deep(foundation_model, ("fc",)),
        "multimodal_temporal": lambda: deep(None, ("fc",), temporal=True),
        "ts_only_fm": lambda: deep(foundation_model, ("ts",)),
        "multimodal_no_fm": lambda: deep(None, ("ts", "fc")),
        "fmm_tc": lambda: deep(foundation_model, ("ts", "fc")),
        "ts_only_random_fm": lambda: deep(random_fm(), ("ts",)),
        "fmm_tc_random_fm": lambda: deep(random_fm(), ("ts", "fc")),
        "ts_only_fm_parcel": lambda: deep(foundation_model, ("ts",), pooling="parcel"),
        "ts_only_random_fm_parcel": lambda: deep(random_fm(), ("ts",), pooling="parcel"),
        "fmm_tc_parcel": lambda: deep(foundation_model, ("ts", "fc"), pooling="parcel"),
        "fmm_tc_random_fm_parcel": lambda: deep(random_fm(), ("ts", "fc"), pooling="parcel"),
    }
    return {name: makers[name]() for name in models}
