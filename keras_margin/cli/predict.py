"""Classify image files with an exported SavedModel: one JSON line per file, with the
file name, the class id and the class probabilities. Images are decoded (PNG, JPEG,
GIF, BMP), converted to the model's channels and resized to its input size.
"""

import json
import os
import sys


def add_arguments(parser):
    parser.add_argument("model_dir", metavar="MODEL_DIR",
                        help="SavedModel folder, or a `keras-margin train` output folder")
    parser.add_argument("files", metavar="FILE", nargs="+", help="image files")
    parser.add_argument("--embedding", action="store_true", help="also print the embedding")


def run(args, usage_error):
    from keras_margin.cli.serving import ServingModel

    try:
        model = ServingModel(args.model_dir)
        images = [_read_image(path, model.input_shape) for path in args.files]
    except (ValueError, OSError) as error:
        raise usage_error(" ".join(str(error).split())) from None
    import numpy as np

    outputs = model(np.stack(images))
    for index, path in enumerate(args.files):
        line = {"file": path, "class_id": int(outputs["class_id"][index]),
                "probabilities": [round(float(p), 6) for p in outputs["probabilities"][index]]}
        if args.embedding:
            line["embedding"] = [round(float(v), 6) for v in outputs["embedding"][index]]
        sys.stdout.write(json.dumps(line) + "\n")
    return 0


def _read_image(path, input_shape):
    """Decodes `path` to float32 pixels 0..255 of `input_shape` (height, width, channels)."""
    import tensorflow as tf

    if not os.path.isfile(path):
        raise ValueError(f"no such image file: {path}")
    return decode_image(tf.io.read_file(path).numpy(), input_shape, what=path)


def decode_image(contents, input_shape, what="the image"):
    """Decodes encoded PNG/JPEG/GIF/BMP bytes to float32 pixels 0..255 of `input_shape`,
    converting the channels and resizing (antialiased) to the model's input."""
    import tensorflow as tf

    height, width, channels = input_shape
    try:
        image = tf.io.decode_image(contents, expand_animations=False)
    except (tf.errors.InvalidArgumentError, ValueError):
        raise ValueError(f"{what} is not a PNG, JPEG, GIF or BMP image") from None
    if image.shape[-1] == 4:
        image = image[..., :3]
    if channels == 1 and image.shape[-1] == 3:
        image = tf.image.rgb_to_grayscale(image)
    elif channels == 3 and image.shape[-1] == 1:
        image = tf.image.grayscale_to_rgb(image)
    image = tf.image.resize(tf.cast(image, tf.float32), (height, width), antialias=True)
    return tf.clip_by_value(image, 0.0, 255.0).numpy()
