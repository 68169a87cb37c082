"""`audio_cnn`: a small convolutional audio backbone, raw waveforms in, embeddings out."""

import keras
from keras import layers
from keras_margin.models.decibels import Decibels
from keras_margin.utils import validation


def audio_cnn(
    embedding_dim=64,
    num_samples=16000,
    sample_rate=16000,
    fft_length=512,
    hop_length=256,
    num_mel_bins=64,
    spectrogram_augmentation=None,
    width=16,
    batch_norm_momentum=0.9,
    name="audio_cnn",
):
    """A log-mel CNN that maps mono waveforms to `embedding_dim`-dimensional embeddings.

    Waveform `(num_samples,)` -> `keras.layers.MelSpectrogram` (Hann window of
    `fft_length`, hop `hop_length`, `num_mel_bins` bands from 20 Hz to `sample_rate / 2`;
    its output is `(mel bins, frames)`, transposed here to `(frames, mel bins)`) ->
    decibels with a fixed floor of -100 dB -> batch normalisation of every mel band
    -> `spectrogram_augmentation` (training only; its masks, filled with 0, get the
    band's mean) -> three Conv-BN-ReLU-MaxPool
    blocks of `width`, `2 * width`, `4 * width` filters -> global average pooling ->
    linear embedding -> batch normalisation (the "BN-FC-BN" embedding of `small_cnn`).

    Why not `MelSpectrogram(power_to_db=True)`: checked with Keras 3.15, its `top_db`
    clamps every value to 80 dB below the largest value *of the whole batch*, so a
    clip's features would depend on the other clips it is batched with. Here the
    floor is fixed.

    The spectrogram is computed inside the model, so it trains on the batches of
    `keras_margin.data.load_audio` and `MarginModel.export` serves raw waveforms.

    Args:
        embedding_dim: size of the output embedding, >= 1.
        num_samples: samples per clip (the input length), >= `fft_length`.
        sample_rate: samples per second of the input.
        fft_length: STFT window and FFT size, >= 16.
        hop_length: samples between STFT frames, >= 1.
        num_mel_bins: mel bands, >= 8.
        spectrogram_augmentation: None or a layer applied to the `(batch, frames,
            mel bins)` normalised log-mel spectrogram, e.g. a `keras_margin.augment.audio`
            `SpecAugment`. keras_margin augmentation layers follow the model's
            training flag: they augment in `fit` and not in `predict` or the export.
        width: filters of the first block, >= 1.
        batch_norm_momentum: momentum of the batch-norm statistics (0.9 for the few
            hundred steps of a limited-data run; see `small_cnn`).
        name: model name.

    Returns:
        A functional `keras.Model` from `(batch, num_samples)` float32 waveforms to
        `(batch, embedding_dim)` embeddings.

    Example:

    >>> import keras_margin as km
    >>> backbone = km.models.audio_cnn(embedding_dim=32, num_samples=16000)
    >>> backbone.output_shape
    (None, 32)

    References:
        Hershey et al., "CNN Architectures for Large-Scale Audio Classification",
        ICASSP 2017 (log-mel spectrogram CNNs).
    """
    embedding_dim = validation.integer_at_least(embedding_dim, 1, "embedding_dim")
    fft_length = validation.integer_at_least(fft_length, 16, "fft_length")
    num_samples = validation.integer_at_least(num_samples, fft_length, "num_samples")
    sample_rate = validation.integer_at_least(sample_rate, 1, "sample_rate")
    hop_length = validation.integer_at_least(hop_length, 1, "hop_length")
    num_mel_bins = validation.integer_at_least(num_mel_bins, 8, "num_mel_bins")
    width = validation.integer_at_least(width, 1, "width")
    if spectrogram_augmentation is not None and not isinstance(spectrogram_augmentation,
                                                               keras.layers.Layer):
        raise ValueError("`spectrogram_augmentation` must be None or a Keras layer; received "
                         f"{spectrogram_augmentation!r}.")

    inputs = keras.Input(shape=(num_samples,), name="waveforms")
    x = layers.MelSpectrogram(
        fft_length=fft_length, sequence_stride=hop_length, sampling_rate=sample_rate,
        num_mel_bins=num_mel_bins, min_freq=20.0, max_freq=sample_rate / 2, power_to_db=False,
        name="mel_spectrogram",
    )(inputs)
    x = layers.Permute((2, 1), name="frames_first")(x)
    x = Decibels(name="decibels")(x)
    # Per mel band, so that a mask value of 0 (SpecAugment's) is the band's mean level.
    x = layers.BatchNormalization(momentum=batch_norm_momentum, name="input_bn")(x)
    if spectrogram_augmentation is not None:
        x = spectrogram_augmentation(x)
    x = layers.Reshape((-1, num_mel_bins, 1), name="channel")(x)
    for block, filters in enumerate((width, 2 * width, 4 * width)):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"conv{block}")(x)
        x = layers.BatchNormalization(momentum=batch_norm_momentum, name=f"bn{block}")(x)
        x = layers.ReLU(name=f"relu{block}")(x)
        x = layers.MaxPooling2D(name=f"pool{block}")(x)
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    x = layers.Dense(embedding_dim, use_bias=False, name="embedding")(x)
    outputs = layers.BatchNormalization(momentum=batch_norm_momentum, name="embedding_bn")(x)
    return keras.Model(inputs, outputs, name=name)
