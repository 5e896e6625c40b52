"""Fitted models shared by the interpretation tests."""

import pytest
from interpret_data import make_data, small


@pytest.fixture(scope="module")
def data():
    return make_data(covariates=True)


@pytest.fixture(scope="module")
def fitted(data):
    X, y = data
    return small().fit(X, y)


@pytest.fixture(scope="module")
def fitted_brainlm(tiny_brainlm):
    X, y = make_data()
    return small(tiny_brainlm).fit(X, y), X
