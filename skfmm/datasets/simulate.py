"""Simulated resting-state cohorts: the built-in pain cohort and the pretraining corpus.

Stochastic network dynamics on a spatially embedded parcellation, haemodynamics, TR sampling.
"""

from __future__ import annotations

import functools
import numbers

import numpy as np
import pandas as pd
from scipy import fft as sp_fft
from scipy.stats import gamma as gamma_dist
from sklearn.utils import Bunch
from threadpoolctl import threadpool_limits

from typing import TYPE_CHECKING
from ..utils._docs import fill_doc
from ..utils.validation import check_int, check_real

if TYPE_CHECKING:  # hints only
    from skfmm._typing import RandomStateLike

__all__ = ["make_pain_cohort", "make_pretraining_corpus", "make_parcel_layout"]

# ---------------------------------------------------------------------------------------------
# Facts copied from OpenNeuro ds000208 participants.tsv (Tetreault et al. 2016, CC0): the 56
# knee-osteoarthritis patients sub-21 .. sub-76 as (study, Drug, gender, Age, Response).
# ---------------------------------------------------------------------------------------------
_DS000208_PATIENTS = (
    (1, "placebo", "male", 51, 0), (1, "placebo", "female", 57, 1),
    (1, "placebo", "male", 55, 0), (1, "placebo", "female", 56, 0),
    (1, "placebo", "female", 52, 1), (1, "placebo", "female", 70, 0),
    (1, "placebo", "male", 54, 1), (1, "placebo", "female", 56, 1),
    (1, "placebo", "male", 48, 0), (1, "placebo", "male", 65, 1),
    (1, "placebo", "female", 56, 0), (1, "placebo", "male", 56, 0),
    (1, "placebo", "male", 53, 1), (1, "placebo", "female", 64, 0),
    (1, "placebo", "male", 64, 0), (1, "placebo", "female", 54, 1),
    (1, "placebo", "female", 56, 1), (2, "placebo", "male", 52, 0),
    (2, "duloxetine", "male", 61, 1), (2, "duloxetine", "male", 56, 0),
    (2, "duloxetine", "female", 55, 1), (2, "duloxetine", "male", 56, 1),
    (2, "placebo", "female", 69, 0), (2, "placebo", "male", 55, 0),
    (2, "placebo", "male", 60, 1), (2, "placebo", "female", 44, 1),
    (2, "duloxetine", "male", 55, 1), (2, "duloxetine", "male", 59, 0),
    (2, "duloxetine", "male", 60, 0), (2, "duloxetine", "female", 54, 0),
    (2, "duloxetine", "female", 59, 1), (2, "duloxetine", "female", 57, 1),
    (2, "placebo", "male", 61, 0), (2, "placebo", "female", 68, 1),
    (2, "placebo", "male", 50, 1), (2, "placebo", "female", 69, 0),
    (2, "duloxetine", "female", 61, 0), (2, "placebo", "female", 45, 1),
    (2, "duloxetine", "female", 58, 1), (2, "placebo", "female", 48, 1),
    (2, "duloxetine", "female", 60, 1), (2, "placebo", "male", 66, 1),
    (2, "placebo", "female", 45, 1), (2, "placebo", "female", 59, 0),
    (2, "duloxetine", "male", 66, 0), (2, "duloxetine", "male", 59, 0),
    (2, "placebo", "male", 49, 1), (2, "placebo", "female", 57, 1),
    (2, "duloxetine", "female", 60, 0), (2, "duloxetine", "female", 72, 0),
    (2, "duloxetine", "female", 52, 0), (2, "placebo", "male", 49, 0),
    (2, "placebo", "male", 73, 0), (2, "placebo", "female", 63, 0),
    (2, "placebo", "female", 70, 0), (2, "duloxetine", "male", 64, 0),
)
_DS000208_FIRST_PATIENT = 21
_METADATA_COLUMNS = ["participant_id", "type", "study", "gender", "Age", "Drug", "Response"]
MOTION_NAMES = ["trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z"]

# A brain-shaped ellipsoid in MNI millimetres (centre, semi-axes), roughly the MNI152 brain.
BRAIN_CENTRE = np.array([0.0, -18.0, 14.0])
BRAIN_RADII = np.array([68.0, 86.0, 62.0])

# Illustrative MNI targets (mm) near which the planted effect parcels are picked. The
# coordinates echo regions discussed in the pain / placebo literature; the effects are
# simulated and say nothing about real brains.
_FC_TARGETS = np.array([
    [38, 10, 2], [-38, 10, 2],      # anterior insula
    [4, 22, 34], [-4, 22, 34],      # dorsal anterior cingulate
    [12, -18, 8], [-12, -18, 8],    # thalamus
    [54, -24, 20], [-54, -24, 20],  # secondary somatosensory cortex
])
_TS_TARGETS = np.array([
    [6, 50, -2], [-6, 50, -2],      # medial prefrontal cortex
    [10, 12, -8], [-10, 12, -8],    # nucleus accumbens
    [40, 32, 30], [-40, 32, 30],    # middle frontal gyrus
    [6, -58, 36], [-6, -58, 36],    # precuneus
])

_NETWORK_TAU = 1.0  # s, timescale of the network's population activity
_SIM_DT_MAX = 0.25  # s, integration step (a divisor of the TR)
_BURN_IN = 60.0  # s simulated and dropped before the first volume
_HRF_LENGTH = 32.0  # s
_WAVE_TAU = 5.0  # s, timescale of the pretraining corpus's shared network fluctuations
_WAVE_GLOBAL_SHARE = 0.36  # of those fluctuations' variance, the part shared by all parcels
_FC_HUB_GAIN = 1.0  # drive of the responders' pain-network parcels by their shared hub at fc_effect=1

# Ranges (low, high) of the per-subject generator parameters, drawn uniformly ("timescale",
# in s, log-uniformly) in this order, which the seeded outputs depend on: the pain cohort's,
# and the pretraining corpus's wider ones.
_COHORT_PARAM_RANGES = {
    "coupling": (0.82, 0.94), "timescale": (1.2, 2.4), "local_weight": (0.25, 0.4),
    "noise_level": (0.05, 0.2), "hrf_peak": (5.4, 6.6), "intensity": (450.0, 850.0),
    "percent_signal": (0.006, 0.014),
}
_CORPUS_PARAM_RANGES = {
    "coupling": (0.3, 0.95), "timescale": (0.5, 12.0), "local_weight": (0.1, 0.7),
    "noise_level": (0.05, 0.5), "hrf_peak": (4.5, 7.5), "intensity": (300.0, 1000.0),
    "percent_signal": (0.004, 0.02),
}
_CORPUS_NETWORK_WEIGHT = (0.3, 0.7)  # range of the corpus's shared-fluctuation share
_TIMESCALE_JITTER = 0.15  # SD of the per-parcel log-timescale around the subject's


# ---------------------------------------------------------------------------------------------
# Validation helpers
# ---------------------------------------------------------------------------------------------
def _check_fraction(value, name):
    return check_real(value, name, 0.0, 1.0, kind="a number in [0, 1]",
                      bounds="in [0, 1] (0 = no effect, 1 = strongest)")


def _corpus_ranges(param_ranges):
    """The corpus's parameter ranges with ``param_ranges`` applied, and network_weight's."""
    ranges = dict(_CORPUS_PARAM_RANGES)
    network = _CORPUS_NETWORK_WEIGHT
    if param_ranges is None:
        return ranges, network
    if not isinstance(param_ranges, dict):
        raise TypeError(f"'param_ranges' must be a dict or None; got {type(param_ranges).__name__}.")
    unknown = sorted(set(param_ranges) - set(ranges) - {"network_weight"})
    if unknown:
        raise ValueError(f"'param_ranges' has unknown parameter(s) {unknown}; known: "
                         f"{sorted(ranges) + ['network_weight']}.")
    for name, value in param_ranges.items():
        try:
            low, high = (float(v) for v in value)
        except (TypeError, ValueError):
            raise TypeError(f"'param_ranges[{name!r}]' must be a (low, high) pair; got {value!r}.")
        fraction = name in ("coupling", "local_weight", "noise_level", "network_weight")
        if not (np.isfinite(low) and np.isfinite(high) and low <= high and low > 0
                and (not fraction or high < 1)):
            raise ValueError(f"'param_ranges[{name!r}]' must be finite with 0 < low <= high"
                             f"{' < 1' if fraction else ''}; got {value!r}.")
        if name == "network_weight":
            network = (low, high)
        else:
            ranges[name] = (low, high)
    return ranges, network


def _check_t_r(t_r):
    return check_real(t_r, "t_r", 0.1, 10.0, kind="a positive number of seconds",
                      bounds="between 0.1 and 10 seconds")


def _seed_sequence(random_state):
    """An ``np.random.SeedSequence`` from an int, None, a RandomState or a Generator."""
    if random_state is None:
        return np.random.SeedSequence()
    if isinstance(random_state, (bool, np.bool_)):
        raise TypeError(f"'random_state' must be an int, None or a generator; got {random_state!r}.")
    if isinstance(random_state, numbers.Integral):
        if random_state < 0:
            raise ValueError(f"'random_state' must be a non-negative integer; got {random_state}.")
        return np.random.SeedSequence(int(random_state))
    if isinstance(random_state, np.random.RandomState):
        return np.random.SeedSequence(int(random_state.randint(0, 2**31 - 1)))
    if isinstance(random_state, np.random.Generator):
        return np.random.SeedSequence(int(random_state.integers(0, 2**63 - 1)))
    raise TypeError(
        f"'random_state' must be an int, None, a numpy RandomState or Generator; "
        f"got {type(random_state).__name__}."
    )


def _run_lengths(n_subjects, n_timepoints, vary_length, rng):
    if vary_length is None or vary_length is False or (
        isinstance(vary_length, numbers.Integral) and not isinstance(vary_length, bool)
        and vary_length == 0
    ):
        return np.full(n_subjects, n_timepoints)
    if vary_length is True:
        raise TypeError(
            "'vary_length' must be False, an int k (runs of n_timepoints - k .. n_timepoints "
            "volumes) or a (low, high) pair; got True."
        )
    if isinstance(vary_length, numbers.Integral):
        k = check_int(vary_length, "vary_length", 0, n_timepoints - 10)
        low, high = n_timepoints - k, n_timepoints
    else:
        try:
            low, high = (int(v) for v in vary_length)
        except (TypeError, ValueError):
            raise TypeError(
                "'vary_length' must be False, an int or a (low, high) pair of ints; "
                f"got {vary_length!r}."
            ) from None
        if not 10 <= low <= high <= n_timepoints:
            raise ValueError(
                f"'vary_length' (low, high) must satisfy 10 <= low <= high <= n_timepoints "
                f"({n_timepoints}); got ({low}, {high})."
            )
    return rng.integers(low, high + 1, size=n_subjects)


# ---------------------------------------------------------------------------------------------
# Parcel layout: coordinates, modules, structural coupling
# ---------------------------------------------------------------------------------------------
def _kmeans(points, k, rng, n_iter=25):
    """Plain Lloyd's k-means seeded by farthest-point sampling (deterministic given rng)."""
    centres = [points[rng.integers(len(points))]]
    d2 = np.sum((points - centres[0]) ** 2, axis=1)
    for _ in range(1, k):
        centres.append(points[int(np.argmax(d2))])
        d2 = np.minimum(d2, np.sum((points - centres[-1]) ** 2, axis=1))
    centres = np.array(centres)
    for _ in range(n_iter):
        dist = (
            np.sum(points**2, 1)[:, None] - 2 * points @ centres.T + np.sum(centres**2, 1)[None]
        )
        assign = np.argmin(dist, axis=1)
        counts = np.bincount(assign, minlength=k)
        sums = np.zeros_like(centres)
        np.add.at(sums, assign, points)
        nonempty = counts > 0
        centres[nonempty] = sums[nonempty] / counts[nonempty, None]
    return centres


@fill_doc
def make_parcel_layout(n_regions=100):
    """The simulated parcellation: coordinates, modules and structural coupling.

    The layout depends on ``n_regions`` only, so the pain cohort and the pretraining corpus
    with the same ``n_regions`` share it. Parcels tile a brain-shaped ellipsoid in MNI
    millimetres, mirrored across the midline (left hemisphere first, then right, in the same
    order), and are grouped into bilateral spatial modules (networks).

    Parameters
    ----------
    %(n_regions_simulated)s
        From 4 to 1000.

    Returns
    -------
    layout : Bunch
        ``coords`` (n_regions, 3) MNI mm; ``modules`` (n_regions,) int module labels;
        ``homologue`` (n_regions,) index of the mirrored parcel (itself if unpaired);
        ``coupling`` (n_regions, n_regions) symmetric non-negative structural coupling with
        zero diagonal and spectral radius 1; ``region_gain`` (n_regions,) relative mean
        intensity of each parcel.

    Examples
    --------
    >>> from skfmm.datasets.simulate import make_parcel_layout
    >>> layout = make_parcel_layout(20)
    >>> layout.coords.shape, layout.coupling.shape
    ((20, 3), (20, 20))
    """
    n_regions = check_int(n_regions, "n_regions", 4, 1000)
    return Bunch(**{k: v.copy() for k, v in _cached_layout(n_regions).items()})


@functools.lru_cache(maxsize=8)
def _cached_layout(n_regions):
    rng = np.random.default_rng(np.random.SeedSequence([20160, n_regions]))
    n_right = (n_regions + 1) // 2
    n_left = n_regions // 2
    # Candidate points filling the right half of a slightly shrunken brain ellipsoid, so that
    # parcel centres stay inside the brain mask.
    unit = rng.uniform(-1, 1, size=(40000, 3))
    unit = unit[np.sum(unit**2, axis=1) <= 1.0]
    pts = BRAIN_CENTRE + 0.86 * BRAIN_RADII * unit
    pts = pts[pts[:, 0] >= 4.0]
    right = _kmeans(pts, n_right, rng)
    # Bilateral modules: cluster the right hemisphere; mirrored parcels share the module.
    n_modules = int(np.clip(n_right // 6, 2, 7))
    module_centres = _kmeans(right, n_modules, rng)
    module_right = np.argmin(
        np.sum((right[:, None, :] - module_centres[None]) ** 2, axis=2), axis=1
    )
    order = np.lexsort((right[:, 2], right[:, 1], module_right))
    right, module_right = right[order], module_right[order]
    left = right[:n_left] * np.array([-1.0, 1.0, 1.0])
    coords = np.vstack([left, right])
    modules = np.concatenate([module_right[:n_left], module_right])
    homologue = np.arange(n_regions)
    homologue[:n_left] = n_left + np.arange(n_left)
    homologue[n_left : 2 * n_left] = np.arange(n_left)

    # Structural coupling: distance-dependent, mostly within modules, plus homotopic links;
    # symmetric degree normalisation gives spectral radius 1 and module modes close to 1.
    dist = np.sqrt(np.sum((coords[:, None] - coords[None]) ** 2, axis=2))
    adjacency = np.exp(-dist / 40.0) * np.where(modules[:, None] == modules[None], 1.0, 0.05)
    adjacency = adjacency * rng.lognormal(0.0, 0.3, size=adjacency.shape)
    adjacency = (adjacency + adjacency.T) / 2
    paired = homologue != np.arange(n_regions)
    adjacency[np.arange(n_regions)[paired], homologue[paired]] += 0.3
    np.fill_diagonal(adjacency, 0.0)
    degree = adjacency.sum(axis=1)
    coupling = adjacency / np.sqrt(np.outer(degree, degree))
    region_gain = rng.uniform(0.8, 1.2, size=n_regions)
    return Bunch(
        coords=np.round(coords, 1), modules=modules, homologue=homologue,
        coupling=coupling, region_gain=region_gain,
    )


def _pick_effect_regions(coords, targets, n, exclude=()):
    """Greedily pick the free parcel nearest to each target in turn (cycling the targets)."""
    free = np.ones(len(coords), dtype=bool)
    free[list(exclude)] = False
    picked = []
    for k in range(n):
        target = targets[k % len(targets)]
        dist = np.sum((coords - target) ** 2, axis=1)
        dist[~free] = np.inf
        j = int(np.argmin(dist))
        picked.append(j)
        free[j] = False
    return np.sort(np.array(picked, dtype=int))


# ---------------------------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------------------------
def _canonical_hrf(dt, peak):
    """SPM's double-gamma HRF sampled every ``dt`` s, one per subject (time-scaled by peak/6)."""
    t = np.arange(0.0, _HRF_LENGTH, dt)
    scale = np.asarray(peak, dtype=float)[:, None] / 6.0
    ts = t[None, :] / scale
    hrf = gamma_dist.pdf(ts, 6.0) - gamma_dist.pdf(ts, 16.0) / 6.0
    return hrf / np.sum(hrf, axis=1, keepdims=True)


def _standardize(a, axis=1):
    a = a - a.mean(axis=axis, keepdims=True)
    return a / a.std(axis=axis, keepdims=True)


def _integrate(x, u, neural, noise_net, noise_loc, noise_hub, coupling_t, g, a_net, b_net,
               a_loc, b_loc, a_hub, b_hub, fc_regions, hub_gain):
    """Euler-Maruyama steps of the network and exact AR(1) steps of the local fluctuations."""
    n_regions = x.shape[1]
    hub = np.zeros(x.shape[0])
    for t in range(neural.shape[1]):
        drive = g * (x @ coupling_t) - x
        if fc_regions is not None:
            hub = a_hub * hub + b_hub * noise_hub[:, t]
            drive[:, fc_regions] += hub_gain * hub[:, None]
        x = x + a_net * drive + b_net * noise_net[:, t]
        u = a_loc * u + b_loc * noise_loc[:, t]
        neural[:, t, :n_regions] = x
        neural[:, t, n_regions:] = u


def _simulate_units(seeds, layout, n_timepoints, t_r, coupling, tau_local, local_weight,
                    noise_level, hrf_peak, fc_regions=None, fc_gain=None):
    """Unit-variance BOLD of every subject, (n_subjects, n_timepoints, n_regions) float64.

    Each subject's random numbers come from its own seed, so a subject's data do not depend on
    how many subjects are simulated with it, nor on the effect knobs (paired draws).
    """
    n_subjects = len(seeds)
    n_regions = layout.coupling.shape[0]
    sub = int(np.ceil(t_r / _SIM_DT_MAX - 1e-9))
    dt = t_r / sub
    n_burn = int(np.ceil(_BURN_IN / dt))
    n_steps = n_burn + n_timepoints * sub
    sample_idx = n_burn + sub * np.arange(n_timepoints) + sub - 1
    hrf = _canonical_hrf(dt, hrf_peak)
    n_fft = sp_fft.next_fast_len(n_steps + hrf.shape[1])
    coupling_t = layout.coupling.T.copy()
    a_net = dt / _NETWORK_TAU
    b_net = np.sqrt(2.0 * dt / _NETWORK_TAU)
    has_fc = fc_regions is not None and np.any(fc_gain > 0)
    a_hub = np.exp(-dt / _NETWORK_TAU)
    b_hub = np.sqrt(1.0 - a_hub**2)
    out = np.empty((n_subjects, n_timepoints, n_regions))
    # Chunks bound the memory of the fine-grained trajectories (~100 MB).
    chunk = max(1, int(12_000_000 // (n_steps * n_regions * 2)))
    for start in range(0, n_subjects, chunk):
        sl = slice(start, min(start + chunk, n_subjects))
        c = sl.stop - sl.start
        noise_net = np.empty((c, n_steps, n_regions), dtype=np.float32)
        noise_loc = np.empty((c, n_steps, n_regions), dtype=np.float32)
        measure = np.empty((c, n_timepoints, n_regions))
        noise_hub = np.zeros((c, n_steps))
        for i, seed in enumerate(seeds[sl]):
            rng = np.random.default_rng(seed)
            noise_net[i] = rng.standard_normal((n_steps, n_regions), dtype=np.float32)
            noise_loc[i] = rng.standard_normal((n_steps, n_regions), dtype=np.float32)
            measure[i] = rng.standard_normal((n_timepoints, n_regions))
            if has_fc:
                noise_hub[i] = rng.standard_normal(n_steps)
        g = coupling[sl, None]
        a_loc = np.exp(-dt / tau_local[sl])
        b_loc = np.sqrt(1.0 - a_loc**2)
        if has_fc:
            h = fc_gain[sl, None]
        neural = np.empty((c, n_steps, 2 * n_regions), dtype=np.float32)
        x = np.zeros((c, n_regions))
        u = np.zeros((c, n_regions))
        # Thousands of small products: BLAS threads only add overhead here.
        with threadpool_limits(limits=1, user_api="blas"):
            _integrate(x, u, neural, noise_net, noise_loc, noise_hub, coupling_t, g, a_net,
                       b_net, a_loc, b_loc, a_hub, b_hub, fc_regions if has_fc else None,
                       h if has_fc else None)
        del noise_net, noise_loc
        spec = sp_fft.rfft(neural, n=n_fft, axis=1)
        del neural
        spec *= sp_fft.rfft(hrf[sl], n=n_fft, axis=1)[:, :, None]
        bold = sp_fft.irfft(spec, n=n_fft, axis=1)[:, sample_idx, :]
        del spec
        z_net = _standardize(bold[:, :, :n_regions])
        z_loc = _standardize(bold[:, :, n_regions:])
        w = local_weight[sl]
        m = noise_level[sl, None, None]
        signal = np.sqrt(1.0 - w)[:, None, :] * z_net + np.sqrt(w)[:, None, :] * z_loc
        out[sl] = np.sqrt(1.0 - m) * signal + np.sqrt(m) * measure
    return out


def _simulate_motion(seeds, n_timepoints, motion_level, n_regions):
    """Motion parameters (n, T, 6) and their artefact on the unit-variance signal (n, T, R)."""
    n_subjects = len(seeds)
    motion = np.empty((n_subjects, n_timepoints, 6))
    artefact = np.empty((n_subjects, n_timepoints, n_regions))
    kernel = np.hanning(7)
    kernel /= kernel.sum()
    for i, seed in enumerate(seeds):
        rng = np.random.default_rng(seed)
        steps = rng.standard_normal((n_timepoints, 6)) * motion_level[i] * 0.03
        steps = np.apply_along_axis(lambda s: np.convolve(s, kernel, mode="same"), 0, steps)
        n_jumps = rng.poisson(2.0 * motion_level[i])
        for _ in range(n_jumps):
            at = rng.integers(1, n_timepoints)
            steps[at] += rng.standard_normal(6) * 0.4 * motion_level[i]
        params = np.cumsum(steps, axis=0)
        params[:, 3:] *= np.pi / 180.0 / 1.0  # rotations in radians (~1 mm ~ 1 degree)
        motion[i] = params
        design = np.column_stack([params[:, :3], params[:, 3:] * 50.0])
        design = design - design.mean(axis=0)
        d1 = np.vstack([np.zeros((1, 6)), np.diff(design, axis=0)])
        beta_global = rng.normal(0.0, 0.25, size=(6, 1))
        beta = beta_global + rng.normal(0.0, 0.15, size=(6, n_regions))
        beta_d = rng.normal(0.0, 0.5, size=(6, 1)) + rng.normal(0.0, 0.2, size=(6, n_regions))
        artefact[i] = design @ beta + d1 @ beta_d
    return motion, artefact


def _draw_params(rng, n_subjects, ranges):
    """DataFrame of per-subject generator parameters drawn from ``ranges`` (see above)."""
    columns = {}
    for name, (low, high) in ranges.items():
        if name == "timescale":
            columns[name] = np.exp(rng.uniform(np.log(low), np.log(high), n_subjects))
        else:
            columns[name] = rng.uniform(low, high, n_subjects)
    return pd.DataFrame(columns)


def _draw_local(rng, params, n_regions, timescale_jitter=_TIMESCALE_JITTER):
    """Per-parcel local timescale and weight (n_subjects, n_regions): the subject's, jittered."""
    region_jitter = rng.lognormal(0.0, timescale_jitter, size=(len(params), n_regions))
    weight_jitter = rng.uniform(-0.08, 0.08, size=(len(params), n_regions))
    tau_local = params["timescale"].to_numpy()[:, None] * region_jitter
    local_weight = np.clip(params["local_weight"].to_numpy()[:, None] + weight_jitter, 0.05, 0.95)
    return tau_local, local_weight


def _scale_to_bold(units, layout, intensity, percent):
    baseline = intensity[:, None] * layout.region_gain[None, :]
    return baseline[:, None, :] * (1.0 + percent[:, None, None] * units)


# ---------------------------------------------------------------------------------------------
# Metadata
# ---------------------------------------------------------------------------------------------
def _ds000208_metadata():
    table = pd.DataFrame(_DS000208_PATIENTS, columns=["study", "Drug", "gender", "Age", "Response"])
    table.insert(0, "type", "patient")
    ids = [f"sub-{_DS000208_FIRST_PATIENT + i:02d}" for i in range(len(table))]
    table.insert(0, "participant_id", ids)
    return table[_METADATA_COLUMNS]


def _largest_remainder(total, weights):
    weights = np.asarray(weights, dtype=float)
    quota = total * weights / weights.sum()
    counts = np.floor(quota).astype(int)
    remainder = total - counts.sum()
    order = np.argsort(-(quota - counts), kind="stable")
    counts[order[:remainder]] += 1
    return counts


def _sample_metadata(n_subjects, rng):
    """ds000208-like metadata for ``n_subjects`` patients, cells sampled proportionally."""
    real = _ds000208_metadata()
    if n_subjects == len(real):
        return real
    n_resp_real = int(real["Response"].sum())
    n_resp = int(np.clip(round(n_subjects * n_resp_real / len(real)), 1, n_subjects - 1))
    rows = []
    for label, n_label in ((1, n_resp), (0, n_subjects - n_resp)):
        pool = real[real["Response"] == label]
        cells = pool.groupby(["study", "Drug"], sort=True)
        keys = list(cells.groups)
        counts = _largest_remainder(n_label, [len(cells.get_group(k)) for k in keys])
        for key, count in zip(keys, counts):
            members = cells.get_group(key)
            pick = rng.choice(len(members), size=count, replace=count > len(members))
            rows.append(members.iloc[pick])
    table = pd.concat(rows, ignore_index=True)
    table = table.iloc[rng.permutation(len(table))]
    table = table.sort_values("study", kind="stable").reset_index(drop=True)
    width = max(2, len(str(n_subjects)))
    table["participant_id"] = [f"sub-{i:0{width}d}" for i in range(1, n_subjects + 1)]
    return table[_METADATA_COLUMNS]


# ---------------------------------------------------------------------------------------------
# Public generators
# ---------------------------------------------------------------------------------------------
@fill_doc
def make_pain_cohort(
    n_subjects: int = 56, *, n_regions: int = 100, n_timepoints: int = 220, t_r: float = 2.5,
    fc_effect: float = 0.5, ts_effect: float = 0.5, n_effect_regions: int = 8,
    vary_length: bool = False, confounds: bool = False, random_state: RandomStateLike = 0,
) -> Bunch:
    """Simulate a resting-state cohort of pain patients with planted responder effects.

    A semi-synthetic stand-in for OpenNeuro ds000208 (knee-osteoarthritis patients scanned
    before a placebo / duloxetine trial). The metadata mirror ds000208's 56 patients; the BOLD
    time series are **simulated**: stochastic population activity on a spatially embedded,
    modular parcel network (linear Ornstein-Uhlenbeck dynamics with distance-dependent
    coupling) plus parcel-local fluctuations, convolved with a canonical double-gamma
    haemodynamic response, sampled every ``t_r`` seconds, with measurement noise and
    subject-level variability. Responders (``Response == 1``) carry two separate effects:

    - ``fc_effect``: extra coupling inside a small "pain network" of parcels, all driven by a
      shared hidden hub, which raises their mutual zero-lag correlations (seen by
      correlation connectomes);
    - ``ts_effect``: slower parcel-local fluctuations (a longer intrinsic timescale) in
      another set of parcels, with each parcel's variance and, in expectation, its
      correlations unchanged (seen by temporal features, largely missed by correlation).

    Both 0 gives a null cohort: the labels are independent of the data.

    Parameters
    ----------
    n_subjects : int, default=56
        Number of patients. 56 reproduces ds000208's patients row for row (study, Drug,
        gender, Age, Response; participant ids sub-21 .. sub-76); another number samples
        the (study, Drug, Response) cells proportionally (ids sub-01 ...).
    %(n_regions_simulated)s
        From 16 to 1000 (the A424 atlas has 424).
    %(n_timepoints_simulated)s
        With ``vary_length`` set: the longest run's.
    %(t_r_simulated)s
    fc_effect : float in [0, 1], default=0.5
        Strength of the responders' extra pain-network coupling (the hub's gain is
        ``sqrt(fc_effect)``, so the hub-driven share of variance grows about linearly).
    ts_effect : float in [0, 1], default=0.5
        Strength of the responders' slower local dynamics (the local timescale is multiplied
        by ``1 + 5 * ts_effect``).
    n_effect_regions : int, default=8
        Parcels in each effect set (the two sets are disjoint), 2 to ``n_regions // 2``.
    vary_length : False, int or (int, int), default=False
        False: every run has ``n_timepoints`` volumes. An int ``k``: run lengths drawn
        uniformly from ``n_timepoints - k .. n_timepoints``. A pair ``(low, high)``: drawn
        from ``low .. high`` (``high <= n_timepoints``).
    confounds : bool, default=False
        Add motion: per-subject head-motion parameters (fMRIPrep names trans_x .. rot_z, mm
        and radians) whose artefact (a linear function of the parameters and their
        derivatives, partly shared across parcels) is added to the signal.
    %(random_state_simulated)s
        Each subject's noise comes from its own stream, so changing the effect knobs keeps the
        noise (paired comparisons).

    Returns
    -------
    cohort : Bunch
        ``timeseries`` list of (n_timepoints_i, n_regions) float64 arrays (raw-BOLD-like:
        a baseline of several hundred and fluctuations of about 1 %); ``y`` (n_subjects,)
        int 0/1 (= ``metadata["Response"]``); ``coords`` (n_regions, 3) MNI mm;
        ``metadata`` DataFrame (participant_id, type, study, gender, Age, Drug, Response);
        ``effect_regions`` sorted 0-based indices of the parcels carrying a non-zero effect;
        ``fc_effect_regions`` and ``ts_effect_regions`` the two planted sets (returned even
        when their knob is 0); ``modules`` (n_regions,) network labels; ``params``
        DataFrame of per-subject generator parameters; ``confounds`` list of (T_i, 6)
        arrays or None; ``confound_names``; ``t_r``; ``description`` (text).

    Examples
    --------
    >>> from skfmm.datasets import make_pain_cohort
    >>> cohort = make_pain_cohort(n_subjects=8, n_regions=20, n_timepoints=40)
    >>> len(cohort.timeseries), cohort.timeseries[0].shape, int(cohort.y.sum())
    (8, (40, 20), 4)
    """
    n_subjects = check_int(n_subjects, "n_subjects", 2)
    n_regions = check_int(n_regions, "n_regions", 16, 1000)
    n_timepoints = check_int(n_timepoints, "n_timepoints", 20)
    t_r = _check_t_r(t_r)
    fc_effect = _check_fraction(fc_effect, "fc_effect")
    ts_effect = _check_fraction(ts_effect, "ts_effect")
    n_effect_regions = check_int(n_effect_regions, "n_effect_regions", 2, n_regions // 2)
    if not isinstance(confounds, (bool, np.bool_)):
        raise TypeError(f"'confounds' must be True or False; got {confounds!r}.")

    ss = _seed_sequence(random_state)
    meta_ss, param_ss, motion_ss, subject_ss = ss.spawn(4)
    metadata = _sample_metadata(n_subjects, np.random.default_rng(meta_ss))
    y = metadata["Response"].to_numpy(dtype=int)
    responder = y == 1
    layout = make_parcel_layout(n_regions)
    fc_regions = _pick_effect_regions(layout.coords, _FC_TARGETS, n_effect_regions)
    ts_regions = _pick_effect_regions(
        layout.coords, _TS_TARGETS, n_effect_regions, exclude=fc_regions
    )

    rng = np.random.default_rng(param_ss)
    params = _draw_params(rng, n_subjects, _COHORT_PARAM_RANGES)
    params["motion_level"] = rng.lognormal(0.0, 0.5, n_subjects) if confounds else 0.0
    tau_local, local_weight = _draw_local(rng, params, n_regions)
    lengths = _run_lengths(n_subjects, n_timepoints, vary_length, rng)

    slow = 1.0 + 5.0 * ts_effect
    tau_local[np.ix_(responder, ts_regions)] *= slow
    fc_gain = _FC_HUB_GAIN * np.sqrt(fc_effect) * responder.astype(float)

    seeds = subject_ss.spawn(n_subjects)
    units = _simulate_units(
        seeds, layout, n_timepoints, t_r,
        coupling=params["coupling"].to_numpy(), tau_local=tau_local,
        local_weight=local_weight, noise_level=params["noise_level"].to_numpy(),
        hrf_peak=params["hrf_peak"].to_numpy(), fc_regions=fc_regions, fc_gain=fc_gain,
    )
    motion = None
    if confounds:
        motion, artefact = _simulate_motion(
            motion_ss.spawn(n_subjects), n_timepoints, params["motion_level"].to_numpy(),
            n_regions,
        )
        units = units + artefact
    bold = _scale_to_bold(
        units, layout, params["intensity"].to_numpy(), params["percent_signal"].to_numpy()
    )
    timeseries = [bold[i, : lengths[i]].copy() for i in range(n_subjects)]
    motion_list = None if motion is None else [motion[i, : lengths[i]].copy() for i in range(n_subjects)]

    planted = []
    if fc_effect > 0:
        planted.append(fc_regions)
    if ts_effect > 0:
        planted.append(ts_regions)
    effect_regions = np.unique(np.concatenate(planted)) if planted else np.array([], dtype=int)
    description = _describe_cohort(
        n_subjects, n_regions, t_r, fc_effect, ts_effect, fc_regions, ts_regions, slow,
        bool(confounds),
    )
    return Bunch(
        timeseries=timeseries, y=y, coords=layout.coords.copy(), metadata=metadata,
        effect_regions=effect_regions, fc_effect_regions=fc_regions,
        ts_effect_regions=ts_regions, modules=layout.modules.copy(), params=params,
        confounds=motion_list, confound_names=list(MOTION_NAMES) if confounds else None,
        t_r=t_r, description=description,
    )


def _describe_cohort(n_subjects, n_regions, t_r, fc_effect, ts_effect, fc_regions, ts_regions,
                     slow, confounds):
    lines = [
        f"Simulated resting-state cohort: {n_subjects} patients, {n_regions} parcels, "
        f"TR {t_r:g} s (metadata mirror OpenNeuro ds000208; BOLD signals are simulated).",
        "Each parcel's BOLD = canonical double-gamma HRF * (network activity + parcel-local "
        "fluctuations), sampled at the TR, plus white measurement noise, scaled to a baseline "
        "of several hundred with ~1 % fluctuations. Network activity: a linear "
        "Ornstein-Uhlenbeck process (timescale 1 s) coupled through distance-dependent, "
        "modular, homotopic structural coupling with subject-specific global coupling.",
        f"fc_effect={fc_effect:g}: in responders the pain-network parcels "
        f"{fc_regions.tolist()} are coupled to a shared hidden hub (an Ornstein-Uhlenbeck "
        f"process with the network's timescale) with gain {_FC_HUB_GAIN * np.sqrt(fc_effect):.3f}, "
        "which raises their mutual zero-lag correlations.",
        f"ts_effect={ts_effect:g}: responders' parcel-local fluctuations in parcels "
        f"{ts_regions.tolist()} are {slow:.2f}x slower (longer intrinsic timescale); each "
        "component is variance-normalised, so variances and expected correlations are "
        "unchanged while autocorrelation and spectra change.",
    ]
    if fc_effect == 0 and ts_effect == 0:
        lines.append("Both effects are 0: a null cohort (labels independent of the data).")
    if confounds:
        lines.append(
            "Motion: per-subject head-motion parameters (random walks with jumps) whose "
            "artefact is added to every parcel."
        )
    return "\n".join(lines)


def _network_fluctuations(seeds, modules, n_timepoints, t_r, hrf_peak):
    """Unit-variance shared fluctuations (n, T, R): one per module plus a global one.

    Each is an AR(1) process with time constant ``_WAVE_TAU`` convolved with the subject's
    HRF; a parcel carries its module's signal and the global one
    (``_WAVE_GLOBAL_SHARE`` of the variance).
    """
    n_modules = int(modules.max()) + 1
    hrf = _canonical_hrf(t_r, hrf_peak)
    n_hrf = hrf.shape[1]
    a = np.exp(-t_r / _WAVE_TAU)
    out = np.empty((len(seeds), n_timepoints, len(modules)))
    for i, seed in enumerate(seeds):
        rng = np.random.default_rng(seed)
        w = rng.standard_normal((n_timepoints + n_hrf, n_modules + 1))
        for t in range(1, len(w)):
            w[t] = a * w[t - 1] + np.sqrt(1.0 - a * a) * w[t]
        bold = np.stack(
            [np.convolve(w[:, k], hrf[i])[n_hrf:n_hrf + n_timepoints] for k in range(n_modules + 1)],
            axis=1,
        )
        bold = _standardize(bold, axis=0)
        out[i] = (np.sqrt(1.0 - _WAVE_GLOBAL_SHARE) * bold[:, modules]
                  + np.sqrt(_WAVE_GLOBAL_SHARE) * bold[:, [n_modules]])
    return out


@fill_doc
def make_pretraining_corpus(
    n_subjects=200, *, n_regions=100, n_timepoints=220, t_r=2.5, param_ranges=None,
    timescale_jitter=_TIMESCALE_JITTER, random_state=0,
):
    """Simulate a pain-agnostic resting-state corpus for foundation-model pretraining.

    The generator of :func:`make_pain_cohort` without responder effects and with wider
    parameter ranges (global coupling, local timescale and weight, measurement noise,
    haemodynamic peak, amplitude), plus shared network fluctuations: every module carries a
    slow haemodynamic signal of its own and all parcels a global one, making up a fraction
    ``network_weight`` (0.3 to 0.7) of each parcel's variance, as resting-state networks and
    the global signal do in real data. This gives a masked patch something to be
    reconstructed from (its module's visible parcels at the same time), which a masked
    autoencoder can learn within a few CPU minutes. The parcel layout depends only on
    ``n_regions``, so the coordinates equal the pain cohort's for the same ``n_regions``.
    The signals are simulated.

    Parameters
    ----------
    n_subjects : int, default=200
        Number of runs.
    %(n_regions_simulated)s
        From 16 to 1000.
    %(n_timepoints_simulated)s
    %(t_r_simulated)s
    param_ranges : dict, optional
        ``name -> (low, high)`` overriding the default ranges of the per-subject parameters
        (``coupling`` 0.3-0.95, ``timescale`` 0.5-12 s drawn log-uniformly, ``local_weight``
        0.1-0.7, ``noise_level`` 0.05-0.5, ``hrf_peak`` 4.5-7.5 s, ``intensity`` 300-1000,
        ``percent_signal`` 0.004-0.02, ``network_weight`` 0.3-0.7). E.g. a larger
        ``local_weight`` and a smaller ``network_weight`` make the local timescale more
        visible in the data. The draws stay in the same order, so the defaults give the
        same corpus as before for the same seed.
    timescale_jitter : float, default=0.15
        Standard deviation of each parcel's log local timescale around its subject's
        (log-normal jitter); larger values give parcels more independent timescales.
    %(random_state_simulated)s

    Returns
    -------
    corpus : Bunch
        ``timeseries`` list of (n_timepoints, n_regions) arrays; ``coords``
        (n_regions, 3); ``params`` DataFrame of per-subject generator parameters
        (``coupling``, ``timescale`` in s, ``local_weight``, ``noise_level``, ``hrf_peak``
        in s, ``intensity``, ``percent_signal``, ``network_weight``); ``modules``;
        ``t_r``; ``description``. ``noise_level`` and ``local_weight`` are fractions of
        the variance that the network fluctuations leave.

    Examples
    --------
    >>> from skfmm.datasets import make_pretraining_corpus
    >>> corpus = make_pretraining_corpus(4, n_regions=20, n_timepoints=30)
    >>> len(corpus.timeseries), list(corpus.params.columns)[:2]
    (4, ['coupling', 'timescale'])
    """
    n_subjects = check_int(n_subjects, "n_subjects", 1)
    n_regions = check_int(n_regions, "n_regions", 16, 1000)
    n_timepoints = check_int(n_timepoints, "n_timepoints", 20)
    t_r = _check_t_r(t_r)
    ranges, network_range = _corpus_ranges(param_ranges)
    timescale_jitter = check_real(timescale_jitter, "timescale_jitter", 0.0, 3.0,
                                  bounds="between 0 and 3")
    ss = _seed_sequence(random_state)
    param_ss, subject_ss, wave_ss = ss.spawn(3)
    layout = make_parcel_layout(n_regions)
    rng = np.random.default_rng(param_ss)
    params = _draw_params(rng, n_subjects, ranges)
    tau_local, local_weight = _draw_local(rng, params, n_regions, timescale_jitter)
    units = _simulate_units(
        subject_ss.spawn(n_subjects), layout, n_timepoints, t_r,
        coupling=params["coupling"].to_numpy(), tau_local=tau_local, local_weight=local_weight,
        noise_level=params["noise_level"].to_numpy(), hrf_peak=params["hrf_peak"].to_numpy(),
    )
    params["network_weight"] = rng.uniform(*network_range, n_subjects)
    waves = _network_fluctuations(
        wave_ss.spawn(n_subjects), layout.modules, n_timepoints, t_r,
        params["hrf_peak"].to_numpy(),
    )
    w = params["network_weight"].to_numpy()[:, None, None]
    units = np.sqrt(1.0 - w) * units + np.sqrt(w) * waves
    bold = _scale_to_bold(
        units, layout, params["intensity"].to_numpy(), params["percent_signal"].to_numpy()
    )
    description = (
        f"Simulated pretraining corpus: {n_subjects} runs, {n_regions} parcels, TR {t_r:g} s, "
        "same generator as make_pain_cohort without responder effects, with wider "
        "parameter ranges and with shared module and global fluctuations (see params)."
    )
    return Bunch(
        timeseries=[bold[i].copy() for i in range(n_subjects)], coords=layout.coords.copy(),
        params=params, modules=layout.modules.copy(), t_r=t_r, description=description,
    )
