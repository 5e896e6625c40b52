"""Named foundation models: a BrainLM directory, or ``"demo"``, whose weights ship with skfmm.

The demo was pretrained by :func:`build_demo_model` (``skfmm pretrain --demo --rebuild``).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import threading
import time
from pathlib import Path

from skfmm.foundation.brainlm import CONFIG_NAME, SAFE_WEIGHTS_NAME, BrainLM, BrainLMConfig
from skfmm.utils.threads import available_cpus, limited_threads

from typing import TYPE_CHECKING
from skfmm.utils._docs import fill_doc

if TYPE_CHECKING:  # hints only
    from skfmm._typing import PathLike

__all__ = ["load_foundation_model", "build_demo_model", "DEMO_CONFIG", "DEMO_RECIPE", "DEMO_DIR"]

#: Architecture of the demo model (CPU friendly; same design as the released BrainLM).
DEMO_CONFIG = dict(
    # encoder
    hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=256,
    # MAE decoder
    decoder_hidden_size=64, decoder_num_hidden_layers=1, decoder_num_attention_heads=4,
    decoder_intermediate_size=256,
    # input: 200-volume windows in patches of 20
    timepoint_patching_size=20, num_timepoints_per_voxel=200,
    mask_ratio=0.2,
    conv_kernel_size=65,
    # The CLS stays out of the depthwise convolution, so that it summarises the window
    # instead of carrying the first parcels' content (docs/foundation.md, measured).
    cls_in_conv=False,
)

#: How the demo is pretrained (a change here changes its model id). The corpus makes the
#: parcel-local dynamics a large share of the signal (local weight 0.5-0.9, shared network
#: fluctuations 0.1-0.4) with local timescales of 1-20 s, so that a run's timescale shows in
#: its autocorrelation and the model has to encode it (with the corpus's default ranges, the
#: timescale barely shows and no recipe learned it: docs/foundation.md). Steps on random
#: 20-parcel blocks are ~5x cheaper than on all 100 parcels; the masked-autoencoder loss sits
#: on the "predict the mean" plateau for the first ~500-1500 steps, hence 3000 steps.
DEMO_RECIPE = dict(
    builder=6,  # bump when pretrain_brainlm or make_pretraining_corpus change what they compute
    corpus=dict(n_subjects=200, n_regions=100, n_timepoints=300, random_state=0,
                param_ranges={"local_weight": [0.5, 0.9], "network_weight": [0.1, 0.4],
                              "timescale": [1.0, 20.0], "noise_level": [0.05, 0.3]}),
    train=dict(n_epochs=120, batch_size=8, lr=1e-3, warmup=50, window=200, region_block=20,
               standardize="zscore", random_state=0),
)

#: torch threads of the demo build: the shipped weights were computed with this many. A
#: rebuild uses fewer when the caller's setting or the CPUs available are fewer (torch then
#: rounds differently, so the weights differ slightly from the shipped ones).
DEMO_BUILD_THREADS = 2

#: Where the demo's weights ship inside the package: config.json, model.safetensors and
#: build.json (the recipe, the thread count, the loss curve and the weights' sha256).
DEMO_DIR = Path(__file__).parent / "demo"
BUILD_RECORD = "build.json"

_LOADED = {}
_LOCK = threading.Lock()


def _demo_id():
    blob = json.dumps({"config": DEMO_CONFIG, "recipe": DEMO_RECIPE}, sort_keys=True)
    return "demo-" + hashlib.sha256(blob.encode()).hexdigest()[:12]


def file_sha256(path):
    """sha256 (hex) of a file's bytes.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from skfmm.foundation.registry import file_sha256
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "empty"
    >>> _ = path.write_bytes(b"")
    >>> file_sha256(path)[:12]
    'e3b0c44298fc'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def config_sha256(path):
    """sha256 (hex) of a ``config.json``'s content: its fields, whatever the layout.

    The file is parsed and written again with sorted keys and no spaces before hashing, so
    re-indenting it changes nothing while any field's change (``cls_in_conv``, ``skfmm_t_r``,
    a size) changes the digest.

    Examples
    --------
    >>> import json, os, tempfile
    >>> from skfmm.foundation.registry import config_sha256
    >>> folder = tempfile.mkdtemp()
    >>> a, b = os.path.join(folder, "a.json"), os.path.join(folder, "b.json")
    >>> _ = open(a, "w").write(json.dumps({"x": 1, "y": 2}))
    >>> _ = open(b, "w").write(json.dumps({"y": 2, "x": 1}, indent=4))
    >>> config_sha256(a) == config_sha256(b)
    True
    """
    with open(path, encoding="utf-8") as fh:
        content = json.load(fh)
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


@fill_doc
def build_demo_model(directory, *, verbose=1):
    """Pretrain the demo model with its recipe and write it, with its build record, to ``directory``.

    ``directory`` receives ``config.json``, ``model.safetensors``, ``pretraining_history.json``
    and ``build.json``: the config and recipe, the torch version and thread count, the build
    time, the per-epoch loss curve and the sha256 of ``model.safetensors``. The shipped demo
    (:data:`DEMO_DIR`) was made this way; ``skfmm pretrain --demo --rebuild --output DIR``
    runs it.

    torch uses :data:`DEMO_BUILD_THREADS` threads, or fewer when the caller's
    ``torch.get_num_threads()`` or the CPUs this process may use are fewer.

    Parameters
    ----------
    directory : str or path
    %(verbose)s
        Passed to :func:`~skfmm.foundation.pretrain_brainlm` (1: its progress bar; 2: a line
        per epoch too).

    Returns
    -------
    BrainLM

    Examples
    --------
    >>> from skfmm.foundation.registry import build_demo_model
    >>> # build_demo_model("/tmp/demo")  # a few CPU minutes
    """
    import torch

    from skfmm.datasets import make_pretraining_corpus
    from skfmm.foundation.pretrain import pretrain_brainlm

    corpus = make_pretraining_corpus(**DEMO_RECIPE["corpus"])
    # torch's CPU kernels round differently with different thread counts, which over thousands
    # of steps gives visibly different weights: a fixed count, capped by what is available.
    threads = max(1, min(DEMO_BUILD_THREADS, available_cpus(), torch.get_num_threads()))
    start = time.perf_counter()
    with limited_threads(threads, blas=False):
        model = pretrain_brainlm(
            corpus.timeseries, corpus.coords, BrainLMConfig(**DEMO_CONFIG),
            verbose=verbose, **DEMO_RECIPE["train"],
        )
    seconds = time.perf_counter() - start
    model.config.extra["skfmm_model"] = _demo_id()
    # The corpus's repetition time: extractors compare a cohort's TR with it.
    model.config.extra["skfmm_t_r"] = float(corpus.t_r)
    held_out = demo_held_out_mse(model)
    directory = Path(os.fspath(directory))
    model.save_pretrained(directory, safe_serialization=True)
    history = model.pretraining_history_
    (directory / "pretraining_history.json").write_text(json.dumps(history, indent=1) + "\n")
    record = {
        "model": _demo_id(),
        "config": DEMO_CONFIG,
        "recipe": DEMO_RECIPE,
        "torch": torch.__version__,
        "threads": threads,
        "seconds": round(seconds, 1),
        "epochs": len(history),
        "loss": [round(h["loss"], 5) for h in history],
        "held_out_masked_mse": held_out,
        "sha256": file_sha256(directory / SAFE_WEIGHTS_NAME),
        # Every field of config.json defines the computation (cls_in_conv, skfmm_t_r...):
        # the demo's verification covers the whole file, not the weights only.
        "config_sha256": config_sha256(directory / CONFIG_NAME),
    }
    (directory / BUILD_RECORD).write_text(json.dumps(record, indent=1) + "\n")
    return model


#: Subjects the demo never saw (a seed its corpus did not use), on which its masked-patch
#: error is recorded and tested: the pretraining corpus's distribution, 200-volume runs.
HELD_OUT = dict(n_subjects=60, n_timepoints=200, random_state=123)


def demo_held_out_corpus(n_subjects=HELD_OUT["n_subjects"]):
    """Held-out subjects from the demo's pretraining distribution, z-scored windows.

    :func:`~skfmm.datasets.make_pretraining_corpus` with the demo recipe's corpus settings,
    200 volumes and ``random_state=123`` (the demo is pretrained on ``random_state=0``).

    Returns
    -------
    corpus : Bunch
        As :func:`~skfmm.datasets.make_pretraining_corpus` returns it.
    ts : ndarray of shape (n_subjects, 200, n_regions), float32

    Examples
    --------
    >>> from skfmm.foundation.registry import demo_held_out_corpus
    >>> corpus, ts = demo_held_out_corpus(4)
    >>> ts.shape
    (4, 200, 100)
    """
    import numpy as np

    from skfmm.datasets import make_pretraining_corpus
    from skfmm.foundation.scaling import scale_window

    settings = {**DEMO_RECIPE["corpus"], "n_subjects": n_subjects,
                "n_timepoints": HELD_OUT["n_timepoints"],
                "random_state": HELD_OUT["random_state"]}
    corpus = make_pretraining_corpus(**settings)
    ts = np.stack([scale_window(s, "zscore") for s in corpus.timeseries]).astype(np.float32)
    return corpus, ts


def demo_held_out_mse(model):
    """Masked-patch MSE of ``model`` (and of predicting zeros) on the demo's held-out subjects.

    :func:`demo_held_out_corpus` (60 subjects), fixed masks
    (:func:`~skfmm.foundation.masked_patch_mse`, ``random_state=5``), rounded to 4 decimals.

    Examples
    --------
    >>> from skfmm.foundation import load_foundation_model
    >>> from skfmm.foundation.registry import demo_held_out_mse
    >>> scores = demo_held_out_mse(load_foundation_model("demo"))
    >>> scores["model"] < scores["zeros"]
    True
    """
    from skfmm.foundation.pretrain import masked_patch_mse

    corpus, ts = demo_held_out_corpus()
    scores = masked_patch_mse(model, ts, corpus.coords, random_state=5)
    return {k: round(float(v), 4) for k, v in scores.items()}


def _shipped_demo(directory=None):
    """The shipped demo's folder, after checking its files against the build record."""
    directory = DEMO_DIR if directory is None else Path(directory)
    rebuild = ("reinstall skfmm, or rebuild the demo with `skfmm pretrain --demo --rebuild "
               "--output DIR` (a few CPU minutes) and load it with "
               "load_foundation_model('DIR')")
    needed = (CONFIG_NAME, SAFE_WEIGHTS_NAME, BUILD_RECORD)
    missing = [name for name in needed if not (directory / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"load_foundation_model('demo'): the demo's shipped files {missing} are missing "
            f"from {directory}; {rebuild}."
        )
    try:
        record = json.loads((directory / BUILD_RECORD).read_text())
        expected, expected_config = record["sha256"], record["config_sha256"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(
            f"load_foundation_model('demo'): {directory / BUILD_RECORD} is unreadable "
            f"({exc}); {rebuild}."
        ) from None
    actual = file_sha256(directory / SAFE_WEIGHTS_NAME)
    if actual != expected:
        raise ValueError(
            f"load_foundation_model('demo'): {directory / SAFE_WEIGHTS_NAME} is corrupted "
            f"(sha256 {actual[:16]}..., expected {expected[:16]}... from {BUILD_RECORD}); "
            f"{rebuild}."
        )
    try:
        actual_config = config_sha256(directory / CONFIG_NAME)
    except (OSError, ValueError) as exc:
        actual_config = f"unreadable ({type(exc).__name__}: {exc})"
    if actual_config != expected_config:
        raise ValueError(
            f"load_foundation_model('demo'): {directory / CONFIG_NAME} is not the demo's "
            f"(content sha256 {actual_config[:16]}..., expected {expected_config[:16]}... from "
            f"{BUILD_RECORD}): a changed field such as cls_in_conv or skfmm_t_r changes what "
            f"the model computes; {rebuild}."
        )
    return directory


@fill_doc
def load_foundation_model(name_or_path: str | PathLike | BrainLM, *,
                          revision: str | None = None, cache_dir: PathLike | None = None,
                          local_files_only: bool = False, verbose: int = 1) -> BrainLM:
    """Load a foundation model by name, directory or Hugging Face hub id.

    Parameters
    ----------
    name_or_path : str or path-like
        A directory holding a BrainLM ``config.json`` and weights (the released GitHub
        checkpoint, a Hugging Face download, or one written by ``save_pretrained``);
        a Hugging Face hub id ``"owner/name/subfolder"``, e.g. ``"vandijklab/brainlm/old_13M"``
        (the released weights, resolved with :func:`huggingface_hub.snapshot_download`
        into the hub's cache; needs ``pip install "skfmm[hub]"``; a string is a hub id only
        when no folder of that name exists); or ``"demo"``: a small BrainLM pretrained with
        :func:`pretrain_brainlm` on ``make_pretraining_corpus`` data, whose weights ship with
        skfmm (:data:`DEMO_DIR`, checked against their sha256 on load; a missing or corrupted
        file is an error that says how to rebuild, never a silent fallback). The demo expects
        per-parcel z-scored windows (``standardize="zscore"``); the released BrainLM expects
        ``standardize="brainlm"`` (see ``model.config.input_scaling``).
    revision : str, optional
        Hub ids only: branch, tag or commit to load (default ``main``); a commit hash pins
        the weights.
    %(cache_dir_hub)s
    local_files_only : bool, default=False
        Hub ids only: never go online, use the cache (``HF_HUB_OFFLINE=1`` does the same).
    verbose : int, default=1
        Kept for callers that pass it; loading prints nothing.

    Returns
    -------
    model : BrainLM
        In eval mode on the CPU; a fresh copy on every call.

    Raises
    ------
    ImportError
        A hub id without ``huggingface_hub`` installed.
    FileNotFoundError
        A hub id that does not exist on the hub (or in the cache when offline).
    ValueError
        A name that is neither ``"demo"``, a directory nor a hub id.

    Examples
    --------
    >>> import tempfile
    >>> from skfmm.foundation import BrainLM, BrainLMConfig, load_foundation_model
    >>> path = tempfile.mkdtemp()
    >>> BrainLM(BrainLMConfig(hidden_size=16, num_hidden_layers=1, intermediate_size=32),
    ...         with_decoder=False).save_pretrained(path)
    >>> load_foundation_model(path).config.hidden_size
    16
    """
    if isinstance(name_or_path, BrainLM):
        return name_or_path
    return load_cached(resolve_foundation_dir(
        name_or_path, revision=revision, cache_dir=cache_dir,
        local_files_only=local_files_only))


def resolve_foundation_dir(name_or_path, *, revision=None, cache_dir=None,
                           local_files_only=False):
    """The local folder behind a foundation model name (``"demo"``, a folder or a hub id).

    Examples
    --------
    >>> from skfmm.foundation.registry import DEMO_DIR, resolve_foundation_dir
    >>> resolve_foundation_dir("demo") == DEMO_DIR
    True
    """
    from skfmm.foundation.hub import is_hub_id, resolve_pretrained

    if not isinstance(name_or_path, (str, os.PathLike)):
        raise TypeError(
            "load_foundation_model: 'name_or_path' must be 'demo', a directory path or a "
            f"Hugging Face hub id; got {type(name_or_path).__name__}."
        )
    directory = Path(os.fspath(name_or_path)).expanduser()
    if os.fspath(name_or_path) == "demo" or directory.is_dir():
        from skfmm.foundation.hub import refuse_hub_options

        refuse_hub_options(os.fspath(name_or_path), revision, cache_dir,
                            "load_foundation_model")
        return _shipped_demo() if os.fspath(name_or_path) == "demo" else directory
    if isinstance(name_or_path, str) and is_hub_id(name_or_path):
        return resolve_pretrained(name_or_path, revision=revision, cache_dir=cache_dir,
                                  local_files_only=local_files_only,
                                  who="load_foundation_model")
    raise ValueError(
        f"load_foundation_model: unknown model {os.fspath(name_or_path)!r}. Options: "
        "'demo' (small BrainLM pretrained on simulated data, shipped with skfmm), "
        "a Hugging Face hub id such as 'vandijklab/brainlm/old_13M' (the released weights; "
        "pip install \"skfmm[hub]\") or the path of a directory with a BrainLM config.json + "
        "pytorch_model.bin / model.safetensors (e.g. the released checkpoint "
        "'2023-06-06-22_15_00-checkpoint-1400' from github.com/vandijklab/BrainLM; see "
        "docs/foundation.md)."
    )


def load_cached(directory):
    """The BrainLM saved in ``directory``, read once per folder and weights version.

    A process keeps one copy per folder, keyed by the folder and its files' sizes and
    modification times (rewritten weights are read again); each caller gets its own copy.

    Examples
    --------
    >>> from skfmm.foundation.registry import DEMO_DIR, load_cached
    >>> a, b = load_cached(DEMO_DIR), load_cached(DEMO_DIR)
    >>> a is b, a.fingerprint() == b.fingerprint()
    (False, True)
    """
    directory = Path(directory).resolve()
    stamps = tuple(
        (p.name, p.stat().st_mtime_ns, p.stat().st_size)
        for p in sorted(directory.iterdir()) if p.is_file()
    )
    key = (str(directory), stamps)
    with _LOCK:
        model = _LOADED.get(key)
    if model is None:
        model = BrainLM.from_pretrained(directory)
        model.fingerprint()
        with _LOCK:
            _LOADED.clear()  # keep one model (they can be large)
            _LOADED[key] = model
    clone = copy.deepcopy(model)
    clone._set_fingerprint(model.fingerprint())
    return clone
