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
        path = _latest_version(path)
        if not os.path.isfile(os.path.join(path, "saved_model.pb")):
            raise ValueError(f"{path!r} is not a SavedModel folder (no saved_model.pb); pass the folder "
                             "written by `keras-margin train` or `MarginModel.export`")
        self.path = path
        signatures = tf.saved_model.load(path).signatures
        self.thresholds = _stored_thresholds(signatures)
        if "serving_default" not in signatures:
            raise ValueError(f"{path!r} has no serving_default signature")
        self._serve = self.signature = signatures["serving_default"]
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


def _latest_version(path):
    """The highest numbered SavedModel under `path` (TensorFlow Serving's model base
    path, `export(..., version=N)`), or `path` itself."""
    if os.path.isfile(os.path.join(path, "saved_model.pb")) or not os.path.isdir(path):
        return path
    versions = [int(name) for name in os.listdir(path)
                if name.isdigit() and os.path.isfile(os.path.join(path, name, "saved_model.pb"))]
    return os.path.join(path, str(max(versions))) if versions else path


def _stored_thresholds(signatures):
    """`{far_key: threshold}` from the `thresholds` endpoint of `export(thresholds=...)`."""
    if "thresholds" not in signatures:
        return {}
    from keras_margin.metrics.report import far_key

    stored = signatures["thresholds"]()
    return {far_key(far): float(threshold)
            for far, threshold in zip(stored["far"].numpy(), stored["threshold"].numpy())}
