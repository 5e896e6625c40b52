"""TemporalFeatures: the per-parcel temporal features rs-fMRI studies report (ALFF, fALFF,
autocorrelation, intrinsic timescale), as a transformer on the container or on 3-D arrays.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..container import ContainerInputMixin, MultimodalData
from ..utils._docs import fill_doc

__all__ = ["TemporalFeatures", "TEMPORAL_FEATURES"]

#: Feature kinds, in the order of the output's column blocks.
TEMPORAL_FEATURES = ("alff", "falff", "acf", "timescale")
_OUTPUTS = ("array", "multimodal")


@fill_doc
class TemporalFeatures(ContainerInputMixin, TransformerMixin, BaseEstimator):
    """Per-parcel temporal features of each window: ALFF, fALFF, lag-k autocorrelation and
    intrinsic timescale.

    The features rs-fMRI studies report for "local dynamics", computed per row (subject
    window) and parcel, with nothing learned from the cohort (``fit`` checks the input and
    records its shape), so the transformer can sit anywhere in a cross-validated pipeline.

    - ``alff`` (Zang et al. 2007): the mean amplitude (square root of the periodogram's
      power spectral density, :func:`scipy.signal.periodogram` with ``fs = 1 / t_r``,
      mean removed, no taper) over the frequencies of ``band``. Its unit is that of the
      series per square root of Hz: on z-scored windows it measures the share of variance
      in the band, not the raw BOLD amplitude.
    - ``falff`` (Zou et al. 2008): the sum of the amplitudes in ``band`` divided by their
      sum over every frequency above 0 up to the Nyquist frequency, in [0, 1]; a sinusoid
      inside the band gives 1, one outside gives 0.
    - ``acf``: the autocorrelation at each lag of ``lags`` (in volumes), the usual biased
      estimator ``sum_t (x_t - m)(x_{t+k} - m) / sum_t (x_t - m)^2``; an AR(1) process
      with coefficient ``phi`` has lag-1 autocorrelation ``phi``.
    - ``timescale``: the intrinsic timescale in seconds, the area under the sample
      autocorrelation function from lag 0 to its first zero crossing (trapezoidal rule over
      the lags, linear interpolation of the crossing), times ``t_r``. It is the
      model-free variant of the decay constant Murray et al. (2014) fitted with an
      exponential: for an autocorrelation ``exp(-t / tau)`` sampled every ``t_r`` it is
      ``(t_r / 2) coth(t_r / (2 tau))``, i.e. ``tau`` when ``tau`` is several ``t_r``.
      White noise gives about ``t_r / 2`` (the triangle between lag 0 and 1). A function
      that stays positive up to the window's last lag is integrated over all lags.

    Parameters
    ----------
    features : sequence of {"alff", "falff", "acf", "timescale"}, \
default=("alff", "falff", "acf", "timescale")
        The kinds computed, output in the order of :data:`TEMPORAL_FEATURES`.
    band : tuple of two floats, default=(0.01, 0.08)
        Low-frequency band of ALFF and fALFF, in Hz. ``fit`` refuses a window too short to
        resolve it (``window * t_r`` shorter than ``1 / band[0]`` seconds, or fewer than
        two periodogram frequencies in the band) and a repetition time whose Nyquist
        frequency ``1 / (2 t_r)`` lies below ``band[1]``.
    lags : sequence of int, default=(1, 2, 3)
        Lags of ``acf``, in volumes (each >= 1 and shorter than the window).
    t_r : float, default=None
        Repetition time in seconds, used when ``X`` does not record it (a container made by
        :class:`~skfmm.TimeSeriesExtractor` with a known repetition time holds it, per row,
        as ``X["t_r"]``; both given must agree). Needed by ``alff``, ``falff`` and
        ``timescale``; ``fit`` refuses input whose repetition time is unknown.
    %(region_names)s
        Used by :meth:`get_feature_names_out`.
    output : {"array", "multimodal"}, default="array"
        ``"array"``: an (n, n_features_out) float64 array, for scikit-learn models.
        ``"multimodal"``: the input container with the features appended to its
        ``covariates`` (created when absent), for the covariates branch of
        :class:`~skfmm.FMMTCClassifier`.

    Attributes
    ----------
    n_regions_ : int
    n_timepoints_ : int
        Window length seen in ``fit``; :meth:`transform` refuses others.
    region_names_ : ndarray of str, shape (n_regions,)
    feature_kinds_ : tuple of str
        ``features`` in output order, with ``acf`` expanded to ``acf1``, ``acf2``, ...
    n_features_out_ : int
        ``len(feature_kinds_) * n_regions_``.

    References
    ----------
    Zang Y.-F. et al. (2007). Altered baseline brain activity in children with ADHD revealed
    by resting-state functional MRI. Brain & Development 29(2), 83-91.

    Zou Q.-H. et al. (2008). An improved approach to detection of amplitude of
    low-frequency fluctuation (ALFF) for resting-state fMRI: fractional ALFF. Journal of
    Neuroscience Methods 172(1), 137-141.

    Murray J. D. et al. (2014). A hierarchy of intrinsic timescales across primate cortex.
    Nature Neuroscience 17(12), 1661-1663.

    Examples
    --------
    >>> import numpy as np
    >>> from skfmm import TemporalFeatures
    >>> t = np.arange(200) * 2.0                      # 200 volumes, TR 2 s
    >>> slow = np.sin(2 * np.pi * 0.04 * t)           # inside 0.01-0.08 Hz
    >>> fast = np.sin(2 * np.pi * 0.2 * t)            # outside
    >>> X = np.stack([slow, fast], axis=1)[None]      # (1 subject, 200, 2 regions)
    >>> tf = TemporalFeatures(features=["falff"], t_r=2.0, region_names=["slow", "fast"])
    >>> tf.fit_transform(X).round(3).tolist()
    [[1.0, 0.0]]
    >>> tf.get_feature_names_out().tolist()
    ['falff__slow', 'falff__fast']
    """

    def __init__(
        self,
        features: Sequence[str] = TEMPORAL_FEATURES,
        *,
        band: tuple[float, float] = (0.01, 0.08),
        lags: Sequence[int] = (1, 2, 3),
        t_r: float | None = None,
        region_names: Sequence[str] | None = None,
        output: str = "array",
    ) -> None:
        self.features = features
        self.band = band
        self.lags = lags
        self.t_r = t_r
        self.region_names = region_names
        self.output = output

    # ------------------------------------------------------------------ parameters
    def _check_params(self):
        who = "TemporalFeatures"
        features = self.features
        if isinstance(features, str) or not isinstance(features, (list, tuple)) or not features:
            raise ValueError(f"{who}: 'features' must be a non-empty list of names from "
                             f"{TEMPORAL_FEATURES}; got {features!r}.")
        unknown = [f for f in features if f not in TEMPORAL_FEATURES]
        if unknown or len(set(features)) != len(features):
            raise ValueError(f"{who}: 'features' must be distinct names from "
                             f"{TEMPORAL_FEATURES}; got {list(features)!r}.")
        band = self.band
        if (not isinstance(band, (list, tuple)) or len(band) != 2
                or not all(_is_real(b) for b in band) or not 0 < band[0] < band[1]):
            raise ValueError(f"{who}: 'band' must be two frequencies in Hz, 0 < low < high; "
                             f"got {band!r}.")
        lags = self.lags
        if (isinstance(lags, str) or not isinstance(lags, (list, tuple)) or not lags
                or not all(isinstance(k, numbers.Integral) and not isinstance(k, bool)
                           and k >= 1 for k in lags) or len(set(lags)) != len(lags)):
            raise ValueError(f"{who}: 'lags' must be a non-empty list of distinct integers "
                             f">= 1 (volumes); got {lags!r}.")
        if self.t_r is not None and not (_is_real(self.t_r) and self.t_r > 0):
            raise ValueError(f"{who}: 't_r' must be None or a positive number of seconds; got "
                             f"{self.t_r!r}.")
        if self.output not in _OUTPUTS:
            raise ValueError(f"{who}: 'output' must be one of {_OUTPUTS}; got {self.output!r}.")
        return [f for f in TEMPORAL_FEATURES if f in features]

    def _needs_t_r(self, kinds):
        return any(k in kinds for k in ("alff", "falff", "timescale"))

    # ------------------------------------------------------------------ input
    def _read(self, X, *, n_regions=None, n_timepoints=None):
        """(ts float64 (n, T, R), t_r per row or None, container or None)."""
        container, t_r_rows = None, None
        if isinstance(X, dict):
            if "ts" not in X:
                raise ValueError(
                    "TemporalFeatures needs the time series under the key 'ts' of 'X'; got "
                    f"keys {sorted(X.keys())}. Put TimeSeriesExtractor(output='multimodal') "
                    "first.")
            container = X if isinstance(X, MultimodalData) else MultimodalData(**X)
            ts = container["ts"]
            if "t_r" in container:
                t_r_rows = np.asarray(container["t_r"], dtype=np.float64).reshape(-1)
        else:
            ts = X
        ts = np.asarray(ts.cpu() if hasattr(ts, "cpu") else ts, dtype=np.float64)
        if ts.ndim != 3 or ts.shape[0] == 0:
            raise ValueError(
                "TemporalFeatures: 'X' must hold time series of shape (n_subjects, "
                f"n_timepoints, n_regions) with at least one subject; got shape {ts.shape}.")
        if not np.all(np.isfinite(ts)):
            bad = int(np.flatnonzero(~np.isfinite(ts).reshape(len(ts), -1).all(axis=1))[0])
            raise ValueError(f"TemporalFeatures: 'X' contains NaN or infinite values (first "
                             f"in row {bad}).")
        if n_regions is not None and (ts.shape[2] != n_regions or ts.shape[1] != n_timepoints):
            raise ValueError(
                f"TemporalFeatures.transform: 'X' has windows of shape (n, {ts.shape[1]}, "
                f"{ts.shape[2]}) (n_timepoints, n_regions) but fit saw (n, {n_timepoints}, "
                f"{n_regions}).")
        if t_r_rows is not None:
            if len(t_r_rows) != len(ts) or not np.all(np.isfinite(t_r_rows)) or np.any(
                    t_r_rows <= 0):
                raise ValueError("TemporalFeatures: X['t_r'] must hold one positive "
                                 "repetition time (s) per row.")
            if self.t_r is not None and not np.allclose(t_r_rows, self.t_r, rtol=1e-3):
                raise ValueError(
                    f"TemporalFeatures: 't_r'={self.t_r!r} contradicts the repetition times "
                    f"recorded in X['t_r'] ({sorted(set(np.round(t_r_rows, 4).tolist()))}); "
                    "leave t_r=None to use the recorded ones.")
        elif self.t_r is not None:
            t_r_rows = np.full(len(ts), float(self.t_r))
        return ts, t_r_rows, container

    def _check_resolvable(self, n_timepoints, t_r_rows, kinds):
        """Refuse an unknown repetition time, or a window / TR that cannot resolve the band."""
        lags = self.lags if "acf" in kinds else ()
        if max(lags, default=0) >= n_timepoints:
            raise ValueError(
                f"TemporalFeatures: 'lags' {list(self.lags)} must be shorter than the window "
                f"({n_timepoints} volumes).")
        if n_timepoints < 3:
            raise ValueError(f"TemporalFeatures: the windows have {n_timepoints} time points; "
                             "at least 3 are needed.")
        if not self._needs_t_r(kinds):
            return
        if t_r_rows is None:
            raise ValueError(
                f"TemporalFeatures: the repetition time is unknown, and {kinds} need it "
                "(frequencies in Hz, timescale in s). Set 't_r' (seconds), or build the "
                "container with TimeSeriesExtractor(t_r=...) so that it records X['t_r'].")
        if not ("alff" in kinds or "falff" in kinds):
            return
        low, high = float(self.band[0]), float(self.band[1])
        for t_r in np.unique(t_r_rows):
            duration = n_timepoints * t_r
            if duration < 1.0 / low:
                raise ValueError(
                    f"TemporalFeatures: a window of {n_timepoints} volumes at t_r={t_r:g} s "
                    f"({duration:g} s) is too short to resolve 'band'={tuple(self.band)!r}: "
                    f"its lowest frequency needs windows of at least 1 / {low:g} = "
                    f"{1.0 / low:g} s. Use a longer 'window' (TimeSeriesExtractor) or a "
                    "higher band[0].")
            nyquist = 0.5 / t_r
            if nyquist < high:
                raise ValueError(
                    f"TemporalFeatures: at t_r={t_r:g} s the Nyquist frequency is {nyquist:g} "
                    f"Hz, below band[1]={high:g} Hz of 'band'={tuple(self.band)!r}; lower "
                    "band[1].")
            freqs = np.fft.rfftfreq(n_timepoints, d=t_r)
            in_band = np.count_nonzero((freqs >= low) & (freqs <= high))
            if in_band < 2:
                raise ValueError(
                    f"TemporalFeatures: a window of {n_timepoints} volumes at t_r={t_r:g} s "
                    f"has {in_band} periodogram frequencies in 'band'={tuple(self.band)!r} "
                    "(at least 2 are needed); use a longer 'window' or a wider band.")

    # ------------------------------------------------------------------ API
    def fit(self, X: Any, y: Any = None) -> "TemporalFeatures":
        """Check the input, its repetition time and the band; record shapes and names.

        Nothing is learned from the values of ``X``.

        Parameters
        ----------
        X : MultimodalData with ``ts`` (and ``t_r``), or ndarray (n, n_timepoints, n_regions)
        y : ignored

        Returns
        -------
        self
        """
        kinds = self._check_params()
        ts, t_r_rows, _ = self._read(X)
        self._check_resolvable(ts.shape[1], t_r_rows, kinds)
        self.n_timepoints_, self.n_regions_ = int(ts.shape[1]), int(ts.shape[2])
        from .names import check_region_names

        self.region_names_ = check_region_names(self.region_names, self.n_regions_,
                                                "region_names")
        self.feature_kinds_ = tuple(
            k for kind in kinds for k in ([f"acf{lag}" for lag in self.lags]
                                          if kind == "acf" else [kind]))
        self.n_features_out_ = len(self.feature_kinds_) * self.n_regions_
        return self

    def transform(self, X: Any) -> Any:
        """The features of every row, column blocks in the order of ``feature_kinds_``.

        Parameters
        ----------
        X : MultimodalData with ``ts`` (and ``t_r``), or ndarray (n, n_timepoints, n_regions)

        Returns
        -------
        ndarray of shape (n, n_features_out), or MultimodalData with ``output="multimodal"``
        """
        check_is_fitted(self, "n_features_out_")
        kinds = self._check_params()
        ts, t_r_rows, container = self._read(X, n_regions=self.n_regions_,
                                             n_timepoints=self.n_timepoints_)
        self._check_resolvable(ts.shape[1], t_r_rows, kinds)
        out = temporal_features(ts, t_r_rows, kinds=kinds, band=self.band, lags=self.lags)
        if self.output == "array":
            return out
        if container is None:
            container = MultimodalData(ts=np.asarray(X, dtype=np.float32))
        else:
            container = container.copy()
        block = out.astype(np.float32)
        if "covariates" in container:
            previous = np.asarray(container["covariates"], dtype=np.float32)
            block = np.concatenate([previous.reshape(len(previous), -1), block], axis=1)
        container["covariates"] = block
        return container

    def get_feature_names_out(self, input_features: Sequence[str] | None = None) -> np.ndarray:
        """``"<kind>__<region>"`` for every column, e.g. ``"alff__region0"``, ``"acf1__PCC"``.

        Parameters
        ----------
        input_features : sequence of str, optional
            Region names (one per region) to use instead of ``region_names_``.

        Returns
        -------
        ndarray of str, shape (n_features_out,)
        """
        check_is_fitted(self, "n_features_out_")
        if input_features is None:
            names = self.region_names_
        else:
            from .names import check_region_names

            names = check_region_names(input_features, self.n_regions_, "input_features")
        return np.array([f"{kind}__{name}" for kind in self.feature_kinds_ for name in names],
                        dtype=object)


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and np.isfinite(value)


def _autocorrelation(ts):
    """Biased sample autocorrelation of (n, T, R) series at every lag, (n, T, R); lag 0 is 1.

    A constant series has no defined autocorrelation: its values are 0 beyond lag 0.
    """
    n_t = ts.shape[1]
    x = ts - ts.mean(axis=1, keepdims=True)
    size = 1 << int(np.ceil(np.log2(2 * n_t - 1)))
    spectrum = np.fft.rfft(x, n=size, axis=1)
    acov = np.fft.irfft(spectrum * np.conj(spectrum), n=size, axis=1)[:, :n_t]
    var = acov[:, :1]
    constant = var <= 1e-12 * np.maximum(1.0, np.abs(ts).max(axis=1, keepdims=True)) ** 2
    acf = acov / np.where(constant, 1.0, var)
    acf = np.where(constant, 0.0, acf)
    acf[:, 0] = 1.0
    return acf


def _area_to_first_zero(acf):
    """Trapezoidal area of (n, T, R) autocorrelations from lag 0 to their first zero, in lags."""
    n, n_t, R = acf.shape
    nonpos = acf <= 0
    nonpos[:, 0] = False
    has_zero = nonpos.any(axis=1)
    first = np.where(has_zero, nonpos.argmax(axis=1), n_t)  # first non-positive lag (or T)
    # Trapezoids between consecutive lags, summed up to the last positive lag.
    trapezoids = 0.5 * (acf[:, :-1] + acf[:, 1:])
    cumulative = np.concatenate([np.zeros((n, 1, R)), np.cumsum(trapezoids, axis=1)], axis=1)
    last_positive = first - 1
    area = np.take_along_axis(cumulative, last_positive[:, None, :], axis=1)[:, 0]
    # The triangle from the last positive lag to the linear zero crossing.
    index = np.minimum(first, n_t - 1)
    a = np.take_along_axis(acf, last_positive[:, None, :], axis=1)[:, 0]
    b = np.take_along_axis(acf, index[:, None, :], axis=1)[:, 0]
    crossing = np.where(has_zero, 0.5 * a * a / np.maximum(a - b, 1e-300), 0.0)
    return area + crossing


def temporal_features(ts, t_r, *, kinds=TEMPORAL_FEATURES, band=(0.01, 0.08), lags=(1, 2, 3)):
    """The features of :class:`TemporalFeatures` for (n, T, R) series, without checks.

    Parameters
    ----------
    ts : ndarray of shape (n, n_timepoints, n_regions)
    t_r : ndarray of shape (n,) or None
        Repetition time of each row (seconds); None only when no kind needs it.
    kinds : sequence of str
        Subset of :data:`TEMPORAL_FEATURES`, output in that order.
    band : tuple of two floats
    lags : sequence of int

    Returns
    -------
    ndarray of shape (n, n_kinds * n_regions), float64

    Examples
    --------
    >>> import numpy as np
    >>> from skfmm.extraction.temporal import temporal_features
    >>> ts = np.random.default_rng(0).standard_normal((2, 100, 3))
    >>> temporal_features(ts, t_r=2.0, kinds=("acf",), lags=(1,)).shape
    (2, 3)
    """
    from scipy.signal import periodogram

    ts = np.asarray(ts, dtype=np.float64)
    n, n_t, R = ts.shape
    blocks = {}
    if "alff" in kinds or "falff" in kinds:
        alff, falff = np.empty((n, R)), np.empty((n, R))
        for value in np.unique(t_r):
            rows = np.flatnonzero(t_r == value)
            freqs, power = periodogram(ts[rows], fs=1.0 / value, detrend="constant", axis=1,
                                       scaling="density")
            amplitude = np.sqrt(np.maximum(power, 0.0))
            in_band = (freqs >= band[0]) & (freqs <= band[1])
            band_amplitude = amplitude[:, in_band]
            alff[rows] = band_amplitude.mean(axis=1)
            total = amplitude[:, freqs > 0].sum(axis=1)
            falff[rows] = np.where(total > 0, band_amplitude.sum(axis=1)
                                   / np.where(total > 0, total, 1.0), 0.0)
        blocks["alff"], blocks["falff"] = [alff], [falff]
    if "acf" in kinds or "timescale" in kinds:
        acf = _autocorrelation(ts)
        blocks["acf"] = [acf[:, int(k)] for k in lags]
        if "timescale" in kinds:
            blocks["timescale"] = [_area_to_first_zero(acf) * np.asarray(t_r)[:, None]]
    return np.concatenate([b for k in TEMPORAL_FEATURES if k in kinds for b in blocks[k]],
                          axis=1)
