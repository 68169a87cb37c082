"""Which part of an audio augmentation policy helps or hurts: one run per variant.

Trains the `keras-margin compare --task audio` recipe (audio_cnn, softmax head, 150
steps, seed 0) on `instruments` with 50 clips per family, under one variant of the
waveform chain and SpecAugment, and prints the test accuracy. The numbers quoted in
`keras_margin/augment/audio/policies.py` and docs/audio.md come from:

    python benchmarks/audio_policy.py none noise-only speed-only shift-only gain-only \
        no-noise spec-only all
"""

import sys
import time

import keras
import numpy as np

import keras_margin as km
from keras_margin.augment.audio import AddNoise
from keras_margin.augment.audio import Gain
from keras_margin.augment.audio import SpeedPerturbation
from keras_margin.augment.audio import TimeShift
from keras_margin.augment.audio.spec_augment import SpecAugment
from keras_margin.augment.seeded_map import seeded_map

STEPS = 150
EPOCHS = 10


def variant(name):
    """(waveform layers, spectrogram layer) of variant `name`."""
    speed = SpeedPerturbation((0.9, 1.1), seed=0)
    shift = TimeShift(0.1, rollover=False, seed=1)
    noise = AddNoise((20.0, 40.0), color="white", seed=2)
    gain = Gain((-6.0, 6.0), seed=3)
    masks = SpecAugment("SM", time_warp=5, frequency_mask=8, frequency_mask_count=2,
                        time_mask=10, time_mask_count=2, time_mask_fraction=0.2, seed=4)
    return {
        "none": ([], None),
        "noise-only": ([noise], None),
        "speed-only": ([speed], None),
        "shift-only": ([shift], None),
        "gain-only": ([gain], None),
        "no-noise": ([speed, shift, gain], None),
        "spec-only": ([], masks),
        "all": ([speed, shift, noise, gain], masks),
    }[name]


def run(name, seed=0):
    keras.utils.set_random_seed(seed)
    train, validation, test, info = km.data.load_audio("instruments", samples_per_class=50,
                                                       seed=seed, with_info=True)
    waveform, spectrogram = variant(name)
    if waveform:
        train = seeded_map(train, waveform, seed=seed)
    backbone = km.models.audio_cnn(embedding_dim=64, spectrogram_augmentation=spectrogram)
    head = km.heads.create("softmax", info.num_classes, info.train_class_counts)
    started = time.perf_counter()
    model, _ = km.models.fit_margin_model(backbone, head, train, validation, epochs=EPOCHS,
                                          steps_per_epoch=STEPS // EPOCHS)
    clips = np.concatenate([np.asarray(x) for x, _ in test])
    labels = np.concatenate([np.asarray(y) for _, y in test])
    logits = model.head(model.backbone(clips, training=False), training=False)
    accuracy = float(np.mean(np.argmax(np.asarray(logits), axis=-1) == labels))
    print(f"{name:>10}: test accuracy {accuracy:.3f} ({time.perf_counter() - started:.0f} s)",
          flush=True)


if __name__ == "__main__":
    for name in sys.argv[1:] or ["none", "noise-only", "speed-only", "shift-only", "gain-only",
                                 "no-noise", "spec-only", "all"]:
        run(name)
