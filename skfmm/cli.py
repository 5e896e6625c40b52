"""The ``skfmm`` command line: one subcommand per module in :mod:`skfmm.commands`.

Each subcommand module defines ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args)``.
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
        p.set_defaults(_run=module.run)
    return parser


def main(argv=None):
    """Entry point of the ``skfmm`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return 0
    return args._run(args) or 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
