import subprocess
import sys
import textwrap

import numpy as np
import pytest

import keras_margin as km
from test_margin_model import tiny_backbone, tiny_data


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    images, labels = tiny_data()
    model = km.MarginModel(tiny_backbone(), km.heads.ArcFace(4, scale=16.0))
    model.compile()
    model.fit(images, labels, epochs=1, batch_size=16, verbose=0)
    base = tmp_path_factory.mktemp("export") / "models" / "faces"
    model.export(str(base), verbose=False, thresholds={"1e-3": 0.5, 0.01: 0.25}, version=3)
    return model, base, images


def test_versioned_layout_and_thresholds_decide_without_keras_margin(exported, tmp_path):
    model, base, images = exported
    assert (base / "3" / "saved_model.pb").is_file()
    embeddings = model.embed(images)
    np.save(tmp_path / "images.npy", images)
    script = textwrap.dedent(f"""
        import sys, json, numpy as np, tensorflow as tf
        loaded = tf.saved_model.load({str(base / "3")!r})
        stored = loaded.signatures["thresholds"]()
        images = tf.constant(np.load({str(tmp_path / "images.npy")!r}))
        out = loaded.signatures["verify"](inputs_a=images[:32], inputs_b=images[32:])
        assert not any(name.startswith("keras_margin") for name in sys.modules)
        print(json.dumps({{"far": stored["far"].numpy().tolist(), "threshold": stored["threshold"].numpy().tolist(),
                          "score": out["score"].numpy().tolist(),
                          "same_1e-3": out["same_at_far_1e-3"].numpy().tolist(),
                          "same_1e-2": out["same_at_far_1e-2"].numpy().tolist()}}))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    import json

    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["far"] == [1e-3, 1e-2] and out["threshold"] == [0.5, 0.25]
    expected = np.sum(embeddings[:32] * embeddings[32:], axis=1)
    np.testing.assert_allclose(out["score"], expected, atol=1e-5)
    np.testing.assert_array_equal(out["same_1e-3"], np.asarray(out["score"]) >= 0.5)
    np.testing.assert_array_equal(out["same_1e-2"], np.asarray(out["score"]) >= 0.25)


@pytest.mark.parametrize("kwargs, match", [
    ({"thresholds": {}}, "thresholds"), ({"thresholds": {"often": 0.3}}, "FARs"),
    ({"thresholds": {"2": 0.3}}, "FAR"), ({"thresholds": {"1e-3": float("nan")}}, "thresholds"),
    ({"version": 0}, "version"),
])
def test_invalid_export_arguments_raise_before_writing(exported, tmp_path, kwargs, match):
    model, _, _ = exported
    with pytest.raises(ValueError, match=match):
        model.export(str(tmp_path / "out"), verbose=False, **kwargs)
    assert not (tmp_path / "out").exists()
