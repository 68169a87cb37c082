"""Helpers for the keras_margin.data tests: IDX files written by hand, split collectors."""

import gzip
import os
import struct

import numpy as np

# IDX type bytes, written out here rather than imported so the reader is checked
# against the format, not against itself.
IDX_TYPE_BYTES = {
    "uint8": 0x08,
    "int8": 0x09,
    "int16": 0x0B,
    "int32": 0x0C,
    "float32": 0x0D,
    "float64": 0x0E,
}

FASHION_TRAIN_PER_CLASS = 12
FASHION_TEST_PER_CLASS = 3


def idx_bytes(array):
    """Encodes `array` as IDX: 0, 0, type byte, ndim, big-endian uint32 sizes, data."""
    array = np.asarray(array)
    header = bytes([0, 0, IDX_TYPE_BYTES[array.dtype.name], array.ndim])
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_idx(path, array, compress=True):
    data = idx_bytes(array)
    with open(path, "wb") as file:
        file.write(gzip.compress(data) if compress else data)


def fake_fashion_arrays(per_class, offset):
    """28x28 uint8 images whose first pixels tell their label and a unique serial."""
    count = 10 * per_class
    labels = (np.arange(count) % 10).astype(np.uint8)  # interleaved, like the real files
    rng = np.random.default_rng(offset)
    images = rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
    serial = np.arange(count) + offset
    images[:, 0, 0] = labels * 10
    images[:, 0, 1] = serial // 256
    images[:, 0, 2] = serial % 256
    return images, labels


def write_fashion_files(folder, compress=True):
    """Writes the four Fashion-MNIST IDX files (120 train, 30 test images) to `folder`."""
    suffix = ".gz" if compress else ""
    train_images, train_labels = fake_fashion_arrays(FASHION_TRAIN_PER_CLASS, offset=0)
    test_images, test_labels = fake_fashion_arrays(FASHION_TEST_PER_CLASS, offset=1000)
    write_idx(folder / f"train-images-idx3-ubyte{suffix}", train_images, compress)
    write_idx(folder / f"train-labels-idx1-ubyte{suffix}", train_labels, compress)
    write_idx(folder / f"t10k-images-idx3-ubyte{suffix}", test_images, compress)
    write_idx(folder / f"t10k-labels-idx1-ubyte{suffix}", test_labels, compress)
    return (train_images, train_labels), (test_images, test_labels)


def collect(dataset):
    """All `(images, labels)` of a batched dataset as two numpy arrays."""
    images, labels = [], []
    for image_batch, label_batch in dataset:
        images.append(image_batch.numpy())
        labels.append(label_batch.numpy())
    return np.concatenate(images), np.concatenate(labels)


def image_keys(images):
    """One bytes key per image, to compare splits as sets of images."""
    return [image.tobytes() for image in np.asarray(images)]


# A small font folder for the glyphs tests: (Debian file, design, split or None when
# the face must be skipped). Two training designs, two test designs, a face that lacks
# Cyrillic, and the symbol and math fonts that must be skipped.
TEST_FONTS = [
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "vera-sans", "train"),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", "vera-sans", "train"),
    ("/usr/share/fonts/truetype/freefont/FreeSans.ttf", "helvetica", "train"),
    ("/usr/share/fonts/opentype/urw-base35/NimbusSans-Regular.otf", "helvetica", "train"),
    ("/usr/share/texmf/fonts/opentype/public/tex-gyre/texgyreheros-regular.otf",
     "helvetica", "train"),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", "vera-serif", "test"),
    ("/usr/share/fonts/truetype/liberation2/LiberationMono-Regular.ttf",
     "liberation-mono", "test"),
    ("/usr/share/fonts/opentype/urw-base35/StandardSymbolsPS.otf", None, None),
    ("/usr/share/fonts/opentype/urw-base35/D050000L.otf", None, None),
    ("/usr/share/fonts/truetype/dejavu/DejaVuMathTeXGyre.ttf", None, None),
]
# The face in TEST_FONTS without Cyrillic or most Greek small letters.
LATIN_ONLY_FONT = "texgyreheros-regular.otf"


def write_font_folder(folder):
    """Links the TEST_FONTS into `folder`; fails with the Debian packages to install."""
    missing = [path for path, _, _ in TEST_FONTS if not os.path.isfile(path)]
    if missing:
        raise FileNotFoundError(
            f"glyphs tests need {', '.join(missing)}: apt-get install fonts-dejavu-core "
            "fonts-freefont-ttf fonts-urw-base35 fonts-liberation2 fonts-texgyre"
        )
    for path, _, _ in TEST_FONTS:
        os.symlink(path, os.path.join(folder, os.path.basename(path)))
    return folder
