"""The container moved to ``skfmm.container``: the old module still answers, with a warning."""

import pickle

import numpy as np
import pytest

import skfmm
import skfmm.container
import skfmm.extraction.container as old_home


def test_old_home_names_resolve_to_the_new_objects_with_a_future_warning():
    assert old_home.__all__ == ["ContainerInputMixin", "KNOWN_KEYS", "MultimodalData",
                                "check_multimodal"]
    for name in old_home.__all__:
        with pytest.warns(FutureWarning, match=rf"from skfmm\.container import {name}"):
            assert getattr(old_home, name) is getattr(skfmm.container, name)
    assert skfmm.MultimodalData is skfmm.container.MultimodalData


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        old_home.nope


def test_a_pickle_written_before_the_move_still_loads():
    X = skfmm.container.MultimodalData(ts=np.zeros((2, 3, 4)), xyz=np.ones((2, 4, 3)))
    data = pickle.dumps(X, protocol=2)  # GLOBAL opcodes: "module\nname\n", no frames
    assert b"cskfmm.container\n_rebuild\n" in data
    # a file written before the move names the old module
    old = data.replace(b"cskfmm.container\n", b"cskfmm.extraction.container\n")
    with pytest.warns(FutureWarning, match="skfmm.extraction.container._rebuild"):
        back = pickle.loads(old)
    assert isinstance(back, skfmm.container.MultimodalData)
    np.testing.assert_array_equal(back["ts"], X["ts"])
    np.testing.assert_array_equal(back["xyz"], X["xyz"])
