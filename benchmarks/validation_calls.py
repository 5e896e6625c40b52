"""Count the input validation work of one ``FMMTCClassifier.fit`` and one ``predict_proba``.

Traces (``sys.setprofile``) every call of the input checks while one public call runs:

- ``check_multimodal`` (the container check),
- ``check_float_array`` (dtype, rank and finiteness of one container key),
- the embedder's ``_check_arrays`` / ``_read_input`` (finiteness of ``ts`` and ``xyz`` and the
  re-read of a container inside :class:`skfmm.BrainLMEmbedder`; not counted when called with
  ``check_input=False``, where it passes checked arrays through),

and prints, per public call, the number of calls of each, the finiteness checks of the time
series (``ts``), and the container re-checks: ``check_multimodal`` calls after the first of
the public call (the same ``X`` validated again on its way down the layers, by the
classifier's own helpers or by the embedder in ``skfmm.foundation``).

Run: ``PYTHONPATH=. OMP_NUM_THREADS=1 python benchmarks/validation_calls.py`` (seconds; a
tiny random BrainLM, 16 subjects, one epoch). Figures are in docs/architecture.md.
"""

from __future__ import annotations

import collections
import sys
import warnings

import numpy as np

CHECKS = {"check_multimodal", "check_float_array", "_check_arrays", "_read_input"}


def trace(call):
    """Run ``call()`` and return the counts of the checks it made."""
    counts = collections.Counter()

    def profile(frame, event, arg):
        if event != "call" or frame.f_code.co_name not in CHECKS:
            return
        if "skfmm/" not in frame.f_code.co_filename.replace("\\", "/"):
            return
        name = frame.f_code.co_name
        if name == "_read_input" and not frame.f_locals.get("check_input", True):
            return  # a pass-through: the caller checked the arrays (check_input=False)
        key = frame.f_locals.get("key") if name == "check_float_array" else None
        counts[name] += 1
        if name == "check_float_array" and key == "ts" or name == "_check_arrays":
            counts["finiteness of ts"] += 1
        if name == "check_multimodal" and counts[name] > 1:
            counts["container re-checks"] += 1

    sys.setprofile(profile)
    try:
        call()
    finally:
        sys.setprofile(None)
    return counts


def main():
    import torch

    from skfmm import FMMTCClassifier, MultimodalData
    from skfmm.foundation import BrainLM, BrainLMConfig

    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(0)
    n, T, R = 16, 40, 6
    X = MultimodalData(ts=rng.standard_normal((n, T, R)).astype("float32"),
                       xyz=rng.uniform(-60, 60, (n, R, 3)).astype("float32"),
                       fc=rng.standard_normal((n, R, R)).astype("float32"),
                       covariates=rng.normal(50, 10, (n, 2)))
    y = np.array(["a", "b"] * (n // 2))
    cfg = BrainLMConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, timepoint_patching_size=10,
                        decoder_hidden_size=16, decoder_intermediate_size=32)
    lm = BrainLM(cfg, with_decoder=False, random_state=0)
    rows = []
    for standardize in (False, True):
        clf = FMMTCClassifier(foundation_model=lm, fc_encoder="mlp", max_epochs=1,
                              train_split=None, verbose=0, random_state=0,
                              standardize_embedding=standardize)
        rows.append((f"fit (standardize_embedding={standardize})", trace(lambda: clf.fit(X, y))))
        rows.append(("predict_proba", trace(lambda: clf.predict_proba(X))))
    columns = ["check_multimodal", "check_float_array", "_read_input", "_check_arrays",
               "finiteness of ts", "container re-checks"]
    print(f"{'public call':38s}" + "".join(f"{c:>21s}" for c in columns))
    for label, counts in rows:
        print(f"{label:38s}" + "".join(f"{counts.get(c, 0):>21d}" for c in columns))


if __name__ == "__main__":
    main()
