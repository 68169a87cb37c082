"""How good a pre-trained representation is: a linear probe and k-NN accuracy.

Both freeze the backbone: its features of the labelled training data and of the test
data are computed once (`training=False`: batch norm with its moving statistics, no
dropout, no augmentation), then a classifier is fitted on the training features only.
"""

import keras
import numpy as np
import tensorflow as tf

from keras_margin.retrieval.gallery import Gallery
from keras_margin.utils import validation


def features(backbone, data, batch_size=256):
    """The frozen backbone's features of labelled data, as NumPy arrays.

    Args:
        backbone: a Keras model or layer from inputs to (batch, features).
        data: a dataset of `(inputs, labels)` batches (e.g. `keras_margin.data.load`'s
            splits), or a tuple `(inputs, labels)` of arrays.
        batch_size: batch size for arrays.

    Returns:
        `(features, labels)`: float32 (n, features) and int64 (n,).
    """
    if not isinstance(backbone, keras.layers.Layer):
        raise ValueError(f"`backbone` must be a Keras model or layer; received {type(backbone).__name__}.")
    batch_size = validation.integer_at_least(batch_size, 1, "batch_size")
    if isinstance(data, tuple) and len(data) == 2 and not isinstance(data[0], tf.data.Dataset):
        inputs, labels = np.asarray(data[0]), np.asarray(data[1])
        if len(inputs) != len(labels):
            raise ValueError(
                f"`data` must hold as many inputs as labels; received {len(inputs)} and {len(labels)}."
            )
        batches = ((inputs[i:i + batch_size], labels[i:i + batch_size])
                   for i in range(0, len(labels), batch_size))
    elif isinstance(data, tf.data.Dataset):
        batches = data
    else:
        raise ValueError(
            "`data` must be a tf.data.Dataset of (inputs, labels) batches or a tuple "
            f"(inputs, labels) of arrays; received {type(data).__name__}."
        )
    outputs, all_labels = [], []
    for batch in batches:
        if not isinstance(batch, tuple) or len(batch) < 2:
            raise ValueError("`data` must yield (inputs, labels) batches: the labels are what is measured.")
        inputs, labels = batch[0], batch[1]
        outputs.append(keras.ops.convert_to_numpy(backbone(inputs, training=False)).astype(np.float32))
        all_labels.append(np.asarray(labels).reshape(-1).astype(np.int64))
    if not outputs:
        raise ValueError("`data` is empty.")
    embeddings = np.concatenate(outputs)
    if embeddings.ndim != 2:
        raise ValueError(f"`backbone` must return (batch, features); it returned shape {embeddings.shape}.")
    return embeddings, np.concatenate(all_labels)


def linear_probe(backbone, train, test, epochs=100, learning_rate=1e-2, batch_size=256, seed=0):
    """Test accuracy of a linear softmax classifier on the frozen backbone's features.

    The standard evaluation of self-supervised representations (Chen et al. 2020,
    after Zhang et al. 2016): the features of `train` are standardised (per feature,
    with the training mean and standard deviation, applied to both splits), then one
    `Dense(num_classes, activation="softmax")` is trained on them with Adam and the
    cross-entropy for `epochs` passes in seeded shuffled mini-batches; its accuracy
    on `test` is returned. The backbone never changes.

    Args:
        backbone: a Keras model or layer from inputs to (batch, features), e.g. a
            `SimCLR` model's `backbone`.
        train: the labelled data the classifier learns from: a dataset of `(inputs,
            labels)` batches or a tuple of arrays (see `features`).
        test: the labelled data it is measured on, likewise.
        epochs: passes over the training features, >= 1.
        learning_rate: Adam's learning rate, > 0.
        batch_size: mini-batch size of the classifier (and of the feature pass on
            arrays), >= 1.
        seed: integer >= 0: the classifier's initialisation and shuffle.

    Returns:
        The test accuracy, a float in [0, 1].

    Example:

    >>> import numpy as np, keras, keras_margin as km
    >>> rng = np.random.default_rng(0)
    >>> labels = np.arange(200) % 2
    >>> points = rng.normal(size=(200, 4)) + 3.0 * labels[:, None]
    >>> backbone = keras.Sequential([keras.Input((4,)), keras.layers.Identity()])
    >>> km.ssl.linear_probe(backbone, (points[:100], labels[:100]), (points[100:], labels[100:]),
    ...                     epochs=20) > 0.9
    True

    References:
        - Chen, Kornblith, Norouzi, Hinton. "A Simple Framework for Contrastive
          Learning of Visual Representations", ICML 2020 (linear evaluation protocol).
          https://arxiv.org/abs/2002.05709
    """
    epochs = validation.integer_at_least(epochs, 1, "epochs")
    learning_rate = validation.positive(learning_rate, "learning_rate")
    batch_size = validation.integer_at_least(batch_size, 1, "batch_size")
    seed = validation.integer_at_least(seed, 0, "seed")
    train_features, train_labels = features(backbone, train, batch_size)
    test_features, test_labels = features(backbone, test, batch_size)
    mean = train_features.mean(axis=0)
    scale = train_features.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    train_features = (train_features - mean) / scale
    test_features = (test_features - mean) / scale
    num_classes = int(max(train_labels.max(), test_labels.max())) + 1

    classifier = keras.Sequential(
        [
            keras.Input((train_features.shape[1],), dtype="float32"),
            # float32 whatever the global policy: a probe of a mixed-precision backbone.
            keras.layers.Dense(num_classes, activation="softmax", dtype="float32",
                               kernel_initializer=keras.initializers.GlorotUniform(seed=seed)),
        ],
        name="linear_probe",
    )
    classifier.compile(optimizer=keras.optimizers.Adam(learning_rate),
                       loss="sparse_categorical_crossentropy")
    data = tf.data.Dataset.from_tensor_slices((train_features, train_labels))
    data = data.shuffle(len(train_labels), seed=seed, reshuffle_each_iteration=True).batch(batch_size)
    classifier.fit(data, epochs=epochs, shuffle=False, verbose=0)  # shuffled above
    predicted = np.argmax(classifier.predict(test_features, batch_size=batch_size, verbose=0), axis=1)
    return float(np.mean(predicted == test_labels))


def knn_accuracy(backbone, train, test, k=20, temperature=0.07, batch_size=256):
    """Test accuracy of a cosine k-nearest-neighbour classifier on the backbone's features.

    Every test example searches the training features (a `keras_margin.retrieval.
    Gallery`: exact FAISS inner-product search on L2-normalised features, i.e. cosine
    similarity) for its `k` nearest neighbours, which vote for their classes. With a
    `temperature`, neighbour `j` votes with weight `exp(cos_j / temperature)` (Wu et
    al. 2018, the k-NN monitor of DINO, Caron et al. 2021); with `temperature=None`
    each votes once, and a tie goes to the class whose neighbours rank higher.

    Args:
        backbone: a Keras model or layer from inputs to (batch, features).
        train: the labelled data searched: a dataset of `(inputs, labels)` batches or
            a tuple of arrays (see `features`).
        test: the queries, likewise.
        k: neighbours per query, >= 1 (cut to the size of `train`).
        temperature: > 0, or None for an unweighted vote.
        batch_size: batch size of the feature pass on arrays.

    Returns:
        The test accuracy, a float in [0, 1].

    Example:

    >>> import numpy as np, keras, keras_margin as km
    >>> labels = np.arange(40) % 2
    >>> points = np.stack([labels * 2.0 - 1.0, np.linspace(-0.5, 0.5, 40)], axis=1)
    >>> backbone = keras.Sequential([keras.Input((2,)), keras.layers.Identity()])
    >>> km.ssl.knn_accuracy(backbone, (points[:20], labels[:20]), (points[20:], labels[20:]), k=5)
    1.0

    References:
        - Wu, Xiong, Yu, Lin. "Unsupervised Feature Learning via Non-Parametric
          Instance Discrimination", CVPR 2018. https://arxiv.org/abs/1805.01978
        - Caron, Touvron, Misra, Jégou, Mairal, Bojanowski, Joulin. "Emerging
          Properties in Self-Supervised Vision Transformers", ICCV 2021.
          https://arxiv.org/abs/2104.14294
    """
    k = validation.integer_at_least(k, 1, "k")
    if temperature is not None:
        temperature = validation.positive(temperature, "temperature")
    train_features, train_labels = features(backbone, train, batch_size)
    test_features, test_labels = features(backbone, test, batch_size)
    gallery = Gallery(train_features.shape[1])
    gallery.enroll(train_features, train_labels)
    found = gallery.search(test_features, k=k)
    ranks = found.labels.shape[1]
    if temperature is None:
        # One vote each, plus less than one vote in all that favours higher ranks.
        weights = 1.0 + (ranks - np.arange(ranks)) / (ranks * (ranks + 1.0))
        weights = np.broadcast_to(weights, found.labels.shape)
    else:
        similarities = found.similarities.astype(np.float64)
        weights = np.exp((similarities - similarities[:, :1]) / temperature)
    num_classes = int(max(train_labels.max(), test_labels.max())) + 1
    votes = np.zeros((len(test_labels), num_classes))
    np.add.at(votes, (np.arange(len(test_labels))[:, None], found.labels), weights)
    return float(np.mean(np.argmax(votes, axis=1) == test_labels))
