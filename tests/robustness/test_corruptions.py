"""`corrupt` against float64 NumPy / SciPy / PIL references of each formula, at every severity.

Deterministic corruptions are compared value by value; random ones either with the
random draw fixed (the sign of a geometric corruption: the output must equal the
reference for one of the signs; motion and elastic: the private cores, fed noise drawn
here) or by the statistics of the noise.
"""

import io
import itertools

import numpy as np
import pytest
import tensorflow as tf
from matplotlib import colors
from PIL import Image
from scipy import ndimage

from keras_margin.robustness import corruptions
from keras_margin.robustness import CORRUPTIONS, PARAMETERS, corrupt

SEVERITIES = (1, 2, 3, 4, 5)
SIZE = 16


def _image(channels, seed=0, size=SIZE):
    """A smooth blob plus texture in [0, 255]: it has edges, flat parts and both ends."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:size, 0:size]
    blob = 255.0 * np.exp(-((rows - size / 2) ** 2 + (cols - size / 3) ** 2) / (size / 2) ** 2)
    image = np.clip(blob[..., None] + rng.uniform(-40, 40, (size, size, channels)), 0, 255)
    return image.astype("float32")


def _batch(channels):
    return np.stack([_image(channels, 0), _image(channels, 1)])


def _param(name, severity):
    return PARAMETERS[name][1][severity - 1]


def _bilinear(unit, rows, cols, fill):
    """Float64 bilinear sampling of (H, W, C) at (H, W) coordinates."""
    height, width, _ = unit.shape
    r0, c0 = np.floor(rows).astype(int), np.floor(cols).astype(int)
    wr, wc = rows - r0, cols - c0
    out = np.zeros(rows.shape + unit.shape[-1:])
    for dr, dc in itertools.product((0, 1), (0, 1)):
        r, c = r0 + dr, c0 + dc
        weight = (wr if dr else 1 - wr) * (wc if dc else 1 - wc)
        inside = (r >= 0) & (r < height) & (c >= 0) & (c < width)
        values = unit[np.clip(r, 0, height - 1), np.clip(c, 0, width - 1)]
        if fill == "constant":
            weight = np.where(inside, weight, 0.0)
        out += weight[..., None] * values
    return out


def _affine_reference(unit, matrix, offset=(0.0, 0.0)):
    """Output (x, y) reads input M (p - centre) + centre + offset, zeros outside."""
    height, width, _ = unit.shape
    rows, cols = np.mgrid[0:height, 0:width].astype(float)
    cx, cy = (width - 1) / 2, (height - 1) / 2
    x, y = cols - cx, rows - cy
    src_x = matrix[0][0] * x + matrix[0][1] * y + cx + offset[0]
    src_y = matrix[1][0] * x + matrix[1][1] * y + cy + offset[1]
    return _bilinear(unit, src_y, src_x, "constant")


def _reference(name, unit, severity):
    """Float64 reference of a deterministic corruption on one (H, W, C) image in [0, 1]."""
    c = _param(name, severity)
    height, width, channels = unit.shape
    if name == "contrast":
        mean = unit.mean(axis=(0, 1), keepdims=True)
        out = (unit - mean) * c + mean
    elif name == "brightness":
        if channels == 1:
            out = unit + c
        else:
            hsv = colors.rgb_to_hsv(unit)
            hsv[..., 2] = np.clip(hsv[..., 2] + c, 0, 1)
            out = colors.hsv_to_rgb(hsv)
    elif name == "defocus_blur":
        radius, alias = c
        half = 8 if radius <= 8 else radius
        yy, xx = np.mgrid[-half:half + 1, -half:half + 1]
        disk = ((xx**2 + yy**2) <= radius**2).astype(float)
        disk /= disk.sum()
        ksize = 3 if radius <= 8 else 5
        taps = np.exp(-((np.arange(ksize) - ksize // 2) ** 2) / (2 * alias**2))
        taps /= taps.sum()
        kernel = ndimage.correlate1d(ndimage.correlate1d(disk, taps, 0, mode="mirror"),
                                     taps, 1, mode="mirror")
        out = np.stack([ndimage.correlate(unit[..., k], kernel, mode="mirror")
                        for k in range(channels)], -1)
    elif name == "zoom_blur":
        first, last, step = c
        factors = np.arange(first, last + step / 2, step)
        rows, cols = np.mgrid[0:height, 0:width].astype(float)
        cy, cx = (height - 1) / 2, (width - 1) / 2
        total = unit.copy()
        for z in factors:
            total += _bilinear(unit, (rows - cy) / z + cy, (cols - cx) / z + cx, "edge")
        out = total / (len(factors) + 1)
    elif name == "pixelate":
        small = (int(width * c), int(height * c))
        planes = []
        for k in range(channels):
            plane = Image.fromarray(unit[..., k].astype(np.float32), mode="F")
            plane = plane.resize(small, Image.BOX).resize((width, height), Image.NEAREST)
            planes.append(np.asarray(plane, dtype=float))
        out = np.stack(planes, -1)
    elif name == "scale":
        out = _affine_reference(unit, [[1 / c, 0], [0, 1 / c]])
    else:
        raise KeyError(name)
    return np.clip(out, 0, 1) * 255


@pytest.mark.parametrize("channels", (1, 3))
@pytest.mark.parametrize("name", ("contrast", "brightness", "defocus_blur", "zoom_blur",
                                  "pixelate", "scale"))
def test_deterministic_corruptions_match_reference(name, channels):
    images = _batch(channels)
    for severity in SEVERITIES:
        out = corrupt(images, name, severity, seed=3).numpy()
        for image, result in zip(images, out):
            expected = _reference(name, image.astype(float) / 255, severity)
            np.testing.assert_allclose(result, expected, atol=0.02, err_msg=f"{name} {severity}")


def _one_of(result, candidates, name):
    errors = [np.max(np.abs(result - c)) for c in candidates]
    assert min(errors) < 0.02, f"{name}: closest reference is {min(errors):.3f} away"


@pytest.mark.parametrize("name", ("rotate", "shear", "translate"))
def test_geometric_corruptions_match_reference_for_a_drawn_sign(name):
    images = _batch(1)
    for severity in SEVERITIES:
        c = _param(name, severity)
        out = corrupt(images, name, severity, seed=severity).numpy()
        for image, result in zip(images, out):
            unit = image.astype(float) / 255
            if name == "rotate":
                candidates = [_affine_reference(unit, [[np.cos(a), -np.sin(a)],
                                                       [np.sin(a), np.cos(a)]])
                              for a in (c, -c)]
            elif name == "shear":
                candidates = [_affine_reference(unit, [[1, -np.sin(a)], [0, np.cos(a)]])
                              for a in (c, -c)]
            else:
                candidates = [_affine_reference(unit, np.eye(2), (sx * c, sy * c))
                              for sx, sy in itertools.product((-1, 1), (-1, 1))]
            _one_of(result, [255 * c_ for c_ in candidates], f"{name} {severity}")


def test_geometric_signs_vary_over_images_and_seeds():
    images = np.repeat(_image(1)[None], 8, axis=0)
    out = corrupt(images, "rotate", 3, seed=0).numpy()
    assert len({out[i].tobytes() for i in range(8)}) == 2


def test_motion_blur_matches_imagemagick_formula():
    images = _batch(3)
    angles = np.array([-23.0, 37.0])  # no offset i sin(a) near a half pixel
    for severity in SEVERITIES:
        radius, sigma = _param("motion_blur", severity)
        out = corruptions._motion_blur_at(tf.constant(images / 255.0), radius, sigma,
                                          tf.constant(angles)).numpy() * 255
        weights = np.exp(-np.arange(2 * radius + 1) ** 2 / (2 * sigma**2))
        weights /= weights.sum()
        rows, cols = np.mgrid[0:SIZE, 0:SIZE]

        def shift(values, offset):  # ImageMagick rounds halves up; edge pixels outside
            return np.clip(values + int(np.ceil(offset - 0.5)), 0, SIZE - 1)

        for image, angle, result in zip(images, angles, out):
            theta = np.deg2rad(angle)
            expected = sum(
                w * image[shift(rows, i * np.sin(theta)), shift(cols, i * np.cos(theta))]
                for i, w in enumerate(weights)
            )
            np.testing.assert_allclose(result, expected, atol=0.02)


def test_motion_blur_angle_is_random_per_image():
    images = np.repeat(_image(1)[None], 3, axis=0)
    out = corrupt(images, "motion_blur", 2, seed=5).numpy()
    assert not np.allclose(out[0], out[1])


def test_elastic_transform_matches_reference_with_given_noise():
    images = _batch(1)
    rng = np.random.default_rng(0)
    bound = 0.005 * SIZE
    noise = rng.uniform(-bound, bound, (2, 2, SIZE, SIZE))
    rows, cols = np.mgrid[0:SIZE, 0:SIZE].astype(float)
    for severity in SEVERITIES:
        alpha = _param("elastic_transform", severity)
        out = corruptions._elastic_at(tf.constant(images / 255.0), alpha,
                                      tf.constant(noise[0], tf.float32),
                                      tf.constant(noise[1], tf.float32)).numpy() * 255
        for k, (image, result) in enumerate(zip(images, out)):
            smooth = [ndimage.gaussian_filter(noise[axis, k], 0.01 * SIZE, mode="reflect",
                                              truncate=3) * alpha for axis in (0, 1)]
            expected = 255 * _bilinear(image / 255.0, rows + smooth[1], cols + smooth[0], "edge")
            np.testing.assert_allclose(result, expected, atol=0.05)


def test_elastic_noise_reaches_the_gaussian_filter_at_larger_sizes():
    # At 16x16 sigma is 0.16 px (a 1-tap filter); at 200 px the filter has 7 taps.
    field = np.random.default_rng(1).uniform(-1, 1, (1, 200, 200))
    ours = corruptions._gaussian_filter(tf.constant(field, tf.float32), (2.0, 2.0)).numpy()
    expected = ndimage.gaussian_filter(field[0], 2.0, mode="reflect", truncate=3)
    np.testing.assert_allclose(ours[0], expected, atol=1e-5)


def test_gaussian_and_shot_noise_statistics():
    grey = np.full((4, 64, 64, 1), 0.4 * 255, "float32")
    rng = np.random.default_rng(0)
    for severity in SEVERITIES:
        c = _param("gaussian_noise", severity)
        out = corrupt(grey, "gaussian_noise", severity, seed=1).numpy() / 255
        expected = np.clip(0.4 + c * rng.standard_normal(10**6), 0, 1)
        assert abs(out.std() - expected.std()) < 0.03 * expected.std()
        assert abs(out.mean() - expected.mean()) < 0.01
        rate = _param("shot_noise", severity)
        out = corrupt(grey, "shot_noise", severity, seed=1).numpy() / 255
        expected = np.clip(rng.poisson(0.4 * rate, 10**6) / rate, 0, 1)
        assert abs(out.std() - expected.std()) < 0.03 * expected.std()
        assert abs(out.mean() - expected.mean()) < 0.01


def test_impulse_noise_fraction_and_salt_share():
    grey = np.full((4, 64, 64, 3), 100.0, "float32")
    for severity in SEVERITIES:
        amount = _param("impulse_noise", severity)
        out = corrupt(grey, "impulse_noise", severity, seed=2).numpy()
        hit = out != 100.0
        assert np.all(np.isin(out[hit], (0.0, 255.0)))
        standard_error = np.sqrt(amount * (1 - amount) / out.size)
        assert abs(hit.mean() - amount) < 5 * standard_error
        assert abs((out[hit] == 255.0).mean() - 0.5) < 0.05


@pytest.mark.parametrize("channels", (1, 3))
def test_jpeg_compression_close_to_pil(channels):
    images = _batch(channels)
    for severity in SEVERITIES:
        out = corrupt(images, "jpeg_compression", severity).numpy()
        for image, result in zip(images, out):
            levels = np.round(image).astype(np.uint8)
            pil = Image.fromarray(levels[..., 0] if channels == 1 else levels)
            buffer = io.BytesIO()
            pil.save(buffer, "JPEG", quality=_param("jpeg_compression", severity))
            expected = np.asarray(Image.open(buffer), dtype=float).reshape(result.shape)
            assert np.mean(np.abs(result - expected)) < 2.0
            assert np.mean(np.abs(result - image)) > 1.0  # it did compress


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_shape_dtype_range_determinism_and_severity_order(name):
    images = _batch(3)
    single = corrupt(images[0], name, 2, seed=4)
    assert single.shape == images[0].shape and single.dtype == tf.float32
    changes = []
    for severity in SEVERITIES:
        out = corrupt(images, name, severity, seed=4).numpy()
        assert out.shape == images.shape and out.dtype == np.float32
        assert out.min() >= 0.0 and out.max() <= 255.0
        np.testing.assert_array_equal(out, corrupt(images, name, severity, seed=4).numpy())
        changes.append(np.mean(np.abs(out - images)))
    # Severity order: mean absolute change does not fall by more than 2% a step.
    assert all(b >= 0.98 * a for a, b in zip(changes, changes[1:])), changes
    assert changes[-1] > changes[0]


@pytest.mark.parametrize("name", ("gaussian_noise", "shot_noise", "impulse_noise",
                                  "elastic_transform", "motion_blur"))
def test_random_corruptions_change_with_the_seed(name):
    images = _batch(1)
    a = corrupt(images, name, 3, seed=(1, 0)).numpy()
    b = corrupt(images, name, 3, seed=(1, 1)).numpy()
    assert not np.array_equal(a, b)


def test_batch_index_reaches_the_seed_in_tf_data():
    images = np.concatenate([_batch(1)] * 2)

    def corrupt_batch(index, batch):
        return corrupt(batch, "gaussian_noise", 2, seed=tf.stack([7, index]))

    dataset = tf.data.Dataset.from_tensor_slices(images).batch(2).enumerate()
    batches = [b.numpy() for b in dataset.map(corrupt_batch)]
    assert not np.array_equal(batches[0], batches[1])  # batch index reaches the seed
    np.testing.assert_array_equal(batches[0], corrupt(images[:2], "gaussian_noise", 2,
                                                      seed=(7, 0)).numpy())


@pytest.mark.parametrize("name", ("impulse_noise", "jpeg_compression", "rotate"))
def test_corruption_in_a_dataset_map_equals_eager(name):
    # Stateless noise, gathers, map_fn (JPEG): the kinds of op the corruptions use.
    images = _batch(1)
    mapped = tf.data.Dataset.from_tensor_slices(images).batch(2).map(
        lambda x: corrupt(x, name, 3, seed=1))
    np.testing.assert_allclose(next(iter(mapped)).numpy(),
                               corrupt(images, name, 3, seed=1).numpy(), atol=1e-3)


def test_corruption_under_tf_function_equals_eager():
    images = _batch(1)
    compiled = tf.function(lambda x: corrupt(x, "elastic_transform", 4, seed=2))
    np.testing.assert_allclose(compiled(images).numpy(),
                               corrupt(images, "elastic_transform", 4, seed=2).numpy(),
                               atol=1e-3)


@pytest.mark.parametrize("kwargs, argument", [
    ({"name": "fog"}, "name"),
    ({"severity": 0}, "severity"),
    ({"severity": 6}, "severity"),
    ({"severity": 2.5}, "severity"),
])
def test_invalid_arguments_raise(kwargs, argument):
    arguments = {"images": _batch(1), "name": "contrast", "severity": 1, **kwargs}
    with pytest.raises(ValueError, match=argument):
        corrupt(**arguments)


def test_images_of_wrong_rank_raise():
    with pytest.raises(ValueError, match="images"):
        corrupt(np.zeros((4, 4), "float32"), "contrast", 1)


def test_images_of_unknown_size_raise_at_trace_time():
    traced = tf.function(lambda x: corrupt(x, "rotate", 1),
                         input_signature=[tf.TensorSpec([None, None, None, 1], tf.float32)])
    with pytest.raises(ValueError, match="static height"):
        traced.get_concrete_function()


def test_unknown_batch_size_is_fine():
    traced = tf.function(lambda x: corrupt(x, "motion_blur", 1, seed=3),
                         input_signature=[tf.TensorSpec([None, SIZE, SIZE, 1], tf.float32)])
    images = _batch(1)
    np.testing.assert_allclose(traced(images).numpy(),
                               corrupt(images, "motion_blur", 1, seed=3).numpy(), atol=1e-3)


@pytest.mark.parametrize("name", ("defocus_blur", "elastic_transform", "motion_blur"))
def test_images_smaller_than_the_kernel(name):
    # 8x8 `digits`: the severity-5 disk kernel is 21x21, its border reflects repeatedly.
    images = _batch(1)[:, :8, :8]
    out = corrupt(images, name, 5, seed=0).numpy()
    assert out.shape == images.shape and np.all(np.isfinite(out))
    if name == "defocus_blur":
        expected = _reference(name, images[0].astype(float) / 255, 5)
        np.testing.assert_allclose(out[0], expected, atol=0.02)
