"""The main job as a script: the same code as ``skfmm benchmark`` (arguments identical).

Usage: python benchmarks/run.py [--quick | --full] [--scenario none ...] [--out DIR] ...
"""

import sys

from skfmm.cli import main

if __name__ == "__main__":
    sys.exit(main(["benchmark", *sys.argv[1:]]))
