"""Two runs on one --out: the second is refused naming the first; a killed run frees it."""

import os
import subprocess
import sys
import time

import pytest

from skfmm.cli import main
from skfmm.utils.files import FolderInUseError, folder_lock

HOLD = """
import sys, time
from skfmm.utils.files import folder_lock
with folder_lock(sys.argv[1], "test", description="skfmm benchmark --out held"):
    print("held", flush=True)
    time.sleep(60)
"""


@pytest.fixture
def holder(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(out)], stdout=subprocess.PIPE,
                            text=True, env=env)
    assert proc.stdout.readline().strip() == "held"
    yield out, proc
    proc.kill()
    proc.wait()


def test_second_run_on_one_out_is_refused_naming_the_first(holder, capsys):
    out, proc = holder
    status = main(["benchmark", "--quick", "--scenario", "none", "--models", "chance",
                   "--n-subjects", "24", "--n-regions", "8", "--n-timepoints", "50",
                   "--window", "40", "--out", str(out), "--quiet"])
    assert status == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("skfmm benchmark: error:")
    assert f"is in use by another run (pid {proc.pid}" in err
    assert "skfmm benchmark --out held" in err
    assert sorted(os.listdir(out)) == [".skfmm.lock"]  # nothing written by the refused run


def test_lock_goes_with_the_process(holder):
    out, proc = holder
    with pytest.raises(FolderInUseError, match=f"pid {proc.pid}"):
        with folder_lock(out, "second"):
            pass
    proc.kill()
    proc.wait()
    deadline = time.time() + 10
    while True:  # killed, not cleaned up: the OS released its lock
        try:
            with folder_lock(out, "second"):
                break
        except FolderInUseError:
            assert time.time() < deadline
            time.sleep(0.1)
