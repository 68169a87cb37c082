"""A head as a plain layer in a functional model that takes labels as a second input.

For users who build their own training graph instead of using `MarginModel`. The
training model takes (images, labels); the inference model shares the layers and takes
images only, so the margin never reaches serving.

Run: .venv/bin/python examples/functional_head.py
"""

import keras_margin as km  # noqa: I001

import keras
import numpy as np

train, _, test, info = km.data.load("digits", samples_per_class=50, validation_split=0.0,
                                    with_info=True)
backbone = km.models.small_cnn(embedding_dim=32, input_shape=info.input_shape, width=16)
head = km.heads.CosFace(info.num_classes, scale=30.0, margin=0.35)

images = keras.Input(info.input_shape, name="images")
labels = keras.Input((), dtype="int32", name="labels")
embeddings = backbone(images)
training_model = keras.Model([images, labels], head(embeddings, labels=labels, training=True))
inference_model = keras.Model(images, keras.layers.Softmax()(head(embeddings)))

training_model.compile(optimizer="adam", loss=km.losses.CrossEntropy())
training_model.fit(train.map(lambda x, y: ((x, y), y)), epochs=10, verbose=2)

x_test, y_test = map(np.concatenate, zip(*[(x.numpy(), y.numpy()) for x, y in test]))
accuracy = np.mean(np.argmax(inference_model.predict(x_test, verbose=0), -1) == y_test)
print(f"test accuracy: {accuracy:.3f}")
