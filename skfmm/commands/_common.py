"""What every ``skfmm`` subcommand shares: one error style, one verbosity, output checks.

The convention (docs/getting_started.md, "Command line"):

- a usage error (a missing or incompatible option) prints the usage and
  ``skfmm CMD: error: ...`` and exits with status 2, as argparse does;
- an input error (a bad value, a missing file, an output that cannot be written) prints one
  line ``skfmm CMD: error: ...`` and exits with status 1 (``skfmm --traceback CMD`` shows the
  traceback instead);
- output paths are checked before any work;
- ``--verbose`` / ``--quiet`` on every subcommand; progress bars only on a terminal.
"""

from __future__ import annotations

import os
import sys

__all__ = ["add_verbosity", "check_npz", "check_output_folder", "input_error", "quiet_model",
           "usage_error", "verbosity"]


def usage_error(args, message):
    """Exit with status 2: the subcommand's usage, then ``skfmm CMD: error: message``."""
    parser = getattr(args, "_parser", None)
    if parser is not None:
        parser.error(message)  # prints usage + "skfmm CMD: error: message", exits 2
    print(f"skfmm {getattr(args, 'command', '')}: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def input_error(command, message):
    """Exit with status 1 and one line ``skfmm CMD: error: message`` (through :func:`main`)."""
    raise SystemExit(f"skfmm {command}: {message}")


def add_verbosity(parser, *, default_help, verbose_help):
    """``--verbose`` / ``--quiet`` (mutually exclusive) with the subcommand's own wording."""
    talk = parser.add_mutually_exclusive_group()
    talk.add_argument("--verbose", action="store_true", help=verbose_help)
    talk.add_argument("--quiet", action="store_true",
                      help=f"no progress lines or bars (default: {default_help})")
    return talk


def verbosity(args):
    """0 with ``--quiet``, 2 with ``--verbose``, else 1."""
    return 0 if getattr(args, "quiet", False) else 2 if getattr(args, "verbose", False) else 1


def check_output_folder(path, option, command, *, new=False):
    """Refuse an output folder that cannot be made or written, before any work.

    ``new=True``: the folder must not hold files already (a model folder written whole).
    """
    path = os.fspath(path)
    if os.path.exists(path) and not os.path.isdir(path):
        input_error(command, f"{option} must be a folder; '{path}' is a file.")
    if new and os.path.isdir(path) and os.listdir(path):
        input_error(command, f"{option} '{path}' already holds files; give a new or empty "
                             "folder (nothing is overwritten).")
    existing = os.path.abspath(path)
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing) or not os.access(existing, os.W_OK | os.X_OK):
        input_error(command, f"{option} '{path}' cannot be written ('{existing}' is not a "
                             "writable folder).")
    return path


def check_npz(path, option, command):
    """Refuse a file that is not an ``.npz`` archive, saying so (numpy's own message talks
    about ``allow_pickle``, which would invite loading an untrusted pickle)."""
    import zipfile

    if not zipfile.is_zipfile(path):
        with open(path, "rb") as fh:
            head = fh.read(6)
        kind = ("a single .npy array" if head == b"\x93NUMPY"
                else "a pickle" if head[:1] == b"\x80" else "not an .npz archive")
        input_error(command, f"{option} '{path}' must be an .npz archive (numpy.savez); it is "
                             f"{kind}.")
    return path


def quiet_model(estimator):
    """Silence a loaded model's own output (skorch epochs, the embedding bar) for --quiet."""
    steps = getattr(estimator, "steps", None)
    for obj in [s for _, s in steps] if steps else [estimator]:
        for part in (obj, getattr(obj, "embedder_", None)):
            if part is not None and hasattr(part, "verbose"):
                try:
                    part.verbose = 0
                except AttributeError:  # pragma: no cover - a read-only property
                    pass
    return estimator
