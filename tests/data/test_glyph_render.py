"""Tests for keras_margin.data.sources.glyph_render: characters -> 32x32 images."""

import numpy as np
import pytest

from data_testing import LATIN_ONLY_FONT
from keras_margin.data.sources import glyph_fonts
from keras_margin.data.sources import glyph_render
from keras_margin.data.sources.glyph_characters import CHARACTERS


@pytest.fixture(scope="module")
def faces(font_dir):
    return glyph_fonts.find_faces(font_dir)[0]


def face_named(faces, file_name):
    return next(face for face in faces if face.file.endswith(file_name))


def test_images_are_uint8_white_ink_on_black_inside_the_margin(faces):
    images, character_index, face_index = glyph_render.render(faces[:2], "AgЖ")
    assert images.shape == (6, 32, 32) and images.dtype == np.uint8
    assert character_index.tolist() == [0, 1, 2, 0, 1, 2]
    assert face_index.tolist() == [0, 0, 0, 1, 1, 1]
    assert images.max() == 255 and np.median(images) == 0
    # MARGIN=2 at the reference size; area averaging may spill into one pixel.
    assert not images[:, [0, -1], :].any() and not images[:, :, [0, -1]].any()


def test_a_missing_glyph_is_not_rendered(faces):
    latin_only = face_named(faces, LATIN_ONLY_FONT)
    images, character_index, _ = glyph_render.render([latin_only], "AЖBд")
    assert character_index.tolist() == [0, 2]
    assert len(images) == 2 and images.reshape(2, -1).max(axis=1).tolist() == [255, 255]


def test_an_image_does_not_depend_on_the_other_requested_characters(faces):
    some = glyph_render.render(faces[:3], "kЯ")
    everything = glyph_render.render(faces[:3], CHARACTERS)
    for image, character, face in zip(*some):
        row = np.flatnonzero(
            (everything[1] == CHARACTERS.index("kЯ"[character])) & (everything[2] == face)
        )
        np.testing.assert_array_equal(everything[0][row[0]], image)


def test_one_scale_per_face_keeps_lower_case_smaller(faces):
    images, _, _ = glyph_render.render(faces[:1], "oO")
    small, large = (np.flatnonzero(image.max(axis=1) > 64) for image in images)
    assert len(small) < len(large) - 3
    assert small.max() == large.max()  # both sit on the baseline


def test_homoglyphs_render_identically_which_is_why_they_are_dropped(faces):
    # Greek Alpha, Cyrillic A and Latin A; Cyrillic o and Latin o; Cyrillic Ghe and Greek Gamma.
    dejavu = face_named(faces, "DejaVuSans.ttf")
    images, _, _ = glyph_render.render([dejavu], ["A", "\u0391", "\u0410", "o", "\u043e",
                                                  "\u0393", "\u0413", "B"])
    np.testing.assert_array_equal(images[0], images[1])
    np.testing.assert_array_equal(images[0], images[2])
    np.testing.assert_array_equal(images[3], images[4])
    np.testing.assert_array_equal(images[5], images[6])
    assert np.abs(images[0].astype(int) - images[7]).sum() > 1000


def test_rendering_is_deterministic(faces):
    first = glyph_render.render(faces, "Qж5")
    second = glyph_render.render(faces, "Qж5")
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
