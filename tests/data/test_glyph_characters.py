"""Tests for keras_margin.data.sources.glyph_characters: the identities of `glyphs`."""

import unicodedata

from keras_margin.data.sources import glyph_characters as chars


def test_125_distinct_characters_from_the_candidates_in_their_order():
    assert len(chars.CHARACTERS) == 125 == len(set(chars.CHARACTERS))
    positions = [chars.CANDIDATES.index(c) for c in chars.CHARACTERS]
    assert positions == sorted(positions)
    assert len(chars.CANDIDATES) == 26 + 26 + 10 + 24 + 25 + 33 + 33


def test_every_dropped_character_points_at_a_kept_earlier_one():
    for dropped, kept in chars.DROPPED.items():
        assert dropped in chars.CANDIDATES and dropped not in chars.CHARACTERS
        assert kept in chars.CHARACTERS
        assert chars.CANDIDATES.index(kept) < chars.CANDIDATES.index(dropped)


def test_greek_and_cyrillic_homoglyphs_of_latin_are_dropped():
    by_name = unicodedata.lookup
    for name in ["GREEK CAPITAL LETTER ALPHA", "CYRILLIC CAPITAL LETTER A",
                 "GREEK SMALL LETTER OMICRON", "CYRILLIC SMALL LETTER O",
                 "CYRILLIC SMALL LETTER ES", "CYRILLIC CAPITAL LETTER ZE"]:
        assert by_name(name) not in chars.CHARACTERS, name
    # Greek wins over its Cyrillic twin; letters unlike any Latin one stay.
    assert by_name("GREEK CAPITAL LETTER GAMMA") in chars.CHARACTERS
    assert by_name("CYRILLIC CAPITAL LETTER GHE") not in chars.CHARACTERS
    for name in ["GREEK CAPITAL LETTER OMEGA", "CYRILLIC CAPITAL LETTER ZHE",
                 "CYRILLIC SMALL LETTER YA"]:
        assert by_name(name) in chars.CHARACTERS, name
    # Within Latin too: l and 1 look like I, 0 like O.
    assert "I" in chars.CHARACTERS and "O" in chars.CHARACTERS
    assert not set("l01") & set(chars.CHARACTERS)


def test_groups_cover_the_characters():
    counts = {}
    for character in chars.CHARACTERS:
        counts[chars.group_of(character)] = counts.get(chars.group_of(character), 0) + 1
    assert counts == {"latin-capital": 26, "latin-small": 25, "digit": 8, "greek-capital": 10,
                      "greek-small": 17, "cyrillic-capital": 16, "cyrillic-small": 23}
    assert chars.group_of("?") == "other"
