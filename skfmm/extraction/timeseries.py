"""TimeSeriesExtractor: subjects (arrays or 4-D NIfTI runs) -> cleaned, scaled, fixed-window
parcel time series in the multimodal container, with the parcel coordinates.
"""

from __future__ import annotations

import os
import warnings
import zlib
from numbers import Integral, Real
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._set_output import _get_output_config
from sklearn.utils.validation import check_is_fitted

from ..datasets.atlas import check_coords
from ..foundation.scaling import SCALINGS, scale_window
from ..utils.validation import check_choice, check_positive_int, check_timeseries_list
from ..container import MultimodalData

from typing import TYPE_CHECKING, Any
from ..utils._docs import fill_doc

if TYPE_CHECKING:  # hints only
    from skfmm._typing import ArrayLike, CohortLike, PathLike

__all__ = ["TimeSeriesExtractor"]

#: Global amplitude BrainLM's UK Biobank preparation divided the mean-removed BOLD by.

_STANDARDIZE = SCALINGS
_PAD = ("random_segment", "zero", "reflect", "error")
_POSITION = ("start", "center", "all")
_OUTPUT = ("multimodal", "array")


@fill_doc
class TimeSeriesExtractor(TransformerMixin, BaseEstimator):
    """Turn subjects into parcel time series of one fixed length, plus parcel coordinates.

    Each subject is processed alone (memory grows only with the output): optional nilearn
    signal cleaning (confounds, detrending, band-pass), then a window of ``window``
    timepoints is cut, scaled per parcel, and padded when the run is shorter.

    Parameters
    ----------
    atlas : str, path, Nifti1Image or nilearn masker, default=None
        What defines the parcels. Required for NIfTI input; with array input it only
        supplies the coordinates when ``coords`` is None (and its region count is checked).
        One of:

        - a 3-D labels image (integer labels, 0 = background), read with a
          :class:`~nilearn.maskers.NiftiLabelsMasker`; coordinates: label centroids;
        - a 4-D maps image (one probabilistic map per region, e.g. DiFuMo), read with a
          :class:`~nilearn.maskers.NiftiMapsMasker`; coordinates:
          :func:`nilearn.plotting.find_probabilistic_atlas_cut_coords`;
        - a configured :class:`~nilearn.maskers.NiftiLabelsMasker`,
          :class:`~nilearn.maskers.NiftiMapsMasker` or
          :class:`~nilearn.maskers.NiftiSpheresMasker`: cloned
          (:func:`sklearn.base.clone`) and fitted in ``fit``, used with its own settings
          (smoothing, mask, resampling, ``standardize``...); ``detrend``, ``low_pass``,
          ``high_pass`` and ``memory`` then belong on the masker and must stay unset here. Coordinates:
          label centroids, map cut coordinates, or the spheres' seeds.

        Anything else is a ``TypeError``.
    coords : array-like of shape (n_regions, 3) or str, default=None
        Parcel coordinates in MNI mm, or a coordinates file in the A424 format (``index x
        y z`` rows). Without it and with an atlas, the parcel centroids are used
        (centre of mass of each label). Without either, the
        container has no ``xyz`` (models that need coordinates then refuse it).
    window : int, default=200
        Timepoints per window (BrainLM's pretraining window is 200). With
        ``foundation_model`` set, it must be a multiple of the model's patch size.
    window_position : {"start", "center", "all"}, default="start"
        Where the window is cut from runs longer than ``window``: one window per subject at
        the start or in the centre of the run, or ``"all"``: every window of the run,
        ``window_stride`` apart (non-overlapping by default). With ``"all"``, each row of
        the output is one window and ``X["subject"]`` says whose it is; a run of ``n``
        time points gives ``1 + (n - window) // window_stride`` windows (the last
        ``(n - window) % window_stride`` time points are in none), a run shorter than
        ``window`` gives one padded window.
    window_stride : int, default=None
        Time points between the starts of consecutive windows for
        ``window_position="all"``; None: ``window`` (non-overlapping windows).
    pad : {"random_segment", "zero", "reflect", "error"}, default="random_segment"
        How runs shorter than ``window`` are completed. ``"random_segment"`` appends
        randomly chosen single timepoints of the run, as the FMM_TC authors did (seeded by
        ``random_state`` and the subject's data, so it is reproducible); ``"zero"`` appends
        zeros (the parcel mean after scaling); ``"reflect"`` mirrors the run;
        ``"error"`` refuses short runs.
    standardize : {"zscore", "brainlm", "none"}, default="zscore"
        Per-parcel scaling over the window. ``"zscore"``: mean 0, standard deviation 1.
        ``"brainlm"``: per-parcel mean removed, divided by the global constant 41.44047,
        the amplitude of BrainLM's UK Biobank preparation; use it with the released
        BrainLM weights. ``"none"``: raw values (the authors' choice, which does not match
        what BrainLM saw in pretraining).
    t_r : float, default=None
        Repetition time in seconds, needed by ``low_pass`` / ``high_pass`` and
        ``resample_t_r``. For NIfTI input it defaults to the image header's. The
        repetition time of the output (after resampling) is recorded in ``X["t_r"]``.
    resample_t_r : float, default=None
        Resample every run (after cleaning, before windowing) to this repetition time,
        with :func:`scipy.signal.resample_poly` (polyphase filtering with an anti-aliasing
        low-pass): e.g. ``resample_t_r=2.5`` turns 1200 volumes at 0.72 s into 346 at
        2.5 s, the sampling rate of the demo foundation model's pretraining corpus.
        ``window`` counts time points after resampling.
    foundation_model : "demo", str path, hub id, BrainLM or None, default=None
        %(foundation_model_desc)s
        Here: the model that will read the windows (None: no check). When given, ``fit``
        refuses a ``window`` that is not a multiple of its patch size and warns when
        ``standardize`` differs from the scaling it was pretrained with (``"none"`` feeds
        raw intensities) or when the repetition time differs from its pretraining one
        (recorded in its ``config.json`` as ``skfmm_t_r``; the demo's is 2.5 s).
    detrend : bool, default=False
        Remove linear trends (nilearn signal cleaning).
    low_pass, high_pass : float, default=None
        Band-pass cut-offs in Hz (nilearn signal cleaning).
    confounds_strategy : tuple of str, default=None
        For fMRIPrep NIfTI paths: the :func:`nilearn.interfaces.fmriprep.load_confounds`
        strategy, e.g. ``("motion", "wm_csf", "scrub")``. Scrubbing removes volumes (the run
        gets shorter before windowing).
    confounds_kwargs : dict, default=None
        Extra keyword arguments for ``load_confounds`` (``motion``, ``fd_threshold``...).
    output : {"multimodal", "array"}, default="multimodal"
        :class:`MultimodalData` with ``ts`` (n, window, n_regions) float32 and ``xyz``
        (n, n_regions, 3), or the plain 3-D array.
    n_jobs : int, default=None
        Subjects processed in parallel (joblib).
    %(memory)s
        It caches the NIfTI signal extraction (passed to nilearn's masker).
    memory_level : int, default=1
        nilearn's caching level.
    %(random_state)s
        It seeds the ``"random_segment"`` padding.
    %(verbose)s
        1 shows a progress bar for NIfTI input; 2 for every input.

    Notes
    -----
    scikit-learn's output API: the output is 3-D, ``(n, window, n_regions)``, or the
    container, so it has no table form. :meth:`get_feature_names_out` names the regions
    (the last axis), which is what a following :class:`ConnectivityExtractor` needs to name
    its edges in ``Pipeline.get_feature_names_out``; ``set_output(transform="default")``
    works, ``"pandas"`` or ``"polars"`` are refused in ``transform`` with an error (set them
    on the step that returns a table, e.g. ``ConnectivityExtractor(output="vector")``).

    Besides ``ts`` and ``xyz``, the container records per row ``subject`` (the index of
    the subject in ``X``), ``n_padded`` (time points added by padding; a warning gives the
    amounts) and, when the repetition time is known, ``t_r``.
    :func:`~skfmm.evaluation.nested_cross_validate` splits by ``subject`` and scores one
    aggregated prediction per subject when a subject has several windows.

    Attributes
    ----------
    n_regions_ : int
        Number of parcels.
    coords_ : ndarray of shape (n_regions, 3) or None
        Parcel coordinates (MNI mm).
    labels_ : ndarray of shape (n_regions,)
        With an atlas: the label values of a labels atlas, or the indices (0-based) of the
        maps or spheres.
    masker_ : nilearn masker
        With an atlas: the fitted masker that reads NIfTI runs (a clone of ``atlas`` when it
        is a masker).
    region_names_ : ndarray of str, shape (n_regions,)
        Names of the regions (the last axis of ``ts``): ``label<value>`` for a labels
        atlas (``label1``, ``label2``... for A424), ``map<i>`` for maps, ``sphere<i>`` for
        spheres, ``region<i>`` without an atlas. :meth:`get_feature_names_out` returns them.
    input_kind_ : {"arrays", "nifti"}
        What ``fit`` received.
    model_t_r_ : float or None
        Pretraining repetition time of ``foundation_model`` (None: none given or not
        recorded).

    Examples
    --------
    >>> import numpy as np
    >>> from skfmm import TimeSeriesExtractor
    >>> rng = np.random.default_rng(0)
    >>> runs = [rng.standard_normal((60, 5)), rng.standard_normal((45, 5))]
    >>> ext = TimeSeriesExtractor(window=50, coords=rng.uniform(-60, 60, (5, 3)))
    >>> X = ext.fit_transform(runs)
    >>> X["ts"].shape, X["xyz"].shape
    ((2, 50, 5), (2, 5, 3))
    """

    def __init__(
        self,
        atlas: PathLike | Any | None = None,
        coords: ArrayLike | PathLike | None = None,
        *,
        window: int | None = 200,
        window_position: str = "start",
        window_stride: int | None = None,
        pad: str = "random_segment",
        standardize: str | bool = "zscore",
        t_r: float | None = None,
        resample_t_r: float | None = None,
        foundation_model: Any = None,
        detrend: bool = False,
        low_pass: float | None = None,
        high_pass: float | None = None,
        confounds_strategy: tuple[str, ...] | None = None,
        confounds_kwargs: dict[str, Any] | None = None,
        output: str = "multimodal",
        n_jobs: int | None = None,
        memory: Any = None,
        memory_level: int = 1,
        random_state: int | None = 0,
        verbose: int = 1,
    ) -> None:
        self.atlas = atlas
        self.coords = coords
        self.window = window
        self.window_position = window_position
        self.window_stride = window_stride
        self.pad = pad
        self.standardize = standardize
        self.t_r = t_r
        self.resample_t_r = resample_t_r
        self.foundation_model = foundation_model
        self.detrend = detrend
        self.low_pass = low_pass
        self.high_pass = high_pass
        self.confounds_strategy = confounds_strategy
        self.confounds_kwargs = confounds_kwargs
        self.output = output
        self.n_jobs = n_jobs
        self.memory = memory
        self.memory_level = memory_level
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.requires_fit = True
        return tags

    # ------------------------------------------------------------------ parameters
    def _check_params(self):
        check_positive_int(self.window, "window")
        check_choice(self.window_position, _POSITION, "window_position")
        check_choice(self.pad, _PAD, "pad")
        check_choice(self.standardize, _STANDARDIZE, "standardize")
        check_choice(self.output, _OUTPUT, "output")
        if self.window_stride is not None:
            check_positive_int(self.window_stride, "window_stride")
            if self.window_position != "all":
                raise ValueError(
                    "'window_stride' applies to window_position='all' only; got "
                    f"window_stride={self.window_stride!r} with "
                    f"window_position={self.window_position!r}."
                )
        for name in ("t_r", "low_pass", "high_pass", "resample_t_r"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, Real)
                or not np.isfinite(value) or value <= 0
            ):
                raise ValueError(
                    f"'{name}' must be a finite positive number or None; got {value!r}.")
        if not isinstance(self.detrend, bool):
            raise ValueError(f"'detrend' must be True or False; got {self.detrend!r}.")
        if self.random_state is not None and not isinstance(self.random_state, Integral):
            raise ValueError(
                f"'random_state' must be an int or None; got {self.random_state!r}."
            )
        if self.confounds_strategy is not None and (
            isinstance(self.confounds_strategy, str)
            or not all(isinstance(s, str) for s in self.confounds_strategy)
        ):
            raise ValueError(
                "'confounds_strategy' must be a tuple of load_confounds strategy names, "
                f"e.g. ('motion', 'wm_csf'); got {self.confounds_strategy!r}."
            )

    # ------------------------------------------------------------------ fit
    def fit(self, X: CohortLike, y: Any = None, confounds: Any = None) -> TimeSeriesExtractor:
        """Check the parameters and the cohort, and set ``n_regions_`` and ``coords_``.

        Parameters
        ----------
        X : list of arrays (n_timepoints_i, n_regions), 3-D array, or list of 4-D NIfTI
            paths / images (with ``atlas``).
        y : ignored
        confounds : list, optional
            Per-subject confounds (checked in ``transform``).

        Returns
        -------
        self
        """
        self._check_params()
        self.model_t_r_ = self._check_foundation_model()
        kind = _input_kind(X)
        self.input_kind_ = kind
        if kind == "arrays":
            # load_confounds reads the confounds file beside each fMRIPrep run: arrays have
            # none, so these options would be ignored without a word.
            for name in ("confounds_strategy", "confounds_kwargs"):
                if getattr(self, name) is not None:
                    raise ValueError(
                        f"'{name}' applies to fMRIPrep NIfTI paths only (load_confounds reads "
                        f"the confounds file beside each run); got {name}="
                        f"{getattr(self, name)!r} with array input. Pass the confounds of "
                        "array runs as transform(X, confounds=[...]) (one per subject).")
        if kind == "arrays" and self.resample_t_r is not None and self.t_r is None:
            raise ValueError(
                "'t_r' is required with 'resample_t_r' for array input (the repetition time "
                f"of the runs, in seconds); got t_r=None, resample_t_r={self.resample_t_r!r}."
            )
        atlas_coords = None
        if self.atlas is not None:
            self.atlas_kind_ = _atlas_kind(self.atlas)
            self.masker_, self.labels_, atlas_coords = self._fit_atlas(
                need_coords=self.coords is None)
        if kind == "nifti":
            if self.atlas is None:
                raise ValueError(
                    "'atlas' is required for NIfTI input: give a labels image (path or "
                    "Nifti1Image) whose integer labels define the parcels, a 4-D maps "
                    "image, or a nilearn NiftiLabelsMasker / NiftiMapsMasker / "
                    "NiftiSpheresMasker."
                )
            self.n_regions_ = len(self.labels_)
        else:
            _refuse_complex(X)
            subjects = check_timeseries_list(X)
            self.n_regions_ = subjects[0].shape[1]
            if self.atlas is not None and len(self.labels_) != self.n_regions_:
                raise ValueError(
                    f"'atlas' has {len(self.labels_)} regions but the time series have "
                    f"{self.n_regions_} regions."
                )
        if self.coords is not None:
            self.coords_ = check_coords(self.coords, self.n_regions_, argument="coords")
        elif atlas_coords is not None:
            self.coords_ = np.asarray(atlas_coords, dtype=np.float64).reshape(-1, 3)
            if len(self.coords_) != self.n_regions_:  # pragma: no cover - guarded above
                raise ValueError("'atlas' coordinates do not match the number of regions.")
        else:
            self.coords_ = None
        self.region_names_ = self._region_names()
        return self

    def _region_names(self):
        if self.atlas is None:
            from .names import default_region_names

            return default_region_names(self.n_regions_)
        prefix = {"labels": "label", "maps": "map"}.get(self.atlas_kind_)
        if prefix is None:  # a masker
            from nilearn.maskers import NiftiLabelsMasker, NiftiMapsMasker

            prefix = ("label" if isinstance(self.masker_, NiftiLabelsMasker)
                      else "map" if isinstance(self.masker_, NiftiMapsMasker) else "sphere")
        values = [int(v) if float(v).is_integer() else v for v in self.labels_]
        return np.array([f"{prefix}{v}" for v in values], dtype=object)

    def get_feature_names_out(self, input_features=None):
        """Region names, one per region (the last axis of ``ts``); see ``region_names_``.

        The output is 3-D, ``(n, window, n_regions)``, so there are no columns to name: the
        names are those of the regions, in order. In a pipeline, a following
        :class:`ConnectivityExtractor` turns them into edge names.

        Parameters
        ----------
        input_features : sequence of str, optional
            Region names (one per region) to return instead of ``region_names_``.

        Returns
        -------
        ndarray of str, shape (n_regions,)
        """
        from .names import check_region_names

        check_is_fitted(self, "n_regions_")
        if input_features is None:
            return np.asarray(self.region_names_, dtype=object)
        return check_region_names(input_features, self.n_regions_, "input_features")

    def fit_transform(self, X, y=None, confounds=None):
        """Fit, then extract. See :meth:`transform`."""
        return self.fit(X, y).transform(X, confounds=confounds)

    # ------------------------------------------------------------------ transform
    def transform(self, X: CohortLike, confounds: Any = None) -> Any:
        """Extract one fixed-length, scaled window per subject.

        Parameters
        ----------
        X : list of arrays (n_timepoints_i, n_regions), 3-D array, or list of 4-D NIfTI
            paths / images.
        confounds : list, optional
            One entry per subject: an array or DataFrame (n_timepoints_i, n_confounds), a
            path to a TSV file (every column is regressed out), or None.

        Returns
        -------
        MultimodalData or ndarray of shape (n_subjects, window, n_regions)
        """
        check_is_fitted(self, "n_regions_")
        self._check_params()
        wrapped = _get_output_config("transform", self)["dense"]
        if wrapped != "default":
            raise ValueError(
                f"set_output(transform={wrapped!r}) needs a 2-D output, but "
                "TimeSeriesExtractor returns (n, window, n_regions) time series (or the "
                "container): use set_output(transform='default'). In a pipeline, set it only "
                "on the step that returns a table, the ConnectivityExtractor(output='vector') "
                "step (e.g. pipe[1].set_output(transform='pandas'))."
            )
        kind = _input_kind(X)
        if kind != self.input_kind_:
            raise ValueError(
                f"'X' must be of the kind seen in fit ({self.input_kind_}); got {kind}."
            )
        if kind == "arrays":
            _refuse_complex(X)
            subjects = check_timeseries_list(X, n_regions=self.n_regions_)
        else:
            subjects = list(X)
            if not subjects:
                raise ValueError("'X' is an empty cohort: it holds no subject.")
        n = len(subjects)
        if confounds is None:
            confounds = [None] * n
        elif not isinstance(confounds, (list, tuple)) or len(confounds) != n:
            raise ValueError(
                f"'confounds' must be a list with one entry per subject ({n}); got "
                f"{type(confounds).__name__}"
                f"{' of length %d' % len(confounds) if hasattr(confounds, '__len__') else ''}."
            )
        jobs = (
            delayed(_process_subject)(self, i, sub, conf)
            for i, (sub, conf) in enumerate(zip(subjects, confounds))
        )
        results = Parallel(n_jobs=self.n_jobs, return_as="generator")(jobs)
        show = self.verbose >= 2 or (self.verbose >= 1 and kind == "nifti")
        if show:
            from tqdm.auto import tqdm
            from ..utils.progress import bar_disabled

            results = tqdm(results, total=n, desc="Extracting time series", unit="subject",
                           disable=bar_disabled(True))
        windows, subject, n_padded, n_timepoints, t_rs = [], [], [], [], []
        for i, (wins, padded, n_t, t_r) in enumerate(results):
            windows.append(wins)
            subject += [i] * len(wins)
            n_padded += [padded] * len(wins)
            n_timepoints.append(n_t)
            t_rs += [t_r] * len(wins)
        out = np.concatenate(windows).astype(np.float32, copy=False)
        self._report_padding(np.asarray(n_timepoints), n_padded, subject)
        known_t_r = [t for t in t_rs if t is not None]
        self._check_t_r(known_t_r)
        if self.output == "array":
            return out
        rows = len(out)
        data = {"ts": out}
        if self.coords_ is not None:
            data["xyz"] = np.broadcast_to(
                self.coords_.astype(np.float32), (rows, *self.coords_.shape)
            ).copy()
        data["subject"] = np.asarray(subject, dtype=np.int64)
        data["n_padded"] = np.asarray(n_padded, dtype=np.int64)
        if len(known_t_r) == rows:
            data["t_r"] = np.asarray(t_rs, dtype=np.float64)
        return MultimodalData(**data)

    def _report_padding(self, n_timepoints, n_padded, subject):
        """Warn once, with the amounts, when runs were shorter than ``window``."""
        short = np.flatnonzero(n_timepoints < self.window)
        if len(short) == 0 or self.pad == "error":
            return
        shown = ", ".join(
            f"subject {i}: {n_timepoints[i]} + {self.window - n_timepoints[i]}"
            for i in short[:5]
        ) + (", ..." if len(short) > 5 else "")
        message = (
            f"{len(short)} of {len(n_timepoints)} subject(s) have fewer time points than "
            f"window={self.window} and were padded with pad={self.pad!r} ({shown} padded "
            f"time points; recorded per row in X['n_padded'])."
        )
        if np.any(n_timepoints[short] < self.n_regions_):
            message += (
                f" These runs have fewer time points than regions ({self.n_regions_}): was "
                "a (regions, time) array given? Subjects must be (n_timepoints, n_regions); "
                "transpose them."
            )
        warnings.warn(message, UserWarning, stacklevel=3)

    def _check_foundation_model(self):
        """Check ``window`` and ``standardize`` against ``foundation_model``; its TR or None."""
        if self.foundation_model is None:
            return None
        from ..foundation.resolve import resolve_foundation_model

        config = resolve_foundation_model(self.foundation_model, allow_none=True,
                                          copy=False).model.config
        patch = int(config.timepoint_patching_size)
        if self.window % patch:
            below = self.window // patch * patch
            raise ValueError(
                f"'window' must be a multiple of the foundation model's patch size "
                f"({patch} time points) since foundation_model={self.foundation_model!r} "
                f"reads the windows; got window={self.window}. Use "
                f"{below or patch} or {below + patch}."
            )
        expected = config.input_scaling
        if self.standardize != expected:
            what = ("raw intensities (standardize='none')" if self.standardize == "none"
                    else f"windows scaled with standardize={self.standardize!r}")
            warnings.warn(
                f"The foundation model was pretrained on windows scaled with "
                f"standardize={expected!r}; this extractor gives it {what}. Use "
                f"standardize={expected!r}.",
                UserWarning,
                stacklevel=3,
            )
        t_r = config.extra.get("skfmm_t_r")
        return None if t_r is None else float(t_r)

    def _check_t_r(self, t_rs):
        """Warn when the output's repetition time differs from the model's pretraining TR."""
        if self.model_t_r_ is None or not t_rs:
            return
        off = sorted({round(float(t), 6) for t in t_rs
                      if not np.isclose(t, self.model_t_r_, rtol=0.02)})
        if off:
            warnings.warn(
                f"The windows are sampled every {off[:5]} s but the foundation model was "
                f"pretrained at a repetition time of {self.model_t_r_} s: the same window "
                f"then spans a different duration and its dynamics run at another speed. "
                f"Set resample_t_r={self.model_t_r_} to resample the runs.",
                UserWarning,
                stacklevel=3,
            )

    # ------------------------------------------------------------------ helpers
    def _fit_atlas(self, need_coords):
        """The fitted masker, the region labels (or indices) and, if asked, coordinates."""
        from nilearn.maskers import NiftiLabelsMasker, NiftiMapsMasker, NiftiSpheresMasker

        atlas, kind = self.atlas, self.atlas_kind_
        if kind == "masker":
            set_here = [name for name in ("detrend", "low_pass", "high_pass", "memory")
                        if getattr(self, name) not in (None, False)]
            if set_here:
                raise ValueError(
                    f"{set_here} set on TimeSeriesExtractor together with a configured "
                    f"{type(atlas).__name__} as atlas=: set them on the masker (it cleans "
                    "the signals it extracts), and leave them unset here."
                )
            from sklearn.base import clone

            masker = clone(atlas)
            if isinstance(masker, NiftiSpheresMasker):
                seeds = np.asarray(masker.seeds, dtype=np.float64)
                if seeds.ndim != 2 or seeds.shape[1] != 3 or len(seeds) == 0:
                    raise ValueError(
                        "'atlas': the NiftiSpheresMasker's seeds must be a list of (x, y, z) "
                        f"MNI coordinates; got {masker.seeds!r}."
                    )
                return masker.fit(), np.arange(len(seeds)), seeds
            if isinstance(masker, NiftiMapsMasker):
                if masker.maps_img is None:
                    raise ValueError("'atlas': the NiftiMapsMasker has no maps_img.")
                maps = _load_image(masker.maps_img)
                coords = _maps_coords(maps) if need_coords else None
                return masker.fit(), np.arange(maps.shape[3]), coords
            if masker.labels_img is None:
                raise ValueError("'atlas': the NiftiLabelsMasker has no labels_img.")
            labels_img = _load_image(masker.labels_img)
            labels = _atlas_labels(labels_img)
            coords = _atlas_centroids(labels_img) if need_coords else None
            return masker.fit(), labels, coords
        common = dict(standardize=None, detrend=self.detrend, low_pass=self.low_pass,
                      high_pass=self.high_pass, t_r=self.t_r, memory=self.memory,
                      memory_level=self.memory_level, reports=False, verbose=0)
        image = _load_image(atlas)
        if kind == "maps":
            masker = NiftiMapsMasker(maps_img=image, keep_masked_maps=False, **common)
            coords = _maps_coords(image) if need_coords else None
            return masker.fit(), np.arange(image.shape[3]), coords
        labels = _atlas_labels(image)
        masker = NiftiLabelsMasker(labels_img=image, keep_masked_labels=False, **common)
        coords = _atlas_centroids(image) if need_coords else None
        return masker.fit(), labels, coords


# ---------------------------------------------------------------------- per subject
def _process_subject(ext, index, subject, confounds):
    """Signals of one subject -> cleaned, resampled, windowed, scaled, padded.

    Returns the windows (k, window, R) float32, the padded time points, the run's length
    (after resampling) and its repetition time (None when unknown).
    """
    if ext.input_kind_ == "nifti":
        signals, t_r = _nifti_signals(ext, index, subject, confounds)
    else:
        signals, t_r = _array_signals(ext, index, subject, confounds), ext.t_r
    if ext.resample_t_r is not None:
        if t_r is None:  # pragma: no cover - arrays are checked in fit, NIfTI have a header
            raise ValueError(f"'t_r' of subject {index} is unknown; it cannot be resampled.")
        signals = _resample(signals, float(t_r), float(ext.resample_t_r))
        t_r = float(ext.resample_t_r)
    n_t, w = signals.shape[0], ext.window
    if ext.window_position == "all" and n_t > w:
        stride = ext.window if ext.window_stride is None else ext.window_stride
        starts = range(0, n_t - w + 1, stride)
        windows = np.stack([_fixed_window(ext, index, signals[s:s + w]) for s in starts])
    else:
        windows = _fixed_window(ext, index, signals)[None]
    return windows, max(0, w - n_t), n_t, None if t_r is None else float(t_r)


def _resample(signals, t_r, new_t_r):
    """Resample ``(n_timepoints, R)`` signals from ``t_r`` to ``new_t_r`` seconds per volume."""
    from fractions import Fraction

    from scipy.signal import resample_poly

    ratio = Fraction(t_r / new_t_r).limit_denominator(1000)
    if ratio == 1:
        return signals
    return resample_poly(signals, ratio.numerator, ratio.denominator, axis=0,
                         padtype="line")


def _array_signals(ext, index, signals, confounds):
    conf = _load_confounds_item(confounds, index, len(signals))
    if ext.low_pass is not None or ext.high_pass is not None:
        if ext.t_r is None:
            raise ValueError(
                "'t_r' is required when 'low_pass' or 'high_pass' is set for array input."
            )
    if conf is not None or ext.detrend or ext.low_pass or ext.high_pass:
        from nilearn.signal import clean

        signals = clean(
            signals,
            detrend=ext.detrend,
            standardize=None,
            confounds=conf,
            low_pass=ext.low_pass,
            high_pass=ext.high_pass,
            t_r=ext.t_r,
        )
    return signals


def _nifti_signals(ext, index, img, confounds):
    import nibabel as nib

    if isinstance(img, (str, os.PathLike)) and not Path(img).exists():
        raise FileNotFoundError(f"'X[{index}]': no image file at '{img}'.")
    sample_mask = None
    if ext.confounds_strategy is not None:
        if confounds is not None:
            raise ValueError(
                f"'confounds[{index}]' was given together with 'confounds_strategy'; use "
                "one or the other."
            )
        if not isinstance(img, (str, os.PathLike)):
            raise ValueError(
                "'confounds_strategy' needs fMRIPrep image paths in 'X' (load_confounds "
                f"finds the confounds file beside the image); got {type(img).__name__}."
            )
        from nilearn.interfaces.fmriprep import load_confounds

        conf, sample_mask = load_confounds(
            str(img), strategy=tuple(ext.confounds_strategy), **(ext.confounds_kwargs or {})
        )
        conf = None if conf is None else conf.to_numpy(dtype=np.float64)
    else:
        conf = None
    try:
        image = nib.load(img) if isinstance(img, (str, os.PathLike)) else img
    except (EOFError, OSError, zlib.error, nib.filebasedimages.ImageFileError) as exc:
        raise ValueError(
            f"'X[{index}]': cannot read '{img}' as a NIfTI image ({type(exc).__name__}: {exc})."
        ) from exc
    if len(image.shape) != 4:
        raise ValueError(
            f"'X[{index}]' must be a 4-D image (x, y, z, time); got shape {image.shape}."
        )
    n_vols = image.shape[3]
    if conf is None:
        conf = _load_confounds_item(confounds, index, n_vols)
    masker = ext.masker_
    if ext.t_r is None and (ext.low_pass is not None or ext.high_pass is not None):
        from sklearn.base import clone

        masker = clone(masker).set_params(t_r=float(image.header.get_zooms()[3])).fit()
    try:
        signals = masker.transform(image, confounds=conf, sample_mask=sample_mask)
    except (EOFError, OSError, zlib.error) as exc:
        if not isinstance(img, (str, os.PathLike)):
            raise
        # nibabel reads the header eagerly and the voxels lazily: a truncated .nii.gz
        # fails here, with a gzip error that names no file.
        raise ValueError(
            f"'X[{index}]': cannot read the voxels of '{img}' ({type(exc).__name__}: {exc}); "
            "the file is truncated or corrupt."
        ) from exc
    signals = np.asarray(signals, dtype=np.float64)
    if signals.shape[1] != ext.n_regions_:
        raise ValueError(
            f"'X[{index}]': the atlas gave {signals.shape[1]} regions in this image but "
            f"{ext.n_regions_} labels were expected; check that the atlas covers the image."
        )
    if not np.all(np.isfinite(signals)):
        raise ValueError(f"'X[{index}]' gives NaN or infinite parcel signals.")
    t_r = ext.t_r if ext.t_r is not None else float(image.header.get_zooms()[3])
    return signals, t_r


def _load_confounds_item(confounds, index, n_timepoints):
    if confounds is None:
        return None
    if isinstance(confounds, (str, os.PathLike)):
        import pandas as pd

        if not Path(confounds).is_file():
            raise FileNotFoundError(f"'confounds[{index}]': no file at '{confounds}'.")
        confounds = pd.read_csv(confounds, sep="\t", na_values="n/a")
    arr = np.asarray(confounds, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] != n_timepoints:
        raise ValueError(
            f"'confounds[{index}]' must have one row per timepoint ({n_timepoints}); got "
            f"shape {arr.shape}."
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(
            f"'confounds[{index}]' contains NaN or infinite values (fMRIPrep derivative "
            "columns start with n/a: use 'confounds_strategy' or fill them yourself)."
        )
    return arr


def _refuse_complex(X):
    """Complex time series would lose their imaginary part in the float conversion."""
    subjects = [X] if isinstance(X, np.ndarray) and X.dtype != object else list(X)
    for i, sub in enumerate(subjects):
        if np.iscomplexobj(sub):
            where = "'X'" if len(subjects) == 1 and subjects[0] is X else f"'X[{i}]'"
            raise TypeError(
                f"{where} must hold real-valued time series; got complex values (dtype "
                f"{np.asarray(sub).dtype}). Take the real part, magnitude or phase "
                "explicitly before extraction."
            )


_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _fixed_window(ext, index, signals):
    n_t = signals.shape[0]
    w = ext.window
    if n_t < 2:
        raise ValueError(
            f"'X[{index}]' has {n_t} timepoint; a time series needs at least 2 (its variance, "
            "scaling and connectivity are undefined otherwise)."
        )
    peak = float(np.abs(signals).max(initial=0.0))
    if not np.isfinite(peak) or peak > _FLOAT32_MAX:
        raise ValueError(
            f"'X[{index}]' holds values up to {peak:.3g}, beyond the float32 range "
            f"(+-{_FLOAT32_MAX:.3g}) of the extracted windows; rescale the data (e.g. to "
            "the units of the scanner) before extraction."
        )
    if n_t >= w:
        start = (n_t - w) // 2 if ext.window_position == "center" else 0
        kept = signals[start : start + w]
    else:
        kept = signals
    kept = _scale(kept, ext.standardize, index, ext.verbose)
    if n_t < w:
        missing = w - n_t
        if ext.pad == "error":
            raise ValueError(
                f"Subject {index} has {n_t} timepoints, fewer than 'window'={w}, and "
                "pad='error'. Choose pad='random_segment', 'zero' or 'reflect', or a "
                "shorter window."
            )
        if ext.pad == "zero":
            kept = np.concatenate([kept, np.zeros((missing, kept.shape[1]))])
        elif ext.pad == "reflect":
            kept = np.pad(kept, ((0, missing), (0, 0)), mode="reflect") if n_t > 1 else (
                np.repeat(kept, w, axis=0)
            )
        else:  # random_segment, seeded by random_state and the data themselves
            rng = _subject_rng(ext.random_state, signals)
            picks = rng.integers(0, n_t, size=missing)
            kept = np.concatenate([kept, kept[picks]])
    out = kept.astype(np.float32)
    if not np.all(np.isfinite(out)):
        raise ValueError(
            f"'X[{index}]': scaling gave values outside the float32 range; rescale the data "
            "before extraction."
        )
    return out


def _scale(x, standardize, index, verbose):
    if standardize == "zscore":
        std = x.std(axis=0)
        flat = std <= 1e-12 * max(1.0, float(np.abs(x).max(initial=0.0)))
        if np.any(flat):
            warnings.warn(
                f"Subject {index}: {int(flat.sum())} region(s) are constant over the window "
                f"(e.g. region {int(np.flatnonzero(flat)[0])}); they are left at 0 after "
                "z-scoring. Check the atlas coverage of this run.",
                UserWarning,
                stacklevel=3,
            )
    return scale_window(x, standardize)


def _subject_rng(random_state, signals):
    seed = 0 if random_state is None else int(random_state)
    digest = zlib.crc32(np.ascontiguousarray(signals, dtype=np.float64).tobytes())
    return np.random.default_rng([seed, digest])


# ---------------------------------------------------------------------- input kinds
def _input_kind(X):
    import nibabel as nib

    if isinstance(X, (str, os.PathLike, nib.spatialimages.SpatialImage)):
        raise ValueError(
            "'X' must be a list of subjects; got a single image or path. Wrap it: [img]."
        )
    if isinstance(X, (list, tuple)) and len(X) > 0 and all(
        isinstance(x, (str, os.PathLike, nib.spatialimages.SpatialImage)) for x in X
    ):
        return "nifti"
    return "arrays"


def _atlas_kind(atlas):
    """``"labels"`` (3-D image), ``"maps"`` (4-D image) or ``"masker"``; TypeError otherwise."""
    import nibabel as nib
    from nilearn.maskers import NiftiLabelsMasker, NiftiMapsMasker, NiftiSpheresMasker

    if isinstance(atlas, (NiftiLabelsMasker, NiftiMapsMasker, NiftiSpheresMasker)):
        return "masker"
    if isinstance(atlas, (str, os.PathLike, nib.spatialimages.SpatialImage)):
        shape = _load_image(atlas).shape
        if len(shape) == 3:
            return "labels"
        if len(shape) == 4:
            return "maps"
        raise ValueError(
            "'atlas' must be a 3-D labels image or a 4-D maps image (one map per region); "
            f"got an image of shape {shape}."
        )
    raise TypeError(
        "atlas= must be a labels image (3-D, integer labels) or a maps image (4-D, one "
        "probabilistic map per region), as a path or a nibabel image, or a configured "
        "nilearn NiftiLabelsMasker, NiftiMapsMasker or NiftiSpheresMasker; got "
        f"{type(atlas).__name__}."
    )


def _load_image(img):
    import nibabel as nib

    if isinstance(img, (str, os.PathLike)):
        if not Path(img).exists():
            raise FileNotFoundError(f"'atlas': no image at '{img}'.")
        try:
            return nib.load(img)
        except (OSError, nib.filebasedimages.ImageFileError) as exc:
            raise ValueError(
                f"'atlas': cannot read '{img}' as a NIfTI image ({type(exc).__name__}: {exc})."
            ) from exc
    if isinstance(img, nib.spatialimages.SpatialImage):
        return img
    raise TypeError(f"'atlas': expected a path or a nibabel image; got {type(img).__name__}.")


def _maps_coords(maps):
    """Cut coordinates (MNI mm) of every map, as nilearn finds them."""
    from nilearn.plotting import find_probabilistic_atlas_cut_coords

    return np.asarray(find_probabilistic_atlas_cut_coords(maps), dtype=np.float64)


def _atlas_labels(atlas):
    import nibabel as nib

    if isinstance(atlas, (str, os.PathLike)):
        if not Path(atlas).exists():
            raise FileNotFoundError(f"'atlas': no labels image at '{atlas}'.")
        atlas = nib.load(atlas)
    data = np.asarray(atlas.dataobj)
    if data.ndim != 3:
        raise ValueError(f"'atlas' must be a 3-D labels image; got shape {data.shape}.")
    labels = np.unique(data)
    labels = labels[labels != 0]
    if len(labels) == 0:
        raise ValueError("'atlas' holds no label besides the background 0.")
    return labels


def _atlas_centroids(atlas):
    """Centre of mass (MNI mm) of every label, in label order.

    nilearn's ``find_parcellation_cut_coords`` returns cut points of the largest
    component per hemisphere and may drop labels, so the centroids are computed here.
    """
    import nibabel as nib
    from scipy import ndimage

    img = nib.load(atlas) if isinstance(atlas, (str, os.PathLike)) else atlas
    data = np.asarray(img.dataobj)
    labels = _atlas_labels(img)
    vox = np.asarray(ndimage.center_of_mass(np.ones(data.shape), data, labels))
    return nib.affines.apply_affine(img.affine, vox)
