"""The `keras-margin` command: `train`, `compare`, `tune`, `evaluate` and `predict`.

Errors a user can fix (unknown head, invalid margin, missing dataset or folder, an output
that cannot be written) print one line, `keras-margin: error: ...`, and exit with status
2, without a traceback, before any training; `keras_margin.cli.errors` says how a
sub-command raises them.
"""

import argparse
import sys

from keras_margin.cli import compare
from keras_margin.cli import evaluate
from keras_margin.cli import predict
from keras_margin.cli import train
from keras_margin.cli import tune
from keras_margin.cli.errors import UsageError


class _OneLineParser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{self.prog}: {message}")


def build_parser():
    parser = _OneLineParser(
        prog="keras-margin",
        description="Margin-softmax heads and augmentation for Keras: train and export.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_OneLineParser)
    commands.required = True
    commands_and_help = (
        (train, "train a backbone with a margin head on a dataset, evaluate, export"),
        (compare, "train a grid of heads x augmentation x sizes x seeds and write a comparison report"),
        (tune, "search each head's scale, margin, learning rate and augmentation on validation data "
               "(Optuna, same budget per head, resumable)"),
        (evaluate, "measure an exported SavedModel on a dataset's test split"),
        (predict, "classify image files with an exported SavedModel (JSON lines)"),
    )
    for module, help_text in commands_and_help:
        command = commands.add_parser(
            module.__name__.rsplit(".", 1)[-1], help=help_text, description=module.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(command)
        command.set_defaults(run=module.run)
    return parser


def main(argv=None):
    """Entry point of the `keras-margin` console script; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return args.run(args, UsageError) or 0
    except UsageError as error:
        print(f"keras-margin: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("keras-margin: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
