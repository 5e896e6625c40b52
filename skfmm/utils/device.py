"""Torch device resolution, in one place: ``"auto"`` means CUDA when available, else the CPU."""

from __future__ import annotations

__all__ = ["resolve_device"]


def resolve_device(device, *, argument="device"):
    """``"auto"`` -> cuda when available else cpu; otherwise ``torch.device(device)``.

    Parameters
    ----------
    device : str or torch.device
        ``"cpu"``, ``"cuda"``, ``"cuda:N"``, ``"mps"``, ``"auto"`` or a ``torch.device``.
    argument : str, default="device"
        The parameter named in the error.

    Returns
    -------
    torch.device

    Examples
    --------
    >>> from skfmm.utils.device import resolve_device
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    import torch

    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"'{argument}' must be 'cpu', 'cuda', 'cuda:N' or 'auto'; got {device!r}."
        ) from exc
