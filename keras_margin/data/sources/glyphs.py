"""`glyphs`: characters rendered in many real typefaces, for open-set identity tasks.

The design of the font part of Chars74K: an identity is a character, its samples are
that character in different typefaces. The fonts come from Debian packages (see
`glyph_fonts.FONT_PACKAGES`); the characters are Latin, Greek and Cyrillic minus
confusables (see `glyph_characters`). Images are rendered once and cached on disk.

Splits, all fixed (independent of any seed):

- fonts: the faces of `glyph_fonts.TEST_DESIGNS` are the test split, every other face
  is the training pool. A design (a family with all its weights, slants and clones) is
  wholly on one side.
- characters (open set only): `UNSEEN_CHARACTER_FRACTION` of every script-and-case
  group are unseen identities; see `read_open_set`.
"""

import os
import time

import numpy as np

from keras_margin.data.fixed_test_split import TEST_SPLIT_SEED
from keras_margin.data.source_data import SourceData
from keras_margin.data.sources import glyph_characters
from keras_margin.data.sources import glyph_fonts
from keras_margin.data.sources import glyph_render
from keras_margin.data.stratified import stratified_split
from keras_margin.utils import disk_cache

NAME = "glyphs"
UNSEEN_CHARACTER_FRACTION = 0.25


def read(data_dir=None, characters=None, cache_dir=None):
    """Returns `glyphs` as a closed-set `SourceData` (32x32x1 uint8, one class per character).

    Training pool: every character in the training fonts; test split: every character
    in the test fonts (`glyph_fonts.TEST_DESIGNS`). `details` records the fonts used
    (family, style, file, design, split, images), the files skipped and why, the cache
    file and the render time (0 on a cache hit).

    Args:
        data_dir: folder(s) of `.ttf`/`.otf` fonts to use instead of the Debian
            packages' fonts; every family found there is used. By default all 111
            faces of `glyph_fonts.DEFAULT_FACES` must be installed; to render whatever
            fonts a machine has instead, pass `data_dir=glyph_fonts.DEFAULT_FONT_DIRS`.
        characters: the identities, a string or list of single characters; defaults
            to `glyph_characters.CHARACTERS` (125). Characters that no training font
            or no test font has are left out (listed in `details`).
        cache_dir: folder of the rendered-image cache; defaults to
            `$KERAS_MARGIN_CACHE_DIR`, else `~/.cache/keras_margin`.

    Raises:
        DatasetNotFoundError: if no usable font is found, or, without `data_dir`, if
            any of the 111 default faces is missing (the message names the Debian
            packages to install).
        ValueError: for invalid `characters`, or when no character has images in
            both font splits.
    """
    characters = _check_characters(characters)
    faces, skipped = glyph_fonts.find_faces(data_dir)
    images, character_index, face_index, cache_file, seconds = _rendered(
        faces, characters, cache_dir
    )
    in_test = np.array([glyph_fonts.is_test_design(face.design) for face in faces], dtype=bool)
    test_rows = in_test[face_index] if len(face_index) else np.zeros((0,), dtype=bool)

    # A class needs examples on both sides to be trained and tested.
    in_train_fonts = set(character_index[~test_rows].tolist())
    in_test_fonts = set(character_index[test_rows].tolist())
    kept = [number for number in range(len(characters))
            if number in in_train_fonts and number in in_test_fonts]
    if not kept:
        raise ValueError(
            f"{NAME}: no character has images in both the training and the test fonts; "
            f"fonts found: {len(faces)} ({', '.join(sorted({face.design for face in faces}))}), "
            f"test designs: {', '.join(glyph_fonts.TEST_DESIGNS)}."
        )
    relabel = np.full(len(characters), -1, dtype=np.int64)
    relabel[kept] = np.arange(len(kept))
    rows = relabel[character_index] >= 0
    labels = relabel[character_index]

    counts = np.bincount(face_index, minlength=len(faces))
    fonts = [
        {**face.as_dict(), "split": "test" if in_test[number] else "train",
         "images": int(counts[number])}
        for number, face in enumerate(faces)
        if counts[number]
    ]
    details = {
        "fonts": fonts,
        "skipped_fonts": skipped,
        "train_designs": sorted({f["design"] for f in fonts if f["split"] == "train"}),
        "test_designs": sorted({f["design"] for f in fonts if f["split"] == "test"}),
        "missing_characters": [characters[n] for n in range(len(characters)) if relabel[n] < 0],
        "cache_file": cache_file,
        "render_seconds": seconds,
    }
    folders = glyph_fonts.DEFAULT_FONT_DIRS if data_dir is None else data_dir
    where = f"Debian packages {', '.join(glyph_fonts.FONT_PACKAGES)}" if data_dir is None \
        else f"fonts in {folders}"
    return SourceData(
        name=NAME,
        train_inputs=images[rows & ~test_rows][..., np.newaxis],
        train_labels=labels[rows & ~test_rows],
        test_inputs=images[rows & test_rows][..., np.newaxis],
        test_labels=labels[rows & test_rows],
        class_names=[characters[number] for number in kept],
        source=f"{len(fonts)} font faces from {where}, rendered with Pillow "
               f"({glyph_render.IMAGE_SIZE}x{glyph_render.IMAGE_SIZE})",
        details=details,
    )


def read_open_set(data_dir=None, characters=None, cache_dir=None):
    """Returns `(source, unseen_classes)`: `read(...)` and its unseen identities.

    The unseen characters are `UNSEEN_CHARACTER_FRACTION` of every script-and-case
    group (Latin capitals, Latin small, digits, Greek and Cyrillic capitals and
    small), rounded half up, drawn with the fixed test-split seed: the same in every
    run. Only their images in the test fonts are used, so an unseen identity is also
    seen only in unseen fonts.
    """
    source = read(data_dir=data_dir, characters=characters, cache_dir=cache_dir)
    return source, unseen_classes(source.class_names)


def unseen_classes(class_names):
    """Indices into `class_names` (single characters) of the unseen identities."""
    groups = sorted(set(map(glyph_characters.group_of, class_names)))
    group_labels = np.array([groups.index(glyph_characters.group_of(c)) for c in class_names])
    held_out, _ = stratified_split(group_labels, UNSEEN_CHARACTER_FRACTION, seed=TEST_SPLIT_SEED)
    return held_out.tolist()


def _rendered(faces, characters, cache_dir):
    """Rendered images from the disk cache, rendering and storing them on a miss."""
    description = {
        "renderer": glyph_render.RENDERER_VERSION,
        "image_size": glyph_render.IMAGE_SIZE,
        "margin": glyph_render.MARGIN,
        "reference_size": glyph_render.REFERENCE_SIZE,
        "versions": glyph_render.versions(),
        "characters": characters,
        # Size and modification time stand for the content: an upgraded font re-renders.
        "faces": [
            [face.file, os.stat(face.file).st_size, os.stat(face.file).st_mtime_ns,
             face.family, face.style]
            for face in faces
        ],
    }
    path = os.path.join(
        disk_cache.cache_dir(cache_dir), f"{NAME}-{disk_cache.key_of(description)}.npz"
    )
    stored = disk_cache.load(path, keys=("images", "character_index", "face_index"))
    if stored is not None:
        return stored["images"], stored["character_index"], stored["face_index"], path, 0.0
    start = time.perf_counter()
    images, character_index, face_index = glyph_render.render(faces, characters)
    seconds = time.perf_counter() - start
    disk_cache.save(
        path,
        {"images": images, "character_index": character_index, "face_index": face_index},
    )
    return images, character_index, face_index, path, round(seconds, 3)


def _check_characters(characters):
    if characters is None:
        return list(glyph_characters.CHARACTERS)
    valid = not isinstance(characters, bytes)
    try:
        listed = list(characters)
    except TypeError:
        valid, listed = False, []
    valid = valid and bool(listed) and all(
        isinstance(c, str) and len(c) == 1 and not c.isspace() for c in listed
    )
    if not valid or len(set(listed)) != len(listed):
        raise ValueError(
            "`characters` must be None or a non-empty string or list of distinct single "
            f"non-space characters; received {characters!r}."
        )
    return listed
