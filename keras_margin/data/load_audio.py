"""`load_audio`: the built-in audio datasets by name, as `tf.data` pipelines."""

import random

import tensorflow as tf

from keras_margin.augment.augmentation_layer import AugmentationLayer
from keras_margin.augment.policy import Policy
from keras_margin.data.assemble import assemble
from keras_margin.data.assemble import check_arguments
from keras_margin.data.sources import modality_of
from keras_margin.data.sources import sources_of

# `load_audio`'s view of the registry: name -> read(cache_dir) -> AudioSourceData.
AUDIO_SOURCES = sources_of("audio")


def is_audio_dataset(name):
    """True if `name` is a dataset of `load_audio` or an audio open set."""
    return modality_of(name) == "audio"


def load_audio(
    name,
    samples_per_class=None,
    validation_split=0.1,
    seed=0,
    batch_size=64,
    augment=None,
    cache_dir=None,
    with_info=False,
):
    """Loads a built-in audio dataset as `(train, validation, test)` pipelines.

    Nothing is downloaded: the clips are rendered on this machine by Debian tools,
    once, and cached on disk (`cache_dir`). The datasets, 1.0 s mono clips at 16 kHz:

    - `"instruments"`: notes of the 128 General MIDI instruments, rendered by
      `fluidsynth` from the recorded samples of the Fluid R3 sound font (Debian
      packages `fluidsynth`, `fluid-soundfont-gm`), 32 notes per instrument at
      drawn pitches (C3-C6) and velocities, labelled by the 16 General MIDI
      families. Fixed test split: a quarter of every instrument's notes (1,024);
      training pool: 3,072 (192 per family). First load: about 15-25 s.
    - `"spoken-digits"`: "zero" .. "nine" said by **espeak-ng, a synthetic voice**
      (Debian package `espeak-ng`), 7 English accents x 11 voice variants, 2
      utterances per digit at drawn speeds and pitches. Fixed test split: the clips
      of 21 of the 77 voices (420); training pool: 1,120. First load: about 15 s.

    The splitting rules are those of `keras_margin.data.load`: a fixed test split,
    `validation_split` of the pool held out (stratified, seeded) before subsampling,
    then `samples_per_class` training clips per class (smaller requests are subsets
    of larger ones for one seed).

    Args:
        name: `"instruments"` or `"spoken-digits"` (case and `_`/`-` are not
            significant).
        samples_per_class: training clips per class, or None for the whole pool.
        validation_split: fraction of the training pool used for validation, in
            [0, 1); with 0, `validation` is None.
        seed: int (or None) controlling the validation split, the subsample, the
            per-epoch shuffle and the seeds of audio augmentation layers.
        batch_size: clips per batch.
        augment: applied to every training batch inside `tf.data`: a
            `keras_margin.augment.Policy` such as `keras_margin.augment.audio.policy(
            "standard")` (its `layers`; put its `model_layer` in the backbone), a
            `keras_margin.augment.audio` waveform layer or a list of them (mapped with
            `keras_margin.augment.seeded_map(train, layers, seed)`: reproducible under
            parallelism, different every epoch; with `seed=None`, a random seed), or a
            callable `(waveforms, labels) -> (waveforms, labels)`.
        cache_dir: folder of the rendered clips; defaults to `$KERAS_MARGIN_CACHE_DIR`,
            else `~/.cache/keras_margin`.
        with_info: also return a `DatasetInfo` (`input_shape` is `(16000,)`;
            `details` holds the sample rate and the rendering parameters).

    Returns:
        `(train, validation, test)`, or with `with_info=True` also `info`. Each is a
        `tf.data.Dataset` of `(waveforms, labels)` batches: float32 `(batch, 16000)`
        in [-1, 1] and int32 `(batch,)`. Only `train` is shuffled (every epoch).

    Raises:
        ValueError: for an unknown `name` or an invalid argument (the message names
            it), or when the pool cannot give `samples_per_class`.
        DatasetNotFoundError: when a tool or the sound font is not installed; the
            message names the Debian package.

    Example:

    >>> import keras_margin as km
    >>> train, val, test, info = km.data.load_audio(
    ...     "instruments", samples_per_class=20, with_info=True)
    >>> info.input_shape, info.num_classes, info.num_train
    ((16000,), 16, 320)
    """
    key = name.strip().lower().replace("_", "-") if isinstance(name, str) else None
    if key not in AUDIO_SOURCES:
        known = ", ".join(sorted(AUDIO_SOURCES))
        raise ValueError(f"Unknown audio dataset {name!r}; known audio datasets: {known}.")
    policy = _augmentation_policy(augment)
    check_arguments(samples_per_class, validation_split, seed, batch_size,
                    augment if policy is None else None)
    source = AUDIO_SOURCES[key](cache_dir)
    return assemble_audio(source, samples_per_class=samples_per_class,
                          validation_split=validation_split, seed=seed, batch_size=batch_size,
                          augment=augment if policy is None else policy, with_info=with_info)


def assemble_audio(source, samples_per_class=None, validation_split=0.1, seed=0, batch_size=64,
                   augment=None, with_info=False):
    """Splits an `AudioSourceData` and builds the pipelines (see `load_audio`);
    `augment` may be a `Policy` or audio augmentation layers, applied with
    `Policy.apply`."""
    policy = _augmentation_policy(augment)
    parts = assemble(source, samples_per_class=samples_per_class,
                     validation_split=validation_split, seed=seed, batch_size=batch_size,
                     augment=None if policy is not None else augment, with_info=with_info)
    if policy is None:
        return parts
    # A seeded map always: seed=None asks for a different run every time.
    seed = random.randrange(2**31) if seed is None else int(seed)
    train = policy.apply(parts[0], seed=seed, batch_size=batch_size)
    return (train.prefetch(tf.data.AUTOTUNE), *parts[1:])


def available_audio_datasets():
    """Returns the sorted names accepted by `load_audio`."""
    return sorted(AUDIO_SOURCES)


def _augmentation_policy(augment):
    """`augment` as a `Policy` (layers become one), or None if it is a plain callable."""
    if isinstance(augment, Policy):
        return augment
    if isinstance(augment, AugmentationLayer):
        return Policy("layers", "audio", layers=[augment])
    if isinstance(augment, (list, tuple)) and augment:
        if not all(isinstance(layer, AugmentationLayer) for layer in augment):
            raise ValueError("`augment` as a list must hold keras_margin augmentation layers; "
                             f"received {augment!r}.")
        return Policy("layers", "audio", layers=augment)
    return None
