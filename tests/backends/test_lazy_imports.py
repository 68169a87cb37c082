"""On JAX, `import keras_margin` leaves TensorFlow out until a TensorFlow part is used.

`data`, `augment`, `robustness` and `ssl` load on first use (and import TensorFlow then, quietly); the
callbacks each on first use; the augmentation layers are registered with Keras once
`keras_margin.augment` is imported. Run in a JAX process: the backend is fixed when Keras
is imported, and this process runs TensorFlow.
"""

import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PROGRAM = """
import sys
import keras
import keras_margin as km

assert keras.backend.backend() == "jax"
assert {"data", "augment", "robustness", "ssl"} <= set(dir(km))
km.callbacks.MarginWarmup, km.metrics.accuracy, km.heads.ArcFace, km.MarginModel
assert "tensorflow" not in sys.modules
assert keras.saving.get_registered_object("keras_margin>RandAugment") is None
km.data.make_pipeline, km.robustness.corrupt, km.ssl.SimCLR
assert "tensorflow" in sys.modules
import keras_margin.augment
assert keras.saving.get_registered_object("keras_margin>RandAugment") is km.augment.image.RandAugment
print("ok")
"""


def test_tensorflow_parts_load_on_first_use_quietly():
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env.update(KERAS_BACKEND="jax", PYTHONPATH=os.pathsep.join([REPO, env.get("PYTHONPATH", "")]))
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout == "ok\n"
    assert result.stderr == ""  # TensorFlow's start-up notices filtered on this path too
