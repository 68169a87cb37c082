"""Head specs of `keras-margin compare --heads`: a head name with optional numeric
options, `name[:option=value[:option=value...]]`, e.g. `arcface:scale=16`,
`cosface:scale=16:margin=0.2` or `arcface:scale=auto` (the scale chosen from the number
of classes, see `keras_margin.heads.auto_scale`)."""

OPTION_SEPARATOR = ":"
# Options that take a word besides numbers, and the words they take.
_WORDS = {"scale": ("auto",)}


def parse_head_spec(text):
    """Splits `"cosface:scale=16:margin=0.2"` into `("cosface", (("margin", 0.2), ("scale", 16)))`.

    Options are sorted by name, so the same options in another order give the same run
    key; a whole-number value becomes an `int`, so `scale=16` and `scale=16.0` do too.
    `scale` also takes `auto` (any case), kept as the string `"auto"`.

    Raises:
        ValueError: for an empty name, an option without `=`, a repeated option or a
            value that is not a finite number (nor a word the option takes), naming the
            option.
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
        options[option] = _value(value, option, text)
    return name, tuple(sorted(options.items()))


def head_label(head, options):
    """`"arcface"`, or `"arcface (scale=16)"` with options: the head's name in reports."""
    if not options:
        return head
    return f"{head} ({', '.join(f'{name}={format_value(value)}' for name, value in options)})"


def format_value(value):
    """An option value as written in labels and tables: `16`, `0.2`, `auto`."""
    return value if isinstance(value, str) else f"{value:g}"


def _value(value, option, text):
    if value.lower() in _WORDS.get(option, ()):
        return value.lower()
    try:
        number = float(value)
    except ValueError:
        words = "".join(f" or {word!r}" for word in _WORDS.get(option, ()))
        raise ValueError(f"head spec {text!r}: option {option!r} must be a number{words}; "
                         f"received {value!r}") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"head spec {text!r}: option {option!r} must be a finite number; "
                         f"received {value!r}")
    return int(number) if number.is_integer() else number
