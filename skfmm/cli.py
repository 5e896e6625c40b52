"""The ``skfmm`` command line: one subcommand per module in :mod:`skfmm.commands`.

Each subcommand module defines ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args)``.
A usage error (a missing or incompatible option) prints the usage and exits with status 2;
an input error (a bad value, a missing file) prints one line ``skfmm CMD: error: ...`` and
exits with status 1; ``skfmm --traceback COMMAND ...`` shows the full traceback instead.
The helpers every subcommand shares are in :mod:`skfmm.commands._common`.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# name -> module; a module that is absent (feature not installed yet) is simply not offered.
SUBCOMMANDS = {
    "benchmark": "skfmm.commands.benchmark",
    "interpret": "skfmm.commands.interpret",
    "pretrain": "skfmm.commands.pretrain",
}


def build_parser():
    """Return the ``skfmm`` argument parser with every available subcommand."""
    from skfmm import __version__

    parser = argparse.ArgumentParser(
        prog="skfmm",
        description=(
            "FMM_TC fMRI drug-response prediction as scikit-learn estimators: "
            "simulate or load a cohort, benchmark models under nested CV, interpret them."
        ),
    )
    parser.add_argument("--version", action="version", version=f"skfmm {__version__}")
    parser.add_argument("--traceback", action="store_true",
                        help="on an error, show the full Python traceback instead of one line")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in SUBCOMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run, _parser=p)
    return parser


# What a user's input can raise inside a subcommand: shown as one line, not a traceback.
def _input_errors():
    from skfmm.utils.files import FolderInUseError

    return (ValueError, TypeError, FileNotFoundError, IsADirectoryError, PermissionError,
            NotADirectoryError, FileExistsError, FolderInUseError)


INPUT_ERRORS = _input_errors()


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``skfmm`` console script.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status: 0 on success, 1 on an input error (one line on stderr), 2 on a
        usage error or when no subcommand is given (the usage is printed).
    """
    parser = build_parser()
    as_program = argv is None  # the console script or python -m skfmm, a process of its own
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    # The words exactly as given: a run records the command that made it.
    args.invocation = ["skfmm", *argv]
    if getattr(args, "_run", None) is None:
        parser.print_usage(sys.stderr)
        print("skfmm: error: a subcommand is required (skfmm --help lists them).",
              file=sys.stderr)
        return 2
    if as_program:
        # Figures are written to files: the command, a process of its own, draws with Agg.
        # Called from Python (main([...]) in a notebook), the user's backend is left alone.
        import matplotlib

        matplotlib.use("Agg")
    try:
        return args._run(args) or 0
    except SystemExit as exc:
        # A subcommand's input error, raised as SystemExit("skfmm CMD: ..."): the same one
        # line as the errors below. Usage errors (parser.error) carry status 2 and pass.
        if not isinstance(exc.code, str) or args.traceback:
            raise
        _print_error(args.command, exc.code)
        return 1
    except INPUT_ERRORS as exc:
        if args.traceback:
            raise
        _print_error(args.command, str(exc) or type(exc).__name__)
        return 1


def _print_error(command, message):
    """One line on stderr: ``skfmm CMD: error: message``."""
    message = " ".join(str(message).split())
    message = message.removeprefix(f"skfmm {command}: ").removeprefix("error: ")
    print(f"skfmm {command}: error: {message}", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
