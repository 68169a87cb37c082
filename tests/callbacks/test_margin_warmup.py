import keras
import numpy as np
import pytest

import keras_margin as km


def test_schedule_values():
    linear = km.callbacks.MarginWarmup(steps=4, start=0.2, softmax_steps=2)
    assert [linear.margin_scale_at(s) for s in range(8)] == pytest.approx(
        [0.0, 0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.0])
    cosine = km.callbacks.MarginWarmup(steps=4, schedule="cosine")
    assert [cosine.margin_scale_at(s) for s in (0, 2, 4)] == pytest.approx([0.0, 0.5, 1.0])
    assert cosine.margin_scale_at(1) < 0.25  # slow start
    softmax_then_margin = km.callbacks.MarginWarmup(steps=0, softmax_steps=3)
    assert [softmax_then_margin.margin_scale_at(s) for s in range(5)] == [0.0, 0.0, 0.0, 1.0, 1.0]


def test_the_compiled_fit_step_reads_the_ramp():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(12, 5)).astype("float32")
    labels = np.arange(12) % 3
    backbone = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4)])
    head = km.heads.CosFace(3, scale=8.0, margin=0.6)
    model = km.MarginModel(backbone, head)
    # A learning rate of 0 keeps the weights: each epoch's loss only moves with alpha.
    model.compile(optimizer=keras.optimizers.SGD(0.0))
    warmup = km.callbacks.MarginWarmup(steps=2, softmax_steps=1)
    history = model.fit(features, labels, batch_size=12, epochs=4, callbacks=[warmup], verbose=0)
    embeddings = backbone(features)
    cosines = np.asarray(head(embeddings)) / 8.0
    for epoch, alpha in enumerate([0.0, 0.0, 0.5, 1.0]):
        logits = 8.0 * (cosines - 0.6 * alpha * np.eye(3)[labels])
        expected = float(np.mean(keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)))
        assert history.history["loss"][epoch] == pytest.approx(expected, rel=1e-5)
    assert float(head.margin_scale.numpy()) == 1.0


def test_finds_the_head_in_a_functional_model_and_refuses_heads_without_margin():
    embeddings = keras.Input((4,))
    labels = keras.Input((), dtype="int32")
    head = km.heads.ArcFace(3)
    model = keras.Model([embeddings, labels], head(embeddings, labels=labels, training=True))
    warmup = km.callbacks.MarginWarmup(steps=5)
    warmup.set_model(model)
    warmup.on_train_begin()
    assert warmup.head is head
    with pytest.raises(ValueError, match="no margin"):
        km.callbacks.MarginWarmup(steps=5, head=km.heads.NormFace(3))


@pytest.mark.parametrize(
    "kwargs, name",
    [({"steps": -1}, "steps"), ({"start": 1.5}, "start"), ({"schedule": "exp"}, "schedule"),
     ({"softmax_steps": 0.5}, "softmax_steps")],
)
def test_invalid_arguments_name_them(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        km.callbacks.MarginWarmup(**{"steps": 3, **kwargs})
