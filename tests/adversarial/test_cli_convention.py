"""One CLI convention for every subcommand (issue 21)."""

import argparse

import numpy as np
import pytest

from skfmm.cli import build_parser, main


def _subparsers():
    parser = build_parser()
    return next(a for a in parser._actions if a.dest == "command").choices


@pytest.mark.parametrize("name", ["benchmark", "interpret", "pretrain"])
def test_every_subcommand_has_verbose_and_quiet(name):
    options = {o for a in _subparsers()[name]._actions for o in a.option_strings}
    assert {"--verbose", "--quiet"} <= options
    with pytest.raises(SystemExit) as info:  # and they exclude each other: a usage error
        _subparsers()[name].parse_args(["--verbose", "--quiet"])
    assert info.value.code == 2


@pytest.mark.parametrize("argv", [["interpret", "--cohort", "n_subjects=8", "--out", "x"],
                                  ["pretrain", "--timeseries", "t.npy"],
                                  ["pretrain", "--rebuild"]])
def test_missing_or_incompatible_options_exit_2_with_the_usage(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: skfmm {argv[0]}") and f"skfmm {argv[0]}: error: " in err


def test_pretrain_output_that_is_a_file_is_refused_before_training(tmp_path, capsys,
                                                                   monkeypatch):
    import skfmm.foundation as foundation

    def no_training(*args, **kwargs):  # pragma: no cover - reached only when the check fails
        raise AssertionError("trained before --output was checked")

    monkeypatch.setattr(foundation, "pretrain_brainlm", no_training)
    np.save(tmp_path / "ts.npy", np.zeros((2, 40, 3)))
    (tmp_path / "c.dat").write_text("1 0 0 0\n2 1 1 1\n3 2 2 2\n")
    target = tmp_path / "existing_file"
    target.write_text("keep me")
    status = main(["pretrain", "--timeseries", str(tmp_path / "ts.npy"), "--coords",
                   str(tmp_path / "c.dat"), "--output", str(target)])
    err = capsys.readouterr().err.strip()
    assert status == 1 and err == (f"skfmm pretrain: error: --output must be a folder; "
                                   f"'{target}' is a file.")
    assert target.read_text() == "keep me"


@pytest.mark.parametrize("content,kind", [(b"plain text", "not an .npz archive"),
                                          (None, "a single .npy array")])
def test_interpret_data_that_is_not_npz_says_so(tmp_path, capsys, content, kind):
    import joblib

    joblib.dump({"not": "a model"}, tmp_path / "m.joblib")
    data = tmp_path / "data.bin"
    if content is None:
        with open(data, "wb") as fh:
            np.save(fh, np.zeros(3))
    else:
        data.write_bytes(content)
    status = main(["interpret", "--model", str(tmp_path / "m.joblib"), "--data", str(data),
                   "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip()
    assert status == 1 and len(err.splitlines()) == 1
    assert err == (f"skfmm interpret: error: --data '{data}' must be an .npz archive "
                   f"(numpy.savez); it is {kind}.")
    assert "allow_pickle" not in err


def test_interpret_out_that_is_a_file_is_refused_before_loading(tmp_path, capsys):
    out = tmp_path / "figs"
    out.write_text("keep me")
    status = main(["interpret", "--model", str(tmp_path / "absent.joblib"), "--cohort",
                   "n_subjects=8", "--out", str(out)])
    assert status == 1
    assert capsys.readouterr().err.strip() == (
        f"skfmm interpret: error: --out must be a folder; '{out}' is a file.")


def test_progress_bars_only_where_someone_watches(monkeypatch):
    import io

    from skfmm.utils import progress

    assert progress.interactive(io.StringIO()) is False
    assert progress.bar_disabled(0) is True
    monkeypatch.setattr(progress, "interactive", lambda stream=None: True)
    assert progress.bar_disabled(1) is False
    monkeypatch.setattr(progress, "interactive", lambda stream=None: False)
    assert progress.bar_disabled(2) is True


def test_benchmark_progress_in_a_log_is_line_wise(tmp_path, capsys):
    from skfmm.benchmark.run import run_benchmark

    run_benchmark(["none"], size="quick", out=tmp_path / "out", models=["chance"],
                  authors_protocol=False, n_subjects=24, n_regions=16, n_timepoints=50,
                  window=40, verbose=1)
    out, err = capsys.readouterr()
    assert "[skfmm benchmark] 1/1: none / chance" in out
    assert "\r" not in out + err and "\x1b[" not in out + err  # no cursor codes in a log


def test_interpret_quiet_silences_the_models_embedding_bar(tmp_path, capsys, monkeypatch):
    import joblib

    from skfmm import FMMTCClassifier, MultimodalData
    from skfmm.foundation import BrainLM
    from skfmm.foundation.embedder import clear_cache
    from skfmm.utils import progress

    from .adversarial_helpers import tiny_config

    rng = np.random.default_rng(0)
    arrays = dict(ts=rng.standard_normal((8, 20, 4)).astype("float32"),
                  xyz=rng.uniform(-50, 50, (8, 4, 3)).astype("float32"))
    clf = FMMTCClassifier(foundation_model=BrainLM(tiny_config(), with_decoder=False,
                                                   random_state=0),
                          modalities=("ts",), max_epochs=1, train_split=None, random_state=0,
                          verbose=1).fit(MultimodalData(**arrays), [0, 1] * 4)
    joblib.dump(clf, tmp_path / "m.joblib")
    np.savez(tmp_path / "d.npz", **arrays)
    argv = ["interpret", "--model", str(tmp_path / "m.joblib"), "--data", str(tmp_path / "d.npz"),
            "--n-steps", "2", "--n-boot", "10"]
    monkeypatch.setattr(progress, "interactive", lambda stream=None: True)  # a terminal
    capsys.readouterr()
    clear_cache()
    assert main([*argv, "--out", str(tmp_path / "a")]) == 0
    assert "BrainLM embeddings" in capsys.readouterr().err  # the model's own bar, by default
    clear_cache()
    assert main([*argv, "--out", str(tmp_path / "q"), "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert "BrainLM embeddings" not in err and "Integrated gradients" not in err
