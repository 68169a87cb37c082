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

# Debian packages whose fonts make up the default dataset (`.ci/run` installs them).
FONT_PACKAGES = (
    "fonts-dejavu-core",
    "fonts-dejavu-extra",
    "fonts-urw-base35",
    "fonts-freefont-ttf",
    "fonts-liberation2",
    "fonts-texgyre",
)
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

    With `font_dirs=None` the default Debian folders are searched and only the
    families in `DESIGNS` are used, so the dataset is the same on every machine with
    `FONT_PACKAGES` whatever other fonts are installed. With explicit folders every
    `.ttf`/`.otf` family found is used; an unknown family is a design of its own.

    Returns:
        `(faces, skipped)`: `FontFace`s sorted by design, family, style and file, and
        a list of `{"file": ..., "reason": ...}` dicts.

    Raises:
        DatasetNotFoundError: if no usable face is found.
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
    if not faces:
        raise DatasetNotFoundError(
            f"glyphs: no usable fonts found in {', '.join(folders)}; install the Debian "
            f"packages {' '.join(FONT_PACKAGES)} (apt-get install {' '.join(FONT_PACKAGES)}) "
            "or pass data_dir=FOLDER holding .ttf/.otf fonts"
        )
    faces.sort(key=lambda face: (face.design, face.family, face.style, face.file))
    return faces, skipped


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
