"""Numbers in the README and the docs come from commands that exist.

The house rule: every number in README.md and docs/ that comes from a run is produced by a
script named beside it. Two guards against drift: every ``benchmarks/*.py`` the pages name
exists and knows the options the pages give it, and every table of measured values (a table
with a decimal number in its body) names the command that made it within a few lines.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
         ROOT / "docs" / "examples" / "README.txt", *sorted((ROOT / "docs" / "examples").glob("*.py"))]

SCRIPT = re.compile(r"benchmarks/([A-Za-z0-9_]+\.py)")
#: What names a table's source: a benchmark script, the main job's command, or a test.
SOURCE = re.compile(r"benchmarks/[A-Za-z0-9_]+\.py|skfmm benchmark|\./run benchmark"
                    r"|tests/[A-Za-z0-9_/]+\.py")
DECIMAL = re.compile(r"(?<![\w.])[-+]?\d+\.\d+(?![\w.])")
#: How far from a table its source may be named: lines above its header, below its last row.
ABOVE, BELOW = 14, 4
#: Tables whose decimals are settings, not measurements: (page, first header cell).
SETTINGS = {
    ("benchmark.md", "`--scenario`"),  # the scenarios' fc_effect / ts_effect
    ("extraction.md", "kind"),  # TemporalFeatures' definitions: the band's default 0.01-0.08 Hz
}


def _text(page):
    return page.read_text(encoding="utf-8")


def _tables(lines):
    """(first line, last line) of each markdown table: a header row then a |---| row."""
    i = 0
    while i < len(lines) - 1:
        if lines[i].lstrip().startswith("|") and re.match(r"^\s*\|[\s:|-]+\|\s*$", lines[i + 1]):
            end = i + 1
            while end + 1 < len(lines) and lines[end + 1].lstrip().startswith("|"):
                end += 1
            yield i, end
            i = end + 1
        else:
            i += 1


def _between_markers(lines, start):
    """Inside a <!-- main-job:NAME:start/end --> block (benchmarks/readme_tables.py writes
    those tables from a run and a slow test compares them with a fresh one)."""
    above = [ln for ln in lines[:start] if "<!-- main-job:" in ln]
    return bool(above) and above[-1].strip().endswith(":start -->")


def test_pages_are_found():
    names = {p.name for p in PAGES}
    assert {"README.md", "cohort.md", "interpret.md", "evaluation.md"} <= names


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_named_benchmark_script_exists_and_takes_the_options_given(page):
    for line in _text(page).splitlines():
        for match in SCRIPT.finditer(line):
            script = ROOT / "benchmarks" / match.group(1)
            assert script.is_file(), f"{page.name} names {script.relative_to(ROOT)}, missing"
            # The options written after the script name on the same line, up to the end of
            # the inline code span.
            rest = line[match.end():].split("`", 1)[0]
            source = script.read_text(encoding="utf-8")
            for option in re.findall(r"(?<![\w-])--[a-z][\w-]*", rest):
                assert f'"{option}"' in source, (
                    f"{page.name}: {match.group(0)} is given {option}, which it does not "
                    "define")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_named_test_file_and_test_exists(page):
    for match in re.finditer(r"(tests/[A-Za-z0-9_/]+\.py)(?:::([A-Za-z0-9_]+))?", _text(page)):
        path = ROOT / match.group(1)
        assert path.is_file(), f"{page.name} names {match.group(1)}, missing"
        if match.group(2):
            assert f"def {match.group(2)}(" in path.read_text(encoding="utf-8"), (
                f"{page.name} names {match.group(0)}, which {match.group(1)} does not define")


@pytest.mark.parametrize("page", [p for p in PAGES if p.suffix == ".md"], ids=lambda p: p.name)
def test_every_table_of_measured_values_names_its_command(page):
    lines = _text(page).splitlines()
    missing = []
    for start, end in _tables(lines):
        body = "\n".join(lines[start + 2:end + 1])
        if not DECIMAL.search(body) or _between_markers(lines, start):
            continue
        first = lines[start].strip().strip("|").split("|")[0].strip()
        if (page.name, first) in SETTINGS:
            continue
        context = "\n".join(lines[max(0, start - ABOVE):end + 1 + BELOW])
        if not SOURCE.search(context):
            missing.append(f"line {start + 1}: {lines[start].strip()}")
    assert not missing, (
        f"{page.name}: tables of measured values without the script or command that made "
        f"them within {ABOVE} lines above or {BELOW} below: {missing}")


def test_the_guards_see_a_table_without_its_command(tmp_path):
    # The check itself: a table with decimals and no command is caught, one with a command
    # is not, and a settings table listed in SETTINGS is left alone.
    lines = ["Some text.", "", "| a | b |", "|---|---|", "| x | 0.93 |", ""]
    tables = list(_tables(lines))
    assert tables == [(2, 4)]
    context = "\n".join(lines)
    assert DECIMAL.search("\n".join(lines[4:5])) and not SOURCE.search(context)
    assert SOURCE.search("(`python benchmarks/cohort_effects.py`)")
    assert not DECIMAL.search("| v1.2.3 | 1e-3 | 56 |")
