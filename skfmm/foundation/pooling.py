"""Pooling of a foundation model's tokens into one vector per subject-window."""

from __future__ import annotations

__all__ = ["POOLINGS", "pool_tokens"]

#: ``"cls"``: the CLS token (FMM_TC); ``"mean"``: the mean of the patch tokens, CLS excluded.
POOLINGS = ("cls", "mean")


def pool_tokens(hidden, pooling="cls"):
    """One vector per row from an encoder's last hidden state ``[B, 1 + tokens, hidden]``.

    Parameters
    ----------
    hidden : torch.Tensor of shape (B, 1 + n_tokens, hidden_size)
        CLS first, as :meth:`skfmm.foundation.BrainLM.encode` returns it.
    pooling : {"cls", "mean"}, default="cls"

    Returns
    -------
    torch.Tensor of shape (B, hidden_size)

    Examples
    --------
    >>> import torch
    >>> from skfmm.foundation.pooling import pool_tokens
    >>> hidden = torch.arange(12.0).reshape(1, 3, 4)
    >>> pool_tokens(hidden, "cls").tolist(), pool_tokens(hidden, "mean").tolist()
    ([[0.0, 1.0, 2.0, 3.0]], [[6.0, 7.0, 8.0, 9.0]])
    """
    if pooling == "cls":
        return hidden[:, 0]
    if pooling == "mean":
        return hidden[:, 1:].mean(dim=1)
    raise ValueError(f"'pooling' must be one of {POOLINGS}; got {pooling!r}.")
