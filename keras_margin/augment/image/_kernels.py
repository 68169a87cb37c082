"""Batched image operations on uint8 levels, with a parameter per image.

Every function takes a batch `(n, height, width, channels)` of uint8 levels (0..255)
and per-image parameters of shape (n,), and returns uint8 levels. `n` may be 0: the
per-op groups of `RandAugment` are often empty. Results follow PIL's `ImageOps` and
`ImageEnhance` (what RandAugment and TrivialAugment were defined with): the enhance
operations blend in float and truncate, as PIL does.

Speed notes, measured with TensorFlow 2.21 on 2 CPU cores (oneDNN on), 224x224x3
groups unless said: broadcasting a per-image, per-channel (n, 1, 1, C) parameter into
an elementwise op costs ~3x a same-shape or per-image (n, 1) one, so the kernels
flatten each image to one row and take per-image parameters as an (n, 1) column; grey
levels and means come from plain 2-D matmuls against the luma weights. A uint8
`tf.where` costs ~3x a compare, cast, multiply and XOR together (so solarize XORs a
mask). Per-channel maps (equalize, autocontrast) are 256-entry tables applied with
`gather_nd`, 1.5-1.9x faster than `tf.gather`. oneDNN's transposes, batched matmuls and
depthwise convolutions carry a fixed cost of ~70-120 us a call, which at 32x32 is most
of an operation's cost: the kernels avoid the first two, and sharpness the third on
small images.
"""

import functools
import math

import numpy as np
import tensorflow as tf

# ITU-R 601-2 luma, the weights of PIL's convert("L") (19595, 38470, 7471) / 65536.
_LUMA = (19595 / 65536, 38470 / 65536, 7471 / 65536)


def dims(tensor):
    """The tensor's dimensions: Python ints where the static shape knows them.

    In tf.data the height, width and channels are usually static and only the group
    size is not; taking static dimensions as constants saves a Shape, StridedSlice
    and Pack op per use. At 32x32 the graph's op count, not the arithmetic, sets the
    cost of a batch.
    """
    static = tensor.shape.as_list()
    if all(d is not None for d in static):
        return static
    dynamic = tf.shape(tensor)
    return [dynamic[i] if d is None else d for i, d in enumerate(static)]


def _shape(like):
    """`like`'s shape for a reshape: -1 for the batch where the rest is static.

    A -1 costs no Shape/StridedSlice/Pack ops, and an empty batch (an empty group)
    still reshapes to 0 rows as long as the row size is a known non-zero.
    """
    n, *rest = dims(like)
    if all(isinstance(d, int) for d in rest) and math.prod(rest) > 0:
        return [-1, *rest]
    return [n, *rest]


def _flat(levels):
    """(n, H*W*C) view, so per-image parameters broadcast as (n, 1), the fast pattern."""
    n, height, width, channels = _shape(levels)
    return tf.reshape(levels, [n, height * width * channels])


def _unflat(flat, like):
    return tf.reshape(flat, _shape(like))


def _truncate(values):
    """float -> uint8 the way PIL's enhance operations do: clip, then truncate."""
    return tf.cast(tf.clip_by_value(values, 0.0, 255.0), tf.uint8)


# Below this many pixels per image, fixed costs per call decide: sharpness sums
# shifted slices instead of calling oneDNN's depthwise convolution (~120 us a call),
# and the cheap point operations skip XLA (~10-20 us a compiled call). Measured
# crossovers near 64x64 (TensorFlow 2.21, groups of 5 images).
_SMALL_IMAGE_PIXELS = 64 * 64


def _compiled(small_images_too=False):
    """Runs the decorated kernel compiled with XLA, on large images or on all.

    XLA fuses a kernel's elementwise passes over memory and its index arithmetic into
    its gathers: 1.3-6x faster per call from 64x64 up (224x224, 5 images: solarize
    0.40 -> 0.07 ms, brightness 0.25 -> 0.12 ms). On smaller images only the table
    look-up gains (`small_images_too`), the others pay the fixed cost of a compiled
    call (~10-20 us). XLA compiles once per concrete shape, that is per group size
    and image size, ~0.1-0.3 s on first sight: the first batches of a pipeline pay
    it. Images whose size is not static run uncompiled.

    Only kernels whose compiled output is bit-identical to TensorFlow's are decorated.
    The enhance blends `d + factor (x - d)` are not: XLA contracts the multiply and
    add into one fused multiply-add, one rounding where PIL and TensorFlow round
    twice, which moved 0.2-0.4% of pixels by one level away from PIL's output
    (colour was 5.8x faster compiled).
    """

    def decorate(kernel):
        # No autograph: the kernels branch on static values only, and autograph would
        # re-read their source at trace time.
        compiled = tf.function(kernel, jit_compile=True, autograph=False)

        @functools.wraps(kernel)
        def run(levels, *args):
            _, height, width, _ = dims(levels)
            pixels = height * width
            if isinstance(pixels, int) and (small_images_too or pixels >= _SMALL_IMAGE_PIXELS):
                return compiled(levels, *args)
            return kernel(levels, *args)

        return run

    return decorate


@_compiled()
def solarize(levels, threshold):
    """Inverts every level >= `threshold` (n,) (PIL `ImageOps.solarize`)."""
    # Levels are integers, so `x >= t` is `x >= ceil(t)`: a uint8 compare, no float copy.
    # Thresholds above 255 (which invert nothing) are not drawn by the policies.
    # 255 - x is x XOR 255, so the inversion is an XOR with a 0/255 mask: a select on
    # uint8 (tf.where) costs ~3x the compare, cast, multiply and XOR together.
    flat = _flat(levels)
    bound = tf.cast(tf.clip_by_value(tf.math.ceil(threshold), 0.0, 255.0), tf.uint8)
    mask = tf.cast(flat >= bound[:, None], tf.uint8) * 255
    return _unflat(tf.bitwise.bitwise_xor(flat, mask), levels)


@_compiled()
def posterize(levels, bits):
    """Keeps the `bits` (n,) most significant bits of each level (PIL `posterize`)."""
    shift = 8 - tf.cast(bits, tf.int32)
    mask = tf.cast(tf.bitwise.left_shift(255, shift) % 256, tf.uint8)
    return _unflat(tf.bitwise.bitwise_and(_flat(levels), mask[:, None]), levels)


def _lookup(params, index):
    """`tf.gather(params, index)`: rows of `params` at int32 `index`, any shape.

    Written as a `gather_nd` with one-element index vectors, whose CPU kernel measured
    1.5-1.9x faster than `GatherV2` on single bytes and on 3-byte pixels (TensorFlow
    2.21, 4.8M elements).
    """
    return tf.gather_nd(params, index[..., None])


def _table_index(levels):
    """int32 (n, H*W*C): level + 256 * (image * C + channel), a flat table index.

    The offsets are summed from a per-channel row and a per-image column first (the
    two broadcast patterns TensorFlow's CPU kernels handle fast; an (n, 1, 1, C)
    offset is ~3x slower) and then added to the levels in one same-shape add:
    measured ~2x cheaper than adding the row and the column to the levels in turn.
    """
    n, height, width, channels = dims(levels)
    per_channel = tf.tile(tf.range(channels) * 256, [height * width])
    offsets = per_channel[None, :] + tf.range(n)[:, None] * (channels * 256)
    return tf.cast(_flat(levels), tf.int32) + offsets


@_compiled(small_images_too=True)
def _apply_tables(levels, tables):
    """`tables[image, channel, level]` for uint8 levels and (n, C, 256) uint8 tables.

    Compiled, XLA fuses the index arithmetic into the gather: equalize and
    autocontrast cost 2-3x less at 224x224 than with TensorFlow's kernels, which write
    the int32 index out, read it back, and gather at ~1.7 ns an element. (Padding
    groups to power-of-two sizes, to compile fewer shapes, measured slower overall.)
    """
    return _unflat(tf.gather(tf.reshape(tables, [-1]), _table_index(levels)), levels)


def _equalize_tables(counts, pixels):
    """PIL's `ImageOps.equalize` look-up tables from histograms (n, C, 256).

    `pixels` is the pixel count of one image. Below 2**24 pixels every count and
    partial sum is an integer float32 holds exactly, so the running sums come from a
    matrix product with a triangle of ones and the floor divisions from float
    divisions (a float32 quotient of integers below 2**24 never rounds up to the next
    integer, so its floor is exact): ~3x cheaper than int32 `tf.cumsum` and `//`, which dominate the cost of
    a table at 32x32 (TensorFlow 2.21, CPU).
    """
    levels = tf.range(256)
    total = tf.reduce_sum(counts, axis=-1, keepdims=True)
    # Count of the highest level present: PIL leaves it out of the step. (A select
    # and a sum: `tf.gather(..., batch_dims=2)` builds ~15 ops.)
    highest = tf.reduce_max(tf.where(counts > 0, levels, -1), axis=-1, keepdims=True)
    last = tf.reduce_sum(
        tf.where(tf.equal(levels, highest), counts, 0), axis=-1, keepdims=True
    )
    if isinstance(pixels, int) and pixels < 2**24:
        step = tf.floor(tf.cast(total - last, tf.float32) / 255.0)
        safe_step = tf.maximum(step, 1.0)
        strictly_below = tf.constant(np.triu(np.ones((256, 256), "float32"), 1))
        before = tf.reshape(
            tf.matmul(tf.reshape(tf.cast(counts, tf.float32), [-1, 256]), strictly_below),
            tf.shape(counts),
        )
        table = tf.floor((before + tf.floor(safe_step / 2.0)) / safe_step)
        table = tf.cast(tf.minimum(table, 255.0), tf.int32)
    else:
        step = (total - last) // 255
        safe_step = tf.maximum(step, 1)
        before = tf.cumsum(counts, axis=-1, exclusive=True)
        table = tf.minimum((before + safe_step // 2) // safe_step, 255)
    return tf.cast(tf.where(step > 0, table, levels), tf.uint8)


def equalize(levels):
    """PIL's `ImageOps.equalize`, per image and channel."""
    n, height, width, channels = dims(levels)
    # One bincount over the group, not one per image: TensorFlow's 2-D bincount (and
    # XLA's, whose size would have to be static) measured 2-3x slower.
    bins = n * channels * 256
    counts = tf.math.bincount(
        tf.reshape(_table_index(levels), [-1]), minlength=bins, maxlength=bins
    )
    tables = _equalize_tables(tf.reshape(counts, [-1, channels, 256]), height * width)
    # The compiled look-up rebuilds the index inside its fused loop rather than
    # reading this int32 tensor back (not measured separately).
    return _apply_tables(levels, tables)


@_compiled()
def brightness(levels, factor):
    """PIL's `ImageEnhance.Brightness`: `factor * x`, truncated."""
    x = tf.cast(_flat(levels), tf.float32)
    return _unflat(_truncate(x * factor[:, None]), levels)


def contrast(levels, factor):
    """PIL's `ImageEnhance.Contrast`: `m + factor (x - m)`, m the rounded mean grey."""
    _, height, width, channels = dims(levels)
    x = tf.cast(levels, tf.float32)
    pixels = tf.cast(height * width, tf.float32)
    # The mean grey level as one matrix-vector product with the luma weights tiled
    # over the pixels: no per-channel reduction, no grey image.
    weights = tf.tile(_luma(channels), [height * width])
    mean = tf.floor(tf.matmul(_flat(x), weights[:, None]) / pixels + 0.5)  # (n, 1)
    return _blend(mean, x, factor)


def color(levels, factor):
    """PIL's `ImageEnhance.Color`: `L + factor (x - L)`, L the pixel's rounded grey."""
    channels = levels.shape[-1]
    if channels == 1:
        return levels  # PIL: a grey image is its own grey version.
    pixels = tf.cast(tf.reshape(levels, [-1, channels]), tf.float32)
    # Grey, broadcast to every channel, by one (pixels, C) x (C, C) product.
    to_grey = tf.tile(_luma(channels)[:, None], [1, channels])
    # PIL rounds each grey level; the weights are multiples of 2**-16, so the float32
    # sum is exact and floor(sum + 0.5) is PIL's integer rounding.
    grey = tf.floor(tf.matmul(pixels, to_grey) + 0.5)
    return _blend(tf.reshape(grey, _shape(levels)), tf.reshape(pixels, _shape(levels)), factor)


def autocontrast(levels):
    """`ImageOps.autocontrast` (cutoff 0): each channel's [min, max] onto [0, 255].

    Level x becomes floor((x - min) * 255 / (max - min)), computed exactly: the
    numerator and denominator are integers, so the float32 quotient never rounds
    across an integer. (PIL evaluates `x * scale - min * scale` in float64, which
    can land just below an integer: it differs by one level on a few percent of
    pixels.) Channels with max == min are left alone.

    The parameters are per channel, so the map is applied as a 256-entry table per
    image and channel, like equalize's: as fast as transposing to planes and back
    at 224x224, and ~4x cheaper at 32x32, where oneDNN's transposes cost ~70 us each.
    """
    low = tf.cast(tf.reduce_min(levels, axis=[1, 2])[..., None], tf.float32)  # (n, C, 1)
    high = tf.cast(tf.reduce_max(levels, axis=[1, 2])[..., None], tf.float32)
    stretch = high > low
    numerator_scale = tf.where(stretch, 255.0, 1.0)
    denominator = tf.where(stretch, high - low, 1.0)
    low = tf.where(stretch, low, 0.0)
    tables = _truncate((tf.range(256.0) - low) * numerator_scale / denominator)
    return _apply_tables(levels, tables)


def _luma(channels):
    if channels == 3:
        return tf.constant(_LUMA, tf.float32)
    return tf.fill([channels], 1.0 / channels)


def sharpness(levels, factor):
    """PIL's `ImageEnhance.Sharpness`: blend with the SMOOTH-filtered image.

    The degenerate image is the 3x3 kernel [[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13,
    rounded, inside the image and the input itself on the one-pixel border, so the
    border passes through unchanged.
    """
    _, height, width, channels = dims(levels)
    x = tf.cast(levels, tf.float32)
    if isinstance(height * width, int) and height * width < _SMALL_IMAGE_PIXELS:
        rows = x[:, :-2] + x[:, 1:-1] + x[:, 2:]
        box = rows[:, :, :-2] + rows[:, :, 1:-1] + rows[:, :, 2:]
        centre = x[:, 1:-1, 1:-1]
        inner = _blend(tf.round((box + 4.0 * centre) / 13.0), centre, factor)
    else:
        kernel = tf.constant([[1, 1, 1], [1, 5, 1], [1, 1, 1]], tf.float32) / 13.0
        kernel = tf.tile(kernel[:, :, None, None], [1, 1, channels, 1])
        smooth = tf.round(tf.nn.depthwise_conv2d(x, kernel, [1, 1, 1, 1], "SAME"))
        # Blending the whole image and cutting the border off the uint8 result is
        # cheaper than cutting the float interior out first (a 4-byte copy).
        inner = _blend(smooth, x, factor)[:, 1:-1, 1:-1]
    # Paste the interior back between the untouched border rows and columns (uint8
    # concatenations: cheaper than a masked select over the whole image).
    middle = tf.concat([levels[:, 1:-1, :1], inner, levels[:, 1:-1, -1:]], axis=2)
    return tf.concat([levels[:, :1], middle, levels[:, -1:]], axis=1)


def _blend(degenerate, image, factor):
    """PIL's `ImageEnhance` blend, `degenerate + factor (image - degenerate)`, truncated.

    `image` is float (n, H, W, C); `degenerate` is float, `image`'s shape or one
    value per image (n, 1); `factor` is (n,). Returns uint8 in `image`'s shape.
    """
    flat_image = _flat(image)
    flat_degenerate = _flat(degenerate) if degenerate.shape.rank == 4 else degenerate
    blended = flat_degenerate + factor[:, None] * (flat_image - flat_degenerate)
    return _unflat(_truncate(blended), image)


def _nearest_warp(levels, inverse):
    """Nearest-neighbour warp by gathering whole pixels.

    The image gets a one-pixel zero border, and the source column and row of every
    output pixel of every image come from two (n, 3) x (3, H*W) matrix products,
    clamped into the bordered image: a point outside the input lands on the border
    and reads 0, with no separate inside test. Then one `tf.gather` copies C-byte
    pixels. ImageProjectiveTransformV3 computes the coordinates again for every
    channel, and measured ~30% slower on 224x224x3 batches; the clamp-and-border form
    ~20% faster than an explicit inside test. Rounding is floor(x + 0.5), as in
    ImageProjectiveTransformV3 for every point that lands inside.
    """
    n, height, width, channels = dims(levels)
    ys, xs = tf.meshgrid(tf.range(height), tf.range(width), indexing="ij")
    grid = tf.cast(
        tf.stack([tf.reshape(xs, [-1]), tf.reshape(ys, [-1]), tf.ones_like(tf.reshape(xs, [-1]))]),
        tf.float32,
    )  # (3, H*W) of (x, y, 1)
    # + 0.5 rounds to the nearest pixel, + 1 steps over the border. Clamped to the
    # bordered image the coordinates are >= 0, so the int cast (a truncation) is the
    # floor; and clamping before the floor equals clamping after it, the bounds being
    # integers.
    shift = tf.constant([[0.0, 0.0, 1.5]])
    bordered_height, bordered_width = height + 2, width + 2

    def clamped(coordinates, size):
        upper = tf.cast(size - 1, tf.float32)
        return tf.cast(tf.clip_by_value(coordinates, 0.0, upper), tf.int32)

    column = clamped(tf.matmul(inverse[:, 0, :] + shift, grid), bordered_width)
    row = clamped(tf.matmul(inverse[:, 1, :] + shift, grid), bordered_height)
    first_pixel = tf.range(n) * (bordered_height * bordered_width)
    index = row * bordered_width + column + first_pixel[:, None]
    bordered = tf.pad(levels, [[0, 0], [1, 1], [1, 1], [0, 0]])
    pixels = _lookup(tf.reshape(bordered, [-1, channels]), index)
    return tf.reshape(pixels, _shape(levels))


def warp(levels, inverse, interpolation="nearest", fill_value=0.0):
    """Resamples each image through its output-to-input map `inverse` (n, 3, 3)."""
    if interpolation == "nearest" and fill_value == 0.0:
        return _nearest_warp(levels, inverse)
    _, height, width, _ = dims(levels)
    transforms = tf.reshape(inverse, [-1, 9])[:, :8]
    images = levels if interpolation == "nearest" else tf.cast(levels, tf.float32)
    out = tf.raw_ops.ImageProjectiveTransformV3(
        images=images,
        transforms=transforms,
        output_shape=tf.stack([height, width]),
        fill_value=tf.constant(fill_value, tf.float32),
        interpolation=interpolation.upper(),
        fill_mode="CONSTANT",
    )
    if interpolation == "nearest":
        return out
    return tf.cast(tf.clip_by_value(tf.round(out), 0.0, 255.0), tf.uint8)


def inverse_affine(height, width, rotation=None, shear_x=None, shear_y=None,
                   translate_x=None, translate_y=None, batch=None):
    """Output-to-input maps (..., 3, 3) of affine transformations about the centre.

    The parameters share one shape, (n,) or (n, slots) say, and the maps have it
    plus (3, 3). The forward transformation moves input point p to c + R S (p - c) + t, with `c`
    the image centre ((width - 1) / 2, (height - 1) / 2), R the rotation by `rotation`
    degrees counter-clockwise as displayed, S = [[1, shear_x], [shear_y, 1]] (shear
    factors, x = column, y = row) and t = (translate_x, translate_y) pixels. Missing
    parameters are 0.
    """
    given = [p for p in (rotation, shear_x, shear_y, translate_x, translate_y)
             if p is not None]
    zeros = tf.zeros_like(given[0]) if given else tf.zeros([batch])

    def value(p):
        return zeros if p is None else tf.cast(p, tf.float32)

    theta = value(rotation) * (math.pi / 180.0)
    kx, ky = value(shear_x), value(shear_y)
    tx, ty = value(translate_x), value(translate_y)
    cos, sin = tf.cos(theta), tf.sin(theta)
    # Forward linear part R @ S, R = [[cos, sin], [-sin, cos]] with y pointing down.
    a, b = cos + sin * ky, cos * kx + sin
    c, d = cos * ky - sin, cos - sin * kx
    determinant = a * d - b * c
    ia, ib = d / determinant, -b / determinant
    ic, id_ = -c / determinant, a / determinant
    cx = (tf.cast(width, tf.float32) - 1.0) / 2.0
    cy = (tf.cast(height, tf.float32) - 1.0) / 2.0
    # p = c + A^-1 (q - c - t)  =>  offset = c - A^-1 (c + t).
    ox = cx - (ia * (cx + tx) + ib * (cy + ty))
    oy = cy - (ic * (cx + tx) + id_ * (cy + ty))
    rows = [[ia, ib, ox], [ic, id_, oy], [zeros, zeros, tf.ones_like(zeros)]]
    return tf.stack([tf.stack(row, axis=-1) for row in rows], axis=-2)
