"""How `keras-margin` reports a problem the user can fix: one line, exit status 2.

Every sub-command's `run(args, usage_error)` checks what it can before it loads data or
trains, and reports a bad argument or input by raising `UsageError` (the `usage_error`
it is given is this class). `main` prints it as `keras-margin: error: MESSAGE` on one
line, without a traceback, and exits with status 2. A new sub-command reuses this as:

    from keras_margin.cli.errors import usage_errors
    from keras_margin.utils.files import check_writable_folder

    def run(args, usage_error):
        with usage_errors():              # ValueError, OSError -> one line, exit 2
            check_writable_folder(args.output, "--output")
            model = ServingModel(args.model_dir)
        ...                               # the real work: errors here are bugs

Argument values are best checked by argparse itself (`type=` functions from
`keras_margin.cli.argument_types`), which also stops the command with one line.
"""

import contextlib


class UsageError(Exception):
    """A problem with the command line or its inputs: one line, exit status 2."""


def one_line(error):
    """The message of `error` on a single line (its type name when it has none)."""
    return " ".join(str(error).split()) or type(error).__name__


@contextlib.contextmanager
def usage_errors(*error_types):
    """Turns `ValueError` and `OSError` (or `error_types`) raised in the block into
    `UsageError` with the message on one line."""
    try:
        yield
    except error_types or (ValueError, OSError) as error:
        raise UsageError(one_line(error)) from None
