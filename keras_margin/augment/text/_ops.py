"""The four EDA operations, vectorised over a whole batch of tokenised texts.

Every function takes `tokens`, a `tf.RaggedTensor` of shape (batch, None) holding the
words of each text, per-row uint32 `seeds` (batch, 2), and per-row amounts; rows whose
amount is 0 pass through untouched. That lets `EDA` give each row one operation by
running the four functions in sequence with the amounts of the other rows set to 0,
with no per-row Python and no `py_function`.

Words are the pieces between ASCII whitespace, so a multi-byte UTF-8 character is never
split (its bytes are all >= 0x80); the operations only move, drop or replace whole
words.
"""

import tensorflow as tf

from keras_margin.augment.text import _random

# Leading and trailing ASCII punctuation is not part of the word looked up
# ("money," -> "money") and is kept around a replacement. The lookup form is made
# with two regular expressions over whole texts, which costs far less than one per
# word; each keeps at least one character of every word, so the words stay aligned
# with the original ones. [:space:] is exactly the whitespace that split_words uses.
_TRAILING = r"([^[:space:]])[[:punct:]]+([[:space:]]|$)"
_LEADING = r"(^|[[:space:]])[[:punct:]]+([^[:space:]])"
_PREFIX = r"^([[:punct:]]*)(?s:.*)$"
_SUFFIX = r"^(?s:.*?)([[:punct:]]*)$"

# Sort keys pack (row, slot, tie) into one int64: 24 random bits break ties.
_TIE_BITS = 24


def split_words(texts):
    """(N,) strings -> ragged (N, None) words, split at runs of ASCII whitespace."""
    return tf.strings.split(texts)


def join_words(tokens):
    """Ragged (N, None) words -> (N,) strings joined by single spaces."""
    return tf.strings.reduce_join(tokens, axis=-1, separator=" ")


def positions(tokens):
    """Row id and position within the row of every word (both int64, flat)."""
    rowids = tokens.value_rowids()
    total = tf.size(tokens.flat_values, out_type=tf.int64)
    return rowids, tf.range(total, dtype=tf.int64) - tf.gather(tokens.row_starts(), rowids)


def amounts(fraction, lengths):
    """Wei & Zou's n = max(1, int(fraction * words)) per row; 0 for empty rows."""
    n = tf.cast(tf.floor(fraction * tf.cast(lengths, tf.float64)), tf.int64)
    return tf.where(lengths > 0, tf.maximum(n, 1), tf.zeros_like(n))


def lookup_keys(texts, tokens):
    """The form of each word in `tokens` (the words of `texts`) that the synonym and
    stop-word tables are keyed by: ASCII lower case, no surrounding ASCII punctuation.

    Returns the keys (flat, aligned with `tokens.flat_values`) and a per-word flag
    that is False in a row whose words did not align (never expected; it guards the
    replacement against a mismatch rather than trusting the expressions blindly).
    """
    stripped = tf.strings.regex_replace(texts, _TRAILING, r"\1\2")
    stripped = tf.strings.regex_replace(stripped, _LEADING, r"\1\2")
    keys = tf.strings.split(tf.strings.lower(stripped))
    rowids, position = positions(tokens)
    aligned = tf.gather(tf.equal(keys.row_lengths(), tokens.row_lengths()), rowids)
    # Where a row is misaligned its words read "" (no table holds it) instead of
    # another word's key.
    index = tf.gather(keys.row_starts(), rowids) + position
    index = tf.where(aligned, index, tf.size(keys.flat_values, out_type=tf.int64))
    flat = tf.gather(tf.concat([keys.flat_values, [""]], axis=0), index)
    return flat, aligned


class SynonymLookup:
    """The tables a synonym operation reads: word -> line number (-1 if none), line
    number -> `word\tsynonym\t...`, and optionally stop word -> 1."""

    def __init__(self, line_numbers, lines, stop_words=None):
        self.line_numbers = line_numbers
        self.lines = lines
        self.stop_words = stop_words

    def candidates(self, texts, tokens):
        """Per word of `tokens`: its line number and whether it may be replaced or used
        as an insertion source (it has synonyms and is no stop word)."""
        keys, usable = lookup_keys(texts, tokens)
        line_numbers = self.line_numbers.lookup(keys)
        eligible = usable & (line_numbers >= 0)
        if self.stop_words is not None:
            eligible = eligible & tf.equal(self.stop_words.lookup(keys), 0)
        return line_numbers, eligible

    def pick(self, line_numbers, u):
        """A random synonym from each line (every line has at least one)."""
        parts = tf.strings.split(self.lines.lookup(line_numbers), sep="\t")
        choice = _random.index_below(u, parts.row_lengths() - 1)
        return tf.gather(parts.flat_values, parts.row_starts() + 1 + choice)


def _sort_key(rowids, slot, tie, num_slots):
    scale = tf.constant(1 << _TIE_BITS, tf.int64)
    return (rowids * tf.cast(num_slots, tf.int64) + slot) * scale + tie


def delete(tokens, probability, seeds):
    """Drops each word with its row's `probability`; a non-empty row keeps >= 1 word.

    When every word of a row was drawn for deletion, one random word survives, as in
    Wei & Zou's implementation.
    """
    rowids, position = positions(tokens)
    word_seeds = tf.gather(seeds, rowids)
    u = _random.uniform(word_seeds, _random.STREAM_DELETE, position)
    keep = u >= tf.gather(tf.cast(probability, tf.float32), rowids)
    lengths = tokens.row_lengths()
    kept = tf.math.unsorted_segment_sum(
        tf.cast(keep, tf.int64), rowids, tf.size(lengths)
    )
    fallback = _random.index_below(
        _random.uniform(seeds, _random.STREAM_DELETE_FALLBACK, 0), lengths
    )
    rescue = tf.gather(tf.equal(kept, 0), rowids) & tf.equal(position, tf.gather(fallback, rowids))
    return tf.ragged.boolean_mask(tokens, tokens.with_flat_values(keep | rescue))


def swap(tokens, counts, seeds):
    """Swaps two different random words `counts[row]` times, one swap after another.

    Swap `k` of a row exchanges the words at two different positions drawn uniformly
    for it (Wei & Zou's random swap, `n` times in sequence). Applied one at a time the
    swaps cost O(words) each, O(n * words) in all (9 minutes for 100,000 words at
    alpha 0.5); instead every position is traced back through the swaps that touched
    it (`_compose_swaps`), which gives the same permutation, draw for draw, in a few
    rounds of O(words log words).
    """
    lengths = tokens.row_lengths()
    counts = tf.where(lengths >= 2, counts, tf.zeros_like(counts))
    rows = tf.repeat(tf.range(tf.size(lengths, out_type=tf.int64), dtype=tf.int64), counts)
    k = tf.range(tf.size(rows, out_type=tf.int64), dtype=tf.int64) - tf.gather(
        tf.cumsum(counts, exclusive=True), rows
    )
    row_seeds = tf.gather(seeds, rows)
    size = tf.gather(lengths, rows)
    first = _random.index_below(_random.uniform(row_seeds, _random.STREAM_SWAP_FIRST, k), size)
    # Uniform over the other size - 1 words, so a swap always changes the order.
    offset = _random.index_below(
        _random.uniform(row_seeds, _random.STREAM_SWAP_SECOND, k), size - 1
    )
    second = (first + 1 + offset) % size
    base = tf.gather(tokens.row_starts(), rows)
    rowids, _ = positions(tokens)
    order, _ = _compose_swaps(base + first, base + second, k, tf.gather(counts, rowids))
    return tokens.with_flat_values(tf.gather(tokens.flat_values, order))


def _compose_swaps(first, second, time, swaps_of_word):
    """The permutation that a sequence of swaps makes, and the rounds it took.

    Swap `i` exchanges the entries at flat positions `first[i]` and `second[i]` (two
    different positions of one row) at step `time[i]` of its row; a row's steps are
    0, 1, ... and its positions are touched by no other row. `swaps_of_word[p]` is the
    number of swaps of the row of position `p`.

    Returns `(order, rounds)`: `order[p]` is the position whose word ends at `p` after
    all swaps in step order, and `rounds` the number of vectorised rounds used.

    Each position is traced backwards: from the end of its row's swaps, jump through
    the latest earlier swap that touched the current position, to that swap's other
    position, until no earlier swap touched it. Every swap is crossed by exactly two
    traces, so the work is O(swaps) jumps, found by binary search among the swaps
    sorted by (position, step); a round makes one jump for every trace at once, and a
    trace of random swaps makes few jumps (about 2 * swaps / words on average), so
    there are few rounds.
    """
    total = tf.size(swaps_of_word, out_type=tf.int64)
    span = tf.reduce_max(tf.concat([swaps_of_word, tf.zeros([1], tf.int64)], axis=0)) + 1
    ends = tf.concat([first, second], axis=0)
    other_ends = tf.concat([second, first], axis=0)
    times = tf.concat([time, time], axis=0)
    keys = ends * span + times
    by_key = tf.argsort(keys)
    # A sentinel below every query (at position -1): the search always lands on an entry.
    sentinel = tf.constant([-1], tf.int64)
    keys, ends, other_ends, times = (
        tf.concat([sentinel, tf.gather(values, by_key)], axis=0)
        for values in (keys, ends, other_ends, times)
    )

    def jump(rounds, position, step, _):
        # The latest swap of `position` before `step`: the last key below the query.
        latest = tf.searchsorted(keys, position * span + step, side="left", out_type=tf.int64) - 1
        found = tf.equal(tf.gather(ends, latest), position)
        position = tf.where(found, tf.gather(other_ends, latest), position)
        step = tf.where(found, tf.gather(times, latest), step)
        return rounds + 1, position, step, tf.reduce_any(found)

    rounds, order, _, _ = tf.while_loop(
        lambda rounds, position, step, more: more,
        jump,
        [tf.constant(0, tf.int64), tf.range(total, dtype=tf.int64), swaps_of_word,
         tf.constant(True)],
    )
    return order, rounds


def replace(tokens, counts, seeds, synonyms, line_numbers, eligible):
    """Replaces `counts[row]` random eligible words of each row by a random synonym.

    Each chosen word position gets its own synonym; punctuation around the word stays.
    Rows with fewer eligible words than `counts` replace all of them.
    """
    rowids, position = positions(tokens)
    word_seeds = tf.gather(seeds, rowids)
    random_bits = tf.cast(
        tf.bitwise.right_shift(
            _random.bits(word_seeds, _random.STREAM_REPLACE_ORDER, position),
            tf.constant(32 - _TIE_BITS, tf.uint32),
        ),
        tf.int64,
    )
    # Eligible words first, in random order, then the rest: the rank of a word within
    # its row says whether it is among the first `counts` eligible words.
    slot = tf.where(eligible, tf.zeros_like(rowids), tf.ones_like(rowids))
    order = tf.argsort(_sort_key(rowids, slot, random_bits, 2), stable=True)
    total = tf.size(rowids, out_type=tf.int64)
    sorted_rank = tf.range(total, dtype=tf.int64) - tf.gather(
        tokens.row_starts(), tf.gather(rowids, order)
    )
    rank = tf.scatter_nd(tf.cast(order, tf.int64)[:, tf.newaxis], sorted_rank, [total])
    chosen = tf.where(eligible & (rank < tf.gather(counts, rowids)))
    words = tf.gather_nd(tokens.flat_values, chosen)
    picked = synonyms.pick(
        tf.gather_nd(line_numbers, chosen),
        _random.uniform(
            tf.gather_nd(word_seeds, chosen), _random.STREAM_REPLACE_PICK,
            tf.gather_nd(position, chosen),
        ),
    )
    replacements = tf.strings.join(
        [
            tf.strings.regex_replace(words, _PREFIX, r"\1"),
            picked,
            tf.strings.regex_replace(words, _SUFFIX, r"\1"),
        ]
    )
    return tokens.with_flat_values(
        tf.tensor_scatter_nd_update(tokens.flat_values, chosen, replacements)
    )


def insert(tokens, counts, seeds, synonyms, line_numbers, eligible):
    """Inserts `counts[row]` synonyms of random eligible words at random positions.

    Each insertion draws its source word (with replacement) among the row's eligible
    words, one of its synonyms, and a gap (before the first word, between two words, or
    after the last); insertions into the same gap come in random order. Rows without
    an eligible word are unchanged.
    """
    rowids, position = positions(tokens)
    lengths = tokens.row_lengths()
    num_rows = tf.size(lengths, out_type=tf.int64)
    candidates = tf.where(eligible)[:, 0]
    candidate_rows = tf.gather(rowids, candidates)
    per_row = tf.math.unsorted_segment_sum(
        tf.ones_like(candidate_rows), candidate_rows, num_rows
    )
    first_candidate = tf.cumsum(per_row, exclusive=True)
    counts = tf.where(per_row > 0, counts, tf.zeros_like(counts))
    rows = tf.repeat(tf.range(num_rows, dtype=tf.int64), counts)
    k = tf.range(tf.size(rows, out_type=tf.int64), dtype=tf.int64) - tf.gather(
        tf.cumsum(counts, exclusive=True), rows
    )
    row_seeds = tf.gather(seeds, rows)
    source = tf.gather(
        candidates,
        tf.gather(first_candidate, rows)
        + _random.index_below(
            _random.uniform(row_seeds, _random.STREAM_INSERT_SOURCE, k),
            tf.gather(per_row, rows),
        ),
    )
    inserted = synonyms.pick(
        tf.gather(line_numbers, source),
        _random.uniform(row_seeds, _random.STREAM_INSERT_PICK, k),
    )
    gap = _random.index_below(
        _random.uniform(row_seeds, _random.STREAM_INSERT_GAP, k), tf.gather(lengths, rows) + 1
    )
    tie = tf.cast(
        tf.bitwise.right_shift(
            _random.bits(row_seeds, _random.STREAM_INSERT_TIE, k),
            tf.constant(32 - _TIE_BITS, tf.uint32),
        ),
        tf.int64,
    )
    # Word i of a row sits in slot 2i + 1 and an insertion into gap g in slot 2g, so a
    # single sort by (row, slot, tie) merges them.
    num_slots = 2 * tf.reduce_max(tf.concat([lengths, tf.zeros([1], tf.int64)], axis=0)) + 2
    keys = tf.concat(
        [
            _sort_key(rowids, 2 * position + 1, tf.zeros_like(position), num_slots),
            _sort_key(rows, 2 * gap, tie, num_slots),
        ],
        axis=0,
    )
    words = tf.concat([tokens.flat_values, inserted], axis=0)
    merged = tf.gather(words, tf.argsort(keys, stable=True))
    return tf.RaggedTensor.from_row_lengths(merged, lengths + counts, validate=False)
