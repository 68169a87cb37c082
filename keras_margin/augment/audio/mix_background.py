"""`MixBackground`: mix a random excerpt of a background recording into each clip."""

import keras
import numpy as np
import tensorflow as tf

from keras_margin.augment.audio import _waveform
from keras_margin.augment.augmentation_layer import split_seed

# The config stores the backgrounds inline (a JSON list); past this many samples
# (about 65 s at 16 kHz, ~20 MB of JSON) that is no longer a sensible config.
MAX_BACKGROUND_SAMPLES = 2**20


@keras.saving.register_keras_serializable(package="keras_margin")
class MixBackground(_waveform.WaveformLayer):
    """Adds to every clip an excerpt of a background recording, at a random SNR.

    `backgrounds` is a bank of recordings (noise, babble, music, room tone). Each
    clip draws one recording, a start offset within it (every sample equally likely)
    and an SNR uniformly from `snr_range_db`. The excerpt is read from the offset for
    the clip's length, wrapping to the start of the recording when it reaches the end
    (so a recording shorter than the clip is tiled), and scaled so that the achieved
    SNR over the clip, `10 log10(mean(x^2) / mean(excerpt^2))`, is exactly the drawn
    value.

    A silent clip, or a silent excerpt, gets nothing added (the SNR is undefined; no
    NaN is produced). With `training=False` the layer returns its input unchanged.

    The bank is held as a constant tensor and stored inline in `get_config` (as
    nested lists), so it is limited to `MAX_BACKGROUND_SAMPLES` (2^20) samples in all;
    cut long recordings to a few representative excerpts.

    Args:
        backgrounds: float array `(num_clips, samples)` (or one clip `(samples,)`),
            finite, at most 2^20 samples in all.
        snr_range_db: `(low, high)` SNR in dB, each within [-60, 120], or one number
            for a fixed SNR (default (3, 30)).
        seed: an integer >= 0 or None.
        **kwargs: base layer arguments such as `name`.

    Input: float waveforms `(samples,)` or `(batch, samples)`; output of the same shape
    and dtype.

    Raises:
        ValueError: naming the argument, for a bad `backgrounds`, `snr_range_db` or
            `seed`.

    Example:

    >>> import numpy as np
    >>> from keras_margin.augment.audio import MixBackground
    >>> hum = np.sin(np.arange(4000) * 0.02).astype("float32")[None]
    >>> clips = np.random.default_rng(0).normal(size=(4, 1000)).astype("float32")
    >>> mixed = MixBackground(hum, snr_range_db=10.0, seed=0)(clips).numpy()
    >>> added = mixed - clips
    >>> snr = 10 * np.log10(np.mean(clips**2, 1) / np.mean(added**2, 1))
    >>> np.round(snr, 2).tolist()
    [10.0, 10.0, 10.0, 10.0]

    References:
        Salamon & Bello, "Deep convolutional neural networks and data augmentation for
        environmental sound classification", IEEE SPL 2017 (background noise mixing);
        Snyder et al., "MUSAN: A music, speech, and noise corpus", 2015.
    """

    def __init__(self, backgrounds, snr_range_db=(3.0, 30.0), seed=None, **kwargs):
        backgrounds = _check_backgrounds(backgrounds)
        snr_range_db = _waveform.check_range(snr_range_db, "snr_range_db", -60.0, 120.0)
        super().__init__(seed=seed, **kwargs)
        self.backgrounds = backgrounds
        self.snr_range_db = snr_range_db
        self._flat_bank = {}

    def _bank(self, dtype):
        # One constant per compute dtype, made on first use and then captured by every
        # graph that uses the layer.
        if dtype not in self._flat_bank:
            with tf.init_scope():
                self._flat_bank[dtype] = tf.constant(
                    self.backgrounds.reshape(-1), dtype=dtype
                )
        return self._flat_bank[dtype]

    def augment(self, inputs, seed):
        waveforms, unbatch = _waveform.as_batch(inputs)
        dtype = _waveform.compute_dtype(waveforms.dtype)
        signal = tf.cast(waveforms, dtype)
        clip_seed, offset_seed, snr_seed = split_seed(seed, 3)
        batch, samples = tf.shape(signal)[0], tf.shape(signal)[1]
        count, length = self.backgrounds.shape
        clips = tf.random.stateless_uniform(
            [batch], clip_seed, minval=0, maxval=count, dtype=tf.int32
        )
        offsets = tf.random.stateless_uniform(
            [batch], offset_seed, minval=0, maxval=length, dtype=tf.int32
        )
        # int32 indices (the bank has at most 2^20 samples): gathers run faster.
        steps = tf.range(samples)
        positions = tf.math.floormod(offsets[:, None] + steps[None, :], length)
        excerpts = tf.gather(self._bank(dtype), clips[:, None] * length + positions)
        snr_db = _waveform.uniform(snr_seed, batch, self.snr_range_db)
        out = signal + _waveform.scale_to_snr(signal, excerpts, snr_db)
        return unbatch(tf.cast(out, waveforms.dtype))

    def get_config(self):
        config = super().get_config()
        config.update(
            {"backgrounds": self.backgrounds.tolist(), "snr_range_db": self.snr_range_db}
        )
        return config


def _check_backgrounds(backgrounds):
    try:
        array = np.asarray(backgrounds, dtype=np.float32)
    except (TypeError, ValueError):
        raise ValueError(
            "`backgrounds` must be a float array (num_clips, samples) or (samples,); "
            f"received a {type(backgrounds).__name__} that is not one."
        ) from None
    if array.ndim == 1:
        array = array[None]
    if array.ndim != 2 or array.shape[0] < 1 or array.shape[1] < 1:
        raise ValueError(
            "`backgrounds` must be a float array (num_clips, samples) or (samples,) "
            f"with at least one sample; received shape {array.shape}."
        )
    if array.size > MAX_BACKGROUND_SAMPLES:
        raise ValueError(
            f"`backgrounds` holds {array.size} samples; at most {MAX_BACKGROUND_SAMPLES} "
            "(about 65 s at 16 kHz) are accepted, because the layer's config stores them "
            "inline. Pass fewer or shorter excerpts."
        )
    if not np.all(np.isfinite(array)):
        raise ValueError("`backgrounds` must be finite; it contains NaN or inf.")
    return array
