"""Search each head's hyper-parameters with Optuna, the same budget for every head, on
validation data only, and write each head's best settings for `compare --tuned`.

Searched per head: the scale of cosine heads (log-uniform 4..64), the head's margins,
the learning rate (log-uniform 1e-4..1e-2) and the augmentation policy. Each trial trains
with the studies' recipe; a median pruner stops trials whose validation curve falls
below the median. The objective is validation accuracy (closed set, text) or TAR@FAR on
validation identities (open set: seen identities held out of training), never the test
split or the unseen test identities.

A head's search ends when --trials of its trials have finished (completed or pruned).
Trials are stored in OUTPUT/tune.db (SQLite): running the same command again resumes,
re-running a trial that a killed process left unfinished. --storage takes any Optuna
RDB URL (e.g. postgresql://host/db), so several machines can work on one search.

Writes OUTPUT/best_params.json and prints a summary table; see docs/tune.md.
"""

import os

from keras_margin.cli.compare import _names


def add_arguments(parser):
    parser.add_argument("--study", choices=("closed-set", "open-set", "text"), default="closed-set",
                        help="what is tuned (default: %(default)s): closed-set accuracy, open-set "
                        "verification (TAR@FAR on validation identities) or text classification")
    parser.add_argument("--dataset", help="dataset name (default: mnist-5k, mnist-5k-open for "
                        "--study open-set, fortunes for --study text)")
    parser.add_argument("--heads", default="softmax,cosface,arcface",
                        help="comma-separated head names, each tuned with the same budget "
                        "(default: %(default)s)")
    parser.add_argument("--trials", type=int, default=20,
                        help="finished (completed or pruned) trials per head (default: %(default)s)")
    parser.add_argument("--steps", type=int, help="optimizer steps of every trial (default: the "
                        "default compare preset's)")
    parser.add_argument("--samples-per-class", default="100",
                        help="training examples per class or seen identity, or 'all' (default: %(default)s)")
    parser.add_argument("--num-train", type=int, help="--study text: training texts (default: all)")
    parser.add_argument("--augment", help="comma-separated augmentation policies to search "
                        "(default: every policy of the dataset's modality)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the data, the weights and the sampler (default: %(default)s)")
    parser.add_argument("--validation-identities", type=float, default=0.2,
                        help="--study open-set: share of the seen identities held out of training "
                        "to measure on (default: %(default)s)")
    parser.add_argument("--far", type=float, default=1e-2,
                        help="--study open-set: false-accept rate of the TAR objective (default: %(default)s)")
    parser.add_argument("--output", help="output folder (default: runs/tune-DATASET)")
    parser.add_argument("--storage", help="Optuna RDB URL of the trials (default: sqlite:///OUTPUT/tune.db)")
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), default=0,
                        help="Keras progress inside each trial (default: 0, silent)")


def run(args, usage_error):
    from keras_margin.studies import tuning

    import keras_margin as km

    try:
        settings = _settings(args, tuning)
        output = args.output or os.path.join("runs", f"tune-{settings.dataset}")
        url = args.storage or tuning.default_storage_url(output)
        tuning.make_storage(url)  # a bad URL stops the command before any data is loaded
        tuning.load_tuning_data(settings)  # so does a missing dataset
    except (ValueError, km.data.DatasetNotFoundError) as error:
        raise usage_error(" ".join(str(error).split())) from None
    print(f"tuning {', '.join(settings.heads)} on {settings.study} {settings.dataset}: "
          f"{settings.trials} trials each, {settings.steps} steps per trial; objective: "
          f"{settings.objective_name()}; trials in {tuning.redacted_url(url)}")
    best = tuning.tune(settings, output, storage=url, verbose=args.verbose)
    print(tuning.summary_table(best))
    print(f"best settings: {os.path.join(output, tuning.BEST_PARAMS_FILE_NAME)}")
    return 0


# Fields of `TuneSettings` that the error messages name, and their flags.
_FLAGS = {"study": "--study", "dataset": "--dataset", "heads": "--heads", "trials": "--trials",
          "steps": "--steps", "samples_per_class": "--samples-per-class", "seed": "--seed",
          "augments": "--augment", "validation_identities": "--validation-identities", "far": "--far",
          "num_train": "--num-train"}


def _settings(args, tuning):
    """`TuneSettings` from the command line; a refused value raises `ValueError` naming
    its flag."""
    try:
        return tuning.TuneSettings(**_settings_arguments(args))
    except ValueError as error:
        message = str(error)
        for field, flag in _FLAGS.items():
            message = message.replace(f"`{field}`", flag)
        raise ValueError(message) from None


def _settings_arguments(args):
    arguments = dict(study=args.study, dataset=args.dataset, heads=_names(args.heads, "heads"),
                     trials=args.trials, seed=args.seed, num_train=args.num_train,
                     validation_identities=args.validation_identities, far=args.far)
    if args.steps is not None:
        arguments["steps"] = args.steps
    if args.augment is not None:
        arguments["augments"] = _names(args.augment, "augment")
    samples = args.samples_per_class.strip()
    try:
        arguments["samples_per_class"] = None if samples == "all" else int(samples)
    except ValueError:
        raise ValueError(f"--samples-per-class must be a whole number or 'all'; received {samples!r}") from None
    return arguments
