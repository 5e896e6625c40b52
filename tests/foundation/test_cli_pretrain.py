"""The ``skfmm pretrain`` subcommand on an array corpus."""

import json
import re

import numpy as np
import pytest

from skfmm.cli import main
from skfmm.datasets.atlas import write_coords_file
from skfmm.foundation import BrainLM


def test_pretrain_command_writes_a_loadable_model(tmp_path, capsys):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "runs.npz", a=rng.standard_normal((50, 5)), b=rng.standard_normal((45, 5)))
    write_coords_file(tmp_path / "coords.dat", rng.normal(size=(5, 3)) * 30)
    cfg = dict(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
               decoder_hidden_size=16, decoder_num_hidden_layers=1,
               decoder_num_attention_heads=2, decoder_intermediate_size=32,
               timepoint_patching_size=10, conv_kernel_size=5)
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    out = tmp_path / "model"
    rc = main(["pretrain", "--timeseries", str(tmp_path / "runs.npz"), "--coords",
               str(tmp_path / "coords.dat"), "--output", str(out), "--config",
               str(tmp_path / "config.json"), "--epochs", "2", "--window", "40",
               "--device", "cpu"])
    assert rc == 0
    model = BrainLM.from_pretrained(out)
    assert model.config.hidden_size == 16 and model.config.input_scaling == "zscore"
    assert len(json.loads((out / "pretraining_history.json").read_text())) == 2
    assert "final masked-patch loss" in capsys.readouterr().out


def test_pretrain_command_requires_inputs(capsys):
    with pytest.raises(SystemExit) as info:  # a usage error: argparse's status and usage
        main(["pretrain"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: skfmm pretrain")
    assert "skfmm pretrain: error: --timeseries, --coords, --output required" in err


def test_pretrain_demo_checks_the_shipped_model_and_rebuild_needs_its_arguments(capsys):
    assert main(["pretrain", "--demo"]) == 0
    assert "weights verified" in capsys.readouterr().out
    for argv, message in ((["pretrain", "--rebuild"], "--rebuild goes with --demo"),
                          (["pretrain", "--demo", "--rebuild"],
                           "--demo --rebuild needs --output")):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
        assert f"skfmm pretrain: error: {message}" in capsys.readouterr().err


def test_pretrain_demo_rebuild_works_when_the_shipped_files_are_damaged(tmp_path, monkeypatch,
                                                                         capsys):
    import shutil

    import skfmm.foundation.registry as registry

    damaged = tmp_path / "shipped"
    shutil.copytree(registry.DEMO_DIR, damaged)
    (damaged / "build.json").unlink()
    monkeypatch.setattr(registry, "DEMO_DIR", damaged)
    assert main(["pretrain", "--demo"]) == 1  # one line on stderr, no traceback
    assert re.search(r"\['build.json'\] are missing.*--rebuild", capsys.readouterr().err)

    def fake_build(directory, verbose=1):  # the real one pretrains for minutes
        directory.mkdir()
        (directory / "build.json").write_text(json.dumps(
            {"seconds": 1.0, "threads": 1, "sha256": "ab" * 32, "torch": "x"}))

    monkeypatch.setattr(registry, "build_demo_model", fake_build)
    assert main(["pretrain", "--demo", "--rebuild", "--output", str(tmp_path / "new")]) == 0
    assert "no readable shipped build.json" in capsys.readouterr().out
