"""What SIGKILL of a run leaves behind: how long its loky workers outlive it (docs/benchmark.md).

A parent process runs two joblib tasks of ``--task-seconds`` each (``n_jobs=2``, loky, inside
``skfmm.parallel.stop_workers_on_exit`` as ``skfmm benchmark --n-jobs 2`` runs its folds),
as the SIGTERM test of tests/adversarial/test_processes.py does. Once both workers run a
task, the parent is killed with SIGKILL (which it cannot catch), and the workers are polled
every second until both are gone or ``--max-wait`` seconds have passed; the script prints
when each worker ended, then kills any worker still running (by its pid) so that nothing is
left behind.

    python benchmarks/sigkill_workers.py                       # 8 s tasks, wait up to 30 min
    python benchmarks/sigkill_workers.py --max-wait 120
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time

PARENT = textwrap.dedent("""
    import os, sys, time
    import joblib
    from skfmm.parallel import stop_workers_on_exit

    def task(i, folder, seconds):
        open(os.path.join(folder, str(os.getpid())), "w").close()
        time.sleep(seconds)

    with stop_workers_on_exit():
        joblib.Parallel(n_jobs=2)(joblib.delayed(task)(i, sys.argv[1], float(sys.argv[2]))
                                  for i in range(2))
""")


def alive(pid):
    """Running (a zombie waiting to be reaped is not), from /proc."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task-seconds", type=float, default=8.0)
    parser.add_argument("--max-wait", type=float, default=1800.0,
                        help="seconds to wait for the workers after the kill")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        parent = subprocess.Popen([sys.executable, "-c", PARENT, folder,
                                   str(args.task_seconds)], env=env)
        workers = []
        try:
            end = time.monotonic() + 300
            while len(os.listdir(folder)) < 2 and time.monotonic() < end:
                time.sleep(0.1)
            workers = [int(name) for name in os.listdir(folder)]
            if len(workers) < 2:
                raise SystemExit("the workers never started")
            parent.send_signal(signal.SIGKILL)
            killed = time.monotonic()
            parent.wait()
            print(f"parent killed (SIGKILL) while its 2 workers ran a {args.task_seconds:g} s "
                  "task")
            ended = {}
            while len(ended) < len(workers) and time.monotonic() - killed < args.max_wait:
                for pid in workers:
                    if pid not in ended and not alive(pid):
                        ended[pid] = time.monotonic() - killed
                        print(f"worker {pid} ended {ended[pid]:.0f} s after the kill",
                              flush=True)
                time.sleep(1.0)
            for pid in workers:
                if pid not in ended:
                    print(f"worker {pid} still running {args.max_wait:.0f} s after the kill")
        finally:
            if parent.poll() is None:
                parent.kill()
            for pid in workers:
                if alive(pid):
                    os.kill(pid, signal.SIGKILL)


if __name__ == "__main__":
    main()
