"""What run.json records of a benchmark run: what made it and what it ran on.

:func:`run_provenance`: skfmm's version, the git commit and dirty flag of a checkout, the
command, argv and working directory. :func:`run_environment`: package versions, the device,
torch and BLAS thread counts, outer-fold parallelism and the foundation model's identity.
"""

from __future__ import annotations

import os

__all__ = ["run_provenance", "run_environment", "environment_markdown", "RECORDED_PACKAGES"]


def run_provenance(command="skfmm benchmark"):
    """What made a run: skfmm's version, its git commit when run from a checkout, the command.

    Parameters
    ----------
    command : str, default="skfmm benchmark"
        The command as skfmm understood it (the options that differ from their defaults).

    Returns
    -------
    dict
        ``skfmm_version``; ``git`` (``commit``, ``dirty``: uncommitted changes to tracked
        files, or None when skfmm is not imported from a git checkout or git is absent);
        ``command``; ``argv`` (the process's arguments, exactly as invoked) and ``cwd``.

    Examples
    --------
    >>> from skfmm.benchmark.environment import run_provenance
    >>> record = run_provenance("skfmm benchmark --quick")
    >>> sorted(record), record["command"]
    (['argv', 'command', 'cwd', 'git', 'skfmm_version'], 'skfmm benchmark --quick')
    """
    import subprocess
    import sys
    from importlib import metadata
    from pathlib import Path

    try:
        version = metadata.version("skfmm")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree
        version = "unknown"
    root = Path(__file__).resolve().parents[2]
    git = None
    if (root / ".git").exists():
        try:
            commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"],
                                    capture_output=True, text=True, timeout=10, check=True)
            status = subprocess.run(["git", "-C", str(root), "status", "--porcelain",
                                     "--untracked-files=no"], capture_output=True, text=True,
                                    timeout=10, check=True)
            git = {"commit": commit.stdout.strip(), "dirty": bool(status.stdout.strip())}
        except (OSError, subprocess.SubprocessError):
            git = None
    return {"skfmm_version": version, "git": git, "command": str(command),
            "argv": [os.path.basename(sys.argv[0])] + sys.argv[1:], "cwd": os.getcwd()}


#: Distributions whose versions make a run reproducible (import name -> distribution name).
RECORDED_PACKAGES = {"skfmm": "skfmm", "torch": "torch", "sklearn": "scikit-learn",
                     "skorch": "skorch", "nilearn": "nilearn", "numpy": "numpy",
                     "scipy": "scipy"}


def run_environment(*, device="cpu", threads=1, n_jobs=None, dask=None, foundation_model=None):
    """What a run ran on: package versions, device, thread counts, the foundation model.

    Called inside the run's thread limits, so the counts are the ones the fits used.

    Parameters
    ----------
    device : str, default="cpu"
        The requested device of the deep models; ``resolved`` is what ``"auto"`` became.
    threads : int or None, default=1
        The requested torch/BLAS threads of the process.
    n_jobs, dask : optional
        Outer-fold parallelism, recorded as given.
    foundation_model : str, path or None
        The frozen encoder, only when a model that uses it ran; None leaves it out.

    Returns
    -------
    dict
        ``python``, ``packages`` (name -> version), ``device`` (requested, resolved and,
        on CUDA, the GPU's name), ``threads`` (requested, torch intra- and inter-op,
        BLAS/OpenMP pools by library, CPUs available), ``parallel`` and, with a foundation
        model, ``foundation_model`` (name, folder, weights file and its sha256, shape).

    Examples
    --------
    >>> from skfmm.benchmark.environment import run_environment
    >>> env = run_environment(threads=1)
    >>> sorted(env["packages"])[:3], env["device"]["resolved"]
    (['nilearn', 'numpy', 'scipy'], 'cpu')
    """
    import platform
    from importlib import metadata

    import torch
    from threadpoolctl import threadpool_info

    from ..utils.device import resolve_device
    from ..utils.threads import available_cpus

    packages = {}
    for name, dist in RECORDED_PACKAGES.items():
        try:
            packages[name] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            module = __import__(name)
            packages[name] = getattr(module, "__version__", "unknown")
    resolved = resolve_device(device)
    device_info = {"requested": str(device), "resolved": str(resolved)}
    if resolved.type == "cuda":
        device_info["name"] = torch.cuda.get_device_name(resolved)
    blas = {}
    for pool in threadpool_info():
        key = f"{pool.get('internal_api')} ({pool.get('user_api')})"
        blas[key] = max(blas.get(key, 0), int(pool.get("num_threads") or 0))
    env = {
        "python": platform.python_version(),
        "packages": packages,
        "device": device_info,
        "threads": {"requested": threads, "torch": torch.get_num_threads(),
                    "torch_interop": torch.get_num_interop_threads(), "blas": blas,
                    "cpus_available": available_cpus()},
        "parallel": {"n_jobs": n_jobs, "dask": dask},
    }
    if foundation_model is not None:
        env["foundation_model"] = _foundation_identity(foundation_model)
    return env


def _foundation_identity(foundation_model):
    """Name, folder, weights file, sha256 and shape of the frozen encoder that ran
    (:attr:`skfmm.foundation.ResolvedFoundationModel.identity`, without its fingerprint,
    which run.json has never recorded)."""
    from ..foundation import resolve_foundation_model

    identity = resolve_foundation_model(foundation_model, copy=False).identity
    return {k: v for k, v in identity.items() if k != "fingerprint"}


def environment_markdown(env):
    """The report's "Environment" section from :func:`run_environment`'s record.

    Examples
    --------
    >>> from skfmm.benchmark.environment import environment_markdown, run_environment
    >>> environment_markdown(run_environment(threads=1)).splitlines()[1]
    '- device: cpu (requested cpu)'
    """
    lines = [f"- packages: {', '.join(f'{k} {v}' for k, v in env['packages'].items())}; "
             f"Python {env['python']}",
             f"- device: {env['device']['resolved']} (requested {env['device']['requested']}"
             + (f"; {env['device']['name']}" if "name" in env["device"] else "") + ")",
             f"- threads: torch {env['threads']['torch']} (inter-op "
             f"{env['threads']['torch_interop']}), BLAS/OpenMP "
             + (", ".join(f"{k}: {v}" for k, v in env["threads"]["blas"].items()) or "none loaded")
             + f"; {env['threads']['cpus_available']} CPUs available; outer folds: n_jobs="
             f"{env['parallel']['n_jobs']}, dask={env['parallel']['dask']}"]
    fm = env.get("foundation_model")
    if fm is not None:
        shape = ", ".join(f"{k}={v}" for k, v in fm["config"].items())
        lines.append(f"- foundation model: {fm['name']}"
                     + (f" ({fm['directory']}/{fm.get('weights', '?')}, sha256 "
                        f"{fm.get('sha256', '?')})" if "directory" in fm else "")
                     + f"; {shape}")
    return "\n".join(lines)
