"""Every private Keras and TensorFlow API that keras_margin imports, in one place.

A private module may move or vanish in any release, so the package imports none
directly: it imports the names below from here, and `pyproject.toml` bounds Keras and
TensorFlow to the releases in `TESTED_VERSIONS`, where tests/utils/test_compat.py checks
that every name resolves. Supporting a new release means running that test (and the
suite) under it, then widening `TESTED_VERSIONS` and the bounds together.

Imported here:

- `keras_global_state` (`keras.src.backend.common.global_state`): Keras' record of the
  layer call in progress, read by `AugmentationLayer` to tell a direct call from a call
  inside a model. None if a Keras lacks it; every call is then treated as direct.
- `control_flow_util` (`tensorflow.python.ops.control_flow_util`), resolved on first
  use so that importing this module never imports TensorFlow (the heads import on the
  JAX and PyTorch backends without it): `GraphOrParentsInXlaContext` tells the heads'
  class-logits kernel that it is being compiled with XLA.

Private attributes used through `self` on public classes cannot be imported, so they
are listed here instead, and the tests that exercise them fail if they change:

- `keras.Layer._convert_input_args` and `keras.Layer._allow_non_tensor_positional_args`
  (`AugmentationLayer.__call__` switches both off inside a `tf.data` graph);
- `keras.Model._maybe_symbolic_build` (overridden by `MarginModel`, which builds the
  head from the labels' shape);
- on Keras' own image preprocessing layers (`RandomRotation`, `RandomZoom`, ...), which
  the image policies drive with a seed per element: `layer.backend.set_backend` and
  `reset` (what Keras' `__call__` does inside `tf.data`), and the protocol by which
  Keras' random functions read a `keras.random.SeedGenerator`, one `next()` per draw
  (`augment.image.policies._DerivedSeeds` answers it from a seed tensor).
"""

import importlib
import importlib.metadata
import warnings

# Distribution -> the (major, minor) releases the private APIs were tested with
# (Keras 3.15.1, TensorFlow 2.21.0). pyproject.toml's bounds say the same.
TESTED_VERSIONS = {"keras": ((3, 15),), "tensorflow": ((2, 21),)}

try:
    from keras.src.backend.common import global_state as keras_global_state
except ImportError:  # pragma: no cover - a Keras without it
    keras_global_state = None

# Name -> module, for the TensorFlow modules resolved on first use (`__getattr__`).
_LAZY_MODULES = {"control_flow_util": "tensorflow.python.ops.control_flow_util"}


def __getattr__(name):
    if name in _LAZY_MODULES:
        # ImportError propagates, as it would from the direct import.
        module = importlib.import_module(_LAZY_MODULES[name])
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def installed_version(distribution):
    """The installed `(major, minor)` of `distribution`, or None if it is not installed."""
    try:
        version = importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None
    major, minor = (version.split(".") + ["0"])[:2]
    return int(major), int("".join(c for c in minor if c.isdigit()) or 0)


def untested_versions():
    """`{distribution: (major, minor)}` for each installed Keras or TensorFlow release
    outside `TESTED_VERSIONS`."""
    found = {}
    for distribution, tested in TESTED_VERSIONS.items():
        version = installed_version(distribution)
        if version is not None and version not in tested:
            found[distribution] = version
    return found


def warn_if_untested():
    """Warns once per import if an installed Keras or TensorFlow release is untested."""
    for distribution, version in untested_versions().items():
        tested = ", ".join("%d.%d" % pair for pair in TESTED_VERSIONS[distribution])
        warnings.warn(
            f"keras_margin uses private {distribution} APIs tested with {distribution} "
            f"{tested} only; {distribution} {version[0]}.{version[1]} is installed, where "
            "they may have changed (see keras_margin/utils/_compat.py).",
            RuntimeWarning,
            stacklevel=2,
        )


warn_if_untested()
