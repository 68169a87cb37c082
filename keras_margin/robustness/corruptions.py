"""Common corruptions of ImageNet-C / MNIST-C, as TensorFlow ops for `tf.data`.

`corrupt(images, name, severity, seed)` applies one corruption at one of five
severities to float32 images in the project's 0-255 range, (H, W, C) or batched
(N, H, W, C). Every operation is a TensorFlow op: it runs inside `Dataset.map` and
under `tf.function`, and its randomness comes from stateless ops, so the output is a
function of the images, the name, the severity and the seed alone.

The parameters of every severity are those of MNIST-C (Mu & Gilmer 2019,
`corruptions.py`, written for 28x28 images and itself taking most of its constants
from ImageNet-C's `make_imagenet_c.py`), except `elastic_transform`, whose MNIST-C
constants are not ordered by strength; it follows the `imagecorruptions` package
(Michaelis et al. 2019), whose parameters scale with the image size. The table is
`PARAMETERS`; docs/robustness.md prints it with the sources.

Where the reference implementation calls a library with no TensorFlow equivalent,
the formula here is the one that library computes, stated in each function:
ImageMagick's motion blur, scikit-image's affine warps and Gaussian filter, SciPy's
zoom, PIL's BOX resize.

References:
    Hendrycks & Dietterich, "Benchmarking Neural Network Robustness to Common
    Corruptions and Perturbations", ICLR 2019.
    Mu & Gilmer, "MNIST-C: A Robustness Benchmark for Computer Vision", 2019.
    Michaelis et al., "Benchmarking Robustness in Object Detection: Autonomous
    Driving when Winter is Coming", 2019 (the `imagecorruptions` package).
"""

import math

import numpy as np
import tensorflow as tf

from keras_margin.utils import validation

__all__ = ["CORRUPTIONS", "FAMILIES", "PARAMETERS", "corrupt"]

_MNIST_C = "MNIST-C corruptions.py"
_IMAGECORRUPTIONS = "imagecorruptions 1.1 (size-relative)"

# name: (parameter meaning, values at severities 1..5, source)
PARAMETERS = {
    "gaussian_noise": ("noise std (of 0-1 range)", (0.08, 0.12, 0.18, 0.26, 0.38), _MNIST_C),
    "shot_noise": ("Poisson rate c: Poisson(c x) / c", (60, 25, 12, 5, 3), _MNIST_C),
    "impulse_noise": ("fraction of values set to 0 or 1", (0.03, 0.06, 0.09, 0.17, 0.27), _MNIST_C),
    "defocus_blur": ("disk radius, anti-alias sigma (px)",
                     ((3, 0.1), (4, 0.5), (6, 0.5), (8, 0.5), (10, 0.5)), _MNIST_C),
    "motion_blur": ("radius, sigma (px); angle ~ U(-45, 45) deg",
                    ((10, 3), (15, 5), (15, 8), (15, 12), (20, 15)), _MNIST_C),
    "zoom_blur": ("zoom factors (first, last, step)",
                  ((1.0, 1.10, 0.01), (1.0, 1.15, 0.01), (1.0, 1.20, 0.02),
                   (1.0, 1.24, 0.02), (1.0, 1.30, 0.03)), _MNIST_C),
    "contrast": ("factor on the distance to the mean", (0.4, 0.3, 0.2, 0.1, 0.05), _MNIST_C),
    "brightness": ("added to HSV value (of 0-1)", (0.1, 0.2, 0.3, 0.4, 0.5), _MNIST_C),
    "pixelate": ("resize factor (BOX down, nearest up)", (0.6, 0.5, 0.4, 0.3, 0.25), _MNIST_C),
    "jpeg_compression": ("JPEG quality", (25, 18, 15, 10, 7), _MNIST_C),
    "elastic_transform": ("alpha; noise U(+-0.005 H), sigma 0.01 H",
                          (12.5, 16.25, 21.25, 25.0, 30.0), _IMAGECORRUPTIONS),
    "rotate": ("angle (rad), random sign", (0.2, 0.4, 0.6, 0.8, 1.0), _MNIST_C),
    "shear": ("shear angle (rad), random sign", (0.2, 0.4, 0.6, 0.8, 1.0), _MNIST_C),
    "scale": ("content scale (zoom out)", (0.9, 0.8, 0.7, 0.6, 0.5), _MNIST_C),
    "translate": ("shift (px) in x and y, random signs", (1, 2, 3, 4, 5), _MNIST_C),
}

FAMILIES = {
    "noise": ("gaussian_noise", "shot_noise", "impulse_noise"),
    "blur": ("defocus_blur", "motion_blur", "zoom_blur"),
    "digital": ("contrast", "brightness", "pixelate", "jpeg_compression", "elastic_transform"),
    "geometric": ("rotate", "shear", "scale", "translate"),
}


def corrupt(images, name, severity, seed=0):
    """Applies corruption `name` at `severity` (1-5) to float 0-255 images.

    Args:
        images: float images in 0-255, (H, W, C) or (N, H, W, C); C is 1 or 3.
        name: one of `CORRUPTIONS` (see `FAMILIES`).
        severity: integer 1 to 5.
        seed: an int, or an int tensor of shape (2,) (e.g. `(seed, batch_index)`
            inside `Dataset.map`, so that batches get different noise). The same
            seed gives the same output.

    Returns:
        float32 images of the input's shape, clipped to [0, 255].

    Example:

    >>> import numpy as np
    >>> images = np.full((2, 8, 8, 1), 128.0, "float32")
    >>> corrupt(images, "contrast", 5).shape
    TensorShape([2, 8, 8, 1])
    """
    if name not in CORRUPTIONS:
        raise ValueError(f"`name` must be one of {sorted(CORRUPTIONS)}; received {name!r}.")
    severity = validation.integer_at_least(severity, 1, "severity")
    if severity > 5:
        raise ValueError(f"`severity` must be an integer in [1, 5]; received {severity!r}.")
    images = tf.convert_to_tensor(images)
    if images.shape.rank not in (3, 4):
        raise ValueError(
            f"`images` must be (H, W, C) or (N, H, W, C); received shape {images.shape}."
        )
    if None in images.shape.as_list()[-3:]:
        # The kernels, zoom grids and resize targets are built from the image size.
        raise ValueError(
            "`images` must have a static height, width and channels (only the batch may "
            f"be unknown); received shape {images.shape}. In tf.data, `ensure_shape` first."
        )
    single = images.shape.rank == 3
    unit = tf.cast(images, tf.float32) / 255.0
    if single:
        unit = unit[None]
    parameter = PARAMETERS[name][1][severity - 1]
    out = CORRUPTIONS[name](unit, parameter, _seed_pair(seed))
    out = tf.clip_by_value(out, 0.0, 1.0) * 255.0
    return out[0] if single else out


def _seed_pair(seed):
    seed = tf.cast(tf.convert_to_tensor(seed), tf.int64)
    if seed.shape.rank == 0:
        return tf.stack([seed, tf.constant(0, tf.int64)])
    return tf.reshape(seed, [2])


def _sub_seeds(seed, count):
    return tf.unstack(tf.random.experimental.stateless_split(seed, count))


# ---------------------------------------------------------------- resampling


def _bilinear(unit, rows, cols, fill="constant"):
    """Samples (N, H, W, C) images at float (N, ...) row and column coordinates.

    Bilinear, from the four neighbouring pixels; a neighbour outside the image reads
    0 with `fill="constant"` (scikit-image's `warp` default) or the nearest edge pixel
    with `fill="edge"` (ImageMagick's default virtual pixel).
    """
    _, height, width, _ = unit.shape.as_list()
    row0, col0 = tf.floor(rows), tf.floor(cols)
    row_weight, col_weight = rows - row0, cols - col0
    row0, col0 = tf.cast(row0, tf.int32), tf.cast(col0, tf.int32)
    out = 0.0
    for d_row, w_row in ((0, 1.0 - row_weight), (1, row_weight)):
        for d_col, w_col in ((0, 1.0 - col_weight), (1, col_weight)):
            r, c = row0 + d_row, col0 + d_col
            rc = tf.clip_by_value(r, 0, height - 1)
            cc = tf.clip_by_value(c, 0, width - 1)
            values = tf.gather_nd(unit, tf.stack([rc, cc], axis=-1), batch_dims=1)
            weight = w_row * w_col
            if fill == "constant":
                inside = (r == rc) & (c == cc)
                weight = tf.where(inside, weight, 0.0)
            out += values * weight[..., None]
    return out


def _grid(unit):
    _, height, width, _ = unit.shape.as_list()
    rows, cols = tf.meshgrid(
        tf.range(height, dtype=tf.float32), tf.range(width, dtype=tf.float32), indexing="ij"
    )
    return rows, cols


def _affine(unit, matrices, fill="constant"):
    """Warps each image by its output-to-input map `matrices` (N, 2, 3) on (x, y).

    Source point = M[:, :2] (p - centre) + centre + M[:, 2], with p = (column, row)
    and the centre ((W - 1) / 2, (H - 1) / 2): MNIST-C's maps about the centre.
    """
    _, height, width, _ = unit.shape.as_list()
    rows, cols = _grid(unit)
    x = cols - (width - 1) / 2.0
    y = rows - (height - 1) / 2.0
    m = matrices[:, :, None, None, :]  # (N, 2, 1, 1, 3)
    src_x = m[:, 0, ..., 0] * x + m[:, 0, ..., 1] * y + m[:, 0, ..., 2] + (width - 1) / 2.0
    src_y = m[:, 1, ..., 0] * x + m[:, 1, ..., 1] * y + m[:, 1, ..., 2] + (height - 1) / 2.0
    return _bilinear(unit, src_y, src_x, fill)


def _random_signs(seed, shape):
    return tf.where(tf.random.stateless_uniform(shape, seed) < 0.5, -1.0, 1.0)


def _batch(unit):
    return tf.shape(unit)[0]


# ---------------------------------------------------------------- noise


def _gaussian_noise(unit, std, seed):
    return unit + std * tf.random.stateless_normal(tf.shape(unit), seed)


def _shot_noise(unit, rate, seed):
    counts = tf.random.stateless_poisson(tf.shape(unit), seed, lam=unit * rate, dtype=tf.float32)
    return counts / rate


def _impulse_noise(unit, amount, seed):
    """scikit-image's "s&p" noise: each value, with probability `amount`, set to 0 or 1."""
    hit_seed, salt_seed = _sub_seeds(seed, 2)
    hit = tf.random.stateless_uniform(tf.shape(unit), hit_seed) < amount
    salt = tf.random.stateless_uniform(tf.shape(unit), salt_seed) < 0.5
    return tf.where(hit, tf.cast(salt, tf.float32), unit)


# ---------------------------------------------------------------- blur


def _gaussian_taps(sigma, radius):
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    return taps / taps.sum()


def defocus_kernel(radius, alias_blur):
    """ImageNet-C's `disk`: a normalised disk, then OpenCV's Gaussian blur of it.

    The disk spans -8..8 (radius <= 8) or -radius..radius; the blur is 3x3 (5x5 above
    radius 8) with sigma `alias_blur`, OpenCV's BORDER_REFLECT_101.
    """
    half = 8 if radius <= 8 else radius
    span = np.arange(-half, half + 1)
    xx, yy = np.meshgrid(span, span)
    disk = ((xx**2 + yy**2) <= radius**2).astype(np.float64)
    disk /= disk.sum()
    taps = _gaussian_taps(alias_blur, 1 if radius <= 8 else 2)
    pad = len(taps) // 2
    padded = np.pad(disk, pad, mode="reflect")  # NumPy "reflect" is REFLECT_101
    blurred = sum(taps[i] * padded[i:i + disk.shape[0], :] for i in range(len(taps)))
    blurred = sum(taps[j] * blurred[:, j:j + disk.shape[1]] for j in range(len(taps)))
    return blurred.astype(np.float32)


def border_indices(size, pad, mode):
    """Source index of each position -pad .. size - 1 + pad under a reflecting border.

    "reflect_101" mirrors about the edge pixel (d c b | a b c d | c b a: OpenCV's
    default, SciPy's "mirror"), "symmetric" repeats it (b a | a b c d | d c: SciPy's
    "reflect"). Reflections repeat, so `pad` may exceed the image: `tf.pad` refuses
    that, and an 8x8 image under a 17x17 disk kernel needs it.
    """
    position = np.arange(-pad, size + pad)
    if mode == "reflect_101":
        period = max(2 * (size - 1), 1)
        folded = np.mod(position, period)
        return np.where(folded < size, folded, period - folded).astype(np.int32)
    period = 2 * size
    folded = np.mod(position, period)
    return np.where(folded < size, folded, period - 1 - folded).astype(np.int32)


def _depthwise(unit, kernel, mode):
    """Correlation of each channel with `kernel` (kh, kw), reflecting border `mode`."""
    _, height, width, channels = unit.shape.as_list()
    kh, kw = kernel.shape
    padded = tf.gather(unit, border_indices(height, kh // 2, mode), axis=1)
    padded = tf.gather(padded, border_indices(width, kw // 2, mode), axis=2)
    filters = tf.tile(tf.constant(kernel)[:, :, None, None], [1, 1, channels, 1])
    return tf.nn.depthwise_conv2d(padded, filters, [1, 1, 1, 1], "VALID")


def _defocus_blur(unit, parameter, seed):
    del seed
    return _depthwise(unit, defocus_kernel(*parameter), "reflect_101")  # OpenCV's filter2D


def motion_kernel(radius, sigma):
    """ImageMagick's MotionBlurImage weights: exp(-i^2 / 2 sigma^2), i = 0..2 radius."""
    weights = np.exp(-np.arange(2 * radius + 1) ** 2 / (2.0 * sigma**2))
    return (weights / weights.sum()).astype(np.float32)


def _motion_blur_at(unit, radius, sigma, angle):
    """Sum of the image shifted by round(i cos a), round(i sin a) (edge pixels outside).

    `angle` (N,) in degrees. ImageMagick rounds each offset to whole pixels, halves
    up (ceil(x - 0.5)). All
    shifts are read by one gather: coordinates (N, 2 radius + 1, H, W).
    """
    rows, cols = _grid(unit)
    theta = tf.cast(angle, tf.float32)[:, None] * (math.pi / 180.0)
    steps = tf.range(2 * radius + 1, dtype=tf.float32)[None, :]
    d_col = tf.math.ceil(steps * tf.cos(theta) - 0.5)[..., None, None]
    d_row = tf.math.ceil(steps * tf.sin(theta) - 0.5)[..., None, None]
    shifted = _bilinear(unit, rows + d_row, cols + d_col, fill="edge")  # (N, K, H, W, C)
    weights = tf.constant(motion_kernel(radius, sigma))[None, :, None, None, None]
    return tf.reduce_sum(weights * shifted, axis=1)


def _motion_blur(unit, parameter, seed):
    angle = tf.random.stateless_uniform([_batch(unit)], seed, -45.0, 45.0)
    return _motion_blur_at(unit, *parameter, angle)


def _zoom_factors(parameter):
    first, last, step = parameter
    return [first + k * step for k in range(int(round((last - first) / step)) + 1)]


def _zoom_blur(unit, parameter, seed):
    """Mean of the image and its bilinear zooms about the centre (factors >= 1)."""
    del seed
    _, height, width, _ = unit.shape.as_list()
    rows, cols = _grid(unit)
    cy, cx = (height - 1) / 2.0, (width - 1) / 2.0
    factors = _zoom_factors(parameter)
    inverse = tf.constant([1.0 / z for z in factors])[:, None, None]  # (K, 1, 1)
    per_image = tf.zeros_like(unit[..., 0])[:, None]  # (N, 1, H, W): one read of all zooms
    zoomed = _bilinear(unit, (rows - cy) * inverse + cy + per_image,
                       (cols - cx) * inverse + cx + per_image, fill="edge")
    return (unit + tf.reduce_sum(zoomed, axis=1)) / (len(factors) + 1)


# ---------------------------------------------------------------- digital


def _contrast(unit, factor, seed):
    del seed
    mean = tf.reduce_mean(unit, axis=[1, 2], keepdims=True)
    return (unit - mean) * factor + mean


def _brightness(unit, shift, seed):
    """HSV value + shift. On one channel HSV value is the grey level itself."""
    del seed
    channels = unit.shape[-1]
    if channels == 1:
        return unit + shift
    if channels != 3:
        raise ValueError(f"brightness needs 1 or 3 channels; received {channels}.")
    hsv = tf.image.rgb_to_hsv(unit)
    value = tf.clip_by_value(hsv[..., 2:] + shift, 0.0, 1.0)
    return tf.image.hsv_to_rgb(tf.concat([hsv[..., :2], value], axis=-1))


def box_weights(size, out_size):
    """PIL's BOX reduction as an (out_size, size) matrix.

    Output pixel i averages the input pixels whose centres x + 0.5 fall in
    ((i + 0.5) s - s / 2, (i + 0.5) s + s / 2], s = size / out_size (PIL's
    `precompute_coeffs` with the box filter): whole pixels, not fractional
    overlaps, which is where it differs from `tf.image.resize(method="area")`.
    """
    scale = size / out_size
    centres = (np.arange(out_size)[:, None] + 0.5) * scale
    offsets = (np.arange(size)[None, :] + 0.5 - centres) / scale
    weights = ((offsets > -0.5) & (offsets <= 0.5)).astype(np.float64)
    return (weights / weights.sum(axis=1, keepdims=True)).astype(np.float32)


def _pixelate(unit, factor, seed):
    """PIL's BOX down to int(factor * size), nearest back up (imagecorruptions)."""
    del seed
    _, height, width, _ = unit.shape.as_list()
    rows = tf.constant(box_weights(height, int(height * factor)))
    cols = tf.constant(box_weights(width, int(width * factor)))
    small = tf.einsum("ih,nhwc,jw->nijc", rows, unit, cols)
    # Half-pixel centres: source floor((i + 0.5) * in / out), as PIL's NEAREST.
    return tf.image.resize(small, [height, width], method="nearest")


def _jpeg_compression(unit, quality, seed):
    del seed
    levels = tf.cast(tf.round(tf.clip_by_value(unit, 0.0, 1.0) * 255.0), tf.uint8)
    encoded = tf.map_fn(
        lambda image: tf.image.adjust_jpeg_quality(image, quality),
        levels,
        fn_output_signature=tf.TensorSpec(levels.shape[1:], tf.uint8),
    )
    return tf.cast(encoded, tf.float32) / 255.0


def elastic_noise_bound(height):
    return 0.005 * height


def _gaussian_filter(field, sigmas):
    """SciPy's `gaussian_filter(mode="reflect", truncate=3)` of (N, H, W) fields."""
    out = field[..., None]
    for axis, sigma in enumerate(sigmas):
        taps = _gaussian_taps(sigma, int(3.0 * sigma + 0.5))
        kernel = taps[:, None] if axis == 0 else taps[None, :]
        out = _depthwise(out, kernel.astype(np.float32), "symmetric")
    return out[..., 0]


def _elastic_at(unit, alpha, noise_x, noise_y):
    """Samples at (row + dy, col + dx), d = alpha * Gaussian-smoothed noise (N, H, W)."""
    _, height, width, _ = unit.shape.as_list()
    sigmas = (0.01 * height, 0.01 * width)
    dx = alpha * _gaussian_filter(noise_x, sigmas)
    dy = alpha * _gaussian_filter(noise_y, sigmas)
    rows, cols = _grid(unit)
    return _bilinear(unit, rows + dy, cols + dx, fill="edge")


def _elastic_transform(unit, alpha, seed):
    _, height, width, _ = unit.shape.as_list()
    bound = elastic_noise_bound(height)
    shape = tf.stack([_batch(unit), height, width])
    seed_x, seed_y = _sub_seeds(seed, 2)
    noise_x = tf.random.stateless_uniform(shape, seed_x, -bound, bound)
    noise_y = tf.random.stateless_uniform(shape, seed_y, -bound, bound)
    return _elastic_at(unit, alpha, noise_x, noise_y)


# ---------------------------------------------------------------- geometric


def _linear_maps(a, b, c, d, tx=None, ty=None):
    tx = tf.zeros_like(a) if tx is None else tx
    ty = tf.zeros_like(a) if ty is None else ty
    return tf.stack([tf.stack([a, b, tx], -1), tf.stack([c, d, ty], -1)], -2)


def _rotate(unit, radians, seed):
    """scikit-image's AffineTransform(rotation=+-c) as the output-to-input map."""
    angle = radians * _random_signs(seed, [_batch(unit)])
    cos, sin = tf.cos(angle), tf.sin(angle)
    return _affine(unit, _linear_maps(cos, -sin, sin, cos))


def _shear(unit, radians, seed):
    """AffineTransform(shear=+-c): x' = x - sin(c) y, y' = cos(c) y (scikit-image < 0.19)."""
    angle = radians * _random_signs(seed, [_batch(unit)])
    return _affine(unit, _linear_maps(tf.ones_like(angle), -tf.sin(angle),
                                      tf.zeros_like(angle), tf.cos(angle)))


def _scale(unit, factor, seed):
    del seed
    inverse = tf.fill([_batch(unit)], 1.0 / factor)
    zeros = tf.zeros_like(inverse)
    return _affine(unit, _linear_maps(inverse, zeros, zeros, inverse))


def _translate(unit, pixels, seed):
    signs = _random_signs(seed, [_batch(unit), 2]) * float(pixels)
    ones = tf.ones_like(signs[:, 0])
    zeros = tf.zeros_like(ones)
    return _affine(unit, _linear_maps(ones, zeros, zeros, ones, signs[:, 0], signs[:, 1]))


CORRUPTIONS = {
    "gaussian_noise": _gaussian_noise,
    "shot_noise": _shot_noise,
    "impulse_noise": _impulse_noise,
    "defocus_blur": _defocus_blur,
    "motion_blur": _motion_blur,
    "zoom_blur": _zoom_blur,
    "contrast": _contrast,
    "brightness": _brightness,
    "pixelate": _pixelate,
    "jpeg_compression": _jpeg_compression,
    "elastic_transform": _elastic_transform,
    "rotate": _rotate,
    "shear": _shear,
    "scale": _scale,
    "translate": _translate,
}
