"""Built-in datasets: each module turns data shipped by a package into a `SourceData`.

`BUILTIN_SOURCES` maps the names accepted by `keras_margin.data.load` to functions
`read(data_dir) -> SourceData`.
"""

from keras_margin.data.sources import digits
from keras_margin.data.sources import fashion_mnist
from keras_margin.data.sources import glyphs
from keras_margin.data.sources import mnist_5k

BUILTIN_SOURCES = {
    "mnist-5k": mnist_5k.read,
    "digits": digits.read,
    "fashion-mnist": fashion_mnist.read,
    "glyphs": glyphs.read,
}
