"""`read_image`: every channel layout of every format to 1 or 3 channels, one-line errors."""

import numpy as np
import pytest
from PIL import Image

from keras_margin.data.image_file import read_image

GREY = np.arange(48, dtype=np.uint8).reshape(6, 8) * 5


@pytest.mark.parametrize("name, mode, pixels", [
    ("grey.png", "L", GREY),
    ("grey_alpha.png", "LA", np.stack([GREY, np.full_like(GREY, 7)], -1)),
    ("rgb.png", "RGB", np.repeat(GREY[..., None], 3, -1)),
    ("rgba.png", "RGBA", np.concatenate([np.repeat(GREY[..., None], 3, -1), GREY[..., None]], -1)),
    ("rgb.bmp", "RGB", np.repeat(GREY[..., None], 3, -1)),
    ("rgb.gif", "RGB", np.repeat(GREY[..., None], 3, -1)),
])
@pytest.mark.parametrize("channels", [1, 3])
def test_every_layout_converts_to_the_channels_asked_for(tmp_path, name, mode, pixels, channels):
    # Before: grey + alpha reached predict as 2 channels, GIF and BMP failed in grey.
    Image.fromarray(pixels, mode=mode).save(tmp_path / name)
    image = read_image(str(tmp_path / name), channels).numpy()
    assert image.shape == (6, 8, channels) and image.dtype == np.uint8
    if not name.endswith(".gif"):  # GIF stores a 256-colour palette: close, not exact
        np.testing.assert_array_equal(image, np.repeat(GREY[..., None], channels, -1))


@pytest.mark.parametrize("content", [None, b"\x89PNG\r\n\x1a\n then garbage", b"not an image"])
def test_what_is_not_an_image_is_one_line_naming_it(tmp_path, content):
    path = tmp_path / "x.png"
    if content is None:
        path.mkdir()  # a folder named like an image
    else:
        path.write_bytes(content)
    with pytest.raises(ValueError, match="x.png") as error:
        read_image(str(path), 3)
    assert "\n" not in str(error.value) and "function_node" not in str(error.value)
