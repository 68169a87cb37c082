"""Classify image files with an exported SavedModel: one JSON line per file, with the
file name, the class id and the class probabilities. Images are decoded (PNG, JPEG,
GIF, BMP; grey, grey + alpha, RGB or RGBA), converted to the model's channels (alpha
dropped) and resized to its input size.
"""

import json
import sys

from keras_margin.cli.errors import usage_errors


def add_arguments(parser):
    parser.add_argument("model_dir", metavar="MODEL_DIR",
                        help="SavedModel folder, or a `keras-margin train` output folder")
    parser.add_argument("files", metavar="FILE", nargs="+", help="image files")
    parser.add_argument("--embedding", action="store_true", help="also print the embedding")


def run(args, usage_error):
    from keras_margin.cli.serving import ServingModel

    with usage_errors():
        model = ServingModel(args.model_dir)
        images = [_read_image(path, model.input_shape) for path in args.files]
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
    from keras_margin.data.image_file import read_image

    return _to_model_input(read_image(path, input_shape[-1]), input_shape)


def decode_image(contents, input_shape, what="the image"):
    """Decodes encoded PNG/JPEG/GIF/BMP bytes to float32 pixels 0..255 of `input_shape`,
    converting the channels and resizing (antialiased) to the model's input."""
    from keras_margin.data import image_file

    return _to_model_input(image_file.decode_image(contents, input_shape[-1], what=what), input_shape)


def _to_model_input(image, input_shape):
    import tensorflow as tf

    from keras_margin.cli._resize import resize_images

    height, width, _ = input_shape
    return tf.clip_by_value(resize_images(image, (height, width)), 0.0, 255.0).numpy()
