"""The README's main-job tables, made from the files of a run of the main job.

    ./run benchmark --out /tmp/skfmm_main                       # the documented command
    python benchmarks/readme_tables.py --run /tmp/skfmm_main            # print the tables
    python benchmarks/readme_tables.py --run /tmp/skfmm_main --write README.md

The tables sit in README.md between ``<!-- main-job:NAME:start -->`` and
``<!-- main-job:NAME:end -->`` markers; ``--write`` replaces what is between them, ``--check``
says which cells differ (the slow test ``tests/docs/test_readme_main_job.py`` compares a fresh
run with the README this way). Every number comes from ``summary.csv`` and
``paired_comparisons.csv``: nothing is typed by hand.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import pandas as pd

from skfmm.benchmark.report import _markdown, results_table

#: The README's tables, by marker name.
TABLES = ("mcc", "paired")


def paired_table(comparisons, digits=2):
    """One cell ``difference [ci_low, ci_high]`` per comparison (rows) and scenario."""
    table = pd.DataFrame(index=list(dict.fromkeys(comparisons["comparison"])),
                         columns=list(dict.fromkeys(comparisons["scenario"])), dtype=object)
    for r in comparisons.itertuples():
        if pd.isna(r.ci_low):
            cell = f"{r.difference:+.{digits}f} [no CI]"
        else:
            cell = f"{r.difference:+.{digits}f} [{r.ci_low:+.{digits}f}, {r.ci_high:+.{digits}f}]"
        table.loc[r.comparison, r.scenario] = cell
    table.index.name = "b - a"
    return table.fillna("")


def main_job_tables(run_dir):
    """``{name: markdown}`` of the README's tables, from the run folder ``run_dir``."""
    run_dir = Path(run_dir)
    summary = pd.read_csv(run_dir / "summary.csv")
    tables = {"mcc": _markdown(results_table(summary, "mcc"))}
    paired = run_dir / "paired_comparisons.csv"
    if paired.exists():
        tables["paired"] = _markdown(paired_table(pd.read_csv(paired)))
    return tables


def _pattern(name):
    return re.compile(rf"(<!-- main-job:{name}:start -->\n)(.*?)(\n<!-- main-job:{name}:end -->)",
                      re.S)


def readme_tables(text):
    """``{name: markdown}`` of the tables between the markers of a README's text."""
    found = {}
    for name in TABLES:
        match = _pattern(name).search(text)
        if match:
            found[name] = match.group(2).strip()
    return found


def replace_tables(text, tables):
    """``text`` with each marked table replaced; a marker that is missing is an error."""
    for name, markdown in tables.items():
        pattern = _pattern(name)
        if not pattern.search(text):
            raise ValueError(f"no <!-- main-job:{name}:start/end --> markers in the README")
        text = pattern.sub(lambda m: m.group(1) + markdown + m.group(3), text)
    return text


def cells(markdown):
    """``{(row, column): cell}`` of a markdown table."""
    lines = [line.strip().strip("|").split("|") for line in markdown.strip().splitlines()]
    header = [c.strip() for c in lines[0]]
    out = {}
    for line in lines[2:]:
        row = [c.strip() for c in line]
        for column, value in zip(header[1:], row[1:]):
            out[(row[0], column)] = value
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True, help="the --out folder of the main job")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", metavar="README", help="replace the marked tables")
    action.add_argument("--check", metavar="README", help="list the cells that differ")
    args = parser.parse_args(argv)
    tables = main_job_tables(args.run)
    if args.write:
        path = Path(args.write)
        path.write_text(replace_tables(path.read_text(), tables))
        print(f"wrote {', '.join(tables)} into {path}")
    elif args.check:
        documented = readme_tables(Path(args.check).read_text())
        differ = [(name, key, documented_cells.get(key), value)
                  for name, markdown in tables.items()
                  for documented_cells in [cells(documented.get(name, "|x|\n|---|"))]
                  for key, value in cells(markdown).items()
                  if documented_cells.get(key) != value]
        for name, key, old, new in differ:
            print(f"{name} {key}: README {old!r}, run {new!r}")
        print(f"{len(differ)} cells differ")
        return 1 if differ else 0
    else:
        for name, markdown in tables.items():
            print(f"{name}:\n{markdown}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
