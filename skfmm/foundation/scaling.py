"""How a window is scaled before a foundation model reads it (BrainLM's constant included).

NumPy only, so the extractors can import it without loading torch.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BRAINLM_SCALE", "SCALINGS", "scale_window"]

#: BrainLM's global scale: its released weights expect (signal - parcel mean) / 41.44047.
BRAINLM_SCALE = 41.44047

#: The scalings :func:`scale_window` knows.
SCALINGS = ("zscore", "brainlm", "none")


def scale_window(window, standardize):
    """Scale a ``(n_timepoints, n_regions)`` window per parcel, as ``standardize`` says.

    ``"zscore"``: mean 0, standard deviation 1 (a constant parcel stays at 0);
    ``"brainlm"``: mean removed, divided by 41.44047; ``"none"``: unchanged (same object).

    Examples
    --------
    >>> import numpy as np
    >>> from skfmm.foundation.scaling import scale_window
    >>> scale_window(np.array([[1.0], [3.0]]), "zscore").ravel().tolist()
    [-1.0, 1.0]
    """
    if standardize == "none":
        return window
    centred = window - window.mean(axis=0, keepdims=True)
    if standardize == "brainlm":
        return centred / BRAINLM_SCALE
    std = centred.std(axis=0, keepdims=True)
    flat = std <= 1e-12 * max(1.0, float(np.abs(window).max(initial=0.0)))
    return centred / np.where(flat, 1.0, std)
