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

    Raises
    ------
    ValueError
        For a string torch does not read as a device, or a CUDA/MPS device this torch
        cannot use (named with ``argument``).
    """
    import torch

    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"'{argument}' must be 'cpu', 'cuda', 'cuda:N' or 'auto'; got {device!r}."
        ) from exc
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"'{argument}'={device!r} asks for a CUDA GPU, but this torch "
                f"({torch.__version__}) sees none (a CPU-only build, no driver, or "
                "CUDA_VISIBLE_DEVICES empty); use 'cpu' or 'auto'."
            )
        if resolved.index is not None and resolved.index >= torch.cuda.device_count():
            raise ValueError(
                f"'{argument}'={device!r} names GPU {resolved.index}, but this machine has "
                f"{torch.cuda.device_count()} visible GPU(s) (indices from 0)."
            )
    elif resolved.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ValueError(f"'{argument}'={device!r} asks for Apple's MPS, which this "
                             "torch cannot use here; use 'cpu' or 'auto'.")
    return resolved
