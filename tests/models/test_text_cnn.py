"""`text_cnn` + `MarginModel` on real fortunes: trains, exports, serves raw strings."""

import numpy as np
import pytest
import tensorflow as tf

import keras_margin as km


def test_margin_model_on_strings_trains_and_exports_a_string_signature(tmp_path):
    train, validation, test, info = km.data.load_text(
        "fortunes", samples_per_class=8, batch_size=40, with_info=True, seed=0
    )
    eda = km.augment.text.EDA(alpha_sr=0.05, alpha_ri=0.05, alpha_rs=0.05, p_rd=0.05)
    backbone = km.models.text_cnn(train, embedding_dim=16, sequence_length=32, width=16)
    model = km.MarginModel(backbone, km.heads.CosFace(info.num_classes, scale=16.0, margin=0.2))
    model.compile(optimizer="adam", metrics=["accuracy"])
    augmented = km.augment.text.seeded_map(train, eda, seed=0)
    history = model.fit(augmented, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()

    model.export(
        str(tmp_path / "serving"), verbose=False,
        input_signature=tf.TensorSpec([None], tf.string),
    )
    served = tf.saved_model.load(str(tmp_path / "serving"))
    texts = tf.constant(["Linux is only free if your time has no value.", "Eat, drink"])
    outputs = served.signatures["serving_default"](texts)
    assert outputs["probabilities"].shape == (2, info.num_classes)
    expected = model.predict(texts, verbose=0)
    np.testing.assert_allclose(outputs["probabilities"].numpy(), expected, atol=1e-5)


def test_text_cnn_checks_its_arguments():
    with pytest.raises(ValueError, match="`embedding_dim`"):
        km.models.text_cnn(["a b"], embedding_dim=0)
    with pytest.raises(ValueError, match="`texts`"):
        km.models.text_cnn([])
