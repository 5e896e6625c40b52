"""Thread limits for torch and the BLAS libraries: scoped (a run) or for good (a worker)."""

from __future__ import annotations

import contextlib
import os

__all__ = ["available_cpus", "limited_threads", "limit_worker_threads", "THREAD_VARIABLES"]

THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def available_cpus():
    """CPUs this process may run on (its affinity mask where the OS has one).

    Examples
    --------
    >>> from skfmm.utils.threads import available_cpus
    >>> available_cpus() >= 1
    True
    """
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS and Windows have no affinity call
        return os.cpu_count() or 1


@contextlib.contextmanager
def limited_threads(n_threads, *, blas=True):
    """torch (and BLAS) threads set to ``n_threads`` inside the block, restored after it.

    Parameters
    ----------
    n_threads : int or None
        None leaves every thread setting alone (a no-op block).
    blas : bool, default=True
        Also limit the BLAS/OpenMP pools through threadpoolctl.

    Examples
    --------
    >>> import torch
    >>> from skfmm.utils.threads import limited_threads
    >>> before = torch.get_num_threads()
    >>> with limited_threads(1):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    if n_threads is None:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        if blas:
            # threadpoolctl only reaches the BLAS libraries already loaded: load them first
            # (numpy's, scipy's, torch's).
            import scipy.linalg  # noqa: F401
            import sklearn.covariance  # noqa: F401
            from threadpoolctl import threadpool_limits

            with threadpool_limits(limits=n_threads):
                yield
        else:
            yield
    finally:
        torch.set_num_threads(before)


def limit_worker_threads(n_threads):
    """Limit torch and BLAS threads of the calling process for good (run on each Dask worker).

    Sets ``torch.set_num_threads(n_threads)`` (when torch is installed), the BLAS/OpenMP
    pools through threadpoolctl, and ``OMP_NUM_THREADS``-style variables for children.

    Parameters
    ----------
    n_threads : int

    Returns
    -------
    int
        The torch thread count now in effect (``n_threads``; 0 without torch).

    Examples
    --------
    >>> from skfmm.parallel import limit_worker_threads
    >>> # client.run(limit_worker_threads, 1) on a distributed.Client
    """
    for name in THREAD_VARIABLES:
        os.environ[name] = str(n_threads)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=n_threads)
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        pass
    try:
        import torch
    except ImportError:  # pragma: no cover
        return 0
    torch.set_num_threads(n_threads)
    return torch.get_num_threads()
