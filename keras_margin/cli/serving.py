"""Loading an exported SavedModel for `evaluate` and `predict`, without keras_margin's layers."""

import os


class ServingModel:
    """The `serving_default` endpoint of a SavedModel written by `MarginModel.export`.

    Args:
        path: the SavedModel folder, or a `keras-margin train` output folder that holds
            one in `saved_model/`.
    """

    def __init__(self, path):
        from keras_margin.utils.quiet import import_tensorflow_quietly

        tf = import_tensorflow_quietly()
        if os.path.isdir(os.path.join(path, "saved_model")):
            path = os.path.join(path, "saved_model")
        if not os.path.isfile(os.path.join(path, "saved_model.pb")):
            raise ValueError(f"{path!r} is not a SavedModel folder (no saved_model.pb); pass the folder "
                             "written by `keras-margin train` or `MarginModel.export`")
        self.path = path
        signatures = tf.saved_model.load(path).signatures
        if "serving_default" not in signatures:
            raise ValueError(f"{path!r} has no serving_default signature")
        self._serve = signatures["serving_default"]
        spec = next(iter(self._serve.structured_input_signature[1].values()))
        self.input_name = next(iter(self._serve.structured_input_signature[1]))
        self.input_shape = tuple(spec.shape[1:])
        self.input_dtype = spec.dtype

    def __call__(self, images, batch_size=256):
        """`{"probabilities", "class_id", "embedding"}` as NumPy arrays for `images`."""
        import numpy as np

        outputs = {}
        for start in range(0, len(images), batch_size):
            batch = np.asarray(images[start:start + batch_size], dtype=self.input_dtype.as_numpy_dtype)
            for name, value in self._serve(**{self.input_name: batch}).items():
                outputs.setdefault(name, []).append(value.numpy())
        return {name: np.concatenate(values) for name, values in outputs.items()}
