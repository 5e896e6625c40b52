"""Pooling of a foundation model's tokens into one vector per subject-window."""

from __future__ import annotations
from ..utils._docs import fill_doc

__all__ = ["POOLINGS", "pool_tokens", "pooled_width"]

#: ``"cls"``: the CLS token (FMM_TC); ``"mean"``: the mean of the patch tokens, CLS excluded;
#: ``"parcel"``: the mean of each parcel's patch tokens, one vector per parcel, flattened
#: parcel-major (``n_regions * hidden_size`` values).
POOLINGS = ("cls", "mean", "parcel")


def pooled_width(pooling, hidden_size, n_regions):
    """Width of :func:`pool_tokens`' output: ``hidden_size``, or ``n_regions * hidden_size``
    for ``"parcel"``.

    Examples
    --------
    >>> from skfmm.foundation.pooling import pooled_width
    >>> pooled_width("cls", 64, 100), pooled_width("parcel", 64, 100)
    (64, 6400)
    """
    return int(hidden_size) * (int(n_regions) if pooling == "parcel" else 1)


@fill_doc
def pool_tokens(hidden, pooling="cls", n_regions=None):
    """One vector per row from an encoder's last hidden state ``[B, 1 + tokens, hidden]``.

    Parameters
    ----------
    hidden : torch.Tensor of shape (B, 1 + n_tokens, hidden_size)
        CLS first, then the patch tokens parcel-major (token ``r * N + n`` is patch ``n``
        of parcel ``r``), as :meth:`skfmm.foundation.BrainLM.encode` returns them.
    %(pooling)s
    n_regions : int, optional
        Number of parcels; required by ``"parcel"``.

    Returns
    -------
    torch.Tensor of shape (B, hidden_size), or (B, n_regions * hidden_size) for
    ``"parcel"`` (parcel ``r``'s mean token in columns ``r * hidden_size`` onwards).

    Examples
    --------
    >>> import torch
    >>> from skfmm.foundation.pooling import pool_tokens
    >>> hidden = torch.arange(12.0).reshape(1, 3, 4)
    >>> pool_tokens(hidden, "cls").tolist(), pool_tokens(hidden, "mean").tolist()
    ([[0.0, 1.0, 2.0, 3.0]], [[6.0, 7.0, 8.0, 9.0]])
    >>> hidden = torch.arange(20.0).reshape(1, 5, 4)  # CLS + 2 parcels x 2 patches
    >>> pool_tokens(hidden, "parcel", n_regions=2).tolist()
    [[6.0, 7.0, 8.0, 9.0, 14.0, 15.0, 16.0, 17.0]]
    """
    if pooling == "cls":
        return hidden[:, 0]
    if pooling == "mean":
        return hidden[:, 1:].mean(dim=1)
    if pooling == "parcel":
        n_tokens = hidden.shape[1] - 1
        if n_regions is None or n_regions < 1 or n_tokens % int(n_regions):
            raise ValueError(
                f"pooling='parcel' needs 'n_regions' dividing the {n_tokens} patch tokens; "
                f"got n_regions={n_regions!r}.")
        R = int(n_regions)
        tokens = hidden[:, 1:].reshape(hidden.shape[0], R, n_tokens // R, hidden.shape[2])
        return tokens.mean(dim=2).flatten(1)
    raise ValueError(f"'pooling' must be one of {POOLINGS}; got {pooling!r}.")
