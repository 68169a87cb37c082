"""Small audio datasets for tests: a few instruments and voices, rendered in ~2 s."""

from keras_margin.data.sources import instruments
from keras_margin.data.sources import spoken_digits

# Two programs from each of four families: Piano, Bass, Strings, Pipe (73 is the flute).
TEST_PROGRAMS = (0, 1, 32, 33, 40, 41, 72, 73)
TEST_CLIPS_PER_INSTRUMENT = 8


def small_instruments(cache_dir=None):
    return instruments.read(programs=TEST_PROGRAMS, clips_per_instrument=TEST_CLIPS_PER_INSTRUMENT,
                            cache_dir=cache_dir)


def small_instruments_open_set(data_dir=None, cache_dir=None):
    return instruments.read_open_set(data_dir, programs=TEST_PROGRAMS,
                                     clips_per_instrument=TEST_CLIPS_PER_INSTRUMENT,
                                     cache_dir=cache_dir)


def few_voices(monkeypatch):
    """Restricts spoken-digits to 4 voices of one accent (40 clips, 1 test voice)."""
    monkeypatch.setattr(spoken_digits, "ACCENTS", ("en-us",))
    monkeypatch.setattr(spoken_digits, "VARIANTS", ("m1", "m3", "f1", "f3"))
