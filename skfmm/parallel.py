"""Run skfmm's joblib work (outer folds, grid candidates, permutations) on a Dask cluster.

A local cluster on the loopback interface, or a running scheduler; torch threads limited per worker.
"""

from __future__ import annotations

import contextlib
import signal
import threading

from .utils.threads import THREAD_VARIABLES, limit_worker_threads
from .utils.validation import check_positive_int

__all__ = ["dask_backend", "limit_worker_threads", "stop_workers_on_exit"]


@contextlib.contextmanager
def dask_backend(
    address="local",
    *,
    n_workers=2,
    threads_per_worker=1,
    torch_threads=1,
    processes=True,
    resources=None,
    dashboard=False,
):
    """Send joblib work inside the block to a Dask cluster.

    Inside the block, ``joblib.Parallel`` (used by
    :func:`~skfmm.evaluation.nested_cross_validate` for outer folds,
    :func:`~skfmm.evaluation.permutation_test` for permutations and ``GridSearchCV`` for grid
    candidates) runs through joblib's Dask backend, which sends every task to the cluster
    whatever ``n_jobs`` (``n_jobs=-1`` is set as the default). Results are the same as with a local run: each task
    is seeded by its own arguments, not by where it runs.

    Parameters
    ----------
    address : "local", str, distributed.Client or None, default="local"
        ``"local"`` starts a :class:`distributed.LocalCluster` on 127.0.0.1 (nothing
        listens on other interfaces; with ``processes=False`` nothing listens at all) and
        stops it on exit; a scheduler address
        (``"tcp://host:8786"``) connects to a running cluster (left running on exit); a
        ``Client`` is used as is; None gives a no-op block (for ``--dask`` left unset).
    n_workers, threads_per_worker : int, default=2, 1
        Size of the local cluster (``"local"`` only).
    torch_threads : int or None, default=1
        torch / BLAS threads per worker (:func:`limit_worker_threads` on every worker,
        and ``OMP_NUM_THREADS`` in local worker processes). One thread per task avoids
        oversubscription when tasks run side by side. With ``processes=False`` the
        workers share this process, whose threads are left alone.
    processes : bool, default=True
        Local workers as processes (True) or threads of this process (False, starts faster).
    resources : dict, default=None
        Dask resources each task needs, e.g. ``{"GPU": 1}`` with workers started as
        ``dask worker ADDRESS --nthreads 1 --resources GPU=1``.
    dashboard : bool, default=False
        Serve the local cluster's dashboard on 127.0.0.1 (needs bokeh).

    Yields
    ------
    distributed.Client or None

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skfmm.parallel import dask_backend
    >>> from skfmm.evaluation import nested_cross_validate
    >>> with dask_backend(None):  # no-op: runs locally
    ...     pass
    >>> # with dask_backend("local", n_workers=2):
    >>> #     res = nested_cross_validate(LogisticRegression(), X, y, n_jobs=-1)
    """
    if address is None:
        yield None
        return
    check_positive_int(n_workers, "n_workers", who="dask_backend")
    check_positive_int(threads_per_worker, "threads_per_worker", who="dask_backend")
    check_positive_int(torch_threads, "torch_threads", allow_none=True, who="dask_backend")
    if resources is not None and not isinstance(resources, dict):
        raise TypeError(
            f"dask_backend: 'resources' must be a dict such as {{'GPU': 1}}; got {resources!r}."
        )
    try:
        import joblib
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ImportError(
            "dask_backend needs dask.distributed: pip install 'skfmm[dask]'."
        ) from exc

    cluster = client = None
    owns_client = True
    try:
        if isinstance(address, Client):
            client, owns_client = address, False
        elif address == "local":
            extra = {}
            if processes and torch_threads is not None:
                extra["env"] = {name: str(torch_threads) for name in THREAD_VARIABLES}
            if resources is not None:
                extra["resources"] = resources
            cluster = LocalCluster(
                n_workers=n_workers,
                threads_per_worker=threads_per_worker,
                processes=processes,
                # Worker processes talk over TCP on loopback; in-process workers use
                # dask's in-memory transport, which listens on no interface at all.
                host="127.0.0.1" if processes else None,
                dashboard_address="127.0.0.1:0" if dashboard else None,
                **extra,
            )
            client = Client(cluster)
        elif isinstance(address, str):
            client = Client(address)
        else:
            raise TypeError(
                "dask_backend: 'address' must be 'local', a scheduler address such as "
                f"'tcp://host:8786', a distributed.Client or None; got {address!r}."
            )
        if torch_threads is not None and (cluster is None or processes):
            client.run(limit_worker_threads, torch_threads)
        backend_params = {} if resources is None else {"resources": resources}
        with joblib.parallel_config(backend="dask", n_jobs=-1, **backend_params):
            yield client
    finally:
        if client is not None and owns_client:
            client.close()
        if cluster is not None:
            cluster.close()


def _kill_loky_workers():
    """Stop joblib's reusable loky worker pool now (its workers otherwise idle for minutes)."""
    try:
        from joblib.externals.loky import reusable_executor
    except ImportError:  # pragma: no cover - a joblib without loky
        return
    executor = getattr(reusable_executor, "_executor", None)
    if executor is not None:  # never start a pool just to stop it
        executor.shutdown(wait=True, kill_workers=True)


@contextlib.contextmanager
def stop_workers_on_exit():
    """SIGTERM ends the block as Ctrl-C does, and the joblib worker pool is stopped on exit.

    In the block, SIGTERM raises ``SystemExit(143)`` in the main thread (by default it kills
    the process on the spot, leaving the loky workers of ``n_jobs > 1`` running their folds);
    on leaving the block, normally or by an exception (``KeyboardInterrupt`` included), the
    loky workers are killed. A Dask local cluster is closed by :func:`dask_backend` itself.
    SIGKILL cannot be caught: after one, loky's workers notice that their parent is gone and
    exit once their current task ends, and an interrupted fold is never cached; workers
    of a local Dask cluster are stopped by their nanny.

    Examples
    --------
    >>> from skfmm.parallel import stop_workers_on_exit
    >>> with stop_workers_on_exit():
    ...     pass
    """
    installed, previous = False, None
    if threading.current_thread() is threading.main_thread():
        previous = signal.getsignal(signal.SIGTERM)

        def on_term(signum, frame):
            raise SystemExit(128 + signum)

        try:
            signal.signal(signal.SIGTERM, on_term)
            installed = True
        except ValueError:  # pragma: no cover - not the main interpreter
            pass
    try:
        yield
    finally:
        try:
            _kill_loky_workers()
        finally:
            if installed:
                signal.signal(signal.SIGTERM, previous)
