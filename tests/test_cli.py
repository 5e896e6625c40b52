import subprocess
import sys

import pytest

from skfmm.cli import build_parser, main


def test_help_lists_subcommands(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "usage: skfmm" in out
    for name in ("benchmark", "interpret", "pretrain"):
        assert name in out


def test_no_command_prints_usage_and_fails(capsys):
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: skfmm")
    assert "a subcommand is required" in err


def test_python_dash_m_skfmm_runs_the_command():
    out = subprocess.run([sys.executable, "-m", "skfmm", "--version"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.startswith("skfmm ")
    empty = subprocess.run([sys.executable, "-m", "skfmm"], capture_output=True, text=True)
    assert empty.returncode == 2 and empty.stderr.startswith("usage: skfmm")


def _one_line_error(capsys, argv, *expected):
    """The command fails with status 1 and one stderr line holding ``expected``."""
    assert main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    for text in expected:
        assert text in err, err
    return err


def test_interpret_missing_model_file_is_one_line(tmp_path, capsys):
    err = _one_line_error(capsys, ["interpret", "--model", str(tmp_path / "nope.joblib"),
                                   "--cohort", "n_subjects=8", "--out", str(tmp_path)])
    assert err == (f"skfmm interpret: error: --model: no file at "
                   f"'{tmp_path / 'nope.joblib'}'.")


def test_interpret_bad_cohort_key_names_the_allowed_keys(tmp_path, capsys):
    import joblib

    joblib.dump({"not": "a model"}, tmp_path / "m.joblib")
    err = _one_line_error(capsys, ["interpret", "--model", str(tmp_path / "m.joblib"),
                                   "--cohort", "n_subject=8", "--out", str(tmp_path)],
                          "skfmm interpret: error: ")
    assert "--cohort key 'n_subject' is not a parameter of make_pain_cohort" in err
    assert "n_subjects" in err


def test_interpret_input_error_inside_the_package_is_one_line(tmp_path, capsys):
    import joblib

    joblib.dump({"not": "a model"}, tmp_path / "m.joblib")
    err = _one_line_error(capsys, ["interpret", "--model", str(tmp_path / "m.joblib"),
                                   "--cohort", "n_subjects=8", "--out", str(tmp_path)],
                          "skfmm interpret: error:", "dict")
    assert err.startswith("skfmm interpret: error:")


def test_traceback_flag_shows_the_exception(tmp_path):
    import joblib

    joblib.dump({"not": "a model"}, tmp_path / "m.joblib")
    with pytest.raises((TypeError, ValueError)):
        main(["--traceback", "interpret", "--model", str(tmp_path / "m.joblib"), "--cohort",
              "n_subjects=8", "--out", str(tmp_path)])


def test_cli_error_in_a_subprocess_has_no_traceback(tmp_path):
    out = subprocess.run([sys.executable, "-m", "skfmm", "pretrain", "--timeseries",
                          str(tmp_path / "x.txt"), "--coords", "c.dat", "--output",
                          str(tmp_path / "o")], capture_output=True, text=True)
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines() == [
        f"skfmm pretrain: error: --timeseries: no file at '{tmp_path / 'x.txt'}'."]
    (tmp_path / "x.txt").write_text("1 2 3")
    (tmp_path / "c.dat").write_text("1 0 0 0")
    out = subprocess.run([sys.executable, "-m", "skfmm", "pretrain", "--timeseries",
                          str(tmp_path / "x.txt"), "--coords", str(tmp_path / "c.dat"),
                          "--output", str(tmp_path / "o")], capture_output=True, text=True)
    assert out.returncode == 1 and out.stderr.strip().splitlines() == [
        f"skfmm pretrain: error: --timeseries must be a .npy or .npz file; got "
        f"'{tmp_path / 'x.txt'}'."]


def test_every_pretrain_option_has_help_with_its_default():
    import argparse

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    checked = 0
    for action in sub.choices["pretrain"]._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help, f"{action.option_strings} has no help"
        if isinstance(action, argparse._StoreTrueAction):
            continue
        text = action.help % {"default": action.default}
        if action.default is None:
            assert "default" in text or "required" in text, (action.option_strings, text)
        else:
            assert f"default {action.default}" in text, (action.option_strings, text)
        checked += 1
    assert checked >= 12


def test_unknown_subcommand_is_refused(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["frobnicate"])
    assert exc.value.code == 2
    assert "invalid choice: 'frobnicate'" in capsys.readouterr().err


def test_console_script_entry_point():
    out = subprocess.run([sys.executable, "-m", "skfmm.cli", "--version"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.startswith("skfmm ")


def test_every_subcommand_has_help():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, p in sub.choices.items():
        assert p.description, f"subcommand {name} has no description"


def _pretrain_inputs(tmp_path, n_regions=6):
    import json

    import numpy as np

    rng = np.random.default_rng(0)
    t = np.arange(40)[None, :, None]
    series = np.sin(2 * np.pi * t / 17 + rng.uniform(0, 6, (4, 1, n_regions)))
    series = 100 + series + 0.1 * rng.standard_normal((4, 40, n_regions))
    np.save(tmp_path / "ts.npy", series)
    coords = rng.normal(size=(n_regions, 3)) * 30
    (tmp_path / "coords.dat").write_text(
        "".join(f"{i + 1} {x:.2f} {y:.2f} {z:.2f}\n" for i, (x, y, z) in enumerate(coords)))
    cfg = dict(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
               decoder_hidden_size=16, decoder_num_hidden_layers=1,
               decoder_num_attention_heads=2, decoder_intermediate_size=32,
               timepoint_patching_size=10, conv_kernel_size=5)
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    return [f"--timeseries={tmp_path / 'ts.npy'}", f"--coords={tmp_path / 'coords.dat'}",
            f"--config={tmp_path / 'config.json'}", "--window=40", "--epochs=2",
            "--batch-size=2", "--device=cpu"]


def test_pretrain_command_writes_a_loadable_model(tmp_path, capsys):
    import json

    from skfmm.foundation import load_foundation_model

    args = _pretrain_inputs(tmp_path)
    assert main(["pretrain", *args, "--region-block=3", f"--output={tmp_path / 'm'}"]) == 0
    model = load_foundation_model(tmp_path / "m")
    assert model.config.hidden_size == 16 and model.config.num_brain_voxels == 6
    history = json.loads((tmp_path / "m" / "pretraining_history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2]
    assert "final masked-patch loss" in capsys.readouterr().out


def test_pretrain_command_passes_region_block_on(tmp_path, capsys):
    args = _pretrain_inputs(tmp_path)
    _one_line_error(capsys, ["pretrain", *args, "--region-block=7", f"--output={tmp_path / 'm'}"],
                    "skfmm pretrain: error:", "region_block", "n_regions=6; got 7")


@pytest.fixture
def tiny_interpret_inputs(tmp_path):
    import joblib
    import numpy as np

    from skfmm import FMMTCClassifier, MultimodalData

    rng = np.random.default_rng(0)
    arrays = dict(ts=rng.standard_normal((8, 20, 5)).astype("float32"),
                  fc=rng.standard_normal((8, 5, 5)).astype("float32"),
                  xyz=rng.uniform(-60, 60, (8, 5, 3)))
    clf = FMMTCClassifier(foundation_model=None, fc_encoder="mlp", max_epochs=1,
                          train_split=None, random_state=0, verbose=0)
    clf.fit(MultimodalData(**arrays), [0, 1] * 4)
    joblib.dump(clf, tmp_path / "m.joblib")
    np.savez(tmp_path / "d.npz", **arrays, site=np.array(["a", "b"] * 4))
    return ["interpret", "--model", str(tmp_path / "m.joblib"), "--data",
            str(tmp_path / "d.npz"), "--groups", "site", "--n-steps", "4", "--n-boot", "20",
            "--top-edges", "3"]


def test_interpret_shows_progress_by_default(tiny_interpret_inputs, tmp_path, capsys):
    assert main([*tiny_interpret_inputs, "--out", str(tmp_path / "a")]) == 0
    out, err = capsys.readouterr()
    for step in ("Loading the model", "[1/4]", "[2/4]", "[3/4]", "[4/4]"):
        assert step in out
    # stderr is not a terminal here: no tqdm bar, no cursor codes in a log
    assert "Integrated gradients" not in err and "\r" not in err and "\x1b[" not in err
    assert " s)" not in out


def test_interpret_bar_is_drawn_on_a_terminal(tiny_interpret_inputs, tmp_path, capsys,
                                              monkeypatch):
    import skfmm.utils.progress as progress

    monkeypatch.setattr(progress, "interactive", lambda stream=None: True)
    assert main([*tiny_interpret_inputs, "--out", str(tmp_path / "a")]) == 0
    _, err = capsys.readouterr()
    assert "Integrated gradients" in err and "8/8" in err  # the bar over the subjects
    assert main([*tiny_interpret_inputs, "--out", str(tmp_path / "q"), "--quiet"]) == 0
    _, err = capsys.readouterr()
    assert "Integrated gradients" not in err and "BrainLM embeddings" not in err


def test_interpret_verbose_adds_durations_and_quiet_silences(tiny_interpret_inputs, tmp_path,
                                                             capsys):
    import re

    assert main([*tiny_interpret_inputs, "--out", str(tmp_path / "v"), "--verbose"]) == 0
    out, _ = capsys.readouterr()
    assert len(re.findall(r"^  \(\d+\.\d s\)$", out, flags=re.M)) == 4
    assert "8 subjects in 2 groups" in out and "modalities ('ts', 'fc')" in out
    assert main([*tiny_interpret_inputs, "--out", str(tmp_path / "q"), "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert "[1/4]" not in out and "Integrated gradients" not in err


def test_interpret_bad_cohort_value_is_one_line(tiny_interpret_inputs, tmp_path, capsys):
    model = tiny_interpret_inputs[tiny_interpret_inputs.index("--model") + 1]
    _one_line_error(capsys, ["interpret", "--model", model, "--cohort", "n_regions=5",
                             "--out", str(tmp_path / "x"), "--quiet"],
                    "skfmm interpret: error:", "'n_regions' must be at least 16", "got 5")
