"""The uint8 operations behind RandAugment and TrivialAugment, against PIL and NumPy.

RandAugment and TrivialAugment were defined with PIL's `ImageOps` and `ImageEnhance`;
the point operations must match PIL exactly, the enhance operations (which PIL blends in
float and truncates) to within one level.
"""

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image
from PIL import ImageEnhance
from PIL import ImageOps

from keras_margin.augment.image import _kernels


def crafted(channels, seed=0, size=24):
    """Images with structure: a gradient, a bright square, noise, and a flat one."""
    rng = np.random.default_rng(seed)
    ramp = np.tile(np.linspace(20, 230, size), (size, 1))
    square = np.full((size, size), 40.0)
    square[6:14, 8:18] = 250.0
    noise = rng.integers(0, 256, (size, size))
    low_contrast = 100 + rng.integers(0, 30, (size, size))
    flat = np.full((size, size), 77.0)
    planes = [ramp, square, noise, low_contrast, flat]
    images = []
    for i, plane in enumerate(planes):
        stack = [np.roll(plane, 3 * c, axis=c % 2) * (1 - 0.1 * c) for c in range(channels)]
        if i == len(planes) - 1:
            stack = [plane] * channels  # a flat image: every channel constant
        images.append(np.stack(stack, -1))
    return np.clip(np.round(images), 0, 255).astype("uint8")


def pil(image):
    return Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image)


def from_pil(picture, channels):
    array = np.asarray(picture)
    return array[..., None] if channels == 1 else array


def per_image(levels, value):
    return tf.constant(np.full(len(levels), value, "float32"))


# 72x72 runs the XLA-compiled kernels, 24x24 the uncompiled ones (below 64x64).
SIZES = [24, 72]


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("threshold", [0, 1, 100.5, 128, 178.5, 255])
@pytest.mark.parametrize("size", SIZES)
def test_solarize_matches_pil(channels, threshold, size):
    images = crafted(channels, size=size)
    out = _kernels.solarize(tf.constant(images), per_image(images, threshold)).numpy()
    for image, result in zip(images, out):
        expected = from_pil(ImageOps.solarize(pil(image), threshold), channels)
        np.testing.assert_array_equal(result, expected)


def test_solarize_inverts_exactly_the_levels_at_or_above_the_threshold():
    levels = np.arange(256, dtype="uint8").reshape(1, 16, 16, 1)
    out = _kernels.solarize(tf.constant(levels), tf.constant([200.0])).numpy().ravel()
    ramp = np.arange(256)
    np.testing.assert_array_equal(out, np.where(ramp >= 200, 255 - ramp, ramp))


@pytest.mark.parametrize("bits", range(1, 9))
@pytest.mark.parametrize("size", SIZES)
def test_posterize_matches_pil(bits, size):
    images = crafted(3, size=size)
    out = _kernels.posterize(tf.constant(images), per_image(images, bits)).numpy()
    for image, result in zip(images, out):
        np.testing.assert_array_equal(result, np.asarray(ImageOps.posterize(pil(image), bits)))


@pytest.mark.parametrize("channels", [1, 3])
def test_equalize_matches_pil(channels):
    images = crafted(channels)
    # Also a two-level image and one whose top level is rare, PIL's corner cases.
    two = np.where(np.arange(24 * 24).reshape(24, 24, 1) % 3 == 0, 30, 200)
    rare = np.full((24, 24, 1), 50)
    rare[0, 0] = 255
    extra = np.stack([np.repeat(two, channels, -1), np.repeat(rare, channels, -1)])
    images = np.concatenate([images, extra.astype("uint8")])
    out = _kernels.equalize(tf.constant(images)).numpy()
    for image, result in zip(images, out):
        np.testing.assert_array_equal(result, from_pil(ImageOps.equalize(pil(image)), channels))


def pil_equalize_table(histogram):
    """The look-up table of PIL's `ImageOps.equalize` for one band, as PIL builds it."""
    present = [count for count in histogram if count]
    step = (sum(present) - present[-1]) // 255 if present else 0
    if step == 0:
        return list(range(256))
    table, running = [], step // 2
    for count in histogram:
        table.append(min(255, running // step))
        running += count
    return table


@pytest.mark.parametrize(
    "pixels, largest_count",
    [(32 * 32, 40), (2**24 - 1, 65_000), (2**24, 200_000)],  # float32 path, its edge, int path
)
def test_equalize_tables_match_pil_on_both_paths(pixels, largest_count):
    rng = np.random.default_rng(pixels)
    counts = rng.integers(0, largest_count, (3, 2, 256))
    counts[0, 0, 200:] = 0  # a top level well below 255
    counts[0, 1, :] = 0
    counts[0, 1, 17] = 5  # one level only: PIL leaves it alone
    counts[1, 0, 255] = 1  # a rare top level
    tables = _kernels._equalize_tables(tf.constant(counts, tf.int32), pixels).numpy()
    for image, table in zip(counts.reshape(-1, 256), tables.reshape(-1, 256)):
        np.testing.assert_array_equal(table, pil_equalize_table(image.tolist()))


@pytest.mark.parametrize("channels", [1, 3])
def test_autocontrast_matches_pil(channels):
    images = crafted(channels)
    out = _kernels.autocontrast(tf.constant(images)).numpy()
    for image, result in zip(images, out):
        low = image.min(axis=(0, 1)).astype(int)
        high = image.max(axis=(0, 1)).astype(int)
        span = np.where(high > low, high - low, 1)
        exact = np.where(high > low, (image.astype(int) - low) * 255 // span, image)
        np.testing.assert_array_equal(result, exact)
        # PIL evaluates x * scale - low * scale in float64, which can fall just below
        # an integer: one level less on a few pixels.
        expected = from_pil(ImageOps.autocontrast(pil(image)), channels)
        difference = result.astype(int) - expected
        assert difference.min() >= 0 and difference.max() <= 1
        assert (difference == 0).mean() > 0.95
    # Every channel of the non-flat images now spans 0..255; the flat image is unchanged.
    assert out[:4].min() == 0 and out[:4].max() == 255
    np.testing.assert_array_equal(out[4], images[4])


ENHANCE = {
    "brightness": ImageEnhance.Brightness,
    "contrast": ImageEnhance.Contrast,
    "color": ImageEnhance.Color,
    "sharpness": ImageEnhance.Sharpness,
}


@pytest.mark.parametrize("factor", [0.1, 0.73, 1.0, 1.27, 1.99])
@pytest.mark.parametrize("name", sorted(ENHANCE))
@pytest.mark.parametrize("channels", [1, 3])
# 72x72 takes sharpness's convolution path and the compiled kernels, 24x24 sharpness's
# shifted sums and the uncompiled kernels.
@pytest.mark.parametrize("size", SIZES)
def test_enhance_operations_match_pil(name, factor, channels, size):
    images = crafted(channels, size=size)
    out = getattr(_kernels, name)(tf.constant(images), per_image(images, factor)).numpy()
    for image, result in zip(images, out):
        expected = from_pil(ENHANCE[name](pil(image)).enhance(factor), channels)
        difference = np.abs(result.astype(int) - expected.astype(int))
        # Float blending then truncation, as PIL; the grey mean of contrast comes from
        # float weights where PIL rounds each pixel's grey level first.
        assert difference.max() <= 1, (name, factor, difference.max())
        assert (difference == 0).mean() > 0.97, (name, factor)
    if factor == 1.0:
        np.testing.assert_array_equal(out, images)


@pytest.mark.parametrize(
    "name, parameter",
    [("solarize", 140.0), ("posterize", 3.0), ("brightness", 1.4)],
)
def test_compiled_kernels_equal_their_uncompiled_selves(name, parameter):
    kernel = getattr(_kernels, name)
    images = tf.constant(crafted(3, size=72))
    compiled = kernel(images, per_image(images, parameter)).numpy()
    uncompiled = kernel.__wrapped__(images, per_image(images, parameter)).numpy()
    np.testing.assert_array_equal(compiled, uncompiled)


@pytest.mark.parametrize("size", SIZES)
def test_compiled_table_look_up_equals_numpy_indexing(size):
    images = crafted(3, size=size)
    tables = np.random.default_rng(size).integers(0, 256, (len(images), 3, 256), "uint8")
    expected = tables[np.arange(len(images))[:, None, None, None], np.arange(3), images]
    for apply in (_kernels._apply_tables, _kernels._apply_tables.__wrapped__):
        out = apply(tf.constant(images), tf.constant(tables)).numpy()
        np.testing.assert_array_equal(out, expected)


def test_sharpness_leaves_the_border_and_flat_images_alone():
    images = crafted(3)
    out = _kernels.sharpness(tf.constant(images), per_image(images, 1.9)).numpy()
    for border in (np.s_[:, 0], np.s_[:, -1], np.s_[:, :, 0], np.s_[:, :, -1]):
        np.testing.assert_array_equal(out[border], images[border])
    np.testing.assert_array_equal(out[4], images[4])
    assert not np.array_equal(out[2], images[2])


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("size", [(9, 9), (10, 10)])
def test_rotate_by_90_degrees_moves_a_marked_pixel_as_rot90(interpolation, size):
    image = np.zeros((1, *size, 3), "uint8")
    image[0, 2, 6] = (255, 128, 7)
    inverse = _kernels.inverse_affine(*size, rotation=tf.constant([90.0]))
    out = _kernels.warp(tf.constant(image), inverse, interpolation).numpy()
    # Counter-clockwise as displayed, about the centre: np.rot90 exactly.
    np.testing.assert_array_equal(out[0], np.rot90(image[0]))
    row, col = size[1] - 1 - 6, 2
    assert tuple(out[0, row, col]) == (255, 128, 7)


def test_translate_shifts_by_whole_pixels_and_fills_black():
    image = np.full((1, 8, 8, 1), 200, "uint8")
    image[0, 3, 2] = 9
    inverse = _kernels.inverse_affine(8, 8, translate_x=tf.constant([3.0]),
                                      translate_y=tf.constant([-1.0]))
    out = _kernels.warp(tf.constant(image), inverse).numpy()[0, ..., 0]
    assert out[2, 5] == 9
    assert (out[:, :3] == 0).all() and (out[-1] == 0).all()
    assert (out[:7, 3:] > 0).all()


def test_shear_is_about_the_centre():
    image = np.zeros((1, 9, 9, 1), "uint8")
    image[0, 4, 4] = 255  # the centre
    image[0, 0, 4] = 100  # top middle: moves sideways under shear_x
    inverse = _kernels.inverse_affine(9, 9, shear_x=tf.constant([0.5]))
    out = _kernels.warp(tf.constant(image), inverse).numpy()[0, ..., 0]
    assert out[4, 4] == 255
    # Forward map x' = x + 0.5 (y - 4): the top-middle pixel moves 2 left.
    assert out[0, 2] == 100


def test_nearest_warp_matches_tensorflow_projective_transform():
    rng = np.random.default_rng(0)
    images = tf.constant(rng.integers(0, 256, (6, 20, 17, 3)).astype("uint8"))
    inverse = _kernels.inverse_affine(
        20, 17,
        rotation=tf.constant(rng.uniform(-40, 40, 6), tf.float32),
        shear_x=tf.constant(rng.uniform(-0.3, 0.3, 6), tf.float32),
        translate_y=tf.constant(rng.integers(-4, 5, 6), tf.float32),
    )
    ours = _kernels.warp(images, inverse).numpy()
    reference = tf.raw_ops.ImageProjectiveTransformV3(
        images=images, transforms=tf.reshape(inverse, [-1, 9])[:, :8],
        output_shape=[20, 17], fill_value=0.0, interpolation="NEAREST",
        fill_mode="CONSTANT",
    ).numpy()
    # The two round halves differently only at exact .5 source coordinates.
    assert (ours == reference).mean() > 0.999


def test_empty_groups_are_fine():
    empty = tf.zeros([0, 8, 8, 3], tf.uint8)
    none = tf.zeros([0])
    assert _kernels.equalize(empty).shape == (0, 8, 8, 3)
    assert _kernels.autocontrast(empty).shape == (0, 8, 8, 3)
    assert _kernels.warp(empty, tf.zeros([0, 3, 3])).shape == (0, 8, 8, 3)
    for name in ("brightness", "contrast", "color"):
        assert getattr(_kernels, name)(empty, none).shape == (0, 8, 8, 3)


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_every_kernel_takes_an_empty_batch_of_unknown_size(interpolation):
    # RandAugment runs every operation's group without a cond, also the empty ones,
    # and in tf.data the batch size is unknown while tracing.
    kernels = {
        "solarize": lambda x, p: _kernels.solarize(x, p),
        "posterize": lambda x, p: _kernels.posterize(x, p + 8.0),
        "equalize": lambda x, p: _kernels.equalize(x),
        "autocontrast": lambda x, p: _kernels.autocontrast(x),
        "brightness": _kernels.brightness,
        "contrast": _kernels.contrast,
        "color": _kernels.color,
        "sharpness": _kernels.sharpness,
        "warp": lambda x, p: _kernels.warp(
            x, tf.eye(3, batch_shape=tf.shape(p)), interpolation
        ),
    }
    spec = [tf.TensorSpec([None, None, None, 3], tf.uint8), tf.TensorSpec([None], tf.float32)]
    for name, kernel in kernels.items():
        traced = tf.function(kernel, input_signature=spec)
        out = traced(tf.zeros([0, 9, 7, 3], tf.uint8), tf.zeros([0]))
        assert out.shape == (0, 9, 7, 3), name
        assert out.dtype == tf.uint8, name
