"""Sentences per second of the EDA layers in `tf.data` against nlpaug, same sentences.

The sentences are real: the food reviews of `r-cran-modeldata` (or, without it, the
Debian fortunes) cut into sentences at `.`, `!` and `?`. Each round times, in turn:
`EDA` (WordNet synonyms, alpha = p = 0.1), `RandomSwap(0.1)` and `RandomDeletion(0.1)`
mapped after `batch()` with `seeded_map` and `num_parallel_calls=AUTOTUNE`, consumed to
the end; then nlpaug's `RandomWordAug(action="swap")` and `("delete")` with
`aug_p=0.1, aug_min=1` (Wei & Zou's n = max(1, 0.1 * words)) on the same sentences.
Medians over the rounds and the ratios are printed in the same run, so machine load
mostly cancels. nlpaug's synonym augmenter needs nltk's WordNet download, which fails
offline, so its swap and delete are the comparison; `EDA` is compared with their mean.

Usage:
    python benchmarks/text.py                    # 20,000 sentences, batch 1024, 3 rounds
    python benchmarks/text.py --sentences 5000 --batch-size 256 --rounds 5
"""

import argparse
import os
import re
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def sentences(limit):
    import keras_margin as km

    try:
        source = km.data.sources.food_reviews.read()
        texts = list(source.train_inputs) + list(source.test_inputs)
        name = "food reviews (r-cran-modeldata)"
    except km.data.DatasetNotFoundError:
        source = km.data.sources.fortunes.read()
        texts = list(source.train_inputs) + list(source.test_inputs)
        name = "fortunes"
    pieces = []
    for text in texts:
        for piece in re.split(r"(?<=[.!?])\s+", " ".join(text.split())):
            if len(piece.split()) >= 3:
                pieces.append(piece)
    pieces = (pieces * (limit // max(len(pieces), 1) + 1))[:limit]
    return pieces, name


def time_layer(layer, texts, batch_size):
    import tensorflow as tf

    from keras_margin.augment.text import seeded_map

    data = tf.data.Dataset.from_tensor_slices(texts).batch(batch_size)
    data = seeded_map(data, layer, seed=0).prefetch(tf.data.AUTOTUNE)
    for _ in data.take(2):  # trace and warm up
        pass
    start = time.perf_counter()
    count = sum(int(batch.shape[0]) for batch in data)
    return count / (time.perf_counter() - start)


def time_nlpaug(augmenter, texts):
    augmenter.augment(texts[:50])
    start = time.perf_counter()
    augmenter.augment(texts)
    return len(texts) / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=20000)
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    import tensorflow as tf

    from keras_margin.augment import text

    texts, name = sentences(args.sentences)
    words = statistics.mean(len(t.split()) for t in texts)
    print(f"{len(texts)} sentences from {name}, {words:.1f} words on average; "
          f"batch {args.batch_size}; {os.cpu_count()} CPUs; TF {tf.__version__}")
    ours = {
        "EDA": text.EDA(alpha_sr=0.1, alpha_ri=0.1, alpha_rs=0.1, p_rd=0.1),
        "RandomSwap": text.RandomSwap(0.1),
        "RandomDeletion": text.RandomDeletion(0.1),
    }
    try:
        import nlpaug.augmenter.word as naw
    except ImportError:
        naw = None
        print("nlpaug is not installed (pip install nlpaug): timing keras_margin only")
    theirs = {}
    if naw is not None:
        theirs = {
            "nlpaug swap": naw.RandomWordAug(action="swap", aug_p=0.1, aug_min=1),
            "nlpaug delete": naw.RandomWordAug(action="delete", aug_p=0.1, aug_min=1),
        }
    rates = {key: [] for key in [*ours, *theirs]}
    for _ in range(args.rounds):  # interleaved: load hits every contender alike
        for key, layer in ours.items():
            rates[key].append(time_layer(layer, texts, args.batch_size))
        for key, augmenter in theirs.items():
            rates[key].append(time_nlpaug(augmenter, texts))
    median = {key: statistics.median(values) for key, values in rates.items()}
    for key, value in median.items():
        spread = f"{min(rates[key]):,.0f}-{max(rates[key]):,.0f}"
        print(f"{key:>16}: {value:>9,.0f} sentences/s  (rounds {spread})")
    if theirs:
        swap, delete = median["nlpaug swap"], median["nlpaug delete"]
        print(f"ratio RandomSwap / nlpaug swap:       {median['RandomSwap'] / swap:.2f}")
        print(f"ratio RandomDeletion / nlpaug delete: {median['RandomDeletion'] / delete:.2f}")
        print(f"ratio EDA / mean(nlpaug swap, delete): {median['EDA'] / ((swap + delete) / 2):.2f}")


if __name__ == "__main__":
    main()
