import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf

import keras_margin as km
from test_margin_model import tiny_backbone, tiny_data


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    images, labels = tiny_data()
    model = km.MarginModel(tiny_backbone(with_random_layers=True), km.heads.ArcFace(4, scale=16.0))
    model.compile()
    model.fit(images, labels, epochs=1, batch_size=16, verbose=0)
    path = str(tmp_path_factory.mktemp("export") / "serving")
    model.export(path, verbose=False)
    return model, path, images


def test_serving_signature_needs_only_the_input(exported):
    _, path, images = exported
    loaded = tf.saved_model.load(path)
    serve = loaded.signatures["serving_default"]
    assert list(serve.structured_input_signature[1]) == ["inputs"]
    outputs = serve(inputs=tf.constant(images))
    assert set(outputs) == {"probabilities", "class_id", "embedding"}
    assert outputs["probabilities"].shape == (64, 4)
    assert outputs["class_id"].dtype == tf.int32
    np.testing.assert_allclose(np.linalg.norm(outputs["embedding"], axis=-1), 1.0, rtol=1e-5)


def test_export_is_deterministic_and_matches_predict(exported):
    model, path, images = exported
    serve = tf.saved_model.load(path).signatures["serving_default"]
    first = serve(inputs=tf.constant(images))
    second = serve(inputs=tf.constant(images))
    for key in first:  # dropout and RandomFlip in the backbone must be off
        np.testing.assert_array_equal(first[key], second[key])
    np.testing.assert_allclose(first["probabilities"], model.predict(images, verbose=0), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(first["class_id"], np.argmax(model.predict(images, verbose=0), -1))
    np.testing.assert_allclose(first["embedding"], model.embed(images), rtol=1e-5, atol=1e-6)


def test_loads_in_a_process_without_keras_margin(exported, tmp_path):
    model, path, images = exported
    np.save(tmp_path / "images.npy", images)
    np.save(tmp_path / "expected.npy", model.predict(images, verbose=0))
    script = textwrap.dedent(f"""
        import sys, numpy as np, tensorflow as tf
        serve = tf.saved_model.load({path!r}).signatures["serving_default"]
        out = serve(inputs=tf.constant(np.load({str(tmp_path / 'images.npy')!r})))
        np.testing.assert_allclose(out["probabilities"], np.load({str(tmp_path / 'expected.npy')!r}), rtol=1e-5, atol=1e-6)
        assert not any(name.startswith("keras_margin") for name in sys.modules)
        print("ok")
    """)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                            cwd=str(tmp_path), timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]


def test_saved_model_cli_describes_it(exported):
    _, path, _ = exported
    cli = shutil.which("saved_model_cli", path=os.path.dirname(sys.executable)) or shutil.which("saved_model_cli")
    assert cli, "saved_model_cli ships with tensorflow and should be on PATH"
    result = subprocess.run([cli, "show", "--dir", path, "--all"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "serving_default" in result.stdout
    for name in ("inputs", "probabilities", "class_id", "embedding"):
        assert name in result.stdout


def test_bad_format_is_rejected(exported, tmp_path):
    model, _, _ = exported
    with pytest.raises(ValueError, match="`format`"):
        model.export(str(tmp_path / "x"), format="onnx")


def test_a_wrong_image_size_is_refused(exported):
    _, path, images = exported
    serve = tf.saved_model.load(path).signatures["serving_default"]
    with pytest.raises(tf.errors.InvalidArgumentError, match="must have shape"):
        serve(inputs=tf.zeros((2, 9, 9, 1)))
    with pytest.raises((tf.errors.InvalidArgumentError, ValueError, TypeError)):
        serve(inputs=tf.zeros((2, 8, 8)))


def test_non_finite_pixels_answer_nan_and_class_minus_one(exported):
    _, path, images = exported
    serve = tf.saved_model.load(path).signatures["serving_default"]
    clean = serve(inputs=tf.constant(images[:4]))
    broken = images[:4].copy()
    broken[1, 3, 3, 0] = np.nan
    broken[2, 0, 0, 0] = np.inf
    outputs = serve(inputs=tf.constant(broken))
    np.testing.assert_array_equal(outputs["class_id"], [clean["class_id"][0], -1, -1, clean["class_id"][3]])
    assert np.isnan(outputs["probabilities"][1:3]).all() and np.isnan(outputs["embedding"][1:3]).all()
    np.testing.assert_allclose(outputs["probabilities"][::3], clean["probabilities"][::3], rtol=1e-6)
