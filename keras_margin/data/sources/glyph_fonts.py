"""Finding the typefaces of the `glyphs` dataset and grouping them by design.

A *design* is the unit of the font split. The faces of one family (bold, italic,
condensed, ...) are near-duplicates, and several families on a Debian system are
derived from the same outlines: TeX Gyre Heros and FreeSans are both built from URW's
Nimbus Sans, TeX Gyre Termes and FreeSerif from Nimbus Roman, and so on. All of these
share one design, so a design is wholly in training or wholly in the test split and
"unseen fonts" really are unseen. Families that are metric-compatible with another
design but drawn independently (Liberation Sans, Serif, Mono) are designs of their own.
"""

import dataclasses
import os
import zlib

from keras_margin.utils.errors import DatasetNotFoundError

_ITALICS = ("Bold", "Bold Italic", "Italic", "Regular")
_OBLIQUES = ("Bold", "Bold Oblique", "Oblique", "Regular")
# The 111 faces of the default dataset: Debian package -> family -> styles (OpenType
# name IDs 16/17, else 1/2). With the default folders every one of them must be found
# (`find_faces`), so the dataset never silently shrinks to the fonts that happen to be
# installed. scripts/setup_system.sh installs the packages.
DEFAULT_FACES = {
    "fonts-dejavu-core": {
        "DejaVu Sans": ("Bold", "Book"),
        "DejaVu Sans Mono": ("Bold", "Book"),
        "DejaVu Serif": ("Bold", "Book"),
    },
    "fonts-dejavu-extra": {
        "DejaVu Sans": ("Bold Oblique", "Condensed", "Condensed Bold", "Condensed Bold Oblique",
                        "Condensed Oblique", "ExtraLight", "Oblique"),
        "DejaVu Sans Mono": ("Bold Oblique", "Oblique"),
        "DejaVu Serif": ("Bold Italic", "Condensed", "Condensed Bold", "Condensed Bold Italic",
                         "Condensed Italic", "Italic"),
    },
    "fonts-urw-base35": {
        "C059": ("Bold", "Bold Italic", "Italic", "Roman"),
        "Nimbus Mono PS": _ITALICS,
        "Nimbus Roman": _ITALICS,
        "Nimbus Sans": _ITALICS,
        "Nimbus Sans Narrow": _OBLIQUES,
        "P052": ("Bold", "Bold Italic", "Italic", "Roman"),
        "URW Bookman": ("Demi", "Demi Italic", "Light", "Light Italic"),
        "URW Gothic": ("Book", "Book Oblique", "Demi", "Demi Oblique"),
        "Z003": ("Medium Italic",),
    },
    "fonts-freefont-ttf": {"FreeMono": _OBLIQUES, "FreeSans": _OBLIQUES, "FreeSerif": _ITALICS},
    "fonts-liberation2": {
        "Liberation Mono": _ITALICS, "Liberation Sans": _ITALICS, "Liberation Serif": _ITALICS,
    },
    "fonts-texgyre": {
        **{family: _ITALICS for family in (
            "TeX Gyre Adventor", "TeX Gyre Bonum", "TeX Gyre Cursor", "TeX Gyre Heros",
            "TeX Gyre Heros Cn", "TeX Gyre Pagella", "TeX Gyre Schola", "TeX Gyre Termes")},
        "TeX Gyre Chorus": ("Regular",),
    },
}
# Debian packages whose fonts make up the default dataset.
FONT_PACKAGES = tuple(DEFAULT_FACES)
DEFAULT_FONT_DIRS = (
    "/usr/share/fonts",
    # fonts-texgyre installs its OpenType files for TeX, outside /usr/share/fonts.
    "/usr/share/texmf/fonts/opentype/public/tex-gyre",
)
FONT_EXTENSIONS = (".ttf", ".otf")

# Family name (OpenType name ID 16, else 1) -> design. Covers FONT_PACKAGES.
DESIGNS = {
    "Nimbus Sans": "helvetica",
    "Nimbus Sans Narrow": "helvetica",
    "TeX Gyre Heros": "helvetica",
    "TeX Gyre Heros Cn": "helvetica",
    "FreeSans": "helvetica",
    "Nimbus Roman": "times",
    "TeX Gyre Termes": "times",
    "FreeSerif": "times",
    "Nimbus Mono PS": "courier",
    "TeX Gyre Cursor": "courier",
    "FreeMono": "courier",
    "P052": "palatino",
    "TeX Gyre Pagella": "palatino",
    "C059": "century-schoolbook",
    "TeX Gyre Schola": "century-schoolbook",
    "URW Bookman": "bookman",
    "TeX Gyre Bonum": "bookman",
    "URW Gothic": "avant-garde",
    "TeX Gyre Adventor": "avant-garde",
    "Z003": "zapf-chancery",
    "TeX Gyre Chorus": "zapf-chancery",
    # DejaVu Sans Mono is Bitstream Vera Sans Mono, drawn from Vera Sans' letterforms.
    "DejaVu Sans": "vera-sans",
    "DejaVu Sans Mono": "vera-sans",
    "DejaVu Serif": "vera-serif",
    "Liberation Sans": "liberation-sans",
    "Liberation Serif": "liberation-serif",
    "Liberation Mono": "liberation-mono",
}

# The designs whose faces form the test split: a serif, a geometric sans, a slab-like
# serif and a monospace, 28 of the 111 default faces. Fixed, so every run and every
# seed is tested on the same fonts.
TEST_DESIGNS = ("palatino", "avant-garde", "vera-serif", "liberation-mono")

# Families whose code points do not carry the letters they name: URW's Standard
# Symbols and D050000L (Dingbats) map ASCII codes to Greek and dingbat glyphs, and
# math fonts repeat a text design's letters. Matched case-insensitively as substrings.
SYMBOL_FAMILY_MARKERS = ("symbol", "dingbat", "d050000l", "math")


@dataclasses.dataclass(frozen=True)
class FontFace:
    """One typeface file: `family` and `style` from its name table, and its `design`."""

    family: str
    style: str
    file: str
    design: str

    def as_dict(self):
        return dataclasses.asdict(self)


def find_faces(font_dirs=None):
    """Lists the usable faces under `font_dirs` and the files it skipped, with reasons.

    With `font_dirs=None` the default Debian folders are searched, only the families
    in `DESIGNS` are used, and every face of `DEFAULT_FACES` must be found, so the
    dataset is the same on every machine with `FONT_PACKAGES` whatever other fonts are
    installed, and never a smaller one where some are missing. With explicit folders
    every `.ttf`/`.otf` family found is used (an unknown family is a design of its
    own): passing the default folders, `font_dirs=DEFAULT_FONT_DIRS`, renders whatever
    fonts are installed.

    Returns:
        `(faces, skipped)`: `FontFace`s sorted by design, family, style and file, and
        a list of `{"file": ..., "reason": ...}` dicts.

    Raises:
        DatasetNotFoundError: if no usable face is found, or with `font_dirs=None` if a
            face of `DEFAULT_FACES` is missing; the message names the Debian packages
            to install.
    """
    from fontTools.ttLib import TTFont
    from fontTools.ttLib import TTLibError

    known_only = font_dirs is None
    folders = list(DEFAULT_FONT_DIRS if font_dirs is None else _as_folders(font_dirs))
    faces, skipped, seen = [], [], {}
    for path in _font_files(folders):
        try:
            names = TTFont(path, lazy=True)["name"]
        except (TTLibError, KeyError, OSError, ValueError) as error:
            skipped.append({"file": path, "reason": f"unreadable ({error})"})
            continue
        family = names.getDebugName(16) or names.getDebugName(1) or ""
        style = names.getDebugName(17) or names.getDebugName(2) or ""
        if any(marker in family.lower() for marker in SYMBOL_FAMILY_MARKERS):
            skipped.append({"file": path, "reason": f"symbol or math font ({family})"})
            continue
        if known_only and family not in DESIGNS:
            skipped.append({"file": path, "reason": f"family {family!r} not in DESIGNS"})
            continue
        if (family, style) in seen:
            # The same face in two formats or folders: keep one, or it counts twice.
            skipped.append({"file": path, "reason": f"duplicate of {seen[family, style]}"})
            continue
        seen[family, style] = path
        design = DESIGNS.get(family, family.lower())
        faces.append(FontFace(family=family, style=style, file=path, design=design))
    if known_only:
        _check_default_faces_found(faces, folders)
    if not faces:
        raise DatasetNotFoundError(
            f"glyphs: no usable fonts found in {', '.join(folders)}; install the Debian "
            f"packages {' '.join(FONT_PACKAGES)} (apt-get install {' '.join(FONT_PACKAGES)}) "
            "or pass data_dir=FOLDER holding .ttf/.otf fonts"
        )
    faces.sort(key=lambda face: (face.design, face.family, face.style, face.file))
    return faces, skipped


def _check_default_faces_found(faces, folders):
    found = {(face.family, face.style) for face in faces}
    missing = {
        package: sum((family, style) not in found for family, styles in families.items()
                     for style in styles)
        for package, families in DEFAULT_FACES.items()
    }
    packages = [package for package, count in missing.items() if count]
    if packages:
        expected = sum(len(styles) for families in DEFAULT_FACES.values()
                       for styles in families.values())
        raise DatasetNotFoundError(
            f"glyphs: {expected - sum(missing.values())} of its {expected} font faces found in "
            f"{', '.join(folders)}; the others come from the Debian packages "
            f"{' '.join(packages)}: install them (sudo apt-get install {' '.join(packages)}), "
            "or, to render whichever fonts are installed (a different, smaller dataset), "
            "pass data_dir=keras_margin.data.sources.glyph_fonts.DEFAULT_FONT_DIRS"
        )


def is_test_design(design):
    """True if `design` belongs to the fixed test split of fonts.

    Designs outside `DESIGNS` (fonts from a custom folder) are assigned by a stable
    hash of their name, about one in four to the test split, so the assignment of a
    family never depends on which other families are present.
    """
    if design in set(DESIGNS.values()):
        return design in TEST_DESIGNS
    return zlib.crc32(design.encode("utf-8")) % 4 == 0


def _as_folders(font_dirs):
    if isinstance(font_dirs, (str, os.PathLike)):
        return [os.fspath(font_dirs)]
    return [os.fspath(folder) for folder in font_dirs]


def _font_files(folders):
    paths = []
    for folder in folders:
        for root, dirs, files in os.walk(folder):
            dirs.sort()
            paths.extend(
                os.path.join(root, name)
                for name in sorted(files)
                if name.lower().endswith(FONT_EXTENSIONS)
            )
    return paths
