"""``python -m skfmm``: the ``skfmm`` command."""

import sys

from skfmm.cli import main

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
