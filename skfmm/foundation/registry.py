"""Named foundation models: a BrainLM directory, or the small ``"demo"`` model built on first use.

The demo is pretrained on the simulated corpus and cached in ``$SKFMM_CACHE_DIR`` (default ``~/.cache/skfmm``).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

from skfmm.foundation.brainlm import CONFIG_NAME, BrainLM, BrainLMConfig
from skfmm.utils.threads import limited_threads

__all__ = ["load_foundation_model", "get_cache_dir", "DEMO_CONFIG", "DEMO_RECIPE"]

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

#: How the demo is pretrained (a change here changes its cache folder). Steps on random
#: 20-parcel blocks are ~5x cheaper than on all 100 parcels; the masked-autoencoder loss
#: sits on the "predict the mean" plateau for the first ~500-1100 steps before the model
#: learns to reconstruct a patch from its network's visible parcels, so the schedule is
#: 3000 steps (~3 CPU minutes on 2 cores).
DEMO_RECIPE = dict(
    builder=5,  # bump when pretrain_brainlm or make_pretraining_corpus change what they compute
    corpus=dict(n_subjects=200, n_regions=100, n_timepoints=300, random_state=0),
    train=dict(n_epochs=120, batch_size=8, lr=1e-3, warmup=50, window=200, region_block=20,
               standardize="zscore", random_state=0),
)

#: torch threads of the demo build (fixed, so that every machine computes the same steps).
DEMO_BUILD_THREADS = 2

_LOADED = {}
_LOCK = threading.Lock()


def get_cache_dir(cache_dir=None):
    """The skfmm cache folder: ``cache_dir``, else ``$SKFMM_CACHE_DIR``, else ``~/.cache/skfmm``.

    Examples
    --------
    >>> from skfmm.foundation.registry import get_cache_dir
    >>> str(get_cache_dir("/tmp/x"))
    '/tmp/x'
    """
    if cache_dir is None:
        cache_dir = os.environ.get("SKFMM_CACHE_DIR") or Path.home() / ".cache" / "skfmm"
    return Path(os.fspath(cache_dir)).expanduser()


def _demo_id():
    blob = json.dumps({"config": DEMO_CONFIG, "recipe": DEMO_RECIPE}, sort_keys=True)
    return "demo-" + hashlib.sha256(blob.encode()).hexdigest()[:12]


def demo_model_dir(cache_dir=None):
    """Folder where the demo model is (or will be) stored."""
    return get_cache_dir(cache_dir) / "foundation" / _demo_id()


def build_demo_model(directory, *, verbose=1):
    """Pretrain the demo model (deterministic) and save it to ``directory``."""
    from skfmm.datasets import make_pretraining_corpus
    from skfmm.foundation.pretrain import pretrain_brainlm

    corpus = make_pretraining_corpus(**DEMO_RECIPE["corpus"])
    # torch's CPU kernels round differently with different thread counts, which over 3000
    # steps gives visibly different weights: build with a fixed count, whatever the caller's.
    with limited_threads(DEMO_BUILD_THREADS, blas=False):
        model = pretrain_brainlm(
            corpus.timeseries, corpus.coords, BrainLMConfig(**DEMO_CONFIG),
            verbose=verbose, **DEMO_RECIPE["train"],
        )
    model.config.extra["skfmm_model"] = _demo_id()
    model.save_pretrained(directory)
    history = Path(directory) / "pretraining_history.json"
    history.write_text(json.dumps(model.pretraining_history_, indent=1) + "\n")
    return model


def _ensure_demo(cache_dir, verbose):
    target = demo_model_dir(cache_dir)
    if (target / CONFIG_NAME).is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    lock = target.with_suffix(".lock")
    deadline = time.monotonic() + 1800
    while True:
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            os.write(fd, str(os.getpid()).encode())
            os.close(fd)
            break
        except FileExistsError:
            # Another process builds it: wait, unless its builder died (stale lock).
            if (target / CONFIG_NAME).is_file():
                return target
            if _lock_is_stale(lock):
                lock.unlink(missing_ok=True)
                continue
            if time.monotonic() > deadline:
                raise TimeoutError(f"load_foundation_model: gave up waiting for lock '{lock}'.")
            time.sleep(1.0)
    try:
        if not (target / CONFIG_NAME).is_file():
            if verbose:
                print(f"[skfmm] building the demo BrainLM (once; about 3 minutes) in {target}")
            tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=target.parent))
            try:
                build_demo_model(tmp, verbose=verbose)
                os.replace(tmp, target)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    finally:
        lock.unlink(missing_ok=True)
    return target


def _lock_is_stale(lock):
    try:
        text = lock.read_text().strip()
        age = time.time() - lock.stat().st_mtime
    except FileNotFoundError:
        return False
    if age > 3600:
        return True
    if text.isdigit():
        try:
            os.kill(int(text), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
    return False


def load_foundation_model(name_or_path, *, cache_dir=None, verbose=1):
    """Load a foundation model by name or directory.

    Parameters
    ----------
    name_or_path : str or path-like
        A directory holding a BrainLM ``config.json`` and weights (the released GitHub
        checkpoint, a Hugging Face download, or one written by ``save_pretrained``), or
        ``"demo"``: a small BrainLM (hidden 64, 2 layers, 4 heads, patch 20, window 200)
        pretrained with :func:`pretrain_brainlm` on ``make_pretraining_corpus`` data, built
        deterministically on first use (1-2 minutes on 2 CPU cores) and cached on disk. The
        demo expects per-parcel z-scored windows (``standardize="zscore"``); the released
        BrainLM expects ``standardize="brainlm"`` (see ``model.config.input_scaling``).
    cache_dir : str or path-like, optional
        Where the demo is cached; default ``$SKFMM_CACHE_DIR`` or ``~/.cache/skfmm``.
    verbose : int, default=1
        Progress output while building the demo.

    Returns
    -------
    model : BrainLM
        In eval mode on the CPU; a fresh copy on every call.

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
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise TypeError(
            "load_foundation_model: 'name_or_path' must be 'demo' or a directory path; "
            f"got {type(name_or_path).__name__}."
        )
    if os.fspath(name_or_path) == "demo":
        directory = _ensure_demo(cache_dir, verbose)
    else:
        directory = Path(os.fspath(name_or_path)).expanduser()
        if not directory.is_dir():
            raise ValueError(
                f"load_foundation_model: unknown model {os.fspath(name_or_path)!r}. Options: "
                "'demo' (small BrainLM pretrained on simulated data, built on first use) or "
                "the path of a directory with a BrainLM config.json + pytorch_model.bin / "
                "model.safetensors (e.g. the released checkpoint "
                "'2023-06-06-22_15_00-checkpoint-1400' from github.com/vandijklab/BrainLM, or "
                "a download of huggingface.co/vandijklab/brainlm; see docs/foundation.md)."
            )
    return _load_cached(directory)


def _load_cached(directory):
    # One disk read per directory and weights version in a process; callers get copies.
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
