"""argparse `type=` functions, built on `keras_margin.utils.validation`.

A value they refuse stops the command while the arguments are parsed, before anything
is loaded or trained, with one line such as `keras-margin: error: keras-margin train:
argument --epochs: expected a whole number >= 1, got '0'`.
"""

import argparse

from keras_margin.utils import validation


def integer_at_least(minimum):
    """A `type=` function for whole numbers >= `minimum`."""

    def parse(text):
        try:
            return validation.integer_at_least(int(text), minimum, "value")
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a whole number >= {minimum}, got {text!r}") from None

    parse.__name__ = f"integer >= {minimum}"
    return parse


def positive_number(text):
    """A `type=` function for finite numbers > 0 (so not nan, inf, 0 or negative)."""
    try:
        return validation.positive(float(text), "value")
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text!r}") from None


def scale_or_auto(text):
    """A `type=` function for a head's scale: a finite number > 0, or "auto"."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return positive_number(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f'expected a finite number > 0 or "auto", got {text!r}') from None
