"""Fixtures shared by the tests of skfmm.evaluation."""

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    # Tiny fits are ~30x slower when BLAS spreads them over threads of a busy 2-core box.
    with threadpool_limits(limits=1):
        yield
