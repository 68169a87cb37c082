"""Tests for keras_margin.data.sources.glyphs and `load("glyphs")`."""

import os

import numpy as np
import pytest

import keras_margin as km
from data_testing import LATIN_ONLY_FONT, TEST_FONTS, collect, image_keys
from keras_margin.data.sources import glyph_fonts
from keras_margin.data.sources import glyph_render
from keras_margin.data.sources import glyphs
from keras_margin.utils.disk_cache import CacheWarning

FEW = "AbЖ7ΩяQ"


def faces_by_split(font_dir):
    faces = glyph_fonts.find_faces(font_dir)[0]
    return (
        [face for face in faces if not glyph_fonts.is_test_design(face.design)],
        [face for face in faces if glyph_fonts.is_test_design(face.design)],
    )


def test_fonts_split_by_design_and_images_follow_their_fonts(font_dir, tmp_path):
    source = glyphs.read(font_dir, characters=FEW, cache_dir=tmp_path)
    fonts = source.details["fonts"]
    expected = {os.path.basename(path): split for path, _, split in TEST_FONTS if split}
    assert {os.path.basename(font["file"]): font["split"] for font in fonts} == expected
    assert not set(source.details["train_designs"]) & set(source.details["test_designs"])
    assert source.details["test_designs"] == ["liberation-mono", "vera-serif"]
    assert {"family", "style", "file", "design", "split", "images"} <= set(fonts[0])

    # Every image of a training font is in the pool and none in the test split, and
    # the reverse for test fonts.
    train_faces, test_faces = faces_by_split(font_dir)
    pool_keys = set(image_keys(source.train_inputs[..., 0]))
    test_keys = set(image_keys(source.test_inputs[..., 0]))
    train_rendered = set(image_keys(glyph_render.render(train_faces, FEW)[0]))
    test_rendered = set(image_keys(glyph_render.render(test_faces, FEW)[0]))
    assert pool_keys == train_rendered and test_keys == test_rendered
    assert not pool_keys & test_keys


def test_counts_labels_and_class_names(font_dir, tmp_path):
    source = glyphs.read(font_dir, characters=FEW, cache_dir=tmp_path)
    assert source.class_names == list(FEW)
    assert source.input_shape == (32, 32, 1) and source.train_inputs.dtype == np.uint8
    # 5 training faces, one of them without Cyrillic; 2 test faces with everything.
    cyrillic = [FEW.index("Ж"), FEW.index("я")]
    pool_counts = np.bincount(source.train_labels, minlength=len(FEW))
    assert pool_counts.tolist() == [4 if label in cyrillic else 5 for label in range(len(FEW))]
    assert np.bincount(source.test_labels).tolist() == [2] * len(FEW)
    latin_only = next(f for f in source.details["fonts"] if f["file"].endswith(LATIN_ONLY_FONT))
    assert latin_only["images"] == len(FEW) - 2
    assert len(source.train_labels) == sum(
        f["images"] for f in source.details["fonts"] if f["split"] == "train"
    )


def test_a_character_missing_from_one_font_split_is_left_out(tmp_path):
    folder = tmp_path / "fonts"
    os.makedirs(folder)
    # Training font without Cyrillic, test font with it: Cyrillic has no training image.
    for path, _, _ in TEST_FONTS:
        if path.endswith((LATIN_ONLY_FONT, "DejaVuSerif.ttf")):
            os.symlink(path, folder / os.path.basename(path))
    source = glyphs.read(folder, characters="AЖB", cache_dir=tmp_path / "cache")
    assert source.class_names == ["A", "B"]
    assert source.details["missing_characters"] == ["Ж"]


def test_second_read_comes_from_the_disk_cache(font_dir, tmp_path, monkeypatch):
    first = glyphs.read(font_dir, characters=FEW, cache_dir=tmp_path)
    assert first.details["render_seconds"] > 0
    assert os.listdir(tmp_path) == [os.path.basename(first.details["cache_file"])]

    def fail(*args, **kwargs):
        raise AssertionError("rendered again instead of reading the cache")

    monkeypatch.setattr(glyph_render, "render", fail)
    second = glyphs.read(font_dir, characters=FEW, cache_dir=tmp_path)
    assert second.details["render_seconds"] == 0.0
    np.testing.assert_array_equal(first.train_inputs, second.train_inputs)
    np.testing.assert_array_equal(first.test_labels, second.test_labels)
    # Other characters are another entry.
    with pytest.raises(AssertionError, match="rendered again"):
        glyphs.read(font_dir, characters="AB", cache_dir=tmp_path)


def test_the_cache_dir_comes_from_the_environment(font_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_MARGIN_CACHE_DIR", str(tmp_path / "env"))
    source = glyphs.read(font_dir, characters="AB")
    assert source.details["cache_file"].startswith(str(tmp_path / "env") + os.sep)
    assert os.path.isfile(source.details["cache_file"])


def test_a_damaged_cache_entry_is_rendered_again(font_dir, tmp_path):
    first = glyphs.read(font_dir, characters=FEW, cache_dir=tmp_path)
    with open(first.details["cache_file"], "wb") as file:
        file.write(b"damaged")
    with pytest.warns(CacheWarning, match="unreadable"):
        again = glyphs.read(font_dir, characters=FEW, cache_dir=tmp_path)
    assert again.details["render_seconds"] > 0
    np.testing.assert_array_equal(first.train_inputs, again.train_inputs)


def test_a_cache_entry_with_other_images_is_rendered_again(font_dir, tmp_path):
    # A valid .npz, manifest and all, whose images were zeroed: never served.
    first = glyphs.read(font_dir, characters=FEW, cache_dir=tmp_path)
    path = first.details["cache_file"]
    with np.load(path) as stored:
        arrays = {name: stored[name] for name in stored.files}
    arrays["images"] = np.zeros_like(arrays["images"])
    with open(path, "wb") as file:
        np.savez_compressed(file, **arrays)
    with pytest.warns(CacheWarning, match="images: sha256"):
        again = glyphs.read(font_dir, characters=FEW, cache_dir=tmp_path)
    assert again.details["render_seconds"] > 0
    np.testing.assert_array_equal(first.train_inputs, again.train_inputs)


def test_reads_are_identical_across_caches(font_dir, tmp_path):
    first = glyphs.read(font_dir, characters=FEW, cache_dir=tmp_path / "one")
    second = glyphs.read(font_dir, characters=FEW, cache_dir=tmp_path / "two")
    for name in ("train_inputs", "train_labels", "test_inputs", "test_labels"):
        np.testing.assert_array_equal(getattr(first, name), getattr(second, name))


@pytest.mark.parametrize("characters", ["", ["A", "A"], ["AB"], [" "], 5, b"AB"])
def test_invalid_characters_raise_naming_the_argument(font_dir, characters):
    with pytest.raises(ValueError, match="`characters`"):
        glyphs.read(font_dir, characters=characters)


def test_unseen_characters_are_a_fixed_quarter_of_every_group():
    unseen = glyphs.unseen_classes(list(km.data.sources.glyph_characters.CHARACTERS))
    assert unseen == glyphs.unseen_classes(list(km.data.sources.glyph_characters.CHARACTERS))
    names = [km.data.sources.glyph_characters.CHARACTERS[i] for i in unseen]
    groups = [km.data.sources.glyph_characters.group_of(c) for c in names]
    assert {g: groups.count(g) for g in set(groups)} == {
        "latin-capital": 7, "latin-small": 6, "digit": 2, "greek-capital": 3,
        "greek-small": 4, "cyrillic-capital": 4, "cyrillic-small": 6}


def test_load_glyphs_is_a_closed_set_dataset_tested_on_unseen_fonts(font_dir):
    train, validation, test, info = km.data.load(
        "glyphs", data_dir=font_dir, batch_size=50, with_info=True
    )
    assert info.name == "glyphs" and info.num_classes == 125 and info.input_shape == (32, 32, 1)
    assert info.test_class_counts == [2] * 125  # two test faces have every character
    assert info.details["test_designs"] == ["liberation-mono", "vera-serif"]
    test_images, test_labels = collect(test)
    assert test_images.max() == 255.0 and test_images.min() == 0.0
    _, train_labels = collect(train)
    assert sorted(set(train_labels.tolist())) == list(range(125))
    assert info.num_train + info.num_validation == sum(
        font["images"] for font in info.details["fonts"] if font["split"] == "train"
    )


def test_load_glyphs_without_fonts_names_the_debian_packages(tmp_path):
    with pytest.raises(km.data.DatasetNotFoundError, match="apt-get install fonts-dejavu-core"):
        km.data.load("glyphs", data_dir=tmp_path)
