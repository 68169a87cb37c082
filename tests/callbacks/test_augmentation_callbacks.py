import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_margin as km


def test_augmentation_schedule_writes_the_variable_each_epoch():
    magnitude = km.augment.magnitude.magnitude_variable(0.0)
    schedule = km.callbacks.AugmentationSchedule(magnitude, [0.0, 0.5, 1.0])
    assert [schedule.value_at(e) for e in range(5)] == [0.0, 0.5, 1.0, 1.0, 1.0]
    seen = []
    # The dataset reads the variable: each epoch's batches carry the value set for it.
    features = tf.data.Dataset.from_tensor_slices(np.zeros((4, 3), "float32")).batch(2)
    dataset = features.map(lambda x: (x + magnitude, tf.zeros((tf.shape(x)[0],), tf.int32)))

    class Spy(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(float(magnitude.numpy()))

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(dataset, epochs=3, callbacks=[schedule, Spy()], verbose=0)
    assert seen == [0.0, 0.0, 0.5, 0.5, 1.0, 1.0]
    assert history.history["augmentation_magnitude"] == [0.0, 0.5, 1.0]
    linear = km.callbacks.AugmentationSchedule.linear(magnitude, 0.0, 1.0, epochs=3)
    assert [linear.value_at(e) for e in range(4)] == [0.0, 0.5, 1.0, 1.0]
    with pytest.raises(ValueError, match="`magnitude`"):
        km.callbacks.AugmentationSchedule(0.5, [1.0])


def test_progressive_resizing_trains_a_size_agnostic_backbone_on_growing_images():
    train, _, _ = km.data.load("digits", samples_per_class=4, batch_size=20, seed=0)
    magnitude = km.augment.magnitude.magnitude_variable(0.0)
    resizing = km.callbacks.ProgressiveResizing(epochs=3, initial_size=4, final_size=8, stages=3,
                                                magnitude=magnitude, final_magnitude=0.6)
    affine = km.augment.magnitude.ScaledAffine(rotation=10, magnitude=magnitude, seed=0)
    pipeline = train.map(resizing.resize).map(affine)
    shapes = []

    class Spy(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            shapes.append((tuple(next(iter(pipeline))[0].shape[1:3]), round(float(magnitude.numpy()), 3)))

    backbone = km.models.small_cnn(embedding_dim=8, input_shape=(None, None, 1), width=4)
    model = km.MarginModel(backbone, km.heads.CosFace(10, scale=8.0))
    model.compile(optimizer="adam")
    history = model.fit(pipeline, epochs=3, callbacks=[resizing, Spy()], verbose=0)
    assert shapes == [((4, 4), 0.0), ((6, 6), 0.3), ((8, 8), 0.6)]
    assert history.history["image_height"] == [4.0, 6.0, 8.0]
    assert np.isfinite(history.history["loss"]).all()


def test_progressive_resizing_stages_and_errors():
    resizing = km.callbacks.ProgressiveResizing(epochs=10, initial_size=(8, 12), final_size=(16, 24), stages=2)
    assert [resizing.size_at(e) for e in (0, 4, 5, 9, 20)] == [(8, 12)] * 2 + [(16, 24)] * 3
    assert resizing.magnitude_at(0) == 0.0 and resizing.magnitude_at(9) == 1.0
    with pytest.raises(ValueError, match="`stages`"):
        km.callbacks.ProgressiveResizing(epochs=2, initial_size=4, final_size=8, stages=3)
    with pytest.raises(ValueError, match="`initial_size`"):
        km.callbacks.ProgressiveResizing(epochs=2, initial_size=(4, 4, 1), final_size=8)


def test_affinity_and_diversity():
    features = np.random.default_rng(0).normal(size=(40, 4)).astype("float32")
    labels = (features[:, 0] > 0).astype("int32")
    dataset = tf.data.Dataset.from_tensor_slices((features, labels)).batch(10)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.layers[0].set_weights([np.array([[-5.0, 5.0], [0, 0], [0, 0], [0, 0]], "float32"), np.zeros(2, "float32")])
    identity = lambda x, y: (x, y)  # noqa: E731
    negate = lambda x, y: (-x, y)  # noqa: E731  every prediction flips
    assert km.metrics.augmentation_affinity(model, dataset, identity) == pytest.approx(1.0)
    assert km.metrics.augmentation_affinity(model, dataset, negate) == pytest.approx(0.0)
    assert km.metrics.augmentation_diversity(model, dataset, identity) == pytest.approx(1.0)
    assert km.metrics.augmentation_diversity(model, dataset, negate) > 10.0
    shrink = lambda x, y: (x * 0.1, y)  # noqa: E731  less confident, still right
    reference = keras.models.clone_model(model)
    reference.set_weights([w * 2 for w in model.get_weights()])
    paper = km.metrics.augmentation_diversity(model, dataset, shrink, reference_model=reference)
    _, loss_aug = km.metrics.augmentation.accuracy_and_loss(model, dataset.map(shrink))
    _, loss_ref = km.metrics.augmentation.accuracy_and_loss(reference, dataset)
    assert paper == pytest.approx(loss_aug / loss_ref)

    check = km.callbacks.AugmentationCheck(negate, validation_data=dataset, train_sample=dataset)
    check.set_model(model)
    logs = {}
    check.on_epoch_end(0, logs)
    assert logs["affinity"] == pytest.approx(0.0) and logs["diversity"] > 10.0
    with pytest.raises(ValueError, match="validation_data"):
        km.callbacks.AugmentationCheck(identity)
