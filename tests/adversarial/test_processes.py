"""SIGTERM of a run with joblib workers leaves no worker behind."""

import os
import signal
import subprocess
import sys
import textwrap
import time

SCRIPT = textwrap.dedent("""
    import os, sys, time
    import joblib
    from skfmm.parallel import stop_workers_on_exit

    def fold(i, folder):
        open(os.path.join(folder, str(os.getpid())), "w").close()
        time.sleep(120)  # a long fold

    with stop_workers_on_exit():
        joblib.Parallel(n_jobs=2)(joblib.delayed(fold)(i, sys.argv[1]) for i in range(2))
""")


def _alive(pid):
    """Running (a zombie waiting to be reaped is not), from /proc."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def _wait(condition, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_sigterm_stops_the_loky_workers(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(tmp_path)], env=env,
                            cwd=os.getcwd())
    try:
        assert _wait(lambda: len(os.listdir(tmp_path)) == 2, 120), "workers never started"
        workers = [int(name) for name in os.listdir(tmp_path)]
        assert all(_alive(pid) for pid in workers)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 128 + signal.SIGTERM
        assert _wait(lambda: not any(_alive(pid) for pid in workers), 30), \
            f"workers {[p for p in workers if _alive(p)]} still running after SIGTERM"
    finally:
        if proc.poll() is None:
            proc.kill()
        for name in os.listdir(tmp_path):
            if _alive(int(name)):
                os.kill(int(name), signal.SIGKILL)
