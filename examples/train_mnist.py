"""Train ArcFace on 100 MNIST digits per class, then serve the export without keras_margin.

Run: .venv/bin/python examples/train_mnist.py
"""

import tempfile

import keras_margin as km  # noqa: I001  (imports TensorFlow without its start-up notices)

import keras
import numpy as np
import tensorflow as tf

keras.utils.set_random_seed(0)
augment = km.augment.image.policy("standard", num_classes=10, seed=0)
train, val, test, info = km.data.load(
    "mnist-5k", samples_per_class=100, seed=0, augment=augment, with_info=True
)

backbone = km.models.small_cnn(embedding_dim=64, input_shape=info.input_shape)
model = km.MarginModel(backbone, km.heads.ArcFace(num_classes=info.num_classes))
# Cosine decay: on a few hundred steps a constant rate leaves the batch-norm statistics
# behind the weights, and validation accuracy jumps from epoch to epoch.
schedule = keras.optimizers.schedules.CosineDecay(2e-3, decay_steps=15 * int(train.cardinality()))
model.compile(optimizer=keras.optimizers.Adam(schedule), metrics=["accuracy"])
model.fit(train, validation_data=val, epochs=15, verbose=2)
print("test accuracy:", model.evaluate(test, verbose=0)[1])

images = next(iter(test))[0].numpy()[:8]
with tempfile.TemporaryDirectory() as folder:
    model.export(folder, verbose=False)
    serve = tf.saved_model.load(folder).signatures["serving_default"]
    outputs = serve(inputs=tf.constant(images))
    print("class ids:", outputs["class_id"].numpy())
    print("embedding norms:", np.linalg.norm(outputs["embedding"].numpy(), axis=-1).round(3))
