"""Class-centre sampling (Partial FC): which classes a training step computes logits for.

Every class present in the batch is kept (its logit carries the margin and the loss needs
it); the rest of the sample are negatives drawn uniformly without replacement from the
classes not in the batch. The draw is "random score per class, plus a bonus of 2 for the
classes in the batch, then the top `num_sampled` scores": scores lie in [0, 1), so every
positive class outranks every negative one, and among negatives the top-k of i.i.d.
uniform scores is a uniform sample without replacement. It needs only elementwise ops, a
scatter and `top_k` with a static `k`, so it compiles under XLA and runs on any backend,
where `unique`-based sampling would give data-dependent shapes.

This module is the one owner of sampling: `configure` takes a head's `sample_rate` and
`seed` arguments (validated here, with the seed generator made here), `get_config` writes
them back, and `draw` makes one step's sample. `MarginHead` decides only when to draw
(training calls with class ids) and how to read the sampled centres from its kernel,
which a sampling head stores as rows.
"""

import math

import keras
from keras import ops
from keras import random

from keras_margin.utils import validation

# Added to the score of every class in the batch; larger than any uniform score in [0, 1).
_POSITIVE_BONUS = 2.0


def configure(head, sample_rate, seed):
    """Sets `head.sample_rate` and `head.seed` from the head's arguments.

    `sample_rate` is None (every class, the default) or a fraction in (0, 1]; `seed` an
    int >= 0 or None (a random one). Invalid values raise here, naming the argument. A
    sampling head also gets `head._seed_generator`, the `keras.random.SeedGenerator`
    `draw` advances once per training step; set as a layer attribute, its state is one
    of the head's non-trainable variables (saved with the weights, threaded through
    JAX's stateless training step).
    """
    if sample_rate is not None:
        sample_rate = validation.number_in_range(sample_rate, "sample_rate", 0.0, 1.0, low_open=True)
    seed = validation.seed(seed, "seed")
    head.sample_rate = sample_rate
    head.seed = seed
    if sample_rate is not None:
        # seed + 1: a head with random margins (ElasticFace) seeds its own generator
        # with `seed`, and equal seeds would give its margins the same random bits.
        head._seed_generator = keras.random.SeedGenerator(
            None if seed is None else seed + 1, name="class_sampling_seed"
        )


def get_config(head):
    """The config entries of `head`'s sampling: `sample_rate` and `seed`, or none."""
    if head.sample_rate is None:
        return {}
    return {"sample_rate": head.sample_rate, "seed": head.seed}


def draw(head, ids):
    """One training step's sample for `head`: `(classes, local_ids, count)`.

    Args:
        head: a head set up by `configure` with a `sample_rate`.
        ids: (B,) int32 class ids of the batch, all in [0, num_classes).

    Returns:
        The sorted (count,) sampled class ids (`sample_classes`), each row's position
        among them (`local_ids`: the labels of the sampled logits), and `count`
        (`num_sampled`; a Python int when the batch size is static).
    """
    count = num_sampled(head.sample_rate, head.num_classes, ops.shape(ids)[0])
    classes = sample_classes(ids, head.num_classes, count, head._seed_generator)
    return classes, local_ids(classes, ids, head.num_classes), count


def num_sampled(sample_rate, num_classes, batch_size):
    """How many classes a step keeps: `ceil(sample_rate * C)`, at least the batch size.

    A batch of B samples holds at most B distinct classes; with at least B slots all of
    them fit whatever the labels, so the count need not depend on the data (a static
    shape). Never more than C. `batch_size` may be a tensor (unknown static batch size),
    and the result is then a tensor too.
    """
    wanted = min(num_classes, max(1, math.ceil(sample_rate * num_classes)))
    if isinstance(batch_size, int):
        return min(num_classes, max(wanted, batch_size))
    return ops.minimum(num_classes, ops.maximum(wanted, batch_size))


def sample_classes(ids, num_classes, count, seed):
    """The sorted (count,) int32 class ids a step keeps: all of `ids`, then random ones.

    Args:
        ids: (B,) int32 class ids of the batch, all in [0, num_classes).
        num_classes: C.
        count: how many to keep (`num_sampled`), at least the number of distinct ids.
        seed: a `keras.random.SeedGenerator` (advanced once per call) or an int.
    """
    scores = random.uniform((num_classes,), seed=seed)
    in_batch = ops.scatter(ops.expand_dims(ids, -1), ops.ones_like(ids, dtype=scores.dtype), (num_classes,))
    scores = ops.where(in_batch > 0, scores + _POSITIVE_BONUS, scores)
    _, classes = ops.top_k(scores, count, sorted=False)
    # Ascending class order: the gathered centres keep the centre matrix's order, and
    # the sampled logits read like the full logits with columns removed.
    return ops.sort(ops.cast(classes, "int32"))


def local_ids(classes, ids, num_classes):
    """Each id's position in the sampled `classes`: the labels of the sampled logits.

    A (C,) lookup table rather than `searchsorted`: one scatter and one gather, both
    compiled by XLA on every backend.
    """
    positions = ops.arange(ops.shape(classes)[0], dtype="int32")
    table = ops.scatter(ops.expand_dims(classes, -1), positions, (num_classes,))
    return ops.take(table, ids, axis=0)
