"""Rendering characters in typefaces to small grayscale images (Pillow + FreeType).

Layout of one image: white ink (255) on black (0), like (Fashion-)MNIST. Each face has
one scale, chosen so that the union of its glyph boxes over `SCALE_CHARACTERS` (every
character of the dataset, from accented capitals to descenders) fits the image less
`MARGIN` pixels on each side. One scale per face keeps the size differences that tell
`o` from `O`; a glyph's vertical position is its baseline's, and it is centred
horizontally on its ink. Glyphs are drawn at `REFERENCE_SIZE` pixels per em and shrunk
by area averaging, which anti-aliases evenly whatever the scale.
"""

import math

import numpy as np

from keras_margin.data.sources.glyph_characters import CHARACTERS

IMAGE_SIZE = 32
MARGIN = 2
REFERENCE_SIZE = 96
# Bump when the layout below changes: it is part of the disk-cache key.
RENDERER_VERSION = 1


def versions():
    """Library versions that can change the pixels, for the cache key."""
    import PIL
    from PIL import features

    return {"pillow": PIL.__version__, "freetype": features.version("freetype2")}


def render(faces, characters):
    """Renders every character that each face has.

    A character is rendered in a face only if the face's Unicode cmap maps it and its
    glyph has ink, so a missing glyph never shows up as a "tofu" box or a blank.

    Args:
        faces: a list of `FontFace`.
        characters: a string or list of single characters.

    Returns:
        `(images, character_index, face_index)`: uint8 `(N, IMAGE_SIZE, IMAGE_SIZE)`
        images and two int64 `(N,)` arrays indexing `characters` and `faces`, ordered
        by face, then character.
    """
    from fontTools.ttLib import TTFont
    from PIL import ImageFont

    images, character_index, face_index = [], [], []
    scale_characters = list(dict.fromkeys([*CHARACTERS, *characters]))
    for face_number, face in enumerate(faces):
        cmap = TTFont(face.file, lazy=True).getBestCmap() or {}
        font = ImageFont.truetype(
            face.file, REFERENCE_SIZE, layout_engine=ImageFont.Layout.BASIC
        )
        inks = {}
        for character in scale_characters:
            if ord(character) in cmap:
                ink = _ink(font, character)
                if ink is not None:
                    inks[character] = ink
        if not inks:
            continue
        layout = _face_layout(inks.values())
        for number, character in enumerate(characters):
            if character in inks:
                images.append(_place(inks[character], layout))
                character_index.append(number)
                face_index.append(face_number)
    if not images:
        return (
            np.zeros((0, IMAGE_SIZE, IMAGE_SIZE), dtype=np.uint8),
            np.zeros((0,), dtype=np.int64),
            np.zeros((0,), dtype=np.int64),
        )
    return (
        np.stack(images),
        np.asarray(character_index, dtype=np.int64),
        np.asarray(face_index, dtype=np.int64),
    )


def _ink(font, character):
    """The glyph's ink as `(image, left, top)` relative to its origin on the baseline,
    or None for a blank glyph."""
    from PIL import Image
    from PIL import ImageDraw

    # Room for 2 em above the baseline and 1 em below, 1 em left of the origin and
    # 2 em right of it: more than any letter of a text font reaches.
    origin_x, baseline = REFERENCE_SIZE, 2 * REFERENCE_SIZE
    canvas = Image.new("L", (3 * REFERENCE_SIZE, 3 * REFERENCE_SIZE), 0)
    ImageDraw.Draw(canvas).text((origin_x, baseline), character, fill=255, font=font, anchor="ls")
    box = canvas.getbbox()
    if box is None:
        return None
    return canvas.crop(box), box[0] - origin_x, box[1] - baseline


def _face_layout(inks):
    """`(canvas side, baseline row)` at reference size that fits every glyph of a face."""
    top = min(ink_top for _, _, ink_top in inks)
    bottom = max(ink_top + image.height for image, _, ink_top in inks)
    widest = max(image.width for image, _, _ in inks)
    side = max(bottom - top, widest)
    canvas_side = math.ceil(side * IMAGE_SIZE / (IMAGE_SIZE - 2 * MARGIN))
    baseline = (canvas_side - (bottom - top)) // 2 - top
    return canvas_side, baseline


def _place(ink, layout):
    from PIL import Image

    image, _, top = ink
    canvas_side, baseline = layout
    canvas = Image.new("L", (canvas_side, canvas_side), 0)
    canvas.paste(image, ((canvas_side - image.width) // 2, baseline + top))
    small = canvas.resize((IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.BOX)
    return np.asarray(small, dtype=np.uint8)
