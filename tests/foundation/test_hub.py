"""Released weights by Hugging Face hub id, offline: a cache laid out by the test, HF_HUB_OFFLINE."""

import socket
import sys

import pytest
import torch

from skfmm.foundation import BrainLM, BrainLMConfig, load_foundation_model
from skfmm.foundation.hub import is_hub_id, split_hub_id

import huggingface_hub  # the [hub] extra, in [dev] too
import huggingface_hub.constants

COMMIT_A = "a" * 40
COMMIT_B = "b" * 40


def _tiny(seed):
    cfg = BrainLMConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, timepoint_patching_size=10,
                        decoder_hidden_size=16, decoder_intermediate_size=32)
    return BrainLM(cfg, with_decoder=False, random_state=seed)


def _hub_cache(root, commits, main, subfolder="old_13M"):
    """The Hugging Face cache layout of vandijklab/brainlm: snapshots/<commit>/<subfolder>/..."""
    repo = root / "models--vandijklab--brainlm"
    models = {}
    for seed, commit in enumerate(commits):
        model = _tiny(seed)
        model.save_pretrained(repo / "snapshots" / commit / subfolder)
        models[commit] = model
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(main)
    return models


@pytest.fixture
def offline(monkeypatch):
    """HF_HUB_OFFLINE=1, and any socket connection fails the test (nothing may go online)."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    def refuse(*args, **kwargs):
        raise AssertionError("a test tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)


def _same_weights(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_from_pretrained_by_id_reads_the_cache_offline(tmp_path, offline):
    models = _hub_cache(tmp_path, [COMMIT_A], main=COMMIT_A)
    model = BrainLM.from_pretrained("vandijklab/brainlm", subfolder="old_13M",
                                    cache_dir=tmp_path)
    assert _same_weights(model, models[COMMIT_A])
    # the id form with the subfolder in it is the same checkpoint
    same = BrainLM.from_pretrained("vandijklab/brainlm/old_13M", cache_dir=tmp_path)
    assert _same_weights(same, models[COMMIT_A])


def test_load_foundation_model_by_id_uses_hf_hub_cache(tmp_path, offline, monkeypatch):
    models = _hub_cache(tmp_path, [COMMIT_A], main=COMMIT_A)
    # HF_HUB_CACHE is read when huggingface_hub is imported: set where the hub reads it
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path))
    model = load_foundation_model("vandijklab/brainlm/old_13M")
    assert _same_weights(model, models[COMMIT_A])


def test_revision_pins_the_commit(tmp_path, offline):
    models = _hub_cache(tmp_path, [COMMIT_A, COMMIT_B], main=COMMIT_B)
    assert not _same_weights(models[COMMIT_A], models[COMMIT_B])
    latest = load_foundation_model("vandijklab/brainlm/old_13M", cache_dir=tmp_path)
    pinned = load_foundation_model("vandijklab/brainlm/old_13M", cache_dir=tmp_path,
                                   revision=COMMIT_A)
    assert _same_weights(latest, models[COMMIT_B])
    assert _same_weights(pinned, models[COMMIT_A])


def test_local_files_only_without_the_env_variable(tmp_path, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    calls = []
    real = huggingface_hub.snapshot_download

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", spy)
    models = _hub_cache(tmp_path, [COMMIT_A], main=COMMIT_A)
    model = BrainLM.from_pretrained("vandijklab/brainlm", subfolder="old_13M",
                                    cache_dir=tmp_path, local_files_only=True)
    assert _same_weights(model, models[COMMIT_A])
    # only the checkpoint files of the subfolder are asked for (not the vitmae_* models)
    assert calls[0]["local_files_only"] is True
    assert sorted(calls[0]["allow_patterns"]) == [
        "old_13M/config.json", "old_13M/model.safetensors", "old_13M/pytorch_model.bin"]


def test_missing_ids_are_errors_naming_them(tmp_path, offline):
    _hub_cache(tmp_path, [COMMIT_A], main=COMMIT_A)
    with pytest.raises(FileNotFoundError, match=r"'vandijklab/brainlm' subfolder 'new_1B'.*config"):
        BrainLM.from_pretrained("vandijklab/brainlm/new_1B", cache_dir=tmp_path)
    with pytest.raises(FileNotFoundError, match=r"'someone/nothing'.*not in the Hugging Face "
                                                r"cache.*HF_HUB_OFFLINE"):
        load_foundation_model("someone/nothing", cache_dir=tmp_path)
    with pytest.raises(FileNotFoundError, match=r"revision '" + "c" * 40):
        BrainLM.from_pretrained("vandijklab/brainlm/old_13M", cache_dir=tmp_path,
                                revision="c" * 40)
    # the repository's root has no checkpoint: the message says which subfolder to pass
    with pytest.raises(FileNotFoundError, match=r"subfolder='old_13M'"):
        BrainLM.from_pretrained("vandijklab/brainlm", cache_dir=tmp_path)
    with pytest.raises(ValueError, match="subfolder once"):
        BrainLM.from_pretrained("vandijklab/brainlm/old_13M", subfolder="other",
                                cache_dir=tmp_path)


def test_repository_not_found_on_the_hub_names_the_id(monkeypatch):
    import httpx2
    from huggingface_hub.errors import RepositoryNotFoundError

    def not_found(repo_id, **kwargs):
        response = httpx2.Response(404, request=httpx2.Request(
            "GET", f"https://huggingface.co/api/models/{repo_id}"))
        raise RepositoryNotFoundError("404 Client Error: Repository Not Found",
                                      response=response)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", not_found)
    with pytest.raises(FileNotFoundError,
                       match=r"'vandijklab/brainlmm' subfolder 'old_13M' was not found on the "
                             r"Hugging Face hub.*RepositoryNotFoundError"):
        load_foundation_model("vandijklab/brainlmm/old_13M")


def test_missing_huggingface_hub_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)  # import fails
    with pytest.raises(ImportError, match=r'pip install "skfmm\[hub\]"'):
        BrainLM.from_pretrained("vandijklab/brainlm", subfolder="old_13M")
    with pytest.raises(ImportError, match=r"skfmm\[hub\]"):
        load_foundation_model("vandijklab/brainlm/old_13M")


def test_local_folders_still_load_and_win_over_ids(tmp_path, monkeypatch):
    model = _tiny(3)
    model.save_pretrained(tmp_path / "owner" / "name" / "old_13M")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)  # never consulted
    # a relative folder that reads like an id is the folder
    assert _same_weights(load_foundation_model("owner/name/old_13M"), model)
    assert _same_weights(BrainLM.from_pretrained("owner/name", subfolder="old_13M"), model)
    with pytest.raises(FileNotFoundError, match="no subfolder 'other'"):
        BrainLM.from_pretrained(tmp_path / "owner" / "name", subfolder="other")
    with pytest.raises(ValueError, match="unknown model '/no/such/folder'.*hub id"):
        load_foundation_model("/no/such/folder")
    # hub options with a folder or the demo are refused, not ignored
    with pytest.raises(ValueError, match=r"revision='main' apply to Hugging Face hub ids, but "
                                         r"'owner/name/old_13M' is a local folder"):
        load_foundation_model("owner/name/old_13M", revision="main")
    with pytest.raises(ValueError, match=r"cache_dir=.*'demo' is a local folder"):
        load_foundation_model("demo", cache_dir=tmp_path)
    with pytest.raises(ValueError, match=r"BrainLM.from_pretrained: revision="):
        BrainLM.from_pretrained("owner/name", subfolder="old_13M", revision="v1")


def test_hub_id_syntax():
    assert is_hub_id("vandijklab/brainlm") and is_hub_id("vandijklab/brainlm/old_13M")
    for not_id in ("demo", "/abs/path", "./rel/path", "../x/y", "a\\b", "a//b", "~/x"):
        assert not is_hub_id(not_id), not_id
    assert split_hub_id("vandijklab/brainlm") == ("vandijklab/brainlm", None)
    assert split_hub_id("vandijklab/brainlm/old_13M", "old_13M") == (
        "vandijklab/brainlm", "old_13M")
