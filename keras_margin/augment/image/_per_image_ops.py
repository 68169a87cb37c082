"""The engine under `RandAugment` and `TrivialAugment`: each image's own ops, batched.

Given, for every image of a batch, a sequence of operations and their magnitudes, it
runs each slot of the sequence as follows: the images are split by the kind of work
their operation needs (`tf.dynamic_partition`), every non-empty group is transformed as
one batch, and the groups are put back in order (`tf.dynamic_stitch`). Only the chosen
operations run, on only the images that chose them: the cost of a batch is the cost of
the operations drawn, not of all fourteen (Keras' `RandAugment` computes every
operation on every image and selects).

Groups are often empty (with 14 operations, one batch of 32 in ten has no image for a
given one); every kernel takes an empty batch, so the groups run without a `tf.cond`
around them. A cond per group cost more than the kernels at small sizes: dropping the
11 per slot raised 32x32 throughput from 12,114 to 17,642 images/s in tf.data (CPU per
image -12%; same run, load 7.3).

Two further savings:

- Consecutive geometric operations of an image (rotate, shear, translate) are composed
  into one matrix and applied with one warp (`_kernels.warp`) at the first of
  them: one resample instead of two, which is also sharper with bilinear
  interpolation.
- Everything runs on uint8 levels; float inputs are quantised to 256 levels of their
  value range on the way in (exact for images that were uint8 to begin with).
"""

import tensorflow as tf

from keras_margin.augment.image import _kernels

OPS = (
    "identity",
    "autocontrast",
    "equalize",
    "rotate",
    "solarize",
    "color",
    "posterize",
    "contrast",
    "brightness",
    "sharpness",
    "shear_x",
    "shear_y",
    "translate_x",
    "translate_y",
)
GEOMETRIC = ("rotate", "shear_x", "shear_y", "translate_x", "translate_y")

# The groups an operation's work falls into; one batched kernel each. The five
# geometric operations share one: they differ only in their matrices.
_GROUP_NAMES = ("identity", "warp") + tuple(
    op for op in OPS if op != "identity" and op not in GEOMETRIC
)
_GROUP = {op: _GROUP_NAMES.index("warp" if op in GEOMETRIC else op) for op in OPS}
_PASS, _WARP = 0, 1
_GROUPS = len(_GROUP_NAMES)

# Magnitude ranges at full strength (magnitude fraction 1), as torchvision defines them
# with 31 magnitude bins. Signed operations get a random sign.
RAND_AUGMENT_RANGES = {
    "rotate": 30.0,  # degrees
    "shear": 0.3,  # shear factor
    "translate": 150.0 / 331.0,  # fraction of the image size
    "translate_relative": True,
    "enhance": 0.9,  # factor 1 +- this
    "posterize_drop": 4.0,  # bits removed: 8 -> 4
}
TRIVIAL_AUGMENT_WIDE_RANGES = {
    "rotate": 135.0,
    "shear": 0.99,
    "translate": 32.0,  # pixels, whatever the image size
    "translate_relative": False,
    "enhance": 0.99,
    "posterize_drop": 6.0,  # 8 -> 2 bits
}


def check_ops(ops, name="ops"):
    """`ops` as a tuple of names from `OPS` (None means all), or ValueError."""
    if ops is None:
        return OPS
    if isinstance(ops, str) or not isinstance(ops, (tuple, list)) or not ops:
        raise ValueError(
            f"`{name}` must be None or a non-empty list of operation names from "
            f"{', '.join(OPS)}; received {ops!r}."
        )
    unknown = [op for op in ops if op not in OPS]
    if unknown or len(set(ops)) != len(ops):
        raise ValueError(
            f"`{name}` must name distinct operations from {', '.join(OPS)}; "
            f"received {ops!r}."
        )
    return tuple(ops)


def operation_values(codes, fraction, sign, height, width, ranges):
    """Per-image parameters, in each operation's own units, for operation `codes`.

    `codes` and `sign` have one shape, (n, slots) for example, and `fraction`
    broadcasts to it. Returns a dict of float tensors of that shape: `rotation`
    (degrees), `shear_x`, `shear_y` (factors), `translate_x`, `translate_y` (pixels),
    `factor` (enhance factor), `bits` (posterize) and `threshold` (solarize); each is
    the neutral value where the operation does not use it.
    """
    fraction = fraction + tf.zeros_like(sign)
    signed = sign * fraction

    def where(name, value, neutral=0.0):
        return tf.where(tf.equal(codes, OPS.index(name)), value, neutral)

    translate = ranges["translate"] * signed
    if ranges["translate_relative"]:
        translate_x = translate * tf.cast(width, tf.float32)
        translate_y = translate * tf.cast(height, tf.float32)
    else:
        translate_x = translate_y = translate
    return {
        "rotation": where("rotate", ranges["rotate"] * signed),
        "shear_x": where("shear_x", ranges["shear"] * signed),
        "shear_y": where("shear_y", ranges["shear"] * signed),
        # torchvision translates by whole pixels.
        "translate_x": where("translate_x", tf.round(translate_x)),
        "translate_y": where("translate_y", tf.round(translate_y)),
        "factor": 1.0 + ranges["enhance"] * signed,
        "bits": 8.0 - tf.round(ranges["posterize_drop"] * fraction),
        "threshold": 255.0 * (1.0 - fraction),
    }


def apply(levels, codes, values, interpolation, ops):
    """Applies, slot by slot, each image's operations.

    Args:
        levels: uint8 (n, height, width, channels).
        codes: int32 (n, slots), indices into `OPS`.
        values: the `operation_values` dict for `codes`, (n, slots) tensors.
        interpolation: `"nearest"` or `"bilinear"`, for the geometric operations.
        ops: the operation names that can occur (groups that cannot are not built).

    Returns:
        uint8 levels, the shape of `levels`.
    """
    static_shape = levels.shape
    n, height, width, _ = _kernels.dims(levels)
    slots = codes.shape[1]
    active = {_GROUP[op] for op in ops}
    group_of = tf.constant([_GROUP[op] for op in OPS], tf.int32)
    geometric = tf.equal(tf.gather(group_of, codes), _WARP)  # (n, slots)

    # A run of consecutive geometric operations is applied at its first slot as one
    # map: output-to-input maps compose as inverse_first @ inverse_second @ ...
    runs = [None] * slots
    if _WARP in active:
        inverses = _kernels.inverse_affine(
            height, width, values["rotation"], values["shear_x"], values["shear_y"],
            values["translate_x"], values["translate_y"],
        )  # (n, slots, 3, 3), all slots at once
        following = None
        for k in reversed(range(slots)):
            inverse = inverses[:, k]
            if following is not None:
                chained = tf.where(geometric[:, k + 1, None, None], following, tf.eye(3))
                # (n, 3, 3) products as a broadcast multiply and sum: oneDNN's
                # batched matmul costs ~90 us a call on these tiny matrices.
                inverse = tf.reduce_sum(inverse[..., None] * chained[:, None], axis=2)
            runs[k] = following = inverse

    for k in range(slots):
        group = tf.gather(group_of, codes[:, k])
        if k > 0 and _WARP in active:
            # Later members of a geometric run were applied with the first.
            group = tf.where(geometric[:, k] & geometric[:, k - 1], _PASS, group)
        parts = tf.dynamic_partition(levels, group, _GROUPS)
        positions = tf.dynamic_partition(tf.range(n), group, _GROUPS)

        split = {}  # one partition per parameter, shared by the groups

        def part(name, g, k=k, group=group, split=split):
            if name not in split:
                tensor = runs[k] if name == "inverse" else values[name][:, k]
                split[name] = tf.dynamic_partition(tensor, group, _GROUPS)
            return split[name][g]

        out = list(parts)
        for name in [op for op in ops if op != "identity" and op not in GEOMETRIC]:
            g = _GROUP[name]
            out[g] = _run(name, parts[g], lambda key, g=g: part(key, g))
        if _WARP in active:
            out[_WARP] = _kernels.warp(parts[_WARP], part("inverse", _WARP), interpolation)
        levels = tf.dynamic_stitch(positions, out)
        levels.set_shape(static_shape)
    return levels


def _run(name, levels, part):
    """Operation `name` on its group; `part(key)` is the group's rows of value `key`."""
    if name in ("autocontrast", "equalize"):
        return getattr(_kernels, name)(levels)
    if name == "solarize":
        return _kernels.solarize(levels, part("threshold"))
    if name == "posterize":
        return _kernels.posterize(levels, part("bits"))
    # brightness, color, contrast, sharpness: an enhance factor.
    return getattr(_kernels, name)(levels, part("factor"))
