"""Adversarial sweep: inputs a new user could give, each classified by what skfmm does.

Each case runs in a forked child process (its own memory limit, its own in-process caches) in
a fresh folder, and is classified as one of

- ``clear``: refused with an error that names the argument or option (for the command line:
  one ``skfmm CMD: error: ...`` line naming the option, exit status 2 for a usage error and 1
  for an input error, no traceback);
- ``correct``: accepted, and the result is right (what the case checks);
- ``silent_wrong``: accepted, and the result is wrong or the input was ignored;
- ``crash``: refused, but unhelpfully: an error that does not name the argument, raised deep
  inside a library, a traceback, or the command line's wrong exit status / error style;
- ``write_outside``: a file was written outside the folder the user named.

Usage (issue 21)::

    PYTHONPATH=. python benchmarks/adversarial_sweep.py            # this checkout
    PYTHONPATH=/tmp/before python benchmarks/adversarial_sweep.py  # another one (the code
                                                                   # imported is PYTHONPATH's)
    ... --csv results.csv --only cli

The issue's own sweep had 351 cases (201 clear, 121 correct, 13 silent wrong, 14 crashes, 2
writes outside); this one re-runs the kinds that fell short and their neighbours.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

CASES = []
MEMORY_LIMIT = 6 * 2 ** 30  # a case asking for more is a crash, not a machine out of memory


def case(name, group, *, names=(), usage=False, command=None):
    """Register a case. ``names``: what a clear error must mention; ``usage``: CLI usage error;
    ``command``: the subcommand whose error style is expected (default: from the name)."""
    if command is None and name.startswith("skfmm "):
        command = name.split()[1]

    def register(fn):
        CASES.append(dict(name=name, group=group, fn=fn, names=names, usage=usage,
                          command=command))
        return fn

    return register


class Accepted(Exception):
    """Raised by a case whose call was accepted: ``correct`` tells how it went."""

    def __init__(self, correct, detail=""):
        super().__init__(detail)
        self.correct, self.detail = correct, detail


# ------------------------------------------------------------------------------ helpers
def fc_data(n=8, regions=5, seed=0):
    from skfmm import MultimodalData

    rng = np.random.default_rng(seed)
    return MultimodalData(fc=rng.standard_normal((n, regions, regions)).astype("float32"))


def fc_clf(**params):
    from skfmm import FMMTCClassifier

    base = dict(foundation_model=None, fc_encoder="mlp", modalities=("fc",), max_epochs=2,
                train_split=None, random_state=0, verbose=0)
    base.update(params)
    return FMMTCClassifier(**base)


def tiny_brainlm():
    from skfmm.foundation import BrainLM, BrainLMConfig

    cfg = BrainLMConfig(hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=16, timepoint_patching_size=10, conv_kernel_size=3)
    return BrainLM(cfg, with_decoder=False, random_state=0)


def runs(n=4, t=60, r=4, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((t, r)) for _ in range(n)]


def cli(argv):
    """Run ``skfmm ARGV`` in-process: (status, stderr)."""
    from skfmm.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            status = main(list(argv))
        except SystemExit as exc:
            status = exc.code
            if isinstance(status, str):  # a message raised past main: printed by Python
                err.write(status + "\n")
                status = 1
    return status, err.getvalue()


def fit_ok(clf, X, y):
    clf.fit(X, y)
    return clf


def demo_copy(tmp, change=None, truncate=False):
    from skfmm.foundation import registry

    copy = tmp / "demo"
    shutil.copytree(registry.DEMO_DIR, copy)
    registry.DEMO_DIR = copy
    if change:
        config = json.loads((copy / "config.json").read_text())
        (copy / "config.json").write_text(json.dumps({**config, **change}, indent=2))
    if truncate:
        w = copy / "model.safetensors"
        w.write_bytes(w.read_bytes()[:1000])
    return copy


def saved_tiny(tmp, **fields):
    path = tmp / "m"
    tiny_brainlm().save_pretrained(path, safe_serialization=True)
    config = json.loads((path / "config.json").read_text())
    config.update(fields)
    (path / "config.json").write_text(json.dumps(config))
    return path


def tiny_model_file(tmp):
    import joblib

    from skfmm import FMMTCClassifier, MultimodalData

    rng = np.random.default_rng(0)
    arrays = dict(ts=rng.standard_normal((8, 20, 5)).astype("float32"),
                  fc=rng.standard_normal((8, 5, 5)).astype("float32"),
                  xyz=rng.uniform(-60, 60, (8, 5, 3)))
    clf = FMMTCClassifier(foundation_model=None, fc_encoder="mlp", max_epochs=1,
                          train_split=None, random_state=0, verbose=0)
    clf.fit(MultimodalData(**arrays), [0, 1] * 4)
    joblib.dump(clf, tmp / "m.joblib")
    np.savez(tmp / "d.npz", **arrays)
    return ["interpret", "--model", str(tmp / "m.joblib"), "--data", str(tmp / "d.npz"),
            "--n-steps", "2", "--n-boot", "10", "--top-edges", "2"]


def pretrain_inputs(tmp):
    np.save(tmp / "ts.npy", 100 + np.random.default_rng(0).standard_normal((4, 40, 6)))
    (tmp / "c.dat").write_text("".join(f"{i + 1} {i} {2 * i} {3 * i}\n" for i in range(6)))
    cfg = dict(hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16,
               decoder_hidden_size=8, decoder_num_hidden_layers=1, decoder_num_attention_heads=2,
               decoder_intermediate_size=16, timepoint_patching_size=10, conv_kernel_size=3)
    (tmp / "cfg.json").write_text(json.dumps(cfg))
    return ["pretrain", "--timeseries", str(tmp / "ts.npy"), "--coords", str(tmp / "c.dat"),
            "--config", str(tmp / "cfg.json"), "--window", "40", "--epochs", "1",
            "--batch-size", "2", "--device", "cpu"]


# ------------------------------------------------------------------ API: fit and params
@case("fit(sample_weight=...) with weight 0 on a class", "api", names=("sample_weight",))
def _(tmp):
    X, y = fc_data(), np.array([0, 1] * 4)
    a = fc_clf().fit(X, y).predict_proba(X)
    b = fc_clf().fit(X, y, sample_weight=(y == 1).astype(float)).predict_proba(X)
    raise Accepted(not np.allclose(a, b), "weights changed nothing" if np.allclose(a, b) else "")


@case("fit with continuous y", "api", names=("continuous",))
def _(tmp):
    clf = fc_clf().fit(fc_data(), np.linspace(0.1, 0.9, 8))
    raise Accepted(False, f"trained a {len(clf.classes_)}-class model")


@case("fit with an unknown fit parameter", "api", names=("frobnicate",))
def _(tmp):
    fc_clf().fit(fc_data(), [0, 1] * 4, frobnicate=3)
    raise Accepted(False, "ignored")


for _param, _value in [("random_state", "abc"), ("random_state", -1), ("batch_size", 0),
                       ("batch_size", 2.5), ("embedding_batch_size", 0), ("lr", float("nan")),
                       ("lr", float("inf")), ("lr", -1e-3), ("max_epochs", 0),
                       ("modalities", "fc"), ("pooling", "max"), ("fc_encoder", "vgg"),
                       ("mixed_precision", "fp8"), ("train_split", "half")]:
    def _make(param=_param, value=_value):
        @case(f"FMMTCClassifier({param}={value!r})", "api", names=(param,))
        def _(tmp):
            extra = {}
            if param == "embedding_batch_size":
                extra = dict(foundation_model=tiny_brainlm(), modalities=("ts",))
            from skfmm import MultimodalData

            rng = np.random.default_rng(0)
            X = MultimodalData(ts=rng.standard_normal((8, 20, 5)).astype("float32"),
                               xyz=rng.uniform(-50, 50, (8, 5, 3)),
                               fc=rng.standard_normal((8, 5, 5)).astype("float32"))
            clf = fc_clf(**{**extra, param: value}).fit(X, [0, 1] * 4)
            proba = clf.predict_proba(X)
            raise Accepted(False, f"accepted (finite probabilities: "
                                  f"{bool(np.all(np.isfinite(proba)))})")
    _make()


@case("nested_cross_validate(outer_cv=StratifiedKFold(3), n_repeats=3)", "api",
      names=("n_repeats",))
def _(tmp):
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    from skfmm.evaluation import nested_cross_validate

    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 12)
    res = nested_cross_validate(LogisticRegression(), rng.normal(size=(24, 3)), y,
                                outer_cv=StratifiedKFold(3), n_repeats=3, verbose=0)
    raise Accepted(False, f"{len(res.folds)} folds: n_repeats ignored")


@case("fit with NaN labels", "api", names=("y", "missing"))
def _(tmp):
    fc_clf().fit(fc_data(), np.array([0, 1, np.nan, 1, 0, 1, 0, 1]))
    raise Accepted(False)


@case("fit with one class", "api", names=("two classes",))
def _(tmp):
    fc_clf().fit(fc_data(), [1] * 8)
    raise Accepted(False)


@case("fit with NaN in fc", "api", names=("fc",))
def _(tmp):
    X = fc_data()
    X["fc"][0, 0, 0] = np.nan
    fc_clf().fit(X, [0, 1] * 4)
    raise Accepted(False)


@case("fit with string labels", "api")
def _(tmp):
    clf = fc_clf().fit(fc_data(), np.array(["no", "yes"] * 4))
    raise Accepted(set(clf.predict(fc_data())) <= {"no", "yes"})


# ------------------------------------------------------------------ API: extraction
for _param, _value in [("resample_t_r", float("inf")), ("resample_t_r", float("nan")),
                       ("t_r", float("inf")), ("t_r", float("nan")), ("low_pass", float("nan")),
                       ("high_pass", float("inf")), ("window", 0), ("window", 1.5)]:
    def _make(param=_param, value=_value):
        @case(f"TimeSeriesExtractor({param}={value!r})", "signals", names=(param,))
        def _(tmp):
            from skfmm import TimeSeriesExtractor

            params = {"t_r": 2.0, "window": 20, param: value}
            X = TimeSeriesExtractor(**params, verbose=0).fit_transform(runs())
            raise Accepted(False, f"accepted ({X['ts'].shape})")
    _make()

for _param, _value in [("confounds_strategy", ("motion",)),
                       ("confounds_kwargs", {"motion": "basic"})]:
    def _make(param=_param, value=_value):
        @case(f"TimeSeriesExtractor({param}=...) on arrays", "signals", names=(param,))
        def _(tmp):
            from skfmm import TimeSeriesExtractor

            TimeSeriesExtractor(window=20, verbose=0, **{param: value}).fit_transform(runs())
            raise Accepted(False, "ignored")
    _make()


@case("TimeSeriesExtractor on runs shorter than the window (padded)", "signals")
def _(tmp):
    from skfmm import TimeSeriesExtractor

    X = TimeSeriesExtractor(window=80, verbose=0).fit_transform(runs(t=60))
    raise Accepted(X["ts"].shape[1] == 80)


@case("transform with confounds of the wrong length", "signals", names=("confounds",))
def _(tmp):
    from skfmm import TimeSeriesExtractor

    TimeSeriesExtractor(window=20, verbose=0).fit_transform(runs(), confounds=[None])
    raise Accepted(False)


# ------------------------------------------------------------------ checkpoints / config
@case("demo copy whose config sets cls_in_conv: true", "checkpoints", names=("config.json",))
def _(tmp):
    from skfmm.foundation import load_foundation_model

    demo_copy(tmp, {"cls_in_conv": True})
    load_foundation_model("demo")
    raise Accepted(False, "loaded as the verified demo")


@case("demo copy whose config sets skfmm_t_r: 0.72", "checkpoints", names=("config.json",))
def _(tmp):
    from skfmm.foundation import load_foundation_model

    demo_copy(tmp, {"skfmm_t_r": 0.72})
    load_foundation_model("demo")
    raise Accepted(False, "loaded as the verified demo")


@case("demo copy with truncated weights", "checkpoints", names=("corrupted", "--rebuild"))
def _(tmp):
    from skfmm.foundation import load_foundation_model

    demo_copy(tmp, truncate=True)
    load_foundation_model("demo")
    raise Accepted(False)


@case("demo copy re-indented (same fields)", "checkpoints")
def _(tmp):
    from skfmm.foundation import load_foundation_model

    copy = demo_copy(tmp)
    config = json.loads((copy / "config.json").read_text())
    (copy / "config.json").write_text(json.dumps(config, indent=5))
    raise Accepted(load_foundation_model("demo").config.hidden_size == 64)


for _field, _value in [("skfmm_t_r", -2.5), ("skfmm_t_r", "fast"),
                       ("skfmm_input_scaling", "minmax"), ("hidden_size", 4_000_000),
                       ("hidden_size", -8),
                       ("layer_norm_eps", float("nan"))]:
    def _make(field=_field, value=_value):
        @case(f"checkpoint config {field}={value!r}", "checkpoints", names=(field,))
        def _(tmp):
            from skfmm.foundation import load_foundation_model

            path = saved_tiny(tmp, **{field: value})
            load_foundation_model(path)
            raise Accepted(False, "loaded")
    _make()


@case("checkpoint folder with a planted pickle instead of weights", "checkpoints",
      names=("pytorch_model.bin", "weights_only", "pickle"))
def _(tmp):
    import pickle

    from skfmm.foundation import load_foundation_model

    path = saved_tiny(tmp)
    (path / "model.safetensors").unlink()
    marker = tmp / "code-ran"

    class Planted:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    (path / "pytorch_model.bin").write_bytes(pickle.dumps(Planted()))
    try:
        load_foundation_model(path)
    finally:
        if marker.exists():
            raise Accepted(False, "the pickle ran")
    raise Accepted(False, "loaded")


# ------------------------------------------------------------------ caches
def _nested(tmp, **kw):
    from sklearn.linear_model import LogisticRegression

    from skfmm.evaluation import nested_cross_validate

    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 15)
    X = rng.normal(size=(30, 4)) + y[:, None]
    return nested_cross_validate(LogisticRegression(), X, y, outer_cv=3, n_repeats=1,
                                 cache_dir=tmp / "cache", verbose=0, **kw)


for _damage in ["short_y_pred", "long_y_pred", "garbage", "empty", "nan_score",
                "score_columns"]:
    def _make(damage=_damage):
        @case(f"fold-cache entry: {damage}", "caches")
        def _(tmp):
            first = _nested(tmp)
            victim = sorted((tmp / "cache").glob("fold-*.npz"))[0]
            if damage in ("garbage", "empty"):
                victim.write_bytes(b"" if damage == "empty" else b"not an npz at all")
            else:
                with np.load(victim, allow_pickle=False) as data:
                    arrays = {k: data[k] for k in data.files}
                if damage == "nan_score":
                    arrays["y_score"] = np.full_like(arrays["y_score"], np.nan, dtype=float)
                elif damage == "score_columns":  # 3 columns for a two-class model
                    arrays["y_score"] = np.ones((len(arrays["y_pred"]), 3))
                else:
                    arrays["y_pred"] = arrays["y_pred"][:2] if damage == "short_y_pred" \
                        else np.tile(arrays["y_pred"], 3)
                    arrays.pop("y_score", None)
                np.savez(victim, **arrays)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                again = _nested(tmp)
            warned = any("cache" in str(w.message) for w in caught)
            same = np.allclose(again.folds["mcc"], first.folds["mcc"])
            raise Accepted(warned and same and not again.folds["from_cache"].all(),
                           f"warned={warned} same={same}")
    _make()


for _damage in ["nan", "empty", "wrong_shape"]:
    def _make(damage=_damage):
        @case(f"embedding-cache entry: {damage}", "caches")
        def _(tmp):
            from skfmm.foundation.embedder import clear_cache, embed

            model = tiny_brainlm()
            rng = np.random.default_rng(0)
            ts = rng.standard_normal((4, 20, 4)).astype("float32")
            xyz = rng.uniform(-50, 50, (4, 3)).astype("float32")
            ref = embed(model, ts, xyz, memory=tmp)
            victim = sorted(tmp.rglob("*.npy"))[1]
            if damage == "empty":
                victim.write_bytes(b"")
            else:
                np.save(victim, np.full(8 if damage == "nan" else 3, np.nan, dtype="float32"))
            clear_cache()
            with warnings.catch_warnings(record=True):
                warnings.simplefilter("always")
                again = embed(model, ts, xyz, memory=tmp)
            raise Accepted(np.allclose(again, ref, rtol=1e-5, atol=1e-6))
    _make()


@case("embedding store that is a file", "caches", names=("memory",))
def _(tmp):
    from skfmm.foundation.embedder import embed

    (tmp / "store").write_text("x")
    embed(tiny_brainlm(), np.zeros((2, 20, 4), "float32"), np.zeros((4, 3), "float32"),
          memory=tmp / "store")
    raise Accepted(False)


# ------------------------------------------------------------------ outputs
for _prefix in ["../escaped_", "{tmp}/abs_", "sub/x_"]:
    def _make(prefix=_prefix):
        @case(f"interpretation_report(prefix={prefix!r})", "outputs", names=("prefix",))
        def _(tmp):
            from skfmm import FMMTCClassifier, MultimodalData
            from skfmm.interpret import interpretation_report

            rng = np.random.default_rng(0)
            X = MultimodalData(fc=rng.standard_normal((8, 5, 5)).astype("float32"),
                               xyz=rng.uniform(-60, 60, (8, 5, 3)))
            clf = FMMTCClassifier(foundation_model=None, fc_encoder="mlp", modalities=("fc",),
                                  max_epochs=1, train_split=None, random_state=0,
                                  verbose=0).fit(X, [0, 1] * 4)
            interpretation_report(clf, X, out_dir=tmp / "out" / "figs", n_steps=2, n_boot=10,
                                  top_edges=2, prefix=prefix.format(tmp=tmp / "elsewhere"),
                                  formats=("png",))
            raise Accepted(True)
    _make()


for _prefix in ["../escaped_", "{tmp}/abs_"]:
    def _make(prefix=_prefix):
        @case(f"skfmm interpret --prefix {prefix}", "cli", names=("--prefix",))
        def _(tmp):
            argv = tiny_model_file(tmp)
            return cli([*argv, "--out", str(tmp / "out" / "figs"),
                        "--prefix", prefix.format(tmp=tmp / "elsewhere"), "--quiet"])
    _make()


# ------------------------------------------------------------------ command line
@case("skfmm pretrain (no options)", "cli", names=("--timeseries",), usage=True)
def _(tmp):
    return cli(["pretrain"])


@case("skfmm pretrain --rebuild (without --demo)", "cli", names=("--demo",), usage=True)
def _(tmp):
    return cli(["pretrain", "--rebuild"])


@case("skfmm benchmark --atlas without --bids", "cli", names=("--bids",), usage=True)
def _(tmp):
    return cli(["benchmark", "--atlas", "a.nii.gz", "--out", str(tmp / "out")])


@case("skfmm interpret without --model", "cli", names=("--model",), usage=True)
def _(tmp):
    return cli(["interpret", "--cohort", "n_subjects=8", "--out", str(tmp / "out")])


@case("skfmm pretrain --output existing_file", "cli", names=("--output",))
def _(tmp):
    (tmp / "out").mkdir()
    (tmp / "out" / "existing_file").write_text("keep")
    return cli([*pretrain_inputs(tmp), "--output", str(tmp / "out" / "existing_file")])


@case("skfmm pretrain --timeseries data.txt", "cli", names=("--timeseries",))
def _(tmp):
    (tmp / "data.txt").write_text("1 2 3")
    argv = pretrain_inputs(tmp)
    argv[argv.index("--timeseries") + 1] = str(tmp / "data.txt")
    return cli([*argv, "--output", str(tmp / "out")])


@case("skfmm interpret --data on a text file", "cli", names=("--data",))
def _(tmp):
    argv = tiny_model_file(tmp)
    (tmp / "d.npz").write_text("not numpy")
    return cli([*argv, "--out", str(tmp / "out"), "--quiet"])


@case("skfmm interpret --data on a .npy", "cli", names=("--data",))
def _(tmp):
    argv = tiny_model_file(tmp)
    with open(tmp / "d.npz", "wb") as fh:
        np.save(fh, np.zeros(3))
    return cli([*argv, "--out", str(tmp / "out"), "--quiet"])


@case("skfmm interpret --out is a file", "cli", names=("--out",))
def _(tmp):
    argv = tiny_model_file(tmp)
    (tmp / "out").write_text("keep")
    return cli([*argv, "--out", str(tmp / "out"), "--quiet"])


@case("skfmm interpret --target not a class", "cli", names=("--target",))
def _(tmp):
    argv = tiny_model_file(tmp)
    return cli([*argv, "--out", str(tmp / "out"), "--target", "maybe", "--quiet"])


for _argv, _name in [(["--n-jobs", "0"], "--n-jobs"), (["--threads", "0"], "--threads"),
                     (["--n-subjects", "4"], "--n-subjects"), (["--device", "gpu0"], "--device"),
                     (["--models", "resnet"], "models")]:
    def _make(argv=_argv, name=_name):
        @case(f"skfmm benchmark {' '.join(argv)}", "cli", names=(name,))
        def _(tmp):
            return cli(["benchmark", "--quick", "--out", str(tmp / "out"), "--quiet", *argv])
    _make()


@case("skfmm benchmark --verbose", "cli", names=("--verbose",), usage=True)
def _(tmp):
    status, err = cli(["benchmark", "--quick", "--scenario", "none", "--models", "chance",
                       "--n-subjects", "24", "--n-regions", "16", "--n-timepoints", "50",
                       "--window", "40", "--out", str(tmp / "out"), "--verbose",
                       "--no-authors-protocol"])
    if status == 0:
        raise Accepted(True, "ran")
    return status, err


@case("two skfmm benchmark runs on one --out", "concurrency", names=("in use",),
      command="benchmark")
def _(tmp):
    import subprocess

    argv = [sys.executable, "-m", "skfmm", "benchmark", "--quick", "--scenario", "none",
            "--models", "chance", "corr_logreg", "tangent_logreg", "--n-subjects", "24",
            "--n-regions", "16", "--n-timepoints", "50", "--window", "40", "--quiet",
            "--no-authors-protocol", "--out", str(tmp / "out")]
    procs = [subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    failed = [(s, e) for s, e in results if s != 0]
    if not failed:
        raise Accepted(True, "both finished")
    status, err = failed[0]
    return status, err


# ------------------------------------------------------------------ the runner
def classify(spec, tmp):
    """Run one case in this (child) process; return (outcome, detail)."""
    outside_before = _files(tmp.parent, exclude=tmp)
    try:
        got = spec["fn"](tmp)
    except Accepted as acc:
        outcome = "correct" if acc.correct else "silent_wrong"
        detail = acc.detail
    except MemoryError as exc:
        outcome, detail = "crash", f"MemoryError {exc}"
    except Exception as exc:  # noqa: BLE001 - what the user would see
        message = f"{type(exc).__name__}: {exc}"
        named = any(n.lower() in message.lower() for n in spec["names"])
        outcome, detail = ("clear" if named and spec["names"] else "crash"), message[:300]
    else:  # a command-line case: (status, stderr)
        status, err = got
        lines = [line for line in err.strip().splitlines() if line]
        command = spec["command"] or ""
        style = bool(lines) and lines[-1].startswith(f"skfmm {command}: error:")
        named = bool(lines) and any(n in lines[-1] for n in spec["names"])
        expected_status = 2 if spec["usage"] else 1
        one_line = spec["usage"] or len(lines) == 1
        if status == 0:
            outcome = "silent_wrong"
        elif status == expected_status and style and named and one_line \
                and "Traceback" not in err:
            outcome = "clear"
        else:
            outcome = "crash"
        detail = f"status {status}: {lines[-1][:250] if lines else ''}"
    outside = _files(tmp.parent, exclude=tmp) - outside_before
    escaped = [p for p in _files(tmp) if "/elsewhere/" in p or "escaped_" in
               os.path.basename(p) and "/out/figs/" not in p]
    if outside or escaped:
        outcome, detail = "write_outside", f"{sorted(outside | set(escaped))[:3]}"
    return outcome, detail


def _files(root, exclude=None):
    found = set()
    for folder, dirs, files in os.walk(root):
        if exclude is not None and Path(folder) == exclude:
            dirs[:] = []
            continue
        found.update(os.path.join(folder, f) for f in files)
    return found


def run_case(spec, root):
    """Fork; the child runs the case under a memory limit and reports through a pipe."""
    box = Path(tempfile.mkdtemp(dir=root))
    tmp = box / "case"
    tmp.mkdir()
    (tmp / "elsewhere").mkdir()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read)
        try:
            resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
            os.chdir(tmp)
            warnings.simplefilter("ignore")
            result = classify(spec, tmp)
        except BaseException as exc:  # noqa: BLE001
            result = ("crash", f"{type(exc).__name__}: {exc}"[:300])
        os.write(write, json.dumps(result).encode())
        os._exit(0)
    os.close(write)
    chunks = []
    while True:
        chunk = os.read(read, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(read)
    _, status = os.waitpid(pid, 0)
    shutil.rmtree(box, ignore_errors=True)
    if not chunks:
        return "crash", f"the case's process died (wait status {status})"
    return tuple(json.loads(b"".join(chunks)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=None, help="run the cases of this group only")
    parser.add_argument("--csv", default=None, help="write one row per case here")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    import skfmm

    print(f"skfmm from {os.path.dirname(skfmm.__file__)}", flush=True)
    root = tempfile.mkdtemp(prefix="skfmm_sweep_")
    rows = []
    start = time.perf_counter()
    for spec in CASES:
        if args.only and spec["group"] != args.only:
            continue
        t0 = time.perf_counter()
        outcome, detail = run_case(spec, root)
        rows.append(dict(group=spec["group"], case=spec["name"], outcome=outcome,
                         seconds=round(time.perf_counter() - t0, 1), detail=detail))
        print(f"{outcome:>13}  [{spec['group']}] {spec['name']}  -- {detail[:140]}", flush=True)
    shutil.rmtree(root, ignore_errors=True)
    counts = {k: sum(r["outcome"] == k for r in rows)
              for k in ("clear", "correct", "silent_wrong", "crash", "write_outside")}
    groups = sorted({r["group"] for r in rows})
    print(f"\n{len(rows)} cases over {', '.join(groups)} in {time.perf_counter() - start:.0f} s:"
          f" " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    if args.csv:
        import csv

        with open(args.csv, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
