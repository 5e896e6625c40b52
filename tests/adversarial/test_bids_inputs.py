"""Adversarial BIDS folders: each is refused with the file and the argument named."""

import gzip
import json

import pytest

from skfmm import TimeSeriesExtractor
from skfmm.datasets import load_bids_cohort


def _participants(root):
    return root / "participants.tsv"


def test_duplicated_participant_row_is_refused_naming_the_participant(bids):
    path = _participants(bids)
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines + [lines[2]]) + "\n")  # participant of line 3, again
    duplicate = lines[2].split("\t")[0]
    with pytest.raises(ValueError, match="more than once") as info:
        load_bids_cohort(bids)
    assert duplicate in str(info.value) and str(path) in str(info.value)


def test_duplicate_with_and_without_sub_prefix_is_the_same_participant(bids):
    path = _participants(bids)
    lines = path.read_text().splitlines()
    first = lines[1].split("\t")
    path.write_text("\n".join(lines + ["\t".join([first[0][len("sub-"):]] + first[1:])]) + "\n")
    with pytest.raises(ValueError, match=f"participant {first[0]} more than once"):
        load_bids_cohort(bids)


def test_empty_participants_tsv_is_refused_naming_the_file(bids):
    _participants(bids).write_text("")
    with pytest.raises(ValueError, match="is empty") as info:
        load_bids_cohort(bids)
    assert str(_participants(bids)) in str(info.value)


def test_header_only_participants_tsv_is_refused(bids):
    path = _participants(bids)
    path.write_text(path.read_text().splitlines()[0] + "\n")
    with pytest.raises(ValueError, match="lists no participants") as info:
        load_bids_cohort(bids)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("value", ["2.5s", None, -2.5, True])
def test_bad_repetition_time_is_refused_naming_the_run(bids, value):
    sidecars = [p for p in bids.glob("*.json") if "bold" in p.name]
    assert sidecars
    for sidecar in sidecars:
        meta = json.loads(sidecar.read_text())
        meta["RepetitionTime"] = value
        sidecar.write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="'RepetitionTime' of sub-") as info:
        load_bids_cohort(bids)
    assert "_bold.nii" in str(info.value) and repr(value) in str(info.value)


def test_truncated_nifti_is_refused_naming_the_file(bids, tmp_path):
    cohort = load_bids_cohort(bids)
    victim = cohort.images[2]
    data = open(victim, "rb").read()
    with open(victim, "wb") as fh:
        fh.write(data[: len(data) // 2])  # a .nii.gz cut in the middle
    ext = TimeSeriesExtractor(atlas=cohort.atlas, window=10, verbose=0)
    ext.fit(cohort.images)
    with pytest.raises(ValueError, match="truncated or corrupt") as info:
        ext.transform(cohort.images)
    assert victim in str(info.value) and "'X[2]'" in str(info.value)


def test_a_gzip_that_is_not_nifti_is_refused_naming_the_file(bids):
    cohort = load_bids_cohort(bids)
    victim = cohort.images[0]
    with gzip.open(victim, "wb") as fh:
        fh.write(b"not an image at all")
    ext = TimeSeriesExtractor(atlas=cohort.atlas, window=10, verbose=0).fit(cohort.images)
    with pytest.raises(ValueError) as info:
        ext.transform(cohort.images)
    assert victim in str(info.value) and "'X[0]'" in str(info.value)
