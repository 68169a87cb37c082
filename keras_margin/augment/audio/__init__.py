"""Audio augmentation: random layers on waveforms, graph-native in `tf.data`.

Waveform layers, on float clips `(samples,)` or batches `(batch, samples)`; every clip
in a batch draws its own values, and with `training=False` each layer returns its input
unchanged:

- `TimeShift`: shift by a random amount, rolled over or zero-filled.
- `Gain`: a random gain in dB.
- `AddNoise`: white, pink, brown, blue or violet noise at a random SNR.
- `MixBackground`: a random excerpt of a bank of background clips at a random SNR.
- `SpeedPerturbation`: resample by a random speed factor, kept at the input length.

`keras_margin.augment.seeded_map(dataset, layers, seed)` maps them over a dataset
reproducibly under any parallelism.
"""
