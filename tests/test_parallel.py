"""Tests of skfmm.parallel.dask_backend: folds run on a loopback LocalCluster started and
stopped by the test, with the same results as a local run."""

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skfmm.evaluation import METRICS, fit_predict, nested_cross_validate, permutation_test
from skfmm.parallel import dask_backend, limit_worker_threads

pytest.importorskip("distributed")  # an optional extra: skfmm[dask]

GRID = {"logisticregression__C": [0.1, 1.0]}


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    with threadpool_limits(limits=1):
        yield


def _problem():
    rng = np.random.default_rng(0)
    y = rng.permutation(np.repeat(["placebo", "responder"], 20))
    X = rng.normal(size=(40, 4)) + (y == "responder")[:, None]
    return X, y


WHERE = []


def recording_fitter(estimator, X_train, y_train, X_test, y_test):
    """The default fitter, noting which Dask worker (if any) ran the fold."""
    from distributed import get_worker

    try:
        WHERE.append(get_worker().address)
    except ValueError:
        WHERE.append(None)
    return fit_predict(estimator, X_train, y_train, X_test)


def _run(**kwargs):
    X, y = _problem()
    est = make_pipeline(StandardScaler(), LogisticRegression())
    return nested_cross_validate(est, X, y, param_grid=GRID, n_repeats=2, verbose=0, **kwargs)


def _assert_same(a, b):
    cols = ["repeat", "fold", *METRICS, "best_params"]
    # Other workers may run other BLAS thread counts: the same to rounding (rtol 1e-9 on float
    # columns; labels, folds and best_params exactly), not bit for bit (issue 21).
    pd.testing.assert_frame_equal(a.folds[cols], b.folds[cols], check_exact=False, rtol=1e-9)
    pd.testing.assert_frame_equal(a.predictions, b.predictions, check_exact=False, rtol=1e-9)


def test_dask_local_cluster_gives_the_local_results():
    WHERE.clear()
    local = _run(n_jobs=1, fold_fitter=recording_fitter)
    assert WHERE == [None] * 10
    WHERE.clear()
    with dask_backend("local", n_workers=2, processes=False, resources={"GPU": 1}) as client:
        backend, n_jobs = joblib.parallel.get_active_backend()
        assert type(backend).__name__ == "DaskDistributedBackend" and n_jobs == -1
        assert backend.submit_kwargs == {"resources": {"GPU": 1}}  # each task asks for a GPU
        info = client.scheduler_info()["workers"]
        assert [w["resources"] for w in info.values()] == [{"GPU": 1}] * 2
        workers = set(info)
        on_dask = _run(fold_fitter=recording_fitter)
        X, y = _problem()
        perm_dask = permutation_test(LogisticRegression(), X, y, n_permutations=5, n_repeats=1, verbose=0)
    assert client.status == "closed"
    assert len(WHERE) == 10 and set(WHERE) <= workers  # every fold ran on a cluster worker
    _assert_same(local, on_dask)
    perm_local = permutation_test(LogisticRegression(), X, y, n_permutations=5, n_repeats=1, verbose=0)
    np.testing.assert_allclose(perm_dask.null_distribution, perm_local.null_distribution,
                               rtol=1e-9)  # to rounding: other threads on the workers
    backend, _ = joblib.parallel.get_active_backend()
    assert type(backend).__name__ != "DaskDistributedBackend"  # restored on exit


def test_dask_backend_none_is_a_no_op_and_bad_arguments_are_refused():
    before = joblib.parallel.get_active_backend()[0]
    with dask_backend(None) as client:
        assert client is None
        assert type(joblib.parallel.get_active_backend()[0]) is type(before)
    with pytest.raises(ValueError, match="n_workers"):
        with dask_backend("local", n_workers=0):
            pass
    with pytest.raises(TypeError, match="address"):
        with dask_backend(8786):
            pass


def test_limit_worker_threads_sets_torch_and_environment(monkeypatch):
    torch = pytest.importorskip("torch")
    previous = torch.get_num_threads()
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        monkeypatch.setenv(name, "8")
    try:
        assert limit_worker_threads(1) == 1
        assert torch.get_num_threads() == 1
        import os

        assert os.environ["OMP_NUM_THREADS"] == "1"
    finally:
        torch.set_num_threads(previous)


@pytest.mark.slow
def test_dask_worker_processes_limit_threads_and_match_local_run():
    local = _run(n_jobs=1)
    with dask_backend("local", n_workers=2, processes=True, torch_threads=1) as client:
        threads = client.run(lambda: __import__("torch").get_num_threads())
        env = client.run(lambda: __import__("os").environ.get("OMP_NUM_THREADS"))
        addresses = list(client.scheduler_info()["workers"])
        on_dask = _run()
    assert len(threads) == 2 and set(threads.values()) == {1}
    assert set(env.values()) == {"1"}
    assert all(a.startswith("tcp://127.0.0.1:") for a in addresses)  # loopback only
    _assert_same(local, on_dask)
