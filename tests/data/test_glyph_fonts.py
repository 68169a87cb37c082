"""Tests for keras_margin.data.sources.glyph_fonts: finding faces and grouping designs."""

import os

import pytest

import keras_margin as km
from data_testing import TEST_FONTS
from keras_margin.data.sources import glyph_fonts


def test_finds_the_text_faces_with_their_designs_and_skips_symbol_fonts(font_dir):
    faces, skipped = glyph_fonts.find_faces(font_dir)
    expected = {os.path.basename(path): design for path, design, _ in TEST_FONTS if design}
    assert {os.path.basename(face.file): face.design for face in faces} == expected
    skipped_files = sorted(os.path.basename(entry["file"]) for entry in skipped)
    assert skipped_files == ["D050000L.otf", "DejaVuMathTeXGyre.ttf", "StandardSymbolsPS.otf"]
    assert all("symbol or math font" in entry["reason"] for entry in skipped)
    names = {(face.family, face.style) for face in faces}
    assert ("DejaVu Sans", "Bold") in names and ("TeX Gyre Heros", "Regular") in names


def test_a_face_found_twice_counts_once(tmp_path):
    for sub in ("a", "b"):
        os.makedirs(tmp_path / sub)
        os.symlink(TEST_FONTS[0][0], tmp_path / sub / "DejaVuSans.ttf")
    faces, skipped = glyph_fonts.find_faces(tmp_path)
    assert len(faces) == 1 and faces[0].file.endswith(os.path.join("a", "DejaVuSans.ttf"))
    assert skipped[0]["reason"].startswith("duplicate of ")


def test_an_unreadable_font_file_is_skipped_with_a_reason(tmp_path):
    (tmp_path / "broken.ttf").write_bytes(b"not a font")
    os.symlink(TEST_FONTS[0][0], tmp_path / "DejaVuSans.ttf")
    faces, skipped = glyph_fonts.find_faces(tmp_path)
    assert [face.family for face in faces] == ["DejaVu Sans"]
    assert skipped[0]["file"].endswith("broken.ttf") and "unreadable" in skipped[0]["reason"]


def test_test_designs_are_fixed_and_unknown_designs_split_by_a_stable_hash():
    assert {d for d in set(glyph_fonts.DESIGNS.values()) if glyph_fonts.is_test_design(d)} == set(
        glyph_fonts.TEST_DESIGNS
    )
    unknown = [f"family {number}" for number in range(200)]
    in_test = [glyph_fonts.is_test_design(design) for design in unknown]
    assert in_test == [glyph_fonts.is_test_design(design) for design in unknown]
    assert 30 <= sum(in_test) <= 70  # about one in four


def test_default_folders_give_the_documented_faces():
    faces, skipped = glyph_fonts.find_faces()
    assert len(faces) == 111
    assert len({face.design for face in faces}) == 13
    assert sum(glyph_fonts.is_test_design(face.design) for face in faces) == 28
    assert all(face.family in glyph_fonts.DESIGNS for face in faces)
    skipped_names = " ".join(entry["file"] for entry in skipped)
    assert "StandardSymbolsPS" in skipped_names and "D050000L" in skipped_names


def test_no_fonts_is_a_one_line_error_naming_the_debian_packages(tmp_path):
    with pytest.raises(km.data.DatasetNotFoundError) as error:
        glyph_fonts.find_faces(tmp_path)
    message = str(error.value)
    assert "\n" not in message and message.startswith(f"glyphs: no usable fonts found in {tmp_path};")
    for package in ("fonts-dejavu-core", "fonts-urw-base35", "fonts-freefont-ttf",
                    "fonts-liberation2", "fonts-texgyre"):
        assert package in message
    assert "data_dir=" in message



def test_the_default_faces_are_the_111_of_the_documented_families():
    families = {family for by_family in glyph_fonts.DEFAULT_FACES.values() for family in by_family}
    assert families == set(glyph_fonts.DESIGNS)
    assert sum(len(styles) for by_family in glyph_fonts.DEFAULT_FACES.values()
               for styles in by_family.values()) == 111


def test_missing_default_fonts_are_refused_not_rendered_from_the_few_found(font_dir, monkeypatch):
    # The default search finds only the few faces of `font_dir`: 7 of the 111. Rendering
    # them would silently measure on another, much smaller dataset.
    monkeypatch.setattr(glyph_fonts, "DEFAULT_FONT_DIRS", (str(font_dir),))
    for read in (glyph_fonts.find_faces,
                 lambda: km.data.load("glyphs", samples_per_class=1, seed=0)):
        with pytest.raises(km.data.DatasetNotFoundError) as error:
            read()
        message = str(error.value)
        assert "\n" not in message
        assert message.startswith(f"glyphs: 7 of its 111 font faces found in {font_dir};")
        packages = " ".join(glyph_fonts.FONT_PACKAGES)
        assert f"Debian packages {packages}:" in message
        assert f"sudo apt-get install {packages}" in message
        assert "data_dir=keras_margin.data.sources.glyph_fonts.DEFAULT_FONT_DIRS" in message
    # The opt-out the message names: explicit folders render whatever is there.
    faces, _ = glyph_fonts.find_faces(glyph_fonts.DEFAULT_FONT_DIRS)
    assert len(faces) == 7


def test_only_the_packages_with_missing_faces_are_named(monkeypatch):
    monkeypatch.setattr(glyph_fonts, "DEFAULT_FONT_DIRS", (
        "/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype/liberation2"))
    with pytest.raises(km.data.DatasetNotFoundError, match=(
            r"33 of its 111 .* packages fonts-urw-base35 fonts-freefont-ttf fonts-texgyre:")):
        glyph_fonts.find_faces()
