"""Head specs of `keras-margin compare --heads`: a head name with optional numeric
options, `name[:option=value[:option=value...]]`, e.g. `arcface:scale=16` or
`cosface:scale=16:margin=0.2`."""

OPTION_SEPARATOR = ":"


def parse_head_spec(text):
    """Splits `"cosface:scale=16:margin=0.2"` into `("cosface", (("margin", 0.2), ("scale", 16)))`.

    Options are sorted by name, so the same options in another order give the same run
    key; a whole-number value becomes an `int`, so `scale=16` and `scale=16.0` do too.

    Raises:
        ValueError: for an empty name, an option without `=`, a repeated option or a
            value that is not a finite number, naming the option.
    """
    name, *parts = [part.strip() for part in str(text).split(OPTION_SEPARATOR)]
    if not name:
        raise ValueError(f"head spec {text!r} has no head name; write e.g. arcface:scale=16")
    options = {}
    for part in parts:
        option, equals, value = part.partition("=")
        option, value = option.strip(), value.strip()
        if not equals or not option or not value:
            raise ValueError(f"head spec {text!r}: option {part!r} must be written name=value, "
                             "e.g. scale=16")
        if option in options:
            raise ValueError(f"head spec {text!r}: option {option!r} is given twice")
        options[option] = _number(value, option, text)
    return name, tuple(sorted(options.items()))


def head_label(head, options):
    """`"arcface"`, or `"arcface (scale=16)"` with options: the head's name in reports."""
    if not options:
        return head
    return f"{head} ({', '.join(f'{name}={value:g}' for name, value in options)})"


def _number(value, option, text):
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"head spec {text!r}: option {option!r} must be a number; "
                         f"received {value!r}") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"head spec {text!r}: option {option!r} must be a finite number; "
                         f"received {value!r}")
    return int(number) if number.is_integer() else number
