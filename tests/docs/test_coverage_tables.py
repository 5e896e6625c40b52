"""docs/evaluation.md's coverage tables are what the committed fold values give.

``benchmarks/ci_coverage.py --csv FILE --markdown`` rebuilds every interval from the fold
values stored in ``benchmarks/results/`` with ``summarize``'s own functions. If the interval
code or the stored runs change, the documented coverage must be regenerated with it.
"""

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"
PAGE = ROOT / "docs" / "evaluation.md"


def _coverage_module():
    spec = importlib.util.spec_from_file_location("ci_coverage",
                                                  ROOT / "benchmarks" / "ci_coverage.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("run", ["cohort40", "gaussian", "deep40"])
def test_documented_coverage_matches_the_stored_fold_values(run):
    coverage = _coverage_module()
    path = RESULTS / f"ci_coverage_{run}.csv.gz"
    table = pd.read_csv(path)
    table = table[table["metric"].isin(["mcc", "auroc"])]
    rows = coverage.markdown(coverage.intervals(table)).splitlines()[2:]
    page = PAGE.read_text(encoding="utf-8")
    assert len(rows) >= 12
    missing = [row for row in rows if row not in page]
    assert not missing, f"{path.name}: rows not in {PAGE.name}: {missing[:3]}"
    assert f"--csv benchmarks/results/ci_coverage_cohort40.csv.gz --markdown" in page
