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
    check_int,
    check_positive_int,
    check_real,
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


def test_check_positive_int_with_caller_and_none():
    assert check_positive_int(None, "top", allow_none=True) is None
    with pytest.raises(ValueError, match=r"^dask_backend: 'n_workers' must be an integer >= 1; "
                                         r"got 0\.$"):
        check_positive_int(0, "n_workers", who="dask_backend")
    with pytest.raises(ValueError, match=r"^f: 'top' must be an integer >= 1 or None; got 'a'"):
        check_positive_int("a", "top", allow_none=True, who="f")
    with pytest.raises(ValueError, match=r"'n_steps' must be an integer >= 1; got None"):
        check_positive_int(None, "n_steps")
    with pytest.raises(ValueError, match=r"'k' must be an integer >= 2; got 1"):
        check_positive_int(1, "k", minimum=2)


def test_check_int_names_type_and_range():
    assert check_int(np.int32(20), "n_regions", 16, 1000) == 20
    assert type(check_int(np.int32(20), "n_regions", 16)) is int
    with pytest.raises(TypeError, match=r"'n_regions' must be an integer; got 2\.5 \(float\)"):
        check_int(2.5, "n_regions", 16)
    with pytest.raises(TypeError, match="integer; got True"):
        check_int(True, "n", 0)
    with pytest.raises(ValueError, match=r"^'n' must be at least 16 and at most 1000; got 5\.$"):
        check_int(5, "n", 16, 1000)
    with pytest.raises(ValueError, match=r"^'n' must be at least 2; got 1\.$"):
        check_int(1, "n", 2)
    with pytest.raises(ValueError, match=r"^g: 'n' must be at most 3; got 4\.$"):
        check_int(4, "n", maximum=3, who="g")


def test_check_real_names_type_and_interval():
    assert check_real(np.float32(0.5), "ci", 0, 1, low_open=True, high_open=True) == 0.5
    assert check_real(3, "t_r", 0.1, 10) == 3.0 and type(check_real(3, "t_r")) is float
    for bad, interval in ((0.0, r"in \(0, 1\)"), (1.0, r"in \(0, 1\)")):
        with pytest.raises(ValueError, match=f"^s: 'ci' must be {interval}; got {bad!r}\\.$"):
            check_real(bad, "ci", 0, 1, low_open=True, high_open=True, who="s")
    with pytest.raises(ValueError, match=r"'x' must be in \[0, 1\]; got nan"):
        check_real(float("nan"), "x", 0, 1)
    with pytest.raises(ValueError, match=r"'r' must be > 0; got inf"):
        check_real(float("inf"), "r", 0, low_open=True)
    with pytest.raises(ValueError, match=r"'r' must be <= 2; got 3"):
        check_real(3, "r", high=2)
    with pytest.raises(ValueError, match=r"'r' must be finite; got inf"):
        check_real(float("inf"), "r")
    with pytest.raises(TypeError, match=r"'noise' must be a non-negative number; got '1'"):
        check_real("1", "noise", 0, kind="a non-negative number")
    with pytest.raises(TypeError, match=r"'noise' must be a number; got True"):
        check_real(True, "noise")
    with pytest.raises(ValueError, match=r"'t_r' must be between 0.1 and 10 seconds; got 20"):
        check_real(20, "t_r", 0.1, 10, bounds="between 0.1 and 10 seconds")


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
