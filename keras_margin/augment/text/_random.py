"""Stateless, counter-based random numbers for whole batches with one seed per row.

`tf.random.stateless_uniform` takes one seed per call, so a batch whose rows each carry
their own seed would need one op per row. Hashing (row seed, stream, counter) with an
integer mixing function gives every token of every row its own draw in a handful of
vectorised ops, and the draw depends only on the row's seed and the token's position,
never on which other rows share the batch or on the order in which `tf.data` ran the
batches.

The mixer is the 32-bit "lowbias32" finaliser (C. Wellons, "Prospecting for hash
functions", 2018): good avalanche for augmentation, not for cryptography.
"""

import tensorflow as tf

# Distinct streams keep the draws of different decisions independent.
STREAM_ROW = 1
STREAM_OPERATION = 2
STREAM_DELETE = 3
STREAM_DELETE_FALLBACK = 4
STREAM_SWAP_FIRST = 5
STREAM_SWAP_SECOND = 6
STREAM_REPLACE_ORDER = 7
STREAM_REPLACE_PICK = 8
STREAM_INSERT_SOURCE = 9
STREAM_INSERT_PICK = 10
STREAM_INSERT_GAP = 11
STREAM_INSERT_TIE = 12
STREAM_COPY = 13

_GOLDEN = 0x9E3779B9
_MASK32 = 0xFFFFFFFF


def _u32(value):
    return tf.constant(value & _MASK32, tf.uint32)


def mix(x):
    """The lowbias32 finaliser on a uint32 tensor (wrapping arithmetic)."""
    x = tf.bitwise.bitwise_xor(x, tf.bitwise.right_shift(x, _u32(16)))
    x = x * _u32(0x7FEB352D)
    x = tf.bitwise.bitwise_xor(x, tf.bitwise.right_shift(x, _u32(15)))
    x = x * _u32(0x846CA68B)
    return tf.bitwise.bitwise_xor(x, tf.bitwise.right_shift(x, _u32(16)))


def to_uint32(values):
    """Any integer tensor -> uint32, keeping the low 32 bits (negative values wrap)."""
    values = tf.convert_to_tensor(values)
    if values.dtype == tf.uint32:
        return values
    if values.dtype != tf.int64:
        values = tf.cast(values, tf.int64)
    return tf.cast(tf.bitwise.bitwise_and(values, tf.constant(_MASK32, tf.int64)), tf.uint32)


def bits(seeds, stream, counter):
    """uint32 random bits for `seeds` (..., 2) uint32, a stream id and counters.

    `seeds[..., 0]`, `seeds[..., 1]` and `counter` broadcast against each other.
    """
    h = mix(seeds[..., 0] + _u32(_GOLDEN * stream))
    h = mix(tf.bitwise.bitwise_xor(h, seeds[..., 1]))
    return mix(tf.bitwise.bitwise_xor(h, to_uint32(counter) * _u32(_GOLDEN) + _u32(stream)))


def uniform(seeds, stream, counter):
    """float32 uniform in [0, 1) with 24 random bits (exactly representable)."""
    top = tf.bitwise.right_shift(bits(seeds, stream, counter), _u32(8))
    return tf.cast(top, tf.float32) * (1.0 / (1 << 24))


def index_below(u, n):
    """floor(u * n) as int64, clipped to [0, max(n - 1, 0)]; `n` int64."""
    n_float = tf.cast(n, tf.float64)
    picked = tf.cast(tf.floor(tf.cast(u, tf.float64) * n_float), tf.int64)
    return tf.clip_by_value(picked, 0, tf.maximum(n - 1, 0))


def row_seeds(seed, num_rows):
    """Per-row seeds (num_rows, 2) uint32 from a seed of shape (2,) or (num_rows, 2).

    A single (2,) seed gives row `r` the seed (mix(seed[0] ^ mix(r)), seed[1]), so a
    batch augmented with one seed still gives every row different randomness.
    """
    seed = to_uint32(seed)
    if seed.shape.rank == 2:
        return seed
    rows = to_uint32(tf.range(num_rows, dtype=tf.int64))
    first = mix(tf.bitwise.bitwise_xor(seed[0], mix(rows + _u32(_GOLDEN * STREAM_ROW))))
    second = tf.fill([num_rows], seed[1])
    return tf.stack([first, second], axis=1)
