"""The characters of the `glyphs` dataset: Latin, Greek and Cyrillic, minus confusables.

Every character is an identity, so two characters that look alike in most typefaces
would make "different identity" pairs that no model can tell apart and inflate the
impostor error for reasons that have nothing to do with the model. The rule: **no two
kept characters are confusable under Unicode's UTS #39 confusables table**
(`confusables.txt`). Of each confusable group the first in `CANDIDATES` order is kept
(Latin capitals, Latin small letters, digits, Greek, Cyrillic), so Latin wins over its
Greek and Cyrillic look-alikes, letters win over digits, and Greek wins over Cyrillic.

NFKD does not help here: it maps no Greek or Cyrillic letter to Latin, so the pairs are
listed explicitly in `DROPPED`, taken from UTS #39 for exactly the candidates below.
Case pairs of the same shape (`o`/`O`, `x`/`X`, `к`/`К`, ...) are kept: the renderer
uses one scale per typeface, so they differ in size, as in Chars74K.
"""

import unicodedata

LATIN_CAPITALS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LATIN_SMALL = "abcdefghijklmnopqrstuvwxyz"
DIGITS = "0123456789"
# U+03A2 is unassigned (there is no capital final sigma).
GREEK_CAPITALS = "".join(chr(code) for code in range(0x0391, 0x03AA) if code != 0x03A2)
GREEK_SMALL = "".join(chr(code) for code in range(0x03B1, 0x03CA))
# The 33 letters of the Russian alphabet, with IO after IE as in the alphabet.
CYRILLIC_CAPITALS = "".join(chr(code) for code in range(0x0410, 0x0416)) + "\u0401" + "".join(
    chr(code) for code in range(0x0416, 0x0430)
)
CYRILLIC_SMALL = "".join(chr(code) for code in range(0x0430, 0x0436)) + "\u0451" + "".join(
    chr(code) for code in range(0x0436, 0x0450)
)

# Script-and-case groups; the unseen characters are drawn from every group alike.
GROUPS = {
    "latin-capital": LATIN_CAPITALS,
    "latin-small": LATIN_SMALL,
    "digit": DIGITS,
    "greek-capital": GREEK_CAPITALS,
    "greek-small": GREEK_SMALL,
    "cyrillic-capital": CYRILLIC_CAPITALS,
    "cyrillic-small": CYRILLIC_SMALL,
}
CANDIDATES = "".join(GROUPS.values())

# (dropped character, the kept character it is confusable with), by Unicode name so
# that the look-alikes stay readable in this file. From UTS #39 confusables.txt,
# grouped transitively (GREEK CAPITAL LETTER IOTA ~ l ~ I).
_DROPPED_NAMES = [
    ("LATIN SMALL LETTER L", "LATIN CAPITAL LETTER I"),
    ("DIGIT ZERO", "LATIN CAPITAL LETTER O"),
    ("DIGIT ONE", "LATIN CAPITAL LETTER I"),
    ("GREEK CAPITAL LETTER ALPHA", "LATIN CAPITAL LETTER A"),
    ("GREEK CAPITAL LETTER BETA", "LATIN CAPITAL LETTER B"),
    ("GREEK CAPITAL LETTER EPSILON", "LATIN CAPITAL LETTER E"),
    ("GREEK CAPITAL LETTER ZETA", "LATIN CAPITAL LETTER Z"),
    ("GREEK CAPITAL LETTER ETA", "LATIN CAPITAL LETTER H"),
    ("GREEK CAPITAL LETTER IOTA", "LATIN CAPITAL LETTER I"),
    ("GREEK CAPITAL LETTER KAPPA", "LATIN CAPITAL LETTER K"),
    ("GREEK CAPITAL LETTER MU", "LATIN CAPITAL LETTER M"),
    ("GREEK CAPITAL LETTER NU", "LATIN CAPITAL LETTER N"),
    ("GREEK CAPITAL LETTER OMICRON", "LATIN CAPITAL LETTER O"),
    ("GREEK CAPITAL LETTER RHO", "LATIN CAPITAL LETTER P"),
    ("GREEK CAPITAL LETTER TAU", "LATIN CAPITAL LETTER T"),
    ("GREEK CAPITAL LETTER UPSILON", "LATIN CAPITAL LETTER Y"),
    ("GREEK CAPITAL LETTER CHI", "LATIN CAPITAL LETTER X"),
    ("GREEK SMALL LETTER ALPHA", "LATIN SMALL LETTER A"),
    ("GREEK SMALL LETTER GAMMA", "LATIN SMALL LETTER Y"),
    ("GREEK SMALL LETTER IOTA", "LATIN SMALL LETTER I"),
    ("GREEK SMALL LETTER NU", "LATIN SMALL LETTER V"),
    ("GREEK SMALL LETTER OMICRON", "LATIN SMALL LETTER O"),
    ("GREEK SMALL LETTER RHO", "LATIN SMALL LETTER P"),
    ("GREEK SMALL LETTER SIGMA", "LATIN SMALL LETTER O"),
    ("GREEK SMALL LETTER UPSILON", "LATIN SMALL LETTER U"),
    ("CYRILLIC CAPITAL LETTER A", "LATIN CAPITAL LETTER A"),
    ("CYRILLIC CAPITAL LETTER VE", "LATIN CAPITAL LETTER B"),
    ("CYRILLIC CAPITAL LETTER GHE", "GREEK CAPITAL LETTER GAMMA"),
    ("CYRILLIC CAPITAL LETTER IE", "LATIN CAPITAL LETTER E"),
    ("CYRILLIC CAPITAL LETTER ZE", "DIGIT THREE"),
    ("CYRILLIC CAPITAL LETTER KA", "LATIN CAPITAL LETTER K"),
    ("CYRILLIC CAPITAL LETTER EM", "LATIN CAPITAL LETTER M"),
    ("CYRILLIC CAPITAL LETTER EN", "LATIN CAPITAL LETTER H"),
    ("CYRILLIC CAPITAL LETTER O", "LATIN CAPITAL LETTER O"),
    ("CYRILLIC CAPITAL LETTER PE", "GREEK CAPITAL LETTER PI"),
    ("CYRILLIC CAPITAL LETTER ER", "LATIN CAPITAL LETTER P"),
    ("CYRILLIC CAPITAL LETTER ES", "LATIN CAPITAL LETTER C"),
    ("CYRILLIC CAPITAL LETTER TE", "LATIN CAPITAL LETTER T"),
    ("CYRILLIC CAPITAL LETTER U", "LATIN CAPITAL LETTER Y"),
    ("CYRILLIC CAPITAL LETTER EF", "GREEK CAPITAL LETTER PHI"),
    ("CYRILLIC CAPITAL LETTER HA", "LATIN CAPITAL LETTER X"),
    ("CYRILLIC CAPITAL LETTER SOFT SIGN", "LATIN SMALL LETTER B"),
    ("CYRILLIC SMALL LETTER A", "LATIN SMALL LETTER A"),
    ("CYRILLIC SMALL LETTER BE", "DIGIT SIX"),
    ("CYRILLIC SMALL LETTER GHE", "LATIN SMALL LETTER R"),
    ("CYRILLIC SMALL LETTER IE", "LATIN SMALL LETTER E"),
    ("CYRILLIC SMALL LETTER O", "LATIN SMALL LETTER O"),
    ("CYRILLIC SMALL LETTER PE", "GREEK SMALL LETTER PI"),
    ("CYRILLIC SMALL LETTER ER", "LATIN SMALL LETTER P"),
    ("CYRILLIC SMALL LETTER ES", "LATIN SMALL LETTER C"),
    ("CYRILLIC SMALL LETTER U", "LATIN SMALL LETTER Y"),
    ("CYRILLIC SMALL LETTER HA", "LATIN SMALL LETTER X"),
]
DROPPED = {
    unicodedata.lookup(dropped): unicodedata.lookup(kept) for dropped, kept in _DROPPED_NAMES
}
CHARACTERS = "".join(character for character in CANDIDATES if character not in DROPPED)


def group_of(character):
    """The script-and-case group of `character` (a key of `GROUPS`), or "other"."""
    for name, members in GROUPS.items():
        if character in members:
            return name
    return "other"
