"""keras_margin.utils._compat: every private name resolves on the installed, tested
Keras and TensorFlow; the versions agree with pyproject.toml; an untested one warns."""

import os
import re
import tomllib
import warnings

import keras
import numpy as np
import pytest

from keras_margin.utils import _compat

PYPROJECT = os.path.join(os.path.dirname(__file__), "..", "..", "pyproject.toml")


def test_the_installed_releases_are_the_tested_ones():
    # Running the suite under another release fails here first: test it, then widen
    # TESTED_VERSIONS and pyproject.toml's bounds together.
    assert _compat.untested_versions() == {}
    for distribution in _compat.TESTED_VERSIONS:
        assert _compat.installed_version(distribution) in _compat.TESTED_VERSIONS[distribution]


def test_every_private_name_resolves_to_what_the_package_uses():
    assert callable(_compat.keras_global_state.get_global_attribute)
    assert _compat.keras_global_state.get_global_attribute("current_call_ctx") is None
    import tensorflow as tf

    from keras_margin.augment.image.policies import _DerivedSeeds

    rotation = keras.layers.RandomRotation(0.1)
    assert callable(rotation.backend.set_backend) and callable(rotation.backend.reset)
    # Keras' random functions take the seed object's `next()`: the same seed tensor
    # gives the same draw, another gives another.
    draws = [keras.random.uniform((3,), seed=_DerivedSeeds(tf.constant([seed, 0])))
             for seed in (1, 1, 2)]
    np.testing.assert_array_equal(draws[0], draws[1])
    assert not np.array_equal(draws[0], draws[2])

    assert _compat.control_flow_util.GraphOrParentsInXlaContext(tf.Graph()) is False
    layer = keras.layers.Dense(1)
    assert isinstance(layer._convert_input_args, bool)
    assert isinstance(layer._allow_non_tensor_positional_args, bool)
    assert callable(keras.Model._maybe_symbolic_build)


def test_unknown_names_raise_attribute_error():
    with pytest.raises(AttributeError, match="no_such_name"):
        _compat.no_such_name  # noqa: B018


@pytest.mark.parametrize("distribution", sorted(_compat.TESTED_VERSIONS))
def test_pyproject_bounds_admit_exactly_the_tested_minor_releases(distribution):
    with open(PYPROJECT, "rb") as file:
        project = tomllib.load(file)["project"]
    requirements = project["dependencies"] + project["optional-dependencies"]["gpu"]
    for requirement in requirements:
        match = re.fullmatch(rf"{distribution}(\[[\w-]+\])?(?P<bounds>[<>=.,\d]+)", requirement)
        if not match:
            continue
        upper = re.search(r"<(\d+)\.(\d+)", match["bounds"])
        assert upper, f"{requirement}: no upper bound"
        newest = max(_compat.TESTED_VERSIONS[distribution])
        assert (int(upper[1]), int(upper[2])) == (newest[0], newest[1] + 1), requirement


def test_an_untested_release_warns(monkeypatch):
    monkeypatch.setattr(_compat, "installed_version",
                        lambda name: (3, 99) if name == "keras" else (2, 21))
    assert _compat.untested_versions() == {"keras": (3, 99)}
    with pytest.warns(RuntimeWarning, match=r"tested with keras 3\.15 only; keras 3\.99"):
        _compat.warn_if_untested()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        monkeypatch.setattr(_compat, "installed_version", lambda name: None)
        _compat.warn_if_untested()

