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


def test_no_command_prints_help(capsys):
    assert main([]) == 0
    assert "COMMAND" in capsys.readouterr().out


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


def test_pretrain_command_passes_region_block_on(tmp_path):
    args = _pretrain_inputs(tmp_path)
    with pytest.raises(ValueError, match="region_block.*n_regions=6; got 7"):
        main(["pretrain", *args, "--region-block=7", f"--output={tmp_path / 'm'}"])
