"""Resizing images to a model's input size, shared by `train --image-size`, `evaluate` and
`predict` so that an exported model is given the same pixels it was trained on: bilinear
with antialiasing (so shrinking does not alias); 0-255 pixels stay 0-255."""


def resize_images(images, size):
    """`images` (one `(height, width, channels)` image or a batch) resized to `size`,
    `(height, width)`, as float32."""
    import tensorflow as tf

    return tf.image.resize(tf.cast(images, tf.float32), tuple(size), antialias=True)


def resized(data, size):
    """`data`, a `tf.data` pipeline of `(images, labels)` batches, with its images resized
    to `size`; None stays None."""
    if data is None:
        return None
    import tensorflow as tf

    def resize(images, labels):
        return resize_images(images, size), labels

    return data.map(resize, num_parallel_calls=tf.data.AUTOTUNE)
