"""Nothing is written outside the folder the user named (issue 21)."""

import os

import pytest

from skfmm.cli import main
from skfmm.interpret import interpretation_report
from skfmm.utils.files import check_name_part


@pytest.mark.parametrize("prefix", ["../escaped_", "sub/x_", "/tmp/abs_", "..", "a\0b"])
def test_name_part_with_a_separator_or_dotdot_is_refused(prefix):
    with pytest.raises(ValueError, match="'prefix' must be part of a file name"):
        check_name_part(prefix, "prefix")


@pytest.mark.parametrize("prefix", ["", "fmm_tc_", "run.1-", "hidden_"])
def test_plain_prefixes_are_accepted(prefix):
    assert check_name_part(prefix, "prefix") == prefix


def _listing(root):
    return sorted(os.path.relpath(os.path.join(d, f), root)
                  for d, _, files in os.walk(root) for f in files)


@pytest.mark.parametrize("prefix", ["../escaped_", "{abs}/abs_"])
def test_interpret_prefix_outside_out_is_refused_before_any_work(tmp_path, capsys, prefix):
    import joblib

    joblib.dump({"not": "a model"}, tmp_path / "m.joblib")
    prefix = prefix.format(abs=tmp_path)
    before = _listing(tmp_path)
    status = main(["interpret", "--model", str(tmp_path / "m.joblib"), "--cohort",
                   "n_subjects=8", "--out", str(tmp_path / "figs"), "--prefix", prefix])
    assert status == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("skfmm interpret: error: '--prefix' must be part of a file name")
    assert repr(prefix) in err and len(err.splitlines()) == 1
    assert _listing(tmp_path) == before and not (tmp_path / "figs").exists()


@pytest.mark.parametrize("option,value", [("prefix", "../x_"), ("image_format", "../png"),
                                          ("formats", ("png", "/tmp/pdf"))])
def test_interpretation_report_refuses_names_that_leave_out_dir(tmp_path, option, value):
    # refused before the estimator is looked at: nothing is computed, nothing is written
    with pytest.raises(ValueError, match=f"interpretation_report: '{option}' must be part"):
        interpretation_report(object(), None, out_dir=tmp_path / "out", **{option: value})
    assert not (tmp_path / "out").exists()
