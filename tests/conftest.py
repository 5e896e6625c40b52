"""Common fixtures: small cohorts made by the tests themselves, offline."""

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_limits

from skfmm.foundation import BrainLM, BrainLMConfig

# Tiny fits are dominated by BLAS thread start-up on 2 cores (about 30x slower for a small
# logistic regression): the suite runs single-threaded unless --torch-threads says otherwise.
torch.set_num_threads(1)
threadpool_limits(1)


def pytest_addoption(parser):
    """Run the suite as another machine would: other thread counts, other batch compositions.

    A test that asserts bit equality between results computed with different batch
    compositions, thread counts or cache states fails under these options, as it would on
    another CPU (issue 21): ``pytest --torch-threads 2 --embedding-batch-size 3``.
    """
    group = parser.getgroup("skfmm")
    group.addoption("--torch-threads", type=int, default=1,
                    help="torch and BLAS threads of the test process (default 1)")
    group.addoption("--embedding-batch-size", type=int, default=None,
                    help="force every BrainLM embedding computation to batches of this size, "
                         "whatever the caller asked (default: the caller's batch_size)")


def pytest_configure(config):
    threads = config.getoption("--torch-threads")
    if threads < 1:
        raise pytest.UsageError(f"--torch-threads must be >= 1; got {threads}.")
    torch.set_num_threads(threads)
    threadpool_limits(threads)
    size = config.getoption("--embedding-batch-size")
    if size is not None and size < 1:
        raise pytest.UsageError(f"--embedding-batch-size must be >= 1; got {size}.")


@pytest.fixture(autouse=True)
def _forced_embedding_batch_size(request, monkeypatch):
    """Under ``--embedding-batch-size N`` every embedding is computed in batches of N."""
    size = request.config.getoption("--embedding-batch-size")
    if size is None:
        return
    from skfmm.foundation import embedder

    original = embedder._compute

    def compute(model, ts, xyz, rows, pooling, batch_size, device, verbose):
        return original(model, ts, xyz, rows, pooling, size, device, verbose)

    monkeypatch.setattr(embedder, "_compute", compute)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def small_runs(rng):
    """Six subjects, 5 regions, varying run lengths, raw-BOLD-like offsets."""
    lengths = [60, 55, 70, 40, 65, 58]
    return [500 + 10 * rng.standard_normal((n, 5)) for n in lengths]


@pytest.fixture
def small_coords(rng):
    return rng.uniform(-60, 60, size=(5, 3))


@pytest.fixture(scope="module")
def tiny_brainlm():
    cfg = BrainLMConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, timepoint_patching_size=10,
                        decoder_hidden_size=16, decoder_intermediate_size=32)
    return BrainLM(cfg, with_decoder=False, random_state=0)
