"""skfmm.utils: the shared checks, device resolution, thread limits and pyplot."""

import numpy as np
import pytest
import torch

from skfmm.utils.device import resolve_device
from skfmm.utils.plotting import pyplot
from skfmm.utils.threads import limited_threads
from skfmm.utils.validation import (
    check_batch_coords,
    check_choice,
    check_float_array,
    check_positive_int,
    check_timeseries_list,
    n_rows,
)


def test_check_choice_and_positive_int_name_the_argument():
    assert check_choice("mean", ("cls", "mean"), "pooling") == "mean"
    with pytest.raises(ValueError, match=r"'pooling' must be one of \('cls', 'mean'\); got 'max'"):
        check_choice("max", ("cls", "mean"), "pooling")
    assert check_positive_int(np.int64(3), "window") == 3
    for bad in (0, 2.5, True, "3"):
        with pytest.raises(ValueError, match=f"'window' must be an integer >= 1; got {bad!r}"):
            check_positive_int(bad, "window")


def test_check_timeseries_list_refuses_what_it_cannot_use():
    out = check_timeseries_list(np.zeros((2, 10, 3)))
    assert [a.shape for a in out] == [(10, 3), (10, 3)] and out[0].dtype == np.float64
    with pytest.raises(ValueError, match="Wrap a single subject in a list"):
        check_timeseries_list(np.zeros((10, 3)))
    with pytest.raises(ValueError, match=r"'runs\[1\]' has 4 regions"):
        check_timeseries_list([np.zeros((5, 3)), np.zeros((5, 4))], argument="runs")
    bad = np.zeros((5, 3))
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match=r"'X\[0\]' contains NaN .*timepoint 2, region 1"):
        check_timeseries_list([bad])


def test_check_float_array_accepts_tensors_and_refuses_bad_values():
    arr = check_float_array(torch.ones(2, 3, dtype=torch.float64), "covariates", ndim=2)
    assert isinstance(arr, np.ndarray) and arr.dtype == np.float32 and arr.shape == (2, 3)
    with pytest.raises(ValueError, match="'ts' in X must be 3-D; got shape \\(2, 3\\)"):
        check_float_array(np.zeros((2, 3)), "ts", ndim=3)
    with pytest.raises(ValueError, match="'fc' in X contains NaN"):
        check_float_array(np.array([[np.inf]]), "fc", ndim=2)
    with pytest.raises(ValueError, match="'fc' in X must be numeric"):
        check_float_array(np.array([["a"]]), "fc", ndim=2)


def test_check_batch_coords_names_both_arrays():
    check_batch_coords((4, 6, 3), 4, 6)
    with pytest.raises(ValueError, match=r"'xyz' must have shape \(4, 6, 3\).*got shape \(4, 6\)"):
        check_batch_coords((4, 6), 4, 6)
    with pytest.raises(ValueError, match="'xyz' has 3 rows but 'ts' has batch size 4"):
        check_batch_coords((3, 6, 3), 4, 6)
    with pytest.raises(ValueError, match=r"^BrainLM: 'signal' has 6 regions \(in \[B, R, T\]\) "
                                         "but 'coords' has 5 coordinate rows"):
        check_batch_coords((4, 5, 3), 4, 6, argument="coords", data="signal",
                           data_layout="[B, R, T]", who="BrainLM: ")


def test_n_rows_of_arrays_lists_and_containers():
    assert n_rows(np.zeros((4, 2))) == 4
    assert n_rows([np.zeros((9, 2))] * 3) == 3
    assert n_rows({"ts": np.zeros((5, 10, 2)), "fc": np.zeros((5, 2, 2))}) == 5


def test_resolve_device():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    with pytest.raises(ValueError, match="'device' must be 'cpu', 'cuda', 'cuda:N' or 'auto'; "
                                         "got 'gpu0'"):
        resolve_device("gpu0")


def test_limited_threads_sets_and_restores_torch_and_blas():
    import scipy.linalg  # noqa: F401  (its BLAS loaded before the pools are read)
    from threadpoolctl import threadpool_info, threadpool_limits

    previous = torch.get_num_threads()
    torch.set_num_threads(2)  # the suite runs with 1: start from another count
    try:
        with threadpool_limits(limits=2):
            blas_before = {p["filepath"]: p["num_threads"] for p in threadpool_info()}
            assert set(blas_before.values()) == {2}
            with limited_threads(1):
                assert torch.get_num_threads() == 1
                assert all(p["num_threads"] == 1 for p in threadpool_info())
            assert torch.get_num_threads() == 2
            after = {p["filepath"]: p["num_threads"] for p in threadpool_info()}
            assert {k: after[k] for k in blas_before} == blas_before
            with limited_threads(None):
                assert torch.get_num_threads() == 2
            with pytest.raises(RuntimeError), limited_threads(1, blas=False):
                # torch's own OpenMP pool follows torch's count; the BLAS pools stay
                assert {p["num_threads"] for p in threadpool_info()
                        if p["user_api"] == "blas"} == {2}
                raise RuntimeError("restored even when the block raises")
            assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(previous)


def test_pyplot_draws_without_a_display(tmp_path, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    plt = pyplot()
    fig = plt.figure()
    fig.savefig(tmp_path / "f.png")
    plt.close(fig)
    assert (tmp_path / "f.png").stat().st_size > 0


def test_a_gpu_torch_cannot_use_is_refused_naming_the_argument(monkeypatch):
    """device='cuda' on a CPU-only torch: a ValueError naming the argument, not an assert."""
    import torch

    from skfmm import FMMTCClassifier
    from skfmm.utils.device import resolve_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match=r"'gpu'='cuda' asks for a CUDA GPU"):
        resolve_device("cuda", argument="gpu")
    with pytest.raises(ValueError, match=r"'device'='cuda:1'"):
        resolve_device("cuda:1")
    assert resolve_device("auto").type == "cpu"
    clf = FMMTCClassifier(foundation_model=None, modalities=("fc",), device="cuda")
    # refused in the parameter checks, before the labels or any data are looked at
    with pytest.raises(ValueError, match=r"'device'='cuda' asks for a CUDA GPU"):
        clf.fit(None, None)
