"""`read_image`: one image file decoded to a given number of channels, or one clear error."""

import os
import re

import tensorflow as tf

from keras_margin.utils.quiet import native_logs_held

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
# TensorFlow wraps an op's message as "{{function_node ...}} MESSAGE [Op:Name] name: ".
_OP_DECORATION = re.compile(r"\{\{[^}]*\}\}\s*|\s*\[Op:[^\]]*\].*$", re.DOTALL)


def read_image(path, channels):
    """Decodes a PNG, JPEG, GIF (first frame) or BMP file to uint8 `(height, width,
    channels)`.

    Grey, grey + alpha, RGB and RGBA files all convert to `channels`: alpha is dropped,
    grey is repeated into RGB, RGB becomes grey by the decoder's luma weights (for GIF
    and BMP, whose decoders give only RGB, by `tf.image.rgb_to_grayscale`).

    Args:
        path: the image file.
        channels: 1 (grey) or 3 (RGB).

    Returns:
        A uint8 `tf.Tensor` of shape `(height, width, channels)`.

    Raises:
        ValueError: one line naming `path`, if it is not a file or does not decode.

    Example:

    >>> import numpy as np, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "grey_alpha.png")
    >>> tf.io.write_file(path, tf.io.encode_png(np.zeros((4, 5, 2), np.uint8)))
    >>> read_image(path, channels=3).shape
    TensorShape([4, 5, 3])
    """
    if channels not in (1, 3):
        raise ValueError(f"`channels` must be 1 or 3; received {channels!r}.")
    if not os.path.isfile(path):
        raise ValueError(f"{path}: not an image file (missing, or a folder).")
    with open(path, "rb") as stream:
        contents = stream.read()
    rgb_only = contents.startswith((b"GIF8", b"BM"))
    try:
        with native_logs_held():
            image = tf.io.decode_image(
                contents, channels=3 if rgb_only else channels, expand_animations=False
            )
    except (tf.errors.InvalidArgumentError, tf.errors.UnimplementedError) as error:
        message = _OP_DECORATION.sub("", error.message).strip()
        raise ValueError(
            f"{path}: not a readable PNG, JPEG, GIF or BMP image ({message})."
        ) from None
    if channels == 1 and rgb_only:
        image = tf.image.rgb_to_grayscale(image)
    return image
