"""`data.sources.DATASETS`: the one registry every loader reads its names from."""

import keras_margin as km
from keras_margin.data import sources


def test_every_loader_reads_its_names_from_the_one_registry():
    by_modality = {modality: sorted(name for name, dataset in sources.DATASETS.items()
                                    if dataset.modality == modality and dataset.read)
                   for modality in sources.MODALITIES}
    assert km.data.available_datasets() == by_modality["image"]
    assert km.data.available_audio_datasets() == by_modality["audio"]
    assert km.data.available_text_datasets() == by_modality["text"]
    assert km.data.available_open_sets() == sorted(
        name for name, dataset in sources.DATASETS.items() if dataset.read_open_set)
    assert all(dataset.modality in sources.MODALITIES and (dataset.read or dataset.read_open_set)
               for dataset in sources.DATASETS.values())
    # The runner's and the CLI's modality switch.
    assert [km.data.is_audio_dataset(name) for name in ("instruments", "instruments-open", "glyphs",
                                                        "fortunes", "unknown")] == [
        True, True, False, False, False]
    assert sources.modality_of("fortunes") == "text" and sources.modality_of("unknown") is None
